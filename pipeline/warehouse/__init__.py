"""The DuckDB warehouse: connection, schema from ``sql/schema``, and named SQL files from ``sql/``."""

from pipeline.warehouse.db import connect, ensure_schema, run, sql_text, table_counts, transaction

__all__ = ["connect", "ensure_schema", "run", "sql_text", "table_counts", "transaction"]
