"""Every adapter on the real exports in ../shared/data: counts, mapping and quarantine reasons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import ingest_file
from pipeline.settings import Settings
from pipeline.warehouse import run

pytestmark = pytest.mark.integration
NIGHT = date(2026, 11, 1)


def _load(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path, fmt: str, kind: str = "reviews"):
    result = ingest_file(con, settings, path, fmt=fmt, kind=kind, night=NIGHT)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert result.validation["unused_columns"] == []  # every column of a real export read or knowingly not
    return result


def test_amazon2018_quarantines_the_dump_duplicates_and_empty_texts(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = shared_data / "marketplace" / "amazon2018_all_beauty_5core.jsonl"
    result = _load(con, settings, path, "amazon2018")
    assert result.rows_read == 5269
    # The 2018 dump repeats reviews once per product variant: same reviewer, product and time.
    assert result.quarantine_by_reason["duplicate_id"] > 1000
    assert result.quarantine_by_reason["empty_text"] == 5
    row = run(
        con,
        "select channel, language, rating, review_date from reviews where product_id = 'B0000530HU' "
        "order by review_date limit 1",
    )[0]
    assert row[0] == "amazon" and row[1] == "en" and 1 <= row[2] <= 5
    names = run(con, 'select count(*) from quarantine where raw_record like \'%"reviewerName": "Shelly F"%\'')
    assert names[0][0] == 0  # reviewer names are redacted from the quarantine's raw records


def test_amazon2023_uses_parent_asin_and_millisecond_dates(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    result = _load(con, settings, shared_data / "marketplace" / "amazon2023_sports_sample.csv", "amazon2023")
    assert result.rows_read == 10000 and result.rows_loaded >= 9980
    got = run(
        con, "select product_id, review_date, verified_purchase from reviews where title = 'Great Wraps'"
    )
    assert got[0] == ("B00PD09ASU", date(2021, 7, 29), True)  # 1627580309240 ms, UTC


@pytest.mark.parametrize(
    "file,fmt,lang", [("marc_es.csv", "marc", "es"), ("marc_en.jsonl", "marc_jsonl", "en")]
)
def test_marc_keeps_language_and_category(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection, file: str, fmt: str, lang: str
) -> None:
    result = _load(con, settings, shared_data / "sentiment" / file, fmt)
    assert result.rows_quarantined == 0
    langs = run(con, "select distinct language from reviews")
    assert langs == [(lang,)]
    # MARC has no dates: the landing night stands in for the review date.
    assert run(con, "select distinct review_date from reviews") == [(NIGHT,)]
    assert run(con, "select count(distinct category) from reviews")[0][0] > 5


def test_finefood(shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    result = _load(
        con, settings, shared_data / "marketplace" / "amazon_finefood_sample.csv", "amazon_finefood"
    )
    assert result.rows_loaded == 1000
    assert run(con, "select review_id, product_id, rating from reviews where review_id = '165257'") == [
        ("165257", "B000EVG8J2", 5)
    ]


def test_olist_feedback_joins_sellers_through_order_items(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = shared_data / "marketplace" / "olist" / "olist_order_reviews_dataset.csv"
    result = _load(con, settings, path, "olist", kind="seller_feedback")
    assert result.rows_read == 6123 and result.rows_quarantined == 0
    joined, with_comment = run(con, "select count(seller_id), count(comment) from seller_feedback")[0]
    assert 250 <= joined <= 400  # the public sample's tables were cut separately: ~300 reviews join
    assert with_comment > 2000
    assert run(con, "select distinct language, channel from seller_feedback") == [("pt", "olist")]


def test_olist_without_side_tables_loads_with_unknown_seller(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lone = tmp_path / "olist_order_reviews_dataset.csv"
    lone.write_bytes((shared_data / "marketplace" / "olist" / "olist_order_reviews_dataset.csv").read_bytes())
    result = _load(con, settings, lone, "olist", kind="seller_feedback")
    assert result.rows_loaded == 6123
    assert run(con, "select count(seller_id) from seller_feedback")[0][0] == 0


def test_wrong_format_for_a_real_file_fails_with_one_line(
    shared_data: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    from pipeline.errors import BatchError

    with pytest.raises(BatchError) as info:
        ingest_file(
            con,
            settings,
            shared_data / "sentiment" / "marc_es.csv",
            fmt="amazon2023",
            kind="reviews",
            night=NIGHT,
        )
    assert "\n" not in str(info.value) and "required columns missing" in str(info.value)
    assert run(con, "select count(*) from reviews")[0][0] == 0
