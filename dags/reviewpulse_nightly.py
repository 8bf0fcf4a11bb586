"""
### ReviewPulse nightly

Loads one night of marketplace and shop exports into the DuckDB warehouse, rebuilds the report tables
and writes that night's report.

1. `list_files`: the files under `$REVIEWPULSE_HOME/landing/<kind>/<source>/<night>/`.
2. `ingest_file`: one mapped task per file, run one at a time (DuckDB takes a single writer); loads the
   file, quarantines bad rows and records the file in `ingest_runs`.
   Publishes the asset `reviewpulse://warehouse/reviews`.
3. `plan_scoring`: writes the texts that have no score from the current model yet into Parquet shards
   (none when nothing is new or edited, so a rerun encodes nothing).
4. `score_shard`: one mapped task per shard, two at a time: sentiment, star estimate and the fake-text
   detectors from one encoder pass; writes a scores shard and never touches the warehouse.
5. `merge_scores`: the single writer loads every scores shard into `review_scores`.
6. `detect_fakes`: fake-review signals over the whole warehouse (bursts, near-duplicates, dense rings,
   reviewer profiles, text detectors); adds a `fake_scores` row wherever a score changed, so older
   reviews caught in a new burst are rescored and their earlier scores kept as history.
7. `assign_themes`: splits every new or changed text into sentences, each with its own sentiment and the
   complaint themes of `models/themes/taxonomy.yaml` (all history again when the taxonomy changed).
8. `discover_emerging`: clusters negative sentences no theme covers into emerging themes with stable ids.
9. `build_marts`: rebuilds the report tables as of the night (CX metrics, theme trends, journey stages).
10. `build_keywords`: long-tail keyword phrases per product, category and language (`mart_keywords`).
11. `write_report`: writes `$REVIEWPULSE_HOME/reports/<night>/` (HTML, CSV/Parquet, keyword CSVs).
   Publishes the asset `reviewpulse://reports`.

Runs daily at midnight UTC for the day that just ended: the run that starts at 2026-11-21 00:00 has the
logical date 2026-11-20. **The night is the run's logical date** (`ds`), never the wall clock, and every
task replaces what an earlier run wrote for that night, so running a night again gives the same warehouse
and report.

* A night with no landing files is not an error: `ingest_file` is skipped and the report is still written.
* A file that cannot be loaded at all (missing column, unknown format) fails its `ingest_file` task at
  once, without retries (the same file would fail again); `build_marts` and `write_report` then do not
  run. Other failures are retried twice, five minutes apart.
* Paths come from `REVIEWPULSE_*` environment variables (see `pipeline/settings.py`).

**Rerun a night** (say 2026-11-20), after fixing or replacing its landing files:

* in the UI, open the run for 2026-11-20 and *Clear* it (or only the failed tasks and their downstream);
* or `airflow tasks clear reviewpulse_nightly -s 2026-11-20 -e 2026-11-20 -y`;
* or, outside the scheduler, `airflow dags test reviewpulse_nightly 2026-11-20`.

Several nights: `airflow backfill create --dag-id reviewpulse_nightly --from-date 2026-11-18 --to-date
2026-11-20 --reprocess-behavior completed`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

WAREHOUSE_REVIEWS = Asset("reviewpulse://warehouse/reviews")
REPORTS = Asset("reviewpulse://reports")


def _night(ds: str | None) -> str:
    """The night partition (``YYYY-MM-DD``): the run's logical date, which a run must have."""
    if not ds:
        raise ValueError("reviewpulse_nightly needs a logical date; trigger it with one (the night to load)")
    return ds


@dag(
    dag_id="reviewpulse_nightly",
    # Daily at midnight UTC, with Airflow 2 semantics: the run that starts at 2026-11-21 00:00 covers the
    # interval 2026-11-20 .. 2026-11-21, so its logical date (ds), the night it loads, is 2026-11-20. A
    # plain "@daily" string gives a CronTriggerTimetable in Airflow 3, whose midnight run has ds equal to
    # the day that is only starting, whose files have not landed yet.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["reviewpulse", "nightly"],
    default_args={"owner": "reviewpulse", "retries": 2, "retry_delay": timedelta(minutes=5)},
    doc_md=__doc__,
)
def reviewpulse_nightly() -> None:
    @task
    def list_files(ds: str | None = None) -> list[dict[str, str]]:
        """The night's landing files as ``{"kind", "source", "path"}`` dicts (paths only, no data)."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.list_landing_files(Settings.from_env(), _night(ds))

    @task(max_active_tis_per_dag=1, outlets=[WAREHOUSE_REVIEWS])
    def ingest_file(landing_file: dict[str, str], ds: str | None = None) -> dict[str, Any]:
        """Load one landing file; a file that cannot be loaded at all fails the task without retries."""
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline import nightly
        from pipeline.errors import BatchError
        from pipeline.settings import Settings

        try:
            return nightly.ingest_landing_file(
                Settings.from_env(),
                kind=landing_file["kind"],
                source=landing_file["source"],
                path=landing_file["path"],
                night=_night(ds),
            )
        except BatchError as exc:
            raise AirflowFailException(f"{landing_file['path']}: {exc}") from exc

    # none_failed: with no landing files the mapped ingest is skipped, and the night must still go on.
    @task(trigger_rule="none_failed")
    def plan_scoring(ds: str | None = None) -> list[str]:
        """Shards of texts without a score from the current model (an empty list when nothing is new)."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.plan_scoring(Settings.from_env(), _night(ds))

    @task(max_active_tis_per_dag=2)
    def score_shard(shard: str) -> str:
        """Score one shard into a Parquet file; shards run in parallel and never touch the warehouse."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.score_shard(Settings.from_env(), shard)

    @task(trigger_rule="none_failed")
    def merge_scores(scored: list[str] | None = None, ds: str | None = None) -> int:
        """The single writer: load every scored shard into review_scores; returns rows added."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.merge_scores(Settings.from_env(), _night(ds), list(scored or []))

    @task(trigger_rule="none_failed")
    def detect_fakes(ds: str | None = None) -> dict[str, Any]:
        """Fake-review signals over the whole warehouse; changed scores are added to fake_scores."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.detect_fakes(Settings.from_env(), _night(ds))

    @task(trigger_rule="none_failed")
    def assign_themes(ds: str | None = None) -> dict[str, Any]:
        """Sentences, their sentiment and complaint themes for every new or changed text."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.assign_themes(Settings.from_env(), _night(ds))

    @task(trigger_rule="none_failed")
    def discover_emerging(ds: str | None = None) -> dict[str, Any]:
        """Emerging complaint themes from negative sentences no taxonomy theme covers."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.discover_emerging(Settings.from_env(), _night(ds))

    @task(trigger_rule="none_failed")
    def build_marts(ds: str | None = None) -> list[str]:
        """Rebuild the mart tables as of the night; returns the names of the marts built."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.build_marts(Settings.from_env(), _night(ds))

    @task(trigger_rule="none_failed")
    def build_keywords(ds: str | None = None) -> int:
        """Keyword phrases per product, category and language; returns rows written."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.build_keywords(Settings.from_env(), _night(ds))

    @task(outlets=[REPORTS])
    def write_report(ds: str | None = None) -> str:
        """Write the night's report and return its folder."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return str(nightly.write_report(Settings.from_env(), _night(ds)))

    ingested = ingest_file.expand(landing_file=list_files())
    shards = plan_scoring()
    ingested >> shards
    merged = merge_scores(score_shard.expand(shard=shards))
    marts = build_marts()
    merged >> detect_fakes() >> assign_themes() >> discover_emerging() >> marts
    marts >> build_keywords() >> write_report()


reviewpulse_nightly()
