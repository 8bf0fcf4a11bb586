"""The lake: every file the nightly loads becomes an immutable Parquet file in its night's partition
(typed and salted as in the warehouse), a record seen on two nights is in both, publishing again changes
nothing, and the warehouse is never opened."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import lake, nightly
from pipeline.settings import Settings

HEADER = "review_id,product_id,reviewer_id,rating,title,text,review_date,language\n"


def _night(settings: Settings, night: str, rows: str, path: str = "dag") -> dict:
    """Land one file and load it the DAG's way (parallel stage and validate, then the one writer) or the
    CLI's (``reviewpulse run``: each file in this process)."""
    folder = settings.landing_path("reviews", "generic_csv", night)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reviews.csv").write_text(HEADER + rows, encoding="utf-8")
    if path == "cli":
        return nightly.load_landed(settings, night)
    sources = nightly.list_sources(settings, night)
    for source in sources:
        nightly.validate_source(nightly.ingest_source(settings, source, night))
    return nightly.load_sources(settings, night, sources)


def _read(settings: Settings, table: str) -> list[tuple]:
    pattern = lake.lake_dir(settings) / table / "*" / "*.parquet"
    with duckdb.connect() as reader:
        return reader.execute(
            f"select * exclude (ingest_run_id) from read_parquet('{pattern}', hive_partitioning = true) "
            "order by all"
        ).fetchall()


@pytest.fixture(params=["dag", "cli"])
def two_nights(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    _night(settings, "2026-11-20", "r1,p1,alice@example.com,5,Nice,Works well,2026-11-19,en\n"
           "r2,p1,u2,9,Bad,Too many stars,2026-11-19,en\n", request.param)  # fmt: skip
    _night(settings, "2026-11-21", "r1,p1,alice@example.com,4,Nice,Works well after all,2026-11-19,en\n"
           "r3,p2,u3,2,Meh,Broke in a week,2026-11-20,en\n", request.param)  # fmt: skip
    return settings


def test_each_loaded_file_becomes_a_file_in_its_nights_partition(two_nights: Settings) -> None:
    settings = two_nights
    published = lake.publish_loaded(settings)

    assert published == {"2026-11-20": {"reviews": 1, "quarantine": 1}, "2026-11-21": {"reviews": 2}}
    con = duckdb.connect()
    pattern = lake.lake_dir(settings) / "reviews" / "*" / "*.parquet"
    rows = con.execute(
        f"select night, review_id, rating, text, reviewer_key from read_parquet('{pattern}', "
        "hive_partitioning = true) order by night, review_id"
    ).fetchall()
    # r1 was edited on the 21st: the warehouse keeps only the new text, the lake keeps both versions
    assert [(str(n), r, s, t) for n, r, s, t, _ in rows] == [
        ("2026-11-20", "r1", 5, "Works well"),
        ("2026-11-21", "r1", 4, "Works well after all"),
        ("2026-11-21", "r3", 2, "Broke in a week"),
    ]
    assert all(len(key) == 32 and "alice" not in key for *_, key in rows)  # salted, never in clear
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        keys = {k for (k,) in warehouse.execute("select reviewer_key from reviews").fetchall()}
    assert {key for *_, key in rows} == keys  # the same hashes as the warehouse
    quarantine = lake.lake_dir(settings) / "quarantine" / "*" / "*.parquet"
    (reason,) = con.execute(f"select reason_code from read_parquet('{quarantine}')").fetchall()
    assert reason == ("bad_rating",)
    assert not lake.loaded_dir(settings).exists() or not any(lake.loaded_dir(settings).iterdir())


def test_publishing_again_and_rerunning_a_night_change_nothing(two_nights: Settings) -> None:
    settings = two_nights
    lake.publish_loaded(settings)
    before = _read(settings, "reviews")
    files = sorted(lake.lake_dir(settings).rglob("*.parquet"))

    assert lake.publish_loaded(settings) == {}  # nothing waiting
    rerun = _night(settings, "2026-11-20", "r1,p1,alice@example.com,5,Nice,Works well,2026-11-19,en\n"
                   "r2,p1,u2,9,Bad,Too many stars,2026-11-19,en\n")  # fmt: skip
    assert {f["status"] for f in rerun["files"]} == {"skipped"}
    assert lake.publish_loaded(settings) == {}

    assert _read(settings, "reviews") == before
    assert sorted(lake.lake_dir(settings).rglob("*.parquet")) == files


ROWS = "r1,p1,u1,5,Nice,Works well,2026-11-19,en\nr2,p1,u2,9,Bad,Too many stars,2026-11-19,en\n"
NEXT_ROWS = "r3,p2,u3,2,Meh,Broke in a week,2026-11-20,en\n"


def _block_loaded(settings: Settings) -> None:
    """Make ``loaded`` a file, so the move to loaded/<night>/ fails after a load committed."""
    settings.home.mkdir(parents=True, exist_ok=True)
    lake.loaded_dir(settings).write_text("in the way", encoding="utf-8")


@pytest.mark.parametrize("path", ["dag", "cli"])
def test_a_failed_hand_off_keeps_the_loaded_file_staged_until_the_next_load_hands_it_over(
    settings: Settings, path: str
) -> None:
    _block_loaded(settings)
    first = _night(settings, "2026-11-20", ROWS, path)

    (summary,) = first["files"]
    assert summary["status"] == "succeeded" and summary["rows_loaded"] == 1
    assert "handing it to the lake failed" in summary["lake_pending"]
    if path == "dag":
        assert first["lake_pending"] == [summary["lake_pending"]]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        assert warehouse.execute("select count(*) from reviews").fetchone() == (1,)
    assert [p.name for p in (settings.home / "staging" / "2026-11-20").iterdir()] == [
        summary["run_id"].replace(":", "_")
    ]

    lake.loaded_dir(settings).unlink()  # the disk is fixed; the next night's load hands the file over
    second = _night(settings, "2026-11-21", NEXT_ROWS, path)
    assert [f["lake_pending"] for f in second["files"]] == [None]
    assert not (settings.home / "staging").exists() or not any((settings.home / "staging").iterdir())

    assert lake.publish_loaded(settings) == {
        "2026-11-20": {"reviews": 1, "quarantine": 1},
        "2026-11-21": {"reviews": 1},
    }
    assert [row[0] for row in _read(settings, "reviews")] == ["r1", "r3"]  # each once


def test_a_load_cut_off_before_its_hand_off_is_handed_over_once_by_the_next_load(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import ingest

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt  # the process stops between the commit and the move

    with monkeypatch.context() as patch:
        patch.setattr(ingest, "_hand_to_lake", interrupted)
        with pytest.raises(KeyboardInterrupt):
            _night(settings, "2026-11-20", ROWS)
    assert list((settings.home / "staging" / "2026-11-20").glob("*/good.parquet"))  # still staged
    assert lake.publish_loaded(settings) == {}  # nothing handed over yet

    _night(settings, "2026-11-21", NEXT_ROWS)  # another night
    assert lake.publish_loaded(settings) == {
        "2026-11-20": {"reviews": 1, "quarantine": 1},
        "2026-11-21": {"reviews": 1},
    }
    rerun = _night(settings, "2026-11-20", ROWS)  # the first night again: loaded and in the lake already
    assert [f["status"] for f in rerun["files"]] == ["skipped"]
    assert lake.publish_loaded(settings) == {}
    assert [row[0] for row in _read(settings, "reviews")] == ["r1", "r3"]


@pytest.mark.parametrize("path", ["dag", "cli"])
def test_a_second_copy_of_a_file_waiting_for_its_hand_off_does_not_remove_it(
    settings: Settings, path: str
) -> None:
    _block_loaded(settings)
    folder = settings.landing_path("reviews", "generic_csv", "2026-11-20")
    folder.mkdir(parents=True)
    (folder / "copy.csv").write_text(HEADER + ROWS, encoding="utf-8")  # the same bytes landed twice
    first = _night(settings, "2026-11-20", ROWS, path)
    assert [f["status"] for f in first["files"]] == ["succeeded", "skipped"]
    assert all("handing it to the lake failed" in f["lake_pending"] for f in first["files"])
    assert list((settings.home / "staging" / "2026-11-20").glob("*/good.parquet"))  # kept for the lake

    lake.loaded_dir(settings).unlink()
    _night(settings, "2026-11-21", NEXT_ROWS, path)
    assert lake.publish_loaded(settings)["2026-11-20"] == {"reviews": 1, "quarantine": 1}
    assert [row[0] for row in _read(settings, "reviews")] == ["r1", "r3"]


def test_publishers_take_turns(two_nights: Settings) -> None:
    import threading

    settings = two_nights
    result: list[dict] = []
    with lake._publishing(settings):
        other = threading.Thread(target=lambda: result.append(lake.publish_loaded(settings)))
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive() and not list(lake.lake_dir(settings).rglob("*.parquet"))
    other.join(timeout=30)
    assert result == [{"2026-11-20": {"reviews": 1, "quarantine": 1}, "2026-11-21": {"reviews": 2}}]


def test_a_run_with_nothing_landed_still_hands_over_a_waiting_file(settings: Settings) -> None:
    _block_loaded(settings)
    _night(settings, "2026-11-20", ROWS, "cli")
    stuck = nightly.run_night(settings, "2026-11-21")  # nothing landed; the disk is still broken
    assert stuck.lake_error and stuck.lake_error.count("handing it to the lake failed") == 1

    lake.loaded_dir(settings).unlink()
    night = nightly.run_night(settings, "2026-11-22")  # nothing landed again, and the disk is fixed
    assert night.ok and night.files == []
    assert night.lake == {"2026-11-20": {"reviews": 1, "quarantine": 1}}
