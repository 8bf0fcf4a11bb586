"""Fit the theme combiner and measure theme assignment on labelled sentences.

The combiner has one weight per feature (``pipeline.themes.assign.FEATURES``), shared by every theme, so it
is fitted on few labels without learning any theme by heart: the dev set's ``tune`` split (hand-labelled real
sentences, ``models/themes/devset``). The ``test`` split is never seen by the fit; ``reviewpulse evaluate``
reports per-theme precision and recall and micro/macro F1 per language on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode
from pipeline.settings import Settings
from pipeline.themes.assign import FEATURES, Combiner, ThemeModel
from pipeline.themes.sentences import split_sentences

SEED = 13


@dataclass
class Evidence:
    """Features and labels of labelled sentences, flattened to one row per (unit, theme)."""

    features: np.ndarray  # [units, themes, F]
    labels: np.ndarray  # [sentences, themes] 0/1
    unit_owner: np.ndarray  # [units]: the labelled sentence each unit came from


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
    feats, _ = model.evidence(units, languages, embeddings)
    labels = np.zeros((len(frame), len(ids)), dtype=np.int8)
    for i, themes in enumerate(frame["themes"]):
        for theme in themes:
            labels[i, ids.index(theme)] = 1
    return Evidence(feats, labels, np.asarray(owner))


def sentence_proba(combiner: Combiner, ev: Evidence) -> np.ndarray:
    """``[sentences, themes]``: a labelled sentence's theme probability is the max over its units."""
    unit_p = combiner.proba(ev.features)
    out = np.zeros(ev.labels.shape, dtype=np.float64)
    np.maximum.at(out, ev.unit_owner, unit_p)
    return out


def fit_combiner(ev: Evidence, *, c: float = 1.0) -> Combiner:
    """Logistic regression over (unit, theme) rows; a unit is positive when its sentence has the theme.

    Units of a multi-unit sentence all inherit its labels (noisy but rare); the threshold is then chosen to
    maximise micro-F1 of the sentence-level predictions on the same data.
    """
    x = ev.features.reshape(-1, len(FEATURES)).astype(np.float64)
    y = ev.labels[ev.unit_owner].reshape(-1)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    fitted = LogisticRegression(C=c, max_iter=2000, random_state=SEED).fit((x - mean) / scale, y)
    combiner = Combiner(fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0]), mean, scale)
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


def _subset(ev: Evidence, mask: np.ndarray) -> Evidence:
    """The evidence of the labelled sentences where ``mask`` is true (units renumbered)."""
    units = mask[ev.unit_owner]
    owners = np.searchsorted(np.flatnonzero(mask), ev.unit_owner[units])
    return Evidence(ev.features[units], ev.labels[mask], owners)


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
        out[language] = {**summary, "per_theme": table.to_dict("records")}
    return out


def dev_evidence(settings: Settings) -> tuple[ThemeModel, pd.DataFrame, Evidence]:
    """The shipped theme model, the labelled dev set (read from the shared data) and its evidence."""
    from pipeline.scoring.service import open_scorer
    from pipeline.themes.apply import load_theme_model, sentence_settings
    from pipeline.themes.devset import load_devset

    dev = load_devset(settings.shared_data_dir).reset_index(drop=True)
    scorer = open_scorer(sentence_settings(settings))
    try:
        model = load_theme_model(settings, scorer.encoder, scorer.store)
        return model, dev, evidence(model, scorer.encoder, scorer.store, dev)
    finally:
        scorer.close()


def _both_splits(ev: Evidence, dev: pd.DataFrame, combiner: Combiner, model: ThemeModel) -> dict[str, Any]:
    return {split: _split_metrics(ev, dev, combiner, model.taxonomy.ids, split) for split in ("tune", "test")}


def train_themes(settings: Settings, out: Path | None = None, *, c: float = 1.0) -> dict[str, Any]:
    """Fit the combiner on the dev set's tune split, measure it on both splits, write ``combiner.json``."""
    from pipeline.themes.apply import combiner_path

    target = out or combiner_path(settings)
    model, dev, ev = dev_evidence(settings)
    combiner = fit_combiner(_subset(ev, (dev["split"] == "tune").to_numpy()), c=c)
    metrics = _both_splits(ev, dev, combiner, model)
    summary = {split: {lang: {k: round(v, 4) for k, v in m.items() if k in ("micro_f1", "macro_f1")}
                       for lang, m in by_lang.items()} for split, by_lang in metrics.items()}  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    combiner.save(target, fitted_on="models/themes/devset tune split", c=c, taxonomy=model.taxonomy.version,
                  dev_metrics=summary)  # fmt: skip
    return {"path": str(target), "metrics": metrics, "summary": summary}


def evaluate_themes(settings: Settings) -> dict[str, Any]:
    """The shipped theme model on the dev set's held-out test split (and the tune split it was fitted on)."""
    model, dev, ev = dev_evidence(settings)
    return {"model_version": model.version, **_both_splits(ev, dev, model.combiner, model)}
