"""
### ReviewPulse lake export

Scheduled on the warehouse assets that `reviewpulse_nightly`'s `load` publishes: after every load it
publishes each file the load left under `$REVIEWPULSE_HOME/loaded/` as an immutable Parquet file in the
lake, `$REVIEWPULSE_HOME/lake/<table>/night=<YYYY-MM-DD>/<run id>.parquet` (`reviews`,
`seller_feedback`, `survey_responses`, `quarantine`), for other engines and the move to object storage
(see `SCALING.md` and `pipeline/lake.py`).

* Whatever waits under `loaded/` is published, whichever night it came from: events that queue up while
  a run is busy, or a run that failed and is cleared, lose nothing.
* The rows are typed and salted by the warehouse's staging SQL in an in-memory DuckDB: the warehouse file
  is never opened, so the export never waits for the nightly's writer.
* A published file is never rewritten by a later night: the lake keeps every version of a record as it
  arrived (the warehouse keeps the latest). Rerunning or clearing a run is safe.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

from pipeline.orchestration import WAREHOUSE_ASSET_URIS, default_args

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
    @task
    def publish_loaded() -> dict[str, Any]:
        """Publish every loaded file waiting under ``loaded/`` into the lake; rows per night and table."""
        from pipeline import lake
        from pipeline.settings import Settings

        return lake.publish_loaded(Settings.from_env())

    publish_loaded()


reviewpulse_lake_export()
