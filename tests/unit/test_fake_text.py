"""The fake-text detectors' building blocks on tiny hand-made data: n-gram model, stacked head, loading."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import ReviewPulseError
from pipeline.scoring import heads as heads_module
from pipeline.scoring.fake_text import DeceptiveHead, FakeTextDetector, GeneratedHead
from pipeline.scoring.heads import load_heads
from pipeline.scoring.ngram import NgramConfig, NgramModel, fit_ngram
from pipeline.scoring.train_fake import Choice, binary_metrics, fit_detector

# Two styles a bag of n-grams separates at once: gushing first-person stories vs terse facts.
FAKE = [
    "My husband and I absolutely loved our luxurious stay, we will definitely be back!",
    "I was amazed by the luxury, my husband and I felt like royalty, highly recommend!",
    "My wife and I had the most amazing experience, truly luxurious, definitely recommend!",
    "We absolutely loved everything, my family felt so pampered, I will definitely return!",
    "I cannot say enough, my husband loved the luxurious spa, we will definitely be back!",
    "Amazing experience, my wife and I felt pampered, absolutely recommend to everyone!",
    "I loved it, my family was amazed by the luxury, we will definitely come back!",
    "My husband and I were so pampered, absolutely amazing, I highly recommend it!",
    "Truly luxurious, my wife loved it and I will definitely recommend it to friends!",
    "We were amazed, my husband and I absolutely loved the luxurious room, definitely back!",
]
REAL = [
    "Room 412 faced the street. Noise until 2am. Breakfast 7-10, eggs cold.",
    "Check-in took 20 minutes. Elevator slow. Bed fine, towels thin.",
    "Parking 45 per night, valet only. Room small, shower pressure ok.",
    "Walk to station 10 min. Front desk helpful. Carpet worn near door.",
    "Wifi dropped twice. Room clean. Coffee maker broken, fixed next day.",
    "Late checkout cost 30. Pool closed for repairs. Staff polite.",
    "Window did not open. AC loud. Location near the river, quiet street.",
    "Minibar prices high. Desk lamp broken. Checkout quick, bill correct.",
    "Street parking only. Lobby busy. Room on 3rd floor, view of a wall.",
    "Shuttle every 30 min. Bathroom dated. Bed firm, pillows flat.",
]


def _toy(seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1 = fake) and unit 'embeddings' whose first axis carries the label weakly."""
    rng = np.random.default_rng(seed)
    texts = FAKE + REAL
    y = np.array([1] * len(FAKE) + [0] * len(REAL))
    x = rng.normal(size=(len(texts), 16))
    x[:, 0] += np.where(y == 1, 1.5, -1.5)
    return texts, x / np.linalg.norm(x, axis=1, keepdims=True), y


CHOICE = Choice(
    embedding_c=1.0,
    ngram_name="word 1-2",
    ngram=(NgramConfig(ngram_max=2, nb=True), NgramConfig(analyzer="char_wb", ngram_min=2, ngram_max=4)),
    ngram_c=10.0,
)


def test_ngram_model_round_trips_through_npz_with_identical_probabilities(tmp_path: Path) -> None:
    texts, _, y = _toy()
    model = fit_ngram(texts, y, CHOICE.ngram, 10.0, seed=0)
    model.save(tmp_path / "m.npz")
    loaded = NgramModel.load(tmp_path / "m.npz")
    probe = ["my husband loved it", "Room 9 faced a wall. Towels thin.", "", "zzz qqq never seen"]
    np.testing.assert_array_equal(model.proba(probe), loaded.proba(probe))
    assert [b.config for b in loaded.blocks] == list(CHOICE.ngram)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:  # plain arrays only: loads without pickle
        assert {k for k in data.files if k.startswith("coef_")} == {"coef_0", "coef_1"}


def test_ngram_weights_match_scikit_learn_tfidf() -> None:
    from sklearn.feature_extraction.text import TfidfTransformer

    texts, _, y = _toy()
    config = NgramConfig(ngram_max=1, tf="raw")
    model = fit_ngram(texts, y, [config], 1.0, seed=0)
    block = model.blocks[0]
    probe = ["my husband loved the room", "unseen words here"]
    reference = TfidfTransformer().fit(config.counts(texts)).transform(config.counts(probe))
    np.testing.assert_allclose(
        block.features(probe).toarray(), reference[:, block.index].toarray(), atol=2e-3
    )


def test_ngram_model_separates_the_toy_styles() -> None:
    texts, _, y = _toy()
    model = fit_ngram(texts[::2], y[::2], CHOICE.ngram, 10.0, seed=0)
    p = model.proba(texts[1::2])
    assert ((p > 0.5) == y[1::2]).all(), p


def test_stacked_head_trained_on_a_separable_toy_set_predicts_the_right_class() -> None:
    texts, x, y = _toy()
    train, held = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
    detector = fit_detector([t for t, k in zip(texts, train, strict=True) if k], x[train], y[train], CHOICE)
    head = DeceptiveHead(detector, "v")
    out = head.predict(x[held], [t for t, k in zip(texts, held, strict=True) if k])
    assert set(out) == {"p_deceptive"}
    assert ((out["p_deceptive"] > 0.5) == y[held]).all(), out
    assert binary_metrics(y[held], out["p_deceptive"])["roc_auc"] == 1.0


def test_outputs_are_probabilities_even_for_odd_texts() -> None:
    texts, x, y = _toy()
    detector = fit_detector(texts, x, y, CHOICE)
    odd = ["", " ", "!!!!!!!!", "a" * 20_000, "Ünïcödé ñ 漢字 😀", "luxury " * 500]
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(len(odd), 16)) * 50  # far outside the training range
    for head_type in (DeceptiveHead, GeneratedHead):
        p = head_type(detector, "v").predict(emb, odd)[head_type.columns[0]]
        assert p.shape == (len(odd),)
        assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()


def test_detector_refuses_embeddings_and_texts_of_different_lengths() -> None:
    texts, x, y = _toy()
    detector = fit_detector(texts, x, y, CHOICE)
    with pytest.raises(ValueError, match="embeddings for"):
        detector.proba(x[:3], texts[:2])


def _write_folder(folder: Path, encoder: str = "enc-1") -> FakeTextDetector:
    texts, x, y = _toy()
    detector = fit_detector(texts, x, y, CHOICE)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("deceptive", "generated"):
        detector.save(folder, name)
    spec = {"version": f"{encoder}+fake-text-abc", "encoder": encoder, "heads": ["deceptive", "generated"]}
    (folder / "heads.json").write_text(json.dumps(spec), encoding="utf-8")
    return detector


def test_load_heads_finds_the_fake_text_head_types_without_an_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = _write_folder(tmp_path / "fake-text")
    # As in a fresh process where nothing imported the fake-text module yet.
    monkeypatch.delitem(heads_module.HEAD_TYPES, "deceptive")
    monkeypatch.delitem(heads_module.HEAD_TYPES, "generated")
    monkeypatch.delitem(sys.modules, "pipeline.scoring.fake_text")
    head_set = load_heads(tmp_path / "fake-text")
    assert head_set.columns == ("p_deceptive", "p_generated")
    assert head_set.version == "enc-1+fake-text-abc"
    texts, x, _ = _toy()
    out = head_set.predict(x, texts)
    np.testing.assert_array_equal(out["p_deceptive"], detector.proba(x, texts))
    np.testing.assert_array_equal(out["p_generated"], out["p_deceptive"])  # the same stored detector


def test_fake_text_folder_joins_another_folder_in_one_head_set(tmp_path: Path) -> None:
    _write_folder(tmp_path / "fake-text")
    other = tmp_path / "other"
    other.mkdir()
    (other / "heads.json").write_text(
        json.dumps({"version": "enc-1+other-1", "encoder": "enc-1", "heads": []})
    )
    head_set = load_heads(other, tmp_path / "fake-text")
    assert head_set.version == "enc-1+other-1+fake-text-abc"
    assert head_set.columns == ("p_deceptive", "p_generated")


def test_an_unknown_head_type_still_fails_loudly(tmp_path: Path) -> None:
    _write_folder(tmp_path / "fake-text")
    spec = json.loads((tmp_path / "fake-text" / "heads.json").read_text())
    spec["heads"].append("no-such-head")
    (tmp_path / "fake-text" / "heads.json").write_text(json.dumps(spec))
    with pytest.raises(ReviewPulseError, match="unknown head type 'no-such-head'"):
        load_heads(tmp_path / "fake-text")


def test_style_tokens_see_how_a_text_ends_and_repeats() -> None:
    from pipeline.scoring.ngram import style_tokens

    cut = style_tokens(
        "The only problem is that it is hard to find. The only problem is that it is hard to put"
    )
    whole = style_tokens("Works as described. Arrived on time.")
    assert "end:alpha" in cut and "end:." in whole
    assert next(t for t in cut if t.startswith("repeated3:")) != "repeated3:0"
    assert "end:empty" in style_tokens("")


def test_end_marks_let_the_ngram_model_learn_how_a_text_ends() -> None:
    # Same words; only where the text stops differs, which plain bags of n-grams cannot see.
    texts = [f"great product works well {w}." for w in ("really", "truly", "very", "so")] * 3
    texts += [f"great product works well {w}" for w in ("really", "truly", "very", "so")] * 3
    y = np.array([0] * 12 + [1] * 12)
    probe = ["nice item works well indeed.", "nice item works well indeed"]
    marked = fit_ngram(texts, y, [NgramConfig(ngram_max=2, boundaries=True)], 10.0, seed=0).proba(probe)
    plain = fit_ngram(texts, y, [NgramConfig(ngram_max=1, token_pattern=r"(?u)\b\w+\b")], 10.0, seed=0)
    assert marked[0] < 0.5 < marked[1]
    np.testing.assert_allclose(*plain.proba(probe))  # the unmarked word model cannot tell them apart
