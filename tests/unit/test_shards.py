"""Scoring shards: every pending text lands in exactly one shard, and a backlog too large for Airflow's
mapping limit gets bigger shards instead of more of them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.ingest import ingest_file
from pipeline.scoring import shards
from pipeline.settings import Settings


def _pending_reviews(tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, n: int) -> None:
    rows = "".join(f"r{i},p1,u{i},4,Ok,Review number {i} is fine,2026-11-19,en\n" for i in range(n))
    path = tmp_path / "reviews.csv"
    path.write_text("review_id,product_id,reviewer_id,rating,title,text,review_date,language\n" + rows)
    ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=date(2026, 11, 20))
    con.close()


def _ids(paths: list[str]) -> list[str]:
    return sorted(pd.concat([pd.read_parquet(p) for p in paths])["record_id"])


def test_every_pending_text_is_in_exactly_one_shard(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    _pending_reviews(tmp_path, settings, con, 7)
    paths = shards.plan_shards(settings, "2026-11-20", shard_rows=3)
    assert [len(pd.read_parquet(p)) for p in paths] == [3, 3, 1]
    assert _ids(paths) == sorted(f"r{i}" for i in range(7))


def test_the_shard_size_is_a_setting_and_a_bad_one_is_a_clear_error(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    _pending_reviews(tmp_path, settings, con, 7)
    sized = Settings.from_env({"REVIEWPULSE_HOME": str(settings.home), "REVIEWPULSE_SHARD_ROWS": "4"})
    paths = shards.plan_shards(sized, "2026-11-20")
    assert [len(pd.read_parquet(p)) for p in paths] == [4, 3]
    assert _ids(paths) == sorted(f"r{i}" for i in range(7))
    for bad in ("0", "-3", "lots", "2.5"):
        with pytest.raises(ConfigError, match="REVIEWPULSE_SHARD_ROWS"):
            Settings.from_env({"REVIEWPULSE_HOME": str(settings.home), "REVIEWPULSE_SHARD_ROWS": bad})


def test_a_backlog_past_the_mapping_limit_gets_bigger_shards(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "MAX_SHARDS", 3)
    _pending_reviews(tmp_path, settings, con, 10)
    paths = shards.plan_shards(settings, "2026-11-20", shard_rows=2)
    assert len(paths) == 3 and [len(pd.read_parquet(p)) for p in paths] == [4, 4, 2]
    assert _ids(paths) == sorted(f"r{i}" for i in range(10))
