"""``reviewpulse evaluate``: held-out metrics of the shipped heads, language detection, and VADER.

Everything is measured on the test split of the training mixture (see ``training_data``), which the
heads never saw. VADER (a lexicon, English only) is the English quality baseline: its compound score
maps to negative (< -0.05), neutral, positive (> 0.05), the thresholds its authors recommend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.scoring.encoder import load_encoder
from pipeline.scoring.heads import load_heads
from pipeline.scoring.metrics import evaluate_frame, sentiment_metrics
from pipeline.scoring.train import embed_mixture, predict_frame
from pipeline.scoring.training_data import load_mixture
from pipeline.settings import Settings
from pipeline.sources.language import detect_language


def vader_baseline(test: pd.DataFrame) -> dict[str, Any]:
    """VADER on the English test rows that have a sentiment label."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    english = test[(test["language"] == "en") & test["sentiment"].notna()]
    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in english["text"]])
    predicted = np.where(compound > 0.05, 2, np.where(compound < -0.05, 0, 1))
    polar = english["sentiment"] != 1
    return {
        **sentiment_metrics(english["sentiment"].to_numpy(), predicted),
        "polarity_accuracy": float(
            np.mean((compound[polar.to_numpy()] > 0) == (english["sentiment"][polar] == 2))
        ),
    }


def language_accuracy(test: pd.DataFrame) -> dict[str, float]:
    """Accuracy of ``detect_language`` per language on the test texts."""
    detected = test["text"].map(detect_language)
    correct = detected == test["language"]
    return {
        "overall": float(correct.mean()),
        **{str(k): float(v) for k, v in correct.groupby(test["language"]).mean().items()},
    }


def evaluate(settings: Settings) -> dict[str, Any]:
    """All held-out numbers as one JSON-ready dict."""
    mixture = load_mixture(settings.shared_data_dir)
    test = mixture[mixture["split"] == "test"].reset_index(drop=True)
    encoder = load_encoder(settings)
    heads = load_heads(*settings.heads_dirs)
    predictions = predict_frame(heads, test, embed_mixture(settings, encoder, test))
    return {
        "model_version": heads.version,
        "by_dataset": evaluate_frame(predictions, ["dataset", "language"]).to_dict("records"),
        "by_language": evaluate_frame(predictions, ["language"]).to_dict("records"),
        "language_detection": language_accuracy(test),
        "vader_en": vader_baseline(test),
    }
