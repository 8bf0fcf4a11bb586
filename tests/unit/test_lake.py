"""The lake export: each night's records as Hive-partitioned Parquet that DuckDB reads back as one table,
replaced as a whole when a night is exported again; the nights come from the asset events."""

from __future__ import annotations

import types
from datetime import date
from pathlib import Path

import duckdb

from pipeline import lake
from pipeline.ingest import ingest_file
from pipeline.settings import Settings

HEADER = "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"


def _load(con: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path, night: str, rows: str) -> None:
    path = tmp_path / f"reviews-{night}.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=date.fromisoformat(night))


def test_each_night_becomes_a_partition_that_reads_back_as_one_table(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    _load(con, settings, tmp_path, "2026-11-20", "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n"
          "r2,p1,u2,9,Bad,Too many stars,2026-11-19,en\n")  # fmt: skip
    _load(con, settings, tmp_path, "2026-11-21", "r3,p2,u3,2,Meh,Broke in a week,2026-11-20,en\n")
    con.close()

    first = lake.export_night(settings, "2026-11-20")
    second = lake.export_night(settings, "2026-11-21")

    assert first == {"reviews": 2 - 1, "seller_feedback": 0, "survey_responses": 0, "quarantine": 1}
    assert second["reviews"] == 1 and second["quarantine"] == 0
    assert not (settings.home / "lake" / "seller_feedback").exists()  # nothing seen: no empty files
    pattern = str(settings.home / "lake" / "reviews" / "*" / "*.parquet")
    with duckdb.connect() as reader:
        rows = reader.execute(
            f"select night, review_id from read_parquet('{pattern}', hive_partitioning = true) order by 2"
        ).fetchall()
    assert [(str(n), r) for n, r in rows] == [("2026-11-20", "r1"), ("2026-11-21", "r3")]


def test_exporting_a_night_again_replaces_its_partition(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    _load(con, settings, tmp_path, "2026-11-20", "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n")
    lake.export_night(settings, "2026-11-20")
    # a late file of the same night: the partition is rewritten with both rows, never appended to
    (tmp_path / "late").mkdir()
    _load(con, settings, tmp_path / "late", "2026-11-20", "r2,p1,u2,4,Ok,Fine,2026-11-19,en\n")
    con.close()
    again = lake.export_night(settings, "2026-11-20")

    files = sorted(
        p.relative_to(settings.home / "lake").as_posix() for p in (settings.home / "lake").rglob("*")
    )
    assert again["reviews"] == 2
    assert files == ["reviews", "reviews/night=2026-11-20", "reviews/night=2026-11-20/part-0.parquet"]
    part = lake.partition(settings, "reviews", "2026-11-20")
    with duckdb.connect() as reader:
        ids = reader.execute(f"select review_id from '{part}' order by 1").fetchall()
    assert ids == [("r1",), ("r2",)]


def test_the_nights_come_from_the_asset_events() -> None:
    def event(extra: dict | None) -> types.SimpleNamespace:
        return types.SimpleNamespace(extra=extra)

    events = {
        "reviews": [event({"night": "2026-11-21", "rows_loaded": 3}), event({"night": "2026-11-20"})],
        "seller_feedback": [event({"night": "2026-11-21"}), event(None), event({})],
    }
    assert lake.nights_from_events(events) == ["2026-11-20", "2026-11-21"]
    assert lake.nights_from_events(None) == [] and lake.nights_from_events({}) == []
