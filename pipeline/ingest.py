"""Ingest one export file: read, map, validate, then load good rows and quarantine bad ones, in one
transaction. Three steps, each with its own function, so Airflow can run the first two in parallel per
source and the third in its one writer (``stage_file`` -> ``validate_staged`` -> ``load_staged``);
``ingest_file`` runs the same three in one process for the CLI. Every loaded file is handed to
``loaded/`` for the lake (``pipeline/lake.py``).

Idempotent: a file is identified by its kind, format and the sha256 of its bytes. A file that already
loaded successfully is skipped, so re-running a night changes nothing. Rows are merged on their id:
unchanged rows only move ``last_seen``; edited rows are updated and marked ``needs_scoring``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.errors import BatchError, ReviewPulseError
from pipeline.settings import Settings
from pipeline.sources import READERS, get_source, to_canonical
from pipeline.sources.canonical import Kind
from pipeline.sources.readers import Rejected, scrub_emails
from pipeline.validation import ValidationResult, check_columns, validate_rows
from pipeline.warehouse import run, sql_text


@dataclass
class IngestResult:
    """What happened to one file; ``status`` is ``succeeded``, ``skipped`` (already loaded) or ``failed``."""

    run_id: str
    kind: str
    source: str
    file: str
    night: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0
    validation: dict[str, Any] = field(default_factory=dict)
    # Loaded, but the hand-off to ``loaded/`` failed after the commit: why. The file stays staged; the next
    # load hands it over (``finish_hand_offs``).
    lake_pending: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_checksum(path: Path) -> str:
    """sha256 of the file's bytes."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise BatchError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _previous_success(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[Any, ...] | None:
    rows = run(
        con,
        "select rows_read, rows_loaded, rows_quarantined, night from ingest_runs "
        "where run_id = ? and status = 'succeeded'",
        [run_id],
    )
    return rows[0] if rows else None


def _record_run(
    con: duckdb.DuckDBPyConnection, settings: Settings, result: IngestResult, checksum: str, started: datetime
) -> None:
    finished = datetime.now()
    run(
        con,
        sql_text(settings, "core/record_ingest_run"),
        {
            "run_id": result.run_id,
            "night": result.night,
            "kind": result.kind,
            "source": result.source,
            "file": result.file,
            "checksum": checksum,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_new": result.rows_new,
            "rows_changed": result.rows_changed,
            "rows_unchanged": result.rows_unchanged,
            "rows_quarantined": result.rows_quarantined,
            "status": result.status,
            "error": result.error,
            "validation_summary": json.dumps(result.validation, default=str),
            "started_at": started,
            "finished_at": finished,
            "duration_s": result.duration_s,
        },
    )


def _identify(kind: str, fmt: str, path: Path, night: date) -> tuple[str, IngestResult]:
    """The file's checksum and a fresh result; the run id is the kind, the format, the night and the
    checksum: the same bytes load once a night (a rerun changes nothing), and on a later night they are
    that night's word again (an export that reverts an edit by repeating an earlier file is applied)."""
    checksum = file_checksum(path)
    run_id = f"{kind}:{fmt}:{night.isoformat()}:{checksum[:16]}"
    result = IngestResult(
        run_id=run_id, kind=kind, source=fmt, file=str(path), night=night.isoformat(), status="succeeded"
    )
    return checksum, result


def _skip_if_loaded(con: duckdb.DuckDBPyConnection, result: IngestResult) -> bool:
    """Mark ``result`` skipped when the same bytes already loaded successfully."""
    earlier = _previous_success(con, result.run_id)
    if earlier is None:
        return False
    result.status = "skipped"
    result.rows_read, result.rows_loaded, result.rows_quarantined = earlier[:3]
    result.error = f"already loaded on night {earlier[3]}"
    return True


def parse_file(kind: str, fmt: str, path: Path, night: date) -> tuple[pd.DataFrame, list[Rejected], int]:
    """Read one file and map it to the canonical columns.

    Returns the rows, the records that could not be read, and how many records were read. Raises
    ``BatchError`` when the file cannot be used at all (unknown format, missing column, unreadable).
    """
    spec = get_source(kind, fmt)
    batch = READERS[spec.reader](path)
    if not batch.columns:  # no record gave column names (JSON Lines: none was an object)
        if not batch.rejected:
            raise BatchError(f"{path.name}: file is empty (no JSON line)")
        first = batch.rejected[0]
        raise BatchError(f"{path.name}: no readable record: all {len(batch.rejected)} lines were rejected, "
                         f"the first (line {first.line_no}) as {first.reason}")  # fmt: skip
    check_columns(spec.name, spec.kind, batch.columns, spec.required_columns(), path.name)
    frame = to_canonical(spec, batch, path=path, night=night)
    # Records we could not parse may still carry an email address in clear.
    rejected = [replace(r, raw=scrub_emails(r.raw)) for r in batch.rejected]
    return frame, rejected, batch.records_read


def _take_validation(result: IngestResult, rows_read: int, checked: ValidationResult) -> None:
    """Copy the validation outcome into ``result``; raise ``BatchError`` if a row went missing."""
    result.rows_read = rows_read
    result.rows_loaded = len(checked.good)
    result.rows_quarantined = len(checked.quarantined)
    reasons = checked.quarantined["reason_code"].value_counts().sort_index()
    result.quarantine_by_reason = {str(code): int(n) for code, n in reasons.items()}
    result.validation = checked.summary
    if result.rows_read != result.rows_loaded + result.rows_quarantined:  # never lose a row silently
        raise BatchError(
            f"{Path(result.file).name}: {result.rows_read} rows read but {result.rows_loaded} loaded "
            f"+ {result.rows_quarantined} quarantined"
        )


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    *,
    fmt: str,
    kind: str,
    night: date,
) -> IngestResult:
    """Load one file into the warehouse: the nightly DAG's three steps (``stage_file``, ``validate_staged``,
    ``load_staged``) one after the other in this process, so the CLI loads exactly as Airflow does and the
    loaded file waits under ``loaded/`` for the lake (``pipeline/lake.py``). A file whose bytes loaded
    before is skipped before it is read. Raises ``BatchError`` when the file cannot be used or its load
    fails (both recorded in ``ingest_runs``; the load rolled back), and for any other error on the way
    (there is no task retry here to hand the raw error to); nothing of the file stays staged unless it
    loaded. Earlier files still waiting for the lake are the caller's (``finish_hand_offs``).
    """
    path, the_night = Path(path), night.isoformat()
    _, result = _identify(kind, fmt, path, night)
    folder = _staging_folder(settings, the_night, result.run_id)
    try:
        if _skip_if_loaded(con, result):  # as load_staged: a copy of these bytes may still wait for the lake
            result.lake_pending = _finish_hand_off(con, settings, folder)
        else:
            validate_staged(stage_file(settings, kind=kind, source=fmt, path=str(path), night=the_night))
            result = load_staged(con, settings, kind=kind, source=fmt, path=str(path), night=the_night)
    except ReviewPulseError:
        raise
    except Exception as exc:
        with contextlib.suppress(Exception):  # a file that loaded keeps its staged rows for the lake
            if _previous_success(con, result.run_id) is None:
                _unstage(folder)
        if isinstance(exc.__cause__, BatchError):  # the database failed the load: recorded, rolled back
            raise exc.__cause__ from exc
        raise BatchError(f"{path.name}: {type(exc).__name__}: {exc}") from exc
    return result


def _batch_view(kind: Kind, absent: list[str]) -> str:
    """SQL for the view ``batch_<table>`` that the staging SQL reads: the file's rows, where a record is
    already stored, with the stored values of the columns the file does not give.

    A file without a column says nothing about it, so an edit must not erase it (a re-export without the
    optional columns), and a source without dates must not move a stored review to the night of its
    re-export (and count it as an edit). ``reviewer_id`` is stored only as a hash: the merge keeps the
    stored ``reviewer_key`` where the file gives none."""
    table, idc = kind.table, kind.id_column
    keep = [c for c in absent if c != "reviewer_id"]
    stored = ", ".join(
        f"case when stored.{idc} is null then batch.{c} else stored.{c} end as {c}" for c in keep
    )
    select = f"select batch.* replace ({stored})" if keep else "select batch.*"
    return (
        f"create or replace temp view batch_{table} as {select} from batch_{table}_file as batch "
        f"left join {table} as stored on stored.source = batch.source and stored.{idc} = batch.{idc}"
    )


def _load_checked(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    result: IngestResult,
    good: pd.DataFrame,
    quarantined: pd.DataFrame,
    checksum: str,
    started: datetime,
    clock: float,
    absent: list[str],
) -> None:
    """Merge validated rows and quarantine the rest in one transaction; record the run in ``ingest_runs``.

    ``absent``: the columns the file gives no value for (``absent_columns``); see ``_batch_view``."""
    kind = get_source(result.kind, result.source).kind
    table = kind.table
    params = {"night": date.fromisoformat(result.night), "run_id": result.run_id}
    con.begin()
    try:
        con.register(f"batch_{table}_file", good[list(kind.columns)])
        run(con, _batch_view(kind, absent))
        con.register("batch_quarantine", quarantined)
        staging = sql_text(settings, f"staging/stg_{table}")
        run(  # kinds without reviewer ids (survey responses) have no $salt to bind
            con,
            f"create or replace temp table stg_{table} as {staging}",
            {"salt": settings.salt} if "$salt" in staging else None,
        )
        changes = run(con, sql_text(settings, f"core/changes_{table}"), {"night": params["night"]})[0]
        result.rows_new, result.rows_changed, result.rows_unchanged = (int(v) for v in changes)
        run(con, sql_text(settings, f"core/merge_{table}"), params)
        run(
            con,
            sql_text(settings, "core/insert_quarantine"),
            {**params, "kind": result.kind, "source": result.source, "file": result.file},
        )
        result.duration_s = round(time.perf_counter() - clock, 3)
        _record_run(con, settings, result, checksum, started)
        con.commit()
    except Exception as exc:
        con.rollback()
        _fail(con, settings, result, checksum, started, clock, exc)
        raise BatchError(f"{Path(result.file).name}: load failed and was rolled back: {exc}") from exc
    finally:
        run(con, f"drop view if exists batch_{table}")
        for name in (f"batch_{table}_file", "batch_quarantine"):
            con.unregister(name)
        run(con, f"drop table if exists stg_{table}")


def _fail(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    result: IngestResult,
    checksum: str,
    started: datetime,
    clock: float,
    exc: BaseException,
) -> None:
    """Record a failed attempt in ``ingest_runs``; nothing else from the file is kept."""
    result.status = "failed"
    result.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    result.rows_loaded = result.rows_new = result.rows_changed = result.rows_unchanged = 0
    result.rows_quarantined = 0
    result.duration_s = round(time.perf_counter() - clock, 3)
    _record_run(con, settings, result, checksum, started)


# ---------------------------------------------------------------------------------------------------------
# The same steps for parallel workers: read and validate write files, a single writer loads them.
#
#     stage_file (any worker)  ->  validate_staged (any worker)  ->  load_staged (the one writer)
#
# Each file gets a folder ``$REVIEWPULSE_HOME/staging/<night>/<run id>/`` (run id = kind, format and the
# checksum, so a replaced file gets a new folder): ``rows.parquet`` and ``rejected.parquet`` after reading,
# ``good.parquet`` and ``quarantine.parquet`` after validation, and ``meta.json`` with the state. A file
# that cannot be used is staged as ``failed`` with its error, so the writer records it in ``ingest_runs``.


def _staging_folder(settings: Settings, night: str, run_id: str) -> Path:
    return settings.home / "staging" / night / run_id.replace(":", "_")


def _unstage(folder: Path) -> None:
    """Remove a file's staging folder, and the night's folder once it is empty."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # not empty: other files of the night are still staged
        folder.parent.rmdir()


def _make_folder(folder: Path) -> None:
    """Create ``folder`` and its night's folder. A load of another file of the same night may remove the
    night's folder, empty, between the two (``_unstage``): then it is made again."""
    for attempt in range(3):
        try:
            folder.mkdir(parents=True)
            return
        except FileNotFoundError:
            if attempt == 2:
                raise


def _write_meta(meta: dict[str, Any]) -> dict[str, Any]:
    folder = Path(meta["folder"])
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    tmp.replace(folder / "meta.json")
    return meta


def stage_file(settings: Settings, *, kind: str, source: str, path: str, night: str) -> dict[str, Any]:
    """Read one landed file into its staging folder; returns the staged file's ``meta`` (JSON-able).

    Never raises for a file that cannot be used: the meta says ``failed`` with the error, and the
    writer records it. Raises ``BatchError`` only when the file cannot even be read to checksum it.
    """
    the_night = date.fromisoformat(night)
    checksum, result = _identify(kind, source, Path(path), the_night)
    folder = _staging_folder(settings, night, result.run_id)
    shutil.rmtree(folder, ignore_errors=True)
    _make_folder(folder)
    meta: dict[str, Any] = {
        "run_id": result.run_id, "kind": kind, "source": source, "file": path, "night": night,
        "checksum": checksum, "folder": str(folder), "started_at": datetime.now().isoformat(),
        "status": "read", "error": None, "rows_read": 0, "seconds": 0.0,
    }  # fmt: skip
    clock = time.perf_counter()
    try:
        frame, rejected, meta["rows_read"] = parse_file(kind, source, Path(path), the_night)
        meta["absent"], meta["unused"] = frame.attrs.get("absent", []), frame.attrs.get("unused", [])
        frame.to_parquet(folder / "rows.parquet", index=False)
        rejected_frame = pd.DataFrame(
            [asdict(r) for r in rejected], columns=["record_no", "line_no", "raw", "code", "reason"]
        )
        rejected_frame.astype({"record_no": "int64", "line_no": "Int64"}).to_parquet(
            folder / "rejected.parquet", index=False
        )
    except ReviewPulseError as exc:
        meta.update(status="failed", error=str(exc))
    except (ValueError, pa.ArrowException) as exc:  # a value the readers let through (UnicodeError too)
        meta.update(
            status="failed", error=f"{Path(path).name}: cannot stage its rows ({type(exc).__name__}: {exc})"
        )
    meta["seconds"] = round(time.perf_counter() - clock, 3)
    return _write_meta(meta)


def validate_staged(staged: dict[str, Any]) -> dict[str, Any]:
    """Run the row checks (Great Expectations) over a staged file; write its good and quarantined rows."""
    if staged["status"] != "read":
        return staged
    meta, folder = dict(staged), Path(staged["folder"])
    clock = time.perf_counter()
    frame = pd.read_parquet(folder / "rows.parquet")
    rejected = [
        Rejected(
            record_no=int(r["record_no"]),
            line_no=None if pd.isna(r["line_no"]) else int(r["line_no"]),
            raw=str(r["raw"]),
            code=str(r["code"]),
            reason=str(r["reason"]),
        )
        for r in pd.read_parquet(folder / "rejected.parquet").to_dict("records")
    ]
    result = IngestResult(meta["run_id"], meta["kind"], meta["source"], meta["file"], meta["night"], "")
    try:
        kind = get_source(meta["kind"], meta["source"]).kind
        checked = validate_rows(kind, frame, rejected, date.fromisoformat(meta["night"]))
        _take_validation(result, meta["rows_read"], checked)
    except ReviewPulseError as exc:
        meta.update(status="failed", error=str(exc))
    else:
        checked.good.to_parquet(folder / "good.parquet", index=False)
        checked.quarantined.to_parquet(folder / "quarantine.parquet", index=False)
        meta.update(
            status="validated", validation={**checked.summary, "unused_columns": meta.get("unused", [])}
        )
    meta["seconds"] = round(meta["seconds"] + time.perf_counter() - clock, 3)
    return _write_meta(meta)


def load_staged(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, kind: str, source: str, path: str, night: str
) -> IngestResult:
    """The writer's half: load one listed file from its staging folder, then hand it to ``loaded/``.

    A file whose staging failed, or that was never staged (its task did not finish), is recorded as
    failed in ``ingest_runs``, its folder removed and ``BatchError`` raised, as ``ingest_file`` does. When
    the load itself fails for another reason (the database: a lock, a full disk), the attempt is recorded
    and rolled back, the staging folder is kept and the database's own error is raised, so that Airflow
    retries the task (a ``BatchError`` fails it for good). When the load committed but the move to
    ``loaded/`` fails, the result says so (``lake_pending``) and the file stays staged for
    ``finish_hand_offs``. Any other error keeps the folder: only a known outcome removes staged rows.
    """
    checksum, result = _identify(kind, source, Path(path), date.fromisoformat(night))
    folder = _staging_folder(settings, night, result.run_id)
    started, clock = datetime.now(), time.perf_counter()
    if _skip_if_loaded(con, result):
        # the same bytes loaded before; their staged copy goes, unless it is a loaded copy still waiting
        # for its hand-off (a rerun after a cut-off one, or a second landed copy of the same bytes)
        result.lake_pending = _finish_hand_off(con, settings, folder)
        if result.lake_pending is None:
            _unstage(folder)
        return result
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        meta = {"status": "missing", "seconds": 0.0}
    clock -= meta["seconds"]  # the run's duration includes reading and validating
    if meta["status"] == "failed":
        error: ReviewPulseError = BatchError(meta["error"])
    elif meta["status"] != "validated":
        error = BatchError(_why_not_staged(settings, night, path, checksum))
    else:
        good = pd.read_parquet(folder / "good.parquet")
        quarantined = pd.read_parquet(folder / "quarantine.parquet")
        try:
            _take_validation(
                result, meta["rows_read"], ValidationResult(good, quarantined, meta["validation"])
            )
            _load_checked(con, settings, result, good, quarantined, checksum, started, clock,
                          absent=meta.get("absent", []))  # fmt: skip
        except BatchError as exc:
            if exc.__cause__ is not None and not isinstance(exc.__cause__, ReviewPulseError):
                raise exc.__cause__ from exc  # not the file's fault: it stays staged for the retry
            _unstage(folder)
            raise
        result.lake_pending = _hand_over(settings, folder, night, Path(path).name)
        return result
    _fail(con, settings, result, checksum, started, clock, error)
    _unstage(folder)
    raise error


def _why_not_staged(settings: Settings, night: str, path: str, checksum: str) -> str:
    """Why a listed file has no staging folder under its current bytes. When the file was staged under
    other bytes (a new copy landed between its ingest task and the load), that stale copy is removed: the
    rows the load would take are no longer the file's."""
    for meta_path in (settings.home / "staging" / night).glob("*/meta.json"):
        with contextlib.suppress(OSError, ValueError):
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("file") == path and meta.get("checksum") != checksum:
                _unstage(meta_path.parent)
                return (
                    f"{Path(path).name}: the file changed after it was staged (a new copy landed during "
                    "the run); nothing of it was loaded: run the night again to load the new copy"
                )
    return f"{Path(path).name}: not staged and validated (its ingest task did not finish)"


def _hand_to_lake(settings: Settings, folder: Path, night: str) -> None:
    """Move a loaded file's good and quarantined rows to ``loaded/<night>/`` for the lake export
    (``pipeline/lake.py``); the read-stage files are dropped."""
    for name in ("rows.parquet", "rejected.parquet"):
        (folder / name).unlink(missing_ok=True)
    target = settings.home / "loaded" / night / folder.name
    shutil.rmtree(target, ignore_errors=True)
    for attempt in range(3):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.rename(target)
            return
        except FileNotFoundError:  # a publisher removed the night's folder, empty, between the two calls
            if attempt == 2 or not folder.exists():
                raise


def _hand_over(settings: Settings, folder: Path, night: str, name: str) -> str | None:
    """``_hand_to_lake`` for a committed load: None when done, else why not (the folder stays staged)."""
    try:
        _hand_to_lake(settings, folder, night)
    except OSError as exc:
        return (
            f"{name}: loaded, but handing it to the lake failed ({exc}); it stays under staging/ and the "
            "next load hands it over"
        )
    _unstage(folder)  # gone already: this removes the night's folder once it is empty
    return None


def _finish_hand_off(con: duckdb.DuckDBPyConnection, settings: Settings, folder: Path) -> str | None:
    """Hand over one staged folder if it holds a loaded file that never reached ``loaded/``; None when it
    did now or the folder is not such a file (then it may be removed), else why it still waits."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, or removed or being replaced meanwhile
        return None
    if meta.get("status") != "validated":
        return None
    from pipeline.lake import handed_over

    earlier = _previous_success(con, meta["run_id"])
    if earlier is None or earlier[3].isoformat() != meta["night"] or handed_over(settings, meta):
        return None
    return _hand_over(settings, folder, meta["night"], Path(meta["file"]).name)


def finish_hand_offs(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """Hand to the lake every file that loaded but is still staged, because its hand-off after the commit
    was cut off (the process died, or the move failed: ``IngestResult.lake_pending``); returns why each
    one that still could not be handed over waits (they stay staged for the next call).

    A staged file counts as loaded when ``ingest_runs`` records its run id as succeeded on the same night;
    one already waiting under ``loaded/`` or published is left alone (a rerun of a night stages its files
    again; ``load_staged`` skips and removes them), so nothing reaches the lake twice. The writers call this
    before they load (``load_sources``, ``nightly.load_landed``, ``reviewpulse ingest``).
    """
    pending = []
    for meta_path in sorted((settings.home / "staging").glob("*/*/meta.json")):
        why = _finish_hand_off(con, settings, meta_path.parent)
        if why:
            pending.append(why)
    return pending
