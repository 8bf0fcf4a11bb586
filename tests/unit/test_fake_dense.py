"""Dense-block (FRAUDAR) ring detection on small hand-made reviewer x product graphs."""

from __future__ import annotations

import math
import time
from collections import Counter

import numpy as np
import pytest

from pipeline.fake.dense import DenseBlock, block_membership, find_dense_blocks

RING = [f"ring-{i}" for i in range(6)]
TARGETS = [f"target-{j}" for j in range(3)]
POPULAR = [f"popular-{j}" for j in range(5)]


def _background(seed: int, reviewers: int = 400, products: int = 300) -> tuple[list[str], list[str]]:
    """A sparse random graph: each reviewer reviews one or two products picked uniformly."""
    rng = np.random.default_rng(seed)
    who: list[str] = []
    what: list[str] = []
    for user in range(reviewers):
        for product in rng.choice(products, size=int(rng.integers(1, 3)), replace=False):
            who.append(f"user-{user:03d}")
            what.append(f"prod-{product:03d}")
    return who, what


def _ring_edges(ring: list[str] = RING, targets: list[str] = TARGETS) -> tuple[list[str], list[str]]:
    """Every ring account reviews every target product."""
    return [r for r in ring for _ in targets], [t for _ in ring for t in targets]


def _with_ring(seed: int = 3) -> tuple[list[str], list[str]]:
    who, what = _background(seed)
    ring_who, ring_what = _ring_edges()
    return who + ring_who, what + ring_what


def _graph_density(who: list[str], what: list[str]) -> float:
    """FRAUDAR's g of a whole graph, computed by hand: sum of 1/log(product degree + 5) over nodes."""
    edges = set(zip(who, what, strict=True))
    degree = Counter(product for _, product in edges)
    weight = sum(1 / math.log(degree[product] + 5) for _, product in edges)
    return weight / (len({r for r, _ in edges}) + len(degree))


def test_recovers_a_planted_ring_exactly_from_a_sparse_random_graph() -> None:
    who, what = _with_ring()
    blocks = find_dense_blocks(who, what)
    assert len(blocks) == 1
    (block,) = blocks
    assert block.reviewers == tuple(RING)
    assert block.products == tuple(TARGETS)
    assert block.edges == 18
    assert block.fill == 1.0


def test_block_density_weighs_each_product_by_one_over_log_of_its_degree_plus_five() -> None:
    who, what = _with_ring()
    (block,) = find_dense_blocks(who, what)
    # 18 edges into products of degree 6, over 6 + 3 nodes.
    expected = 18 * (1 / math.log(6 + 5)) / 9
    assert block.score == pytest.approx(expected)
    assert block.relative_density == pytest.approx(expected / _graph_density(who, what))
    assert find_dense_blocks(who, what, min_relative_density=block.relative_density * 1.01) == []


def test_ring_that_also_reviews_popular_products_is_still_recovered() -> None:
    """Camouflage: each account also reviews two of five products that 60 ordinary users review."""
    who, what = _with_ring()
    rng = np.random.default_rng(11)
    for product in POPULAR:
        for user in rng.choice(400, size=60, replace=False):
            who.append(f"user-{user:03d}")
            what.append(product)
    for i, account in enumerate(RING):
        who += [account, account]
        what += [POPULAR[i % 5], POPULAR[(i + 1) % 5]]
    (block,) = find_dense_blocks(who, what)
    assert block.reviewers == tuple(RING)
    assert block.products == tuple(TARGETS)


def test_popular_products_count_less_than_niche_ones() -> None:
    """Five fans of four products that 200 people review form more edges per node than a 4 x 3 ring
    on niche products; only the column weighting puts the ring first."""
    who: list[str] = []
    what: list[str] = []
    for j in range(4):
        for user in range(200):
            who.append(f"crowd-{j}-{user:03d}")
            what.append(f"popular-{j}")
        for fan in range(5):
            who.append(f"fan-{fan}")
            what.append(f"popular-{j}")
    ring_who, ring_what = _ring_edges(RING[:4], TARGETS)
    first = find_dense_blocks(who + ring_who, what + ring_what, max_blocks=1)
    assert [(b.reviewers, b.products) for b in first] == [(tuple(RING[:4]), tuple(TARGETS))]


def test_keeps_the_densest_prefix_not_the_last_nodes_standing() -> None:
    """Hangers-on who reviewed one target each make the graph less dense: the block leaves them out."""
    who, what = _with_ring()
    for k in range(4):
        who.append(f"hanger-{k}")
        what.append(TARGETS[k % 3])
    (block,) = find_dense_blocks(who, what)
    assert block.reviewers == tuple(RING)
    assert block.products == tuple(TARGETS)


@pytest.mark.parametrize("seed", range(5))
def test_a_sparse_random_graph_reports_no_block(seed: int) -> None:
    who, what = _background(seed)
    assert find_dense_blocks(who, what) == []
    # The peel still finds a densest corner; it is just not remarkable.
    (loose,) = find_dense_blocks(
        who, what, max_blocks=1, min_reviewers=0, min_products=0, min_relative_density=0, min_fill=0
    )
    assert loose.relative_density < 1.2


def test_a_large_sparse_core_is_not_reported_as_a_ring() -> None:
    """Busy reviewers of popular products can be denser than the graph, but they do not form a ring."""
    rng = np.random.default_rng(5)
    who: list[str] = []
    what: list[str] = []
    for user in range(2000):
        busy = user < 60
        for product in rng.choice(40 if busy else 300, size=10 if busy else 1, replace=False):
            who.append(f"user-{user:04d}")
            what.append(f"prod-{product:03d}")
    (core,) = find_dense_blocks(who, what, max_blocks=1, min_fill=0)
    assert core.relative_density >= 1.2
    assert core.fill < 0.6
    assert find_dense_blocks(who, what) == []


def test_a_block_that_is_half_empty_is_not_reported() -> None:
    """Five accounts that each reviewed two of four products: dense, but not the same products."""
    who, what = _background(3)
    for i in range(5):
        who += [f"loose-{i}", f"loose-{i}"]
        what += [f"niche-{i % 4}", f"niche-{(i + 1) % 4}"]
    (loose,) = find_dense_blocks(who, what, min_fill=0)
    assert loose.reviewers == tuple(f"loose-{i}" for i in range(5))
    assert loose.fill == 10 / 20
    assert find_dense_blocks(who, what) == []


def test_blocks_below_the_size_minimums_are_dropped() -> None:
    who, what = _background(3)
    pair_who, pair_what = _ring_edges(RING[:2], [f"niche-{j}" for j in range(6)])
    who, what = who + pair_who, what + pair_what
    assert find_dense_blocks(who, what) == []
    (block,) = find_dense_blocks(who, what, min_reviewers=2)
    assert block.reviewers == tuple(RING[:2])


def test_duplicate_edges_do_not_inflate_density() -> None:
    who, what = _with_ring()
    once = find_dense_blocks(who, what)
    thrice = find_dense_blocks(who * 3, what * 3)
    assert thrice == once
    assert thrice[0].edges == 18


def test_finds_a_second_ring_after_removing_the_first() -> None:
    who, what = _with_ring()
    denser = [f"denser-{i}" for i in range(4)]
    denser_who, denser_what = _ring_edges(denser, [f"other-{j}" for j in range(4)])
    who, what = who + denser_who, what + denser_what
    blocks = find_dense_blocks(who, what, max_blocks=3)
    assert [b.reviewers for b in blocks] == [tuple(denser), tuple(RING)]
    assert blocks[1].products == tuple(TARGETS)
    assert blocks[0].score > blocks[1].score
    assert len(find_dense_blocks(who, what, max_blocks=1)) == 1


def test_empty_input_gives_no_blocks() -> None:
    assert find_dense_blocks([], []) == []
    assert find_dense_blocks(np.array([], dtype=object), np.array([], dtype=object)) == []
    assert block_membership([], [], []).empty


def test_missing_keys_are_skipped() -> None:
    who, what = _with_ring()
    with_missing: list[str | None] = [*who, None, "user-000"]
    what_missing: list[str | None] = [*what, TARGETS[0], None]
    assert find_dense_blocks(with_missing, what_missing) == find_dense_blocks(who, what)


def test_edges_must_pair_up() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        find_dense_blocks(["a", "b"], ["p"])


def test_membership_lists_each_review_in_a_block_with_a_reason() -> None:
    who, what = _with_ring()
    who += [RING[0], RING[0]]
    what += ["prod-001", TARGETS[0]]  # one review outside the block, one duplicate inside it
    blocks = find_dense_blocks(who, what)
    members = block_membership(blocks, who, what)
    assert list(members.columns) == ["reviewer", "product", "block", "reason"]
    assert sorted(zip(members["reviewer"], members["product"], strict=True)) == sorted(
        zip(*_ring_edges(), strict=True)
    )
    assert set(members["block"]) == {0}
    times = blocks[0].relative_density
    assert set(members["reason"]) == {
        "one of 6 accounts that all reviewed the same 3 products "
        f"(dense block, {times:.1f}x the graph's density)"
    }


def test_membership_reason_for_an_incomplete_block_counts_the_reviews() -> None:
    block = DenseBlock(("a", "b", "c"), ("p", "q"), edges=5, score=1.0, relative_density=3.04)
    members = block_membership([block], ["a", "a", "b", "b", "c", "z"], ["p", "q", "p", "q", "p", "p"])
    assert len(members) == 5
    assert members["reason"].iloc[0] == (
        "one of 3 accounts that between them wrote 5 reviews of the same 2 products "
        "(dense block, 3.0x the graph's density)"
    )


def test_membership_gives_a_pair_to_the_first_block_that_holds_it() -> None:
    first = DenseBlock(("a", "b", "c"), ("p", "q"), edges=6, score=2.0, relative_density=4.0)
    second = DenseBlock(("a", "d", "e"), ("p", "r"), edges=4, score=1.0, relative_density=2.0)
    members = block_membership([first, second], ["a", "a", "d"], ["p", "r", "r"])
    assert dict(
        zip(zip(members["reviewer"], members["product"], strict=True), members["block"], strict=True)
    ) == {
        ("a", "p"): 0,
        ("a", "r"): 1,
        ("d", "r"): 1,
    }


def test_peels_a_large_graph_quickly() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    who = np.char.add("u", rng.integers(0, 60_000, n).astype(str)).astype(object)
    what = np.char.add("p", (rng.zipf(1.5, n) % 10_000).astype(str)).astype(object)
    started = time.perf_counter()
    find_dense_blocks(who, what, max_blocks=1)
    assert time.perf_counter() - started < 20
