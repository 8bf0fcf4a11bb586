"""Score the warehouse in parallel shards, merged by a single writer (DuckDB takes one writer at a time).

    plan_shards   read-only: texts whose (content hash, model version) has no score yet -> Parquet shards
    score_shard   no warehouse access: shard in -> scores shard out (runs in parallel, one per worker)
    merge_scores  the single writer: every scores shard -> review_scores, in one transaction

A night with no new or edited text plans zero shards, so nothing is encoded. A review edited since it
was scored has a new content hash, so it is planned again; its old score stays as history.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from pipeline.scoring.heads import heads_version
from pipeline.scoring.score import score_frame
from pipeline.scoring.service import Scorer, open_scorer
from pipeline.settings import Settings
from pipeline.warehouse import connect, run, sql_text, transaction

# Airflow refuses to map a task over more than [core] max_map_length items (1024 by default): past
# MAX_SHARDS * settings.shard_rows texts (re-scoring history after a model promotion), shards grow instead.
MAX_SHARDS = 512
TEXT_DETECTOR_COLUMNS = ("p_deceptive", "p_generated")


def _shard_dir(settings: Settings, night: str) -> Path:
    return settings.home / "scoring" / night


def plan_shards(settings: Settings, night: str, shard_rows: int | None = None) -> list[str]:
    """Write the texts still to score into Parquet shards of ``shard_rows`` texts (default
    ``settings.shard_rows``, REVIEWPULSE_SHARD_ROWS); return their paths (none when all are scored)."""
    version = heads_version(*settings.heads_dirs)
    folder = _shard_dir(settings, night)
    shutil.rmtree(folder, ignore_errors=True)  # a rerun plans afresh from the warehouse
    con = connect(settings)
    try:
        pending = con.execute(sql_text(settings, "core/pending_scores"), {"model_version": version}).df()
    finally:
        con.close()
    if pending.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    shard_rows = max(shard_rows or settings.shard_rows, -(-len(pending) // MAX_SHARDS))
    paths = []
    for start in range(0, len(pending), shard_rows):
        path = folder / f"pending-{start // shard_rows:05d}.parquet"
        pending.iloc[start : start + shard_rows].to_parquet(path, index=False)
        paths.append(str(path))
    return paths


def score_shard(settings: Settings, shard: str, scorer: Scorer | None = None) -> str:
    """Score one pending shard into ``scores-*.parquet`` next to it; return that path.

    Pass an open ``scorer`` to reuse one loaded encoder across shards in the same process.
    """
    pending = pd.read_parquet(shard)
    own = scorer is None
    active = scorer or open_scorer(settings)
    try:
        frame = pending.rename(columns={"record_id": "review_id"})
        scored = score_frame(frame, active.encoder, active.heads, active.store)
    finally:
        if own:
            active.close()
    scored = scored.rename(columns={"review_id": "record_id"})
    for column in TEXT_DETECTOR_COLUMNS:  # head folders without the fake-text detectors leave them empty
        if column not in scored:
            scored[column] = None
    for column in ("kind", "source", "content_hash"):
        scored[column] = pending[column].to_numpy()
    out = Path(shard).with_name(Path(shard).name.replace("pending-", "scores-"))
    scored.to_parquet(out, index=False)
    return str(out)


def merge_scores(settings: Settings, night: str, shards: list[str]) -> int:
    """Load every scores shard into ``review_scores`` in one transaction; return rows added."""
    if not shards:
        return 0
    scores = pd.concat([pd.read_parquet(s) for s in shards], ignore_index=True)
    con = connect(settings)
    try:
        before = run(con, "select count(*) from review_scores")[0][0]
        with transaction(con, batch_scores=scores):
            run(con, sql_text(settings, "core/merge_scores"), {"night": night})
            run(con, sql_text(settings, "core/mark_reviews_scored"))
            run(con, sql_text(settings, "core/mark_feedback_scored"))
            run(con, sql_text(settings, "core/mark_surveys_scored"))
        added = int(run(con, "select count(*) from review_scores")[0][0]) - int(before)
    finally:
        con.close()
    return added
