"""Publish every loaded file's records to Hive-partitioned Parquet, the layout a data lake reads:

    $REVIEWPULSE_HOME/lake/<table>/night=<YYYY-MM-DD>/<run id>.parquet

One file per loaded export, immutable: the rows exactly as that night's file brought them (typed, reviewer
ids salted, as ``sql/staging`` turns them into warehouse rows), and its quarantined rows with their reasons
under ``lake/quarantine/``. Later nights never change an earlier partition (the warehouse keeps only each
record's latest content; the lake keeps every version as it arrived). DuckDB, Spark or any lakehouse
engine reads a folder as one partitioned table, e.g. in DuckDB
``select * from read_parquet('lake/reviews/*/*.parquet', hive_partitioning = true)``. It is the first step
from one DuckDB file towards Parquet on object storage as the system of record (see ``SCALING.md``).

Where the files come from: ``load_staged`` (the nightly ``load`` task, and ``ingest_file`` for the CLI)
moves each file it loaded from ``staging/`` to ``loaded/<night>/<run id>/`` (good and quarantined rows, and
its meta). ``publish_loaded`` publishes every folder waiting there, whichever night, then removes it: the
``reviewpulse_lake_export`` DAG calls it, scheduled on the assets ``load`` publishes; without Airflow,
``reviewpulse run`` calls it at the end of the night and ``reviewpulse ingest`` after its file. The
warehouse is never opened (an in-memory DuckDB runs the staging SQL), so the export never waits for the
writer. Publishing the same folder again writes the same file; a night rerun loads nothing new, so it
adds nothing. Publishers take turns (a lock file); a file whose hand-off to ``loaded/`` was cut off after
its load committed is handed over by the next load (``pipeline.ingest.finish_hand_offs``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.settings import Settings
from pipeline.sources import get_source
from pipeline.warehouse import sql_text


def lake_dir(settings: Settings) -> Path:
    return settings.home / "lake"


def loaded_dir(settings: Settings) -> Path:
    """Where ``load`` leaves each loaded file for the lake export."""
    return settings.home / "loaded"


def partition(settings: Settings, table: str, night: str) -> Path:
    return lake_dir(settings) / table / f"night={night}"


def _write(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"  # hidden: lake readers skip dot files
    pq.write_table(table, tmp)
    os.replace(tmp, target)


def handed_over(settings: Settings, meta: dict[str, Any]) -> bool:
    """Whether a loaded file (its staging ``meta``) is waiting under ``loaded/`` or is in the lake."""
    night, name = meta["night"], meta["run_id"].replace(":", "_")
    if (loaded_dir(settings) / night / name).exists():
        return True
    table = get_source(meta["kind"], meta["source"]).kind.table
    return any((partition(settings, t, night) / f"{name}.parquet").exists() for t in (table, "quarantine"))


@contextlib.contextmanager
def _publishing(settings: Settings) -> Iterator[None]:
    """One publisher at a time (the lake export DAG and a CLI run may overlap, and would otherwise read a
    folder the other is removing): an exclusive ``flock`` on ``lake/.publish.lock``, which the system
    releases when the process ends, however it ends. It serialises processes on one host (the embedded
    default); publishers on several hosts need a lake with its own commit protocol (``SCALING.md``)."""
    lake_dir(settings).mkdir(parents=True, exist_ok=True)
    with (lake_dir(settings) / ".publish.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _warehouse_rows(settings: Settings, meta: dict[str, Any], good: pd.DataFrame) -> pa.Table:
    """The good rows as the warehouse's staging SQL types and hashes them, in an in-memory DuckDB."""
    kind = get_source(meta["kind"], meta["source"]).kind
    staging = sql_text(settings, f"staging/stg_{kind.table}")
    with duckdb.connect() as con:
        con.register(f"batch_{kind.table}", good[list(kind.columns)])
        rows = con.sql(
            staging, params={"salt": settings.salt} if "$salt" in staging else None
        ).to_arrow_table()
    assert rows is not None, "a select always has a result"
    return rows.append_column("ingest_run_id", pa.array([meta["run_id"]] * rows.num_rows, pa.string()))


def publish_loaded(settings: Settings) -> dict[str, dict[str, int]]:
    """Publish every folder waiting under ``loaded/`` into the lake; rows per night and table."""
    with _publishing(settings):
        return _publish(settings)


def _publish(settings: Settings) -> dict[str, dict[str, int]]:
    for leftover in lake_dir(settings).glob("*/*/.*.tmp"):  # of a publisher that died mid-write
        leftover.unlink(missing_ok=True)
    published: dict[str, dict[str, int]] = {}
    for meta_path in sorted(loaded_dir(settings).glob("*/*/meta.json")):
        folder = meta_path.parent
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        night, name = meta["night"], meta["run_id"].replace(":", "_")
        table = get_source(meta["kind"], meta["source"]).kind.table
        counts = published.setdefault(night, {})
        good = pd.read_parquet(folder / "good.parquet")
        if len(good):
            rows = _warehouse_rows(settings, meta, good)
            _write(rows, partition(settings, table, night) / f"{name}.parquet")
            counts[table] = counts.get(table, 0) + rows.num_rows
        quarantined = pd.read_parquet(folder / "quarantine.parquet")
        if len(quarantined):
            quarantined = quarantined.assign(
                run_id=meta["run_id"], kind=meta["kind"], source=meta["source"], file=meta["file"]
            )
            _write(pa.Table.from_pandas(quarantined, preserve_index=False),
                   partition(settings, "quarantine", night) / f"{name}.parquet")  # fmt: skip
            counts["quarantine"] = counts.get("quarantine", 0) + len(quarantined)
        shutil.rmtree(folder)
    for night_dir in loaded_dir(settings).glob("*"):
        with contextlib.suppress(OSError):  # not empty (a load may just have handed a file over)
            night_dir.rmdir()
    return published
