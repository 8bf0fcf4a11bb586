"""The sentiment training mixture's sentence rows: which split a hand-labelled sentence joins, and how
much it weighs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.scoring.train import fit_heads
from pipeline.scoring.training_data import review_splits, split_of


def test_a_sentence_joins_the_most_held_out_review_it_was_cut_from() -> None:
    mixture = pd.DataFrame({
        "language": ["en", "en", "en", "es"],
        "text": ["Love it. The box arrived crushed.", "Great phone. The box arrived crushed.",
                 "Fast. Battery died.", "Llegó tarde."],
        "split": ["train", "test", "dev", "test"],
    })  # fmt: skip
    sentences = pd.DataFrame({
        "language": ["en", "en", "en", "en"],
        "sentence": ["The box arrived crushed.", "Battery died.", "Love it.", "Llegó tarde."],
    })  # fmt: skip
    splits = review_splits(sentences, mixture)
    # in a train and a test review: test, so it never trains a head scored on that review
    assert splits.tolist()[:3] == ["test", "dev", "train"]
    # a Spanish review does not hold an English sentence: its own hash decides
    assert splits.iloc[3] == split_of("Llegó tarde.")


def _mixture(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Reviews whose sentiment follows the first coordinate (negative, neutral, positive); stars too."""
    x = rng.normal(size=(n, 4))
    stars = np.digitize(x[:, 0], [-1.0, -0.4, 0.4, 1.0]) + 1.0
    sentiment = np.select([stars <= 2, stars >= 4], [0.0, 2.0], 1.0)
    frame = pd.DataFrame({
        "dataset": "reviews", "language": "en", "text": "", "sentiment": sentiment,
        "stars": stars, "split": np.where(np.arange(n) % 5 == 0, "dev", "train"),
    })  # fmt: skip
    return frame, x


def test_weighted_sentence_rows_outvote_the_reviews_where_they_disagree() -> None:
    rng = np.random.default_rng(0)
    reviews, x = _mixture(400, rng)
    # hand-labelled sentences that read negative although they sit on the reviews' positive side
    spot = np.array([[1.0, 3.0, 0.0, 0.0]])
    sentences = pd.DataFrame({"dataset": "theme_sentences", "language": "en", "text": "", "sentiment": 0.0,
                              "stars": np.nan, "split": "train"}, index=range(40))  # fmt: skip
    mixture = pd.concat([reviews, sentences], ignore_index=True)
    xs = np.vstack([x, spot + rng.normal(scale=0.1, size=(40, 4))])

    def p_negative(weight: float) -> float:
        weighted = mixture.assign(weight=np.where(mixture["dataset"] == "theme_sentences", weight, 1.0))
        head = fit_heads(weighted, xs)["sentiment"]
        return float(head.proba(spot)[0, 0])

    assert p_negative(0.0) < 0.5 < p_negative(50.0)


def test_the_by_language_metrics_are_over_reviews_and_sentences_get_rows_of_their_own() -> None:
    from pipeline.scoring.train import held_out_metrics

    rng = np.random.default_rng(1)
    reviews, x = _mixture(300, rng)
    reviews.loc[reviews.index % 10 == 3, "split"] = "test"
    sentences = reviews[reviews["split"] == "test"].assign(dataset="theme_sentences", stars=np.nan)
    sentences["sentiment"] = (sentences["sentiment"] + 1.0) % 3  # labelled against the reviews: all wrong
    mixture = pd.concat([reviews, sentences], ignore_index=True)
    xs = np.vstack([x, x[(reviews["split"] == "test").to_numpy()]])
    by_dataset, by_language = held_out_metrics(fit_heads(reviews, x), "v", mixture, xs)
    review_row = by_dataset[by_dataset["dataset"] == "reviews"].iloc[0]
    assert by_language.iloc[0]["accuracy"] == review_row["accuracy"] > 0.8
    assert by_dataset[by_dataset["dataset"] == "theme_sentences"].iloc[0]["accuracy"] < 0.2


def test_a_partly_present_sentiment_folder_names_the_missing_files(tmp_path: Path) -> None:
    from pipeline.errors import ReviewPulseError
    from pipeline.scoring.training_data import load_mixture

    (tmp_path / "sentiment").mkdir()
    (tmp_path / "sentiment" / "marc_es.csv").write_text("review_id\n", encoding="utf-8")
    with pytest.raises(
        ReviewPulseError, match=r"training data incomplete .*: missing marc_en.jsonl, amazon_br"
    ):
        load_mixture(tmp_path)
