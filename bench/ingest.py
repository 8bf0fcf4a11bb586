"""Benchmark: ReviewPulse ingest + validation against a plain pandas + GX + DuckDB load, in the same run.

    .venv/bin/python bench/ingest.py [--rows 1000000]

Both sides read the same generated CSV of reviews (about 1% of rows malformed) into a fresh DuckDB
file, and both validate with Great Expectations on a pandas datasource:

* **baseline**: ``pandas.read_csv`` -> one GX suite over the raw frame (not-null id/text/rating/date,
  rating in 1..5, unique id) -> ``insert into reviews select * from frame``. What an expert would write
  for a one-off load: fast, but it loads the bad rows too (GX only reports them), keeps no quarantine,
  no audit and no idempotency.
* **reviewpulse**: ``pipeline.ingest.ingest_file``: record-level reader, mapping, GX row checks,
  quarantine with reasons, merge on the id in one transaction, audit row; staged through Parquet files
  between those steps, as the nightly DAG's parallel tasks and single writer do.

Each side runs in its own process so peak memory (max RSS) is its own. Prints a table of rows/s and
ratios. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

WORDS = [
    "great",
    "fast",
    "delivery",
    "quality",
    "broke",
    "returned",
    "refund",
    "size",
    "small",
    "large",
    "price",
    "cheap",
    "love",
    "hate",
    "entrega",
    "rápida",
    "calidad",
    "producto",
    "chegou",
    "rápido",
    "qualidade",
    "ótimo",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` generic_csv reviews, about 1% of them malformed."""
    rng = np.random.default_rng(seed)
    words = np.array(WORDS)
    text = [" ".join(w) for w in words[rng.integers(0, len(words), size=(rows, 12))]]
    frame = pd.DataFrame(
        {
            "review_id": [f"r{i:08d}" for i in range(rows)],
            "product_id": [f"p{i:05d}" for i in rng.integers(0, 20000, rows)],
            "reviewer_id": [f"u{i:07d}" for i in rng.integers(0, 400000, rows)],
            "rating": rng.integers(1, 6, rows).astype(str),
            "title": "Review",
            "text": text,
            "review_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, rows), unit="D"),
            "language": rng.choice(["en", "es", "pt"], rows),
        }
    )
    frame["review_date"] = frame["review_date"].dt.strftime("%Y-%m-%d")
    bad = rng.choice(rows, size=rows // 100, replace=False)
    frame.loc[bad[0::3], "rating"] = "7"
    frame.loc[bad[1::3], "text"] = ""
    frame.loc[bad[2::3], "review_date"] = "not a date"
    frame.to_csv(path, index=False)


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reviewpulse(csv_path: Path, home: Path) -> dict[str, float]:
    from datetime import date

    from pipeline.ingest import ingest_file
    from pipeline.settings import Settings
    from pipeline.validation.checks import _gx
    from pipeline.warehouse import connect

    _gx()  # import and set up GX outside the timed part, as the baseline does
    settings = Settings(home=home, progress=False)
    con = connect(settings)
    start = time.perf_counter()
    result = ingest_file(con, settings, csv_path, fmt="generic_csv", kind="reviews", night=date(2026, 11, 1))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "loaded": result.rows_loaded,
        "quarantined": result.rows_quarantined,
        "rss_mb": _rss_mb(),
    }


def run_baseline(csv_path: Path, home: Path) -> dict[str, float]:
    import duckdb
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    batch_definition = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("a")
        .add_batch_definition_whole_dataframe("b")
    )
    suite = gx.ExpectationSuite(name="baseline")
    for column in ("review_id", "text", "rating", "review_date"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="rating", min_value=1, max_value=5)
    )
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="review_id"))
    suite = context.suites.add(suite)
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / "baseline.duckdb"))
    start = time.perf_counter()
    frame = pd.read_csv(
        csv_path,
        dtype={"rating": "float64"},
        keep_default_na=True,
        converters={"rating": lambda v: pd.to_numeric(v, errors="coerce")},
    )
    frame["review_date"] = pd.to_datetime(frame["review_date"], errors="coerce")
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "SUMMARY"}
    )
    con.execute("create table reviews as select * from frame").fetchall()
    seconds = time.perf_counter() - start
    flagged = sum(r.result.get("unexpected_count", 0) or 0 for r in result.results)
    return {
        "seconds": seconds,
        "loaded": len(frame),
        "quarantined": 0,
        "flagged": flagged,
        "rss_mb": _rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--side", choices=["reviewpulse", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:  # child process: run one side and print its numbers as JSON
        fn = run_reviewpulse if args.side == "reviewpulse" else run_baseline
        print(json.dumps(fn(args.csv, args.home)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "reviews.csv"
        start = time.perf_counter()
        generate(csv_path, args.rows)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - start:.1f}s"
        )
        results = {}
        for side in ("baseline", "reviewpulse"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--side",
                    side,
                    "--csv",
                    str(csv_path),
                    "--home",
                    str(Path(tmp) / side),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results[side] = json.loads(out.stdout.strip().splitlines()[-1])

    base = results["baseline"]
    print()
    print("| side | rows | seconds | rows/s | loaded | quarantined | peak RSS MB | time vs baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for side, r in results.items():
        print(
            f"| {side} | {args.rows:,} | {r['seconds']:.1f} | {args.rows / r['seconds']:,.0f} | "
            f"{int(r['loaded']):,} | {int(r['quarantined']):,} | {r['rss_mb']:.0f} | "
            f"{r['seconds'] / base['seconds']:.2f}x |"
        )
    print()
    print(
        f"baseline GX flagged {int(base.get('flagged', 0)):,} failing values but loaded every row;"
        " reviewpulse quarantined them with reasons."
    )


if __name__ == "__main__":
    main()
