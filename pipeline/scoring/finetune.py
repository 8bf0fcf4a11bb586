"""Multi-task LoRA fine-tuning of the shared encoder (the ``encoder-adapter`` model).

Why: with the encoder frozen, linear heads on its embedding stay below the star and fake-text targets
(see the model cards). Fine-tuning the whole encoder would ship ~470 MB; a LoRA adapter on every
attention and feed-forward layer ships a few MB and is merged into the weights at load (``adapter.py``),
so scoring speed and the one-encoder-pass design are unchanged.

Tasks: every labelled column of the training rows is a task (sentiment 3 classes, stars 5, deceptive
2, generated 2). Each has a linear head on the same L2-normalised mean-pooled embedding the scoring
engine gives the shipped heads, times a fixed temperature. A row labels some tasks (-1 elsewhere); the
loss is the sum over tasks of the cross-entropy over the batch's labelled rows. Only train-split rows
train; the dev split picks the best epoch. The task heads are then dropped: the shipped heads are
refitted on the adapted embeddings by their ordinary training, so they stay logistic regressions with
their regularisation chosen on dev, and nothing tuned here touches a test split.

Runs on any torch device: a CPU takes hours for the full mixture, a GPU minutes (bf16 autocast).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.scoring.adapter import add_lora, lora_tensors
from pipeline.scoring.tokens import head_tail


@dataclass(frozen=True)
class FinetuneConfig:
    rank: int = 16
    """LoRA rank; 0 fine-tunes the transformer layers' own weights (~85 MB: measured, never shipped)."""
    alpha: float = 32.0
    dropout: float = 0.1
    lr: float = 7e-4
    head_lr: float = 5e-3
    epochs: int = 5
    batch_size: int = 64
    max_tokens: int = 256
    """Training cuts texts to this many tokens (head + tail) for speed; scoring keeps 512."""
    warmup: float = 0.06
    weight_decay: float = 0.01
    temperature: float = 20.0
    seed: int = 13
    task_weights: str = ""
    """Loss weight per task, ``"stars=2,generated=1.5"``; a task not named weighs 1."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def weights(self, tasks: Sequence[str]) -> list[float]:
        """The loss weight of each of ``tasks`` (see ``task_weights``). A name no task has, a negative or
        non-numeric weight, or weights that train no task at all are a ``ValueError``."""
        pairs = [item.split("=", 1) for item in self.task_weights.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"task_weights must read name=weight,…; got {self.task_weights!r}")
        try:
            given = {name.strip(): float(value) for name, value in pairs}
        except ValueError:
            raise ValueError(f"task_weights must give numbers; got {self.task_weights!r}") from None
        unknown = sorted(set(given) - set(tasks))
        if unknown:
            raise ValueError(f"task_weights names no task {unknown}; the tasks are {list(tasks)}")
        out = [given.get(task, 1.0) for task in tasks]
        if not all(w >= 0 for w in out) or not any(w > 0 for w in out):
            raise ValueError(f"task_weights must be 0 or more, one above 0; got {self.task_weights!r}")
        return out


@dataclass(frozen=True)
class Task:
    """One classification task: a label per row, -1 where the row has none."""

    name: str
    labels: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.labels.max()) + 1


def cut(ids: Sequence[int], max_tokens: int) -> list[int]:
    """Token ids (with their first and last special token) cut to ``max_tokens`` by head + tail."""
    ids = list(ids)
    if len(ids) <= max_tokens:
        return ids
    return [ids[0], *head_tail(ids[1:-1], max_tokens - 2), ids[-1]]


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Positions into ``lengths`` in batches of similar length (less padding), batches in random order."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def pad_batch(token_ids: Sequence[Sequence[int]], rows: Sequence[int] | np.ndarray, pad_id: int,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """``input_ids`` and ``attention_mask`` for ``rows``, right-padded to the longest."""
    width = max(len(token_ids[i]) for i in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, i in enumerate(rows):
        ids[j, : len(token_ids[i])] = torch.as_tensor(token_ids[i])
        mask[j, : len(token_ids[i])] = 1
    return ids.to(device), mask.to(device)


def pooled(model: Any, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over all tokens (specials included), L2-normalised: what ``Encoder.embed_ids`` computes."""
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return F.normalize(((hidden * weights).sum(1) / weights.sum(1)).float(), dim=-1)


def embed(model: Any, token_ids: Sequence[Sequence[int]], device: torch.device,
          pad_id: int, batch_size: int = 128) -> np.ndarray:  # fmt: skip
    """Embeddings of every text, batched by length, in input order (float32)."""
    model.eval()
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    out = np.zeros((len(token_ids), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids, mask = pad_batch(token_ids, rows, pad_id, device)
            out[rows] = pooled(model, ids, mask).cpu().numpy()
    return out


def _layer(name: str) -> bool:
    """A weight of the transformer layers (not the embeddings): what ``rank`` 0 trains and returns."""
    return name.startswith("encoder.")


def trained_tensors(model: Any, config: FinetuneConfig) -> dict[str, torch.Tensor]:
    """What training changed, on the CPU: the LoRA matrices, or (``rank`` 0) the transformer layers."""
    if config.rank > 0:
        return lora_tensors(model)
    return {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items() if _layer(k)}


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _dev_accuracy(model: Any, heads: torch.nn.ModuleDict, token_ids: list[list[int]],
                  labels: np.ndarray, rows: np.ndarray, tasks: Sequence[Task], config: FinetuneConfig,
                  device: torch.device, pad_id: int) -> dict[str, float]:  # fmt: skip
    z = torch.as_tensor(embed(model, [token_ids[i] for i in rows], device, pad_id)).to(device)
    out = {}
    with torch.inference_mode():
        for j, task in enumerate(tasks):
            has = labels[rows, j] >= 0
            if has.any():
                predicted = heads[task.name](z[torch.as_tensor(has, device=device)] * config.temperature)
                truth = torch.as_tensor(labels[rows, j][has], device=device)
                out[task.name] = float((predicted.argmax(1) == truth).float().mean())
    return out


def finetune(
    model: Any,
    token_ids: Sequence[Sequence[int]],
    tasks: Sequence[Task],
    split: np.ndarray,
    config: FinetuneConfig,
    device: torch.device,
    pad_id: int,
    log: Callable[[str], None] = print,
    on_best: Callable[[dict[str, torch.Tensor], list[dict[str, float]]], None] | None = None,
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]]]:
    """Train a LoRA adapter into ``model`` (wrapped in place) on the train rows of ``tasks``; at ``rank``
    0, train the transformer layers' own weights instead (``trained_tensors``).

    Returns the adapter of the epoch with the best mean dev accuracy over the tasks, and per-epoch
    history (train loss, dev accuracy per task). ``on_best`` sees each new best (to checkpoint it).
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    ids = [cut(t, config.max_tokens) for t in token_ids]
    labels = np.stack([t.labels.astype(np.int64) for t in tasks], axis=1)
    labelled = (labels >= 0).any(axis=1)
    train_rows = np.flatnonzero(labelled & (split == "train"))
    dev_rows = np.flatnonzero(labelled & (split == "dev"))
    weights = config.weights([t.name for t in tasks])
    chosen_on = [j for j, w in enumerate(weights) if w > 0 and (labels[dev_rows, j] >= 0).any()]
    if not chosen_on:
        raise ValueError("no dev row labels a task that trains: the best epoch could not be chosen")
    if config.rank > 0:
        add_lora(model, config.rank, config.alpha, config.dropout)
    else:  # every weight of the transformer layers trains: a ceiling to compare LoRA with, never shipped
        for name, p in model.named_parameters():
            p.requires_grad_(_layer(name))
    model.to(device)
    dim = int(model.config.hidden_size)
    heads = torch.nn.ModuleDict({t.name: torch.nn.Linear(dim, t.n_classes) for t in tasks}).to(device)
    optimiser = torch.optim.AdamW(
        [{"params": [p for p in model.parameters() if p.requires_grad], "lr": config.lr},
         {"params": list(heads.parameters()), "lr": config.head_lr}],
        weight_decay=config.weight_decay,
    )  # fmt: skip
    steps = config.epochs * math.ceil(len(train_rows) / config.batch_size)
    warm = max(1, int(steps * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    lengths = np.array([len(t) for t in ids])
    all_labels = torch.as_tensor(labels)
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    history = []
    for epoch in range(config.epochs):
        model.train()
        heads.train()
        started, losses = time.perf_counter(), []
        for batch in length_batches(lengths[train_rows], config.batch_size, rng):
            rows = train_rows[batch]
            input_ids, mask = pad_batch(ids, rows, pad_id, device)
            y = all_labels[rows].to(device)
            with _autocast(device):
                z = pooled(model, input_ids, mask) * config.temperature
            loss = torch.zeros((), device=device)
            for j, task in enumerate(tasks):
                has = y[:, j] >= 0
                if bool(has.any()):
                    loss = loss + weights[j] * F.cross_entropy(heads[task.name](z[has]), y[has, j])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in optimiser.param_groups for p in g["params"]], 1.0)
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
        dev = _dev_accuracy(model, heads, ids, labels, dev_rows, tasks, config, device, pad_id)
        score = float(np.mean([dev[tasks[j].name] for j in chosen_on]))  # the tasks that train
        seconds = time.perf_counter() - started
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "dev_mean": score,
                        "seconds": seconds, **{f"dev_{k}": v for k, v in dev.items()}})  # fmt: skip
        dev_text = ", ".join(f"{k} {v:.4f}" for k, v in dev.items())
        log(
            f"epoch {epoch + 1}/{config.epochs}: loss {np.mean(losses):.4f}, dev {dev_text} ({seconds:.0f} s)"
        )
        if best is None or score > best[0]:
            best = (score, trained_tensors(model, config))
            if on_best is not None:
                on_best(best[1], history)
    assert best is not None
    return best[1], history
