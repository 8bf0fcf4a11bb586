"""Run fake-review detection over the warehouse (the nightly step) or over one input file (the CLI).

Both paths build the same ``opinions`` table and run the same SQL and the same combination, so a
review gets the same score from ``reviewpulse score`` as from the nightly run given the same evidence.

Nightly, after scoring: ``detect_fakes(settings, night)``

1. ``sql/core/fake_opinions``: every review and seller feedback known that night, with the text detectors'
   probabilities from ``review_scores`` (current model version);
2. MinHash-sign texts not signed before (``text_signatures``, kept across nights);
3. dense blocks on the account x product (and account x seller) graphs, both cut into time windows;
4. ``sql/core/fake_signals`` then ``pipeline.fake.signals.score_features``;
5. ``fake_scores`` gains a row where a record's score changed (history); the report reads the latest.

A rerun of the latest scored night replaces that night's rows; a rerun of an earlier night changes
nothing, since the history recorded on later nights was built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from pipeline.fake import dense
from pipeline.fake.signals import FakeConfig, features_frame, score_features, sign_new_texts
from pipeline.settings import Settings
from pipeline.warehouse import connect, run, sql_text, transaction

DENSE_COLUMNS = ("kind", "target_id", "reviewer_key", "block_id", "block_reason")


def dense_members(con: duckdb.DuckDBPyConnection, config: FakeConfig) -> pd.DataFrame:
    """Members of dense blocks: accounts that reviewed the same products at the same time.

    A ring posts together, so the graph's nodes are (product, time bucket of ``dense_window_days``) and
    (account, time bucket): in a small catalog every busy customer reviews every product over the
    months, and only the time axis tells the ring apart. Accounts are cut into windows too because the
    graph holds every review ever loaded: as whole-history nodes, busy accounts gather edges night after
    night, the graph's density rises with them, and a ring's density relative to it sinks below the
    threshold (the 7-night demo lost its ring on the sixth night); cut the same way as the products, the
    graph is only ever as dense as a few days of reviews. Buckets are cut twice, the second time shifted
    by one day, so a burst straddling a bucket boundary is whole in one of them. Records without a date
    fall back to whole-history nodes (plain FRAUDAR). Seller feedback uses sellers as the column nodes.
    A member is an account: ``dense_block`` then marks every review of it.
    """
    window = int(config.thresholds["dense_window_days"])
    edges = con.execute(
        "select distinct kind, target_id, reviewer_key, "
        "date_diff('day', date '2000-01-01', posted_on) as day from opinions "
        "where target_id is not null and reviewer_key is not null order by all"
    ).df()
    frames = [pd.DataFrame({c: pd.Series(dtype="object") for c in DENSE_COLUMNS})]
    for kind, part in edges.groupby("kind", sort=True):
        for shift in range(min(window, 2)):
            # "@<NA>" for records without a date: one whole-history node per account and product
            bucket = "@" + ((part["day"] + shift) // window).astype("Int64").astype(str).fillna("<NA>")
            accounts, nodes = part["reviewer_key"] + bucket, part["target_id"] + bucket
            blocks = dense.find_dense_blocks(
                accounts, nodes,
                min_relative_density=config.thresholds["dense_min_relative_density"],
                min_fill=config.thresholds["dense_min_fill"],
            )  # fmt: skip
            members = dense.block_membership(blocks, accounts, nodes)
            targets = members["product"].str.rsplit("@", n=1).str[0]
            reviewers = members["reviewer"].str.rsplit("@", n=1).str[0]
            frames.append(pd.DataFrame({
                "kind": kind, "target_id": targets, "reviewer_key": reviewers,
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
    return features.join(score_features(features, config))


def detect_fakes(
    settings: Settings, night: str, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Score every review and seller feedback known on ``night``; record changed scores in ``fake_scores``."""
    from pipeline.scoring.heads import heads_version

    config = FakeConfig.load(settings.fake_signals_path)
    version = heads_version(*settings.heads_dirs)
    con = connect(settings)
    try:
        later = run(
            con, "select max(scored_night) from fake_scores where scored_night > $night", {"night": night}
        )
        if later[0][0] is not None:
            # the history recorded since is built on this night's scores: a rerun of an earlier night keeps it
            return {"night": night, "skipped": f"fake scores exist for the later night {later[0][0]}"}
        run(con, sql_text(settings, "core/fake_opinions"), {"night": night, "model_version": version})
        scored = score_opinions(con, config, lambda name: sql_text(settings, name), progress)
        batch = scored[["kind", "source", "record_id", "content_hash", "fake_probability", "suspicious",
                        "fake_reasons", "signals", "signals_version"]]  # fmt: skip
        with transaction(con, batch_fake_scores=batch):
            run(con, sql_text(settings, "core/delete_fake_scores_night"), {"night": night})
            run(con, sql_text(settings, "core/merge_fake_scores"), {"night": night})
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


OPINION_TYPES = {
    "kind": "varchar", "source": "varchar", "record_id": "varchar", "content_hash": "varchar",
    "target_id": "varchar", "reviewer_key": "varchar", "rating": "integer", "posted_on": "date",
    "verified": "boolean", "text": "varchar", "p_deceptive": "double", "p_generated": "double",
}  # fmt: skip
"""The columns of the ``opinions`` table the fake-signal SQL reads, and their types."""


def create_opinions(con: duckdb.DuckDBPyConnection, table: str = "opinions", *, seq: bool = False) -> None:
    """Create an empty ``opinions``-shaped table (with a leading ``seq`` row number if asked)."""
    columns = ", ".join(f"{name} {kind}" for name, kind in OPINION_TYPES.items())
    con.execute(f"create or replace temp table {table} ({'seq bigint, ' if seq else ''}{columns})")


def insert_opinions(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, table: str = "opinions") -> None:
    """Append a frame with the opinion columns to ``table``, cast to its types by column name."""
    con.register("opinion_frame", frame)
    try:
        con.execute(f"insert into {table} by name select * from opinion_frame")
    finally:
        con.unregister("opinion_frame")


def _flag(value: Any) -> bool | None:
    """A verified-purchase cell as True/False, or None when blank or missing."""
    if value is None or value != value or str(value).strip() == "":
        return None
    return str(value).strip().lower() in ("1", "true", "yes", "y", "t")


def _key(value: Any) -> str | None:
    """An id cell as a string; blank or missing ids are unknown, not one shared account or product."""
    if value is None or value != value or str(value).strip() == "":
        return None
    return str(value)


class FileOpinions:
    """The ``opinions`` of one input file for ``reviewpulse score``, gathered chunk by chunk in DuckDB.

    The behavioural signals use whichever of ``product_id``, ``reviewer_id``, ``rating``,
    ``review_date`` and ``verified_purchase`` the file has (the first four give the full set; a rating
    outside 1-5 counts as missing); without them the score is text-only (the detectors and short text).
    Texts go to the DuckDB file, not to memory; a repeated ``review_id`` keeps its last row, as in the
    scores.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.rows = con, 0
        create_opinions(con, "opinion_rows", seq=True)

    @staticmethod
    def _column(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)

    def add(self, chunk: pd.DataFrame, texts: list[str], scores: pd.DataFrame) -> None:
        """Add one input chunk, the texts the encoder read, and that chunk's text scores."""
        from pipeline.scoring.engine import text_key

        verified = self._column(chunk, "verified_purchase").map(_flag)
        posted = pd.to_datetime(self._column(chunk, "review_date"), errors="coerce", utc=True).dt.date
        rating = pd.to_numeric(self._column(chunk, "rating"), errors="coerce")
        frame = pd.DataFrame({
            "seq": range(self.rows, self.rows + len(chunk)), "kind": "reviews", "source": "input",
            "record_id": chunk["review_id"].astype(str).to_numpy(),
            "content_hash": [text_key(t) for t in texts],
            "target_id": self._column(chunk, "product_id").map(_key).to_numpy(),
            "reviewer_key": self._column(chunk, "reviewer_id").map(_key).to_numpy(),
            "rating": rating.where(rating.between(1, 5)).to_numpy(),
            "posted_on": posted.to_numpy(),
            "verified": verified.to_numpy(), "text": texts,
            "p_deceptive": self._column(scores.set_index(chunk.index), "p_deceptive").to_numpy(),
            "p_generated": self._column(scores.set_index(chunk.index), "p_generated").to_numpy(),
        })  # fmt: skip
        insert_opinions(self.con, frame, "opinion_rows")
        self.rows += len(chunk)

    def score(self, config: FakeConfig, sql: Callable[[str], str]) -> pd.DataFrame:
        """``review_id, fake_probability, fake_reasons`` for every distinct review id."""
        self.con.execute(sql("schema/08_text_signatures"))
        self.con.execute(
            "create or replace temp table opinions as select * exclude (seq) from opinion_rows "
            "qualify row_number() over (partition by record_id order by seq desc) = 1"
        )
        scored = score_opinions(self.con, config, sql)
        return scored[["record_id", "fake_probability", "fake_reasons"]].rename(
            columns={"record_id": "review_id"}
        )
