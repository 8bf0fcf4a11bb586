"""Train the sentiment and star heads on the frozen encoder, evaluate them, and write the model folder.

Method: the multilingual-e5-small encoder stays frozen; each head is a multinomial logistic regression
on the standardised mean-pooled embedding (``"query: "`` prefix). The regularisation strength is
picked on the dev split; the numbers in the model card are on the test split. Everything is seeded
and the data manifest pins the input files by sha256, so ``reviewpulse train`` reproduces the heads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.scoring.encoder import Encoder, adapter_label, describe, load_encoder
from pipeline.scoring.heads import HeadSet, LinearHead, SentimentHead, StarsHead
from pipeline.scoring.metrics import evaluate_frame
from pipeline.scoring.training_data import (
    SEED,
    THEME_SENTENCES,
    load_mixture,
    manifest,
    with_theme_sentences,
)
from pipeline.settings import REPO_ROOT, Settings

MODEL_NAME = "sentiment-stars"
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / MODEL_NAME
C_GRID = (0.05, 0.2, 1.0)
THEME_SENTENCE_WEIGHT = 10.0
"""What one hand-labelled theme-set sentence weighs against one review in the sentence sentiment head
(``train(..., sentence_weight=...)``): of 0, 1, 3 and 10, the best accuracy on the held-out sentences of
the mixture's dev split (0.73, 0.79, 0.81, 0.83 on the sentence adapter)."""


@dataclass
class TrainResult:
    folder: Path
    version: str
    metrics: pd.DataFrame


def embed_mixture(
    settings: Settings, encoder: Encoder, mixture: pd.DataFrame, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Embeddings of every mixture text, through the shared embedding cache."""
    from pipeline.scoring.engine import EmbeddingStore, encode

    store = EmbeddingStore(settings.models_dir / "embedding-cache.duckdb", encoder.dim)
    try:
        return np.concatenate(list(encode(encoder, mixture["text"].tolist(), store=store, progress=progress)))
    finally:
        store.close()


def _fit(x: np.ndarray, y: np.ndarray, x_dev: np.ndarray, y_dev: np.ndarray, balanced: bool,
         weight: np.ndarray | None = None) -> LinearHead:  # fmt: skip
    """Standardise, then a logistic regression (rows weighted by ``weight``), C chosen on the dev split."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    best: tuple[float, Any] | None = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None,
                                   random_state=SEED)  # fmt: skip
        model.fit((x - mean) / scale, y, sample_weight=weight)
        score = float(np.mean(model.predict((x_dev - mean) / scale) == y_dev))
        if best is None or score > best[0]:
            best = (score, model)
    assert best is not None
    model = best[1]
    return LinearHead(coef=model.coef_, intercept=model.intercept_, mean=mean, scale=scale)


def predict_frame(heads: HeadSet, mixture: pd.DataFrame, embeddings: np.ndarray) -> pd.DataFrame:
    """The mixture with every head's outputs as columns (sentiment as 0/1/2 in ``sentiment_pred``)."""
    out = mixture.reset_index(drop=True).copy()
    for column, values in heads.predict(embeddings, mixture["text"].tolist()).items():
        out[column if column not in mixture.columns else f"{column}_label"] = values  # keep the truth columns
    out["sentiment_pred"] = np.argmax(out[["p_negative", "p_neutral", "p_positive"]].to_numpy(), axis=1)
    return out


def fit_heads(mixture: pd.DataFrame, x: np.ndarray) -> dict[str, LinearHead]:
    """Both heads fitted on the mixture's train split (C picked on dev) from its embeddings ``x``; rows
    weighted by the mixture's ``weight`` column where it has one."""
    split = mixture["split"].to_numpy()
    weight = mixture["weight"].to_numpy() if "weight" in mixture else np.ones(len(mixture))
    heads = {}
    for name, label, balanced in (("sentiment", "sentiment", True), ("stars", "stars", False)):
        has = mixture[label].notna().to_numpy()
        train_rows, dev_rows = has & (split == "train"), has & (split == "dev")
        y = mixture[label].to_numpy()
        heads[name] = _fit(x[train_rows], y[train_rows].astype(int), x[dev_rows], y[dev_rows].astype(int),
                           balanced, weight[train_rows])  # fmt: skip
    return heads


def held_out_metrics(heads: dict[str, LinearHead], version: str, mixture: pd.DataFrame,
                 x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Test-split metrics by dataset and language, and by language over the reviews (hand-labelled theme
    sentences, which carry no stars, have their own rows by dataset)."""
    head_set = HeadSet(
        [SentimentHead(heads["sentiment"], version), StarsHead(heads["stars"], version)], version
    )
    test = mixture["split"].to_numpy() == "test"
    predictions = predict_frame(head_set, mixture[test], x[test])
    reviews = predictions[predictions["dataset"] != THEME_SENTENCES]
    return evaluate_frame(predictions, ["dataset", "language"]), evaluate_frame(reviews, ["language"])


def train(
    settings: Settings,
    out_dir: Path = DEFAULT_MODEL_DIR,
    progress: Callable[[int], None] | None = None,
    sentence_weight: float = 0.0,
) -> TrainResult:
    """Fit both heads on the train split, write the model folder, return test metrics.

    ``sentence_weight`` > 0 adds the theme training set's sentences with their hand-given sentiment
    (``with_theme_sentences``), each row weighing that many reviews: the sentence sentiment head's training.
    """
    mixture = load_mixture(settings.shared_data_dir)
    if sentence_weight > 0:
        mixture = with_theme_sentences(mixture, settings.shared_data_dir)
        mixture["weight"] = np.where(mixture["dataset"] == THEME_SENTENCES, sentence_weight, 1.0)
    encoder = load_encoder(settings)
    x = embed_mixture(settings, encoder, mixture, progress)
    heads = fit_heads(mixture, x)
    digest = hashlib.sha256(b"".join(h.coef.astype(np.float32).tobytes() for h in heads.values())).hexdigest()
    version = f"{encoder.version}+{MODEL_NAME}-{digest[:8]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, head in heads.items():
        head.save(out_dir / f"{name}.npz")
    metrics, by_language = held_out_metrics(heads, version, mixture, x)
    spec = {
        "version": version, "heads": ["sentiment", "stars"], "encoder": encoder.version,
        "prefix": "query: ",
        "method": f"{describe(encoder.version, settings.encoder_adapter)} + multinomial logistic regression "
                  "per head",
        "adapter": adapter_label(encoder.version, settings.encoder_adapter),
        "seed": SEED, "c_grid": list(C_GRID),
        **({"theme_sentences_weight": sentence_weight} if sentence_weight > 0 else {}),
    }  # fmt: skip
    (out_dir / "heads.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
    (out_dir / "data_manifest.json").write_text(
        json.dumps(
            {
                "files": manifest(settings.shared_data_dir, theme_sentences=sentence_weight > 0),
                "rows": mixture.groupby(["dataset", "split"]).size().unstack(fill_value=0).to_dict("index"),
            },
            indent=2,
            sort_keys=True,
        ),
        encoding="utf-8",
    )  # fmt: skip
    (out_dir / "metrics.json").write_text(
        json.dumps({"by_dataset": metrics.to_dict("records"), "by_language": by_language.to_dict("records")},
                   indent=2, default=float),
        encoding="utf-8",
    )  # fmt: skip
    return TrainResult(folder=out_dir, version=version, metrics=metrics)
