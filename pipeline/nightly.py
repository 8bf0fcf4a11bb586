"""The nightly job as plain functions; the CLI (``reviewpulse run``) and the Airflow DAG both call these.

    list_landing_files -> ingest_landing_file (each file, in this process)
        (Airflow: list_sources -> ingest_source, validate_source (each source) -> load_sources, one writer;
        pin_models at the start, whose folders every later step uses: ``night_settings``)
        -> plan_scoring -> score_shard (each shard) -> merge_scores -> detect_fakes -> assign_themes
        -> discover_emerging -> build_marts -> build_keywords -> write_report (-> lake.publish_loaded, in
        this process; under Airflow the reviewpulse_lake_export DAG publishes)

Every step is keyed on the night (``YYYY-MM-DD``, Airflow's logical date), never on the wall clock, so a
rerun of a night gives the same warehouse and the same report.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeline import lake, reports
from pipeline.errors import BatchError, ConfigError, ReviewPulseError
from pipeline.ingest import (
    IngestResult,
    finish_hand_offs,
    ingest_file,
    load_staged,
    stage_file,
    validate_staged,
)
from pipeline.settings import Settings
from pipeline.sources import KINDS, SOURCES
from pipeline.sources.spec import SourceSpec
from pipeline.warehouse import connect

FIRST_NIGHT, LAST_NIGHT = date(1970, 1, 1), date(2999, 12, 31)
"""The nights a run can be for: periods and windows reach back and forward from the night, which near
year 1 or 9999 leaves the calendar."""


def parse_night(night: str | date) -> date:
    """Accept ``YYYY-MM-DD`` (any ISO form of a date, or a date) from ``FIRST_NIGHT`` to ``LAST_NIGHT`` and
    return a date, with a clear error otherwise."""
    if isinstance(night, datetime):  # a date too, but not comparable with one
        night = night.date()
    elif not isinstance(night, date):
        try:
            night = date.fromisoformat(night)
        except ValueError:
            raise ConfigError(f"night must be a date like 2026-11-20, got {night!r}") from None
    if not FIRST_NIGHT <= night <= LAST_NIGHT:
        raise ConfigError(f"night must be a date like 2026-11-20 between {FIRST_NIGHT} and {LAST_NIGHT}, "
                          f"got {night.isoformat()}")  # fmt: skip
    return night


def _source_spec(kind: str, source: str) -> SourceSpec | None:
    for spec in SOURCES:
        if spec.kind.name == kind and spec.name == source:
            return spec
    return None


def _night_folders(settings: Settings, night: str) -> Iterator[tuple[str, Path, Path]]:
    """``(kind, source folder, night folder)`` of every ``landing/<kind>/<source>/<night>/``, sorted, kinds
    ReviewPulse does not load included."""
    night = parse_night(night).isoformat()
    if not settings.landing_dir.is_dir():
        return
    for kind_dir in sorted(p for p in settings.landing_dir.iterdir() if p.is_dir() and p.name[0] != "."):
        for source_dir in sorted(p for p in kind_dir.iterdir() if p.is_dir()):
            if (source_dir / night).is_dir():
                yield kind_dir.name, source_dir, source_dir / night


def list_landing_files(settings: Settings, night: str) -> list[dict[str, str]]:
    """Files waiting in ``landing/<kind>/<source>/<night>/``, sorted, as ``{kind, source, path}`` dicts.

    A folder named after an unknown source is listed too, so that its load fails loudly instead of
    the files being skipped in silence.
    """
    found: list[dict[str, str]] = []
    for kind, source_dir, folder in _night_folders(settings, night):
        if kind not in KINDS:
            continue
        spec = _source_spec(kind, source_dir.name)
        pattern = spec.glob if spec is not None else "*"
        for path in sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith(".")):
            found.append({"kind": kind, "source": source_dir.name, "path": str(path)})
    return found


def unlisted_landing_files(settings: Settings, night: str) -> list[str]:
    """What sits in the night's landing folders but no source loads, each as ``"path: why"``: a file
    its source's pattern does not match (``EXPORT.CSV``, ``export.json``, ``x.csv.gz``) other than the
    source's side files, a sub-folder, or a folder of an unknown kind. ``list_landing_files`` leaves
    these out; the night reports them so that they are not skipped in silence."""
    found: list[str] = []
    for kind, source_dir, folder in _night_folders(settings, night):
        spec = _source_spec(kind, source_dir.name)
        for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
            if kind not in KINDS:
                found.append(f"{path}: {kind!r} is not a kind ReviewPulse loads ({', '.join(sorted(KINDS))})")
            elif path.is_dir():
                found.append(f"{path}: a folder; files must sit directly in {folder}")
            elif spec is not None and not any(path.match(g) for g in (spec.glob, *spec.side_files)):
                found.append(f"{path}: its name does not match {spec.name}'s files ({spec.glob})")
    return found


def ingest_landing_file(
    settings: Settings, *, kind: str, source: str, path: str, night: str
) -> dict[str, Any]:
    """Ingest one landed file (staged, validated and loaded as the DAG does, in this process); return its
    summary. Raises ``BatchError`` when the file cannot be loaded."""
    con = connect(settings)
    try:
        return ingest_file(
            con, settings, Path(path), fmt=source, kind=kind, night=parse_night(night)
        ).to_dict()
    finally:
        con.close()


def unread_columns(files: list[dict[str, Any]]) -> list[str]:
    """``"file: column, column"`` for each loaded file with columns its format reads nothing from (a
    misspelt optional column among them: ``unused_columns``)."""
    return [
        f"{Path(f['file']).name}: {', '.join(f['validation']['unused_columns'])}"
        for f in files
        if f.get("validation", {}).get("unused_columns")
    ]


def load_landed(
    settings: Settings,
    night: str,
    *,
    on_file: Callable[[dict[str, str], dict[str, Any] | None, str | None], None] | None = None,
) -> dict[str, Any]:
    """Without Airflow: hand over files still waiting for the lake (even on a night with nothing landed),
    then ingest every landed file in this process. Returns ``{"files": [summary, ...], "failures": ["path:
    error", ...], "lake_pending": ["file: error", ...], "unlisted": ["path: why", ...], "unread_columns":
    ["file: columns", ...]}``, as ``load_sources`` does for the DAG."""
    out: dict[str, Any] = {"files": [], "failures": [], "lake_pending": [],
                           "unlisted": unlisted_landing_files(settings, night)}  # fmt: skip
    con = connect(settings)
    try:
        out["lake_pending"].extend(finish_hand_offs(con, settings))
    finally:
        con.close()
    for item in list_landing_files(settings, night):
        try:
            summary = ingest_landing_file(settings, night=night, **item)
        except BatchError as exc:
            out["failures"].append(f"{item['path']}: {exc}")
            if on_file:
                on_file(item, None, str(exc))
            continue
        out["files"].append(summary)
        if summary["lake_pending"]:
            out["lake_pending"].append(summary["lake_pending"])
        if on_file:
            on_file(item, summary, None)
    out["unread_columns"] = unread_columns(out["files"])
    return out


def list_sources(settings: Settings, night: str) -> list[dict[str, Any]]:
    """The night's landing files grouped per source: ``{kind, source, paths}`` dicts, sorted."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for item in list_landing_files(settings, night):
        grouped.setdefault((item["kind"], item["source"]), []).append(item["path"])
    return [{"kind": k, "source": s, "paths": paths} for (k, s), paths in grouped.items()]


def ingest_source(settings: Settings, source: dict[str, Any], night: str) -> list[dict[str, Any]]:
    """Read one source's files into staging (no warehouse access, so sources run in parallel)."""
    night = parse_night(night).isoformat()
    return [
        stage_file(settings, kind=source["kind"], source=source["source"], path=path, night=night)
        for path in source["paths"]
    ]


def validate_source(staged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row checks over one source's staged files (no warehouse access)."""
    return [validate_staged(meta) for meta in staged]


def load_sources(settings: Settings, night: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The single writer: load every listed file from staging, in listing order, as ``ingest_file`` would.

    Returns ``{"files": [summary, ...], "failures": ["path: error", ...], "kinds": {kind: rows loaded},
    "lake_pending": ["file: error", ...]}``; a file that failed anywhere is recorded in ``ingest_runs`` and
    listed in ``failures``; a file that loaded but could not be handed to the lake is listed in
    ``lake_pending`` (it stays staged; this function hands such files over first, on the next call);
    ``unlisted`` names what sits in the night's landing folders but no source loads
    (``unlisted_landing_files``), ``unread_columns`` the loaded files' columns no format reads
    (``unread_columns``).
    """
    night = parse_night(night).isoformat()
    out: dict[str, Any] = {"files": [], "failures": [], "kinds": {}, "lake_pending": [],
                           "unlisted": unlisted_landing_files(settings, night)}  # fmt: skip
    con = connect(settings)
    try:
        out["lake_pending"].extend(finish_hand_offs(con, settings))
        for source in sources:
            for path in source["paths"]:
                try:
                    result = load_staged(
                        con, settings, kind=source["kind"], source=source["source"], path=path, night=night
                    )
                except BatchError as exc:
                    out["failures"].append(f"{path}: {exc}")
                    continue
                out["files"].append(result.to_dict())
                if result.lake_pending:
                    out["lake_pending"].append(result.lake_pending)
                loaded = result.rows_loaded if result.status == "succeeded" else 0  # skipped: loaded before
                out["kinds"][result.kind] = out["kinds"].get(result.kind, 0) + loaded
    finally:
        con.close()
    out["unread_columns"] = unread_columns(out["files"])
    return out


# The settings a nightly run pins at its start: the model folders the registry may change under it.
PINNED_MODELS = ("REVIEWPULSE_HEADS", "REVIEWPULSE_THEMES_COMBINER")


def pin_models(settings: Settings) -> dict[str, str]:
    """The model folders a night runs on, resolved once (the registry's promoted versions, else the shipped
    or configured ones), as ``REVIEWPULSE_*`` values for ``night_settings``.

    Each task of a run reads its settings in its own process; without this, a promotion by the weekly
    retrain while a night runs would score some shards, or the themes, with one version and the rest with
    another. Registry version folders are never deleted, so the pinned paths stay valid for reruns.
    """
    from pipeline.themes.apply import combiner_path

    return {
        "REVIEWPULSE_HEADS": os.pathsep.join(str(folder.resolve()) for folder in settings.heads_dirs),
        "REVIEWPULSE_THEMES_COMBINER": str(combiner_path(settings).resolve()),
    }


def night_settings(models: Mapping[str, str], env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the worker's environment (``env``, default ``os.environ``) with a run's pinned models."""
    unknown = set(models) - set(PINNED_MODELS)
    if unknown:
        raise ConfigError(f"not model settings a night pins: {sorted(unknown)}")
    return Settings.from_env({**(os.environ if env is None else env), **models})


def plan_scoring(settings: Settings, night: str) -> list[str]:
    """Shards of texts that have no score from the current model yet (none when nothing is new)."""
    from pipeline.scoring import shards

    return shards.plan_shards(settings, parse_night(night).isoformat())


def score_shard(settings: Settings, shard: str) -> str:
    """Score one shard (no warehouse access, so shards can run in parallel)."""
    from pipeline.scoring import shards

    return shards.score_shard(settings, shard)


def merge_scores(settings: Settings, night: str, scored: list[str]) -> int:
    """Load the scored shards into ``review_scores`` (the single writer)."""
    from pipeline.scoring import shards

    return shards.merge_scores(settings, parse_night(night).isoformat(), scored)


def detect_fakes(settings: Settings, night: str) -> dict[str, Any]:
    """Fake-review signals and scores over the whole warehouse as of ``night`` (after scoring)."""
    from pipeline.fake.detect import detect_fakes as detect

    return detect(settings, parse_night(night).isoformat())


def assign_themes(settings: Settings, night: str) -> dict[str, Any]:
    """Sentences, their sentiment and complaint themes for every new or changed text (all texts when the
    taxonomy changed)."""
    from pipeline.themes.apply import assign_themes as assign

    return assign(settings, parse_night(night))


def discover_emerging(settings: Settings, night: str) -> dict[str, Any]:
    """Emerging complaint themes: clusters of negative sentences no taxonomy theme covers, with stable ids."""
    from pipeline.themes.apply import update_emerging

    return update_emerging(settings, parse_night(night))


def build_marts(settings: Settings, night: str) -> list[str]:
    """Rebuild every mart as of ``night``."""
    con = connect(settings)
    try:
        return reports.build_marts(con, settings, parse_night(night))
    finally:
        con.close()


def build_keywords(settings: Settings, night: str) -> int:
    """Long-tail keyword phrases per product and category and language (``mart_keywords``); rows written."""
    from pipeline.keywords import build_keywords as build

    con = connect(settings)
    try:
        return build(con, settings, parse_night(night))
    finally:
        con.close()


@dataclass(frozen=True)
class ReportResult:
    folder: str  # reports/<night>/
    loaded_by_night: bool  # whether any file had loaded by the night (else the report is empty)


def report_night(settings: Settings, night: str) -> ReportResult:
    """``reviewpulse report``: rebuild the marts and keywords as of ``night`` and write its report. Loads
    and scores nothing, so an old night's report shows each text's current sentences and themes, not those
    it had that night. For a night before the one the marts were built for (the keywords' night, else the
    latest night that loaded a file), the marts and keywords are rebuilt as of that later night afterwards,
    so the tables (and ``reviewpulse keywords``) do not go back in time."""
    from pipeline.keywords.exports import mart_night

    night = parse_night(night).isoformat()
    con = connect(settings)
    try:
        built_for = mart_night(con)  # the night the last run built them for, when it found phrases
        first, last = con.execute(
            "select min(night), max(night) from ingest_runs where status = 'succeeded'"
        ).fetchall()[0]  # the nights on which some file loaded
    finally:
        con.close()
    held = built_for or last
    build_marts(settings, night)
    build_keywords(settings, night)
    folder = write_report(settings, night)
    if held is not None and held.isoformat() > night:
        build_marts(settings, held.isoformat())
        build_keywords(settings, held.isoformat())
    return ReportResult(folder=folder, loaded_by_night=first is not None and first.isoformat() <= night)


def write_report(settings: Settings, night: str) -> str:
    """Write the report for ``night`` and return its folder."""
    con = connect(settings)
    try:
        return str(reports.write_report(con, settings, parse_night(night)))
    finally:
        con.close()


@dataclass
class NightResult:
    """What one night did: a result per file, the report folder, and whether any file failed."""

    night: str
    files: list[IngestResult | dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # landed but loaded by no source: "path: why"
    unread_columns: list[str] = field(default_factory=list)  # "file: columns" its format reads nothing from
    lake: dict[str, dict[str, int]] = field(default_factory=dict)  # rows published, per night and table
    lake_error: str | None = None  # the loads stand; their files wait (loaded/ or staging/) for the next run
    report: str | None = None
    scored: int = 0
    fakes: dict[str, Any] = field(default_factory=dict)
    themes: dict[str, Any] = field(default_factory=dict)
    emerging: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per step, keyed by the DAG's task ids

    @property
    def ok(self) -> bool:
        return not self.failures and self.lake_error is None


# The nightly's task ids grouped into the steps people read (``reviewpulse run``, ``bench/scale.py``).
STEPS: dict[str, tuple[str, ...]] = {
    "ingest": ("list_sources", "ingest_source", "validate_source", "load"),
    "scoring": ("plan_scoring", "score_shard", "merge_scores"),
    "fakes": ("detect_fakes",),
    "themes": ("assign_themes", "discover_emerging"),
    "marts+report": ("build_marts", "build_keywords", "write_report"),
    "lake": ("publish_loaded",),  # the reviewpulse_lake_export DAG's task under Airflow
}


def step_seconds(task_seconds: Mapping[str, float]) -> dict[str, float]:
    """Seconds per step of ``STEPS`` from seconds per task id."""
    return {step: sum(task_seconds.get(t, 0.0) for t in ids) for step, ids in STEPS.items()}


def run_night(
    settings: Settings,
    night: str,
    *,
    on_file: Callable[[dict[str, str], dict[str, Any] | None, str | None], None] | None = None,
) -> NightResult:
    """Run the whole night without Airflow: every landed file, scoring, fake detection, themes, emerging
    themes, marts, keywords, report, and the loaded files published to the lake.

    A file that fails is recorded and reported, the other files still load, and the report is still
    written; ``NightResult.ok`` is False so the CLI exits non-zero. So it is when the lake export fails
    (``lake_error``), which comes last and leaves everything else done. ``NightResult.seconds`` holds each
    step's time under the nightly DAG's task ids (``load`` covers each file's stage, validate and load).
    """
    night = parse_night(night).isoformat()
    result = NightResult(night=night)

    @contextlib.contextmanager
    def step(task_id: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            result.seconds[task_id] = time.perf_counter() - started

    with step("load"):
        loaded = load_landed(settings, night, on_file=on_file)
    result.files, result.failures, pending = loaded["files"], loaded["failures"], loaded["lake_pending"]
    result.unlisted, result.unread_columns = loaded["unlisted"], loaded["unread_columns"]
    with step("plan_scoring"):
        plan = plan_scoring(settings, night)
    if plan:
        from pipeline.scoring import shards
        from pipeline.scoring.service import open_scorer

        with step("score_shard"):
            scorer = open_scorer(settings)
            try:
                scored = [shards.score_shard(settings, shard, scorer) for shard in plan]
            finally:
                scorer.close()
        with step("merge_scores"):
            result.scored = merge_scores(settings, night, scored)
    with step("detect_fakes"):
        result.fakes = detect_fakes(settings, night)
    with step("assign_themes"):
        result.themes = assign_themes(settings, night)
    with step("discover_emerging"):
        result.emerging = discover_emerging(settings, night)
    with step("build_marts"):
        build_marts(settings, night)
    with step("build_keywords"):
        build_keywords(settings, night)
    with step("write_report"):
        result.report = write_report(settings, night)
    try:  # last, so that a lake problem costs the night nothing but its own step
        with step("publish_loaded"):
            result.lake = lake.publish_loaded(settings)
    except (ReviewPulseError, OSError) as exc:
        pending.append(f"{type(exc).__name__}: {exc}")
    result.lake_error = "; ".join(pending) or None
    return result
