"""Ingest one export file: read, map, validate, then load good rows and quarantine bad ones, in one
transaction.

Idempotent: a file is identified by its kind, format and the sha256 of its bytes. A file that already
loaded successfully is skipped, so re-running a night changes nothing. Rows are merged on their id:
unchanged rows only move ``last_seen``; edited rows are updated and marked ``needs_scoring``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import BatchError, ReviewPulseError
from pipeline.settings import Settings
from pipeline.sources import READERS, get_source, to_canonical
from pipeline.sources.readers import scrub_emails
from pipeline.validation import check_columns, validate_rows
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


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    *,
    fmt: str,
    kind: str,
    night: date,
) -> IngestResult:
    """Load one file into the warehouse. Raises ``BatchError`` (after recording the failure) if it cannot."""
    spec = get_source(kind, fmt)
    path = Path(path)
    checksum = file_checksum(path)
    run_id = f"{kind}:{fmt}:{checksum[:16]}"
    result = IngestResult(
        run_id=run_id, kind=kind, source=fmt, file=str(path), night=night.isoformat(), status="succeeded"
    )
    earlier = _previous_success(con, run_id)
    if earlier is not None:
        result.status = "skipped"
        result.rows_read, result.rows_loaded, result.rows_quarantined = earlier[:3]
        result.error = f"already loaded on night {earlier[3]}"
        return result

    started, clock = datetime.now(), time.perf_counter()
    try:
        batch = READERS[spec.reader](path)
        check_columns(spec.name, spec.kind, batch.columns, spec.required_columns(), path.name)
        frame = to_canonical(spec, batch, path=path, night=night)
        # Records we could not parse may still carry an email address in clear.
        batch.rejected = [replace(r, raw=scrub_emails(r.raw)) for r in batch.rejected]
        checked = validate_rows(spec.kind, frame, batch.rejected)
    except ReviewPulseError as exc:
        _fail(con, settings, result, checksum, started, clock, exc)
        raise BatchError(str(exc)) from exc

    good, quarantined = checked.good, checked.quarantined
    result.rows_read = batch.records_read
    result.rows_loaded = len(good)
    result.rows_quarantined = len(quarantined)
    result.quarantine_by_reason = {
        str(code): int(n) for code, n in quarantined["reason_code"].value_counts().sort_index().items()
    }
    result.validation = checked.summary
    if result.rows_read != result.rows_loaded + result.rows_quarantined:  # never lose a row silently
        raise BatchError(
            f"{path.name}: {result.rows_read} rows read but {result.rows_loaded} loaded "
            f"+ {result.rows_quarantined} quarantined"
        )

    table = spec.kind.table
    params = {"night": night, "run_id": run_id}
    con.begin()
    try:
        con.register(f"batch_{table}", good[list(spec.kind.columns)])
        con.register("batch_quarantine", quarantined)
        staging = sql_text(settings, f"staging/stg_{table}")
        run(  # kinds without reviewer ids (survey responses) have no $salt to bind
            con,
            f"create or replace temp table stg_{table} as {staging}",
            {"salt": settings.salt} if "$salt" in staging else None,
        )
        changes = run(con, sql_text(settings, f"core/changes_{table}"), {"night": night})[0]
        result.rows_new, result.rows_changed, result.rows_unchanged = (int(v) for v in changes)
        run(con, sql_text(settings, f"core/merge_{table}"), params)
        run(
            con,
            sql_text(settings, "core/insert_quarantine"),
            {**params, "kind": kind, "source": fmt, "file": str(path)},
        )
        result.duration_s = round(time.perf_counter() - clock, 3)
        _record_run(con, settings, result, checksum, started)
        con.commit()
    except Exception as exc:
        con.rollback()
        _fail(con, settings, result, checksum, started, clock, exc)
        raise BatchError(f"{path.name}: load failed and was rolled back: {exc}") from exc
    finally:
        for name in (f"batch_{table}", "batch_quarantine"):
            con.unregister(name)
        run(con, f"drop table if exists stg_{table}")
    return result


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
