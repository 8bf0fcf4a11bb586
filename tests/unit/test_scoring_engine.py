"""The scoring engine with a tiny transformer built here: order, batching, cache, truncation, score files."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.errors import BatchError, ReviewPulseError
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode
from pipeline.scoring.heads import HeadSet, LinearHead, SentimentHead, StarsHead, heads_version, load_heads
from pipeline.scoring.score import FAKE_COLUMNS, OUTPUT_COLUMNS, count_rows, score_file

WORDS = [
    "great",
    "bad",
    "late",
    "box",
    "broke",
    "love",
    "price",
    "size",
    "fast",
    "slow",
    "good",
    "poor",
    "refund",
    "ok",
    "not",
    "very",
    "the",
    "was",
    "and",
    "it",
]


class CountingEncoder(Encoder):
    """The real Encoder, counting how many texts reach the transformer."""

    encoded: int = 0

    def embed_ids(self, batch: list[list[int]]) -> np.ndarray:
        self.encoded += len(batch)
        return super().embed_ids(batch)


@pytest.fixture(scope="module")
def tiny() -> CountingEncoder:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(f"▁{w}", -1.0) for w in WORDS] + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz:.,!"]
    backend = Tokenizer(models.Unigram(vocab, unk_id=3))
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>", unk_token="<unk>")  # fmt: skip
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=1)  # fmt: skip
    return CountingEncoder(tokenizer=tokenizer, model=BertModel(config, add_pooling_layer=False).eval(),
                           version="tiny-v1", max_tokens=24)  # fmt: skip


def _heads(dim: int = 32) -> HeadSet:
    rng = np.random.default_rng(0)
    linear = {n: LinearHead(rng.normal(size=(k, dim)), rng.normal(size=k), np.zeros(dim), np.ones(dim))
              for n, k in (("sentiment", 3), ("stars", 5))}  # fmt: skip
    return HeadSet([SentimentHead(linear["sentiment"], "h1"), StarsHead(linear["stars"], "h1")], "tiny-v1+h1")


TEXTS = ["great price", "the box was late and it broke", "love it", "not very good, poor size", "ok"]


def test_batched_embeddings_equal_one_by_one_and_keep_input_order(tiny: CountingEncoder) -> None:
    together = np.concatenate(list(encode(tiny, TEXTS, batch_size=2, chunk_size=3)))
    alone = np.concatenate([tiny.embed([t]) for t in TEXTS])
    assert together.shape == (5, 32)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_duplicates_are_encoded_once_and_cached_texts_never_again(
    tiny: CountingEncoder, tmp_path: Path
) -> None:
    store = EmbeddingStore(tmp_path / "cache.duckdb", 32)
    tiny.encoded = 0
    first = np.concatenate(list(encode(tiny, TEXTS + TEXTS[:2], store=store)))
    assert tiny.encoded == len(TEXTS)
    np.testing.assert_allclose(first[5], first[0])
    tiny.encoded = 0
    again = np.concatenate(list(encode(tiny, [*TEXTS, "fast refund"], store=store)))
    assert tiny.encoded == 1
    np.testing.assert_allclose(again[:5], first[:5], atol=1e-6)
    store.close()


def test_long_text_keeps_head_and_tail(tiny: CountingEncoder) -> None:
    long_text = " ".join(["great"] + ["ok"] * 60 + ["refund"])
    tiny.tokenizer.model_max_length = tiny.max_tokens  # as a real tokenizer knows its model's limit
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("transformers").addHandler(handler)  # transformers' loggers do not reach the root
    try:
        ids = tiny.token_ids([long_text])[0]
    finally:
        logging.getLogger("transformers").removeHandler(handler)
    assert not [w for w in warnings if "indexing errors" in w]  # the text is cut here: no false alarm
    assert len(ids) == tiny.max_tokens
    vocab = tiny.tokenizer.get_vocab()
    assert ids[0] == vocab["<s>"] and ids[-1] == vocab["</s>"]
    assert vocab["▁great"] in ids[:10] and ids[-2] == vocab["▁refund"]  # after "query:" and before </s>


def test_heads_give_probabilities_and_stars_in_range() -> None:
    out = _heads().predict(np.random.default_rng(1).normal(size=(50, 32)), ["x"] * 50)
    total = out["p_negative"] + out["p_neutral"] + out["p_positive"]
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert ((out["stars_pred"] >= 1) & (out["stars_pred"] <= 5)).all()
    assert set(out["sentiment"]) <= {"negative", "neutral", "positive"}


def test_a_binary_linear_head_gives_both_class_probabilities() -> None:
    """One column of log-odds (scikit-learn's binary coef_) is p(1) = sigmoid(z), not a one-class softmax."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 8))
    y = (x[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    head = LinearHead(model.coef_, model.intercept_, np.zeros(8), np.ones(8))
    p = head.proba(x[:20])
    assert p.shape == (20, 2)
    np.testing.assert_allclose(p, model.predict_proba(x[:20]), atol=1e-9)


def test_score_file_writes_one_row_per_review_id(tiny: CountingEncoder, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "review_id": ["a", "b", "c", "a"],
            "text": ["great", "bad box", "late", "love it"],
            "title": ["", "Broke", "", ""],
            "language": ["en", "", "", "es"],
        }
    ).to_csv(source, index=False)
    for suffix in ("csv", "parquet"):
        target = tmp_path / f"out.{suffix}"
        written = score_file(source, target, tiny, _heads())
        assert (written.rows, written.reviews, written.repeated) == (4, 3, 1)
        got = pd.read_csv(target) if suffix == "csv" else pd.read_parquet(target)
        assert list(got.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
        assert sorted(got["review_id"]) == ["a", "b", "c"]
        assert got.set_index("review_id").loc["a", "language"] == "es"  # the repeated id keeps its last row
        assert got["model_version"].unique().tolist() == ["tiny-v1+h1"]
        assert not (tmp_path / f"out.{suffix}.partial").exists()


def test_a_repeated_id_keeps_its_last_row_ten_rows_later_and_the_output_keeps_input_order(
    tiny: CountingEncoder, tmp_path: Path
) -> None:
    """Row numbers 9 and 10 (and 2 against 10) compare as numbers, not as the text a CSV reads back."""
    ids = [*[f"r{i}" for i in range(9)], "a", "a", "r11"]  # rows 9 and 10: "9" sorts after "10" as text
    languages = [*["en"] * 9, "es", "pt", "en"]
    source = tmp_path / "in.csv"
    pd.DataFrame({"review_id": ids, "text": ["good"] * len(ids), "language": languages}).to_csv(
        source, index=False
    )
    for suffix in ("csv", "parquet"):
        target = tmp_path / f"out.{suffix}"
        assert score_file(source, target, tiny, _heads()).repeated == 1
        got = pd.read_csv(target) if suffix == "csv" else pd.read_parquet(target)
        assert got["review_id"].tolist() == [*[f"r{i}" for i in range(9)], "a", "r11"]
        assert got.set_index("review_id").loc["a", "language"] == "pt"


def test_a_row_without_text_keeps_its_id_and_gets_no_scores(tiny: CountingEncoder, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame({"review_id": ["a", "b", "c"], "text": ["great", "", "  "], "title": ["", "", ""]}).to_csv(
        source, index=False
    )
    for suffix in ("csv", "parquet"):
        target = tmp_path / f"out.{suffix}"
        assert score_file(source, target, tiny, _heads()).reviews == 3
        got = (pd.read_csv(target) if suffix == "csv" else pd.read_parquet(target)).set_index("review_id")
        assert (
            got.loc["a", "sentiment"] in ("negative", "neutral", "positive")
            and got.loc["a", "stars_pred"] >= 1
        )
        blank = got.loc[["b", "c"], [c for c in OUTPUT_COLUMNS if c != "review_id"]]
        assert blank.isna().all().all(), blank  # nothing to read: no sentiment, stars or language made up


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_score_file_reads_jsonl_and_parquet(tiny: CountingEncoder, tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"review_id": [1, 2], "text": ["good", "poor"]})
    source = tmp_path / f"in.{suffix}"
    frame.to_json(source, orient="records", lines=True) if suffix == "jsonl" else frame.to_parquet(source)
    assert score_file(source, tmp_path / "out.csv", tiny, _heads()).reviews == 2


def test_score_file_errors_are_clear_and_leave_nothing(tiny: CountingEncoder, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a"], "text": ["x"]}).to_csv(source, index=False)
    with pytest.raises(BatchError, match="required column missing: review_id"):
        score_file(source, tmp_path / "out.csv", tiny, _heads())
    assert not list(tmp_path.glob("out.csv*"))
    pd.DataFrame({"review_id": ["a", "", "c"], "text": ["x", "y", "z"]}).to_csv(source, index=False)
    with pytest.raises(BatchError, match="in.csv: data row 2 has no review_id"):
        score_file(source, tmp_path / "out.csv", tiny, _heads())
    assert not list(tmp_path.glob("out.csv*"))
    with pytest.raises(BatchError, match="unknown input format"):
        score_file(tmp_path / "in.xlsx", tmp_path / "out.csv", tiny, _heads())
    with pytest.raises(BatchError, match="output must end in .csv or .parquet"):
        score_file(source, tmp_path / "out.json", tiny, _heads())


def test_an_input_with_a_header_and_no_rows_is_a_clear_error(tiny: CountingEncoder, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("review_id,text\n", encoding="utf-8")
    with pytest.raises(BatchError, match="in.csv: no rows to score"):
        score_file(source, tmp_path / "out.csv", tiny, _heads())
    assert not list(tmp_path.glob("out.csv*"))


def test_count_rows_counts_what_scoring_reads(tmp_path: Path) -> None:
    frame = pd.DataFrame({"review_id": ["a", "b", "c"], "text": ["one", 'two,\nlines "quoted"', ""]})
    frame.to_csv(tmp_path / "in.csv", index=False)
    frame.to_csv(tmp_path / "in.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "in.parquet")
    (tmp_path / "in.jsonl").write_text(frame.to_json(orient="records", lines=True) + "\n\n", encoding="utf-8")
    for suffix in ("csv", "tsv", "parquet", "jsonl"):
        assert count_rows(tmp_path / f"in.{suffix}") == 3, suffix
    (tmp_path / "head.csv").write_text("review_id,text\n", encoding="utf-8")
    assert count_rows(tmp_path / "head.csv") == 0
    assert count_rows(tmp_path / "absent.csv") is None
    assert count_rows(tmp_path / "in.xlsx") is None


def test_missing_heads_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReviewPulseError, match="no trained heads"):
        load_heads(tmp_path)


def _write_folder(folder: Path, name: str, encoder: str, head: str) -> None:
    folder.mkdir()
    rng = np.random.default_rng(2)
    k = 3 if head == "sentiment" else 5
    LinearHead(rng.normal(size=(k, 32)), rng.normal(size=k), np.zeros(32), np.ones(32)).save(
        folder / f"{head}.npz"
    )
    spec = {"version": f"{encoder}+{name}-abc", "encoder": encoder, "heads": [head]}
    (folder / "heads.json").write_text(json.dumps(spec), encoding="utf-8")


def test_head_folders_load_as_one_set_with_a_combined_version(tmp_path: Path) -> None:
    _write_folder(tmp_path / "a", "senti", "enc-1", "sentiment")
    _write_folder(tmp_path / "b", "stars", "enc-1", "stars")
    heads = load_heads(tmp_path / "a", tmp_path / "b")
    assert heads.version == "enc-1+senti-abc+stars-abc"
    assert heads_version(tmp_path / "a", tmp_path / "b") == heads.version  # from heads.json alone
    assert heads.columns == SentimentHead.columns + StarsHead.columns
    _write_folder(tmp_path / "c", "other", "enc-2", "stars")
    with pytest.raises(ReviewPulseError, match="different encoders"):
        load_heads(tmp_path / "a", tmp_path / "c")


def test_heads_setting_takes_several_folders() -> None:
    from pipeline.settings import DEFAULT_HEADS, Settings

    assert Settings.from_env({}).heads_dirs == DEFAULT_HEADS
    both = Settings.from_env(
        {"REVIEWPULSE_HEADS": os.pathsep.join(["/m/a", "/m/b"]), "REVIEWPULSE_INT8": "1"}
    )
    assert both.heads_dirs == (Path("/m/a"), Path("/m/b")) and both.int8


def _fake_kwargs(**weights: float) -> dict[str, Any]:
    """The shipped fake-signal config, some weights overridden (to test a mechanism, not the weights)."""
    from dataclasses import replace

    from pipeline.fake.signals import FakeConfig
    from pipeline.settings import Settings
    from pipeline.warehouse import sql_text

    settings = Settings.from_env({})
    config = FakeConfig.load(settings.fake_signals_path)
    config = replace(config, weights={**config.weights, **weights})
    return {"fakes": config, "sql": lambda name: sql_text(settings, name)}


def test_score_file_adds_behavioural_fake_scores_when_the_file_has_reviewers(
    tiny: CountingEncoder, tmp_path: Path
) -> None:
    rows = []
    for i in range(40):  # ordinary reviews spread over two months
        rows.append({"review_id": f"n{i}", "text": "the box was late and it broke", "product_id": f"p{i % 8}",
                     "reviewer_id": f"u{i}", "rating": 1 + i % 5, "verified_purchase": "true",
                     "review_date": f"2026-0{1 + i % 2}-{1 + i % 28:02d}"})  # fmt: skip
    for r in range(6):  # a ring: six accounts, the same three products, five stars, the same two days
        for p in range(3):
            rows.append({"review_id": f"ring{r}{p}", "text": "love it, great price, very good",
                         "product_id": f"p{p}", "reviewer_id": f"ring{r}", "rating": 5,
                         "verified_purchase": "false",
                         "review_date": f"2026-02-{10 + (r + p) % 2}"})  # fmt: skip
    source = tmp_path / "in.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    target = tmp_path / "out.csv"
    assert score_file(source, target, tiny, _heads(), **_fake_kwargs()).reviews == len(rows)
    got = pd.read_csv(target).set_index("review_id")
    assert set(FAKE_COLUMNS) <= set(got.columns) and list(got.columns[: len(OUTPUT_COLUMNS) - 1]) == list(
        OUTPUT_COLUMNS[1:]
    )
    ring = got.index.str.startswith("ring")
    assert got.loc[ring, "fake_probability"].min() > got.loc[~ring, "fake_probability"].max()
    assert got.loc[ring, "fake_reasons"].str.contains("accounts that").all()  # the dense block, in words
    assert got.loc[ring, "fake_reasons"].str.contains(r"\(\+0\.\d\d\)").all()


def test_score_file_gives_a_text_only_fake_score_without_reviewer_columns(
    tiny: CountingEncoder, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    pd.DataFrame(
        {"review_id": ["a", "b", "a"], "text": ["ok", "the box was late and it broke", "great"]}
    ).to_json(source, orient="records", lines=True)
    target = tmp_path / "out.parquet"
    assert score_file(source, target, tiny, _heads(), **_fake_kwargs(short_text=1.0)).reviews == 2
    got = pd.read_parquet(target).set_index("review_id")
    assert got["fake_probability"].between(0, 1).all()
    assert "very short text (1 word)" in got.loc["a", "fake_reasons"]  # the last "a" row: "great"
    assert got.loc["b", "fake_probability"] < got.loc["a", "fake_probability"]


def test_a_model_card_names_the_adapter_its_heads_json_records() -> None:
    """The card's encoder line follows heads.json's ``adapter`` (written by training from the adapter
    loaded), not a guess from other fields; every shipped adapted head folder records one."""
    from pipeline.scoring.encoder import adapter_label
    from pipeline.scoring.model_card import encoder_note
    from pipeline.settings import REPO_ROOT

    adapted, plain = "me5-x+lora-1234abcd", "me5-x"
    sentence = adapter_label(adapted, REPO_ROOT / "models" / "themes" / "sentence-adapter")
    assert sentence == "models/themes/sentence-adapter"
    assert "sentence adapter (`models/themes/sentence-adapter`)" in encoder_note(
        {"encoder": adapted, "adapter": sentence}
    )
    assert "`models/encoder-adapter` merged" in encoder_note(
        {"encoder": adapted, "adapter": adapter_label(adapted)}
    )
    assert "`/elsewhere/mine` merged" in encoder_note({"encoder": adapted, "adapter": "/elsewhere/mine"})
    assert "does not say which" in encoder_note({"encoder": adapted})
    assert adapter_label(plain, REPO_ROOT / "models" / "encoder-adapter") is None
    assert encoder_note({"encoder": plain}) == "frozen"
    for folder in ("sentiment-stars", "fake-text", "themes/sentence-sentiment"):
        spec = json.loads((REPO_ROOT / "models" / folder / "heads.json").read_text(encoding="utf-8"))
        assert spec["adapter"] and spec["adapter"] in spec["method"], folder
