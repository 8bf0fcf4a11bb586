"""Rebuild every mart table from ``sql/marts/*.sql``, as of a night."""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.settings import Settings
from pipeline.warehouse import run, sql_text


def mart_names(settings: Settings) -> list[str]:
    """Mart names in build order (file name order)."""
    return sorted(p.stem for p in (settings.sql_dir / "marts").glob("*.sql"))


def build_marts(con: duckdb.DuckDBPyConnection, settings: Settings, night: date) -> list[str]:
    """Create or replace every mart from the warehouse as it stood on ``night``, in one transaction."""
    names = mart_names(settings)
    run(con, "begin transaction")
    try:
        for name in names:
            run(con, sql_text(settings, f"marts/{name}"), {"night": night})
        run(con, "commit")
    except Exception:
        run(con, "rollback")
        raise
    return names
