"""mart_cx_metrics on a tiny hand-built warehouse: NPS, CES and CSAT arithmetic, trust weights, dimensions."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipeline.reports.cx import cx_context
from pipeline.reports.marts import load_as_of
from pipeline.settings import Settings
from pipeline.warehouse import run, sql_text

NIGHT = date(2026, 11, 6)
WEEK = date(2026, 11, 2)  # a Monday
LAST_WEEK = date(2026, 10, 26)


def _review(con: duckdb.DuckDBPyConnection, rid: str, product: str, seller: str, channel: str, rating: int,
            day: date, first_seen: date = NIGHT) -> None:  # fmt: skip
    run(
        con,
        "insert into reviews (review_id, source, channel, product_id, product_title, category, seller_id, "
        "rating, text, review_date, content_hash, first_seen, last_seen, ingest_run_id) "
        "values (?, 'generic_csv', ?, ?, ?, 'home', ?, ?, 'text', ?, ?, ?, ?, 'run')",
        [
            rid,
            channel,
            product,
            f"Title of {product}",
            seller,
            rating,
            day,
            f"h-{rid}",
            first_seen,
            first_seen,
        ],
    )


def _feedback(
    con: duckdb.DuckDBPyConnection, fid: str, seller: str, channel: str, rating: int, day: date
) -> None:
    run(
        con,
        "insert into seller_feedback (feedback_id, source, channel, seller_id, rating, feedback_date, "
        "content_hash, first_seen, last_seen, ingest_run_id) "
        "values (?, 'generic_csv', ?, ?, ?, ?, ?, ?, ?, 'run')",
        [fid, channel, seller, rating, day, f"h-{fid}", NIGHT, NIGHT],
    )


def _survey(con: duckdb.DuckDBPyConnection, sid: str, channel: str, nps: int | None, ces: int | None,
            csat: int | None, day: date = WEEK, first_seen: date = NIGHT) -> None:  # fmt: skip
    run(
        con,
        "insert into survey_responses (response_id, source, channel, nps, ces, csat, response_date, "
        "content_hash, first_seen, last_seen, ingest_run_id) "
        "values (?, 'generic_csv', ?, ?, ?, ?, ?, ?, ?, ?, 'run')",
        [sid, channel, nps, ces, csat, day, f"h-{sid}", first_seen, first_seen],
    )


def _fake(con: duckdb.DuckDBPyConnection, rid: str, probability: float, scored: date) -> None:
    run(
        con,
        "insert into fake_scores values ('reviews', 'generic_csv', ?, ?, ?, ?, ?, '', '', 'v')",
        [rid, f"h-{rid}", scored, probability, probability >= 0.5],
    )


@pytest.fixture
def mart(settings: Settings, con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, date], dict[str, Any]]:
    """The hand-built warehouse below, the mart built as of NIGHT, rows keyed by (dimension, value, week)."""
    # web surveys this week: promoters 10, 9, 9; passive 8; detractor 3 -> NPS (3 - 1) / 5 = 40
    # CES answers 1, 2, 3, 7 -> 3.25; CSAT answers 5, 4, 5, 1 -> 3 of 4 satisfied = 0.75
    _survey(con, "w1", "web", 10, 1, 5)
    _survey(con, "w2", "web", 9, 2, 4)
    _survey(con, "w3", "web", 9, None, 5)
    _survey(con, "w4", "web", 8, 3, None)
    _survey(con, "w5", "web", 3, 7, 1)
    _survey(con, "w6", "web", 0, 7, 1, first_seen=date(2026, 11, 7))  # arrives after the night: not counted
    _survey(con, "w0", "web", 10, None, None, day=LAST_WEEK)
    # app surveys this week: one detractor (6) -> NPS -100; CES 4; CSAT 3 -> 0 satisfied
    _survey(con, "a1", "app", None, 4, 3)
    _survey(con, "a2", "app", 6, None, None)
    # ratings this week: p1 (seller s1, web) 5, 4, 2; p2 (seller s2, app) 1; feedback for s1 on web 5
    _review(con, "r1", "p1", "s1", "web", 5, WEEK)
    _review(con, "r2", "p1", "s1", "web", 4, date(2026, 11, 4))
    _review(con, "r3", "p1", "s1", "web", 2, date(2026, 11, 5))
    _review(con, "r4", "p2", "s2", "app", 1, WEEK)
    _review(con, "r5", "p2", "s2", "app", 5, WEEK, first_seen=date(2026, 11, 8))  # after the night
    _feedback(con, "f1", "s1", "web", 5, WEEK)
    # r1's latest fake score as of the night is 0.5 (so its rating counts half); later scores are ignored
    _fake(con, "r1", 0.9, date(2026, 11, 3))
    _fake(con, "r1", 0.5, date(2026, 11, 5))
    _fake(con, "r1", 0.0, date(2026, 11, 9))
    load_as_of(con, settings, NIGHT)
    run(con, sql_text(settings, "marts/mart_cx_metrics"), {"night": NIGHT})
    frame = con.execute("select * from mart_cx_metrics").df()
    return {(r["dimension"], r["dimension_value"], r["week"].date()): r for r in frame.to_dict("records")}


def _none(value: Any) -> bool:
    return value is None or value != value  # NaN from pandas


def test_nps_ces_and_survey_csat_per_channel(mart: dict[tuple[str, str, date], dict[str, Any]]) -> None:
    web = mart[("channel", "web", WEEK)]
    assert (web["survey_n"], web["nps_n"], web["promoters"], web["passives"], web["detractors"]) == (
        5,
        5,
        3,
        1,
        1,
    )
    assert web["nps"] == 40.0
    assert (web["ces_n"], web["ces_mean"]) == (4, 3.25)
    assert (web["survey_csat_n"], web["survey_csat"]) == (4, 0.75)
    app = mart[("channel", "app", WEEK)]
    assert (app["survey_n"], app["nps_n"], app["nps"]) == (2, 1, -100.0)
    assert (app["ces_mean"], app["survey_csat"]) == (4.0, 0.0)
    last_week = mart[("channel", "web", LAST_WEEK)]  # surveys only: no ratings that week
    assert (last_week["survey_n"], last_week["nps"], last_week["n"]) == (1, 100.0, 0)
    assert _none(last_week["avg_rating"]) and _none(last_week["ces_mean"])


def test_overall_combines_every_channel(mart: dict[tuple[str, str, date], dict[str, Any]]) -> None:
    overall = mart[("overall", "all", WEEK)]
    # NPS answers 10, 9, 9, 8, 3, 6: 3 promoters, 2 detractors of 6 -> 16.7
    assert (overall["survey_n"], overall["nps_n"], overall["nps"]) == (7, 6, 16.7)
    assert overall["ces_mean"] == pytest.approx((1 + 2 + 3 + 7 + 4) / 5)
    assert overall["survey_csat"] == pytest.approx(3 / 5)
    # ratings 5, 4, 2, 1 (reviews) and 5 (feedback); r1 weighs 0.5
    assert (overall["n"], overall["review_n"], overall["feedback_n"]) == (5, 4, 1)
    assert overall["avg_rating"] == pytest.approx(3.4)
    assert overall["csat"] == pytest.approx(0.6)
    assert overall["avg_rating_trusted"] == pytest.approx(round(14.5 / 4.5, 3))
    assert overall["csat_trusted"] == pytest.approx(round(2.5 / 4.5, 4))


def test_ratings_by_product_category_seller_and_channel(
    mart: dict[tuple[str, str, date], dict[str, Any]],
) -> None:
    p1 = mart[("product", "p1", WEEK)]
    assert (p1["label"], p1["n"], p1["review_n"], p1["feedback_n"]) == ("Title of p1", 3, 3, 0)
    assert (p1["avg_rating"], p1["csat"]) == (pytest.approx(11 / 3, abs=1e-3), pytest.approx(2 / 3, abs=1e-4))
    assert (p1["avg_rating_trusted"], p1["csat_trusted"]) == (3.4, 0.6)  # (2.5 + 4 + 2) / 2.5, 1.5 / 2.5
    assert p1["survey_n"] == 0 and _none(p1["nps"])  # surveys have no product
    home = mart[("category", "home", WEEK)]
    assert (home["n"], home["avg_rating"], home["csat"]) == (4, 3.0, 0.5)
    s1 = mart[("seller", "s1", WEEK)]  # seller feedback counts for the seller
    assert (s1["n"], s1["review_n"], s1["feedback_n"], s1["avg_rating"], s1["csat"]) == (4, 3, 1, 4.0, 0.75)
    web = mart[("channel", "web", WEEK)]
    assert (web["n"], web["avg_rating"], web["csat"]) == (4, 4.0, 0.75)
    app = mart[("channel", "app", WEEK)]
    assert (app["n"], app["avg_rating"], app["csat"]) == (1, 1.0, 0.0)
    assert set(mart) == {
        ("product", "p1", WEEK), ("product", "p2", WEEK), ("category", "home", WEEK),
        ("seller", "s1", WEEK), ("seller", "s2", WEEK), ("channel", "web", WEEK), ("channel", "app", WEEK),
        ("channel", "web", LAST_WEEK), ("overall", "all", WEEK), ("overall", "all", LAST_WEEK),
    }  # fmt: skip


def test_an_empty_warehouse_gives_an_empty_mart(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    load_as_of(con, settings, NIGHT)
    run(con, sql_text(settings, "marts/mart_cx_metrics"), {"night": NIGHT})
    assert run(con, "select count(*) from mart_cx_metrics") == [(0,)]


def test_report_headline_compares_the_nights_week_with_the_week_before(
    mart: dict[tuple[str, str, date], dict[str, Any]],
) -> None:
    frame = pd.DataFrame(list(mart.values()))
    cx = cx_context(frame, NIGHT)
    headline = cx["cx"]
    assert (headline["week"], headline["previous_week"]) == ("2026-11-02", "2026-10-26")
    nps = headline["nps"]
    assert (nps["value"], nps["n"], nps["previous"], nps["previous_n"]) == (16.7, 6, 100.0, 1)
    assert nps["change"] == pytest.approx(-83.3)
    assert headline["ces_mean"]["value"] == pytest.approx(3.4) and headline["ces_mean"]["change"] is None
    assert headline["csat"]["value"] == pytest.approx(0.6) and headline["csat"]["previous_n"] == 0
    assert [c["channel"] for c in cx["cx_channels"]] == ["app", "web"]
    web = cx["cx_channels"][1]
    assert (web["survey_n"], web["nps"], web["nps_previous"], web["ces_mean"]) == (5, 40.0, 100.0, 3.25)
    chart = cx["cx_nps_chart"]
    assert chart.startswith("<svg") and ">web</text>" in chart and ">app</text>" in chart


def test_report_section_without_surveys_says_so() -> None:
    empty = pd.DataFrame(columns=["dimension", "dimension_value", "week", "nps_n", "survey_n", "nps"])
    cx = cx_context(empty, NIGHT)
    assert cx["cx"]["nps"]["value"] is None and cx["cx"]["nps"]["n"] == 0
    assert "No survey responses" in cx["cx_nps_chart"] and cx["cx_channels"] == []
