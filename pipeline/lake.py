"""Export each night's records to Hive-partitioned Parquet, the layout a data lake reads:

    $REVIEWPULSE_HOME/lake/<table>/night=<YYYY-MM-DD>/part-0.parquet

Tables: ``reviews``, ``seller_feedback``, ``survey_responses`` (the rows seen that night: new, edited, or
seen again) and ``quarantine`` (the rows refused that night, with reasons). DuckDB, Spark or any
lakehouse engine reads the folder as one partitioned table, e.g. in DuckDB
``select * from read_parquet('lake/reviews/*/*.parquet', hive_partitioning = true)``. It is the first step
from one DuckDB file towards Parquet on object storage as the system of record (see ``SCALING.md``).

Run by the ``reviewpulse_lake_export`` DAG, scheduled on the assets the nightly ``load`` publishes, for
the nights named in their events. A night's partition is replaced as a whole, atomically, so exporting
a night again gives the same files.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.settings import Settings
from pipeline.warehouse import connect, sql_text

TABLES = ("reviews", "seller_feedback", "survey_responses", "quarantine")


def lake_dir(settings: Settings) -> Path:
    return settings.home / "lake"


def partition(settings: Settings, table: str, night: str) -> Path:
    return lake_dir(settings) / table / f"night={night}" / "part-0.parquet"


def nights_from_events(events: Any) -> list[str]:
    """The nights named in an asset-triggered run's events (``extra["night"]``), sorted, without repeats.

    ``events`` is Airflow's ``triggering_asset_events`` mapping (asset -> events), or None.
    """
    nights = {
        str(event.extra["night"])
        for asset_events in (events or {}).values()
        for event in asset_events
        if (event.extra or {}).get("night")
    }
    return sorted(nights)


def export_night(settings: Settings, night: str) -> dict[str, int]:
    """Write every table's partition for ``night``; returns rows per table (empty tables get no file)."""
    night = date.fromisoformat(night).isoformat()
    con = connect(settings)
    rows: dict[str, int] = {}
    try:
        for table in TABLES:
            frame = con.sql(
                sql_text(settings, f"core/lake_{table}"), params={"night": night}
            ).to_arrow_table()
            assert frame is not None, "a select always has a result"
            target = partition(settings, table, night)
            rows[table] = frame.num_rows
            if frame.num_rows == 0:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".parquet.tmp")
            pq.write_table(frame, tmp)
            os.replace(tmp, target)
    finally:
        con.close()
    return rows


def export_nights(settings: Settings, nights: list[str]) -> dict[str, dict[str, int]]:
    """``export_night`` for each night; rows per night and table."""
    return {night: export_night(settings, night) for night in nights}
