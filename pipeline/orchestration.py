"""What the Airflow DAGs share with each other and their deployment: pools, assets, default task arguments.
Nothing heavy is imported here, so the DAG files can read it at parse time for free.

Concurrency design (see ``SCALING.md``): DuckDB takes one writer at a time, so every task that writes the
warehouse runs in the one-slot ``reviewpulse_warehouse`` pool, across all DAGs and runs; parallel work
(parsing and validating files, scoring shards) writes files under ``$REVIEWPULSE_HOME`` and a single
writer task merges them. Model-heavy tasks (the encoder) share the ``reviewpulse_models`` pool so a
worker box is not oversubscribed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# name -> (slots, description). Created by the compose stack's airflow-init (``airflow pools set``) and by
# the tests that start real Airflow components; a task in a pool that does not exist is never scheduled.
POOLS: dict[str, tuple[int, str]] = {
    "reviewpulse_warehouse": (1, "DuckDB takes one writer: every task that opens the warehouse"),
    "reviewpulse_models": (2, "Encoder-heavy tasks outside the warehouse (scoring shards, training)"),
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


def alert_on_failure(context: Any) -> None:
    """``on_failure_callback`` of every ReviewPulse task: log the failure, post it to the optional webhook.

    ``pipeline.alerts`` is imported only when a task has failed, never while a DAG file is parsed.
    """
    from pipeline.alerts import on_task_failure

    on_task_failure(context)


def default_args(retries: int = 2, retry_delay: timedelta = timedelta(minutes=5)) -> dict[str, Any]:
    """The ``default_args`` of every ReviewPulse DAG: owner, retries, and the failure alert."""
    return {
        "owner": "reviewpulse",
        "retries": retries,
        "retry_delay": retry_delay,
        "on_failure_callback": alert_on_failure,
    }
