"""The command line: exit codes, one-line errors, the printed row accounting, status."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli
from pipeline.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REVIEWPULSE_PROGRESS", "0")
    # A wide console, so that table cells are not cut to fit 80 columns in the captured output.
    monkeypatch.setattr(cli, "console", Console(width=250))
    monkeypatch.setattr(cli, "err", Console(width=250, stderr=True))
    return tmp_path / "home"


def _reviews(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    path.write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date\n"
        "r1,p1,u1,5,Great,Works well,2026-11-01\n"
        "r2,p1,u2,6,Bad,Rating too high,2026-11-01\n",
        encoding="utf-8",
    )
    return path


def test_ingest_prints_rows_in_loaded_and_quarantined(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(_reviews(tmp_path)), "--format", "generic_csv", "--night", "2026-11-01"]
    )
    assert result.exit_code == 0, result.output
    assert "rows in 2 = loaded 1 + quarantined 1" in result.output
    lake = {path.relative_to(home / "lake").parts[:2] for path in (home / "lake").rglob("*.parquet")}
    assert lake == {("reviews", "night=2026-11-01"), ("quarantine", "night=2026-11-01")}  # published
    again = runner.invoke(
        app, ["ingest", str(_reviews(tmp_path)), "--format", "generic_csv", "--night", "2026-11-01"]
    )
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_ingest_says_when_the_loaded_file_could_not_reach_the_lake(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    (home / "loaded").write_text("in the way", encoding="utf-8")  # the move to loaded/<night>/ fails
    args = ["ingest", str(_reviews(tmp_path)), "--format", "generic_csv", "--night", "2026-11-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "rows in 2 = loaded 1 + quarantined 1" in result.output  # the load itself stands
    assert "lake export failed (the file is loaded and waits for the next run)" in result.output
    assert "Traceback" not in result.output
    (home / "loaded").unlink()
    again = runner.invoke(app, args)  # skipped as loaded, and handed to the lake at last
    assert again.exit_code == 0 and "nothing changed" in again.output
    lake = {path.relative_to(home / "lake").parts[:2] for path in (home / "lake").rglob("*.parquet")}
    assert lake == {("reviews", "night=2026-11-01"), ("quarantine", "night=2026-11-01")}


def test_batch_error_exits_non_zero_with_one_line(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("review_id,text\nr1,hello\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--format", "generic_csv"])
    assert result.exit_code == 1
    assert "required columns missing for format generic_csv" in result.output
    assert "Traceback" not in result.output


def test_unknown_format_and_bad_date_are_clear_errors(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(_reviews(tmp_path)), "--format", "nope"])
    assert result.exit_code == 1 and "unknown format 'nope'" in result.output
    result = runner.invoke(app, ["run", "--date", "20-11-2026"])
    assert result.exit_code == 1 and "night must be a date like" in result.output


def test_run_on_empty_landing_zone_still_writes_report(home: Path) -> None:
    result = runner.invoke(app, ["run", "--date", "2026-11-05"])
    assert result.exit_code == 0, result.output
    assert "No files landed for 2026-11-05" in result.output
    assert re.search(r"Took \d+ s: ingest \d+ s, scoring \d+ s, .*themes \d+ s, .*lake \d+ s", result.output)
    assert (home / "reports" / "2026-11-05" / "index.html").exists()


def test_report_rewrites_a_nights_report_from_the_warehouse(home: Path, tmp_path: Path) -> None:
    folder = home / "landing" / "reviews" / "generic_csv" / "2026-11-01"
    folder.mkdir(parents=True)
    (folder / "good.csv").write_bytes(_reviews(tmp_path).read_bytes())
    assert runner.invoke(app, ["run", "--date", "2026-11-01"]).exit_code == 0
    report = home / "reports" / "2026-11-01"
    shutil.rmtree(report)

    result = runner.invoke(app, ["report", "--date", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "Nothing was loaded" not in result.output
    assert (report / "index.html").exists() and (report / "mart_csat.csv").exists()
    early = runner.invoke(app, ["report", "--date", "20261001"])  # any ISO form of the date
    assert early.exit_code == 0 and "Nothing was loaded by 2026-10-01" in early.output
    assert (home / "reports" / "2026-10-01" / "index.html").exists()
    # the tables went back to the night they were built for: an old report does not rewind them
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select last_night from mart_ingest_quality").fetchall() == [(date(2026, 11, 1),)]
    bad = runner.invoke(app, ["report", "--date", "Nov 1"])
    assert bad.exit_code == 1 and "night must be a date like" in bad.output


def test_run_names_the_columns_it_did_not_read_and_the_files_it_did_not_load(
    home: Path, tmp_path: Path
) -> None:
    folder = home / "landing" / "reviews" / "generic_csv" / "2026-11-01"
    folder.mkdir(parents=True)
    rows = _reviews(tmp_path).read_text(encoding="utf-8").splitlines()
    widened = [rows[0] + ",sku_color", *(row + ",red" for row in rows[1:])]
    (folder / "good.csv").write_text("\n".join(widened) + "\n", encoding="utf-8")
    (folder / "EXPORT.TXT").write_text("review_id\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--date", "2026-11-01"])
    assert result.exit_code == 0, result.output
    unread = [line for line in result.output.splitlines() if line.startswith("columns not read")]
    assert len(unread) == 1 and "good.csv" in unread[0] and "sku_color" in unread[0]
    unloaded = [line for line in result.output.splitlines() if line.startswith("not loaded")]
    assert len(unloaded) == 1 and "EXPORT.TXT" in unloaded[0] and "does not match" in unloaded[0]


def test_run_exits_non_zero_when_a_landed_file_fails(home: Path, tmp_path: Path) -> None:
    folder = home / "landing" / "reviews" / "generic_csv" / "2026-11-01"
    folder.mkdir(parents=True)
    (folder / "good.csv").write_bytes(_reviews(tmp_path).read_bytes())
    (folder / "bad.csv").write_text("review_id\nr9\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--date", "2026-11-01"])
    assert result.exit_code == 1
    assert "1 file(s) failed" in result.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert "failed" in status.output and "succeeded" in status.output and "bad_rating" in status.output
    # the good file is in the night's lake partition (the run publishes it); nothing of the bad one
    assert [p.parent.name for p in (home / "lake" / "reviews").glob("*/*.parquet")] == ["night=2026-11-01"]
    assert not (home / "loaded").exists() or not any((home / "loaded").rglob("*.parquet"))


def test_run_reports_a_failed_lake_export_after_doing_the_rest(home: Path, tmp_path: Path) -> None:
    folder = home / "landing" / "reviews" / "generic_csv" / "2026-11-01"
    folder.mkdir(parents=True)
    (folder / "good.csv").write_bytes(_reviews(tmp_path).read_bytes())
    stray = home / "loaded" / "2026-10-31" / "stray"  # a loaded file whose source no longer exists
    stray.mkdir(parents=True)
    meta = {
        "night": "2026-10-31",
        "run_id": "reviews:gone:1",
        "kind": "reviews",
        "source": "gone",
        "file": "x",
    }
    (stray / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    result = runner.invoke(app, ["run", "--date", "2026-11-01"])
    assert result.exit_code == 1
    assert "lake export failed" in result.output and "the lake export failed" in result.output
    assert (home / "reports" / "2026-11-01" / "index.html").exists()  # the night itself is done
    status = runner.invoke(app, ["status"])
    assert "succeeded" in status.output


def test_status_without_warehouse_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1 and "no warehouse yet" in result.output


def test_a_warehouse_another_process_holds_is_a_clear_error(home: Path) -> None:
    import subprocess
    import sys

    from pipeline.warehouse import connect

    connect(cli.Settings.from_env()).close()  # the warehouse exists
    holder = subprocess.Popen(  # another process writing, as a night run would
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', "
         "flush=True); time.sleep(60)", str(home / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for command in (["status"], ["report", "--date", "2026-11-01"]):
            result = runner.invoke(app, command)
            assert result.exit_code == 1, command
            assert f"in use by another process (PID {holder.pid}" in result.output, result.output
            assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()


def test_pack_is_only_for_the_encoder_adapter(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--model", "sentiment-stars", "--pack", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "--pack is only for --model encoder-adapter" in result.output
    assert not (tmp_path / "p").exists()


def test_train_help_describes_every_model_and_every_help_renders() -> None:
    train = runner.invoke(app, ["train", "--help"], terminal_width=200)
    assert train.exit_code == 0
    for model in cli.TrainModel:
        assert f"• {model.value}:" in train.output, model.value  # one line of the list per model
    report = runner.invoke(app, ["report", "--help"], terminal_width=200)
    assert "reports/DATE/" in report.output  # markdown help: nothing in angle brackets is swallowed
    for command in ("ingest", "run", "demo", "status", "score", "evaluate", "formats", "keywords"):
        assert runner.invoke(app, [command, "--help"]).exit_code == 0, command


def test_output_to_a_file_is_wide_enough_for_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert cli._console().width == 160  # pytest's stdout is no terminal: rich alone would say 80
    monkeypatch.setenv("COLUMNS", "100")
    assert cli._console().width == 100  # an explicit width wins
