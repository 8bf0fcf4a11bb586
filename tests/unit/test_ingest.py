"""Ingest: rows in = loaded + quarantined, idempotent reloads, edits, transactions, batch errors, PII."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline import nightly
from pipeline.errors import BatchError
from pipeline.ingest import ingest_file
from pipeline.settings import Settings
from pipeline.warehouse import run, sql_text, table_counts

NIGHT = date(2026, 11, 3)
HEADER = ["review_id", "product_id", "reviewer_id", "rating", "title", "text", "review_date", "language"]


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _good(i: int, text: str = "Great blender, works well") -> list[str]:
    return [f"r{i}", "p1", f"user{i}", "5", "Nice", text, "2026-11-01", "en"]


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return table_counts(con, ("reviews", "seller_feedback", "ingest_runs", "quarantine"))


def test_every_bad_row_is_quarantined_with_its_reason(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(
        tmp_path / "reviews.csv",
        [
            _good(1),
            ["r2", "p1", "u2", "7", "", "Too many stars", "2026-11-01", "en"],
            ["r3", "p1", "u3", "five", "", "Not a number", "2026-11-01", "en"],
            ["r4", "p1", "u4", "4", "", "   ", "2026-11-01", "en"],
            ["r5", "p1", "u5", "4", "", "Bad date", "last tuesday", "en"],
            ["", "p1", "u6", "4", "", "No id", "2026-11-01", "en"],
            ["r1", "p1", "u7", "3", "", "Same id again", "2026-11-01", "en"],
            _good(8, 'Quote "x", <b>html</b>, newline\nand \'; DROP TABLE reviews; --'),
        ],
    )
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 2, 6)
    rows = run(con, "select record_no, reason_code, reason from quarantine order by record_no")
    assert [(r[0], r[1]) for r in rows] == [
        (2, "bad_rating"),
        (3, "bad_rating"),
        (4, "empty_text"),
        (5, "bad_date"),
        (6, "missing_id"),
        (7, "duplicate_id"),
    ]
    reasons = {r[0]: r[2] for r in rows}
    assert "'7' is not a whole number from 1 to 5" in reasons[2]
    assert "'five' is not a number" in reasons[3]
    assert "'last tuesday' is not a date" in reasons[5]
    assert "repeats record 1" in reasons[7]
    stored = run(con, "select text from reviews where review_id = 'r8'")[0][0]
    assert stored == 'Quote "x", <b>html</b>, newline\nand \'; DROP TABLE reviews; --'
    raw = run(con, "select raw_record from quarantine where record_no = 2")[0][0]
    assert raw.startswith("r2,p1,u2,7,")
    summary = run(con, "select validation_summary->>'$.rows_quarantined' from ingest_runs")[0][0]
    assert summary == "6"


def test_a_repeated_id_keeps_its_first_good_row_when_the_first_is_bad(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """An export that repeats a bad row as a corrected one: the correction loads (both were quarantined,
    and no row of the id was kept); rows after the kept one are still duplicates."""
    path = _write_csv(
        tmp_path / "reviews.csv",
        [
            ["r1", "p1", "u1", "5", "", "   ", "2026-11-01", "en"],
            ["r1", "p1", "u1", "5", "", "Corrected text", "2026-11-01", "en"],
            ["r1", "p1", "u1", "4", "", "Third copy", "2026-11-01", "en"],
            ["r2", "p1", "u2", "9", "", "Bad stars", "2026-11-01", "en"],
            ["r2", "p1", "u2", "8", "", "Still bad", "2026-11-01", "en"],
        ],
    )
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 1, 4)
    assert run(con, "select review_id, text from reviews") == [("r1", "Corrected text")]
    rows = run(con, "select record_no, reason from quarantine order by record_no")
    assert [r[0] for r in rows] == [1, 3, 4, 5]
    reasons = dict(rows)
    assert reasons[1] == "text is empty" and "repeats record 2 of this file" in reasons[3]
    assert "repeats record 4 of this file" in reasons[5]  # no good row: the first is the one kept


def test_same_file_twice_changes_nothing(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(
        tmp_path / "reviews.csv", [_good(1), _good(2), ["r3", "p", "u", "9", "", "x", "2026-11-01", ""]]
    )
    first = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    before = _counts(con)
    snapshot = run(con, "select * from reviews order by review_id")
    second = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert first.status == "succeeded" and second.status == "skipped"
    assert _counts(con) == before == {"reviews": 2, "seller_feedback": 0, "ingest_runs": 1, "quarantine": 1}
    assert run(con, "select * from reviews order by review_id") == snapshot


def test_a_re_export_logs_its_bad_row_again_and_the_reasons_mart_counts_it_once(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """The quarantine is a log per load (each run's rows add up); the mart that the report shows counts
    records, so a bad row that every later export repeats does not grow it night after night. Two
    identical bad rows of one file are two records."""
    bad = ["r3", "p", "u", "9", "", "x", "2026-11-01", ""]
    _write_csv(tmp_path / "a.csv", [_good(1), bad, bad])
    _write_csv(tmp_path / "b.csv", [_good(1), _good(2), bad])
    for name, night in (("a.csv", NIGHT), ("b.csv", date(2026, 11, 4))):
        ingest_file(con, settings, tmp_path / name, fmt="generic_csv", kind="reviews", night=night)
    assert run(con, "select count(*) from quarantine") == [(3,)]  # twice from a.csv, once from b.csv
    run(con, sql_text(settings, "marts/mart_quarantine_reasons"), {"night": date(2026, 11, 4)})
    assert run(con, "select reason_code, n, rejections from mart_quarantine_reasons") == [
        ("bad_rating", 2, 3)
    ]


def test_a_later_night_repeating_an_earlier_file_verbatim_is_that_nights_word(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """A file's identity includes its night: the same bytes on a later night (an export that reverts an
    edit) were skipped as already loaded, and the stored row kept the edit the export had undone."""
    original = _write_csv(tmp_path / "a.csv", [_good(1, "First words"), _good(2)])
    ingest_file(con, settings, original, fmt="generic_csv", kind="reviews", night=NIGHT)
    edit = _write_csv(tmp_path / "b.csv", [_good(1, "Edited words"), _good(2)])
    ingest_file(con, settings, edit, fmt="generic_csv", kind="reviews", night=date(2026, 11, 4))
    result = ingest_file(con, settings, original, fmt="generic_csv", kind="reviews", night=date(2026, 11, 5))
    assert (result.status, result.rows_changed, result.rows_unchanged) == ("succeeded", 1, 1)
    query = "select review_id, text, content_version, last_seen from reviews order by 1"
    assert run(con, query) == [("r1", "First words", 3, date(2026, 11, 5)),
                               ("r2", "Great blender, works well", 1, date(2026, 11, 5))]  # fmt: skip
    assert run(con, "select count(*) from reviews") == [(2,)]  # nothing doubled


def test_edited_review_updates_row_and_marks_for_rescoring(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    run(con, "select 1")
    ingest_file(
        con,
        settings,
        _write_csv(tmp_path / "a.csv", [_good(1), _good(2)]),
        fmt="generic_csv",
        kind="reviews",
        night=NIGHT,
    )
    run(con, "update reviews set needs_scoring = false")  # as if the scorer had scored them
    edited = _good(1, "Broke after a week, disappointed")
    edited[3] = "2"
    later = date(2026, 11, 4)
    result = ingest_file(
        con,
        settings,
        _write_csv(tmp_path / "b.csv", [edited, _good(2)]),
        fmt="generic_csv",
        kind="reviews",
        night=later,
    )
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (0, 1, 1)
    rows = run(
        con,
        "select review_id, rating, text, content_version, needs_scoring, first_seen, last_seen "
        "from reviews order by review_id",
    )
    assert rows[0] == ("r1", 2, "Broke after a week, disappointed", 2, True, NIGHT, later)
    assert rows[1] == ("r2", 5, "Great blender, works well", 1, False, NIGHT, later)


def test_a_correction_outside_the_content_is_stored_without_rescoring(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """A later export that corrects the seller, the verified flag or the votes (the fake signals read the
    flag) was counted unchanged and thrown away; it is stored, and the text is not scored again."""
    header = [*HEADER, "seller_id", "verified_purchase", "helpful_votes"]
    unchanged = [*_good(2), "s", "true", "0"]
    first = _write_csv(tmp_path / "a.csv", [[*_good(1), "sellerA", "false", "1"], unchanged], header)
    ingest_file(con, settings, first, fmt="generic_csv", kind="reviews", night=NIGHT)
    run(con, "update reviews set needs_scoring = false")  # as if the scorer had scored them
    later = date(2026, 11, 4)
    second = _write_csv(tmp_path / "b.csv", [[*_good(1), "sellerB", "true", "50"], unchanged], header)
    result = ingest_file(con, settings, second, fmt="generic_csv", kind="reviews", night=later)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (0, 1, 1)
    rows = run(con, "select review_id, seller_id, verified_purchase, helpful_votes, content_version, "
                    "needs_scoring, last_seen from reviews order by review_id")  # fmt: skip
    assert rows == [("r1", "sellerB", True, 50, 1, False, later), ("r2", "s", True, 0, 1, False, later)]
    older = _write_csv(tmp_path / "c.csv", [[*_good(1), "sellerA", "false", "1"]], header)
    ingest_file(con, settings, older, fmt="generic_csv", kind="reviews", night=NIGHT)  # an older night's file
    assert run(con, "select seller_id from reviews where review_id = 'r1'") == [("sellerB",)]
    # a later export without those columns gives no value for them: the stored ones stay
    lacking = _write_csv(tmp_path / "d.csv", [_good(1)], HEADER)
    result = ingest_file(con, settings, lacking, fmt="generic_csv", kind="reviews", night=date(2026, 11, 5))
    assert (result.rows_changed, result.rows_unchanged) == (0, 1)
    kept = "select seller_id, verified_purchase, helpful_votes from reviews where review_id = 'r1'"
    assert run(con, kept) == [("sellerB", True, 50)]


def test_an_edit_from_a_file_lacking_optional_columns_keeps_their_stored_values(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """A file without a column says nothing about it: an edited text must not erase the review's seller,
    flag or votes, and a feedback file without the yes/no columns is no edit of them (they are part of
    its content)."""
    header = [*HEADER, "seller_id", "channel", "category", "verified_purchase", "helpful_votes"]
    first = _write_csv(tmp_path / "a.csv", [[*_good(1), "s1", "web", "shoes", "yes", "3"]], header)
    ingest_file(con, settings, first, fmt="generic_csv", kind="reviews", night=NIGHT)
    edited = _write_csv(tmp_path / "b.csv", [_good(1, "Broke after a week")])
    result = ingest_file(con, settings, edited, fmt="generic_csv", kind="reviews", night=date(2026, 11, 4))
    assert (result.rows_changed, result.rows_unchanged) == (1, 0)
    query = (
        "select text, title, seller_id, channel, category, verified_purchase, helpful_votes, content_version "
    )
    assert run(con, query + "from reviews") == [
        ("Broke after a week", "Nice", "s1", "web", "shoes", True, 3, 2)
    ]

    base = ["feedback_id", "seller_id", "order_id", "reviewer_id", "rating", "comment", "feedback_date"]
    row = ["f1", "s1", "o1", "u1", "4", "Fast", "2026-11-01"]
    full = _write_csv(tmp_path / "f1.csv", [[*row, "Good", "yes", "no", "yes"]],
                      [*base, "title", "arrived_on_time", "item_as_described", "service_ok"])  # fmt: skip
    ingest_file(con, settings, full, fmt="generic_csv", kind="seller_feedback", night=NIGHT)
    run(con, "update seller_feedback set needs_scoring = false")
    bare = _write_csv(tmp_path / "f2.csv", [row], base)
    result = ingest_file(
        con, settings, bare, fmt="generic_csv", kind="seller_feedback", night=date(2026, 11, 4)
    )
    assert (result.rows_changed, result.rows_unchanged) == (0, 1)
    query = "select title, arrived_on_time, item_as_described, service_ok, content_version, needs_scoring "
    assert run(con, query + "from seller_feedback") == [("Good", True, False, True, 1, False)]


def test_a_source_without_dates_keeps_a_reviews_first_night_when_re_exported(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """MARC has no dates, so a review is dated by the night it landed. A later export holding it again
    (with one new review) moved it to that night and counted it as an edit, to be scored again."""
    header = ["review_id", "product_id", "reviewer_id", "stars", "review_body", "review_title", "language"]
    rows = [["m1", "p1", "u1", "5", "Great thing, works", "Nice", "en"]]
    ingest_file(con, settings, _write_csv(tmp_path / "a.csv", rows, header), fmt="marc", kind="reviews",
                night=NIGHT)  # fmt: skip
    later = date(2026, 11, 9)
    more = [*rows, ["m2", "p1", "u2", "4", "Fine thing", "Ok", "en"]]
    result = ingest_file(con, settings, _write_csv(tmp_path / "b.csv", more, header), fmt="marc",
                         kind="reviews", night=later)  # fmt: skip
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (1, 0, 1)
    dates = run(con, "select review_id, review_date, content_version from reviews order by 1")
    assert dates == [("m1", NIGHT, 1), ("m2", later, 1)]
    edited = [["m1", "p1", "u1", "2", "Broke the next day", "Nice", "en"]]  # an edit keeps the date too
    ingest_file(con, settings, _write_csv(tmp_path / "c.csv", edited, header), fmt="marc", kind="reviews",
                night=date(2026, 11, 10))  # fmt: skip
    assert run(con, "select review_date, content_version from reviews where review_id = 'm1'") == [(NIGHT, 2)]


def test_a_date_without_its_day_far_in_the_past_or_after_the_night_is_a_bad_date(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """``2026-11`` was stored as the first of the month, ``2099-01-01`` put a review into a week of 2099 in
    the marts, and ``1900-01-01`` is a placeholder; a date up to two days after the night is time zones."""
    dates = ["2026-11", "2099-01-01", "1900-01-01", "2026-11-05", "2026-11-06"]
    rows = [[f"r{i}", "p1", f"u{i}", "5", "", "Fine", d, "en"] for i, d in enumerate(dates, start=1)]
    result = ingest_file(con, settings, _write_csv(tmp_path / "r.csv", rows), fmt="generic_csv",
                         kind="reviews", night=NIGHT)  # fmt: skip
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    assert run(con, "select review_id, review_date from reviews") == [("r4", date(2026, 11, 5))]
    assert dict(run(con, "select record_no, reason from quarantine where reason_code = 'bad_date'")) == {
        1: "review_date '2026-11' is not a date",
        2: "review_date '2099-01-01' is more than 2 days after the file's night 2026-11-03",
        3: "review_date '1900-01-01' is before 1990-01-01",
        5: "review_date '2026-11-06' is more than 2 days after the file's night 2026-11-03",
    }


def test_columns_the_format_reads_nothing_from_are_named(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """A misspelt optional column (``Language``) was lost without a word; it is named, with the column it
    resembles, in the run's record."""
    path = _write_csv(
        tmp_path / "r.csv", [[*_good(1)[:-1], "es", "red"]], [*HEADER[:-1], "Language", "sku_color"]
    )
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert result.validation["unused_columns"] == ["Language (the format reads language)", "sku_color"]
    stored = run(con, "select validation_summary->'$.unused_columns' from ingest_runs")[0][0]
    assert json.loads(stored) == result.validation["unused_columns"]
    assert nightly.unread_columns([result.to_dict()]) == [
        "r.csv: Language (the format reads language), sku_color"
    ]
    clean = _write_csv(tmp_path / "clean.csv", [_good(2)])
    assert (
        ingest_file(con, settings, clean, fmt="generic_csv", kind="reviews", night=NIGHT).validation[
            "unused_columns"
        ]
        == []
    )


def test_an_older_nights_file_loaded_late_moves_first_seen_back_and_keeps_the_newer_row(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """The marts show a record from its ``first_seen`` on: a night loaded late (a backfill) must count the
    records it holds as seen that night, or that night's report leaves them out."""
    later, earlier = date(2026, 11, 5), NIGHT
    newer = _write_csv(tmp_path / "n5.csv", [_good(1, "Newer text"), _good(2)])
    ingest_file(con, settings, newer, fmt="generic_csv", kind="reviews", night=later)
    older = _write_csv(tmp_path / "n3.csv", [_good(1, "Older text")])
    result = ingest_file(con, settings, older, fmt="generic_csv", kind="reviews", night=earlier)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (0, 0, 1)
    query = "select review_id, text, first_seen, last_seen, content_version from reviews order by 1"
    assert run(con, query) == [("r1", "Newer text", earlier, later, 1), ("r2", "Great blender, works well",
                                                                          later, later, 1)]  # fmt: skip


def test_one_order_rated_in_two_sellers_seller_central_reports_is_two_feedbacks(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """An order with items from two sellers gets feedback for each; its id came from the order alone, so
    the second seller's report overwrote the first's feedback."""
    header = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\tArrived on time\t" \
             "Item as described\tCustomer service\n"  # fmt: skip
    for seller, rating, comment in (
        ("SELLERA", 5, "fast shipping from A"),
        ("SELLERB", 1, "B never shipped"),
    ):
        path = tmp_path / f"{seller}.txt"
        row = f"11/01/26\t{rating}\t{comment}\t\t111-2222222-3333333\tx@example.com\tYes\tYes\tYes\n"
        path.write_text(header + row, encoding="utf-8")
        result = ingest_file(
            con, settings, path, fmt="amazon_seller_central", kind="seller_feedback", night=NIGHT
        )
        assert result.rows_new == 1
    rows = run(con, "select seller_id, order_id, rating, comment from seller_feedback order by 1")
    assert rows == [("SELLERA", "111-2222222-3333333", 5, "fast shipping from A"),
                    ("SELLERB", "111-2222222-3333333", 1, "B never shipped")]  # fmt: skip


def test_text_of_only_invisible_characters_is_empty(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """Zero-width spaces, a byte-order mark or a control character are no review: nothing to read."""
    path = _write_csv(
        tmp_path / "reviews.csv",
        [
            ["r1", "p1", "u1", "5", "", "\u200b\u200d \ufeff", "2026-11-01", "en"],
            ["r2", "p1", "u2", "5", "", "\x07\u2060", "2026-11-01", "en"],
            ["r3", "p1", "u3", "5", "", "\u200b\U0001f44d", "2026-11-01", "en"],
            ["r4", "p1", "u4", "5", "", "\u3164\u3164 \u2800", "2026-11-01", "en"],  # Hangul filler, braille
            ["r5", "p1", "u5", "5", "", "\ufe0f\u034f", "2026-11-01", "en"],  # marks on nothing
        ],
    )
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    assert run(con, "select record_no, reason_code from quarantine order by 1") == [
        (1, "empty_text"),
        (2, "empty_text"),
        (4, "empty_text"),
        (5, "empty_text"),
    ]
    assert run(con, "select review_id from reviews") == [("r3",)]  # an emoji is something to read


def test_a_yes_no_or_count_value_that_does_not_parse_is_quarantined_not_nulled(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    """Storing ``maybe`` as an unknown flag would lose what the export said without a word; the
    markers an export writes for "no answer" (``-``, ``N/A``) stay unknown."""
    header = ["feedback_id", "seller_id", "order_id", "reviewer_id", "rating", "comment", "feedback_date",
              "arrived_on_time", "item_as_described"]  # fmt: skip
    rows = [
        ["f1", "s1", "o1", "u1", "4", "Fast", "2026-11-01", "yes", "-"],
        ["f2", "s1", "o2", "u2", "4", "Fast", "2026-11-01", "maybe", "no"],
        ["f3", "s1", "o3", "u3", "2", "", "2026-11-01", "N/A", "sort of"],
        ["f4", "s1", "o4", "u4", "2", "", "2026-11-01", "0.0", "nan"],  # pandas' floats and missing value
    ]
    path = _write_csv(tmp_path / "s1.csv", rows, header)
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="seller_feedback", night=NIGHT)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    query = "select feedback_id, arrived_on_time, item_as_described from seller_feedback order by 1"
    assert run(con, query) == [("f1", True, None), ("f4", False, None)]
    reasons = dict(run(con, "select record_no, reason from quarantine where reason_code = 'bad_value'"))
    assert reasons == {
        2: "arrived_on_time 'maybe' is not yes/no",
        3: "item_as_described 'sort of' is not yes/no",
    }
    path = _write_csv(
        tmp_path / "reviews.csv",
        [_good(1) + ["2"], _good(2) + ["a few"], _good(3) + ["-1"], _good(4) + [""], _good(5) + ["1,5"],
         _good(6) + ["1,234"]],
        HEADER + ["helpful_votes"],
    )  # fmt: skip
    result = ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 3)
    stored = run(con, "select review_id, helpful_votes from reviews order by 1")
    assert stored == [("r1", 2), ("r4", None), ("r6", 1234)]
    query = "select reason from quarantine where reason like 'helpful%' order by record_no"
    assert run(con, query) == [
        ("helpful_votes 'a few' is not a whole count of 0 or more",),
        ("helpful_votes '-1' is not a whole count of 0 or more",),
        ("helpful_votes '1,5' is not a whole count of 0 or more",),  # a decimal comma, not 15
    ]


def test_a_seller_feedback_correction_of_its_seller_is_stored(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    header = ["feedback_id", "seller_id", "order_id", "reviewer_id", "rating", "comment", "feedback_date"]
    for night, seller in ((NIGHT, "sellerA"), (date(2026, 11, 4), "sellerB")):
        path = _write_csv(tmp_path / f"{seller}.csv", [["f1", seller, "o1", "u1", "4", "Fast", "2026-11-01"]],
                          header)  # fmt: skip
        result = ingest_file(con, settings, path, fmt="generic_csv", kind="seller_feedback", night=night)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (0, 1, 0)
    assert run(con, "select seller_id, content_version from seller_feedback") == [("sellerB", 1)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"review_id": "r1", "text": "cut\n[1, 2]\n',
         r"no readable record: all 2 lines were rejected, the first \(line 1\) as broken JSON line"),
        ("\n  \n", "file is empty"),
    ],
)  # fmt: skip
def test_a_jsonl_file_without_one_readable_line_says_why(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, content: str, message: str
) -> None:
    """It said 'required columns missing: review_id, ...', which sends the reader to the wrong fix."""
    path = tmp_path / "r.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        ingest_file(con, settings, path, fmt="generic_jsonl", kind="reviews", night=NIGHT)
    assert run(con, "select status from ingest_runs") == [("failed",)]


def test_missing_required_column_fails_whole_file(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    header = [h for h in HEADER if h != "rating"]
    path = _write_csv(
        tmp_path / "r.csv", [[v for h, v in zip(HEADER, _good(1), strict=True) if h != "rating"]], header
    )
    with pytest.raises(BatchError, match="required column missing for format generic_csv: rating"):
        ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert _counts(con) == {"reviews": 0, "seller_feedback": 0, "ingest_runs": 1, "quarantine": 0}
    status, error = run(con, "select status, error from ingest_runs")[0]
    assert status == "failed" and "rating" in error
    with pytest.raises(BatchError):  # a second attempt is counted, not duplicated
        ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=NIGHT)
    assert run(con, "select count(*), max(attempts) from ingest_runs")[0] == (1, 2)


def test_unknown_format_is_a_batch_error(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(tmp_path / "r.csv", [_good(1)])
    with pytest.raises(
        BatchError, match="unknown format 'tripadvisor' for reviews; known formats: amazon2018"
    ):
        ingest_file(con, settings, path, fmt="tripadvisor", kind="reviews", night=NIGHT)


def test_failed_load_leaves_warehouse_as_it_was(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(
        con,
        settings,
        _write_csv(tmp_path / "a.csv", [_good(1)]),
        fmt="generic_csv",
        kind="reviews",
        night=NIGHT,
    )
    before = run(con, "select * from reviews")
    import pipeline.ingest as ingest_module

    real_sql_text = ingest_module.sql_text

    def failing_sql_text(s: Settings, name: str) -> str:
        if name == "core/insert_quarantine":  # runs after the merge: the merge must be undone
            return "insert into quarantine select * from no_such_table"
        return real_sql_text(s, name)

    monkeypatch.setattr(ingest_module, "sql_text", failing_sql_text)
    path = _write_csv(
        tmp_path / "b.csv",
        [_good(1, "changed text"), _good(2), ["r3", "p", "u", "0", "", "x", "2026-11-01", ""]],
    )
    with pytest.raises(BatchError, match="rolled back"):
        ingest_file(con, settings, path, fmt="generic_csv", kind="reviews", night=date(2026, 11, 4))
    assert run(con, "select * from reviews") == before
    assert run(con, "select count(*) from quarantine")[0][0] == 0
    assert run(con, "select status from ingest_runs order by started_at") == [("succeeded",), ("failed",)]
    # nothing of the failed file lingers in staging, and only the loaded file waits for the lake
    assert not any((settings.home / "staging").iterdir())
    assert len(list((settings.home / "loaded").glob("*/*/good.parquet"))) == 1


def test_an_unexpected_error_while_validating_is_a_batch_error_and_leaves_nothing_staged(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.ingest as ingest_module

    def broken(*args: object) -> None:
        raise RuntimeError("expectation engine crashed")

    monkeypatch.setattr(ingest_module, "validate_rows", broken)
    with pytest.raises(BatchError, match="a.csv: RuntimeError: expectation engine crashed"):
        ingest_file(
            con, settings, _write_csv(tmp_path / "a.csv", [_good(1)]), fmt="generic_csv", kind="reviews",
            night=NIGHT,
        )  # fmt: skip
    assert run(con, "select count(*) from reviews")[0][0] == 0
    assert not (settings.home / "staging").exists() or not any((settings.home / "staging").iterdir())


def test_seller_central_feedback_hashes_email_and_takes_seller_from_file_name(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = tmp_path / "A1SELLER.txt"
    path.write_text(
        "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email\tArrived on time\tItem as described\t"
        "Customer service\n"
        "11/01/26\t1\tArrived two weeks late\t\t112-1111111-1111111\tjoe.buyer@example.com\tNo\tYes\t-\n"
        "11/02/26\t9\tGreat\t\t112-2222222-2222222\tmary@example.com\tYes\tYes\tYes\n",
        encoding="utf-8",
    )
    result = ingest_file(
        con, settings, path, fmt="amazon_seller_central", kind="seller_feedback", night=NIGHT
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    row = run(
        con,
        "select seller_id, rating, arrived_on_time, item_as_described, service_ok, feedback_date, "
        "reviewer_key from seller_feedback",
    )[0]
    assert row[:6] == ("A1SELLER", 1, False, True, None, date(2026, 11, 1))
    assert row[6] and "joe" not in row[6]
    raw = run(con, "select raw_record from quarantine")[0][0]
    assert "mary@example.com" not in raw and "[redacted]" in raw
    everything = str(run(con, "select * from seller_feedback")) + str(run(con, "select * from quarantine"))
    assert "@example.com" not in everything


def test_judgeme_export_derives_ids_and_never_stores_names(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    header = [
        "title",
        "body",
        "rating",
        "review_date",
        "source",
        "curated",
        "reviewer_name",
        "reviewer_email",
        "product_id",
        "product_handle",
        "reply",
        "reply_date",
        "picture_urls",
        "ip_address",
        "location",
    ]
    rows = [
        [
            "Linda",
            "Me encanta, llegó rápido",
            "5",
            "2026-11-01 10:00:00 UTC",
            "email",
            "ok",
            "Ana Souza",
            "ana@example.com",
            "111",
            "blue-mug",
            "",
            "",
            "",
            "10.0.0.1",
            "ES",
        ],
        [
            "Ruim",
            "Chegou quebrado e sem nota",
            "1",
            "2026-11-01 12:00:00 UTC",
            "web",
            "ok",
            "Joao Silva",
            "joao@example.com",
            "111",
            "blue-mug",
            "",
            "",
            "",
            "10.0.0.2",
            "BR",
        ],
    ]
    path = _write_csv(tmp_path / "judgeme.csv", rows, header)
    result = ingest_file(con, settings, path, fmt="judgeme", kind="reviews", night=NIGHT)
    assert result.rows_loaded == 2
    got = run(
        con, "select review_id, product_id, verified_purchase, language, channel from reviews order by rating"
    )
    assert [g[1:] for g in got] == [("111", False, "pt", "shopify"), ("111", True, "es", "shopify")]
    assert all(g[0].startswith("judgeme-") for g in got)
    dump = str(run(con, "select * from reviews"))
    assert "Souza" not in dump and "@example.com" not in dump and "10.0.0.1" not in dump


@pytest.mark.parametrize("fmt,suffix", [("generic_jsonl", "jsonl"), ("generic_parquet", "parquet")])
def test_generic_jsonl_and_parquet(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection, fmt: str, suffix: str
) -> None:
    import pandas as pd

    frame = pd.DataFrame([dict(zip(HEADER, _good(i), strict=True)) for i in range(3)])
    frame.loc[2, "rating"] = "0"
    path = tmp_path / f"reviews.{suffix}"
    if suffix == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path)
    result = ingest_file(con, settings, path, fmt=fmt, kind="reviews", night=NIGHT)
    assert (result.rows_read, result.rows_loaded, result.quarantine_by_reason) == (3, 2, {"bad_rating": 1})
