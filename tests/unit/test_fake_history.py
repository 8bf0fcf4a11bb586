"""Fake scores over the warehouse keep history: a burst forming later rescores an older review."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.fake.detect import detect_fakes
from pipeline.settings import Settings
from pipeline.warehouse import connect, run

NIGHT_1, NIGHT_2 = "2026-03-10", "2026-03-11"


def _add_reviews(settings: Settings, night: str, rows: list[tuple[str, str, date]]) -> None:
    """Reviews (id, product, posted) as the merge would leave them: one account each, verified, 4★."""
    con = connect(settings)
    try:
        for review_id, product, posted in rows:
            run(
                con,
                "insert into reviews (review_id, source, product_id, reviewer_key, rating, text, "
                "review_date, verified_purchase, content_hash, first_seen, last_seen, ingest_run_id) "
                "values (?, 'shop', ?, ?, 4, ?, ?, true, ?, ?, ?, 'test')",
                [review_id, product, f"acct-{review_id}", f"fine product number {review_id}", posted,
                 f"hash-{review_id}", night, night],
            )  # fmt: skip
    finally:
        con.close()


def _history(settings: Settings, review_id: str) -> list[tuple[str, float, str]]:
    con = connect(settings, read_only=True)
    try:
        rows = run(
            con,
            "select cast(scored_night as varchar), fake_probability, fake_reasons from fake_scores "
            "where record_id = ? order by scored_night",
            [review_id],
        )
    finally:
        con.close()
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", progress=False)


def test_a_burst_forming_later_adds_a_history_row_to_the_older_review(settings: Settings) -> None:
    start = date(2026, 2, 1)
    steady = [(f"p-{i}", "prod-p", start + timedelta(days=3 * i)) for i in range(10)]
    steady += [(f"q-{i}", f"prod-q{i % 3}", start + timedelta(days=2 * i)) for i in range(15)]
    _add_reviews(settings, NIGHT_1, [*steady, ("old", "prod-p", date(2026, 3, 9))])
    first = detect_fakes(settings, NIGHT_1)
    assert first["scored"] == 26 and first["changed"] == 26
    ((night, before, reasons_before),) = _history(settings, "old")
    assert night == NIGHT_1 and "within a few days" not in reasons_before

    # the next night brings six more reviews of the same product around the older review's day
    _add_reviews(settings, NIGHT_2, [(f"burst-{i}", "prod-p", date(2026, 3, 9 + i % 2)) for i in range(6)])
    detect_fakes(settings, NIGHT_2)
    history = _history(settings, "old")
    assert [h[0] for h in history] == [NIGHT_1, NIGHT_2]  # the first score is kept as history
    assert history[1][1] > before
    assert "one of 7 reviews of this product within a few days" in history[1][2]
    untouched = _history(settings, "q-0")
    assert [h[0] for h in untouched] == [NIGHT_1]  # nothing changed for it: no new row


def test_rerunning_nights_keeps_the_history_as_it_was(settings: Settings) -> None:
    start = date(2026, 2, 1)
    _add_reviews(settings, NIGHT_1, [(f"p-{i}", "prod-p", start + timedelta(days=3 * i)) for i in range(8)])
    detect_fakes(settings, NIGHT_1)
    _add_reviews(settings, NIGHT_2, [(f"burst-{i}", "prod-p", date(2026, 2, 22)) for i in range(6)])
    detect_fakes(settings, NIGHT_2)
    con = connect(settings, read_only=True)
    try:
        before = run(con, "select * from fake_scores order by all")
    finally:
        con.close()
    assert "skipped" in detect_fakes(settings, NIGHT_1)  # later history is built on it: left alone
    assert detect_fakes(settings, NIGHT_2)["changed"] > 0
    con = connect(settings, read_only=True)
    try:
        assert run(con, "select * from fake_scores order by all") == before
    finally:
        con.close()
