"""Rebuild every mart table from ``sql/marts/*.sql``, as of a night."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from pipeline.fake.signals import FakeConfig
from pipeline.settings import Settings
from pipeline.warehouse import run, sql_text, transaction


def mart_names(settings: Settings) -> list[str]:
    """Mart names in build order (file name order)."""
    return sorted(p.stem for p in (settings.sql_dir / "marts").glob("*.sql"))


def _params(sql: str, available: dict[str, Any]) -> dict[str, Any]:
    """The named parameters (``$name``) one statement uses, from those available."""
    return {name: available[name] for name in set(re.findall(r"\$(\w+)", sql)) if name in available}


AS_OF_TABLES = ("fake_latest", "rated_records", "product_titles")


def load_as_of(
    con: duckdb.DuckDBPyConnection, settings: Settings, night: date, names: Sequence[str] = AS_OF_TABLES
) -> None:
    """Temp tables of ``con`` as of ``night`` that the marts and the report read (``sql/core/<name>``, in
    this order): ``fake_latest`` (each record's latest fake score), ``rated_records`` (the records first
    seen by ``night``, each with its rating and trust weight; needs ``fake_latest``) and ``product_titles``
    (each product's title and seller). ``names``: the ones a caller needs."""
    for name in names:
        run(con, sql_text(settings, f"core/{name}"), {"night": night})


def build_marts(con: duckdb.DuckDBPyConnection, settings: Settings, night: date) -> list[str]:
    """Create or replace every mart from the warehouse as it stood on ``night``, in one transaction.

    Marts see the night's ``AS_OF_TABLES`` (``load_as_of``), and the trust-grade
    cut-offs (``$grade_a`` .. ``$grade_d``) from the fake-signal config.
    """
    names = mart_names(settings)
    grades = FakeConfig.load(settings.fake_signals_path).grades
    available: dict[str, Any] = {"night": night, **{f"grade_{k.lower()}": v for k, v in grades.items()}}
    load_as_of(con, settings, night)
    with transaction(con):
        for name in names:
            sql = sql_text(settings, f"marts/{name}")
            run(con, sql, _params(sql, available))
    return names
