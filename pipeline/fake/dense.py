"""Review rings as dense reviewer x product blocks, found with FRAUDAR's greedy peeling.

A fake-review ring is a group of accounts that all review the same few products. Drawn as a bipartite
graph (an edge joins a reviewer to each product it reviewed), the ring is a small block with far more
edges than its size would suggest. FRAUDAR (Hooi et al., KDD 2016, "FRAUDAR: Bounding Graph Fraud in the
Face of Camouflage") finds such blocks:

1. Weigh each edge by its product's column weight ``1 / log(degree + 5)``: a review of a product that
   thousands of people review says little, so popular products count less. This is what keeps a ring
   visible when its accounts also review popular products to look normal ("camouflage").
2. The density of a set of nodes S (reviewers and products together) is
   ``g(S) = f(S) / |S|``, where ``f(S)`` sums the weights of the edges inside S.
3. Peel: start from the whole graph and repeatedly remove the node whose removal lowers ``f`` the
   least (its weighted degree among the nodes still there). Every intermediate set is a candidate; the
   densest one seen is the block. A heap with lazy deletion picks the next node in ``O(log n)``, so a
   peel costs ``O(E log E)``.
4. Remove the block's edges and peel again to find the next block.

Blocks smaller than a few reviewers and products, not much denser than the graph they were found in,
or far from complete (few of their reviewer x product pairs are reviews) are dropped: every graph has
*some* densest corner, and on ordinary data it is a large, loose core of busy reviewers and popular
products, not a ring.

``find_dense_blocks`` returns the blocks; ``block_membership`` says which reviews (reviewer, product
pairs) fall in which block, with a sentence a merchandiser can read.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DenseBlock", "block_membership", "find_dense_blocks"]

LOG_OFFSET = 5.0
"""The ``c`` in the column weight ``1 / log(degree + c)`` (FRAUDAR's choice)."""

Keys = Sequence[str | None] | np.ndarray | pd.Series
"""Reviewer or product keys, one per edge: a list, numpy array or pandas Series of strings (None: missing)."""


@dataclass(frozen=True)
class DenseBlock:
    """One suspiciously dense group of reviewers and the products they reviewed.

    Attributes:
        reviewers: the block's reviewer keys, sorted.
        products: the block's product keys, sorted.
        edges: distinct (reviewer, product) reviews inside the block.
        score: FRAUDAR's density ``g = f / (reviewers + products)``, with column-weighted edges.
        relative_density: ``score`` divided by ``g`` of the whole graph it was found in (the input,
            less the edges of the blocks found before it): 4.0 means four times as dense as usual.
    """

    reviewers: tuple[str, ...]
    products: tuple[str, ...]
    edges: int
    score: float
    relative_density: float

    @property
    def fill(self) -> float:
        """Share of the block's reviewer x product pairs that are reviews (1.0: all reviewed all)."""
        return self.edges / (len(self.reviewers) * len(self.products))


def find_dense_blocks(
    reviewers: Keys,
    products: Keys,
    *,
    max_blocks: int = 5,
    min_reviewers: int = 3,
    min_products: int = 2,
    min_relative_density: float = 1.2,
    min_fill: float = 0.6,
) -> list[DenseBlock]:
    """Find up to ``max_blocks`` dense reviewer x product blocks (usually densest first).

    Args:
        reviewers: the reviewer key of each edge (one review).
        products: the product key of each edge, same length as ``reviewers``. Repeated (reviewer,
            product) pairs count once; pairs with a missing key are skipped.
        max_blocks: how many times to peel; each peel finds one block, then its edges are removed.
        min_reviewers: a block with fewer reviewers is not reported.
        min_products: a block with fewer products is not reported.
        min_relative_density: a block less than this many times as dense as its graph is not reported.
        min_fill: a block whose reviews fill less than this share of its reviewer x product pairs is not
            reported. A ring is nearly complete (its accounts all review the same products); the densest
            part of an ordinary graph is a large, sparse core of busy reviewers and popular products.

    Returns:
        The reported blocks, in the order they were found (each found after removing the edges of
        every block before it, reported or not).

    Raises:
        ValueError: when ``reviewers`` and ``products`` differ in length.
    """
    rows, cols, reviewer_keys, product_keys = _edges(reviewers, products)
    blocks: list[DenseBlock] = []
    alive = np.ones(len(rows), dtype=bool)
    for _ in range(max_blocks):
        if not alive.any():
            break
        row_in, col_in, score, graph_score = _peel(
            rows[alive], cols[alive], len(reviewer_keys), len(product_keys)
        )
        in_block = alive & row_in[rows] & col_in[cols]  # never empty: the densest set holds edges
        alive &= ~in_block
        block_rows = np.flatnonzero(row_in)
        block_cols = np.flatnonzero(col_in)
        found = DenseBlock(
            reviewers=tuple(str(reviewer_keys[i]) for i in block_rows),
            products=tuple(str(product_keys[j]) for j in block_cols),
            edges=int(in_block.sum()),
            score=score,
            relative_density=score / graph_score,
        )
        if (
            len(found.reviewers) >= min_reviewers
            and len(found.products) >= min_products
            and found.relative_density >= min_relative_density
            and found.fill >= min_fill
        ):
            blocks.append(found)
    return blocks


def block_membership(blocks: Sequence[DenseBlock], reviewers: Keys, products: Keys) -> pd.DataFrame:
    """Which reviews fall in which block, with a plain-language reason.

    A review belongs to a block when both its reviewer and its product are in the block. Blocks are
    found after removing earlier blocks' edges, so a pair is given to the first block that holds it.

    Args:
        blocks: blocks from ``find_dense_blocks``.
        reviewers: the reviewer key of each review, as given to ``find_dense_blocks``.
        products: the product key of each review, same length.

    Returns:
        One row per distinct (reviewer, product) pair in some block, with columns ``reviewer``,
        ``product``, ``block`` (the position in ``blocks``) and ``reason``, for example "one of 6
        accounts that all reviewed the same 3 products (dense block, 4.1x the graph's density)".
    """
    if len(reviewers) != len(products):
        raise ValueError(f"reviewers and products differ in length: {len(reviewers)} != {len(products)}")
    pairs = pd.DataFrame({"reviewer": _as_array(reviewers), "product": _as_array(products)})
    pairs = pairs.dropna().drop_duplicates(ignore_index=True)
    block = np.full(len(pairs), -1, dtype=np.int64)
    for index, found in enumerate(blocks):
        inside = pairs["reviewer"].isin(found.reviewers) & pairs["product"].isin(found.products)
        block[inside.to_numpy() & (block < 0)] = index
    keep = block >= 0
    out = pairs.loc[keep].reset_index(drop=True)
    out["block"] = block[keep]
    reasons = [_reason(found) for found in blocks]
    out["reason"] = [reasons[i] for i in out["block"]]
    return out.sort_values(["block", "reviewer", "product"], ignore_index=True)


def _reason(block: DenseBlock) -> str:
    """The sentence shown next to a review in ``block``."""
    n_reviewers, n_products = len(block.reviewers), len(block.products)
    if block.edges == n_reviewers * n_products:
        together = f"all reviewed the same {n_products} products"
    else:
        together = f"between them wrote {block.edges} reviews of the same {n_products} products"
    density = f"dense block, {block.relative_density:.1f}x the graph's density"
    return f"one of {n_reviewers} accounts that {together} ({density})"


def _as_array(keys: Keys) -> np.ndarray:
    """Keys as a 1-D object array (None/NaN stay missing)."""
    return np.asarray(keys, dtype=object).reshape(-1)


def _edges(reviewers: Keys, products: Keys) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct edges as integer (row, column) codes, plus the sorted reviewer and product keys."""
    if len(reviewers) != len(products):
        raise ValueError(f"reviewers and products differ in length: {len(reviewers)} != {len(products)}")
    row_codes, reviewer_keys = pd.factorize(_as_array(reviewers), sort=True)
    col_codes, product_keys = pd.factorize(_as_array(products), sort=True)
    known = (row_codes >= 0) & (col_codes >= 0)
    n_cols = max(len(product_keys), 1)
    pairs = np.unique(row_codes[known].astype(np.int64) * n_cols + col_codes[known])
    return pairs // n_cols, pairs % n_cols, np.asarray(reviewer_keys), np.asarray(product_keys)


def _peel(
    rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """One greedy peel of the graph given by distinct edges ``(rows[k], cols[k])`` (at least one).

    Returns:
        ``(row_in, col_in, score, graph_score)``: boolean masks over the ``n_rows`` row and ``n_cols``
        column codes marking the densest set seen, its density ``g``, and ``g`` of the whole graph
        (the nodes with at least one edge).
    """
    col_degree = np.bincount(cols, minlength=n_cols)
    col_weight = 1.0 / np.log(col_degree + LOG_OFFSET)
    edge_weight = col_weight[cols]

    # Nodes are numbered rows first (0..n_rows-1), then columns (n_rows..). A node's "delta" is how much
    # f drops when it is removed: its weighted degree among the nodes still present.
    delta = np.concatenate(
        [np.bincount(rows, weights=edge_weight, minlength=n_rows), col_degree * col_weight]
    )
    present = np.concatenate([np.bincount(rows, minlength=n_rows) > 0, col_degree > 0])
    n_nodes = int(present.sum())
    total = float(edge_weight.sum())
    graph_score = total / n_nodes

    # Adjacency in CSR form both ways: the columns of each row, and the rows of each column.
    by_row = np.argsort(rows, kind="stable")
    row_start = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))]).tolist()
    row_neighbours = (cols[by_row] + n_rows).tolist()
    by_col = np.argsort(cols, kind="stable")
    col_start = np.concatenate([[0], np.cumsum(col_degree)]).tolist()
    col_neighbours = rows[by_col].tolist()
    weight = col_weight.tolist()

    # Plain Python lists in the loop: far faster than numpy element access.
    current = delta.tolist()
    alive = present.tolist()
    # Ties go to the lower node number, so reviewers before products, as in the authors' code.
    heap = [(current[v], v) for v in range(n_rows + n_cols) if alive[v]]
    heapq.heapify(heap)
    rows_left = int(present[:n_rows].sum())
    cols_left = n_nodes - rows_left

    removed: list[int] = []
    best_score, best_removed = graph_score, 0
    nodes_left = n_nodes
    while rows_left and cols_left:
        value, v = heapq.heappop(heap)
        if not alive[v]:
            # Deltas only ever fall, so a node's newest heap entry is its smallest and pops first;
            # the older entries left behind pop after the node is gone and are skipped here.
            continue
        alive[v] = False
        removed.append(v)
        total -= value
        nodes_left -= 1
        if v < n_rows:
            rows_left -= 1
            for u in row_neighbours[row_start[v] : row_start[v + 1]]:
                if alive[u]:
                    current[u] -= weight[u - n_rows]
                    heapq.heappush(heap, (current[u], u))
        else:
            cols_left -= 1
            lost = weight[v - n_rows]
            for u in col_neighbours[col_start[v - n_rows] : col_start[v - n_rows + 1]]:
                if alive[u]:
                    current[u] -= lost
                    heapq.heappush(heap, (current[u], u))
        score = total / nodes_left
        if score > best_score:
            best_score, best_removed = score, len(removed)

    keep = present.copy()
    keep[removed[:best_removed]] = False
    row_in, col_in = keep[:n_rows], keep[n_rows:]
    # Recompute the block's density from its edges (the running total drifts by float rounding).
    inside = row_in[rows] & col_in[cols]
    score = float(edge_weight[inside].sum()) / int(keep.sum())
    return row_in, col_in, score, graph_score
