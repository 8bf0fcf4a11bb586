"""The scores of a phrase in a scope: distinctiveness, praise, novelty, the combined rank and MMR diversity.

Every function is pure and vectorised over the phrases of one scope (numpy arrays), so each
component can be checked on its own and kept as a column of ``mart_keywords``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NOVELTY_LABELS = ("new", "rising", "steady", "falling")


@dataclass(frozen=True)
class KeywordConfig:
    """The knobs of keyword mining (defaults are what the nightly mart uses)."""

    period_days: int = 28  # the period: this many days up to the night; the previous one before it
    min_reviews: int = 2  # a phrase needs this many trusted reviews in the scope's period ...
    min_reviewers: int = 2  # ... by this many distinct reviewers
    top_per_scope: int = 50  # phrases kept per scope (product or category, per language), in MMR order
    prior_strength: float = 500.0  # alpha_0 of the informative Dirichlet prior (pseudo-mentions)
    praise_threshold: float = 0.25  # |praise_score| at or above this labels praise / complaint
    rising_ratio: float = 1.5  # rate now / rate before at or above this is rising, at or below 1/x falling
    mmr_lambda: float = 0.7  # MMR: weight of relevance against redundancy with phrases already picked
    fragment_share: float = 0.9  # drop a phrase inside a longer one used by this share of its reviews
    max_variants: int = 8  # surface forms listed per phrase


def log_odds_z(
    y_i: np.ndarray,
    n_i: np.ndarray | float,
    y_j: np.ndarray,
    n_j: np.ndarray | float,
    prior: np.ndarray,
    prior_total: np.ndarray | float,
    strength: float,
) -> np.ndarray:
    """Log-odds ratio with an informative Dirichlet prior, as a z-score (Monroe, Colaresi & Quinn 2008).

    ``y_i``/``n_i``: the phrase's and all phrases' (weighted) mentions in the scope; ``y_j``/``n_j``:
    the same in the rest of the background; ``prior``/``prior_total``: background mentions that set
    ``alpha_w = a0 * prior / prior_total`` with ``a0 = min(strength, prior_total)``. Positive: the scope
    uses the phrase more than the rest of its background; about 0 when it uses it as much.
    """
    total = np.maximum(np.asarray(prior_total, dtype=float), 1e-12)
    a0 = np.minimum(strength, total)  # a small background is not outweighed by its own prior
    alpha = np.maximum(a0 * np.asarray(prior, dtype=float) / total, 1e-6)
    yi, yj = np.asarray(y_i, dtype=float), np.asarray(y_j, dtype=float)
    ni, nj = np.asarray(n_i, dtype=float), np.asarray(n_j, dtype=float)
    odds_i = (yi + alpha) / np.maximum(ni + a0 - yi - alpha, 1e-9)
    odds_j = (yj + alpha) / np.maximum(nj + a0 - yj - alpha, 1e-9)
    delta = np.log(odds_i) - np.log(odds_j)
    variance = 1.0 / (yi + alpha) + 1.0 / (yj + alpha)
    return np.asarray(delta / np.sqrt(variance))


def praise_score(polarity_sum: np.ndarray, weight_sum: np.ndarray) -> np.ndarray:
    """Trust-weighted mean polarity of the reviews using the phrase, shrunk to 0 by one neutral review.

    A review's polarity is +1 (4-5 stars) / 0 (3) / -1 (1-2), averaged with the sentiment model's
    ``p_positive - p_negative`` where the review has a score. Range -1 (complaint) .. +1 (praise).
    """
    return np.asarray(np.asarray(polarity_sum, float) / (np.asarray(weight_sum, float) + 1.0))


def polarity_label(score: np.ndarray, threshold: float) -> np.ndarray:
    """praise / complaint / mixed from a praise score."""
    return np.where(score >= threshold, "praise", np.where(score <= -threshold, "complaint", "mixed"))


def novelty(
    current: np.ndarray, n_current: float, previous: np.ndarray, n_previous: float, ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """(label, log2 trend) of each phrase against the previous period, as shares of the scope's reviews.

    ``new``: no trusted review used it in the previous period. Otherwise the trend is
    ``log2(share now / share before)`` with half a mention and one review added to each side, and the
    label is ``rising`` at or above ``log2(ratio)``, ``falling`` at or below ``-log2(ratio)``, else
    ``steady``.
    """
    cur, prev = np.asarray(current, float), np.asarray(previous, float)
    trend = np.log2((cur + 0.5) / (n_current + 1.0)) - np.log2((prev + 0.5) / (n_previous + 1.0))
    cut = float(np.log2(ratio))
    label = np.where(trend >= cut, "rising", np.where(trend <= -cut, "falling", "steady"))
    label = np.where(prev <= 0, "new", label)
    return label, trend


def rank_score(
    trust_weighted: np.ndarray,
    reviewers: np.ndarray,
    frequency: np.ndarray,
    distinctiveness: np.ndarray,
    novelty_label: np.ndarray,
) -> np.ndarray:
    """The combined score the default order uses (higher first).

    ``log(1 + trust_weighted_frequency) * reviewer_share * sigmoid(distinctiveness / 2) * boost``:
    volume on a log scale, ``reviewer_share = reviewers / frequency`` (one account repeating a phrase
    counts less), distinctiveness through a sigmoid (0.5 at z = 0, 0.88 at z = 4) and a 1.2 boost for
    ``new``/``rising`` phrases.
    """
    share = np.asarray(reviewers, float) / np.maximum(np.asarray(frequency, float), 1.0)
    distinct = 1.0 / (1.0 + np.exp(-np.asarray(distinctiveness, float) / 2.0))
    boost = np.where(np.isin(novelty_label, ("new", "rising")), 1.2, 1.0)
    return np.asarray(np.log1p(np.asarray(trust_weighted, float)) * share * distinct * boost)


def char_ngrams(phrase: str, n: int = 3) -> frozenset[str]:
    """Character n-grams of a phrase padded with spaces (``fast`` -> `` fa``, ``fas``, ...)."""
    padded = f" {phrase} "
    return frozenset(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def similarity(
    key_a: frozenset[str], grams_a: frozenset[str], key_b: frozenset[str], grams_b: frozenset[str]
) -> float:
    """Phrase similarity: the larger of the Jaccard overlaps of their stem keys and of their char 3-grams."""
    return max(_jaccard(key_a, key_b), _jaccard(grams_a, grams_b))


def mmr(
    relevance: Sequence[float],
    keys: Sequence[frozenset[str]],
    phrases: Sequence[str],
    top: int,
    lam: float,
) -> list[tuple[int, float]]:
    """Maximal Marginal Relevance (Carbonell & Goldstein 1998): pick ``top`` phrases, most relevant first,
    each time maximising ``lam * relevance - (1 - lam) * max similarity to those already picked``.

    Relevance is scaled to [0, 1] by its maximum. Returns ``(index, mmr_score)`` in pick order.
    """
    rel = np.asarray(relevance, float)
    if rel.size == 0 or top <= 0:
        return []
    scale = float(rel.max()) if float(rel.max()) > 0 else 1.0
    rel = rel / scale
    grams = [char_ngrams(p) for p in phrases]
    redundancy = np.zeros(rel.size)
    chosen: list[tuple[int, float]] = []
    available = np.ones(rel.size, dtype=bool)
    for _ in range(min(top, rel.size)):
        scores = np.where(available, lam * rel - (1.0 - lam) * redundancy, -np.inf)
        best = int(np.argmax(scores))  # ties: the lowest index, i.e. the earlier in the input order
        chosen.append((best, float(scores[best])))
        available[best] = False
        for i in np.flatnonzero(available):
            sim = similarity(keys[best], grams[best], keys[int(i)], grams[int(i)])
            if sim > redundancy[i]:
                redundancy[i] = sim
    return chosen
