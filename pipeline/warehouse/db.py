"""Open the warehouse and run the project's SQL files with bound parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import ReviewPulseError
from pipeline.settings import Settings

CORE_TABLES = ("reviews", "seller_feedback", "survey_responses", "ingest_runs", "quarantine")


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def sql_text(settings: Settings, name: str) -> str:
    """The text of ``sql/<name>.sql`` (for example ``core/merge_reviews``)."""
    path = settings.sql_dir / f"{name}.sql"
    if not path.exists():
        raise ReviewPulseError(f"SQL file not found: {path}")
    return _read(path)


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Execute one statement with bound parameters and fetch every row, leaving the connection free."""
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, **tables: Any) -> Iterator[None]:
    """One transaction: commit when the block ends, roll back on any error.

    Keyword arguments register data frames as views for the block (``batch_scores=frame``) and
    unregister them afterwards, whatever happens.
    """
    for name, frame in tables.items():
        con.register(name, frame)
    try:
        run(con, "begin transaction")
        try:
            yield
            run(con, "commit")
        except BaseException:
            run(con, "rollback")
            raise
    finally:
        for name in tables:
            con.unregister(name)


def ensure_schema(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Create the warehouse tables that do not exist yet, from ``sql/schema/*.sql`` in name order."""
    for path in sorted((settings.sql_dir / "schema").glob("*.sql")):
        run(con, _read(path))


def connect(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and on first use create) the warehouse file, with its schema in place."""
    settings.home.mkdir(parents=True, exist_ok=True)
    if read_only and not settings.warehouse_path.exists():
        raise ReviewPulseError(f"no warehouse yet at {settings.warehouse_path}; run an ingest first")
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=read_only)
    except duckdb.IOException as exc:
        held = re.search(r"Conflicting lock is held in .*?\(PID (\d+)\)", str(exc))
        if held:  # DuckDB lets one process write a file at a time, and none read it meanwhile
            raise ReviewPulseError(
                f"the warehouse {settings.warehouse_path} is in use by another process (PID {held[1]}: a "
                "night run, a load or another command); try again when it has finished"
            ) from exc
        raise ReviewPulseError(f"cannot open warehouse {settings.warehouse_path}: {exc}") from exc
    if not read_only:
        ensure_schema(con, settings)
    return con


def table_counts(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """Row counts of the given tables (default: every table in the warehouse)."""
    if tables is None:
        tables = tuple(r[0] for r in run(con, "select table_name from duckdb_tables() order by 1"))
    counts: dict[str, int] = {}
    for table in tables:
        counts[table] = int(run(con, f'select count(*) from "{table}"')[0][0])  # names come from the catalog
    return counts
