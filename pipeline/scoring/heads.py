"""Heads: small models on the shared sentence embedding, and the registry the engine feeds.

A head turns an embedding matrix ``[n, dim]`` into named output columns. Every registered head runs on
the same single encoder pass. A later head (fake-review text detector, complaint themes) is a new
``Head`` subclass and one ``register`` call; nothing else changes.

Heads are stored as plain arrays (``.npz``) plus JSON: no pickles, so shipped files are safe to load.
"""

from __future__ import annotations

import json
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

    def proba(self, embeddings: np.ndarray) -> np.ndarray:
        z = (embeddings - self.mean) / self.scale
        return softmax(z @ self.coef.T + self.intercept)

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

    def predict(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError


class SentimentHead(Head):
    """negative / neutral / positive with their probabilities."""

    name = "sentiment"
    columns = ("sentiment", "p_negative", "p_neutral", "p_positive")

    def predict(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        p = self.model.proba(embeddings)
        return {
            "sentiment": np.array(SENTIMENT_LABELS, dtype=object)[p.argmax(axis=1)],
            "p_negative": p[:, 0], "p_neutral": p[:, 1], "p_positive": p[:, 2],
        }  # fmt: skip


class StarsHead(Head):
    """A star estimate from 1.0 to 5.0: the expected star under the 5-class distribution."""

    name = "stars"
    columns = ("stars_pred", "stars_class")

    def predict(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        p = self.model.proba(embeddings)
        return {"stars_pred": p @ np.arange(1, 6, dtype=np.float64), "stars_class": p.argmax(axis=1) + 1}


HEAD_TYPES: dict[str, type[Head]] = {}


def register(head_type: type[Head]) -> type[Head]:
    """Make a head type loadable by name from a model folder."""
    HEAD_TYPES[head_type.name] = head_type
    return head_type


register(SentimentHead)
register(StarsHead)


@dataclass
class HeadSet:
    """The heads of one shipped model folder, run together on one embedding matrix."""

    heads: list[Head]
    version: str
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for head in self.heads:
            out.update(head.predict(embeddings))
        return out

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for head in self.heads for c in head.columns)


def load_heads(folder: Path) -> HeadSet:
    """Load ``heads.json`` and each head's ``<name>.npz`` from a model folder."""
    spec_path = folder / "heads.json"
    if not spec_path.exists():
        raise ReviewPulseError(f"no trained heads at {folder} (run `reviewpulse train`)")
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    heads = []
    for name in spec["heads"]:
        if name not in HEAD_TYPES:
            raise ReviewPulseError(f"{folder}: unknown head type {name!r}")
        heads.append(HEAD_TYPES[name](LinearHead.load(folder / f"{name}.npz"), spec["version"]))
    return HeadSet(heads=heads, version=spec["version"], meta=spec)
