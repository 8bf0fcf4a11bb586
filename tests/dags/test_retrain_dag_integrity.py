"""The weekly retrain DAG parses and is wired as designed: schedule, params, pools, one mapped group per
model; its task bodies call ``pipeline.retrain`` (a stand-in here) with what the run gives them.

No metadata database and no task run through Airflow: ``tests/integration/test_retrain_dag.py`` does that.
"""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
RETRAIN = "reviewpulse_retrain"


@pytest.fixture(scope="module")
def retrain_dag(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(DAGS_DIR / "reviewpulse_retrain.py"))
    assert bag.import_errors == {}
    assert RETRAIN in bag.dags
    return bag.dags[RETRAIN]


def test_retrain_schedule_and_defaults(retrain_dag: Any) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    assert isinstance(retrain_dag.timetable, CronDataIntervalTimetable)
    assert retrain_dag.start_date == pendulum.datetime(2026, 1, 1, tz="UTC")
    assert retrain_dag.catchup is False and retrain_dag.max_active_runs == 1
    assert set(retrain_dag.tags) == {"reviewpulse", "models"}
    assert retrain_dag.default_args["retries"] == 1
    assert retrain_dag.default_args["retry_delay"] == timedelta(minutes=10)
    assert retrain_dag.default_args["on_failure_callback"] is not None
    assert retrain_dag.params["models"] == ["themes", "sentiment-stars"]
    doc = retrain_dag.doc_md
    assert "only when it is\nnot worse" in doc and "airflow dags test reviewpulse_retrain" in doc


def test_the_sunday_run_has_the_week_that_ended_as_logical_date(retrain_dag: Any) -> None:
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = coerce_to_core_timetable(retrain_dag.timetable)
    previous = DataInterval(
        pendulum.datetime(2026, 11, 8, 12, tz="UTC"), pendulum.datetime(2026, 11, 15, 12, tz="UTC")
    )
    info = timetable.next_dagrun_info(
        last_automated_data_interval=previous,
        restriction=TimeRestriction(earliest=retrain_dag.start_date, latest=None, catchup=True),
    )
    assert info is not None
    assert info.run_after == pendulum.datetime(2026, 11, 22, 12, tz="UTC")  # a Sunday, noon: not midnight,
    assert info.logical_date == pendulum.datetime(2026, 11, 15, 12, tz="UTC")  # when the nightly runs


def test_retrain_tasks_dependencies_and_pools(retrain_dag: Any) -> None:
    from pipeline.orchestration import MODELS_POOL

    downstream = {task.task_id: sorted(task.downstream_task_ids) for task in retrain_dag.tasks}
    assert downstream == {
        "list_models": ["retrain_model.train"],
        "retrain_model.train": ["retrain_model.evaluate"],
        "retrain_model.evaluate": ["retrain_model.promote"],
        "retrain_model.promote": [],
    }
    pools = {task.task_id: task.pool for task in retrain_dag.tasks}
    assert pools["retrain_model.train"] == pools["retrain_model.evaluate"] == MODELS_POOL
    assert pools["retrain_model.promote"] != MODELS_POOL  # a JSON write, no encoder
    # One mapped group per model: model i's evaluate waits for model i's train only.
    for task_id in ("retrain_model.train", "retrain_model.evaluate", "retrain_model.promote"):
        group = retrain_dag.task_dict[task_id].get_closest_mapped_task_group()
        assert group is not None and group.group_id == "retrain_model", task_id


# ---------------------------------------------------------------------------------------------------------
# The task bodies, against a stand-in pipeline.retrain


class FakeRetrain(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("pipeline.retrain")
        self.calls: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = []

    def check_model(self, model: str) -> str:
        return model

    def train_candidate(self, settings: Any, model: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("train_candidate", settings, (model,), kwargs))
        return {"model": model, "version": "20261115-abcd1234", "status": "candidate"}

    def evaluate_candidate(self, settings: Any, model: str, version: str) -> dict[str, Any]:
        self.calls.append(("evaluate_candidate", settings, (model, version), {}))
        return {"model": model, "version": version, "current": None, "candidate_metrics": {}}

    def promote_if_not_worse(
        self, settings: Any, model: str, version: str, evaluation: Any
    ) -> dict[str, Any]:
        self.calls.append(("promote_if_not_worse", settings, (model, version), {"evaluation": evaluation}))
        return {"decision": "refused", "reason": "en.micro_f1 worse"}


def _body(dag: Any, task_id: str) -> Any:
    return dag.task_dict[task_id].python_callable


def test_each_task_calls_its_retrain_function(
    retrain_dag: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pipeline

    fake = FakeRetrain()
    monkeypatch.setitem(sys.modules, "pipeline.retrain", fake)
    monkeypatch.setattr(pipeline, "retrain", fake, raising=False)
    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path))

    models = _body(retrain_dag, "list_models")(params={"models": ["themes"]})
    trained = _body(retrain_dag, "retrain_model.train")(models[0], ds="2026-11-15")
    evaluation = _body(retrain_dag, "retrain_model.evaluate")(trained)
    decision = _body(retrain_dag, "retrain_model.promote")(evaluation)

    assert models == ["themes"]
    assert decision == {"decision": "refused", "reason": "en.micro_f1 worse"}
    assert [(name, args, kwargs) for name, _, args, kwargs in fake.calls] == [
        ("train_candidate", ("themes",), {"key": "2026-11-15"}),  # the version is named by the run's week
        ("evaluate_candidate", ("themes", "20261115-abcd1234"), {}),
        ("promote_if_not_worse", ("themes", "20261115-abcd1234"), {"evaluation": evaluation}),
    ]
    assert {settings.home for _, settings, _, _ in fake.calls} == {tmp_path.resolve()}


def test_an_unknown_model_in_the_params_fails_the_run_before_training(retrain_dag: Any) -> None:
    from pipeline.errors import ConfigError

    assert _body(retrain_dag, "list_models")(params={}) == ["themes", "sentiment-stars"]
    with pytest.raises(ConfigError, match="cannot retrain 'fake-text'"):
        _body(retrain_dag, "list_models")(params={"models": ["themes", "fake-text"]})


def test_missing_shared_data_fails_training_without_retries(
    retrain_dag: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REVIEWPULSE_DATA_DIR", str(tmp_path / "no-data"))
    with pytest.raises(AirflowFailException, match="no-data|shared data|not found"):
        _body(retrain_dag, "retrain_model.train")("themes", ds="2026-11-15")
    assert not list((tmp_path / "home" / "registry" / "themes").glob("2026*"))
