"""The nightly DAG, run by real Airflow (``dag.test()`` against a SQLite metadata DB) on seeded demo data.

One Airflow child process serves the whole module (see ``tests/airflow_harness.py`` for why a child and
why only one); the night's runs are chained through module fixtures so each test reads their results.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_harness import AirflowWorker, DagTestResult
from tests.webhook import WebhookReceiver

pytestmark = pytest.mark.integration

DAG_ID = "reviewpulse_nightly"
NIGHT = "2026-11-20"
DEMO_START = date(2026, 11, 20)
EMPTY_NIGHT = "2026-11-10"  # before the demo data starts


def _table_counts(home: Path) -> dict[str, int]:
    import duckdb

    from pipeline.warehouse import table_counts

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return table_counts(con)


def _ingest_runs(home: Path, night: str) -> dict[str, str]:
    """``file -> status`` of the night's rows in ``ingest_runs``."""
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select file, status from ingest_runs where night = ?", [night]).fetchall()
    return {file: status for file, status in rows}


@pytest.fixture(scope="module")
def reviewpulse_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reviewpulse")


@pytest.fixture(scope="module")
def airflow(
    tmp_path_factory: pytest.TempPathFactory, reviewpulse_home: Path, models_dir: Path
) -> Iterator[AirflowWorker]:
    """One Airflow home (SQLite DB created once) and one child process for the whole module."""
    worker = AirflowWorker.start(
        tmp_path_factory.mktemp("airflow"),
        env={
            "REVIEWPULSE_HOME": str(reviewpulse_home),
            "REVIEWPULSE_PROGRESS": "0",
            "REVIEWPULSE_MODELS_DIR": str(models_dir),
        },
        preload=("pipeline.nightly", "great_expectations"),
    )
    try:
        yield worker
    finally:
        worker.close()


@pytest.fixture(scope="module")
def demo_files(reviewpulse_home: Path) -> list[Path]:
    """One night of seeded demo exports in the landing folder; the files written."""
    from pipeline.demo import generate_demo

    manifest = generate_demo(
        reviewpulse_home / "landing",
        reviewpulse_home / "demo" / "planted_truth.json",
        start=DEMO_START,
        seed=42,
        nights=1,
    )
    assert manifest.files, "the demo generator landed no file"
    return sorted(Path(p) for p in manifest.files)


@pytest.fixture(scope="module")
def first_run(
    airflow: AirflowWorker, demo_files: list[Path], reviewpulse_home: Path
) -> tuple[DagTestResult, dict[str, int]]:
    result = airflow.dag_test(DAG_ID, NIGHT)
    assert result.state == "success", result.log_tail
    return result, _table_counts(reviewpulse_home)


@pytest.fixture(scope="module")
def rerun(
    first_run: tuple[DagTestResult, dict[str, int]], airflow: AirflowWorker, reviewpulse_home: Path
) -> tuple[DagTestResult, dict[str, int]]:
    result = airflow.dag_test(DAG_ID, NIGHT)
    return result, _table_counts(reviewpulse_home)


def test_nightly_run_ingests_every_landing_file_once(
    first_run: tuple[DagTestResult, dict[str, int]], demo_files: list[Path]
) -> None:
    result, _ = first_run
    landed = demo_files
    listed: list[dict[str, Any]] = result.returned("list_sources")

    assert sorted(Path(path) for item in listed for path in item["paths"]) == landed
    assert all(set(item) == {"kind", "source", "paths"} for item in listed)  # XCom carries paths, not data
    assert len({(item["kind"], item["source"]) for item in listed}) == len(listed) > 1
    assert result.states("ingest_source") == result.states("validate_source") == ["success"] * len(listed)
    validated = [meta for i in range(len(listed)) for meta in result.returned("validate_source", i)]
    assert sorted(Path(meta["file"]) for meta in validated) == landed
    assert {meta["status"] for meta in validated} == {"validated"}
    loaded = result.returned("load")
    assert loaded["failures"] == [] and len(loaded["files"]) == len(landed)
    assert result.states("build_marts") == result.states("write_report") == ["success"]


def test_nightly_run_scores_every_text_in_shards(
    first_run: tuple[DagTestResult, dict[str, int]], reviewpulse_home: Path
) -> None:
    result, counts = first_run
    shards = result.returned("plan_scoring")
    assert shards and result.states("score_shard") == ["success"] * len(shards)
    assert result.returned("merge_scores") == counts["review_scores"] > 0
    import duckdb

    with duckdb.connect(str(reviewpulse_home / "warehouse.duckdb"), read_only=True) as con:
        unscored = con.execute(
            "select count(*) from reviews where needs_scoring or review_id not in "
            "(select record_id from review_scores where kind = 'reviews')"
        ).fetchall()[0][0]
    assert unscored == 0


def test_nightly_run_fills_the_warehouse(
    first_run: tuple[DagTestResult, dict[str, int]], demo_files: list[Path], reviewpulse_home: Path
) -> None:
    _, counts = first_run
    for table in ("reviews", "seller_feedback", "survey_responses", "quarantine"):
        assert counts.get(table, 0) > 0, f"{table} is empty: {counts}"
    landed = {str(p) for p in demo_files}
    assert _ingest_runs(reviewpulse_home, NIGHT) == dict.fromkeys(landed, "succeeded")


def test_nightly_run_writes_the_report_and_publishes_assets(
    first_run: tuple[DagTestResult, dict[str, int]], reviewpulse_home: Path
) -> None:
    result, _ = first_run
    report_dir = reviewpulse_home / "reports" / NIGHT
    assert result.returned("write_report") == str(report_dir)
    assert (report_dir / "index.html").is_file()
    assert {uri.rstrip("/") for uri in result.asset_events} == {
        "reviewpulse://warehouse/reviews",
        "reviewpulse://warehouse/seller_feedback",
        "reviewpulse://warehouse/survey_responses",
        "reviewpulse://reports",
    }


def test_rerunning_a_night_changes_nothing(
    first_run: tuple[DagTestResult, dict[str, int]],
    rerun: tuple[DagTestResult, dict[str, int]],
    reviewpulse_home: Path,
) -> None:
    (_, counts_before), (again, counts_after) = first_run, rerun
    assert again.state == "success", again.log_tail
    assert counts_after == counts_before
    assert again.returned("plan_scoring") == []  # nothing new: nothing is encoded
    assert again.states("score_shard") == ["skipped"]
    assert (reviewpulse_home / "reports" / NIGHT / "index.html").is_file()


def test_a_night_without_files_still_builds_marts_and_report(airflow: AirflowWorker, tmp_path: Path) -> None:
    home = tmp_path / "empty"
    result = airflow.dag_test(DAG_ID, EMPTY_NIGHT, env={"REVIEWPULSE_HOME": str(home)})

    assert result.state == "success", result.log_tail
    assert result.returned("list_sources") == []
    assert result.states("ingest_source") == ["skipped"]  # mapped over nothing
    assert result.states("load") == ["success"]
    assert result.states("score_shard") == ["skipped"]
    assert result.states("merge_scores") == result.states("build_marts") == result.states("write_report")
    assert result.states("write_report") == ["success"]
    assert (home / "reports" / EMPTY_NIGHT / "index.html").is_file()


def test_a_file_that_cannot_load_fails_the_run_at_once_and_alerts(
    airflow: AirflowWorker, demo_files: list[Path], reviewpulse_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "broken"
    good = next(p for p in demo_files if p.suffix == ".csv")
    good_copy = home / good.relative_to(reviewpulse_home)
    good_copy.parent.mkdir(parents=True)
    shutil.copy(good, good_copy)
    bad = home / "landing" / "reviews" / "generic_csv" / NIGHT / "broken.csv"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("foo,bar\n1,2\n")

    # The DAG's own retries (2, five minutes apart) stay on: the bad file must fail without waiting for them.
    # The failure callback posts to the webhook of the reviewpulse_alerts Connection (here from the env).
    with WebhookReceiver() as hook:
        result = airflow.dag_test(
            DAG_ID,
            NIGHT,
            retries=None,
            env={"REVIEWPULSE_HOME": str(home), "AIRFLOW_CONN_REVIEWPULSE_ALERTS": hook.url},
            timeout_s=180,
        )

    assert result.state == "failed"
    assert result.states("load") == ["failed"]
    assert result.states("plan_scoring") == result.states("build_marts") == ["upstream_failed"]
    assert result.states("write_report") == ["upstream_failed"]
    assert _ingest_runs(home, NIGHT) == {str(bad): "failed", str(good_copy): "succeeded"}
    assert not (home / "reports" / NIGHT).exists()
    assert [(alert["dag_id"], alert["task_id"]) for alert in hook.received] == [(DAG_ID, "load")]
    assert "broken.csv" in hook.received[0]["error"] and "missing" in hook.received[0]["error"]


def test_the_lake_export_publishes_every_file_the_nightly_loaded(
    first_run: tuple[DagTestResult, dict[str, int]], airflow: AirflowWorker, reviewpulse_home: Path
) -> None:
    import duckdb

    result = airflow.dag_test("reviewpulse_lake_export", NIGHT)

    assert result.state == "success", result.log_tail
    published = result.returned("publish_loaded")
    with duckdb.connect(str(reviewpulse_home / "warehouse.duckdb"), read_only=True) as con:
        loaded = dict(
            con.execute(
                "select kind, sum(rows_loaded) from ingest_runs where night = ? and status = 'succeeded' "
                "group by kind",
                [NIGHT],
            ).fetchall()
        )
    tables = {"reviews", "seller_feedback", "survey_responses"}
    assert {t: n for t, n in published[NIGHT].items() if t in tables} == loaded
    reviews = reviewpulse_home / "lake" / "reviews" / f"night={NIGHT}" / "*.parquet"
    with duckdb.connect() as reader:
        assert (
            reader.execute(f"select count(*) from read_parquet('{reviews}')").fetchall()[0][0]
            == loaded["reviews"]
        )
    assert not any((reviewpulse_home / "loaded").glob("*/*"))  # everything waiting was published
