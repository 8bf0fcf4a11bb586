"""Mine, merge and score keyword phrases per product and category (per language) into ``mart_keywords``.

For a night, the period is the ``period_days`` (28) days up to it, compared with the same number of
days before. Reviews come from ``sql/core/keyword_reviews.sql``; suspicious reviews (latest fake score as
of the night) are left out of every score and only counted in ``suspicious_mentions``; the others
count ``1 - fake_probability`` in the trust-weighted columns.

Steps per language: every review's candidate phrases (``phrases.candidates``, scikit-learn's
``CountVectorizer`` with a phrase analyzer, a phrase kept when at least two reviews of the language use
it) -> phrases with the same near-duplicate key merged into one column (a review using two variants
counts once) -> per scope, sparse sums of the review indicators -> the scores of ``scoring`` ->
the top phrases per scope in MMR order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.errors import ConfigError
from pipeline.keywords import scoring
from pipeline.keywords.phrases import LANGUAGES, candidates, phrase_key
from pipeline.keywords.scoring import KeywordConfig
from pipeline.settings import Settings
from pipeline.warehouse import run, sql_text, transaction

MART = "mart_keywords"
SCOPES = ("product", "category")
UNKNOWN_CATEGORY = "(unknown)"
# Candidates per scope that MMR looks at: the best by rank score; lower ones never reach the top list.
MMR_POOL_FACTOR = 5

SCHEMA = pa.schema(
    [
        ("scope", pa.string()),
        ("scope_id", pa.string()),
        ("language", pa.string()),
        ("rank", pa.int32()),
        ("phrase", pa.string()),
        ("variants", pa.list_(pa.string())),
        ("frequency", pa.int64()),
        ("reviewers", pa.int64()),
        ("trust_weighted_frequency", pa.float64()),
        ("suspicious_mentions", pa.int64()),
        ("distinctiveness", pa.float64()),
        ("praise_score", pa.float64()),
        ("polarity", pa.string()),
        ("praise_mentions", pa.int64()),
        ("complaint_mentions", pa.int64()),
        ("prev_frequency", pa.int64()),
        ("novelty", pa.string()),
        ("trend", pa.float64()),
        ("rank_score", pa.float64()),
        ("mmr_score", pa.float64()),
        ("reviews_in_scope", pa.int64()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("night", pa.date32()),
    ]
)
COLUMNS = tuple(SCHEMA.names)


@dataclass(frozen=True)
class Period:
    """The current period (``start`` .. ``end`` = the night) and the previous one of the same length."""

    start: date
    end: date
    previous_start: date

    @classmethod
    def ending(cls, night: date, days: int) -> Period:
        if days < 1:
            raise ConfigError(f"period_days must be at least 1, got {days}")
        start = night - timedelta(days=days - 1)
        return cls(start=start, end=night, previous_start=start - timedelta(days=days))


def load_reviews(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period) -> pd.DataFrame:
    """The reviews of both periods with trust and polarity (``sql/core/keyword_reviews.sql``)."""
    run(con, sql_text(settings, "core/fake_latest"), {"night": period.end})
    params = {"night": period.end, "period_start": period.start, "previous_start": period.previous_start}
    return con.execute(sql_text(settings, "core/keyword_reviews"), params).df()


def _analyzer(language: str) -> Any:
    return lambda doc: sorted(candidates((doc,), language))


def _vectorize(docs: Sequence[str], language: str) -> tuple[sp.csr_matrix, list[str]] | None:
    """Reviews x candidate phrases (0/1), phrases used by at least two reviews; None when there are none."""
    vectorizer = CountVectorizer(analyzer=_analyzer(language), binary=True, min_df=2, dtype=np.float64)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no candidate at all, or none used twice
        return None
    return sp.csr_matrix(matrix), list(vectorizer.get_feature_names_out())


def _indicator(codes: np.ndarray, n_rows: int, weights: np.ndarray | None = None) -> sp.csr_matrix:
    """rows x reviews: 1 (or the review's weight) where review j belongs to row ``codes[j]`` (-1: none)."""
    keep = codes >= 0
    cols = np.flatnonzero(keep)
    data = np.ones(cols.size) if weights is None else np.asarray(weights, float)[keep]
    return sp.csr_matrix((data, (codes[keep], cols)), shape=(n_rows, codes.size))


def _cells(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if rows.size == 0:
        return np.zeros(0)
    return np.asarray(matrix[rows, cols]).ravel()


def _modes(keys: pd.Series, values: pd.Series) -> pd.Series:
    """The most frequent value per key (ties: the alphabetically first); rows with a missing key or
    value are ignored."""
    pairs = pd.DataFrame({"key": keys.to_numpy(), "value": values.to_numpy()}).dropna()
    counts = pairs.groupby(["key", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True])
    return counts.drop_duplicates("key").set_index("key")["value"]


def _primary_category(reviews: pd.DataFrame) -> pd.Series:
    """Each review's category: its own, else its product's most frequent one, else ``(unknown)``."""
    own = reviews["category"].where(reviews["category"].notna() & (reviews["category"] != ""))
    fallback = reviews["product_id"].map(_modes(reviews["product_id"], own))
    return own.fillna(fallback).fillna(UNKNOWN_CATEGORY).astype(str)


def _language_frame(
    reviews: pd.DataFrame, language: str, period: Period, config: KeywordConfig
) -> pd.DataFrame:
    """Scored phrases of every product and category scope of one language."""
    if reviews.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    docs = (reviews["title"].fillna("") + " | " + reviews["text"].fillna("")).tolist()
    vectorized = _vectorize(docs, language)
    if vectorized is None:
        return pd.DataFrame(columns=list(COLUMNS))
    x_phrase, vocab = vectorized
    # Near-duplicate merge: phrases with the same key become one group column.
    keys = [phrase_key(p, language) for p in vocab]
    group_of_key: dict[tuple[str, ...], int] = {}
    phrase_group = np.array([group_of_key.setdefault(k, len(group_of_key)) for k in keys])
    group_keys = [frozenset(k) for k in group_of_key]
    merge = sp.csr_matrix(
        (np.ones(len(vocab)), (np.arange(len(vocab)), phrase_group)), shape=(len(vocab), len(group_keys))
    )
    x_group = sp.csr_matrix(x_phrase @ merge)
    x_group.data[:] = 1.0

    current = reviews["is_current"].to_numpy(bool)
    suspicious = reviews["suspicious"].to_numpy(bool)
    weight = np.where(suspicious, 0.0, 1.0 - reviews["fake_probability"].to_numpy(float))
    polarity = reviews["polarity"].to_numpy(float)
    rating = reviews["rating"].to_numpy(float)
    trusted_now = current & ~suspicious
    trusted_before = ~current & ~suspicious

    category = _primary_category(reviews)
    cat_codes, cat_names = pd.factorize(category, sort=True)
    cat_index = {name: i for i, name in enumerate(cat_names)}
    cat_weighted = sp.csr_matrix(_indicator(cat_codes, len(cat_names), weight * current) @ x_group)
    total_weighted = np.asarray(cat_weighted.sum(axis=0)).ravel()

    frames = []
    for scope in SCOPES:
        if scope == "product":
            ids = reviews["product_id"].where(reviews["product_id"].notna() & (reviews["product_id"] != ""))
            codes, names = pd.factorize(ids, sort=True)
            # each product is contrasted with its primary category (the mode of its reviews' categories)
            primary = _modes(ids, category).reindex(names)
            background = primary.map(cat_index).to_numpy(dtype=int)
        else:
            codes, names = cat_codes, cat_names
            background = np.full(len(names), -1)  # the whole language
        frame = _scope_frame(
            scope, codes, np.asarray(names, dtype=object), background, x_group, x_phrase, phrase_group,
            vocab, group_keys, cat_weighted, total_weighted, current, trusted_now, trusted_before,
            suspicious, weight, polarity, rating, reviews["reviewer"].to_numpy(object), config,
        )  # fmt: skip
        if scope == "category":
            frame = frame[frame["scope_id"] != UNKNOWN_CATEGORY]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["language"] = language
    out["period_start"], out["period_end"], out["night"] = period.start, period.end, period.end
    return out


def _scope_frame(
    scope: str,
    codes: np.ndarray,
    names: np.ndarray,
    background: np.ndarray,
    x_group: sp.csr_matrix,
    x_phrase: sp.csr_matrix,
    phrase_group: np.ndarray,
    vocab: list[str],
    group_keys: list[frozenset[str]],
    cat_weighted: sp.csr_matrix,
    total_weighted: np.ndarray,
    current: np.ndarray,
    trusted_now: np.ndarray,
    trusted_before: np.ndarray,
    suspicious: np.ndarray,
    weight: np.ndarray,
    polarity: np.ndarray,
    rating: np.ndarray,
    reviewer: np.ndarray,
    config: KeywordConfig,
) -> pd.DataFrame:
    """Scores of the phrases of every scope of one kind (products, or categories) of one language."""
    n = len(names)

    def summed(mask_or_weight: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(_indicator(codes, n, np.asarray(mask_or_weight, float)) @ x_group)

    frequency = summed(trusted_now)
    # distinct reviewers: (scope, reviewer) pairs that used the phrase, summed per scope
    pair_codes, pairs = pd.factorize(
        pd.Series(list(zip(codes, reviewer, strict=True))).where(trusted_now & (codes >= 0))
    )
    pair_scope = np.array([p[0] for p in pairs], dtype=int)
    used = sp.csr_matrix(_indicator(np.asarray(pair_codes), len(pairs)) @ x_group)
    used.data[:] = 1.0
    reviewers = sp.csr_matrix(_indicator(pair_scope, n) @ used)

    cells = sp.coo_matrix(frequency)
    keep = cells.data >= config.min_reviews
    rows, cols = cells.row[keep], cells.col[keep]
    n_reviewers = _cells(reviewers, rows, cols)
    keep = n_reviewers >= config.min_reviewers
    rows, cols, n_reviewers = rows[keep], cols[keep], n_reviewers[keep]
    if rows.size == 0:
        return pd.DataFrame(columns=list(COLUMNS))

    weighted = summed(weight * current)
    y_i = _cells(weighted, rows, cols)
    n_i = np.asarray(weighted.sum(axis=1)).ravel()[rows]
    if scope == "product":
        bg = background[rows]
        prior = _cells(cat_weighted, bg, cols)
        prior_total = np.asarray(cat_weighted.sum(axis=1)).ravel()[bg]
    else:
        prior = total_weighted[cols]
        prior_total = np.full(rows.size, total_weighted.sum())
    y_j = np.maximum(prior - y_i, 0.0)
    n_j = np.maximum(prior_total - n_i, 0.0)
    distinct = scoring.log_odds_z(y_i, n_i, y_j, n_j, prior, prior_total, config.prior_strength)

    praise = scoring.praise_score(_cells(summed(weight * polarity * current), rows, cols), y_i)
    reviews_now = np.bincount(codes[trusted_now & (codes >= 0)], minlength=n)
    reviews_before = np.bincount(codes[trusted_before & (codes >= 0)], minlength=n)
    previous = _cells(summed(trusted_before), rows, cols)
    freq = _cells(frequency, rows, cols)
    novelty, trend = scoring.novelty(
        freq, reviews_now[rows], previous, reviews_before[rows], config.rising_ratio
    )

    frame = pd.DataFrame(
        {
            "scope": scope,
            "scope_id": names[rows].astype(str),
            "row": rows,
            "group": cols,
            "frequency": freq.astype(np.int64),
            "reviewers": n_reviewers.astype(np.int64),
            "trust_weighted_frequency": y_i,
            "suspicious_mentions": _cells(summed(current & suspicious), rows, cols).astype(np.int64),
            "distinctiveness": distinct,
            "praise_score": praise,
            "polarity": scoring.polarity_label(praise, config.praise_threshold),
            "praise_mentions": _cells(summed(trusted_now & (rating >= 4)), rows, cols).astype(np.int64),
            "complaint_mentions": _cells(summed(trusted_now & (rating <= 2)), rows, cols).astype(np.int64),
            "prev_frequency": previous.astype(np.int64),
            "novelty": novelty,
            "trend": trend,
            "reviews_in_scope": reviews_now[rows].astype(np.int64),
        }
    )
    frame["rank_score"] = scoring.rank_score(
        frame["trust_weighted_frequency"].to_numpy(),
        frame["reviewers"].to_numpy(),
        frame["frequency"].to_numpy(),
        frame["distinctiveness"].to_numpy(),
        frame["novelty"].to_numpy(),
    )
    frame = _surface_forms(frame, codes, n, trusted_now, x_phrase, phrase_group, vocab, config)
    return _diversify(frame, group_keys, config)


def _surface_forms(
    frame: pd.DataFrame,
    codes: np.ndarray,
    n: int,
    trusted_now: np.ndarray,
    x_phrase: sp.csr_matrix,
    phrase_group: np.ndarray,
    vocab: list[str],
    config: KeywordConfig,
) -> pd.DataFrame:
    """``phrase``: the variant most reviews of the scope used (ties: shorter, then alphabetical), and
    ``variants``: the variants the scope used, most used first."""
    counts = sp.coo_matrix(_indicator(codes, n, trusted_now.astype(float)) @ x_phrase)
    variants = pd.DataFrame({"row": counts.row, "group": phrase_group[counts.col], "phrase_no": counts.col,
                             "count": counts.data})  # fmt: skip
    variants = variants.merge(frame[["row", "group"]], on=["row", "group"])
    variants["phrase"] = np.asarray(vocab, dtype=object)[variants["phrase_no"].to_numpy()]
    variants["length"] = variants["phrase"].str.len()
    variants = variants.sort_values(
        ["row", "group", "count", "length", "phrase"], ascending=[True, True, False, True, True]
    )
    by_cell = variants.groupby(["row", "group"], sort=False)["phrase"]
    listed = by_cell.agg(lambda s: list(s[: config.max_variants])).rename("variants").reset_index()
    listed["phrase"] = listed["variants"].map(lambda v: v[0])
    return frame.merge(listed, on=["row", "group"], how="left")


def _fragments(keys: list[frozenset[str]], frequency: np.ndarray, config: KeywordConfig) -> np.ndarray:
    """True for a phrase whose key is inside a longer phrase's key that nearly all its reviews use
    (frequency at least ``fragment_share`` of its own): "life is long" beside "battery life is long"."""
    out = np.zeros(len(keys), dtype=bool)
    for a, key_a in enumerate(keys):
        floor = config.fragment_share * frequency[a]
        out[a] = any(len(key_b) > len(key_a) and key_a < key_b and frequency[b] >= floor
                     for b, key_b in enumerate(keys))  # fmt: skip
    return out


def _diversify(frame: pd.DataFrame, group_keys: list[frozenset[str]], config: KeywordConfig) -> pd.DataFrame:
    """The top phrases of each scope in MMR order, with ``rank`` (1 = first) and ``mmr_score``.

    MMR looks at the ``top_per_scope * MMR_POOL_FACTOR`` best phrases by rank score, less fragments.
    """
    picked = []
    for _, scope_rows in frame.groupby("row", sort=True):
        pool = scope_rows.sort_values(["rank_score", "phrase"], ascending=[False, True]).head(
            config.top_per_scope * MMR_POOL_FACTOR
        )
        pool = pool[~_fragments([group_keys[g] for g in pool["group"]], pool["frequency"].to_numpy(), config)]
        order = scoring.mmr(
            pool["rank_score"].tolist(),
            [group_keys[g] for g in pool["group"]],
            pool["phrase"].tolist(),
            config.top_per_scope,
            config.mmr_lambda,
        )
        chosen = pool.iloc[[i for i, _ in order]].copy()
        chosen["mmr_score"] = [s for _, s in order]
        chosen["rank"] = np.arange(1, len(order) + 1)
        picked.append(chosen)
    return pd.concat(picked, ignore_index=True).drop(columns=["row", "group"])


def compute_keywords(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    night: date,
    config: KeywordConfig | None = None,
    languages: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of ``mart_keywords`` for ``night``, computed without writing anything (works read-only)."""
    config = config or KeywordConfig()
    period = Period.ending(night, config.period_days)
    for language in languages or ():
        if language not in LANGUAGES:
            raise ConfigError(f"unsupported language {language!r}: keywords cover {', '.join(LANGUAGES)}")
    reviews = load_reviews(con, settings, period)
    frames = [
        _language_frame(reviews[reviews["language"] == lang].reset_index(drop=True), lang, period, config)
        for lang in (languages or LANGUAGES)
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _typed(pd.DataFrame(columns=list(COLUMNS)))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["scope", "scope_id", "language", "rank"], ignore_index=True)
    return _typed(out[list(COLUMNS)])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Rounded floats and the mart's dtypes, also for an empty frame."""
    frame = frame.copy()
    for col in (
        "trust_weighted_frequency",
        "distinctiveness",
        "praise_score",
        "trend",
        "rank_score",
        "mmr_score",
    ):
        frame[col] = pd.to_numeric(frame[col]).astype(float).round(4)
    for col in ("rank", "frequency", "reviewers", "suspicious_mentions", "praise_mentions",
                "complaint_mentions", "prev_frequency", "reviews_in_scope"):  # fmt: skip
        frame[col] = pd.to_numeric(frame[col]).astype(np.int64)
    return frame


def build_keywords(
    con: duckdb.DuckDBPyConnection, settings: Settings, night: date, config: KeywordConfig | None = None
) -> int:
    """Create or replace ``mart_keywords`` with the phrases of ``night`` in one transaction; its rows."""
    frame = compute_keywords(con, settings, night, config)
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    with transaction(con, keyword_rows=table):
        run(con, sql_text(settings, "core/replace_mart_keywords"))
    return len(frame)
