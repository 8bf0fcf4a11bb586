"""
### ReviewPulse lake export

Scheduled on the warehouse assets that `reviewpulse_nightly`'s `load` publishes: after every load it
writes the loaded night's records to Hive-partitioned Parquet under `$REVIEWPULSE_HOME/lake/`
(`reviews`, `seller_feedback`, `survey_responses`, `quarantine`; one `night=<YYYY-MM-DD>` partition per
night), for other engines and the move to object storage (see `SCALING.md` and `pipeline/lake.py`).

* The nights come from the triggering asset events (`extra["night"]`); events that queue up while a run
  is busy are exported together by the next run. A manual run exports the night of its logical date.
* It reads the warehouse, so it waits for the one-slot `reviewpulse_warehouse` pool: it never holds
  DuckDB while the nightly writes.
* A night's partition is replaced as a whole, atomically: rerunning or clearing a run is always safe.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

from pipeline.orchestration import WAREHOUSE_ASSET_URIS, WAREHOUSE_POOL, default_args

REVIEWS, SELLER_FEEDBACK, SURVEY_RESPONSES = (Asset(uri) for uri in WAREHOUSE_ASSET_URIS.values())


@dag(
    dag_id="reviewpulse_lake_export",
    schedule=REVIEWS | SELLER_FEEDBACK | SURVEY_RESPONSES,  # any of them
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["reviewpulse", "lake"],
    default_args=default_args(),
    doc_md=__doc__,
)
def reviewpulse_lake_export() -> None:
    @task(pool=WAREHOUSE_POOL)
    def export_nights(triggering_asset_events: Any = None, ds: str | None = None) -> dict[str, Any]:
        """Export every night named by the triggering events (or the logical date of a manual run)."""
        from pipeline import lake
        from pipeline.settings import Settings

        nights = lake.nights_from_events(triggering_asset_events) or ([ds] if ds else [])
        if not nights:
            raise ValueError("no night to export: no asset event names one and the run has no logical date")
        return lake.export_nights(Settings.from_env(), nights)

    export_nights()


reviewpulse_lake_export()
