"""Names the Airflow DAGs share with their deployment: pools and assets. Constants only (no imports), so the
DAG files can read them at parse time for free.

Concurrency design (see ``SCALING.md``): DuckDB takes one writer at a time, so every task that writes the
warehouse runs in the one-slot ``reviewpulse_warehouse`` pool, across all DAGs and runs; parallel work
(parsing and validating files, scoring shards) writes files under ``$REVIEWPULSE_HOME`` and a single
writer task merges them. Model-heavy tasks (the encoder) share the ``reviewpulse_models`` pool so a
worker box is not oversubscribed.
"""

from __future__ import annotations

# name -> (slots, description). Created by the compose stack's airflow-init (``airflow pools set``) and by
# the tests that start real Airflow components; a task in a pool that does not exist is never scheduled.
POOLS: dict[str, tuple[int, str]] = {
    "reviewpulse_warehouse": (1, "DuckDB takes one writer: every task that writes the warehouse"),
    "reviewpulse_models": (2, "Encoder-heavy tasks (scoring shards, themes, training)"),
}
WAREHOUSE_POOL = "reviewpulse_warehouse"
MODELS_POOL = "reviewpulse_models"

# Airflow Connection whose URL receives a JSON POST when a task fails (optional; see pipeline/alerts.py).
ALERT_CONNECTION_ID = "reviewpulse_alerts"

# Assets: the nightly ``load`` publishes one per kind, with ``{"night", "rows_loaded"}`` in the event's extra;
# ``write_report`` publishes the reports. DAGs downstream schedule on them.
WAREHOUSE_ASSET_URIS = {
    kind: f"reviewpulse://warehouse/{kind}" for kind in ("reviews", "seller_feedback", "survey_responses")
}
REPORTS_ASSET_URI = "reviewpulse://reports"
