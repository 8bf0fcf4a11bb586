"""Fake-review behavioural signals on small hand-made opinions tables (issue 4).

Each signal gets a record where it should fire and a control that differs only in the relevant respect,
so a broken signal (flipped comparison, hard-coded column, lost join) fails its test. The whole path runs:
MinHash signing, near-duplicate SQL, dense blocks, the signals SQL and the weighted combination.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.errors import ConfigError
from pipeline.fake import minhash
from pipeline.fake.detect import score_opinions
from pipeline.fake.signals import (
    DEFAULT_CONFIG,
    FEATURES,
    SIGNAL_NAMES,
    FakeConfig,
    combine,
    features_frame,
    reasons,
)
from pipeline.settings import Settings
from pipeline.warehouse import sql_text

SETTINGS = Settings.from_env({})
DAY0 = date(2024, 3, 1)

OPINION_COLUMNS = {
    "kind": "varchar",
    "source": "varchar",
    "record_id": "varchar",
    "content_hash": "varchar",
    "target_id": "varchar",
    "reviewer_key": "varchar",
    "rating": "integer",
    "posted_on": "date",
    "verified": "boolean",
    "text": "varchar",
    "p_deceptive": "double",
    "p_generated": "double",
}

# Long enough to be MinHash-signed (>= minhash.MIN_WORDS words) and varied enough that two of them
# never look alike.
LONG_TEXT = (
    "I bought this blender for smoothies last spring and it still crushes frozen mango without "
    "any trouble, although the lid leaks a little when the jug is filled past the line."
)
OTHER_LONG_TEXT = (
    "The hiking boots arrived two days late, yet the leather feels sturdy and my heels stayed "
    "dry through a whole weekend of muddy trails in the northern hills near the lake."
)
THIRD_LONG_TEXT = (
    "Customer service replaced the cracked phone case within a week, but the replacement scratches "
    "just as easily and the buttons feel mushy compared with the original one from the shop."
)
NEAR_COPY = LONG_TEXT.replace("last spring", "last summer")


# The thresholds under test come from signals.yaml. The bias and weights are pinned to the priors it
# shipped with, so which reasons are listed (and in which order) stays put when calibration refits them.
PINNED_BIAS = -3.0
PINNED_WEIGHTS = {
    "text_deceptive": 1.0, "text_generated": 1.0, "rating_deviation": 1.0, "product_burst": 1.5,
    "reviewer_burst": 1.0, "near_duplicate": 1.5, "single_review_account": 1.0, "all_five_stars": 1.0,
    "extreme_ratings": 0.5, "unverified": 0.8, "short_text": 0.5, "early_review": 0.5, "dense_block": 2.0,
}  # fmt: skip


@pytest.fixture(scope="module")
def shipped() -> FakeConfig:
    """The configuration as shipped in models/fake-signals/signals.yaml."""
    return FakeConfig.load()


@pytest.fixture(scope="module")
def config(shipped: FakeConfig) -> FakeConfig:
    """The shipped thresholds with the pinned bias and weights."""
    assert set(PINNED_WEIGHTS) == set(SIGNAL_NAMES)
    return dataclasses.replace(shipped, bias=PINNED_BIAS, weights=PINNED_WEIGHTS)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def opinions(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """An opinions frame from partial rows: every record its own account, product and ordinary text.

    Defaults: a verified 4-star review posted on ``DAY0``, six words long (neither short nor signed
    for near-duplicate matching), no text-detector score. ``id`` names the record.
    """
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        record_id = row.pop("id", f"r{i}")
        text = row.pop("text", f"plain ordinary honest opinion number {i}")
        full = {
            "kind": "reviews",
            "source": "test",
            "record_id": record_id,
            "content_hash": hashlib.sha256(text.encode()).hexdigest() if text is not None else None,
            "target_id": f"product-{record_id}",
            "reviewer_key": f"account-{record_id}",
            "rating": 4,
            "posted_on": DAY0,
            "verified": True,
            "text": text,
            "p_deceptive": None,
            "p_generated": None,
        }
        unknown = set(row) - set(full)
        assert not unknown, f"unknown opinion column(s) {unknown}"
        full.update(row)
        out.append(full)
    return pd.DataFrame(out, columns=list(OPINION_COLUMNS))


def sql(name: str) -> str:
    return sql_text(SETTINGS, name)


def warehouse(rows: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB holding ``opinions`` (just ``rows``) and an empty ``text_signatures``."""
    con = duckdb.connect()
    columns = ", ".join(f"{name} {kind}" for name, kind in OPINION_COLUMNS.items())
    con.execute(f"create temp table opinions ({columns})")
    con.register("opinion_rows", opinions(rows))
    con.execute("insert into opinions select * from opinion_rows")
    con.unregister("opinion_rows")
    con.execute(sql("schema/08_text_signatures"))
    return con


def score(rows: list[dict[str, Any]], config: FakeConfig) -> pd.DataFrame:
    """Scored rows of a warehouse holding just ``rows``, indexed by record id."""
    con = warehouse(rows)
    try:
        scored = score_opinions(con, config, sql)
    finally:
        con.close()
    assert len(scored) == len(rows)
    for feature in FEATURES:
        assert scored[feature].between(0.0, 1.0).all(), feature
    return scored.set_index("record_id")


def with_thresholds(config: FakeConfig, **changes: float) -> FakeConfig:
    return dataclasses.replace(config, thresholds={**config.thresholds, **changes})


def fired(scored: pd.DataFrame, signal: str) -> set[str]:
    """The record ids where ``signal`` fired (value above 0)."""
    return set(scored.index[scored[f"f_{signal}"] > 0])


def reason_of(scored: pd.DataFrame, record_id: str, phrase: str) -> float:
    """The contribution quoted after the reason starting ``phrase`` in the record's fake_reasons."""
    text = scored.loc[record_id, "fake_reasons"]
    match = re.search(re.escape(phrase) + r"[^;]* \(\+(0\.\d\d)\)", text)
    assert match, f"{phrase!r} with a (+0.xx) contribution not in {text!r}"
    return float(match.group(1))


# --- text detectors ------------------------------------------------------------------------------


def test_text_deceptive_passes_the_detector_probability_through(config: FakeConfig) -> None:
    scored = score([{"id": "spam", "p_deceptive": 0.9}, {"id": "plain", "p_deceptive": 0.0}, {"id": "none"}],
                   config)  # fmt: skip
    assert scored.loc["spam", "f_text_deceptive"] == pytest.approx(0.9)
    assert scored.loc["plain", "f_text_deceptive"] == 0.0
    assert scored.loc["none", "f_text_deceptive"] == 0.0  # not scored yet: no evidence
    assert (scored["f_text_generated"] == 0).all()
    reason_of(scored, "spam", "text reads like paid opinion spam (detector 90%)")


def test_text_generated_passes_the_detector_probability_through(config: FakeConfig) -> None:
    scored = score([{"id": "bot", "p_generated": 0.8}, {"id": "plain", "p_generated": 0.0}, {"id": "none"}],
                   config)  # fmt: skip
    assert scored.loc["bot", "f_text_generated"] == pytest.approx(0.8)
    assert scored.loc["plain", "f_text_generated"] == 0.0
    assert scored.loc["none", "f_text_generated"] == 0.0
    assert (scored["f_text_deceptive"] == 0).all()
    reason_of(scored, "bot", "text reads as machine-generated (detector 80%)")


# --- ratings against the product -----------------------------------------------------------------


def _product(target: str, ratings: list[int], prefix: str, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{i}", "target_id": target, "rating": rating, "posted_on": day(10 * i), **extra}
        for i, rating in enumerate(ratings)
    ]


def test_rating_deviation_scales_with_distance_from_the_others_average(config: FakeConfig) -> None:
    rows = (
        _product("P", [5, 5, 5, 1], "p")  # 1 star against 5: 4 away
        + _product("Q", [5, 5, 5, 3], "q")  # 2 away: half way
        + _product("S", [5, 5, 5, 4], "s")  # 1 away: within tolerance
    )
    scored = score(rows, config)
    assert scored.loc["p3", "f_rating_deviation"] == 1.0
    assert scored.loc["q3", "f_rating_deviation"] == pytest.approx(0.5)
    assert scored.loc["s3", "f_rating_deviation"] == 0.0
    # the 5-star reviews sit at most 4/3 stars from their others' average
    assert scored.loc[["p0", "q0", "s0"], "f_rating_deviation"].max() < 0.5
    assert scored.loc["s0", "f_rating_deviation"] == 0.0
    assert scored.loc["p3", "target_mean_others"] == 5.0
    reason_of(scored, "p3", "rated 1★ against an average of 5★ from 3 others")


def test_rating_deviation_needs_more_than_min_target_reviews(config: FakeConfig) -> None:
    assert config.thresholds["min_target_reviews"] == 3
    rows = _product("P", [5, 5, 5, 1], "p") + _product("Q", [5, 5, 1], "q")
    scored = score(rows, config)
    assert scored.loc["p3", "f_rating_deviation"] == 1.0
    assert scored.loc["q2", "f_rating_deviation"] == 0.0  # 3 reviews are not more than 3
    lowered = score(rows, with_thresholds(config, min_target_reviews=2))
    assert lowered.loc["q2", "f_rating_deviation"] == 1.0


# --- bursts -------------------------------------------------------------------------------------


def _burst_product(
    target: str, prefix: str, burst: int, kind: str = "reviews", on: int = 100
) -> list[dict[str, Any]]:
    """``burst`` reviews on day ``on`` over a slow background of one review every 30 days (days 0..270)."""
    background = [
        {"id": f"{prefix}-bg{i}", "kind": kind, "target_id": target, "posted_on": day(30 * i)}
        for i in range(10)
    ]
    spike = [
        {"id": f"{prefix}-b{i}", "kind": kind, "target_id": target, "posted_on": day(on)}
        for i in range(burst)
    ]
    return background + spike


def test_product_burst_fires_on_the_spike_only(config: FakeConfig) -> None:
    assert config.thresholds["burst_min_reviews"] == 5
    rows = _burst_product("P", "p", burst=5) + _burst_product("Q", "q", burst=4, on=200)
    scored = score(rows, config)
    assert fired(scored, "product_burst") == {f"p-b{i}" for i in range(5)}
    assert scored.loc["p-b0", "window_n"] == 5
    assert scored.loc["q-b0", "window_n"] == 4
    reason = scored.loc["p-b0", "fake_reasons"]
    expected = scored.loc["p-b0", "window_expected"]
    reason_of(
        scored, "p-b0", f"one of 5 reviews of this product within a few days (usual pace {expected:.1f})"
    )
    assert "(usual pace 0.1)" in reason
    stricter = score(rows, with_thresholds(config, burst_min_reviews=6))
    assert fired(stricter, "product_burst") == set()


def test_a_site_wide_surge_is_not_one_products_burst(config: FakeConfig) -> None:
    # a sale: four products each get five reviews on day 100, over their usual slow pace
    sale = [r for p in "ABCD" for r in _burst_product(p, p.lower(), burst=5)]
    assert fired(score(sale, config), "product_burst") == set()
    # the same four spikes on four different days are four bursts
    apart = [r for i, p in enumerate("ABCD") for r in _burst_product(p, p.lower(), burst=5, on=105 + 40 * i)]
    assert fired(score(apart, config), "product_burst") == {f"{p}-b{i}" for p in "abcd" for i in range(5)}


def test_product_burst_counts_reviews_within_the_half_window(config: FakeConfig) -> None:
    background = [{"id": f"bg{i}", "target_id": "P", "posted_on": day(30 * i)} for i in range(10)]
    # 2 + 2 + 1 reviews on three consecutive days: only day 101 sees all five within +/- 1 day
    spread = [
        {"id": f"s{d}-{i}", "target_id": "P", "posted_on": day(d)}
        for d, n in ((100, 2), (101, 2), (102, 1))
        for i in range(n)
    ]
    scored = score(background + spread, config)
    assert fired(scored, "product_burst") == {"s101-0", "s101-1"}
    narrow = score(background + spread, with_thresholds(config, burst_half_window=0))
    assert fired(narrow, "product_burst") == set()


def test_product_burst_needs_burst_ratio_times_the_usual_pace(config: FakeConfig) -> None:
    # a product reviewed five times every day for two weeks: busy, but steadily so
    steady = [{"id": f"d{d}-{i}", "target_id": "P", "posted_on": day(d)} for d in range(14) for i in range(5)]
    scored = score(steady, config)
    assert scored["window_n"].max() == 15
    assert fired(scored, "product_burst") == set()
    no_ratio = score(steady, with_thresholds(config, burst_ratio=0.0))
    assert fired(no_ratio, "product_burst") == set(scored.index)


def test_seller_feedback_is_kept_apart_from_reviews(config: FakeConfig) -> None:
    # a review burst of product "X" on day 100, and feedback about a seller also keyed "X" that day
    reviews = _burst_product("X", "rev", burst=5)
    feedback = [
        {"id": f"fb{i}", "kind": "seller_feedback", "target_id": "X", "posted_on": day(100 + 30 * i),
         "verified": None}
        for i in range(3)
    ]  # fmt: skip
    scored = score(reviews + feedback, config)
    assert fired(scored, "product_burst") == {f"rev-b{i}" for i in range(5)}
    assert (scored.loc[[f"fb{i}" for i in range(3)], "target_n"] == 3).all()
    assert scored.loc["fb0", "window_n"] == 1
    # and the feedback burst on its own is one
    feedback_burst = _burst_product("X", "fb", burst=5, kind="seller_feedback")
    scored = score(reviews[:10] + feedback_burst, config)
    assert fired(scored, "product_burst") == {f"fb-b{i}" for i in range(5)}


def test_reviewer_burst_fires_on_the_busy_day(config: FakeConfig) -> None:
    assert config.thresholds["reviewer_day_max"] == 3
    rows = [{"id": f"a{i}", "reviewer_key": "A", "posted_on": day(5)} for i in range(3)] + [
        {"id": "b0", "reviewer_key": "B", "posted_on": day(5)},
        {"id": "b1", "reviewer_key": "B", "posted_on": day(5)},
        {"id": "b2", "reviewer_key": "B", "posted_on": day(6)},
    ]
    scored = score(rows, config)
    assert fired(scored, "reviewer_burst") == {"a0", "a1", "a2"}
    assert scored.loc["b0", "reviewer_day_n"] == 2
    reason_of(scored, "a0", "the account posted 3 reviews that day")
    lowered = score(rows, with_thresholds(config, reviewer_day_max=2))
    assert fired(lowered, "reviewer_burst") == {"a0", "a1", "a2", "b0", "b1"}


# --- near duplicates ----------------------------------------------------------------------------


def test_near_duplicate_texts_by_different_accounts_match(config: FakeConfig) -> None:
    assert minhash.estimated_jaccard(*minhash.signatures([LONG_TEXT, NEAR_COPY])) >= 0.6
    rows = [
        {"id": "orig", "text": LONG_TEXT, "reviewer_key": "A", "target_id": "P"},
        {"id": "copy", "text": NEAR_COPY, "reviewer_key": "B", "target_id": "Q"},
        {"id": "other", "text": OTHER_LONG_TEXT, "reviewer_key": "C", "target_id": "P"},
    ]
    scored = score(rows, config)
    assert fired(scored, "near_duplicate") == {"orig", "copy"}
    assert scored.loc["orig", "n_similar"] == 1
    similarity = scored.loc["orig", "max_similarity"]
    assert 0.6 <= similarity < 1.0
    reason_of(
        scored,
        "orig",
        f"text nearly identical ({similarity:.0%}) to 1 other review by other accounts or of other products",
    )
    # an exact copy matches too, and a higher bar than the copy's similarity turns the near copy off
    exact = score([{**rows[0]}, {**rows[1], "text": LONG_TEXT}, rows[2]], config)
    assert fired(exact, "near_duplicate") == {"orig", "copy"}
    assert exact.loc["copy", "max_similarity"] == 1.0
    strict = score(rows, with_thresholds(config, near_duplicate_similarity=similarity + 0.01))
    assert fired(strict, "near_duplicate") == set()


def test_identical_copies_by_one_account_about_one_product_do_not_count(config: FakeConfig) -> None:
    rows = [
        {"id": "same1", "text": LONG_TEXT, "reviewer_key": "A", "target_id": "P"},
        {"id": "same2", "text": LONG_TEXT, "reviewer_key": "A", "target_id": "P"},
        # the same account posting one text about two products is copying
        {"id": "x1", "text": OTHER_LONG_TEXT, "reviewer_key": "B", "target_id": "P"},
        {"id": "x2", "text": OTHER_LONG_TEXT, "reviewer_key": "B", "target_id": "Q"},
        # two accounts posting one text about the same product are copying
        {"id": "y1", "text": THIRD_LONG_TEXT, "reviewer_key": "C", "target_id": "P"},
        {"id": "y2", "text": THIRD_LONG_TEXT, "reviewer_key": "D", "target_id": "P"},
    ]
    scored = score(rows, config)
    assert fired(scored, "near_duplicate") == {"x1", "x2", "y1", "y2"}
    assert scored.loc["x1", "max_similarity"] == 1.0


def test_short_texts_are_never_near_duplicates(config: FakeConfig) -> None:
    short = "really good value, works exactly as described"  # 7 words
    assert len(short.split()) < minhash.MIN_WORDS
    rows = [{"id": f"s{i}", "text": short} for i in range(3)] + [
        {"id": f"l{i}", "text": short + " every day"}
        for i in range(2)  # 9 words: signed
    ]
    scored = score(rows, config)
    assert fired(scored, "near_duplicate") == {"l0", "l1"}


# --- accounts -----------------------------------------------------------------------------------


def test_single_review_account(config: FakeConfig) -> None:
    rows = [{"id": "a0", "reviewer_key": "A"}, {"id": "b0", "reviewer_key": "B"},
            {"id": "b1", "reviewer_key": "B", "posted_on": day(3)}]  # fmt: skip
    scored = score(rows, config)
    assert fired(scored, "single_review_account") == {"a0"}
    reason_of(scored, "a0", "the account's only review")


def test_all_five_stars_needs_two_reviews_all_five(config: FakeConfig) -> None:
    rows = [
        {"id": "a0", "reviewer_key": "A", "rating": 5},
        {"id": "a1", "reviewer_key": "A", "rating": 5, "posted_on": day(3)},
        {"id": "b0", "reviewer_key": "B", "rating": 5},
        {"id": "b1", "reviewer_key": "B", "rating": 4, "posted_on": day(3)},
        {"id": "c0", "reviewer_key": "C", "rating": 5},  # one review only
    ]
    scored = score(rows, config)
    assert fired(scored, "all_five_stars") == {"a0", "a1"}
    reason_of(scored, "a0", "the account gave 5★ in all its 2 reviews")


def test_extreme_ratings_needs_enough_reviews_at_the_extremes(config: FakeConfig) -> None:
    assert config.thresholds["extreme_min_reviews"] == 3
    assert config.thresholds["extreme_share"] == 0.9

    def account(key: str, ratings: list[int]) -> list[dict[str, Any]]:
        return [{"id": f"{key}{i}", "reviewer_key": key, "rating": r, "posted_on": day(7 * i)}
                for i, r in enumerate(ratings)]  # fmt: skip

    rows = account("a", [1, 5, 5]) + account("b", [1, 5, 4]) + account("c", [1, 5])
    # exactly at the share (9 of 10 extreme) and just under it (8 of 10)
    rows += account("d", [5] * 9 + [3]) + account("e", [1] * 8 + [2, 4])
    scored = score(rows, config)
    assert fired(scored, "extreme_ratings") == {"a0", "a1", "a2"} | {f"d{i}" for i in range(10)}
    assert fired(scored, "all_five_stars") == set()
    reason_of(scored, "a0", "the account rates only at the extremes (1★ or 5★) over 3 reviews")
    looser = score(rows, with_thresholds(config, extreme_share=0.6))
    assert fired(looser, "extreme_ratings") == fired(scored, "extreme_ratings") | {
        "b0",
        "b1",
        "b2",
        *(f"e{i}" for i in range(10)),
    }
    fewer = score(rows, with_thresholds(config, extreme_min_reviews=2))
    assert fired(fewer, "extreme_ratings") == fired(scored, "extreme_ratings") | {"c0", "c1"}


# --- record facts -------------------------------------------------------------------------------


def test_unverified_fires_only_on_an_explicit_false(config: FakeConfig) -> None:
    scored = score([{"id": "no", "verified": False}, {"id": "yes", "verified": True},
                    {"id": "unknown", "verified": None}], config)  # fmt: skip
    assert fired(scored, "unverified") == {"no"}
    reason_of(scored, "no", "purchase not verified")


def test_short_text_counts_words_not_whitespace(config: FakeConfig) -> None:
    assert config.thresholds["short_words"] == 4
    rows = [
        {"id": "four", "text": "Great product, love it"},
        {"id": "spaced", "text": "  great \n\n product\t "},
        {"id": "five", "text": "Great product, love it lots"},
    ]
    scored = score(rows, config)
    assert fired(scored, "short_text") == {"four", "spaced"}
    assert scored.loc["spaced", "n_words"] == 2
    assert scored.loc["five", "n_words"] == 5
    reason_of(scored, "four", "very short text (4 words)")


def test_early_review_within_early_days_of_a_busy_products_first_review(config: FakeConfig) -> None:
    assert config.thresholds["early_days"] == 3
    assert config.thresholds["early_min_reviews"] == 10
    offsets = [0, 2, 3, 10, 20, 30, 40, 50, 60, 70]
    busy = [{"id": f"p{d}", "target_id": "P", "posted_on": day(d)} for d in offsets]
    quiet = [{"id": f"q{d}", "target_id": "Q", "posted_on": day(d)} for d in offsets[:9]]
    scored = score(busy + quiet, config)
    assert fired(scored, "early_review") == {"p0", "p2"}
    assert scored.loc["p3", "days_since_first"] == 3
    reason_of(scored, "p2", "posted 2 days after the product's first review")
    fewer = score(busy + quiet, with_thresholds(config, early_min_reviews=9))
    assert fired(fewer, "early_review") == {"p0", "p2", "q0", "q2"}


def test_undated_and_unflagged_records_get_no_date_evidence(config: FakeConfig) -> None:
    # a busy product with a burst on its first day, and an account posting three reviews that day
    dated = [{"id": f"d{i}", "target_id": "P", "reviewer_key": "A" if i < 3 else f"B{i}", "posted_on": day(0)}
             for i in range(5)]  # fmt: skip
    later = [{"id": f"l{i}", "target_id": "P", "posted_on": day(30 + 30 * i)} for i in range(5)]
    undated = {"target_id": "P", "posted_on": None, "verified": None}
    rows = dated + later + [{"id": "u0", **undated, "reviewer_key": "A"}, {"id": "u1", **undated}]
    scored = score(rows, config)
    assert {"d0", "d1", "d2"} <= fired(scored, "reviewer_burst")
    assert {"d0", "d4"} <= fired(scored, "product_burst") & fired(scored, "early_review")
    for signal in ("product_burst", "reviewer_burst", "early_review", "unverified"):
        assert scored.loc[["u0", "u1"], f"f_{signal}"].eq(0).all(), signal
    assert scored.loc[["u0", "u1"], "fake_probability"].notna().all()
    # nothing dated at all still scores
    alone = score([{"id": "x", "posted_on": None, "verified": None}, {"id": "y", "posted_on": None}], config)
    assert alone[[f"f_{s}" for s in ("product_burst", "reviewer_burst", "early_review")]].eq(0).all().all()


# --- dense blocks -------------------------------------------------------------------------------


def ring_rows(posted_on: Callable[[int, int], date | None]) -> list[dict[str, Any]]:
    """Six accounts that each review the same three products, five stars; ``posted_on(account, product)``."""
    return [
        {"id": f"ring-{a}-{p}", "reviewer_key": f"ring-{a}", "target_id": f"target-{p}",
         "posted_on": posted_on(a, p), "rating": 5}
        for a in range(6) for p in range(3)
    ]  # fmt: skip


def test_dense_block_marks_a_ring_posting_together(config: FakeConfig) -> None:
    rng = np.random.default_rng(11)
    ring = ring_rows(lambda a, p: day(30 + (a + p) % 2))
    ordinary = []
    for i in range(100):
        ordinary.append({
            "id": f"edge-{i}",
            "reviewer_key": f"user-{rng.integers(60)}",
            "target_id": f"item-{rng.integers(40)}",
            "posted_on": day(int(rng.integers(60))),
        })  # fmt: skip
    # the ring's products are also reviewed by ordinary customers
    ordinary += [{"id": f"fan-{p}", "reviewer_key": f"fan-{p}", "target_id": f"target-{p}",
                  "posted_on": day(5 + 20 * p)} for p in range(3)]  # fmt: skip
    # a ring account's other review is marked too; its seller feedback is another graph
    elsewhere = [
        {"id": "ring-0-elsewhere", "reviewer_key": "ring-0", "target_id": "item-0", "posted_on": day(55)},
        {"id": "ring-0-feedback", "kind": "seller_feedback", "reviewer_key": "ring-0", "target_id": "S",
         "posted_on": day(30), "verified": None},
    ]  # fmt: skip
    scored = score(ring + ordinary + elsewhere, config)
    assert fired(scored, "dense_block") == {r["id"] for r in ring} | {"ring-0-elsewhere"}
    reason_of(scored, "ring-0-0", "one of 6 accounts that all reviewed the same 3 products (dense block, ")
    # spread over the year the same accounts and products are just customers
    spread = [{**r, "posted_on": day(40 * int(r["reviewer_key"][-1]) + 7 * int(r["target_id"][-1]))}
              for r in ring]  # fmt: skip
    assert fired(score(spread + ordinary, config), "dense_block") == set()


def test_dense_block_ring_is_not_diluted_by_a_growing_history(config: FakeConfig) -> None:
    """The nightly graph holds every review ever loaded. Busy customers' past reviews pile up on their
    account nodes and make the whole graph denser, night after night; were accounts whole-history nodes,
    the ring's density relative to the graph would sink below the threshold and its flags would vanish
    (the 7-night demo lost its ring on night 6). Accounts are cut into the same time windows as the
    products, so the graph stays as dense as a few days of reviews are."""
    rng = np.random.default_rng(5)
    ring = ring_rows(lambda a, p: day(50 + (a + p) % 2))
    # aged accounts: the ring's too have months of ordinary reviews behind them
    accounts = [f"user-{u}" for u in range(100)] + [f"ring-{a}" for a in range(6)]
    history = [
        {"id": f"past-{who}-{k}", "reviewer_key": who, "target_id": f"item-{rng.integers(10)}",
         "posted_on": day(int(rng.integers(100)))}
        for who in accounts for k in range(40)
    ]  # fmt: skip
    scored = score(ring + history, config)
    ring_ids = {r["id"] for r in ring}
    assert ring_ids <= fired(scored, "dense_block")  # the mark covers the ring accounts' other reviews
    assert not any(i.startswith("past-user") for i in fired(scored, "dense_block"))


def test_dense_block_without_dates_is_plain_fraudar(config: FakeConfig) -> None:
    """Records without a date (Yelp's sample has none) form one whole-history node per account and
    product: the ring is still found on them."""
    rng = np.random.default_rng(11)
    ring = ring_rows(lambda a, p: None)
    ordinary = [
        {"id": f"edge-{i}", "reviewer_key": f"user-{rng.integers(200)}",
         "target_id": f"item-{rng.integers(150)}", "posted_on": None}
        for i in range(300)
    ]  # fmt: skip
    assert fired(score(ring + ordinary, config), "dense_block") == {r["id"] for r in ring}


def test_dense_block_reason_is_that_of_the_block_named(config: FakeConfig) -> None:
    # an account in two blocks: its reviews name one of them, with that block's own reason
    con = warehouse([{"id": "a", "reviewer_key": "A", "target_id": "P"},
                     {"id": "b", "reviewer_key": "A", "target_id": "Q"}, {"id": "c"}])  # fmt: skip
    members = pd.DataFrame({
        "kind": "reviews", "target_id": ["P", "Q"], "reviewer_key": "A",
        "block_id": ["reviews-0-1", "reviews-1-1"], "block_reason": ["zeta block", "alpha block"],
    })  # fmt: skip
    try:
        features = features_frame(con, config, sql, members).set_index("record_id")
    finally:
        con.close()
    assert features.loc["a", "block_id"] == features.loc["b", "block_id"] == "reviews-0-1"
    assert features.loc["a", "block_reason"] == features.loc["b", "block_reason"] == "zeta block"
    assert fired(features, "dense_block") == {"a", "b"}


def test_unknown_accounts_and_products_are_not_one_shared_account(config: FakeConfig) -> None:
    rows = [{"id": f"u{i}", "reviewer_key": None, "target_id": None, "rating": 5} for i in range(6)]
    scored = score(rows, config)
    for signal in ("single_review_account", "all_five_stars", "extreme_ratings", "reviewer_burst",
                   "product_burst", "rating_deviation", "early_review", "dense_block"):  # fmt: skip
        assert fired(scored, signal) == set(), signal


# --- combination and reasons --------------------------------------------------------------------


def _features(rows: list[dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame([{f: 0.0 for f in FEATURES} | row for row in rows])
    detail = {"rating": 1, "target_mean_others": 5.0, "target_n": 5, "window_n": 6, "window_expected": 0.5,
              "reviewer_day_n": 4, "max_similarity": 0.9, "n_similar": 2, "reviewer_n": 3, "n_words": 2,
              "days_since_first": 1, "block_reason": "one of 6 accounts"}  # fmt: skip
    return frame.assign(**detail)


@pytest.mark.parametrize("which", ["shipped", "config"])
def test_fake_probability_never_falls_when_a_signal_is_added(
    which: str, request: pytest.FixtureRequest
) -> None:
    config: FakeConfig = request.getfixturevalue(which)
    assert all(w >= 0 for w in config.weights.values())
    base = {f: 0.0 for f in FEATURES}
    for name in SIGNAL_NAMES:
        for value in (0.5, 1.0):
            p = combine(_features([base, {f"f_{name}": value}]), config)[0]
            assert p[1] >= p[0], name
            assert (p[1] > p[0]) == (config.weights[name] > 0), name
    # adding signals one by one, in any order, never lowers the probability
    rng = np.random.default_rng(5)
    for order in [list(SIGNAL_NAMES), *(rng.permutation(SIGNAL_NAMES) for _ in range(3))]:
        cumulative = [{f"f_{n}": 1.0 for n in order[:k]} for k in range(len(order) + 1)]
        p, contributions = combine(_features(cumulative), config)
        assert np.all(np.diff(p) >= 0)
        assert np.all(contributions >= 0)


def test_contributions_are_the_points_lost_without_each_signal(config: FakeConfig) -> None:
    features = _features([{"f_unverified": 1.0, "f_short_text": 1.0, "f_text_deceptive": 0.5}])
    p, contributions = combine(features, config)
    z = config.bias + config.weights["unverified"] + config.weights["short_text"] + 0.5 * config.weights[
        "text_deceptive"]  # fmt: skip
    assert p[0] == pytest.approx(1 / (1 + np.exp(-z)))
    i = SIGNAL_NAMES.index("unverified")
    without = 1 / (1 + np.exp(-(z - config.weights["unverified"])))
    assert contributions[0, i] == pytest.approx(p[0] - without)
    (text,) = reasons(features, contributions)
    # strongest first, each with its contribution
    assert text.startswith("purchase not verified (+")
    assert f"purchase not verified (+{contributions[0, i]:.2f})" in text
    assert "very short text (2 words) (+" in text
    assert "detector 50%" in text


def test_fake_probability_rises_when_a_signal_fires_in_sql(config: FakeConfig) -> None:
    scored = score([{"id": "clean"}, {"id": "unverified", "verified": False},
                    {"id": "both", "verified": False, "text": "nice"}], config)  # fmt: skip
    p = scored["fake_probability"]
    assert p["clean"] < p["unverified"] < p["both"]
    assert "purchase not verified" not in scored.loc["clean", "fake_reasons"]
    # the quoted contribution is the points the probability would lose without the signal
    points = reason_of(scored, "unverified", "purchase not verified")
    logit = np.log(p["unverified"] / (1 - p["unverified"]))
    without = 1 / (1 + np.exp(-(logit - config.weights["unverified"])))
    assert points == pytest.approx(p["unverified"] - without, abs=0.006)
    assert bool(scored.loc["both", "suspicious"]) == (p["both"] >= config.suspicious_threshold)


# --- configuration ------------------------------------------------------------------------------


def _write_config(tmp_path: Path, change: Any) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "signals.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_config_loads_every_weight_and_threshold(shipped: FakeConfig) -> None:
    assert set(shipped.weights) == set(SIGNAL_NAMES)
    assert set(shipped.sql_params()) <= set(shipped.thresholds)
    assert 0 < shipped.suspicious_threshold < 1


def test_config_rejects_a_negative_weight(tmp_path: Path) -> None:
    path = _write_config(tmp_path, lambda raw: raw["weights"].update(short_text=-0.5))
    with pytest.raises(ConfigError, match="short_text"):
        FakeConfig.load(path)


def test_config_rejects_a_missing_weight(tmp_path: Path) -> None:
    path = _write_config(tmp_path, lambda raw: raw["weights"].pop("dense_block"))
    with pytest.raises(ConfigError, match="dense_block"):
        FakeConfig.load(path)


def test_config_accepts_its_own_round_trip(tmp_path: Path) -> None:
    loaded = FakeConfig.load(_write_config(tmp_path, lambda raw: None))
    assert loaded.weights == FakeConfig.load().weights
