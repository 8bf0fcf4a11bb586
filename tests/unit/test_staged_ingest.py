"""The Airflow ingest path (every source read and validated into staging first, in parallel tasks, then one
writer loads them all) gives exactly the warehouse that ``ingest_file`` (the same three steps, file by
file, in this process) gives, and loses nothing when a file is bad or unstaged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from pipeline import nightly
from pipeline.settings import Settings
from pipeline.warehouse import connect
from tests.warehouse_compare import differences, snapshot

NIGHT = "2026-11-20"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo night (with its six-week backfill), plus a file whose rows partly fail the checks."""
    from pipeline.demo import generate_demo

    root = tmp_path_factory.mktemp("landing")
    generate_demo(root / "landing", root / "truth.json", start=date(2026, 11, 20), nights=1, seed=7)
    return root / "landing"


def _home(tmp_path: Path, landing: Path, name: str) -> Settings:
    home = tmp_path / name
    home.mkdir()
    (home / "landing").symlink_to(landing, target_is_directory=True)
    return Settings(home=home, progress=False)


def _staged_night(settings: Settings) -> dict:
    sources = nightly.list_sources(settings, NIGHT)
    for source in sources:
        nightly.validate_source(nightly.ingest_source(settings, source, NIGHT))
    return nightly.load_sources(settings, NIGHT, sources)


def test_staged_ingest_equals_in_process_ingest(tmp_path: Path, landing: Path) -> None:
    direct, staged = _home(tmp_path, landing, "direct"), _home(tmp_path, landing, "staged")
    for item in nightly.list_landing_files(direct, NIGHT):
        nightly.ingest_landing_file(direct, night=NIGHT, **item)
    outcome = _staged_night(staged)

    assert outcome["failures"] == []
    assert {f["status"] for f in outcome["files"]} == {"succeeded"}
    assert outcome["kinds"]["reviews"] > 0
    a = snapshot(direct.warehouse_path, direct.home)
    b = snapshot(staged.warehouse_path, staged.home)
    assert a["quarantine"].shape[0] > 0 and a["reviews"].shape[0] > 0
    assert differences(a, b, atol=0) == []
    assert not (staged.home / "staging" / NIGHT).exists()  # the writer cleans up what it loaded
    # ... and hands every loaded file's rows to the lake export
    assert len(list((staged.home / "loaded" / NIGHT).glob("*/good.parquet"))) == len(outcome["files"])


def test_rerun_of_a_staged_night_skips_every_file(tmp_path: Path, landing: Path) -> None:
    settings = _home(tmp_path, landing, "rerun")
    _staged_night(settings)
    before = snapshot(settings.warehouse_path, settings.home)
    again = _staged_night(settings)
    assert {f["status"] for f in again["files"]} == {"skipped"}
    after = snapshot(settings.warehouse_path, settings.home)
    assert differences(before, after) == []


def test_a_bad_file_and_an_unstaged_file_are_recorded_as_failed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", progress=False)
    folder = settings.landing_path("reviews", "generic_csv", NIGHT)
    folder.mkdir(parents=True)
    (folder / "a_broken.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    (folder / "b_good.csv").write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
        "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n"
        "r2,p1,u2,9,Nice,Too many stars,2026-11-19,en\n",
        encoding="utf-8",
    )
    (folder / "c_never_staged.csv").write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
        "r3,p1,u3,4,Ok,Fine,2026-11-19,en\n",
        encoding="utf-8",
    )
    sources = nightly.list_sources(settings, NIGHT)
    assert [len(s["paths"]) for s in sources] == [3]
    staged = nightly.ingest_source(settings, {**sources[0], "paths": sources[0]["paths"][:2]}, NIGHT)
    assert [m["status"] for m in staged] == ["failed", "read"]
    assert "missing" in staged[0]["error"]
    nightly.validate_source(staged)

    outcome = nightly.load_sources(settings, NIGHT, sources)

    assert [f.split(":")[0] for f in outcome["failures"]] == [
        str(folder / "a_broken.csv"),
        str(folder / "c_never_staged.csv"),
    ]
    assert "did not finish" in outcome["failures"][1]
    con = connect(replace(settings))
    try:
        runs = dict(con.execute("select file, status from ingest_runs").fetchall())
        quarantined = con.execute("select reason_code from quarantine").fetchall()
        loaded = con.execute("select review_id from reviews").fetchall()
    finally:
        con.close()
    assert runs == {
        str(folder / "a_broken.csv"): "failed",
        str(folder / "b_good.csv"): "succeeded",
        str(folder / "c_never_staged.csv"): "failed",
    }
    assert loaded == [("r1",)] and quarantined == [("bad_rating",)]  # 2 rows read = 1 loaded + 1 quarantined


def test_a_database_failure_keeps_the_file_staged_and_raises_for_a_retry(tmp_path: Path) -> None:
    import duckdb

    from pipeline.ingest import load_staged

    settings = Settings(home=tmp_path / "home", progress=False)
    folder = settings.landing_path("reviews", "generic_csv", NIGHT)
    folder.mkdir(parents=True)
    path = folder / "reviews.csv"
    path.write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
        "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n",
        encoding="utf-8",
    )
    (source,) = nightly.list_sources(settings, NIGHT)
    nightly.validate_source(nightly.ingest_source(settings, source, NIGHT))
    con = connect(settings)
    try:
        con.execute("alter table reviews rename to reviews_elsewhere")  # the load's merge now fails
        with pytest.raises(duckdb.Error):  # the database's own error: Airflow retries the task
            load_staged(con, settings, kind="reviews", source="generic_csv", path=str(path), night=NIGHT)
        assert list((settings.home / "staging" / NIGHT).glob("*/good.parquet"))  # still staged
        assert con.execute("select status from ingest_runs").fetchall() == [("failed",)]  # on record
        con.execute("alter table reviews_elsewhere rename to reviews")

        retried = load_staged(
            con, settings, kind="reviews", source="generic_csv", path=str(path), night=NIGHT
        )
        runs = con.execute("select status from ingest_runs order by started_at").fetchall()
        loaded = con.execute("select review_id from reviews").fetchall()
    finally:
        con.close()
    assert retried.status == "succeeded" and loaded == [("r1",)]
    assert runs == [("succeeded",)]  # one row per file: the retry's outcome replaced the failed attempt


def test_a_file_replaced_after_it_was_staged_is_refused_with_the_reason(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", progress=False)
    folder = settings.landing_path("reviews", "generic_csv", NIGHT)
    folder.mkdir(parents=True)
    header = "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
    path = folder / "reviews.csv"
    path.write_text(header + "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n", encoding="utf-8")
    (source,) = nightly.list_sources(settings, NIGHT)
    nightly.validate_source(nightly.ingest_source(settings, source, NIGHT))
    path.write_text(header + "r2,p1,u2,1,Bad,Broke,2026-11-19,en\n", encoding="utf-8")  # a new copy lands

    outcome = nightly.load_sources(settings, NIGHT, [source])

    (failure,) = outcome["failures"]
    assert "changed after it was staged" in failure and "run the night again" in failure
    assert not (settings.home / "staging" / NIGHT).exists()  # the stale copy is gone
    again = _staged_night(settings)  # the rerun loads the new copy
    assert again["failures"] == [] and again["kinds"]["reviews"] == 1
    con = connect(settings)
    try:
        assert con.execute("select review_id from reviews").fetchall() == [("r2",)]
    finally:
        con.close()


def _one_review_landed(tmp_path: Path) -> Settings:
    """A home whose landing zone holds one good review file for the night."""
    settings = Settings(home=tmp_path / "home", progress=False)
    folder = settings.landing_path("reviews", "generic_csv", NIGHT)
    folder.mkdir(parents=True)
    (folder / "reviews.csv").write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
        "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n",
        encoding="utf-8",
    )
    return settings


def test_a_file_staged_but_never_validated_is_not_called_changed(tmp_path: Path) -> None:
    settings = _one_review_landed(tmp_path)
    (source,) = nightly.list_sources(settings, NIGHT)
    nightly.ingest_source(settings, source, NIGHT)  # its validate task never ran

    (failure,) = nightly.load_sources(settings, NIGHT, [source])["failures"]
    assert "its ingest task did not finish" in failure


def test_staging_survives_another_load_removing_the_nights_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage task makes staging/<night>/ and then its own folder in it; a load of another file of the night
    (in another process) may remove the empty night folder in between. Staging makes it again."""
    settings = _one_review_landed(tmp_path)
    night_folder = settings.home / "staging" / NIGHT
    real_mkdir, raced = Path.mkdir, []

    def mkdir_with_a_race(
        self: Path, mode: int = 0o777, parents: bool = False, exist_ok: bool = False
    ) -> None:
        if self.parent == night_folder and not raced:  # the other load's _unstage lands in between
            raced.append(self)
            real_mkdir(night_folder, parents=True, exist_ok=True)
            night_folder.rmdir()
            raise FileNotFoundError(f"{self.parent} vanished")
        real_mkdir(self, mode, parents, exist_ok)

    monkeypatch.setattr(Path, "mkdir", mkdir_with_a_race)
    (source,) = nightly.list_sources(settings, NIGHT)
    nightly.validate_source(nightly.ingest_source(settings, source, NIGHT))
    monkeypatch.undo()
    assert raced  # the race happened, and the file still loads
    outcome = nightly.load_sources(settings, NIGHT, [source])
    assert outcome["failures"] == [] and outcome["kinds"]["reviews"] == 1


def test_rows_that_cannot_be_staged_fail_their_file_with_the_reason_not_the_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value the readers let through and Parquet refuses (here a lone surrogate) fails its own file, on
    the record, instead of raising out of the source's task with the other files staged."""
    import pandas as pd

    from pipeline import ingest

    settings = Settings(home=tmp_path / "home", progress=False)
    folder = settings.landing_path("reviews", "generic_csv", NIGHT)
    folder.mkdir(parents=True)
    header = "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"
    (folder / "a.csv").write_text(header + "r1,p1,u1,5,Nice,Works well,2026-11-19,en\n", encoding="utf-8")
    (folder / "b.csv").write_text(header + "r2,p1,u2,4,Ok,Fine,2026-11-19,en\n", encoding="utf-8")
    real = ingest.parse_file

    def with_a_surrogate(kind: str, source: str, path: Path, night: date):  # type: ignore[no-untyped-def]
        frame, rejected, read = real(kind, source, path, night)
        if path.name == "a.csv":
            frame = frame.assign(
                text=pd.Series(["cut \ud83d"] * len(frame), dtype="object", index=frame.index)
            )
        return frame, rejected, read

    monkeypatch.setattr(ingest, "parse_file", with_a_surrogate)
    sources = nightly.list_sources(settings, NIGHT)
    staged = nightly.ingest_source(settings, sources[0], NIGHT)
    assert [m["status"] for m in staged] == ["failed", "read"]
    assert "a.csv: cannot stage its rows (UnicodeEncodeError" in staged[0]["error"]
    nightly.validate_source(staged)
    outcome = nightly.load_sources(settings, NIGHT, sources)
    assert [f.split(":")[0] for f in outcome["failures"]] == [str(folder / "a.csv")]
    con = connect(settings)
    try:
        assert con.execute("select review_id from reviews").fetchall() == [("r2",)]
    finally:
        con.close()
