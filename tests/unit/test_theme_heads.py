"""Per-theme heads and the combiner's head feature; the training-set builder's pure parts (no encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import ReviewPulseError
from pipeline.themes.assign import BASE_FEATURES, FEATURES, Combiner, ThemeHeads
from pipeline.themes.train import (
    MIN_HEAD_POSITIVES,
    Evidence,
    f1_interval,
    fit_combiner,
    fit_heads,
    sentence_proba,
    theme_metrics,
)
from pipeline.themes.trainset import assemble, extend, sentence_spans
from pipeline.themes.trainset import main as trainset_main

IDS = ("delivery", "packaging", "after_sales")
RNG = np.random.default_rng(3)


def _heads() -> ThemeHeads:
    return ThemeHeads(("packaging", "delivery"), RNG.normal(size=(2, 8)), np.array([0.5, -1.0]), "enc-a")


def test_heads_give_log_odds_per_theme_and_nan_where_a_theme_has_none() -> None:
    heads = _heads()
    x = RNG.normal(size=(5, 8))
    out = heads.logodds(x, IDS)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(out[:, 0], unit @ heads.coef[1] - 1.0, rtol=1e-5)
    np.testing.assert_allclose(out[:, 1], unit @ heads.coef[0] + 0.5, rtol=1e-5)
    assert np.isnan(out[:, 2]).all()


def test_a_theme_without_a_head_gets_the_head_features_mean_so_the_head_has_no_say() -> None:
    k = len(FEATURES)
    combiner = Combiner(RNG.normal(size=k), -1.0, RNG.normal(size=k), np.ones(k), 0.5, _heads())
    base = RNG.normal(size=(4, len(IDS), len(BASE_FEATURES)))
    full = combiner.with_head(base, RNG.normal(size=(4, 8)), IDS)
    assert full.shape == (4, len(IDS), k) and np.isnan(full[:, 2, -1]).all()
    at_mean = full.copy()
    at_mean[:, 2, -1] = combiner.mean[-1]
    np.testing.assert_allclose(combiner.proba(full), combiner.proba(at_mean))


def test_combiner_with_heads_round_trips_through_its_file(tmp_path: Path) -> None:
    k = len(FEATURES)
    combiner = Combiner(RNG.normal(size=k), 0.3, RNG.normal(size=k), np.ones(k) * 2, 0.4, _heads())
    combiner.save(tmp_path / "c.json", fitted_on="test")
    loaded = Combiner.load(tmp_path / "c.json")
    assert loaded.heads is not None and loaded.heads.theme_ids == ("packaging", "delivery")
    assert loaded.heads.encoder == "enc-a"
    base, x = RNG.normal(size=(6, len(IDS), len(BASE_FEATURES))), RNG.normal(size=(6, 8))
    np.testing.assert_allclose(
        loaded.proba(loaded.with_head(base, x, IDS)),
        combiner.proba(combiner.with_head(base, x, IDS)),
        atol=1e-4,
    )


def test_the_combiner_digest_follows_the_weights_not_the_notes(tmp_path: Path) -> None:
    k = len(FEATURES)
    combiner = Combiner(RNG.normal(size=k), 0.3, RNG.normal(size=k), np.ones(k) * 2, 0.4, _heads())
    combiner.save(tmp_path / "a.json", fitted_on="tune split", dev_metrics={"test": {"en": 0.69}})
    combiner.save(tmp_path / "b.json", fitted_on="adjudicated tune split", dev_metrics={"test": {"en": 0.7}})
    assert Combiner.digest(tmp_path / "a.json") == Combiner.digest(tmp_path / "b.json")
    combiner.threshold = 0.45
    combiner.save(tmp_path / "c.json", fitted_on="tune split", dev_metrics={"test": {"en": 0.69}})
    assert Combiner.digest(tmp_path / "c.json") != Combiner.digest(tmp_path / "a.json")
    combiner.threshold = 0.4
    combiner.heads = None
    combiner.save(tmp_path / "d.json", fitted_on="tune split", dev_metrics={"test": {"en": 0.69}})
    assert Combiner.digest(tmp_path / "d.json") != Combiner.digest(tmp_path / "a.json")
    (tmp_path / "e.json").write_text("{not json")
    with pytest.raises(ReviewPulseError, match="cannot read theme combiner"):
        Combiner.digest(tmp_path / "e.json")


def test_a_combiner_file_without_the_head_feature_is_refused_by_name(tmp_path: Path) -> None:
    body = {"features": list(BASE_FEATURES), "coef": [0] * 13, "intercept": 0, "mean": [0] * 13,
            "scale": [1] * 13, "threshold": 0.5}  # fmt: skip
    (tmp_path / "old.json").write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ReviewPulseError, match="combiner features"):
        Combiner.load(tmp_path / "old.json")


def _evidence(n: int, labels: np.ndarray, signal: np.ndarray) -> Evidence:
    """One unit per sentence; the embedding carries the label along a theme's own direction."""
    dim = 8
    x = RNG.normal(size=(n, dim)) * 0.3
    for t in range(len(IDS)):
        x[:, t] += signal[t] * labels[:, t]
    base = RNG.normal(size=(n, len(IDS), len(BASE_FEATURES)))  # taxonomy evidence that says nothing
    return Evidence(base, labels.astype(np.int8), np.arange(n), x, IDS, "enc-a")


def test_heads_learn_themes_the_taxonomy_evidence_misses_and_rare_themes_get_none() -> None:
    n = 400
    labels = (RNG.random((n, len(IDS))) < 0.2).astype(np.int8)
    labels[:, 2] = 0
    labels[: MIN_HEAD_POSITIVES - 1, 2] = 1  # too few positives for a head
    train = _evidence(n, labels, np.array([3.0, 3.0, 3.0]))
    heads = fit_heads(train, c=1.0)
    assert heads.theme_ids == ("delivery", "packaging") and heads.encoder == "enc-a"
    tune_labels = (RNG.random((300, len(IDS))) < 0.2).astype(np.int8)
    tune_labels[:, 2] = 0
    tune = _evidence(300, tune_labels, np.array([3.0, 3.0, 3.0]))
    with_heads = fit_combiner(tune, heads)
    without = fit_combiner(tune, None)
    assert with_heads.coef[FEATURES.index("head")] > 1.0

    def f1(combiner: Combiner) -> float:
        predicted = sentence_proba(combiner, tune) >= combiner.threshold
        tp = (predicted & (tune.labels == 1)).sum()
        return float(2 * tp / (predicted.sum() + tune.labels.sum()))

    assert f1(with_heads) > 0.9 > 0.5 > f1(without)


def test_sentence_spans_cut_like_the_dev_set_and_keep_offsets() -> None:
    text = "Arrived late!  The box was crushed.<br/>ok\nThe charger never worked at all, sadly."
    spans = list(sentence_spans(text))
    assert [text[a:b] for a, b in spans] == [
        "Arrived late!", "The box was crushed.", "The charger never worked at all, sadly."
    ]  # fmt: skip


def test_assemble_writes_references_only_and_names_bad_labels() -> None:
    rows = [{"id": "en-t0001", "language": "en", "dataset": "d.csv", "record": "7", "field": "text",
             "start": 0, "end": 12, "sha1": "abc", "sentence": "secret words"}]  # fmt: skip
    entries = assemble(rows, {"en-t0001": ["packaging", "delivery"]}, list(IDS))
    expected = {key: value for key, value in rows[0].items() if key != "sentence"}
    assert entries == [{**expected, "themes": ["delivery", "packaging"], "split": "train"}]
    with pytest.raises(ReviewPulseError, match="unknown candidates: en-t0009"):
        assemble(rows, {"en-t0009": []}, list(IDS))
    with pytest.raises(ReviewPulseError, match="en-t0001: unknown theme shipping_speed"):
        assemble(rows, {"en-t0001": ["shipping_speed"]}, list(IDS))
    felt = assemble(rows, {"en-t0001": []}, list(IDS), {"en-t0001": "positive"})
    assert felt == [{**expected, "themes": [], "sentiment": "positive", "split": "train"}]
    with pytest.raises(ReviewPulseError, match="en-t0001: sentiment 'happy' is not one of"):
        assemble(rows, {"en-t0001": []}, list(IDS), {"en-t0001": "happy"})
    with pytest.raises(ReviewPulseError, match="sentiment without theme labels .*: en-t0001"):
        assemble(rows, {}, list(IDS), {"en-t0001": "negative"})  # kept silently, it would be lost


def test_assemble_command_refuses_a_label_row_without_a_themes_list(tmp_path: Path) -> None:
    candidate = {"id": "en-t0001", "language": "en", "dataset": "d.csv", "record": "7", "field": "text",
                 "start": 0, "end": 12, "sha1": "abc", "sentence": "secret words"}  # fmt: skip
    (tmp_path / "candidates.jsonl").write_text(json.dumps(candidate) + "\n", encoding="utf-8")
    out = tmp_path / "labels.jsonl"
    args = ["assemble", "--candidates", str(tmp_path / "candidates.jsonl"), "--labels",
            str(tmp_path / "given.jsonl"), "--out", str(out)]  # fmt: skip
    (tmp_path / "given.jsonl").write_text('{"id": "en-t0001", "sentiment": "negative"}\n', encoding="utf-8")
    with pytest.raises(ReviewPulseError, match="label row 'en-t0001': needs an id and a themes list"):
        trainset_main(args)
    assert not out.exists()
    (tmp_path / "given.jsonl").write_text('{"id": "en-t0001", "themes": [], "sentiment": "negative"}\n',
                                          encoding="utf-8")  # fmt: skip
    trainset_main(args)
    assert [json.loads(line)["sentiment"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        "negative"
    ]


def test_a_new_round_extends_the_set_and_refuses_sentences_it_already_has() -> None:
    old = [{"id": "en-t0001", "sha1": "abc", "themes": []}]
    new = [{"id": "en-v0001", "sha1": "def", "themes": ["delivery"]}]
    assert extend(old, new) == [*old, *new]
    with pytest.raises(ReviewPulseError, match="already in the training set: en-v0002"):
        extend(old, [*new, {"id": "en-v0002", "sha1": "abc", "themes": []}])
    with pytest.raises(ReviewPulseError, match="en-t0001"):
        extend(old, [{"id": "en-t0001", "sha1": "xyz", "themes": []}])


def test_heads_are_not_applied_to_embeddings_of_another_encoder() -> None:
    labels = (RNG.random((50, len(IDS))) < 0.3).astype(np.int8)
    ev = _evidence(50, labels, np.array([3.0, 3.0, 3.0]))
    k = len(FEATURES)
    combiner = Combiner(np.ones(k), 0.0, np.zeros(k), np.ones(k), 0.5, _heads())  # heads of enc-a
    sentence_proba(combiner, ev)
    other = Evidence(ev.features, ev.labels, ev.unit_owner, ev.embeddings, ev.theme_ids, "enc-b")
    with pytest.raises(ReviewPulseError, match="trained on enc-a, but these sentences were encoded by enc-b"):
        sentence_proba(combiner, other)


def test_f1_interval_brackets_the_estimate_and_narrows_with_more_sentences() -> None:
    labels = (RNG.random((90, len(IDS))) < 0.2).astype(np.int8)
    flip = RNG.random(labels.shape) < 0.15
    predicted = np.where(flip, 1 - labels, labels)
    assert f1_interval(labels, labels) == {"micro_f1": (1.0, 1.0), "macro_f1": (1.0, 1.0)}
    _, summary = theme_metrics(labels, predicted, IDS)
    small = f1_interval(labels, predicted)
    assert small == f1_interval(labels, predicted)  # seeded
    for key in ("micro_f1", "macro_f1"):
        low, high = small[key]
        assert low < summary[key] < high
    large = f1_interval(np.tile(labels, (10, 1)), np.tile(predicted, (10, 1)))
    for key in ("micro_f1", "macro_f1"):
        assert large[key][1] - large[key][0] < 0.5 * (small[key][1] - small[key][0])


def test_sentence_sentiment_metrics_pool_a_sentences_units_and_count_per_language() -> None:
    """The head's probabilities are the embeddings themselves here (negative, neutral, positive), so each
    unit's outcome is set by hand; a sentence cut into two units is judged on their pooled probabilities."""
    from types import SimpleNamespace

    import pandas as pd

    from pipeline.themes.train import Evidence, sentence_sentiment_metrics

    def predict(embeddings: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
        assert len(texts) == len(embeddings)
        return {"p_negative": embeddings[:, 0], "p_neutral": embeddings[:, 1], "p_positive": embeddings[:, 2]}

    units = np.array([
        [0.7, 0.2, 0.1], [0.2, 0.2, 0.6],  # en sentence 0, two units: pooled 0.9 / 0.4 / 0.7 -> negative
        [0.1, 0.2, 0.7],                    # en sentence 1: positive (labelled negative: a miss)
        [0.2, 0.6, 0.2],                    # en sentence 2: neutral, leaning neither way
        [0.1, 0.1, 0.8],                    # es sentence 3: positive, right
    ])  # fmt: skip
    dev = pd.DataFrame({"language": ["en", "en", "en", "es"],
                        "sentiment": ["negative", "negative", "neutral", "positive"]})  # fmt: skip
    ev = Evidence(np.zeros((5, 13, 1)), np.zeros((4, 13), np.int8), np.array([0, 0, 1, 2, 3]), units,
                  tuple(f"t{i}" for i in range(13)), "enc")  # fmt: skip
    model = SimpleNamespace(sentiment=SimpleNamespace(predict=predict))

    got = sentence_sentiment_metrics(model, dev, ev)  # type: ignore[arg-type]

    assert set(got) == {"all", "en", "es"}  # no Portuguese sentence: no row
    assert got["en"]["accuracy"] == pytest.approx(2 / 3) and got["en"]["negative_precision"] == 1.0
    assert got["en"]["polarity_accuracy"] == 0.5  # of the two negative sentences, one leans positive
    assert got["es"]["accuracy"] == 1.0 and got["es"]["negative_precision"] is None  # none called negative
    assert got["all"]["gold"] == {"negative": 2, "neutral": 1, "positive": 1}
