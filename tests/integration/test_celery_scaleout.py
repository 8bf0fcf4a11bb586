"""The nightly DAG on the scale-out stack: real Airflow components (scheduler, DAG processor, API server),
PostgreSQL metadata, a Redis broker and two Celery workers, all on loopback, backfilling two demo nights
with one ``airflow backfill create``.

Its warehouse must equal, table by table (``tests/warehouse_compare.py``), that of the same two nights run
one after the other in this process without Airflow (``pipeline.nightly.run_night``, what ``reviewpulse
run`` does): mapped tasks spread over two workers, staged ingest and a backfill change no row. (The
embedded default, Airflow's own scheduler loop on SQLite, runs the same DAG in ``test_nightly_dag.py``.)
Every component the test starts is stopped, and its metadata database dropped, before the assertions run.

Needs PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379); ``.ci/run`` starts them
where they are not up. Where they are not listening, the test skips and says which.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.airflow_stack import AirflowStack, DagRunResult, iter_hosts, services_missing
from tests.warehouse_compare import differences, snapshot

pytestmark = pytest.mark.integration

DAG_ID = "reviewpulse_nightly"
# Two ordinary demo nights (~115 reviews, their seller feedback and surveys each). The demo's first night,
# with its six weeks of backfill, is left out: encoding it would triple the test's time and test nothing
# more about the executors.
DEMO_START = "2026-11-20"
NIGHTS = ("2026-11-21", "2026-11-22")
# Embeddings of a text can differ in the last bits between two processes that batch it differently, and
# the marts round averages to 3 decimals, so such a difference can tip the last rounded digit (seen:
# mart_sentiment.avg_stars_pred 3.942 vs 3.943). One unit of that digit is what the comparison allows.
ATOL = 1.1e-3


@dataclass
class StackRun:
    """What the stack did: its runs, the warehouse it left, whether it stopped cleanly."""

    runs: list[DagRunResult]
    warehouse: dict[str, pd.DataFrame]
    home: Path
    components: list[str]
    still_running: list[str]
    database_left: bool


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = services_missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not listening; .ci/run starts them")
    from pipeline.demo import generate_demo

    root = tmp_path_factory.mktemp("demo")
    generate_demo(
        root / "landing", root / "truth.json", start=date.fromisoformat(DEMO_START), nights=3, seed=42
    )
    for first_night in (root / "landing").glob(f"*/*/{DEMO_START}"):
        shutil.rmtree(first_night)
    return root / "landing"


def _home(tmp_path_factory: pytest.TempPathFactory, landing: Path, name: str) -> Path:
    home = tmp_path_factory.mktemp(name)
    (home / "landing").symlink_to(landing, target_is_directory=True)
    return home


@pytest.fixture(scope="module")
def in_process(
    tmp_path_factory: pytest.TempPathFactory, landing: Path, models_dir: Path
) -> tuple[Path, dict[str, pd.DataFrame]]:
    """The same nights, one after the other, in this process without Airflow: the warehouse to match."""
    from pipeline.nightly import run_night
    from pipeline.settings import Settings

    home = _home(tmp_path_factory, landing, "home-in-process")
    settings = Settings(home=home, progress=False, models_dir=models_dir)
    for night in NIGHTS:
        result = run_night(settings, night)
        assert result.ok, result.failures
    return home, snapshot(home / "warehouse.duckdb", home)


@pytest.fixture(scope="module")
def celery(tmp_path_factory: pytest.TempPathFactory, landing: Path, models_dir: Path) -> StackRun:
    home = _home(tmp_path_factory, landing, "home-celery")
    stack = AirflowStack(
        tmp_path_factory.mktemp("airflow-celery"),
        workers=2,
        env={
            "REVIEWPULSE_HOME": str(home),
            "REVIEWPULSE_MODELS_DIR": str(models_dir),
            "REVIEWPULSE_PROGRESS": "0",
        },
    )
    try:
        stack.started()
        stack.wait_for_dag(DAG_ID)
        stack.backfill(DAG_ID, NIGHTS[0], NIGHTS[-1])
        runs = stack.wait_for_runs(DAG_ID, len(NIGHTS))
        for run in runs:
            assert run.state == "success", (run, stack.log_tail())
    finally:
        components = dict(stack.processes)
        stack.stop()
    still_running = [name for name, proc in components.items() if _group_alive(proc.pid)]
    import psycopg2

    con = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        with con.cursor() as cur:
            cur.execute("select count(*) from pg_database where datname = %s", (stack.database,))
            database_left = bool(cur.fetchone()[0])  # type: ignore[index]
    finally:
        con.close()
    return StackRun(
        runs,
        snapshot(home / "warehouse.duckdb", home),
        home,
        sorted(components),
        still_running,
        database_left,
    )


def _group_alive(pgid: int) -> bool:
    """Whether any process of the component's process group (its task runners included) is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_celery_backfill_gives_the_warehouse_of_the_nights_run_in_process(
    in_process: tuple[Path, dict[str, pd.DataFrame]], celery: StackRun
) -> None:
    home, warehouse = in_process
    assert warehouse["reviews"].shape[0] > 150
    assert warehouse["review_sentences"].shape[0] > 0 and warehouse["mart_keywords"].shape[0] > 0
    assert differences(warehouse, celery.warehouse, atol=ATOL) == []
    for night in NIGHTS:
        assert (home / "reports" / night / "index.html").is_file()
        assert (celery.home / "reports" / night / "index.html").is_file()


def test_the_runs_are_backfill_runs_of_the_nights(celery: StackRun) -> None:
    assert [(r.run_type, r.logical_date, r.state) for r in celery.runs] == [
        ("backfill", night, "success") for night in NIGHTS
    ]


def test_both_celery_workers_ran_tasks(celery: StackRun) -> None:
    hosts = list(iter_hosts(celery.runs))
    assert set(hosts) == {"worker1", "worker2"}, hosts


def test_tasks_ran_in_their_pools(celery: StackRun) -> None:
    pools = {(t.task_id, t.pool) for run in celery.runs for t in run.tasks}
    assert ("load", "reviewpulse_warehouse") in pools and ("merge_scores", "reviewpulse_warehouse") in pools
    assert ("score_shard", "reviewpulse_models") in pools
    # the parallel readers ran as several mapped tasks in the first night (one per source)
    first = celery.runs[0]
    assert len(first.states("ingest_source")) > 1 and set(first.states("ingest_source")) == {"success"}


def test_every_component_was_stopped_and_its_database_dropped(celery: StackRun) -> None:
    assert not celery.database_left
    assert celery.still_running == []
    assert {"worker-1", "worker-2", "scheduler"} <= set(celery.components)
