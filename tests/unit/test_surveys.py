"""Survey responses (NPS, CES, CSAT): validation reasons, rows in = loaded + quarantined, reloads."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import BatchError
from pipeline.ingest import ingest_file
from pipeline.nightly import list_landing_files
from pipeline.settings import Settings
from pipeline.sources import SURVEY_RESPONSES, get_source
from pipeline.warehouse import run, table_counts

NIGHT = date(2026, 11, 3)
HEADER = ["response_id", "channel", "response_date", "nps", "ces", "csat", "comment"]
KIND = SURVEY_RESPONSES.name


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _ingest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    night: date = NIGHT,
    fmt: str = "generic_csv",
):
    return ingest_file(con, settings, path, fmt=fmt, kind=KIND, night=night)


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return table_counts(con, ("survey_responses", "ingest_runs", "quarantine"))


def test_each_bad_value_is_quarantined_with_its_reason(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(
        tmp_path / "surveys.csv",
        [
            ["s01", "web", "2026-11-01", "10", "2", "5", "Quick and easy"],
            ["s02", "web", "2026-11-01", "11", "", "", "nps too high"],
            ["s03", "web", "2026-11-01", "-1", "", "", "nps below zero"],
            ["s04", "web", "2026-11-01", "ten", "", "", "nps not a number"],
            ["s05", "web", "2026-11-01", "7.5", "", "", "nps not whole"],
            ["s06", "app", "2026-11-01", "", "0", "", "ces zero"],
            ["s07", "app", "2026-11-01", "", "8", "", "ces too high"],
            ["s08", "app", "2026-11-01", "", "easy", "", "ces not a number"],
            ["s09", "app", "2026-11-01", "", "", "6", "csat six"],
            ["s10", "app", "2026-11-01", "", "", "4.5", "csat not whole"],
            ["s11", "app", "2026-11-01", "", "", "", "no answer at all"],
            ["s12", "app", "2026-11-01", " ", "", "  ", ""],
            ["s13", "app", "2026-11-01", "0", "7", "1", ""],
            ["s14", "app", "not a date", "5", "", "", ""],
            ["", "app", "2026-11-01", "5", "", "", ""],
            ["s01", "app", "2026-11-01", "9", "", "", "same id again"],
        ],
    )
    result = _ingest(con, settings, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (16, 2, 14)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    rows = run(con, "select record_no, reason_code, reason from quarantine order by record_no")
    assert [(r[0], r[1]) for r in rows] == [
        (2, "bad_nps"),
        (3, "bad_nps"),
        (4, "bad_nps"),
        (5, "bad_nps"),
        (6, "bad_ces"),
        (7, "bad_ces"),
        (8, "bad_ces"),
        (9, "bad_csat"),
        (10, "bad_csat"),
        (11, "no_score"),
        (12, "no_score"),
        (14, "bad_date"),
        (15, "missing_id"),
        (16, "duplicate_id"),
    ]
    reasons = {r[0]: r[2] for r in rows}
    assert reasons[2] == "nps '11' is not a whole number from 0 to 10"
    assert reasons[3] == "nps '-1' is not a whole number from 0 to 10"
    assert reasons[4] == "nps 'ten' is not a number"
    assert reasons[5] == "nps '7.5' is not a whole number from 0 to 10"
    assert reasons[6] == "ces '0' is not a whole number from 1 to 7"
    assert reasons[7] == "ces '8' is not a whole number from 1 to 7"
    assert reasons[8] == "ces 'easy' is not a number"
    assert reasons[9] == "csat '6' is not a whole number from 1 to 5"
    assert reasons[10] == "csat '4.5' is not a whole number from 1 to 5"
    assert reasons[11] == reasons[12] == "no score: nps, ces and csat are all empty"
    assert "'not a date' is not a date" in reasons[14]
    assert "repeats record 1" in reasons[16]
    stored = run(con, "select response_id, nps, ces, csat, comment from survey_responses order by 1")
    assert stored == [("s01", 10, 2, 5, "Quick and easy"), ("s13", 0, 7, 1, None)]
    summary = json.loads(run(con, "select validation_summary from ingest_runs")[0][0])
    assert summary["rows_in"] == 16 and summary["rows_quarantined"] == 14


def test_several_bad_values_in_one_row_are_all_named(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(tmp_path / "s.csv", [["s1", "web", "2026-11-01", "12", "9", "0", ""]])
    result = _ingest(con, settings, path)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    code, reason = run(con, "select reason_code, reason from quarantine")[0]
    assert code == "bad_nps"  # the first reason; every failure is in the words
    assert "nps '12'" in reason and "ces '9'" in reason and "csat '0'" in reason


def test_each_score_is_optional_and_language_is_detected(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(
        tmp_path / "s.csv",
        [
            [
                "a",
                "web",
                "2026-11-01",
                "9",
                "",
                "",
                "The delivery was fast and the support team was helpful.",
            ],
            ["b", "app", "2026-11-01", "", "3", "", "La entrega llegó tarde y nadie respondió mis mensajes."],
            [
                "c",
                "app",
                "2026-11-02T10:00:00Z",
                "",
                "",
                "4",
                "O pedido chegou rápido e bem embalado, adorei.",
            ],
            ["d", "", "2026-11-02", "", "", "2", ""],
        ],
    )
    result = _ingest(con, settings, path)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 0)
    rows = run(
        con,
        "select response_id, channel, nps, ces, csat, language, response_date, needs_scoring "
        "from survey_responses order by 1",
    )
    assert rows == [
        ("a", "web", 9, None, None, "en", date(2026, 11, 1), True),
        ("b", "app", None, 3, None, "es", date(2026, 11, 1), True),
        ("c", "app", None, None, 4, "pt", date(2026, 11, 2), True),
        ("d", None, None, None, 2, "other", date(2026, 11, 2), False),  # no comment: nothing to score
    ]


def test_same_file_twice_changes_nothing(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    path = _write_csv(
        tmp_path / "s.csv",
        [["a", "web", "2026-11-01", "9", "", "", "ok"], ["b", "web", "2026-11-01", "", "", "", "nothing"]],
    )
    first = _ingest(con, settings, path)
    before = _counts(con)
    snapshot = run(con, "select * from survey_responses order by all")
    second = _ingest(con, settings, path)  # the same night again
    assert first.status == "succeeded" and second.status == "skipped"
    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (2, 1, 1)
    assert _counts(con) == before == {"survey_responses": 1, "ingest_runs": 1, "quarantine": 1}
    assert run(con, "select * from survey_responses order by all") == snapshot
    later = _ingest(con, settings, path, night=date(2026, 11, 4))  # a later night's export, the same bytes
    assert (later.status, later.rows_new, later.rows_changed, later.rows_unchanged) == ("succeeded", 0, 0, 1)
    assert run(con, "select count(*), max(last_seen), max(content_version) from survey_responses") == [
        (1, date(2026, 11, 4), 1)
    ]


def test_an_edited_response_is_updated_and_unchanged_ones_only_move_last_seen(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    _ingest(
        con,
        settings,
        _write_csv(
            tmp_path / "a.csv",
            [
                ["a", "web", "2026-11-01", "9", "", "", "Fast"],
                ["b", "web", "2026-11-01", "8", "", "", "Fine"],
            ],
        ),
    )
    run(con, "update survey_responses set needs_scoring = false")  # as if the scorer had scored them
    hashes = dict(run(con, "select response_id, content_hash from survey_responses"))
    later = date(2026, 11, 4)
    result = _ingest(
        con,
        settings,
        _write_csv(
            tmp_path / "b.csv",
            [
                ["a", "web", "2026-11-01", "3", "6", "", "Slow after all"],
                ["b", "web", "2026-11-01", "8", "", "", "Fine"],
                ["c", "app", "2026-11-03", "10", "", "", ""],
            ],
        ),
        night=later,
    )
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (1, 1, 1)
    rows = run(
        con,
        "select response_id, nps, ces, comment, content_version, needs_scoring, first_seen, last_seen, "
        "content_hash from survey_responses order by 1",
    )
    assert rows[0][:8] == ("a", 3, 6, "Slow after all", 2, True, NIGHT, later)
    assert rows[0][8] != hashes["a"]
    assert rows[1] == ("b", 8, None, "Fine", 1, False, NIGHT, later, hashes["b"])
    assert rows[2][:8] == ("c", 10, None, None, 1, False, later, later)
    loads = run(con, "select rows_read, rows_loaded, rows_new, rows_changed from ingest_runs order by night")
    assert loads == [(2, 2, 2, 0), (3, 3, 1, 1)]


def test_missing_required_column_fails_the_whole_file(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    header = [h for h in HEADER if h != "ces"]
    path = _write_csv(tmp_path / "s.csv", [["a", "web", "2026-11-01", "9", "", "ok"]], header)
    with pytest.raises(BatchError, match="required column missing for format generic_csv: ces"):
        _ingest(con, settings, path)
    assert _counts(con) == {"survey_responses": 0, "ingest_runs": 1, "quarantine": 0}


def test_jsonl_and_parquet_use_the_same_mapping(
    tmp_path: Path, settings: Settings, con: duckdb.DuckDBPyConnection
) -> None:
    lines = [
        {"response_id": "j1", "channel": "web", "response_date": "2026-11-01", "nps": 10, "ces": None,
         "csat": 5, "comment": "Great", "language": "en"},
        {"response_id": "j2", "channel": "web", "response_date": "2026-11-01", "nps": None, "ces": None,
         "csat": None, "comment": "nothing", "language": "en"},
    ]  # fmt: skip
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = _ingest(con, settings, jsonl, fmt="generic_jsonl")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    table = pa.table(
        {
            "response_id": ["p1", "p2"],
            "channel": ["app", "app"],
            "response_date": ["2026-11-02", "2026-11-02"],
            "nps": pa.array([None, 12], pa.int64()),
            "ces": pa.array([2, None], pa.int64()),
            "csat": pa.array([None, None], pa.int64()),
            "comment": [None, "too high"],
        }
    )
    pq.write_table(table, tmp_path / "s.parquet")
    result = _ingest(con, settings, tmp_path / "s.parquet", fmt="generic_parquet")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert run(con, "select response_id, nps, ces, csat from survey_responses order by 1") == [
        ("j1", 10, None, 5),
        ("p1", None, 2, None),
    ]
    assert dict(run(con, "select source, reason_code from quarantine")) == {
        "generic_jsonl": "no_score",
        "generic_parquet": "bad_nps",
    }


def test_landing_folder_is_listed_for_the_night(settings: Settings) -> None:
    folder = settings.landing_dir / KIND / "generic_csv" / "2026-11-03"
    folder.mkdir(parents=True)
    (folder / "surveys.csv").write_text(",".join(HEADER) + "\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a survey export\n", encoding="utf-8")
    assert list_landing_files(settings, "2026-11-03") == [
        {"kind": KIND, "source": "generic_csv", "path": str(folder / "surveys.csv")}
    ]
    assert get_source(KIND, "generic_parquet").glob == "*.parquet"
    with pytest.raises(BatchError, match="known formats: generic_csv, generic_jsonl, generic_parquet"):
        get_source(KIND, "judgeme")
