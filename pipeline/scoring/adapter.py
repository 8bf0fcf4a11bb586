"""A LoRA adapter for the shared encoder: trained by ``finetune.py``, merged into the weights at load.

LoRA (Hu et al. 2021) learns, for each adapted linear layer ``W``, two small matrices ``A`` [r, in] and
``B`` [out, r]; the layer computes ``W x + (alpha / r) B A x``. At load the product is added to ``W``
once, so the adapted encoder costs exactly what the plain one costs and every head still shares one
encoder pass. Only the adapter ships (a few MB), never the encoder's weights.

Folder: ``adapter.safetensors`` (``<module>.lora_A`` / ``<module>.lora_B`` per adapted layer) and
``adapter.json`` (rank, alpha, the base encoder version it was trained on, how it was trained).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import torch

from pipeline.errors import ReviewPulseError

ADAPTER_FILE = "adapter.safetensors"
ADAPTER_SPEC = "adapter.json"
TARGETS = (
    "attention.self.query", "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense",
)  # fmt: skip
_TARGET = re.compile(r"^(?:.*\.)?encoder\.layer\.\d+\.(?:" + "|".join(map(re.escape, TARGETS)) + r")$")


class LoraLinear(torch.nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update ``(alpha / r) B A``."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        self.scaling = alpha / rank
        self.dropout = torch.nn.Dropout(dropout)
        self.lora_A = torch.nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))  # starts as a no-op
        torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = self.dropout(x) @ self.lora_A.t().to(x.dtype) @ self.lora_B.t().to(x.dtype)
        return self.base(x) + update * self.scaling


def target_names(model: torch.nn.Module) -> list[str]:
    """Names of the linear layers LoRA adapts: attention q/k/v/output and both feed-forward layers."""
    return [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and _TARGET.match(n)]


def add_lora(model: torch.nn.Module, rank: int, alpha: float, dropout: float = 0.0) -> list[str]:
    """Freeze ``model`` and wrap every target layer in a ``LoraLinear``; returns the wrapped names."""
    for p in model.parameters():
        p.requires_grad_(False)
    names = target_names(model)
    if not names:
        raise ReviewPulseError("no BERT-style encoder layers to adapt in this model")
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        base = getattr(parent, child)
        wrapped = LoraLinear(base, rank, alpha, dropout).to(base.weight.device)
        setattr(parent, child, wrapped)
    return names


def lora_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The trained ``lora_A`` / ``lora_B`` of every wrapped layer, on the CPU in float32."""
    out = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLinear):
            out[f"{name}.lora_A"] = module.lora_A.detach().float().cpu().clone()
            out[f"{name}.lora_B"] = module.lora_B.detach().float().cpu().clone()
    return out


def merge(model: torch.nn.Module, tensors: dict[str, torch.Tensor], scaling: float) -> int:
    """Add ``scaling * B @ A`` to each plain linear layer the tensors name; returns how many changed.

    Names may carry a prefix the model lacks (an adapter trained inside a wrapper): the part from
    ``encoder.layer`` on is what must match.
    """
    modules = {n[n.find("encoder.layer") :]: m for n, m in model.named_modules() if "encoder.layer" in n}
    merged = 0
    for key in sorted(k for k in tensors if k.endswith(".lora_A")):
        name = key[: -len(".lora_A")]
        target = modules.get(name[name.find("encoder.layer") :])
        if not isinstance(target, torch.nn.Linear):
            raise ReviewPulseError(f"the adapter names {name}, which this encoder has no linear layer for")
        delta = scaling * (tensors[f"{name}.lora_B"].float() @ tensors[key].float())
        if tuple(delta.shape) != tuple(target.weight.shape):
            raise ReviewPulseError(
                f"adapter layer {name} is {tuple(delta.shape)}, the encoder's is {tuple(target.weight.shape)}"
            )
        with torch.no_grad():
            target.weight += delta.to(device=target.weight.device, dtype=target.weight.dtype)
        merged += 1
    return merged


def save_adapter(folder: Path, tensors: dict[str, torch.Tensor], spec: dict[str, Any]) -> Path:
    """Write the adapter folder (weights as float16 safetensors, the spec as JSON)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.to(torch.float16).contiguous() for k, v in tensors.items()}, str(folder / ADAPTER_FILE))
    (folder / ADAPTER_SPEC).write_text(json.dumps(spec, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def adapter_digest(folder: Path) -> str:
    """Eight hex digits of the weights file's sha256, for model versions."""
    return hashlib.sha256((folder / ADAPTER_FILE).read_bytes()).hexdigest()[:8]


def load_adapter(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The adapter's tensors and spec; a missing or partial folder is a clear error."""
    from safetensors.torch import load_file

    weights, spec_path = folder / ADAPTER_FILE, folder / ADAPTER_SPEC
    if not weights.exists() or not spec_path.exists():
        raise ReviewPulseError(
            f"{folder} is not an encoder adapter (needs {ADAPTER_FILE} and {ADAPTER_SPEC})"
        )
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    return {k: v.float() for k, v in load_file(str(weights)).items()}, spec


def apply_adapter(model: torch.nn.Module, folder: Path) -> dict[str, Any]:
    """Merge the adapter in ``folder`` into ``model``; returns its spec."""
    tensors, spec = load_adapter(folder)
    merged = merge(model, tensors, float(spec["alpha"]) / float(spec["rank"]))
    if merged != len(tensors) // 2:
        raise ReviewPulseError(f"{folder}: merged {merged} of {len(tensors) // 2} adapted layers")
    return spec
