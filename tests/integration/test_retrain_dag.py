"""The weekly retrain DAG, run by real Airflow (``dag.test()`` in a child process, see
``tests/airflow_harness.py``) on the theme model only: train, evaluate against the shipped combiner on the
real dev set, promote; then the registry in ``$REVIEWPULSE_HOME`` says so, and a rerun changes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_harness import AirflowWorker, DagTestResult

pytestmark = pytest.mark.integration

DAG_ID = "reviewpulse_retrain"
WEEK = "2026-11-15"  # the logical date of the run that starts Sunday 2026-11-22 00:00 UTC
CONF = {"models": ["themes"]}


@pytest.fixture(scope="module")
def reviewpulse_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.settings import Settings
    from pipeline.themes.devset import DevsetUnavailable, load_devset

    try:
        load_devset(Settings.from_env({k: v for k, v in os.environ.items() if k == "REVIEWPULSE_DATA_DIR"})
                    .shared_data_dir)  # fmt: skip
    except DevsetUnavailable as missing:
        pytest.skip(str(missing))
    return tmp_path_factory.mktemp("retrain-dag")


@pytest.fixture(scope="module")
def airflow(
    tmp_path_factory: pytest.TempPathFactory, reviewpulse_home: Path, models_dir: Path
) -> Iterator[AirflowWorker]:
    worker = AirflowWorker.start(
        tmp_path_factory.mktemp("airflow"),
        env={
            "REVIEWPULSE_HOME": str(reviewpulse_home),
            "REVIEWPULSE_PROGRESS": "0",
            "REVIEWPULSE_MODELS_DIR": str(models_dir),
        },
        preload=("pipeline.retrain", "pipeline.themes.train", "pipeline.scoring.service"),
    )
    try:
        yield worker
    finally:
        worker.close()


@pytest.fixture(scope="module")
def first_run(airflow: AirflowWorker) -> DagTestResult:
    result = airflow.dag_test(DAG_ID, WEEK, conf=CONF)
    assert result.state == "success", result.log_tail
    return result


def _index(home: Path) -> dict[str, Any]:
    return json.loads((home / "registry" / "themes" / "index.json").read_text(encoding="utf-8"))


def test_the_weekly_run_trains_evaluates_and_promotes_a_not_worse_theme_model(
    first_run: DagTestResult, reviewpulse_home: Path
) -> None:
    assert first_run.returned("list_models") == ["themes"]  # the run's conf chose the models
    for task_id in ("retrain_model.train", "retrain_model.evaluate", "retrain_model.promote"):
        assert first_run.states(task_id) == ["success"], task_id
    trained = first_run.returned("retrain_model.train", 0)
    evaluation = first_run.returned("retrain_model.evaluate", 0)
    decision = first_run.returned("retrain_model.promote", 0)

    assert trained["version"].startswith("20261115-") and "weights" not in trained
    assert evaluation["current"] is None and evaluation["version"] == trained["version"]
    assert evaluation["candidate_metrics"] == evaluation["current_metrics"]  # seeded: the shipped fit again
    assert decision["decision"] == "promoted" and decision["current"] == trained["version"]

    index = _index(reviewpulse_home)
    assert index["current"] == trained["version"]
    [stored] = index["versions"]
    assert stored["status"] == "promoted" and stored["reason"] == decision["reason"]
    assert stored["evaluation"]["current_metrics"] == evaluation["current_metrics"]
    assert (reviewpulse_home / "registry" / "themes" / trained["version"] / "combiner.json").exists()
    assert not (reviewpulse_home / "registry" / "sentiment-stars").exists()


def test_rerunning_the_week_registers_nothing_new_and_keeps_the_current_version(
    first_run: DagTestResult, airflow: AirflowWorker, reviewpulse_home: Path
) -> None:
    before = _index(reviewpulse_home)
    again = airflow.dag_test(DAG_ID, WEEK, conf=CONF)

    assert again.state == "success", again.log_tail
    decision = again.returned("retrain_model.promote", 0)
    assert decision["decision"] == "promoted" and decision["reason"] == "already the current version"
    after = _index(reviewpulse_home)
    assert after["current"] == before["current"]
    assert [v["version"] for v in after["versions"]] == [v["version"] for v in before["versions"]]
    assert after["history"] == before["history"]
