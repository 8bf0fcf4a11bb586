"""Fake-review text detectors as heads on the shared encoder pass: ``deceptive`` and ``generated``.

Each detector reads a review two ways: a logistic regression on the sentence embedding (the frozen
multilingual encoder every head shares) and an n-gram logistic regression on the text itself
(``ngram.py``). A small logistic regression over the two log-odds (stacking, fitted on out-of-fold
predictions) gives the probability. Files per detector, no pickles:

* ``<name>.npz``: the embedding probe (``LinearHead`` arrays: ``coef [1, dim]``, ``intercept``,
  ``mean``, ``scale``) and ``stack`` = ``[w_embedding, w_ngram, bias]``;
* ``<name>-ngram.npz``: the n-gram model.

Training lives in ``train_fake.py``; these heads only load and predict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.scoring.heads import Head, LinearHead, register
from pipeline.scoring.ngram import NgramModel, sigmoid


@dataclass
class FakeTextDetector:
    """A binary detector: embedding probe + n-gram model, stacked. ``proba`` is P(fake)."""

    embedding: LinearHead
    ngram: NgramModel
    stack: np.ndarray  # [w_embedding, w_ngram, bias]

    def logits(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """The two base log-odds per text, ``[n, 2]``: embedding probe, n-gram model."""
        return np.column_stack([self.embedding.logits(embeddings)[:, 0], self.ngram.logit(texts)]).astype(
            np.float64
        )

    def proba(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != len(embeddings):
            raise ValueError(f"{len(embeddings)} embeddings for {len(texts)} texts")
        w = self.stack.astype(np.float64)
        return sigmoid(self.logits(embeddings, texts) @ w[:2] + w[2])

    def save(self, folder: Path, name: str) -> None:
        f32 = np.float32
        np.savez_compressed(
            folder / f"{name}.npz",
            coef=self.embedding.coef.astype(f32),
            intercept=self.embedding.intercept.astype(f32),
            mean=self.embedding.mean.astype(f32),
            scale=self.embedding.scale.astype(f32),
            stack=self.stack.astype(np.float64),
        )
        self.ngram.save(folder / f"{name}-ngram.npz")

    @classmethod
    def load(cls, folder: Path, name: str) -> FakeTextDetector:
        path = folder / f"{name}.npz"
        with np.load(path, allow_pickle=False) as data:
            stack = data["stack"].astype(np.float64)
        return cls(LinearHead.load(path), NgramModel.load(folder / f"{name}-ngram.npz"), stack)

    def digest_bytes(self) -> bytes:
        """The detector's contents as bytes, for the model version hash."""
        e = self.embedding
        arrays = (e.coef, e.intercept, e.mean, e.scale)
        return b"".join(a.astype(np.float32).tobytes() for a in arrays) + (
            self.stack.astype(np.float64).tobytes() + self.ngram.digest_bytes()
        )


class FakeTextHead(Head):
    """Base of the fake-text heads: one probability column from a stored ``FakeTextDetector``."""

    def __init__(self, detector: FakeTextDetector, version: str) -> None:
        super().__init__(detector.embedding, version)
        self.detector = detector

    @classmethod
    def load(cls, folder: Path, version: str) -> Head:
        return cls(FakeTextDetector.load(folder, cls.name), version)

    def predict(self, embeddings: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        return {self.columns[0]: self.detector.proba(embeddings, list(texts))}


class DeceptiveHead(FakeTextHead):
    """P(the review is a deceptive opinion written to look genuine), trained on Ott et al.'s hotels."""

    name = "deceptive"
    columns = ("p_deceptive",)


class GeneratedHead(FakeTextHead):
    """P(the review text is computer-generated), trained on Salminen et al.'s product reviews."""

    name = "generated"
    columns = ("p_generated",)


register(DeceptiveHead)
register(GeneratedHead)
