"""Fit the theme model and measure theme assignment on labelled sentences.

Two fits, on two disjoint sets of hand-labelled real sentences:

1. the per-theme heads (``ThemeHeads``: one logistic regression per theme on the sentence embedding) on
   the training set (``models/themes/trainset``, about 3,700 sentences);
2. the combiner, one weight per feature (``pipeline.themes.assign.FEATURES``, the heads' log-odds among
   them), shared by every theme, on the dev set's ``tune`` split (``models/themes/devset``), which the
   heads never saw. The heads' regularisation is the one whose combiner does best on ``tune``.

The dev set's ``test`` split is never seen by either fit; ``reviewpulse evaluate`` reports per-theme
precision and recall and micro/macro F1 per language on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.errors import ReviewPulseError
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode
from pipeline.settings import Settings
from pipeline.themes.assign import FEATURES, Combiner, ThemeHeads, ThemeModel, features
from pipeline.themes.sentences import split_sentences

SEED = 13
HEAD_C = (0.1,)
"""Inverse regularisation strengths tried for the per-theme heads (on unit embeddings times 20). One:
with several, near-equal tune scores flipped the choice between two encodings of the same sentences."""
HEAD_TEMPERATURE = 20.0
MIN_HEAD_POSITIVES = 3


@dataclass
class Evidence:
    """Taxonomy evidence, embeddings and labels of labelled sentences (one row per unit and theme)."""

    features: np.ndarray  # [units, themes, len(BASE_FEATURES)]
    labels: np.ndarray  # [sentences, themes] 0/1
    unit_owner: np.ndarray  # [units]: the labelled sentence each unit came from
    embeddings: np.ndarray  # [units, dim]
    theme_ids: tuple[str, ...]
    encoder: str  # the version of the encoder that gave ``embeddings``


def evidence(
    model: ThemeModel, encoder: Encoder, store: EmbeddingStore | None, frame: pd.DataFrame
) -> Evidence:
    """Split each labelled sentence into units as the pipeline does and compute the units' features.

    ``frame`` has ``sentence``, ``language`` and ``themes`` (a sequence of theme ids).
    """
    ids = model.taxonomy.ids
    units: list[str] = []
    languages: list[str | None] = []
    owner: list[int] = []
    for i, (sentence, language) in enumerate(zip(frame["sentence"], frame["language"], strict=True)):
        parts = [s.text for s in split_sentences(str(sentence), language)] or [str(sentence)]
        units.extend(parts)
        languages.extend([language] * len(parts))
        owner.extend([i] * len(parts))
    embeddings = np.concatenate(list(encode(encoder, units, store=store)))
    sentiment = model.sentiment.predict(embeddings, units)
    base = features(model.taxonomy, model.prototypes, units, languages, embeddings, sentiment["p_negative"])
    labels = np.zeros((len(frame), len(ids)), dtype=np.int8)
    for i, themes in enumerate(frame["themes"]):
        for theme in themes:
            labels[i, ids.index(theme)] = 1
    return Evidence(
        base, labels, np.asarray(owner), embeddings, tuple(ids), encoder.version.removesuffix("-int8")
    )


def sentence_proba(combiner: Combiner, ev: Evidence) -> np.ndarray:
    """``[sentences, themes]``: a labelled sentence's theme probability is the max over its units."""
    if combiner.heads is not None and combiner.heads.encoder != ev.encoder:
        raise ReviewPulseError(
            f"the combiner's theme heads were trained on {combiner.heads.encoder}, but these sentences were "
            f"encoded by {ev.encoder}"
        )
    unit_p = combiner.proba(combiner.with_head(ev.features, ev.embeddings, ev.theme_ids))
    out = np.zeros(ev.labels.shape, dtype=np.float64)
    np.maximum.at(out, ev.unit_owner, unit_p)
    return out


def fit_heads(ev: Evidence, *, c: float) -> ThemeHeads:
    """One logistic head per theme with at least ``MIN_HEAD_POSITIVES`` positive units in ``ev``."""
    from pipeline.themes.assign import _unit

    x = _unit(ev.embeddings).astype(np.float64) * HEAD_TEMPERATURE
    y = ev.labels[ev.unit_owner]
    themes, coef, intercept = [], [], []
    for t, theme in enumerate(ev.theme_ids):
        if y[:, t].sum() < MIN_HEAD_POSITIVES:
            continue
        fitted = LogisticRegression(C=c, tol=1e-8, max_iter=10000, random_state=SEED).fit(x, y[:, t])
        themes.append(theme)
        coef.append(fitted.coef_[0] * HEAD_TEMPERATURE)
        intercept.append(float(fitted.intercept_[0]))
    return ThemeHeads(tuple(themes), np.asarray(coef), np.asarray(intercept), ev.encoder)


def fit_combiner(ev: Evidence, heads: ThemeHeads | None = None, *, c: float = 1.0) -> Combiner:
    """Logistic regression over (unit, theme) rows; a unit is positive when its sentence has the theme.

    Units of a multi-unit sentence all inherit its labels (noisy but rare); the threshold is then chosen to
    maximise micro-F1 of the sentence-level predictions on the same data. A theme without a head gets
    the head feature's mean.
    """
    empty = Combiner(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                     heads=heads)  # fmt: skip
    x = empty.with_head(ev.features, ev.embeddings, ev.theme_ids).reshape(-1, len(FEATURES))
    known = ~np.isnan(x)
    mean = np.where(known, x, 0.0).sum(axis=0) / np.maximum(known.sum(axis=0), 1)
    x = np.where(known, x, mean)
    y = ev.labels[ev.unit_owner].reshape(-1)
    scale = x.std(axis=0) + 1e-6
    fitted = LogisticRegression(C=c, tol=1e-8, max_iter=10000, random_state=SEED).fit((x - mean) / scale, y)
    combiner = Combiner(fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0]), mean, scale,
                        heads=heads)  # fmt: skip
    proba = sentence_proba(combiner, ev)
    best = max(np.arange(0.2, 0.81, 0.025), key=lambda t: _micro_f1(ev.labels, proba >= t))
    combiner.threshold = float(round(best, 3))
    return combiner


def _micro_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    tp = float((labels & predicted).sum())
    fp = float((~labels.astype(bool) & predicted).sum())
    fn = float((labels.astype(bool) & ~predicted).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def theme_metrics(
    labels: np.ndarray, predicted: np.ndarray, theme_ids: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-theme precision/recall/F1/support and micro/macro F1 (macro over themes with support)."""
    labels = labels.astype(bool)
    predicted = predicted.astype(bool)
    rows = []
    for t, theme in enumerate(theme_ids):
        tp = int((labels[:, t] & predicted[:, t]).sum())
        fp = int((~labels[:, t] & predicted[:, t]).sum())
        fn = int((labels[:, t] & ~predicted[:, t]).sum())
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else float("nan")
        rows.append({"theme": theme, "support": tp + fn, "predicted": tp + fp, "precision": precision,
                     "recall": recall, "f1": f1})  # fmt: skip
    table = pd.DataFrame(rows)
    supported = table[table["support"] > 0]
    summary = {
        "sentences": int(len(labels)),
        "micro_f1": _micro_f1(labels, predicted),
        "macro_f1": float(supported["f1"].fillna(0.0).mean()) if len(supported) else float("nan"),
        "themes_with_support": int(len(supported)),
    }
    return table, summary


def f1_interval(
    labels: np.ndarray, predicted: np.ndarray, *, level: float = 0.9, resamples: int = 1000
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of micro- and macro-F1, resampling sentences (seeded).

    The dev set's test split has about 95 sentences and 5-6 positives per theme and language, so one
    sentence moves macro-F1 by several points; the interval says how far apart two models must be before
    the split can tell them apart. Macro-F1 of a resample averages the themes with support in it.
    """
    labels = labels.astype(bool)
    predicted = predicted.astype(bool)
    if len(labels) == 0:
        return {"micro_f1": (float("nan"), float("nan")), "macro_f1": (float("nan"), float("nan"))}
    rows = np.random.default_rng(SEED).integers(0, len(labels), size=(resamples, len(labels)))
    gold, guess = labels[rows], predicted[rows]  # [resamples, sentences, themes]
    tp = (gold & guess).sum(axis=1).astype(np.float64)
    fp = (~gold & guess).sum(axis=1)
    fn = (gold & ~guess).sum(axis=1)
    micro = 2 * tp.sum(1) / np.maximum(2 * tp.sum(1) + fp.sum(1) + fn.sum(1), 1)
    supported = (tp + fn) > 0
    per_theme = np.where(supported, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    macro = per_theme.sum(1) / np.maximum(supported.sum(1), 1)
    tail = (1 - level) / 2 * 100

    def bounds(values: np.ndarray) -> tuple[float, float]:
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)

    return {"micro_f1": bounds(micro), "macro_f1": bounds(macro)}


def _subset(ev: Evidence, mask: np.ndarray) -> Evidence:
    """The evidence of the labelled sentences where ``mask`` is true (units renumbered)."""
    units = mask[ev.unit_owner]
    owners = np.searchsorted(np.flatnonzero(mask), ev.unit_owner[units])
    return Evidence(
        ev.features[units], ev.labels[mask], owners, ev.embeddings[units], ev.theme_ids, ev.encoder
    )


def _split_metrics(
    ev: Evidence, dev: pd.DataFrame, combiner: Combiner, theme_ids: Sequence[str], split: str
) -> dict[str, Any]:
    """Micro/macro F1 per language and per-theme precision/recall on one split of the dev set."""
    predicted = sentence_proba(combiner, ev) >= combiner.threshold
    out: dict[str, Any] = {}
    for language in ("all", "en", "es", "pt"):
        mask = (dev["split"] == split).to_numpy().copy()
        if language != "all":
            mask &= (dev["language"] == language).to_numpy()
        table, summary = theme_metrics(ev.labels[mask], predicted[mask], theme_ids)
        intervals = f1_interval(ev.labels[mask], predicted[mask])
        out[language] = {**summary, **{f"{k}_90": v for k, v in intervals.items()},
                         "per_theme": table.to_dict("records")}  # fmt: skip
    return out


def _labelled_evidence(
    settings: Settings, *, training: bool
) -> tuple[ThemeModel, pd.DataFrame, Evidence, Evidence | None]:
    """The theme model, the dev set and its evidence, and (``training``) the training set's evidence.

    For training, the model carries a placeholder combiner: only the taxonomy evidence is needed, and the
    configured combiner may predate the current features."""
    from pipeline.scoring.service import open_scorer
    from pipeline.themes.apply import load_theme_model, sentence_settings
    from pipeline.themes.devset import load_devset
    from pipeline.themes.trainset import DEFAULT_TRAINSET

    dev = load_devset(settings.shared_data_dir, taxonomy=settings.taxonomy_path).reset_index(drop=True)
    train = None
    if training:
        train = load_devset(settings.shared_data_dir, DEFAULT_TRAINSET, settings.taxonomy_path, ("train",))
    placeholder = Combiner(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)))
    scorer = open_scorer(sentence_settings(settings))
    try:
        model = load_theme_model(settings, scorer.encoder, scorer.store, placeholder if training else None)
        dev_ev = evidence(model, scorer.encoder, scorer.store, dev)
        train_ev = None if train is None else evidence(model, scorer.encoder, scorer.store, train)
        return model, dev, dev_ev, train_ev
    finally:
        scorer.close()


def dev_evidence(settings: Settings) -> tuple[ThemeModel, pd.DataFrame, Evidence]:
    """The configured theme model, the labelled dev set (read from the shared data) and its evidence."""
    model, dev, ev, _ = _labelled_evidence(settings, training=False)
    return model, dev, ev


def _both_splits(ev: Evidence, dev: pd.DataFrame, combiner: Combiner, model: ThemeModel) -> dict[str, Any]:
    return {split: _split_metrics(ev, dev, combiner, model.taxonomy.ids, split) for split in ("tune", "test")}


def train_themes(settings: Settings, out: Path | None = None, *, c: float = 1.0) -> dict[str, Any]:
    """Fit the heads on the training set and the combiner on the dev set's tune split (the heads'
    regularisation picked by the combiner's tune micro-F1), measure both splits, write ``combiner.json``."""
    from pipeline.themes.apply import combiner_path

    target = out or combiner_path(settings)
    model, dev, ev, train_ev = _labelled_evidence(settings, training=True)
    assert train_ev is not None
    tune = _subset(ev, (dev["split"] == "tune").to_numpy())
    fits = []
    for head_c in HEAD_C:
        combiner = fit_combiner(tune, fit_heads(train_ev, c=head_c), c=c)
        score = _micro_f1(tune.labels, sentence_proba(combiner, tune) >= combiner.threshold)
        fits.append((score, -head_c, combiner))
    tune_f1, neg_c, combiner = max(fits, key=lambda fit: fit[:2])
    head_c = -neg_c
    metrics = _both_splits(ev, dev, combiner, model)
    summary = {split: {lang: {k: round(v, 4) for k, v in m.items() if k in ("micro_f1", "macro_f1")}
                       for lang, m in by_lang.items()} for split, by_lang in metrics.items()}  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    combiner.save(target, fitted_on="models/themes/devset tune split", c=c, taxonomy=model.taxonomy.version,
                  heads_fitted_on=f"models/themes/trainset ({len(train_ev.labels)} sentences)", head_c=head_c,
                  dev_metrics=summary)  # fmt: skip
    return {"path": str(target), "metrics": metrics, "summary": summary, "head_c": head_c}


def sentence_sentiment_metrics(model: ThemeModel, dev: pd.DataFrame, ev: Evidence) -> dict[str, Any]:
    """The theme model's sentence sentiment against the dev set's hand-given sentence sentiment, per
    language, on all its sentences (nothing is fitted on them). A labelled sentence the pipeline cuts into
    several units gets the mean of their probabilities. ``polarity_accuracy``: negative against positive
    sentences, P(positive) > P(negative); ``negative_precision``: the share of sentences called negative
    that are (what emerging themes cluster)."""
    from sklearn.metrics import f1_score

    from pipeline.themes.devset import SENTIMENTS

    labelled = dev["sentiment"].notna().to_numpy()
    if not labelled.any():
        return {}
    p = model.sentiment.predict(ev.embeddings, [""] * len(ev.embeddings))
    sums = np.zeros((len(dev), 3))
    np.add.at(sums, ev.unit_owner, np.stack([p["p_negative"], p["p_neutral"], p["p_positive"]], axis=1))
    predicted = np.array(SENTIMENTS, dtype=object)[sums.argmax(axis=1)]
    gold = dev["sentiment"].to_numpy(dtype=object)

    def share(hits: np.ndarray) -> float | None:
        return float(hits.mean()) if len(hits) else None

    out: dict[str, Any] = {}
    for language in ("all", "en", "es", "pt"):
        mask = labelled & ((dev["language"] == language).to_numpy() | (language == "all"))
        if not mask.any():
            continue
        g, q = gold[mask], predicted[mask]
        polar = g != "neutral"
        leaning = np.where(sums[mask, 2] > sums[mask, 0], "positive", "negative")
        out[language] = {
            "sentences": int(mask.sum()),
            "accuracy": share(g == q),
            "macro_f1": float(f1_score(g, q, labels=list(SENTIMENTS), average="macro", zero_division=0)),
            "polarity_accuracy": share(leaning[polar] == g[polar]),
            "negative_precision": share(g[q == "negative"] == "negative"),
            "gold": {s: int((g == s).sum()) for s in SENTIMENTS},
        }
    return out


def evaluate_themes(settings: Settings) -> dict[str, Any]:
    """The shipped theme model on the dev set's held-out test split (and the tune split it was fitted on),
    with the two annotators' agreement on the same sentences (``agreement``: the human ceiling) and its
    sentence sentiment against the hand-given one (``sentence_sentiment``)."""
    from pipeline.themes.devset import annotator_agreement, read_entries

    model, dev, ev = dev_evidence(settings)
    agreement = annotator_agreement(read_entries(), settings.taxonomy_path)
    return {"model_version": model.version, **_both_splits(ev, dev, model.combiner, model),
            "agreement": agreement,
            "sentence_sentiment": sentence_sentiment_metrics(model, dev, ev)}  # fmt: skip
