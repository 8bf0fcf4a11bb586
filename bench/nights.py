"""Run time of demo nights in one process (``reviewpulse run`` / ``reviewpulse demo``): the encoder loaded
once per process (``shared_encoder``, the default) against a load in every step that needs it (scoring,
themes, emerging themes), the way each step loaded it before.

    .venv/bin/python bench/nights.py [--nights 4]

Both configurations run the same seeded demo nights into fresh warehouses, one after the other, with the
same models folder; a first, untimed pass fills the embedding cache, so neither pays for encoding and the
difference is the loading alone. Prints a table: seconds per night and in all, and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.demo import generate_demo  # noqa: E402
from pipeline.nightly import run_night  # noqa: E402
from pipeline.scoring import encoder as encoder_module  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

START = date(2026, 11, 2)


def run_nights(root: Path, models_dir: Path, nights: int) -> list[float]:
    """Seconds per night of a fresh demo run under ``root``."""
    settings = Settings(home=root / "home", progress=False, models_dir=models_dir)
    generate_demo(settings.landing_dir, settings.demo_dir / "truth.json", start=START, nights=nights, seed=42)
    seconds = []
    for i in range(nights):
        started = time.perf_counter()
        result = run_night(settings, (START + timedelta(days=i)).isoformat())
        seconds.append(time.perf_counter() - started)
        if not result.ok:
            raise SystemExit(f"night {i + 1} failed: {result.failures}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=4)
    args = parser.parse_args()
    models_dir = Settings.from_env().models_dir
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run_nights(work / "warm-up", models_dir, args.nights)  # fills the embedding cache
        rows = []
        for name, kept in (("encoder loaded in every step (before)", 0), ("loaded once per process", 2)):
            encoder_module._SHARED.clear()
            encoder_module.SHARED_ENCODERS = kept  # 0: every call loads and lets go
            rows.append((name, run_nights(work / f"run-{kept}", models_dir, args.nights)))
    baseline = sum(rows[0][1])
    print(f"\n{args.nights} demo nights in one process, embeddings cached (seconds)\n")
    print("| configuration | per night | total | speed-up |")
    print("|---|---|---:|---:|")
    for name, seconds in rows:
        nights = " / ".join(f"{s:.1f}" for s in seconds)
        print(f"| {name} | {nights} | {sum(seconds):.1f} | {baseline / sum(seconds):.2f}x |")


if __name__ == "__main__":
    main()
