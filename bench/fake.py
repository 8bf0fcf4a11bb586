"""Benchmark: our dense-block ring detector against rgmining's FRAUDAR, on the same reviewer graphs.

    .venv/bin/pip install -e '.[bench]'   # rgmining-fraudar, for this benchmark only (make bench does it)
    .venv/bin/python bench/fake.py [--blocks 5]

Methods (each peels ``--blocks`` times):

* **ours**: ``pipeline.fake.dense.find_dense_blocks`` with the nightly detector's thresholds from
  ``models/fake-signals/signals.yaml`` (``dense_min_relative_density``, ``dense_min_fill``) and its
  default size minimums (3 reviewers, 2 products); it flags the reviews inside the blocks it reports
  (``block_membership``).
* **ours, unfiltered**: the same peel with every minimum at 0, so it reports every block it peels, as
  FRAUDAR does. It should find the same blocks as rgmining's; the lines under the table count the
  reviewers flagged by one and not the other (on large graphs a few, where near-equal node degrees
  round differently in the two codes and the peels part ways).
* **rgmining-fraudar**: ``fraudar.ReviewGraph`` (PyPI ``rgmining-fraudar``, a wrapper of the FRAUDAR
  authors' code, GPL-3.0; an optional ``bench`` extra, never a runtime dependency). Its only output is
  a 0/1 ``anomalous_score`` per reviewer, so it flags every review of a reviewer in any block.

Graphs (an edge joins a reviewer to a column node; repeated pairs count once):

* **demo r x p**: the demo's seven nights (seed 42), ingested with the pipeline into a temporary
  warehouse; reviewer_key x product_id. The truth is the planted ring's 24 reviews (6 accounts x 3
  target products, plus one other review per account, which no block on this graph holds).
* **demo r x p@2d**: the same reviews with products cut into 2-day buckets (``prod-005@4901``); the
  ring posts within a two-day burst.
* **demo r@2d x p@2d**: accounts cut into the same buckets as well: the graph of the nightly detector
  (which also cuts a second bucketing shifted by one day and takes its window from signals.yaml). On
  whole-history account nodes, busy accounts make the graph denser with every night loaded; cut into
  windows, the graph stays as dense as a few days of reviews (``pipeline.fake.detect.dense_members``).
* **yelp r x p**: ``shared/data/fake/yelp_nyc_filtered.parquet``; user_id x product_id; the truth is
  Yelp's filter (label 1), which is noisy and mostly hits one-review accounts that no graph method sees.
* **synthetic**: ``--synthetic`` random reviews (uniform reviewers, Zipf-popular products; repeats
  collapse, hence fewer edges) plus a planted ring of 30 accounts x 8 products, each account also
  reviewing 5 popular products as camouflage; the truth is every review by a ring account. It shows
  the cost of each implementation on a graph of realistic size.

Columns:

* **n_edges**: distinct (reviewer, column) pairs in the graph.
* **flagged**: reviews the method flags.
* **precision**: share of flagged reviews that are in the truth (empty when nothing is flagged).
* **recall**: share of the truth's reviews that are flagged.
* **AUC**: ROC-AUC of each review's suspiciousness against the truth (ours: the relative density of the
  block holding the review, 0 outside blocks; rgmining: its 0/1 reviewer score). 0.5 is chance; for a
  0/1 score it is the mean of recall and the share of true-negative reviews left unflagged.
* **seconds**: wall time of detection, building the method's graph included (generating and ingesting
  the demo excluded).

Not a test: the numbers depend on the machine; the quality columns do not.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from pipeline.fake.dense import block_membership, find_dense_blocks
from pipeline.fake.signals import FakeConfig
from pipeline.settings import Settings


@cache
def nightly_thresholds() -> dict[str, float]:
    """signals.yaml's thresholds, as the nightly job reads them (read on first use, not at import)."""
    return dict(FakeConfig.load(Settings.from_env().fake_signals_path).thresholds)


def window_days() -> int:
    return int(nightly_thresholds()["dense_window_days"])


@dataclass
class Graph:
    """One benchmark graph: an edge per review (reviewer, column node) and the review's truth (0/1)."""

    name: str
    reviewer: np.ndarray
    column: np.ndarray
    truth: np.ndarray


@dataclass
class Outcome:
    """One method's per-review suspiciousness and flags on one graph, and the reviewers it flagged."""

    score: np.ndarray
    flagged: np.ndarray
    reviewers: set[str]
    seconds: float


def demo_reviews(home: Path) -> tuple[pd.DataFrame, set[str]]:
    """The 7-night demo ingested with the pipeline (as ``reviewpulse evaluate`` does): reviews + ring ids."""
    from pipeline.fake.calibrate import ingest_demo

    settings, ring, _ = ingest_demo(Settings(home=home, progress=False), home)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        reviews = con.sql(
            "select review_id, reviewer_key, product_id, review_date from reviews "
            "where reviewer_key is not null and product_id is not null order by review_id"
        ).df()
    finally:
        con.close()
    missing = ring - set(reviews["review_id"])
    if missing:
        raise SystemExit(f"planted ring reviews missing from the warehouse: {sorted(missing)}")
    return reviews, ring


def demo_graphs(reviews: pd.DataFrame, ring: set[str]) -> list[Graph]:
    """The demo as a reviewer x product graph, with products cut into 2-day buckets, and with both cut."""
    truth = reviews["review_id"].isin(ring).to_numpy().astype(int)
    reviewer = reviews["reviewer_key"].to_numpy(dtype=object)
    days = (pd.to_datetime(reviews["review_date"]) - pd.Timestamp("2000-01-01")).dt.days
    window = window_days()
    bucket = "@" + (days // window).astype(str)
    bucketed = (reviews["product_id"] + bucket).to_numpy(dtype=object)
    windowed = (reviews["reviewer_key"] + bucket).to_numpy(dtype=object)
    return [
        Graph("demo r x p", reviewer, reviews["product_id"].to_numpy(dtype=object), truth),
        Graph(f"demo r x p@{window}d", reviewer, bucketed, truth),
        Graph(f"demo r@{window}d x p@{window}d", windowed, bucketed, truth),
    ]


def synthetic_graph(n_edges: int, seed: int = 7) -> Graph:
    """A large random graph (uniform reviewers, Zipf-popular products) with a camouflaged ring planted.

    The ring is 30 accounts that all review the same 8 otherwise unreviewed products, and each also
    reviews 5 products drawn by popularity; the truth is every review by a ring account.
    """
    rng = np.random.default_rng(seed)
    reviewer = np.char.add("user-", rng.integers(0, n_edges * 3 // 10, n_edges).astype(str))
    column = np.char.add("prod-", (rng.zipf(1.5, n_edges) % (n_edges // 20)).astype(str))
    ring = [f"ring-{i:02d}" for i in range(30)]
    ring_reviewer = [a for a in ring for _ in range(8 + 5)]
    ring_column = [
        c
        for _ in ring
        for c in [f"ring-prod-{j}" for j in range(8)]
        + [f"prod-{k}" for k in rng.zipf(1.5, 5) % (n_edges // 20)]
    ]
    truth = np.concatenate([np.zeros(n_edges, dtype=int), np.ones(len(ring_reviewer), dtype=int)])
    return Graph(
        "synthetic",
        np.concatenate([reviewer.astype(object), np.array(ring_reviewer, dtype=object)]),
        np.concatenate([column.astype(object), np.array(ring_column, dtype=object)]),
        truth,
    )


def yelp_graph(path: Path) -> Graph:
    """Yelp NYC (filtered subset): user x restaurant, truth = filtered by Yelp."""
    frame = pd.read_parquet(path, columns=["user_id", "product_id", "label"])
    return Graph(
        "yelp r x p",
        frame["user_id"].astype(str).to_numpy(dtype=object),
        frame["product_id"].astype(str).to_numpy(dtype=object),
        frame["label"].to_numpy().astype(int),
    )


def run_ours(graph: Graph, blocks: int, unfiltered: bool) -> Outcome:
    """Our detector; a review's suspiciousness is the relative density of the block holding it."""
    started = time.perf_counter()
    if unfiltered:
        found = find_dense_blocks(
            graph.reviewer,
            graph.column,
            max_blocks=blocks,
            min_reviewers=0,
            min_products=0,
            min_relative_density=0.0,
            min_fill=0.0,
        )
    else:
        found = find_dense_blocks(
            graph.reviewer,
            graph.column,
            max_blocks=blocks,
            min_relative_density=nightly_thresholds()["dense_min_relative_density"],
            min_fill=nightly_thresholds()["dense_min_fill"],
        )
    members = block_membership(found, graph.reviewer, graph.column)
    density = {i: b.relative_density for i, b in enumerate(found)}
    by_pair = {
        (r, c): density[b]
        for r, c, b in zip(members["reviewer"], members["product"], members["block"], strict=True)
    }
    score = np.array([by_pair.get(pair, 0.0) for pair in zip(graph.reviewer, graph.column, strict=True)])
    seconds = time.perf_counter() - started
    return Outcome(score, score > 0, set(members["reviewer"]), seconds)


def run_rgmining(graph: Graph, blocks: int) -> Outcome:
    """rgmining's FRAUDAR through its ReviewGraph API; every review of a flagged reviewer is flagged."""
    import fraudar

    started = time.perf_counter()
    review_graph = fraudar.ReviewGraph(blocks=blocks)
    reviewers = {key: review_graph.new_reviewer(key) for key in sorted(set(graph.reviewer))}
    products = {key: review_graph.new_product(key) for key in sorted(set(graph.column))}
    for reviewer, column in zip(graph.reviewer, graph.column, strict=True):
        review_graph.add_review(reviewers[reviewer], products[column], 1.0)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
        review_graph.update()
    suspicious = {key for key, node in reviewers.items() if node.anomalous_score > 0}
    score = np.array([1.0 if reviewer in suspicious else 0.0 for reviewer in graph.reviewer])
    seconds = time.perf_counter() - started
    return Outcome(score, score > 0, suspicious, seconds)


def row(method: str, graph: Graph, outcome: Outcome) -> dict[str, object]:
    """One table row: the quality of ``outcome`` against the graph's truth."""
    hits = int((outcome.flagged & (graph.truth == 1)).sum())
    flagged = int(outcome.flagged.sum())
    auc = (
        roc_auc_score(graph.truth, outcome.score)
        if 0 < graph.truth.sum() < len(graph.truth)
        else float("nan")
    )
    return {
        "method": method,
        "graph": graph.name,
        "n_edges": len(set(zip(graph.reviewer, graph.column, strict=True))),
        "flagged": flagged,
        "precision": f"{hits / flagged:.3f}" if flagged else "",
        "recall": f"{hits / int(graph.truth.sum()):.3f}",
        "AUC": f"{auc:.3f}",
        "seconds": f"{outcome.seconds:.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5, help="blocks each method peels (default 5)")
    parser.add_argument(
        "--synthetic", type=int, default=500_000, help="edges of the synthetic graph (0 skips it)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fake-") as tmp:
        graphs = demo_graphs(*demo_reviews(Path(tmp) / "home"))
    yelp = Settings.from_env().shared_data_dir / "fake" / "yelp_nyc_filtered.parquet"
    if yelp.is_file():
        graphs.append(yelp_graph(yelp))
    else:
        print(f"skipping Yelp NYC: {yelp} not found")
    if args.synthetic:
        graphs.append(synthetic_graph(args.synthetic))

    try:
        import fraudar  # noqa: F401

        rgmining: Callable[[Graph, int], Outcome] | None = run_rgmining
    except ImportError:
        print("skipping rgmining-fraudar: not installed (pip install -e '.[bench]')")
        rgmining = None

    rows: list[dict[str, object]] = []
    notes: list[str] = []
    for graph in graphs:
        ours = run_ours(graph, args.blocks, unfiltered=False)
        bare = run_ours(graph, args.blocks, unfiltered=True)
        rows += [row("ours", graph, ours), row("ours, unfiltered", graph, bare)]
        if rgmining is not None:
            theirs = rgmining(graph, args.blocks)
            rows.append(row("rgmining-fraudar", graph, theirs))
            differ = len(bare.reviewers ^ theirs.reviewers)
            same = "identical" if not differ else f"{differ} reviewers apart"
            notes.append(
                f"{graph.name}: reviewers flagged by ours, unfiltered ({len(bare.reviewers)}) and by "
                f"rgmining-fraudar ({len(theirs.reviewers)}): {same}"
            )

    columns = list(rows[0])
    print(f"{args.blocks} blocks peeled per method and graph")
    print("| " + " | ".join(columns) + " |")
    print("|---|---|" + "---:|" * (len(columns) - 2))
    for entry in rows:
        print("| " + " | ".join(str(entry[c]) for c in columns) + " |")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
