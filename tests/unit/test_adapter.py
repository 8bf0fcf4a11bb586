"""The LoRA adapter and its fine-tuning, on a tiny BERT built here: wrapping, merging, files, versions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.errors import ReviewPulseError
from pipeline.scoring.adapter import (
    LoraLinear,
    adapter_digest,
    add_lora,
    lora_tensors,
    merge,
    save_adapter,
    target_names,
)
from pipeline.scoring.encoder import with_adapter
from pipeline.scoring.finetune import FinetuneConfig, Task, cut, embed, finetune, length_batches
from pipeline.settings import DEFAULT_ENCODER_ADAPTER, Settings

VOCAB = 24
PAD = 1


def tiny_bert(seed: int = 0) -> torch.nn.Module:
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=PAD)  # fmt: skip
    return BertModel(config, add_pooling_layer=False).eval()


def outputs(model: torch.nn.Module, ids: list[list[int]]) -> np.ndarray:
    return embed(model, ids, torch.device("cpu"), PAD)


IDS = [[0, 5, 6, 7, 2], [0, 9, 2], [0, 11, 12, 13, 14, 15, 2]]


def randomise(model: torch.nn.Module) -> None:
    """Give every LoRA update a non-zero B, as training would."""
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, LoraLinear):
            module.lora_B.data = torch.randn(module.lora_B.shape, generator=generator) * 0.2


def test_lora_wraps_every_attention_and_feed_forward_layer_and_trains_only_itself() -> None:
    model = tiny_bert()
    names = add_lora(model, rank=4, alpha=8)
    assert len(names) == 2 * 6
    assert target_names(tiny_bert()) == names
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("lora_A", "lora_B")) for n in trainable)


def test_lora_starts_as_a_no_op_and_merging_gives_the_wrapped_model() -> None:
    base = tiny_bert()
    wrapped = copy.deepcopy(base)
    add_lora(wrapped, rank=4, alpha=8)
    np.testing.assert_allclose(outputs(wrapped, IDS), outputs(base, IDS), atol=1e-6)
    randomise(wrapped)
    adapted = outputs(wrapped, IDS)
    assert np.abs(adapted - outputs(base, IDS)).max() > 1e-2  # the update matters
    merged = copy.deepcopy(base)
    assert merge(merged, lora_tensors(wrapped), scaling=8 / 4) == 12
    np.testing.assert_allclose(outputs(merged, IDS), adapted, atol=1e-5)


def test_merge_refuses_an_adapter_for_another_model() -> None:
    wrapped = tiny_bert()
    add_lora(wrapped, rank=4, alpha=8)
    tensors = lora_tensors(wrapped)
    renamed = {k.replace("encoder.layer.1.", "encoder.layer.7."): v for k, v in tensors.items()}
    with pytest.raises(ReviewPulseError, match="no linear layer"):
        merge(tiny_bert(), renamed, 2.0)
    wrong = dict(tensors)
    wrong["encoder.layer.0.attention.self.query.lora_B"] = torch.zeros(16, 4)
    with pytest.raises(ReviewPulseError, match="is \\(16, 32\\)"):
        merge(tiny_bert(), wrong, 2.0)


def _saved(tmp_path: Path, base_version: str) -> tuple[Path, np.ndarray]:
    wrapped = tiny_bert()
    add_lora(wrapped, rank=4, alpha=8)
    randomise(wrapped)
    folder = save_adapter(tmp_path / "adapter", lora_tensors(wrapped), {"base_encoder": base_version,
                                                                        "rank": 4, "alpha": 8})  # fmt: skip
    return folder, outputs(wrapped, IDS)


def test_with_adapter_merges_a_matching_adapter_and_names_it_in_the_version(tmp_path: Path) -> None:
    folder, adapted = _saved(tmp_path, "tiny-v1")
    model = tiny_bert()
    version = with_adapter(model, "tiny-v1", folder)
    assert version == f"tiny-v1+lora-{adapter_digest(folder)}"
    np.testing.assert_allclose(outputs(model, IDS), adapted, atol=2e-3)  # weights stored as float16
    assert with_adapter(tiny_bert(), "tiny-v1", None) == "tiny-v1"


def test_an_adapter_for_another_encoder_is_an_error_unless_it_is_the_shipped_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = _saved(tmp_path, "other-encoder")
    model = tiny_bert()
    before = outputs(model, IDS)
    with pytest.raises(ReviewPulseError, match="trained on other-encoder.*REVIEWPULSE_ENCODER_ADAPTER=none"):
        with_adapter(model, "tiny-v1", folder)
    monkeypatch.setattr("pipeline.settings.DEFAULT_ENCODER_ADAPTER", folder)
    assert with_adapter(model, "tiny-v1", folder) == "tiny-v1"  # e.g. REVIEWPULSE_ENCODER=<hub id>
    np.testing.assert_array_equal(outputs(model, IDS), before)


def test_a_partial_adapter_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder, _ = _saved(tmp_path, "tiny-v1")
    (folder / "adapter.safetensors").unlink()
    with pytest.raises(ReviewPulseError, match="not an encoder adapter"):
        with_adapter(tiny_bert(), "tiny-v1", folder)
    (folder / "adapter.json").unlink()
    with pytest.raises(ReviewPulseError, match="not an encoder adapter: adapter.json is missing"):
        with_adapter(tiny_bert(), "tiny-v1", folder)


def test_adapter_setting() -> None:
    assert Settings.from_env({}).encoder_adapter == DEFAULT_ENCODER_ADAPTER
    assert Settings.from_env({"REVIEWPULSE_ENCODER_ADAPTER": "none"}).encoder_adapter is None
    assert Settings.from_env({"REVIEWPULSE_ENCODER_ADAPTER": "/x/a"}).encoder_adapter == Path("/x/a")


def test_cut_keeps_the_special_tokens_and_head_and_tail() -> None:
    ids = [0, *range(100, 120), 2]
    out = cut(ids, 10)
    assert out == [0, 100, 101, 102, 103, 104, 105, 118, 119, 2]
    assert cut(ids[:5], 10) == ids[:5]


def test_length_batches_cover_every_row_once() -> None:
    lengths = np.random.default_rng(0).integers(3, 50, size=203)
    batches = length_batches(lengths, 16, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(203))
    assert max(len(b) for b in batches) == 16


def _toy_rows(n: int, seed: int) -> tuple[list[list[int]], np.ndarray]:
    """Sequences of tokens 5..20; the label says whether token 7 comes before token 8 (order matters)."""
    rng = np.random.default_rng(seed)
    ids, labels = [], []
    for _ in range(n):
        body = rng.choice(np.arange(9, 21), size=int(rng.integers(3, 8))).tolist()
        first, second = (7, 8) if rng.random() < 0.5 else (8, 7)
        at = sorted(rng.choice(len(body) + 1, size=2, replace=False).tolist())
        body.insert(at[0], first)
        body.insert(at[1] + 1, second)
        ids.append([0, *body, 2])
        labels.append(int(first == 7))
    return ids, np.array(labels)


def test_finetune_learns_a_task_the_frozen_encoder_cannot_separate() -> None:
    """Which of two tokens comes first barely shows in a random encoder's mean-pooled embedding; the
    adapter must learn it. The dev accuracy, the training loss and the returned adapter all show it."""
    ids, labels = _toy_rows(600, seed=3)
    split = np.where(np.arange(600) < 450, "train", "dev")
    config = FinetuneConfig(rank=8, alpha=16, dropout=0.0, lr=1e-2, head_lr=3e-2, epochs=8, batch_size=32,
                            max_tokens=16, temperature=10.0)  # fmt: skip
    model = tiny_bert()
    tensors, history = finetune(model, ids, [Task("order", labels)], split, config, torch.device("cpu"),
                                PAD, log=lambda _: None)  # fmt: skip
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert max(h["dev_order"] for h in history) >= 0.9
    assert all(float(t.abs().max()) > 0 for k, t in tensors.items() if k.endswith("lora_B"))
    frozen = outputs(tiny_bert(), ids)
    from sklearn.linear_model import LogisticRegression

    probe = LogisticRegression(max_iter=2000).fit(frozen[:450], labels[:450])
    assert probe.score(frozen[450:], labels[450:]) < 0.8  # the task needs the adapter
    merged = tiny_bert()
    merge(merged, tensors, config.alpha / config.rank)
    adapted = outputs(merged, ids)
    probe = LogisticRegression(max_iter=2000).fit(adapted[:450], labels[:450])
    assert probe.score(adapted[450:], labels[450:]) >= 0.9  # and the merged encoder carries it


def test_rank_zero_fine_tunes_the_layers_themselves_and_leaves_the_embeddings() -> None:
    """``rank=0`` (the ceiling LoRA is measured against) trains the transformer layers' own weights: the
    returned tensors are those layers, loading them into a fresh model carries the task, and the token
    embeddings never train."""
    ids, labels = _toy_rows(600, seed=3)
    split = np.where(np.arange(600) < 450, "train", "dev")
    config = FinetuneConfig(rank=0, lr=3e-3, head_lr=3e-2, epochs=8, batch_size=32, max_tokens=16,
                            temperature=10.0)  # fmt: skip
    model = tiny_bert()
    tensors, history = finetune(model, ids, [Task("order", labels)], split, config, torch.device("cpu"),
                                PAD, log=lambda _: None)  # fmt: skip
    assert tensors and all(k.startswith("encoder.layer.") for k in tensors)
    assert not any(isinstance(m, LoraLinear) for m in model.modules())
    fresh = tiny_bert()
    assert torch.equal(model.embeddings.word_embeddings.weight, fresh.embeddings.word_embeddings.weight)
    assert fresh.load_state_dict(tensors, strict=False).unexpected_keys == []
    from sklearn.linear_model import LogisticRegression

    # the frozen encoder's probe stays below 0.8 (test above: 0.56); the trained layers carry the task
    trained = outputs(fresh, ids)
    assert (
        LogisticRegression(max_iter=2000).fit(trained[:450], labels[:450]).score(trained[450:], labels[450:])
        >= 0.8
    )
    assert max(h["dev_order"] for h in history) >= 0.8


def test_task_weights_scale_each_task_and_a_zero_weight_trains_nothing() -> None:
    config = FinetuneConfig(task_weights="stars=2, generated=0.5")
    assert config.weights(["stars", "generated", "sentiment"]) == [2.0, 0.5, 1.0]
    tasks = ["stars", "generated"]
    for bad, why in (("stars:2", "name=weight"), ("star=0", "names no task"), ("stars=-1", "0 or more"),
                     ("stars=0,generated=0", "one above 0"), ("stars=two", "numbers")):  # fmt: skip
        with pytest.raises(ValueError, match=why):
            FinetuneConfig(task_weights=bad).weights(tasks)
    ids, labels = _toy_rows(200, seed=4)
    split = np.where(np.arange(200) < 150, "train", "dev")
    silent = FinetuneConfig(rank=4, alpha=8, dropout=0.0, lr=1e-2, epochs=1, batch_size=32, max_tokens=16,
                            task_weights="order=0")  # fmt: skip
    # "order" weighs nothing; "other" labels only dev rows, so it picks the epoch and trains nothing either
    tasks = [Task("order", labels), Task("other", np.where(split == "dev", labels, -1))]
    tensors, history = finetune(tiny_bert(), ids, tasks, split, silent, torch.device("cpu"), PAD,
                                log=lambda _: None)  # fmt: skip
    assert history[0]["train_loss"] == 0.0
    assert all(float(t.abs().max()) == 0 for k, t in tensors.items() if k.endswith("lora_B"))
    unchosen = [Task("order", np.where(split == "dev", -1, labels))]  # no dev label: no epoch can be chosen
    with pytest.raises(ValueError, match="no dev row labels a task that trains"):
        finetune(
            tiny_bert(), ids, unchosen, split, FinetuneConfig(rank=4, epochs=1), torch.device("cpu"), PAD
        )


def test_run_pack_refuses_an_unknown_measure_before_reading_anything(tmp_path: Path) -> None:
    from pipeline.scoring.finetune_pack import run_pack

    with pytest.raises(ValueError, match="both, adapted or none"):
        run_pack(tmp_path / "no-pack", tmp_path / "out", measure="yes")
    assert not (tmp_path / "out").exists()


def test_adapter_spec_is_json(tmp_path: Path) -> None:
    folder, _ = _saved(tmp_path, "tiny-v1")
    assert json.loads((folder / "adapter.json").read_text())["rank"] == 4
