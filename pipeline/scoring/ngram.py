"""An n-gram logistic regression over text, stored as plain arrays (no pickles).

Features come from scikit-learn's ``HashingVectorizer``, which is stateless: only its settings are
stored. Each block of n-grams (word or character) is weighted per feature (idf, optionally times the
NB-SVM log-count ratio of Wang & Manning 2012), L2-normalised, and the blocks are joined; one logistic
regression reads the result. Only the features seen in training are stored (sorted hash indices with
their weight and coefficient, in float16); an unseen feature keeps the block's default weight (so it
still counts in the norm, as it would in ``TfidfTransformer``) and has no coefficient.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

NEWLINE = "\n"
START, END = "\x02", "\x03"  # boundary marks: single non-word characters, so one token each
STORED = np.float16  # weights and coefficients are stored (and, after fitting, held) at this precision


@dataclass(frozen=True)
class NgramConfig:
    """One block of hashed n-grams: the ``HashingVectorizer`` settings and how counts are weighted.

    ``tf`` is ``"binary"`` (presence), ``"log"`` (1 + log count) or ``"raw"`` (counts); ``nb`` multiplies
    the idf by the naive-Bayes log-count ratio of the feature.
    """

    analyzer: str = "word"
    ngram_min: int = 1
    ngram_max: int = 2
    lowercase: bool = True
    token_pattern: str = r"(?u)\b\w+\b|[^\w\s]"
    n_features: int = 2**20
    tf: str = "binary"
    nb: bool = False
    boundaries: bool = False  # mark the start and end of the text, so n-grams see how it opens and ends

    def vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(
            analyzer=style_tokens if self.analyzer == "style" else self.analyzer,
            ngram_range=(self.ngram_min, self.ngram_max),
            lowercase=self.lowercase,
            token_pattern=self.token_pattern if self.analyzer == "word" else None,
            n_features=self.n_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Hashed n-gram term frequencies (after the ``tf`` transform), one row per text."""
        marked = self.boundaries and self.analyzer != "style"
        docs = [f"{START} {t} {END}" for t in texts] if marked else list(texts)
        x = sp.csr_matrix(self.vectorizer().transform(docs), dtype=np.float32)
        x.sort_indices()
        if self.tf == "binary":
            x.data[:] = 1.0
        elif self.tf == "log":
            x.data = 1.0 + np.log(x.data)
        elif self.tf != "raw":
            raise ValueError(f"unknown tf {self.tf!r}")
        return x


_WORDS = re.compile(r"\w+")
_SENTENCES = re.compile(r"[.!?]+")
_PUNCT = re.compile(r"[^\w\s]")
_GLUED = re.compile(r"[.!?][A-Z]")  # a sentence end with no space after it


def _end_class(text: str) -> str:
    last = text.rstrip()[-1:]
    if not last:
        return "empty"
    if last in ".!?":
        return last
    return "alpha" if last.isalpha() else ("digit" if last.isdigit() else "other")


def style_tokens(text: str) -> list[str]:
    """Style as tokens (analyzer ``"style"``): binned length, how the text ends, repetition, casing,
    spacing. The bins are fixed, so the feature stays stateless like the hashed n-grams."""
    words = _WORDS.findall(text.lower())
    n = len(words)
    letters = sum(c.isalpha() for c in text)
    trigrams = [tuple(words[i : i + 3]) for i in range(n - 2)]
    sentences = [part for part in _SENTENCES.split(text) if part.strip()]
    tokens = [
        f"chars:{int(np.log2(1 + len(text)))}",
        f"words:{int(np.log2(1 + n))}",
        f"end:{_end_class(text)}",
        f"sentences:{min(len(sentences), 8)}",
        f"caps:{int(20 * sum(c.isupper() for c in text) / letters) if letters else -1}",
        f"glued:{min(len(_GLUED.findall(text)), 3)}",
        f"doublespace:{min(text.count('  '), 3)}",
        f"newlines:{min(text.count(NEWLINE), 3)}",
        f"punct:{min(int(10 * len(_PUNCT.findall(text)) / max(n, 1)), 10)}",
    ]
    if n:
        tokens.append(f"distinct:{int(10 * len(set(words)) / n)}")
        tokens.append(f"words_per_sentence:{int(np.log2(1 + n / max(len(sentences), 1)))}")
    if trigrams:
        tokens.append(f"repeated3:{min(int(20 * (1 - len(set(trigrams)) / len(trigrams))), 10)}")
    return tokens


@dataclass
class NgramBlock:
    """A fitted block: the features seen in training, their weight and coefficient."""

    config: NgramConfig
    index: np.ndarray  # int32, sorted hash indices of the features seen in training
    weight: np.ndarray  # per seen feature (idf, times the NB ratio where ``nb``)
    coef: np.ndarray  # per seen feature
    default_weight: float  # the weight of a feature never seen in training

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The weighted, L2-normalised block over the seen features (columns in ``index`` order)."""
        x = self.config.counts(texts)
        pos = np.minimum(np.searchsorted(self.index, x.indices), max(len(self.index) - 1, 0))
        seen = self.index[pos] == x.indices if len(self.index) else np.zeros(len(x.indices), dtype=bool)
        values = x.data.astype(np.float64) * np.where(seen, self.weight[pos], self.default_weight)
        squares = sp.csr_matrix((values**2, x.indices, x.indptr), shape=x.shape)
        norm = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        scaled = values / np.where(norm > 0, norm, 1.0)[rows]
        return sp.csr_matrix(
            (scaled[seen], (rows[seen], pos[seen])), shape=(x.shape[0], len(self.index)), dtype=np.float64
        )


@dataclass
class NgramModel:
    """Blocks of hashed n-grams and one logistic regression over them (binary: P(class 1))."""

    blocks: list[NgramBlock]
    intercept: float

    def logit(self, texts: Sequence[str]) -> np.ndarray:
        """The log-odds of class 1 per text."""
        out = np.full(len(texts), float(self.intercept))
        if not len(texts):
            return out
        for block in self.blocks:
            out += block.features(texts) @ block.coef.astype(np.float64)
        return out

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(class 1) per text."""
        return sigmoid(self.logit(texts))

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "config": np.array(json.dumps([asdict(b.config) for b in self.blocks])),
            "intercept": np.array([self.intercept], dtype=np.float64),
            "default_weight": np.array([b.default_weight for b in self.blocks], dtype=np.float64),
        }
        for i, block in enumerate(self.blocks):
            arrays[f"index_{i}"] = block.index.astype(np.int32)
            arrays[f"weight_{i}"] = block.weight.astype(STORED)
            arrays[f"coef_{i}"] = block.coef.astype(STORED)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        with np.load(path, allow_pickle=False) as data:
            configs = [NgramConfig(**c) for c in json.loads(str(data["config"]))]
            blocks = [
                NgramBlock(
                    config=config,
                    index=data[f"index_{i}"].astype(np.int32),
                    weight=data[f"weight_{i}"].astype(np.float32),
                    coef=data[f"coef_{i}"].astype(np.float32),
                    default_weight=float(data["default_weight"][i]),
                )
                for i, config in enumerate(configs)
            ]
            return cls(blocks=blocks, intercept=float(data["intercept"][0]))

    def digest_bytes(self) -> bytes:
        """The model's contents as bytes (for a version hash; the .npz bytes carry a timestamp)."""
        config = json.dumps([asdict(b.config) for b in self.blocks]).encode()
        parts = [config, np.float64(self.intercept).tobytes()]
        for b in self.blocks:
            parts += [b.index.tobytes(), b.weight.astype(STORED).tobytes(), b.coef.astype(STORED).tobytes()]
        return b"".join(parts)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def _fit_block(config: NgramConfig, texts: Sequence[str], y: np.ndarray, alpha: float = 1.0) -> NgramBlock:
    """Weights of one block from the training texts: smoothed idf, times the NB ratio where asked."""
    x = config.counts(texts)
    present = sp.csr_matrix((np.ones_like(x.data), x.indices, x.indptr), shape=x.shape)
    df = np.asarray(present.sum(axis=0)).ravel()
    index = np.flatnonzero(df).astype(np.int32)
    n = x.shape[0]
    idf = np.log((1.0 + n) / (1.0 + df[index])) + 1.0
    default = float(np.log(1.0 + n) + 1.0)
    if config.nb:
        p = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()[index]
        q = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()[index]
        p_total, q_total = p.sum(), q.sum()
        ratio = np.log((p / p_total) / (q / q_total))
        idf = idf * ratio
        default *= float(np.log((alpha / p_total) / (alpha / q_total)))
    return NgramBlock(
        config=config,
        index=index,
        weight=idf.astype(STORED).astype(np.float32),
        coef=np.zeros(len(index), dtype=np.float32),
        default_weight=default,
    )


def fit_ngram(
    texts: Sequence[str], y: np.ndarray, configs: Sequence[NgramConfig], c: float, seed: int
) -> NgramModel:
    """Fit the blocks' weights and an L2 logistic regression (``C = c``) on labelled texts (y in {0, 1})."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y).astype(int)
    blocks = [_fit_block(config, texts, y) for config in configs]
    x = sp.hstack([b.features(texts) for b in blocks]).tocsr()
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(x, y)
    coef = model.coef_.ravel()
    start = 0
    for b in blocks:
        b.coef = coef[start : start + len(b.index)].astype(STORED).astype(np.float32)
        start += len(b.index)
    return NgramModel(blocks=blocks, intercept=float(model.intercept_[0]))
