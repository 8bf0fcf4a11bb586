"""Start real Airflow components on loopback, as a deployment runs them, and drive DAG runs through them.

``AirflowStack`` runs, each as its own process group: the API server (the workers' Execution API), the
DAG processor, the scheduler and N Celery workers (the CeleryExecutor). The metadata database is a
fresh PostgreSQL database (created, then dropped); the Celery broker is Redis with a private queue, so two
stacks, or a stack beside a developer's own Airflow, never see each other's work.

Runs are started the way an operator starts them: ``airflow dags trigger`` and ``airflow backfill
create``. The scheduler's own cron runs are off (``use_job_schedule = False``): otherwise unpausing the
DAG would also start a run for the real yesterday, whose empty night would rebuild the marts as of a
different date.

Used by ``tests/integration/test_celery_scaleout.py`` and ``bench/scale.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.preload import ENV_VAR as PRELOAD_ENV
from pipeline.preload import LOCAL_SETTINGS
from tests.airflow_harness import REPO_ROOT, airflow_env

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


class StackUnavailable(RuntimeError):
    """PostgreSQL or Redis is not reachable (the test skips, saying which)."""


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def services_missing() -> list[str]:
    """Which of the services a Celery stack needs are not listening."""
    wanted = {
        "PostgreSQL (127.0.0.1:5432)": ("127.0.0.1", 5432),
        "Redis (127.0.0.1:6379)": (REDIS_HOST, 6379),
    }
    return [name for name, (host, port) in wanted.items() if not _reachable(host, port)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TaskRun:
    task_id: str
    map_index: int
    state: str | None
    hostname: str | None
    pool: str
    duration_s: float | None
    try_number: int


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str
    run_type: str
    logical_date: str
    state: str
    tasks: list[TaskRun] = field(default_factory=list)
    seconds: float = 0.0

    def states(self, task_id: str) -> list[str | None]:
        return [t.state for t in sorted(self.tasks, key=lambda t: t.map_index) if t.task_id == task_id]


@dataclass
class AirflowStack:
    """Real Airflow components as child processes; ``with AirflowStack(...).started() as stack: ...``."""

    home: Path
    workers: int = 2
    worker_concurrency: int = 1
    env: dict[str, str] = field(default_factory=dict)
    dags_folder: Path = REPO_ROOT / "dags"
    database: str = field(default_factory=lambda: f"rp_airflow_{uuid.uuid4().hex[:10]}")
    redis_db: int = 11
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    full_env: dict[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- start and stop

    def started(self) -> AirflowStack:
        """Create the database, migrate it, create the pools, and start every component."""
        missing = services_missing()
        if missing:
            raise StackUnavailable(", ".join(missing) + " not listening")
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        port = _free_port()
        db_url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.database}"
        queue = f"reviewpulse_{self.database}"
        env = airflow_env(self.home, self.dags_folder, None)
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
                # Every component must sign and check the workers' tokens with the same secrets.
                "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
                "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
                "AIRFLOW__CORE__FERNET_KEY": "",
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{self.database}",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            }
        )
        env.update(self.env)
        self.full_env = env
        # The Celery workers, which fork a process per task, import the heavy libraries once at start-up,
        # as the project image does (pipeline/preload.py): every task would pay seconds to import them
        # again. (Under the LocalExecutor the scheduler forks the task processes and should preload.)
        config = self.home / "config"
        config.mkdir(exist_ok=True)
        (config / "airflow_local_settings.py").write_text(LOCAL_SETTINGS)
        self._create_database()
        try:
            self.cli("db", "migrate", timeout=600)
            from pipeline.orchestration import POOLS

            for name, (slots, description) in POOLS.items():
                self.cli("pools", "set", name, str(slots), description)
            self._spawn(
                "api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
            )
            self._spawn("dag-processor", ["dag-processor"])
            self._spawn("scheduler", ["scheduler", "--skip-serve-logs"])
            for i in range(self.workers):
                self._spawn(
                    f"worker-{i + 1}",
                    ["celery", "worker", "--queues", queue, "--concurrency", str(self.worker_concurrency),
                     "--celery-hostname", f"worker{i + 1}@%h", "--skip-serve-logs", "--without-gossip",
                     "--without-mingle"],
                    # Both workers share this machine's hostname; name each one, so a test can see
                    # which worker ran which task (task_instance.hostname).
                    {"AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.worker_name.worker_name",
                     "REVIEWPULSE_WORKER_NAME": f"worker{i + 1}", PRELOAD_ENV: "1"},
                )  # fmt: skip
            self._wait_http(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=240)
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> AirflowStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop every component (TERM, then KILL) and drop the database."""
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for proc in self.processes.values():  # children a component left behind (task runners)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
        self._drop_database()

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.processes.items()}

    def log_tail(self, chars: int = 4000) -> str:
        """The end of every component's log, for assertion messages."""
        parts = []
        for name in self.processes or [p.stem for p in self.home.glob("*.log")]:
            path = self.home / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace")[-chars:])
        return "\n".join(parts)

    # ---------------------------------------------------------------- runs

    def cli(self, *args: str, timeout: float = 300) -> str:
        """Run an ``airflow`` CLI command against this stack; its output, or an error with the output."""
        done = subprocess.run(
            [AIRFLOW, *args], env=self.full_env, cwd=str(self.home), capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def wait_for_dag(self, dag_id: str, timeout: float = 240) -> None:
        """Until the DAG processor has parsed ``dag_id`` into the database; then unpause it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._query("select count(*) from serialized_dag where dag_id = %s", (dag_id,))[0][0]:
                self.cli("dags", "unpause", dag_id)
                return
            time.sleep(2)
        raise TimeoutError(f"{dag_id} was not parsed in {timeout:.0f} s\n{self.log_tail()}")

    def trigger(self, dag_id: str, night: str) -> str:
        """Trigger a run for the night (its logical date, midnight UTC); returns the run id."""
        run_id = f"manual__{night}"
        self.cli("dags", "trigger", dag_id, "--logical-date", f"{night}T00:00:00+00:00", "--run-id", run_id)
        return run_id

    def backfill(self, dag_id: str, first: str, last: str) -> None:
        """``airflow backfill create`` for the nights ``first`` .. ``last``, one run at a time."""
        self.cli(
            "backfill", "create", "--dag-id", dag_id, "--from-date", first, "--to-date", last,
            "--reprocess-behavior", "completed", "--max-active-runs", "1",
        )  # fmt: skip

    def runs(self, dag_id: str) -> list[tuple[str, str, str, str]]:
        """``(run_id, run_type, logical date, state)`` of every run of the DAG, oldest night first."""
        rows = self._query(
            "select run_id, run_type, logical_date, state from dag_run where dag_id = %s "
            "order by logical_date",
            (dag_id,),
        )
        return [(r[0], str(r[1]), r[2].date().isoformat(), str(r[3])) for r in rows]

    def wait_for_runs(self, dag_id: str, count: int, timeout: float = 1800) -> list[DagRunResult]:
        """Until ``count`` runs of the DAG have finished (success or failed); their results."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            runs = self.runs(dag_id)
            if len(runs) >= count and all(state in ("success", "failed") for *_, state in runs):
                return [self.result(dag_id, run_id, time.monotonic() - started) for run_id, *_ in runs]
            dead = [name for name, up in self.alive().items() if not up]
            if dead:
                raise RuntimeError(f"Airflow components exited: {dead}\n{self.log_tail()}")
            time.sleep(3)
        raise TimeoutError(
            f"{dag_id}: runs not finished in {timeout:.0f} s: {self.runs(dag_id)}\n{self.log_tail()}"
        )

    def run_seconds(self, dag_id: str, run_id: str) -> float:
        """A finished run's wall time, from its start and end in the metadata DB."""
        rows = self._query(
            "select extract(epoch from end_date - start_date) from dag_run where dag_id = %s and run_id = %s",
            (dag_id, run_id),
        )
        return float(rows[0][0])

    def result(self, dag_id: str, run_id: str, seconds: float = 0.0) -> DagRunResult:
        row = self._query(
            "select run_type, logical_date, state from dag_run where dag_id = %s and run_id = %s",
            (dag_id, run_id),
        )[0]
        tasks = self._query(
            "select task_id, map_index, state, hostname, pool, duration, try_number from task_instance "
            "where dag_id = %s and run_id = %s order by task_id, map_index",
            (dag_id, run_id),
        )
        return DagRunResult(
            dag_id, run_id, str(row[0]), row[1].date().isoformat(), str(row[2]),
            [TaskRun(t[0], int(t[1]), t[2], t[3] or None, t[4], t[5], int(t[6] or 0)) for t in tasks],
            seconds,
        )  # fmt: skip

    # ---------------------------------------------------------------- internals

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.home / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *args], env={**self.full_env, **(env or {})}, cwd=str(self.home), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()

    def _wait_http(self, url: str, timeout: float) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            dead = [name for name, up in self.alive().items() if not up]
            if dead:
                raise RuntimeError(f"Airflow components exited: {dead}\n{self.log_tail()}")
            time.sleep(2)
        raise TimeoutError(f"{url} did not answer in {timeout:.0f} s\n{self.log_tail()}")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        con = psycopg2.connect(f"postgresql://postgres@127.0.0.1:5432/{self.database}")
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            con.close()

    def _admin(self, sql: str) -> None:
        import psycopg2

        con = psycopg2.connect(PG_ADMIN)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql)
        finally:
            con.close()

    def _create_database(self) -> None:
        self._admin(f'create database "{self.database}"')

    def _drop_database(self) -> None:
        with contextlib.suppress(Exception):  # the database server went away: nothing left to clean
            self._admin(f'drop database if exists "{self.database}" with (force)')


def iter_hosts(results: list[DagRunResult]) -> Iterator[str]:
    """The hostnames of every task instance that ran, over several runs."""
    for result in results:
        for task in result.tasks:
            if task.hostname:
                yield task.hostname
