"""Heads: small models on the shared sentence embedding, and the registry the engine feeds.

A head turns an embedding matrix ``[n, dim]`` (and, if it wants them, the texts behind it, for n-gram
features) into named output columns. Every registered head runs on the same single encoder pass. A
new head (fake-review text detectors, complaint themes) is a ``Head`` subclass and one ``register``
call (plus a ``HEAD_MODULES`` entry when it lives in its own module); its model folder is one more
entry in ``REVIEWPULSE_HEADS``; nothing else changes.

Heads are stored as plain arrays (``.npz``) plus JSON: no pickles, so shipped files are safe to load.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pipeline.errors import ReviewPulseError

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class LinearHead:
    """A multinomial logistic regression over the (standardised) embedding: the shipped form of a head."""

    coef: np.ndarray
    intercept: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        """The linear scores ``[n, classes]`` (one column for a binary head: its log-odds)."""
        return ((embeddings - self.mean) / self.scale) @ self.coef.T + self.intercept

    def proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Class probabilities ``[n, classes]``; a binary head (one column of log-odds) gives two columns,
        ``[p(0), p(1)]``, as scikit-learn's ``predict_proba`` does."""
        logits = self.logits(embeddings)
        if logits.shape[1] == 1:
            return softmax(np.hstack([np.zeros_like(logits), logits]))
        return softmax(logits)

    def save(self, path: Path) -> None:
        f32 = np.float32
        np.savez_compressed(
            path,
            coef=self.coef.astype(f32),
            intercept=self.intercept.astype(f32),
            mean=self.mean.astype(f32),
            scale=self.scale.astype(f32),
        )

    @classmethod
    def load(cls, path: Path) -> LinearHead:
        with np.load(path) as data:
            return cls(data["coef"], data["intercept"], data["mean"], data["scale"])


class Head:
    """Base class: a named head with a version and the output columns it adds."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]

    def __init__(self, model: LinearHead, version: str) -> None:
        self.model, self.version = model, version

    @classmethod
    def load(cls, folder: Path, version: str) -> Head:
        """The head stored as ``<folder>/<name>.npz``; heads with more files override this."""
        return cls(LinearHead.load(folder / f"{cls.name}.npz"), version)

    def predict(self, embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Output columns for ``embeddings[i]``, the embedding of ``texts[i]``."""
        raise NotImplementedError


class SentimentHead(Head):
    """negative / neutral / positive with their probabilities."""

    name = "sentiment"
    columns = ("sentiment", "p_negative", "p_neutral", "p_positive")

    def predict(self, embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        p = self.model.proba(embeddings)
        return {
            "sentiment": np.array(SENTIMENT_LABELS, dtype=object)[p.argmax(axis=1)],
            "p_negative": p[:, 0], "p_neutral": p[:, 1], "p_positive": p[:, 2],
        }  # fmt: skip


class StarsHead(Head):
    """A star estimate from 1.0 to 5.0: the expected star under the 5-class distribution."""

    name = "stars"
    columns = ("stars_pred", "stars_class")

    def predict(self, embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        p = self.model.proba(embeddings)
        return {"stars_pred": p @ np.arange(1, 6, dtype=np.float64), "stars_class": p.argmax(axis=1) + 1}


HEAD_TYPES: dict[str, type[Head]] = {}


def register(head_type: type[Head]) -> type[Head]:
    """Make a head type loadable by name from a model folder."""
    HEAD_TYPES[head_type.name] = head_type
    return head_type


register(SentimentHead)
register(StarsHead)

# Head types defined in their own modules (which import this one), imported when a folder names them.
HEAD_MODULES = {"deceptive": "pipeline.scoring.fake_text", "generated": "pipeline.scoring.fake_text"}


@dataclass
class HeadSet:
    """The heads of one shipped model folder, run together on one embedding matrix."""

    heads: list[Head]
    version: str
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for head in self.heads:
            out.update(head.predict(embeddings, texts))
        return out

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for head in self.heads for c in head.columns)

    def require_encoder(self, encoder_version: str, what: str) -> None:
        """Refuse to run on embeddings of another encoder than the heads were trained on (an int8 run
        of that encoder is allowed: it is measured as the same model, quantised)."""
        trained_on = self.meta.get("encoder")
        if trained_on and trained_on != encoder_version.removesuffix("-int8"):
            raise ReviewPulseError(
                f"{what} were trained on encoder {trained_on}, but the encoder in use is {encoder_version}: "
                "retrain them (reviewpulse train) or set REVIEWPULSE_ENCODER / REVIEWPULSE_ENCODER_ADAPTER "
                "to the encoder they were trained on"
            )


def read_spec(folder: Path) -> dict[str, Any]:
    """A model folder's ``heads.json``."""
    spec_path = Path(folder) / "heads.json"
    if not spec_path.exists():
        raise ReviewPulseError(f"no trained heads at {folder} (run `reviewpulse train`)")
    return dict(json.loads(spec_path.read_text(encoding="utf-8")))


def _combined(specs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The version and meta of several folders' heads run as one set (they must share their encoder).

    Each folder's version reads ``<encoder>+<name>-<hash>``; the set's version is the encoder followed
    by every folder's part, so adding or retraining any head gives a new model version.
    """
    if not specs:
        raise ReviewPulseError("no head folders configured (REVIEWPULSE_HEADS is empty)")
    encoders = {s.get("encoder") for s in specs}
    if len(encoders) > 1:
        raise ReviewPulseError(
            f"head folders were trained on different encoders: {sorted(map(str, encoders))}"
        )
    if len(specs) == 1:
        return str(specs[0]["version"]), specs[0]
    encoder = specs[0]["encoder"]
    parts = [str(s["version"]).removeprefix(f"{encoder}+") for s in specs]
    return "+".join([encoder, *parts]), {"encoder": encoder, "folders": specs}


def heads_version(*folders: Path) -> str:
    """The model version ``load_heads(*folders)`` would have, from the ``heads.json`` files alone."""
    return _combined([read_spec(f) for f in folders])[0]


def load_heads(*folders: Path) -> HeadSet:
    """The heads of one or more model folders as one set, run on one pass of their shared encoder."""
    specs = [read_spec(f) for f in folders]
    version, meta = _combined(specs)
    heads = []
    for folder, spec in zip(folders, specs, strict=True):
        for name in spec["heads"]:
            if name not in HEAD_TYPES and name in HEAD_MODULES:
                importlib.import_module(HEAD_MODULES[name])  # registers its head types
            if name not in HEAD_TYPES:
                raise ReviewPulseError(f"{folder}: unknown head type {name!r}")
            heads.append(HEAD_TYPES[name].load(Path(folder), spec["version"]))
    return HeadSet(heads=heads, version=version, meta=meta)
