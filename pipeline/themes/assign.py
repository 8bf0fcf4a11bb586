"""Assign taxonomy themes to sentences: which touchpoint, if any, each sentence complains about.

Per sentence and theme, five pieces of evidence, all derived from the taxonomy file so a theme a user adds
works without retraining:

    cue       a cue word of the theme occurs (``cues`` in the taxonomy: the touchpoint is named)
    sim       cosine similarity of the sentence embedding to the theme's closest example complaint
    margin    ``sim`` minus the best other theme's ``sim`` (is this the touchpoint it is closest to?)
    contrast  ``sim`` minus the similarity to the theme's closest mere mention (``mentions``: "arrived
              early" against "arrived late")
    negative  the sentence's own p(negative) from the sentiment head (a problem, not a mention)
    problem   a problem word occurs (``problem_cues``: late, broken, never, não, roto ...)
    fallback  for the taxonomy's fallback theme only: the sentence is negative and names no other theme
    head      the theme's own classifier: a logistic head on the sentence embedding, trained on the
              hand-labelled training set (``models/themes/trainset``); missing for a theme added since, which
              then gets the feature's mean (no say) and is judged by the taxonomy-derived evidence alone

A small theme-agnostic logistic model (``combiner.json``: one weight per feature and interaction, fitted on
the labelled dev set's tune split, see ``pipeline/themes/train.py``) turns them into a probability; a theme
applies at ``threshold`` or above. Zero, one or several themes per sentence. The per-theme heads are stored
in the same file, so a combiner and the heads it was fitted with always travel together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ReviewPulseError
from pipeline.scoring.heads import HeadSet
from pipeline.themes.taxonomy import Taxonomy, fold

BASE_FEATURES = ("cue", "sim", "margin", "contrast", "negative", "problem", "cue*negative", "cue*problem",
                 "sim*negative", "cue*margin", "cue*contrast", "contrast*negative", "fallback")  # fmt: skip
FEATURES = (*BASE_FEATURES, "head")


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


def _r(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


@dataclass
class ThemeHeads:
    """One logistic head per theme on the unit-length sentence embedding of ``encoder``: log-odds
    ``unit(x) @ coef[i] + intercept[i]`` for ``theme_ids[i]``."""

    theme_ids: tuple[str, ...]
    coef: np.ndarray  # [heads, dim]
    intercept: np.ndarray  # [heads]
    encoder: str

    def logodds(self, embeddings: np.ndarray, theme_ids: Sequence[str]) -> np.ndarray:
        """``[n, len(theme_ids)]``; NaN for a theme without a head."""
        out = np.full((len(embeddings), len(theme_ids)), np.nan, dtype=np.float64)
        if len(embeddings) == 0:
            return out
        z = _unit(embeddings).astype(np.float64) @ self.coef.T + self.intercept
        for i, theme in enumerate(self.theme_ids):
            if theme in theme_ids:
                out[:, list(theme_ids).index(theme)] = z[:, i]
        return out

    def as_dict(self) -> dict[str, object]:
        return {"encoder": self.encoder, "themes": {theme: {"intercept": round(float(self.intercept[i]), 6),
                "coef": _r(self.coef[i])} for i, theme in enumerate(self.theme_ids)}}  # fmt: skip

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ThemeHeads:
        themes = body["themes"]
        return cls(
            tuple(themes), np.asarray([themes[t]["coef"] for t in themes], dtype=np.float64),
            np.asarray([themes[t]["intercept"] for t in themes], dtype=np.float64), str(body["encoder"]),
        )  # fmt: skip


# What a combiner file computes with; the rest of the file is metadata (see Combiner.digest).
_MODEL_KEYS = ("features", "coef", "intercept", "mean", "scale", "threshold", "heads")


@dataclass
class Combiner:
    """The logistic model over standardised ``FEATURES`` (one weight each), intercept and threshold, and
    the per-theme heads that give the ``head`` feature."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = 0.5
    heads: ThemeHeads | None = None

    def with_head(self, base: np.ndarray, embeddings: np.ndarray, theme_ids: Sequence[str]) -> np.ndarray:
        """``[n, themes, len(FEATURES)]``: the taxonomy evidence (``BASE_FEATURES``) plus the head column."""
        if self.heads is None:
            head = np.full(base.shape[:2], np.nan)
        else:
            head = self.heads.logodds(embeddings, theme_ids)
        return np.concatenate([base, head[:, :, None]], axis=2)

    def proba(self, features: np.ndarray) -> np.ndarray:
        """Theme probabilities of full feature rows; a missing (NaN) feature counts as its mean."""
        x = np.where(np.isnan(features), self.mean, features)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def save(self, path: Path, **meta: object) -> None:
        body = {
            "features": list(FEATURES), "coef": _r(self.coef), "intercept": round(self.intercept, 6),
            "mean": _r(self.mean), "scale": _r(self.scale), "threshold": round(self.threshold, 4), **meta,
            "heads": self.heads.as_dict() if self.heads is not None else None,
        }  # fmt: skip
        path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @staticmethod
    def digest(path: Path) -> str:
        """8 hex digits naming what the combiner file computes: its weights, threshold and heads. Where it
        was fitted, its dev-set metrics and other notes are left out, so editing those does not make a new
        model version (which would re-theme all history)."""
        try:
            body = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReviewPulseError(f"cannot read theme combiner {path}: {exc}") from exc
        model = {key: body.get(key) for key in _MODEL_KEYS}
        return hashlib.sha256(json.dumps(model, sort_keys=True).encode("utf-8")).hexdigest()[:8]

    @classmethod
    def load(cls, path: Path) -> Combiner:
        try:
            body = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReviewPulseError(f"cannot read theme combiner {path}: {exc}") from exc
        if tuple(body.get("features", ())) != FEATURES:
            raise ReviewPulseError(f"{path}: combiner features {body.get('features')} != {list(FEATURES)}")
        heads = body.get("heads")
        return cls(
            np.asarray(body["coef"], dtype=np.float64), float(body["intercept"]),
            np.asarray(body["mean"], dtype=np.float64), np.asarray(body["scale"], dtype=np.float64),
            float(body["threshold"]), ThemeHeads.from_dict(heads) if heads else None,
        )  # fmt: skip


@dataclass
class Prototypes:
    """Every theme's example embeddings (all languages), unit length, with each row's theme index and
    whether it is a complaint (``examples``) or a mere mention (``mentions``)."""

    vectors: np.ndarray
    theme_index: np.ndarray
    complaint: np.ndarray

    def similarities(self, embeddings: np.ndarray, n_themes: int, *, complaint: bool = True) -> np.ndarray:
        """``[n, themes]``: each sentence's cosine to the closest complaint (or mention) of each theme."""
        sims = _unit(embeddings) @ self.vectors.T
        out = np.full((len(embeddings), n_themes), -1.0, dtype=np.float32)
        for t in range(n_themes):
            columns = (self.theme_index == t) & (self.complaint == complaint)
            if columns.any():
                out[:, t] = sims[:, columns].max(axis=1)
        return out


def example_texts(taxonomy: Taxonomy) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every example and mention sentence of the taxonomy, its theme index and whether it is a complaint."""
    texts: list[str] = []
    index: list[int] = []
    complaint: list[bool] = []
    for t, theme in enumerate(taxonomy.themes):
        for is_complaint, groups in ((True, theme.examples), (False, theme.mentions)):
            for sentences in groups.values():
                texts.extend(sentences)
                index.extend([t] * len(sentences))
                complaint.extend([is_complaint] * len(sentences))
    return texts, np.asarray(index), np.asarray(complaint, dtype=bool)


def features(
    taxonomy: Taxonomy,
    prototypes: Prototypes,
    texts: Sequence[str],
    languages: Sequence[str | None],
    embeddings: np.ndarray,
    p_negative: np.ndarray,
) -> np.ndarray:
    """``[n, themes, len(BASE_FEATURES)]``: the taxonomy-derived evidence for every sentence and theme."""
    n, k = len(texts), len(taxonomy.themes)
    folded = [fold(t) for t in texts]
    cue = np.array([[th.cue_match(f, lang) for th in taxonomy.themes] for f, lang in zip(folded, languages,
                   strict=True)], dtype=np.float32).reshape(n, k)  # fmt: skip
    problem = np.array([taxonomy.has_problem_cue(f, lang) for f, lang in zip(folded, languages, strict=True)],
                       dtype=np.float32)[:, None].repeat(k, axis=1)  # fmt: skip
    sim = prototypes.similarities(embeddings, k)
    if k > 1:
        top2 = np.sort(sim, axis=1)[:, -2:]
        best_other = np.where(sim >= top2[:, [1]], top2[:, [0]], top2[:, [1]])
    else:
        best_other = np.zeros_like(sim)
    margin = sim - best_other
    mention = prototypes.similarities(embeddings, k, complaint=False)
    contrast = np.where(mention > -1.0, sim - mention, 0.0).astype(np.float32)
    negative = np.asarray(p_negative, dtype=np.float32)[:, None].repeat(k, axis=1)
    is_fallback = np.array([t.fallback for t in taxonomy.themes], dtype=np.float32)[None, :]
    other_cues = (cue.sum(axis=1, keepdims=True) - cue) > 0
    fallback = is_fallback * negative * (~other_cues)
    return np.stack(
        [cue, sim, margin, contrast, negative, problem, cue * negative, cue * problem, sim * negative,
         cue * margin, cue * contrast, contrast * negative, fallback],
        axis=2,
    )  # fmt: skip


@dataclass
class SentenceThemes:
    """What ``ThemeModel.predict`` returns for a batch of sentences."""

    sentiment: np.ndarray  # label per sentence
    p_negative: np.ndarray
    p_positive: np.ndarray
    proba: np.ndarray  # [n, themes]
    themes: list[list[str]]  # theme ids at or above the threshold, per sentence


@dataclass
class ThemeModel:
    """The taxonomy, the combiner and the sentiment head that reads each sentence's sentiment."""

    taxonomy: Taxonomy
    combiner: Combiner
    sentiment: HeadSet
    prototypes: Prototypes
    version: str

    def evidence(self, texts: Sequence[str], languages: Sequence[str | None], embeddings: np.ndarray
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
        """The full feature tensor (with the heads' column) and the sentiment columns of a batch."""
        sentiment = self.sentiment.predict(embeddings, texts)
        base = features(self.taxonomy, self.prototypes, texts, languages, embeddings, sentiment["p_negative"])
        return self.combiner.with_head(base, embeddings, self.taxonomy.ids), sentiment

    def predict(self, texts: Sequence[str], languages: Sequence[str | None], embeddings: np.ndarray
                ) -> SentenceThemes:  # fmt: skip
        if len(texts) == 0:
            empty = np.zeros(0)
            return SentenceThemes(empty, empty, empty, np.zeros((0, len(self.taxonomy.themes))), [])
        feats, sentiment = self.evidence(texts, languages, embeddings)
        proba = self.combiner.proba(feats)
        ids = self.taxonomy.ids
        chosen = [[ids[t] for t in np.flatnonzero(row >= self.combiner.threshold)] for row in proba]
        return SentenceThemes(
            np.asarray(sentiment["sentiment"]), np.asarray(sentiment["p_negative"]),
            np.asarray(sentiment["p_positive"]), proba, chosen,
        )  # fmt: skip
