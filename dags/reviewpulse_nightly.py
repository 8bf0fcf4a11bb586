"""
### ReviewPulse nightly

Loads one night of marketplace and shop exports into the DuckDB warehouse, rebuilds the report tables
and writes that night's report.

1. `list_sources`: the sources with files under `$REVIEWPULSE_HOME/landing/<kind>/<source>/<night>/`.
2. `ingest_source`: one mapped task per source, in parallel: reads and maps its files into
   `$REVIEWPULSE_HOME/staging/<night>/` (Parquet); never touches the warehouse.
3. `validate_source`: one mapped task per source, in parallel: the Great Expectations row checks split
   each staged file into good rows and quarantined rows with their reasons.
4. `load`: the single writer loads every staged file into DuckDB, quarantine included, and records each
   file in `ingest_runs` (a file that failed to read or validate is recorded as failed). Publishes the
   assets `reviewpulse://warehouse/reviews`, `.../seller_feedback` and `.../survey_responses`, with the
   night and the rows loaded in the event's extra; DAGs scheduled on them run after every load. Each
   loaded file is handed to `$REVIEWPULSE_HOME/loaded/`, where `reviewpulse_lake_export` publishes it.
5. `plan_scoring`: writes the texts that have no score from the current model yet into Parquet shards
   (none when nothing is new or edited, so a rerun encodes nothing).
6. `score_shard`: one mapped task per shard, in the `reviewpulse_models` pool: sentiment, star estimate
   and the fake-text detectors from one encoder pass; writes a scores shard, never the warehouse.
7. `merge_scores`: the single writer loads every scores shard into `review_scores`.
8. `detect_fakes`: fake-review signals over the whole warehouse (bursts, near-duplicates, dense rings,
   reviewer profiles, text detectors); adds a `fake_scores` row wherever a score changed, so older
   reviews caught in a new burst are rescored and their earlier scores kept as history.
9. `assign_themes`: splits every new or changed text into sentences, each with its own sentiment and the
   complaint themes of `models/themes/taxonomy.yaml` (all history again when the taxonomy changed).
10. `discover_emerging`: clusters negative sentences no theme covers into emerging themes with stable ids.
11. `build_marts`: rebuilds the report tables as of the night (CX metrics, theme trends, journey stages).
12. `build_keywords`: long-tail keyword phrases per product, category and language (`mart_keywords`).
13. `write_report`: writes `$REVIEWPULSE_HOME/reports/<night>/` (HTML, CSV/Parquet, keyword CSVs).
   Publishes the asset `reviewpulse://reports`.

**Model versions.** `pin_models`, at the start of the run, resolves the model folders (the heads and
the theme combiner: the registry's promoted versions, else the shipped ones) once, and every step from
`plan_scoring` on runs on them: a model the weekly retrain promotes while a night runs is used from the
next night on, never for part of one.

**Concurrency.** DuckDB takes one writer at a time: every task that writes the warehouse runs in the
one-slot `reviewpulse_warehouse` pool (across all DAGs and runs); the parallel tasks (`ingest_source`,
`validate_source`, `score_shard`) write files under `$REVIEWPULSE_HOME`, which every worker must share,
and one writer task merges them. Encoder-heavy tasks share the `reviewpulse_models` pool. Both pools are
created by the compose stack's `airflow-init` (see `pipeline/orchestration.py`).

Runs daily at midnight UTC for the day that just ended: the run that starts at 2026-11-21 00:00 has the
logical date 2026-11-20. **The night is the run's logical date** (`ds`), never the wall clock, and every
task replaces what an earlier run wrote for that night, so running a night again gives the same warehouse
and report.

* A night with no landing files is not an error: the mapped tasks are skipped and the report is still
  written.
* A file that cannot be loaded at all (missing column, unknown format) fails `load` at once, without
  retries (the same file would fail again), after every other file of the night has loaded; the scoring,
  marts and report then do not run. Other failures are retried twice, five minutes apart.
* Every task failure is logged and, when the Airflow Connection `reviewpulse_alerts` exists, posted to
  its URL as JSON (`pipeline/alerts.py`).
* Paths come from `REVIEWPULSE_*` environment variables (see `pipeline/settings.py`).

**Rerun a night** (say 2026-11-20), after fixing or replacing its landing files:

* in the UI, open the run for 2026-11-20 and *Clear* it (the whole run: `load` loads what the run's
  `ingest_source` tasks staged);
* or `airflow tasks clear reviewpulse_nightly -s 2026-11-20 -e 2026-11-20 -y`;
* or, outside the scheduler, `airflow dags test reviewpulse_nightly 2026-11-20`.

**Backfill** several nights, oldest first (`max_active_runs=1` keeps them in order, so each night sees
the warehouse as the nights before it left it; a backfilled night equals its scheduled run):
`airflow backfill create --dag-id reviewpulse_nightly --from-date 2026-11-18 --to-date 2026-11-20
--reprocess-behavior completed --max-active-runs 1`.
"""

from __future__ import annotations

import logging
from typing import Any

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, dag, task

from pipeline.orchestration import (
    MODELS_POOL,
    REPORTS_ASSET_URI,
    WAREHOUSE_ASSET_URIS,
    WAREHOUSE_POOL,
    default_args,
)

WAREHOUSE_ASSETS = {kind: Asset(uri) for kind, uri in WAREHOUSE_ASSET_URIS.items()}
REPORTS = Asset(REPORTS_ASSET_URI)
log = logging.getLogger(__name__)


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
    default_args=default_args(),
    doc_md=__doc__,
)
def reviewpulse_nightly() -> None:
    @task
    def list_sources(ds: str | None = None) -> list[dict[str, Any]]:
        """The night's sources as ``{"kind", "source", "paths"}`` dicts (paths only, no data)."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.list_sources(Settings.from_env(), _night(ds))

    @task
    def ingest_source(source: dict[str, Any], ds: str | None = None) -> list[dict[str, Any]]:
        """Read one source's files into staging; a file that cannot be used is staged as failed."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.ingest_source(Settings.from_env(), source, _night(ds))

    @task
    def validate_source(staged: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Great Expectations row checks over one source's staged files."""
        from pipeline import nightly

        return nightly.validate_source(staged)

    # all_done: the writer records every listed file, including those whose ingest or validation failed.
    @task(trigger_rule="all_done", pool=WAREHOUSE_POOL, outlets=list(WAREHOUSE_ASSETS.values()))
    def load(
        sources: list[dict[str, Any]], outlet_events: Any = None, ds: str | None = None
    ) -> dict[str, Any]:
        """The single writer: load the staged files; fail without retries if any file could not load. A
        loaded file that could not be handed to the lake is a warning: the next load hands it over."""
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline import nightly
        from pipeline.settings import Settings

        night = _night(ds)
        outcome = nightly.load_sources(Settings.from_env(), night, sources)
        if outcome["unlisted"]:  # no source's files: named whether or not the night goes on
            log.warning("landed but loaded by no source:\n%s", "\n".join(outcome["unlisted"]))
        if outcome["unread_columns"]:  # a misspelt optional column is lost otherwise
            log.warning("columns no format reads:\n%s", "\n".join(outcome["unread_columns"]))
        if outcome["failures"]:
            raise AirflowFailException("files that could not load:\n" + "\n".join(outcome["failures"]))
        if outcome["lake_pending"]:  # loaded: the night goes on, and the next load hands them over
            log.warning("loaded but not yet handed to the lake:\n%s", "\n".join(outcome["lake_pending"]))
        for kind, asset in WAREHOUSE_ASSETS.items():
            outlet_events[asset].extra = {"night": night, "rows_loaded": outcome["kinds"].get(kind, 0)}
        return outcome

    @task
    def pin_models() -> dict[str, str]:
        """The model folders the whole run uses, resolved once at its start (see pipeline.nightly)."""
        from pipeline import nightly
        from pipeline.settings import Settings

        return nightly.pin_models(Settings.from_env())

    @task(pool=WAREHOUSE_POOL)  # reads pending texts from DuckDB: never beside the writer
    def plan_scoring(models: dict[str, str], ds: str | None = None) -> list[str]:
        """Shards of texts without a score from the current model (an empty list when nothing is new)."""
        from pipeline import nightly

        return nightly.plan_scoring(nightly.night_settings(models), _night(ds))

    @task(pool=MODELS_POOL)
    def score_shard(models: dict[str, str], shard: str) -> str:
        """Score one shard into a Parquet file; shards run in parallel and never touch the warehouse."""
        from pipeline import nightly

        return nightly.score_shard(nightly.night_settings(models), shard)

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def merge_scores(models: dict[str, str], scored: list[str] | None = None, ds: str | None = None) -> int:
        """The single writer: load every scored shard into review_scores; returns rows added."""
        from pipeline import nightly

        return nightly.merge_scores(nightly.night_settings(models), _night(ds), list(scored or []))

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def detect_fakes(models: dict[str, str], ds: str | None = None) -> dict[str, Any]:
        """Fake-review signals over the whole warehouse; changed scores are added to fake_scores."""
        from pipeline import nightly

        return nightly.detect_fakes(nightly.night_settings(models), _night(ds))

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def assign_themes(models: dict[str, str], ds: str | None = None) -> dict[str, Any]:
        """Sentences, their sentiment and complaint themes for every new or changed text."""
        from pipeline import nightly

        return nightly.assign_themes(nightly.night_settings(models), _night(ds))

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def discover_emerging(models: dict[str, str], ds: str | None = None) -> dict[str, Any]:
        """Emerging complaint themes from negative sentences no taxonomy theme covers."""
        from pipeline import nightly

        return nightly.discover_emerging(nightly.night_settings(models), _night(ds))

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def build_marts(models: dict[str, str], ds: str | None = None) -> list[str]:
        """Rebuild the mart tables as of the night; returns the names of the marts built."""
        from pipeline import nightly

        return nightly.build_marts(nightly.night_settings(models), _night(ds))

    @task(trigger_rule="none_failed", pool=WAREHOUSE_POOL)
    def build_keywords(models: dict[str, str], ds: str | None = None) -> int:
        """Keyword phrases per product, category and language; returns rows written."""
        from pipeline import nightly

        return nightly.build_keywords(nightly.night_settings(models), _night(ds))

    @task(pool=WAREHOUSE_POOL, outlets=[REPORTS])
    def write_report(models: dict[str, str], ds: str | None = None) -> str:
        """Write the night's report and return its folder."""
        from pipeline import nightly

        return str(nightly.write_report(nightly.night_settings(models), _night(ds)))

    models = pin_models()
    sources = list_sources()
    loaded = load(sources)
    validate_source.expand(staged=ingest_source.expand(source=sources)) >> loaded
    shards = plan_scoring(models)
    loaded >> shards
    merged = merge_scores(models, score_shard.partial(models=models).expand(shard=shards))
    marts = build_marts(models)
    merged >> detect_fakes(models) >> assign_themes(models) >> discover_emerging(models) >> marts
    marts >> build_keywords(models) >> write_report(models)


reviewpulse_nightly()
