"""Run fake-review detection over the warehouse (the nightly step) or over one input file (the CLI).

Both paths build the same ``opinions`` table and run the same SQL and the same combination, so a
review gets the same score from ``reviewpulse score`` as from the nightly run given the same evidence.

Nightly, after scoring: ``detect_fakes(settings, night)``

1. ``sql/core/fake_opinions``: every review and seller feedback known that night, with the text detectors'
   probabilities from ``review_scores`` (current model version);
2. MinHash-sign texts not signed before (``text_signatures``, kept across nights);
3. dense blocks on the reviewer x product (and reviewer x seller) graphs;
4. ``sql/core/fake_signals`` then ``pipeline.fake.signals.score_features``;
5. ``fake_scores`` gains a row where a record's score changed (history); the report reads the latest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from pipeline.fake import dense
from pipeline.fake.signals import FakeConfig, features_frame, score_features, sign_new_texts
from pipeline.settings import Settings
from pipeline.warehouse import connect, run, sql_text

DENSE_COLUMNS = ("kind", "target_id", "reviewer_key", "block_id", "block_reason")


def dense_members(con: duckdb.DuckDBPyConnection, config: FakeConfig) -> pd.DataFrame:
    """Members of dense blocks: accounts that reviewed the same products at the same time.

    A ring posts together, so the graph's column nodes are (product, time bucket of ``dense_window_days``)
    rather than products alone: in a small catalog every busy customer reviews every product over the
    months, and only the time axis tells the ring apart. Buckets are cut twice, the second time shifted
    by one day, so a burst straddling a bucket boundary is whole in one of them. Records without a date
    fall back to product nodes (plain FRAUDAR). Seller feedback uses sellers as the column nodes.
    """
    window = int(config.thresholds.get("dense_window_days", 2))
    edges = con.execute(
        "select distinct kind, target_id, reviewer_key, "
        "date_diff('day', date '2000-01-01', posted_on) as day from opinions "
        "where target_id is not null and reviewer_key is not null order by all"
    ).df()
    frames = [pd.DataFrame({c: pd.Series(dtype="object") for c in DENSE_COLUMNS})]
    for kind, part in edges.groupby("kind", sort=True):
        for shift in range(min(window, 2)):
            bucket = ((part["day"] + shift) // window).astype("Int64").astype(str)
            nodes = (part["target_id"] + "@" + bucket).where(part["day"].notna(), part["target_id"])
            blocks = dense.find_dense_blocks(
                part["reviewer_key"], nodes,
                min_relative_density=config.thresholds.get("dense_min_relative_density", 1.2),
                min_fill=config.thresholds.get("dense_min_fill", 0.5),
            )  # fmt: skip
            members = dense.block_membership(blocks, part["reviewer_key"], nodes)
            targets = members["product"].str.rsplit("@", n=1).str[0]
            frames.append(pd.DataFrame({
                "kind": kind, "target_id": targets, "reviewer_key": members["reviewer"],
                "block_id": [f"{kind}-{shift}-{b + 1}" for b in members["block"]],
                "block_reason": members["reason"],
            }))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["kind", "target_id", "reviewer_key"], ignore_index=True)


def score_opinions(
    con: duckdb.DuckDBPyConnection, config: FakeConfig, sql: Callable[[str], str],
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Signals and fake scores for every row of the ``opinions`` table already built in ``con``."""
    sign_new_texts(con, progress)
    features = features_frame(con, config, sql, dense_members(con, config))
    return features.join(score_features(features, config).drop(columns=list(features.columns[:4])))


def detect_fakes(
    settings: Settings, night: str, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Score every review and seller feedback known on ``night``; record changed scores in ``fake_scores``."""
    from pipeline.scoring.heads import load_heads

    config = FakeConfig.load(settings.fake_signals_path)
    version = load_heads(*settings.heads_dirs).version
    con = connect(settings)
    try:
        run(con, sql_text(settings, "core/fake_opinions"), {"night": night, "model_version": version})
        scored = score_opinions(con, config, lambda name: sql_text(settings, name), progress)
        batch = scored[["kind", "source", "record_id", "content_hash", "fake_probability", "suspicious",
                        "fake_reasons", "signals", "signals_version"]]  # fmt: skip
        con.register("batch_fake_scores", batch)
        run(con, "begin transaction")
        try:
            run(con, sql_text(settings, "core/delete_fake_scores_night"), {"night": night})
            run(con, sql_text(settings, "core/merge_fake_scores"), {"night": night})
            run(con, "commit")
        except Exception:
            run(con, "rollback")
            raise
        finally:
            con.unregister("batch_fake_scores")
        changed = run(con, "select count(*) from fake_scores where scored_night = $night", {"night": night})
    finally:
        con.close()
    return {
        "night": night,
        "scored": len(scored),
        "suspicious": int(scored["suspicious"].sum()),
        "changed": int(changed[0][0]),
        "signals_version": config.version,
    }
