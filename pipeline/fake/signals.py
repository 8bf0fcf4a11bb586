"""Fake-review evidence: documented signals, one calibrated ``fake_probability`` and reasons in words.

Every review and seller feedback gets the signals below, each a number in [0, 1] (most are on/off)
computed over the whole warehouse by ``sql/core/fake_signals.sql``, so a burst forming tonight also
raises the scores of the older reviews inside it. They combine in a logistic model::

    fake_probability = sigmoid(bias + sum(weight[s] * f[s]))

Weights are never negative: each signal can only add suspicion. Where labelled data carries the
signal (Yelp NYC's filtered reviews: ratings, accounts, texts, the reviewer x product graph) the weight
is fitted on it (``pipeline/fake/calibrate.py``); the rest (dates, verified purchase: absent from every
labelled set we have) are expert priors. Both kinds, the thresholds and the suspicious cut-off live in
``models/fake-signals/signals.yaml`` (``REVIEWPULSE_FAKE_SIGNALS`` points to another file).

``fake_reasons`` lists the signals that fired, strongest first, each with its contribution: how many
points lower ``fake_probability`` would be without that signal alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml

from pipeline.errors import ConfigError
from pipeline.fake import minhash
from pipeline.settings import DEFAULT_FAKE_SIGNALS

DEFAULT_CONFIG = DEFAULT_FAKE_SIGNALS
MAX_REASONS = 3


def _target(row: Any) -> str:
    return "seller" if row.kind == "seller_feedback" else "product"


def _stars(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Signal:
    """One documented piece of evidence: its column, what it means, and its reason in words."""

    name: str
    meaning: str
    reason: Callable[[Any], str]  # gets one row of the signals frame (a named tuple)


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "text_deceptive",
        "the deceptive-opinion-spam text detector's probability (paid, invented experiences)",
        lambda r: f"text reads like paid opinion spam (detector {r.f_text_deceptive:.0%})",
    ),
    Signal(
        "text_generated",
        "the machine-generated text detector's probability",
        lambda r: f"text reads as machine-generated (detector {r.f_text_generated:.0%})",
    ),
    Signal(
        "rating_deviation",
        "the rating is far from the average the other reviewers gave the product or seller: "
        "0 within 1 star, rising to 1 at 3 stars away (needs more than min_target_reviews reviews)",
        lambda r: (
            f"rated {int(r.rating)}★ against an average of {_stars(r.target_mean_others)}★ "
            f"from {int(r.target_rated) - 1} others of this {_target(r)}"
        ),
    ),
    Signal(
        "product_burst",
        "one of at least burst_min_reviews reviews of the product (or seller) within +/- burst_half_window "
        "days, and burst_ratio times more than its usual pace",
        lambda r: (
            f"one of {int(r.window_n)} reviews of this {_target(r)} within a few days "
            f"(usual pace {r.window_expected:.1f})"
        ),
    ),
    Signal(
        "reviewer_burst",
        "the account posted reviewer_day_max or more reviews on the same day",
        lambda r: f"the account posted {int(r.reviewer_day_n)} reviews that day",
    ),
    Signal(
        "near_duplicate",
        "the text is a near copy (estimated Jaccard >= near_duplicate_similarity on character 5-grams) "
        "of a text by another account or about another product",
        lambda r: (
            f"text nearly identical ({r.max_similarity:.0%}) to {int(r.n_similar)} other "
            f"review{'s' if r.n_similar != 1 else ''} by other accounts or of other products"
        ),
    ),
    Signal(
        "single_review_account",
        "the account has written only this one review",
        lambda r: "the account's only review",
    ),
    Signal(
        "all_five_stars",
        "the account wrote two or more reviews, all five stars",
        lambda r: f"the account gave 5★ in all its {int(r.reviewer_n)} reviews",
    ),
    Signal(
        "extreme_ratings",
        "the account wrote extreme_min_reviews or more reviews, at least extreme_share of them 1★ or 5★",
        lambda r: f"the account rates only at the extremes (1★ or 5★) over {int(r.reviewer_n)} reviews",
    ),
    Signal(
        "unverified",
        "the source says the purchase is not verified (unknown counts as no evidence)",
        lambda r: "purchase not verified",
    ),
    Signal(
        "short_text",
        "the text has short_words words or fewer",
        lambda r: f"very short text ({int(r.n_words)} word{'s' if r.n_words != 1 else ''})",
    ),
    Signal(
        "early_review",
        "posted within early_days of the product's first review, on a product that has at least "
        "early_min_reviews reviews",
        lambda r: (
            f"posted {int(r.days_since_first)} day{'s' if r.days_since_first != 1 else ''} after "
            f"the {_target(r)}'s first review"
        ),
    ),
    Signal(
        "dense_block",
        "written by an account in a dense block: a group of accounts that reviewed the same products at "
        "the same time, far denser than the rest of the graph (FRAUDAR-style peeling, "
        "pipeline/fake/dense.py); it marks every review of such an account, not only those inside the block",
        lambda r: str(r.block_reason),
    ),
)
SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
FEATURES = tuple(f"f_{n}" for n in SIGNAL_NAMES)
# thresholds bound into sql/core/fake_signals.sql, and those the Python side reads
SQL_THRESHOLDS = ("min_target_reviews", "burst_half_window", "burst_min_reviews", "burst_ratio",
                  "reviewer_day_max", "extreme_min_reviews", "extreme_share", "short_words", "early_days",
                  "early_min_reviews")  # fmt: skip
OTHER_THRESHOLDS = ("near_duplicate_similarity", "dense_window_days", "dense_min_relative_density",
                    "dense_min_fill")  # fmt: skip


@dataclass(frozen=True)
class FakeConfig:
    """Weights, thresholds and cut-offs from ``signals.yaml``."""

    version: str
    bias: float
    weights: dict[str, float]
    thresholds: dict[str, float]
    suspicious_threshold: float
    grades: dict[str, float]

    @classmethod
    def load(cls, path: Path | None = None) -> FakeConfig:
        path = path or DEFAULT_CONFIG
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read fake-signal config {path}: {exc}") from exc
        missing = [n for n in SIGNAL_NAMES if n not in raw.get("weights", {})]
        if missing:
            raise ConfigError(f"{path}: no weight for signal(s) {', '.join(missing)}")
        negative = [n for n, w in raw["weights"].items() if w < 0]
        if negative:
            raise ConfigError(f"{path}: weights must be >= 0 (each signal only adds suspicion): {negative}")
        if not 0 < raw["suspicious_threshold"] < 1:
            raise ConfigError(f"{path}: suspicious_threshold must be between 0 and 1")
        lacking = [n for n in SQL_THRESHOLDS + OTHER_THRESHOLDS if n not in raw.get("thresholds", {})]
        if lacking:
            raise ConfigError(f"{path}: no value for threshold(s) {', '.join(lacking)}")
        return cls(
            version=str(raw["version"]),
            bias=float(raw["bias"]),
            weights={n: float(raw["weights"][n]) for n in SIGNAL_NAMES},
            thresholds={k: float(v) for k, v in raw["thresholds"].items()},
            suspicious_threshold=float(raw["suspicious_threshold"]),
            grades={k: float(v) for k, v in raw["grades"].items()},
        )

    def sql_params(self) -> dict[str, float]:
        """The thresholds the signals SQL binds."""
        return {n: self.thresholds[n] for n in SQL_THRESHOLDS}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def combine(features: pd.DataFrame, config: FakeConfig) -> tuple[np.ndarray, np.ndarray]:
    """``fake_probability`` per row and each signal's contribution (probability points it adds)."""
    f = features[list(FEATURES)].to_numpy(dtype=np.float64)
    w = np.array([config.weights[n] for n in SIGNAL_NAMES])
    z = config.bias + f @ w
    p = _sigmoid(z)
    without = _sigmoid(z[:, None] - f * w[None, :])  # the probability with each signal left out alone
    return p, p[:, None] - without


def reasons(features: pd.DataFrame, contributions: np.ndarray, limit: int = MAX_REASONS) -> list[str]:
    """The strongest contributing signals of each row in words, e.g. ``"purchase not verified (+0.12)"``."""
    out = []
    order = np.argsort(-contributions, axis=1)[:, :limit]
    for i, (row, record) in enumerate(zip(order, features.itertuples(index=False), strict=True)):
        parts = []
        for j in row:
            points = float(contributions[i, j])
            if points < 0.005:
                break
            parts.append(f"{SIGNALS[j].reason(record)} (+{points:.2f})")
        out.append("; ".join(parts))
    return out


def sign_new_texts(con: duckdb.DuckDBPyConnection, progress: Callable[[int], None] | None = None) -> int:
    """MinHash-sign every opinion text not signed yet into ``text_signatures``; return how many."""
    todo = con.execute(
        "select distinct content_hash, text from opinions anti join text_signatures using (content_hash)"
    ).df()
    if todo.empty:
        return 0
    rows = []
    for start in range(0, len(todo), 5000):
        part = todo.iloc[start : start + 5000]
        for key, sig in zip(part["content_hash"], minhash.signatures(part["text"].tolist()), strict=True):
            if sig is not None:
                rows.append((key, sig))
        if progress:
            progress(len(part))
    if rows:
        frame = pd.DataFrame(rows, columns=["content_hash", "signature"])
        con.register("new_signatures", frame)
        try:
            con.execute(
                "insert or ignore into text_signatures "
                "select content_hash, cast(signature as uinteger[]) from new_signatures"
            )
        finally:
            con.unregister("new_signatures")
    return len(rows)


def features_frame(con: duckdb.DuckDBPyConnection, config: FakeConfig, sql: Callable[[str], str],
                   dense: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Run near-duplicate matching and the signals SQL over the ``opinions`` table of ``con``."""
    con.execute(sql("core/fake_near_duplicates"), {
        "bands": minhash.BANDS, "band_rows": minhash.NUM_PERM // minhash.BANDS,
        "similarity": config.thresholds["near_duplicate_similarity"],
    })  # fmt: skip
    con.register("dense_members", dense)
    try:
        return con.execute(sql("core/fake_signals"), config.sql_params()).df()
    finally:
        con.unregister("dense_members")


def score_features(features: pd.DataFrame, config: FakeConfig) -> pd.DataFrame:
    """``fake_probability``, ``suspicious``, ``fake_reasons`` and the signals as JSON, per features row."""
    p, contributions = combine(features, config)
    out = pd.DataFrame(index=features.index)
    out["fake_probability"] = np.round(p, 4)
    out["suspicious"] = p >= config.suspicious_threshold
    out["fake_reasons"] = reasons(features, contributions)
    values = features[list(FEATURES)].round(3).to_numpy()
    out["signals"] = [
        json.dumps({name: float(v) for name, v in zip(SIGNAL_NAMES, row, strict=True) if v}, sort_keys=True)
        for row in values
    ]
    out["signals_version"] = config.version
    return out
