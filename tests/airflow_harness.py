"""Run real Airflow ``dag.test()`` calls from pytest, in a child process with its own Airflow home.

Why a child process: Airflow reads its configuration (``AIRFLOW_HOME``, the metadata DB URL, the DAGs
folder) once, when ``airflow`` is first imported, and keeps it in module globals. Setting environment
variables inside the pytest process is too late as soon as any earlier test imported Airflow. A child
process started with a clean environment gets exactly the configuration we hand it.

Why one long-lived child rather than one per run: in Airflow 3.3 the first task run of a process builds
the in-process Execution API (Cadwyn generates its versioned routers on the first request), which costs
about 5 s, and importing Airflow costs about 2.5 s more. A child that initialises the DB once and then
serves several ``dag.test()`` requests pays that once per test module.

Usage from a test module::

    with AirflowWorker.start(home=tmp_dir, dags_folder=REPO_ROOT / "dags", env={...}) as airflow:
        result = airflow.dag_test("reviewpulse_nightly", "2026-11-20")
        assert result.state == "success", result.log_tail

The child speaks JSON lines: requests on its stdin, replies on a duplicate of its original stdout.
Everything Airflow and the tasks print goes to ``<home>/worker.log``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

# Seconds to wait for the child to import Airflow and create its metadata DB.
STARTUP_TIMEOUT_S = 120.0


def airflow_env(home: Path, dags_folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Build the environment for an Airflow child: a private home, SQLite DB, one DAGs folder, no examples.

    Every ``AIRFLOW*`` variable of the calling environment is dropped first, so a developer's own
    Airflow settings never leak into a test run.

    Args:
        home: The Airflow home; the SQLite metadata DB and logs go here.
        dags_folder: The folder Airflow parses (the default ``dags-folder`` bundle points at it).
        extra: More variables, for instance ``REVIEWPULSE_HOME``; they win over everything else.

    Returns:
        A full environment for ``subprocess``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    python_path = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            # Without this Airflow times out parsing a file after 30 s on a slow CI box.
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class DagTestResult:
    """What one ``dag.test()`` left in the metadata DB."""

    dag_id: str
    logical_date: str
    run_id: str
    state: str
    # task_id -> {map_index: state}; an unmapped task has the single map index -1.
    task_states: dict[str, dict[int, str | None]]
    # task_id -> {map_index: return value} for tasks that pushed a ``return_value`` XCom.
    returns: dict[str, dict[int, Any]]
    # URIs of the asset events the run emitted, one per event.
    asset_events: list[str]
    duration_s: float
    log_tail: str = ""

    def states(self, task_id: str) -> list[str | None]:
        """The states of every instance of one task, in map-index order."""
        by_index = self.task_states.get(task_id, {})
        return [by_index[i] for i in sorted(by_index)]

    def returned(self, task_id: str, map_index: int = -1) -> Any:
        """The return value of one task instance (``None`` when it returned nothing)."""
        return self.returns.get(task_id, {}).get(map_index)


@dataclass
class AirflowWorker:
    """A child Python process with its own Airflow home that runs ``dag.test()`` on request."""

    home: Path
    env: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path
    startup: dict[str, float] = field(default_factory=dict)
    _replies: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(
        cls,
        home: Path,
        dags_folder: Path = REPO_ROOT / "dags",
        env: dict[str, str] | None = None,
        preload: tuple[str, ...] = (),
        timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> AirflowWorker:
        """Start the child, create the metadata DB, and return once the DB is ready.

        After answering, the child warms up on its own while the caller goes on (say, generating test
        data): it builds the in-process Execution API and imports the ``preload`` modules, so that the
        first ``dag_test`` does not pay for them. Requests sent meanwhile wait in the pipe.

        Args:
            home: The Airflow home (created if missing); ``worker.log`` there has everything the child logs.
            dags_folder: The DAGs folder Airflow parses.
            env: More environment variables for the child (e.g. ``REVIEWPULSE_HOME``).
            preload: Modules the tasks will import, e.g. ``("pipeline.nightly",)``.
            timeout_s: How long the import of Airflow and the DB creation may take.
        """
        home.mkdir(parents=True, exist_ok=True)
        full_env = airflow_env(home, dags_folder, env)
        log_path = home / "worker.log"
        log_file = log_path.open("a", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=full_env,
            cwd=str(home),
            text=True,
            bufsize=1,
        )
        log_file.close()
        worker = cls(home=home, env=full_env, process=process, log_path=log_path)
        threading.Thread(target=worker._pump, daemon=True).start()
        ready = worker._reply(timeout_s)
        worker.startup = {k: float(v) for k, v in ready.items() if k.endswith("_s")}
        return worker

    def dag_test(
        self,
        dag_id: str,
        logical_date: str,
        *,
        retries: int | None = 0,
        env: dict[str, str] | None = None,
        timeout_s: float = 600.0,
        conf: dict[str, Any] | None = None,
    ) -> DagTestResult:
        """Run ``dag.test(logical_date=...)`` for one DAG in the child and report what happened.

        Args:
            dag_id: The DAG to run.
            logical_date: ``YYYY-MM-DD`` (midnight UTC) or a full ISO timestamp.
            retries: Override every task's ``retries`` for this run (``None`` keeps the DAG's own).
                The default 0 matters: ``dag.test()`` honours ``retry_delay``, so a failing task with
                retries would keep the run waiting for minutes.
            env: Variables set in the child for this run only (e.g. another ``REVIEWPULSE_HOME``).
            timeout_s: Give up (and kill the child) after this many seconds.
            conf: The run's conf (``dag.test(run_conf=...)``): values for the DAG's params.
        """
        request: dict[str, Any] = {"cmd": "dag_test", "dag_id": dag_id, "logical_date": logical_date}
        request.update(retries=retries, env=env or {})
        if conf is not None:
            request["conf"] = conf
        self._send(request)
        reply = self._reply(timeout_s)
        # JSON turned the integer map indexes into strings; turn them back.
        for key in ("task_states", "returns"):
            reply[key] = {
                task: {int(i): v for i, v in by_index.items()} for task, by_index in reply[key].items()
            }
        return DagTestResult(**reply, log_tail=self.log_tail())

    def log_tail(self, chars: int = 6000) -> str:
        """The end of the child's log, for assertion messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text[-chars:]

    def close(self) -> None:
        """Ask the child to exit; kill it if it does not."""
        if self.process.poll() is None:
            try:
                self._send({"cmd": "stop"})
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> AirflowWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, request: dict[str, Any]) -> None:
        if self.process.poll() is not None or self.process.stdin is None:
            raise RuntimeError(f"Airflow worker exited with {self.process.returncode}:\n{self.log_tail()}")
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._replies.put(line)
        self._replies.put(None)

    def _reply(self, timeout_s: float) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout_s)
        except queue.Empty:
            self.process.kill()
            message = f"Airflow worker gave no answer in {timeout_s:.0f} s:\n{self.log_tail()}"
            raise TimeoutError(message) from None
        if line is None:
            self.process.wait()
            raise RuntimeError(f"Airflow worker exited with {self.process.returncode}:\n{self.log_tail()}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"Airflow worker failed: {reply['error']}\n{self.log_tail()}")
        return reply


# --------------------------------------------------------------------------------------------------------
# The child side. Nothing below runs in the pytest process.


def _serve(preload: list[str]) -> None:
    """Initialise the metadata DB, warm up, then answer JSON-line requests until ``stop`` or end of input."""
    # Keep the real stdout for replies and send everything else (task prints, Airflow logs) to stderr.
    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)

    def answer(payload: dict[str, Any]) -> None:
        replies.write(json.dumps(payload, default=str) + "\n")
        replies.flush()

    try:
        started = time.perf_counter()
        from airflow.utils.db import initdb  # importing Airflow reads its configuration, once

        imported = time.perf_counter()
        initdb()
        answer({"import_s": imported - started, "initdb_s": time.perf_counter() - imported})
    except Exception as exc:  # reported to the parent, which raises
        answer({"error": f"startup: {exc!r}"})
        return
    _warm_up(preload)

    for line in sys.stdin:
        request = json.loads(line)
        if request["cmd"] == "stop":
            break
        try:
            answer(_dag_test(**{k: v for k, v in request.items() if k != "cmd"}))
        except Exception as exc:  # reported to the parent, which raises
            import traceback

            traceback.print_exc()
            answer({"error": repr(exc)})
    # Everything is committed; skip the interpreter's shutdown, which spends ~2 s on Airflow's exit hooks.
    for stream in (sys.stdout, sys.stderr, replies):
        stream.flush()
    os._exit(0)


def _warm_up(preload: list[str]) -> None:
    """Pay the one-off costs of the first task run now: preload modules, build the in-process API."""
    import importlib
    import logging

    log = logging.getLogger("airflow_harness")
    started = time.perf_counter()
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # the task importing it fails with the real error
            log.exception("could not preload %s", name)
    try:
        from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor

        # The first request makes Cadwyn generate the versioned routers of the Execution API (~5 s).
        InProcessTestSupervisor._api_client().get("health/ping")
    except Exception:  # only an optimisation; dag.test() builds it anyway
        log.exception("could not warm up the in-process Execution API")
    log.warning("airflow_harness warm-up took %.1f s", time.perf_counter() - started)


def _dag_test(
    dag_id: str,
    logical_date: str,
    retries: int | None,
    env: dict[str, str],
    conf: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one ``dag.test()`` in this process and collect states, return values and asset events."""
    import pendulum
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    # Parsed afresh for every run (~0.1 s): a DAG object a previous request changed is never reused.
    bag = DagBag()  # the configured DAGs folder
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    if dag_id not in bag.dags:
        raise KeyError(f"no DAG {dag_id!r} in {sorted(bag.dags)}")
    dag = bag.dags[dag_id]
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries

    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        dag_run = dag.test(
            logical_date=pendulum.instance(datetime.fromisoformat(logical_date), tz="UTC"), run_conf=conf
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    duration = time.perf_counter() - started

    assert settings.Session is not None, "Airflow's ORM is not configured"
    session = settings.Session()
    try:
        task_states: dict[str, dict[int, str | None]] = {}
        for ti in dag_run.get_task_instances(session=session):
            task_states.setdefault(ti.task_id, {})[ti.map_index] = None if ti.state is None else str(ti.state)
        returns: dict[str, dict[int, Any]] = {}
        xcoms = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_id, key="return_value"))
        for xcom in xcoms:
            returns.setdefault(xcom.task_id, {})[xcom.map_index] = XComModel.deserialize_value(xcom)
        events = session.scalars(
            select(AssetEvent).where(
                AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == dag_run.run_id
            )
        )
        asset_events = sorted(event.uri for event in events)
    finally:
        session.close()
    return {
        "dag_id": dag_id,
        "logical_date": logical_date,
        "run_id": dag_run.run_id,
        "state": str(dag_run.state),
        "task_states": task_states,
        "returns": returns,
        "asset_events": asset_events,
        "duration_s": duration,
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        sys.exit(f"usage: {sys.argv[0]} serve [MODULE_TO_PRELOAD ...]")
    _serve(sys.argv[2:])
