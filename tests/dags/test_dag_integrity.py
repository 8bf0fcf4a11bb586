"""Every DAG in ``dags/`` parses, follows the house rules, and the nightly DAG is wired as designed.

These tests parse the DAG files with Airflow's ``DagBag`` but need no metadata database and run no task
through Airflow; the task bodies are called directly with a stand-in for ``pipeline.nightly``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest

from pipeline.nightly import night_settings as real_night_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))

# Modules a DAG file must not import at parse time: the scheduler parses every file every few seconds.
HEAVY_MODULES = ("duckdb", "pandas", "great_expectations", "torch", "transformers", "sklearn", "pipeline")
# ... except the constants the DAGs share with their deployment (pool names): no imports of its own.
ALLOWED = {"pipeline", "pipeline.orchestration"}

NIGHTLY = "reviewpulse_nightly"
WAREHOUSE_POOL, MODELS_POOL = "reviewpulse_warehouse", "reviewpulse_models"


@pytest.fixture(scope="module")
def dag_bag(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """All DAGs in ``dags/``, parsed once. Airflow gets a throwaway home if this is its first import."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow_home")))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(dag_folder=str(DAGS_DIR))


@pytest.fixture(scope="module")
def nightly(dag_bag: Any) -> Any:
    assert NIGHTLY in dag_bag.dags, f"{NIGHTLY} not found; import errors: {dag_bag.import_errors}"
    return dag_bag.dags[NIGHTLY]


# ---------------------------------------------------------------------------------------------------------
# Every DAG


def test_dag_files_import_without_errors(dag_bag: Any) -> None:
    assert DAG_FILES, "no DAG files found"
    assert dag_bag.import_errors == {}
    assert dag_bag.dags, "the DAG files define no DAG"


def test_every_dag_has_tags_doc_and_a_timezone_aware_start(dag_bag: Any) -> None:
    problems = []
    for dag_id, dag in dag_bag.dags.items():
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag_id}: no doc_md telling an operator what it does and how to rerun it")
        if dag.start_date is None or dag.start_date.tzinfo is None:
            problems.append(f"{dag_id}: start_date must be a timezone-aware pendulum datetime")
    assert problems == []


def test_every_task_retries(dag_bag: Any) -> None:
    no_retries = [
        f"{dag_id}.{task.task_id}"
        for dag_id, dag in dag_bag.dags.items()
        for task in dag.tasks
        if (task.retries or 0) < 1
    ]
    assert no_retries == []


def _heavy_modules_after_import(dag_file: Path, airflow_home: Path) -> list[str]:
    """Import one file in a fresh interpreter and list the heavy modules it pulled in."""
    code = (
        "import json, runpy, sys\n"
        "runpy.run_path(sys.argv[1])\n"
        "heavy = set(sys.argv[2].split(','))\n"
        "allowed = set(sys.argv[3].split(','))\n"
        "print('HEAVY=' + json.dumps(sorted(m for m in sys.modules\n"
        "                                   if m.split('.')[0] in heavy and m not in allowed)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    # The repo root is on the path so that a module-level ``import pipeline`` succeeds and is caught here.
    env.update(
        AIRFLOW_HOME=str(airflow_home), PYTHONPATH=str(REPO_ROOT), AIRFLOW__CORE__LOAD_EXAMPLES="False"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(dag_file), ",".join(HEAVY_MODULES), ",".join(ALLOWED)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(airflow_home),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    marker = [line for line in done.stdout.splitlines() if line.startswith("HEAVY=")]
    assert marker, done.stdout[-4000:]
    return json.loads(marker[-1].removeprefix("HEAVY="))


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_file_import_pulls_no_heavy_modules(dag_file: Path, tmp_path: Path) -> None:
    assert _heavy_modules_after_import(dag_file, tmp_path) == []


def test_heavy_import_check_catches_a_module_level_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad_dag.py"
    bad.write_text("import pandas  # noqa: F401\nimport pipeline.orchestration  # noqa: F401\n")
    assert "pandas" in _heavy_modules_after_import(bad, tmp_path)
    worse = tmp_path / "worse_dag.py"
    worse.write_text("import pipeline.nightly  # noqa: F401\n")
    assert "pipeline.nightly" in _heavy_modules_after_import(worse, tmp_path)


def test_the_orchestration_constants_import_nothing_heavy(tmp_path: Path) -> None:
    probe = tmp_path / "probe_dag.py"
    probe.write_text("import sys\nimport pipeline.orchestration  # noqa: F401\n")
    assert _heavy_modules_after_import(probe, tmp_path) == []


# ---------------------------------------------------------------------------------------------------------
# The nightly DAG


def test_nightly_schedule_and_defaults(nightly: Any) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    assert isinstance(nightly.timetable, CronDataIntervalTimetable)
    assert nightly.start_date == pendulum.datetime(2026, 1, 1, tz="UTC")
    assert nightly.catchup is False
    assert nightly.max_active_runs == 1
    assert set(nightly.tags) == {"reviewpulse", "nightly"}
    assert nightly.default_args["retries"] == 2
    assert nightly.default_args["retry_delay"] == timedelta(minutes=5)
    assert "airflow dags test reviewpulse_nightly" in nightly.doc_md


def test_nightly_midnight_run_loads_the_day_that_ended(nightly: Any) -> None:
    """The run that starts at 2026-11-21 00:00 UTC has logical date (the night) 2026-11-20."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = coerce_to_core_timetable(nightly.timetable)
    previous = DataInterval(
        pendulum.datetime(2026, 11, 19, tz="UTC"), pendulum.datetime(2026, 11, 20, tz="UTC")
    )
    info = timetable.next_dagrun_info(
        last_automated_data_interval=previous,
        restriction=TimeRestriction(earliest=nightly.start_date, latest=None, catchup=True),
    )
    assert info is not None
    assert info.run_after == pendulum.datetime(2026, 11, 21, tz="UTC")
    assert info.logical_date == pendulum.datetime(2026, 11, 20, tz="UTC")


def test_nightly_tasks_and_dependencies(nightly: Any) -> None:
    downstream = {task.task_id: sorted(task.downstream_task_ids) for task in nightly.tasks}
    assert downstream == {
        "pin_models": [
            "assign_themes",
            "build_keywords",
            "build_marts",
            "detect_fakes",
            "discover_emerging",
            "merge_scores",
            "plan_scoring",
            "score_shard",
            "write_report",
        ],
        "list_sources": ["ingest_source", "load"],
        "ingest_source": ["validate_source"],
        "validate_source": ["load"],
        "load": ["plan_scoring"],
        "plan_scoring": ["score_shard"],
        "score_shard": ["merge_scores"],
        "merge_scores": ["detect_fakes"],
        "detect_fakes": ["assign_themes"],
        "assign_themes": ["discover_emerging"],
        "discover_emerging": ["build_marts"],
        "build_marts": ["build_keywords"],
        "build_keywords": ["write_report"],
        "write_report": [],
    }


def test_nightly_reads_and_validates_in_parallel_and_loads_through_one_writer(nightly: Any) -> None:
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    for task_id in ("ingest_source", "validate_source", "score_shard"):
        assert isinstance(nightly.task_dict[task_id], MappedOperator), task_id
    # every task that opens DuckDB (reading too: a reader cannot open the file beside a writer)
    writers = {task.task_id for task in nightly.tasks if task.pool == WAREHOUSE_POOL}
    assert writers == {
        "load", "plan_scoring", "merge_scores", "detect_fakes", "assign_themes", "discover_emerging",
        "build_marts", "build_keywords", "write_report",
    }  # fmt: skip
    assert not any(isinstance(nightly.task_dict[t], MappedOperator) for t in writers)
    assert nightly.task_dict["score_shard"].pool == MODELS_POOL
    # the writer records every listed file, also those whose ingest or validation task failed
    assert nightly.task_dict["load"].trigger_rule == "all_done"


def test_every_pool_a_dag_uses_is_one_the_deployment_creates(dag_bag: Any) -> None:
    from pipeline.orchestration import POOLS

    used = {task.pool for dag in dag_bag.dags.values() for task in dag.tasks} - {"default_pool"}
    assert used and used <= set(POOLS)
    assert POOLS[WAREHOUSE_POOL][0] == 1  # DuckDB takes one writer at a time


def test_every_task_alerts_on_failure(dag_bag: Any) -> None:
    missing = [
        f"{dag_id}.{task.task_id}"
        for dag_id, dag in dag_bag.dags.items()
        for task in dag.tasks
        if not task.on_failure_callback
    ]
    assert missing == []


def test_nightly_marts_still_build_when_there_is_nothing_to_ingest(nightly: Any) -> None:
    # A mapped task over zero items is skipped; "none_failed" lets the rest of the night run anyway.
    for task_id in (
        "merge_scores",
        "detect_fakes",
        "assign_themes",
        "discover_emerging",
        "build_marts",
        "build_keywords",
    ):
        assert nightly.task_dict[task_id].trigger_rule == "none_failed", task_id
    assert nightly.task_dict["plan_scoring"].trigger_rule == "all_success"
    assert nightly.task_dict["write_report"].trigger_rule == "all_success"


def test_nightly_publishes_warehouse_and_report_assets(nightly: Any) -> None:
    def uris(task_id: str) -> set[str]:
        return {asset.uri.rstrip("/") for asset in nightly.task_dict[task_id].outlets}

    assert uris("load") == {
        "reviewpulse://warehouse/reviews",
        "reviewpulse://warehouse/seller_feedback",
        "reviewpulse://warehouse/survey_responses",
    }
    assert uris("write_report") == {"reviewpulse://reports"}


# ---------------------------------------------------------------------------------------------------------
# What each nightly task calls. The task bodies run here directly against a stand-in ``pipeline.nightly``.


class FakeNightly(types.ModuleType):
    """Records every call; ``load_sources`` reports a path named ``bad.csv`` as a failure."""

    def __init__(self) -> None:
        super().__init__("pipeline.nightly")
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []

    def pin_models(self, settings: Any) -> dict[str, str]:
        self.calls.append(("pin_models", settings, {}))
        return {"REVIEWPULSE_HEADS": "/registry/sentiment-stars/v1"}

    def night_settings(self, models: dict[str, str]) -> Any:
        return real_night_settings(models)  # the real one: what the tasks get is under test

    def list_sources(self, settings: Any, night: str) -> list[dict[str, Any]]:
        self.calls.append(("list_sources", settings, {"night": night}))
        return [{"kind": "reviews", "source": "shop_csv", "paths": ["/landing/a.csv"]}]

    def ingest_source(self, settings: Any, source: dict[str, Any], night: str) -> list[dict[str, Any]]:
        self.calls.append(("ingest_source", settings, {"source": source, "night": night}))
        return [{"file": path, "status": "read"} for path in source["paths"]]

    def validate_source(self, staged: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls.append(("validate_source", None, {"staged": staged}))
        return [{**meta, "status": "validated"} for meta in staged]

    def load_sources(self, settings: Any, night: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(("load_sources", settings, {"night": night, "sources": sources}))
        paths = [p for source in sources for p in source["paths"]]
        failures = [f"{p}: missing column review_id" for p in paths if p.endswith("bad.csv")]
        pending = [
            f"{p}: loaded, but handing it to the lake failed" for p in paths if p.endswith("stuck.csv")
        ]
        unlisted = [f"{p[: -len('stuck.csv')]}EXPORT.CSV: its name does not match" for p in paths
                    if p.endswith("stuck.csv")]  # fmt: skip
        unread = [f"{p.rsplit('/', 1)[-1]}: Language (the format reads language)" for p in paths
                  if p.endswith("stuck.csv")]  # fmt: skip
        return {"files": [{"file": p} for p in paths], "failures": failures, "kinds": {"reviews": 3},
                "lake_pending": pending, "unlisted": unlisted, "unread_columns": unread}  # fmt: skip

    def plan_scoring(self, settings: Any, night: str) -> list[str]:
        self.calls.append(("plan_scoring", settings, {"night": night}))
        return ["/scoring/pending-00000.parquet"]

    def score_shard(self, settings: Any, shard: str) -> str:
        self.calls.append(("score_shard", settings, {"shard": shard}))
        return shard.replace("pending", "scores")

    def merge_scores(self, settings: Any, night: str, scored: list[str]) -> int:
        self.calls.append(("merge_scores", settings, {"night": night, "scored": scored}))
        return 7

    def detect_fakes(self, settings: Any, night: str) -> dict[str, Any]:
        self.calls.append(("detect_fakes", settings, {"night": night}))
        return {"scored": 7, "suspicious": 1}

    def assign_themes(self, settings: Any, night: str) -> dict[str, Any]:
        self.calls.append(("assign_themes", settings, {"night": night}))
        return {"records": 7, "sentences": 19}

    def discover_emerging(self, settings: Any, night: str) -> dict[str, Any]:
        self.calls.append(("discover_emerging", settings, {"night": night}))
        return {"clusters": 2}

    def build_marts(self, settings: Any, night: str) -> list[str]:
        self.calls.append(("build_marts", settings, {"night": night}))
        return ["mart_daily"]

    def build_keywords(self, settings: Any, night: str) -> int:
        self.calls.append(("build_keywords", settings, {"night": night}))
        return 42

    def write_report(self, settings: Any, night: str) -> str:
        self.calls.append(("write_report", settings, {"night": night}))
        return f"/reports/{night}"


@pytest.fixture
def fake_nightly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeNightly:
    import pipeline

    fake = FakeNightly()
    monkeypatch.setitem(sys.modules, "pipeline.nightly", fake)
    monkeypatch.setattr(pipeline, "nightly", fake, raising=False)
    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path))
    return fake


def _body(nightly: Any, task_id: str) -> Any:
    return nightly.task_dict[task_id].python_callable


class FakeOutletEvents(dict[Any, Any]):
    """Stands in for Airflow's ``outlet_events`` accessor: one event object per asset."""

    def __missing__(self, asset: Any) -> Any:
        self[asset] = types.SimpleNamespace(extra={})
        return self[asset]


def test_each_task_calls_its_pipeline_function_with_the_logical_date(
    nightly: Any, fake_nightly: FakeNightly, tmp_path: Path
) -> None:
    events = FakeOutletEvents()
    models = _body(nightly, "pin_models")()
    sources = _body(nightly, "list_sources")(ds="2026-11-20")
    staged = _body(nightly, "ingest_source")(sources[0], ds="2026-11-20")
    validated = _body(nightly, "validate_source")(staged)
    loaded = _body(nightly, "load")(sources, outlet_events=events, ds="2026-11-20")
    shards = _body(nightly, "plan_scoring")(models, ds="2026-11-20")
    scored = [_body(nightly, "score_shard")(models, shard) for shard in shards]
    added = _body(nightly, "merge_scores")(models, scored, ds="2026-11-20")
    fakes = _body(nightly, "detect_fakes")(models, ds="2026-11-20")
    themes = _body(nightly, "assign_themes")(models, ds="2026-11-20")
    emerging = _body(nightly, "discover_emerging")(models, ds="2026-11-20")
    marts = _body(nightly, "build_marts")(models, ds="2026-11-20")
    keywords = _body(nightly, "build_keywords")(models, ds="2026-11-20")
    report = _body(nightly, "write_report")(models, ds="2026-11-20")

    assert sources == [{"kind": "reviews", "source": "shop_csv", "paths": ["/landing/a.csv"]}]
    assert validated == [{"file": "/landing/a.csv", "status": "validated"}]
    assert loaded["failures"] == []
    # every load publishes its night, so DAGs scheduled on the warehouse assets know what changed
    assert {asset.uri: event.extra for asset, event in events.items()} == {
        "reviewpulse://warehouse/reviews": {"night": "2026-11-20", "rows_loaded": 3},
        "reviewpulse://warehouse/seller_feedback": {"night": "2026-11-20", "rows_loaded": 0},
        "reviewpulse://warehouse/survey_responses": {"night": "2026-11-20", "rows_loaded": 0},
    }
    assert added == 7
    assert fakes == {"scored": 7, "suspicious": 1}
    assert themes == {"records": 7, "sentences": 19} and emerging == {"clusters": 2} and keywords == 42
    assert marts == ["mart_daily"]
    assert report == "/reports/2026-11-20"
    assert [name for name, _, _ in fake_nightly.calls] == [
        "pin_models", "list_sources", "ingest_source", "validate_source", "load_sources", "plan_scoring",
        "score_shard", "merge_scores", "detect_fakes", "assign_themes", "discover_emerging", "build_marts",
        "build_keywords", "write_report",
    ]  # fmt: skip
    nights = {kwargs.get("night") for name, _, kwargs in fake_nightly.calls if name not in ("score_shard",)}
    assert nights == {"2026-11-20", None}  # pin_models, validate_source and score_shard need no night
    assert fake_nightly.calls[3][2] == {"staged": staged}
    # Settings come from the environment of the worker, read inside each task.
    homes = {settings.home for _, settings, _ in fake_nightly.calls if settings is not None}
    assert homes == {tmp_path.resolve()}
    # every step after the load runs on the models pinned at the start of the run
    after_load = fake_nightly.calls[5:]
    assert after_load[0][0] == "plan_scoring"
    assert {settings.heads_dirs for _, settings, _ in after_load} == {(Path("/registry/sentiment-stars/v1"),)}


def test_a_file_that_cannot_load_fails_the_writer_without_retries(
    nightly: Any, fake_nightly: FakeNightly
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    sources = [{"kind": "reviews", "source": "shop_csv", "paths": ["/landing/a.csv", "/landing/bad.csv"]}]
    with pytest.raises(AirflowFailException, match="bad.csv: missing column"):
        _body(nightly, "load")(sources, outlet_events=FakeOutletEvents(), ds="2026-11-20")
    # the good file was still handed to the writer
    assert fake_nightly.calls[-1][2]["sources"] == sources


def test_unlisted_files_are_named_also_when_a_file_fails_the_load(
    nightly: Any, fake_nightly: FakeNightly, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    sources = [{"kind": "reviews", "source": "shop_csv", "paths": ["/landing/bad.csv", "/landing/stuck.csv"]}]
    with caplog.at_level("WARNING"), pytest.raises(AirflowFailException, match="bad.csv"):
        _body(nightly, "load")(sources, outlet_events=FakeOutletEvents(), ds="2026-11-20")
    assert "loaded by no source:\n/landing/EXPORT.CSV: its name does not match" in caplog.text


def test_a_loaded_file_not_yet_in_the_lake_is_a_warning_not_a_failed_night(
    nightly: Any, fake_nightly: FakeNightly, caplog: pytest.LogCaptureFixture
) -> None:
    events = FakeOutletEvents()
    sources = [{"kind": "reviews", "source": "shop_csv", "paths": ["/landing/stuck.csv"]}]
    with caplog.at_level("WARNING"):
        outcome = _body(nightly, "load")(sources, outlet_events=events, ds="2026-11-20")
    assert outcome["lake_pending"] and "stuck.csv: loaded, but handing it to the lake failed" in caplog.text
    assert "loaded by no source:\n/landing/EXPORT.CSV: its name does not match" in caplog.text
    assert "columns no format reads:\nstuck.csv: Language (the format reads language)" in caplog.text
    assert len(events.items()) == 3  # the loads stand: the assets are published as usual


@pytest.mark.parametrize("task_id", ["list_sources", "plan_scoring", "build_marts", "write_report"])
def test_a_run_without_logical_date_is_refused_not_run_for_today(
    nightly: Any, fake_nightly: FakeNightly, task_id: str
) -> None:
    models = {} if task_id == "list_sources" else {"models": {}}
    with pytest.raises(ValueError, match="logical date"):
        _body(nightly, task_id)(ds=None, **models)
    assert fake_nightly.calls == []


# ---------------------------------------------------------------------------------------------------------
# The lake export: downstream of the nightly load, through its assets


def test_the_lake_export_is_scheduled_on_any_asset_the_nightly_load_publishes(
    dag_bag: Any, nightly: Any
) -> None:
    from airflow.sdk.definitions.asset import AssetAny

    export = dag_bag.dags["reviewpulse_lake_export"]
    condition = export.timetable.asset_condition
    assert isinstance(condition, AssetAny)  # a load that publishes any of them is enough
    assert {a.uri for a in condition.objects} == {a.uri for a in nightly.task_dict["load"].outlets}
    assert [task.task_id for task in export.tasks] == ["publish_loaded"]


def test_the_lake_export_publishes_what_the_loads_left(
    dag_bag: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pipeline

    calls: list[Any] = []

    def publish_loaded(settings: Any) -> dict[str, Any]:
        calls.append(settings.home)
        return {"2026-11-21": {"reviews": 5}}

    fake = types.ModuleType("pipeline.lake")
    fake.publish_loaded = publish_loaded  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline.lake", fake)
    monkeypatch.setattr(pipeline, "lake", fake, raising=False)
    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path))
    body = dag_bag.dags["reviewpulse_lake_export"].task_dict["publish_loaded"].python_callable

    assert body() == {"2026-11-21": {"reviews": 5}}
    assert calls == [tmp_path.resolve()]
