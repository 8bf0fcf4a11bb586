"""Metrics for the sentiment and star heads, per dataset and language."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score


def sentiment_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 over the classes present (0 negative, 1 neutral, 2 positive)."""
    labels = sorted(set(truth.astype(int).tolist()))
    return {
        "n": int(len(truth)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, labels=labels, average="macro")),
    }


def star_metrics(stars: np.ndarray, star_class: np.ndarray, star_pred: np.ndarray,
                 p_pos: np.ndarray, p_neg: np.ndarray) -> dict[str, float]:  # fmt: skip
    """Exact and off-by-one star accuracy, MAE, and polarity accuracy (1-2 vs 4-5 stars)."""
    polar = stars != 3
    return {
        "n": int(len(stars)),
        "star_exact": float(np.mean(star_class == stars)),
        "star_off_by_one": float(np.mean(np.abs(star_class - stars) <= 1)),
        "star_mae": float(np.mean(np.abs(star_pred - stars))),
        "polarity_accuracy": float(np.mean((p_pos[polar] > p_neg[polar]) == (stars[polar] >= 4))),
    }


def evaluate_frame(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Metrics per group of a frame holding labels (stars, sentiment) and predictions."""
    rows = []
    for key, group in frame.groupby(by, sort=True):
        row: dict[str, object] = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        labelled = group.dropna(subset=["sentiment"])
        if len(labelled):
            m = sentiment_metrics(labelled["sentiment"].to_numpy(), labelled["sentiment_pred"].to_numpy())
            row.update({"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]})
        rated = group.dropna(subset=["stars"])
        if len(rated):
            row.update(star_metrics(
                rated["stars"].to_numpy(), rated["stars_class"].to_numpy(), rated["stars_pred"].to_numpy(),
                rated["p_positive"].to_numpy(), rated["p_negative"].to_numpy(),
            ))  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)
