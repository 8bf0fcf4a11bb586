"""Train and evaluate the fake-review text detectors (``deceptive``, ``generated``) and write their folder.

Data (``$REVIEWPULSE_DATA_DIR/fake``):

* **deceptive**: Ott et al.'s Deceptive Opinion Spam corpus v1.4 (``op_spam_v1.4.csv``), English hotel
  reviews, deceptive (written to order on Mechanical Turk) vs truthful, positive and negative;
* **generated**: a 6,000-row subset of Salminen et al. 2022 (``salminen2022_subset.csv``), English
  product reviews, computer-generated (CG) vs original (OR).

Splits are our own, by a hash of the text (``training_data.split_of``: 80% train, 10% dev, 10% test;
the source files' own split columns are not used). Method per detector:

1. hyperparameters on the dev split: the embedding probe's C and the n-gram model's features and C,
   each fitted on train and scored on dev (accuracy, ties to lower log-loss);
2. the detector is fitted on train + dev: out-of-fold log-odds of both base models (5 folds) fit the
   stacking regression, then both bases are refitted on all of train + dev;
3. test-split metrics, and 5-fold cross-validated metrics over train + dev (the whole step 2 per fold).

Everything is seeded, and the data manifest pins both files by sha256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from pipeline.errors import ReviewPulseError
from pipeline.scoring.encoder import PREFIX, load_encoder
from pipeline.scoring.fake_text import FakeTextDetector
from pipeline.scoring.heads import LinearHead, load_heads
from pipeline.scoring.ngram import NgramConfig, fit_ngram, sigmoid
from pipeline.scoring.train import embed_mixture
from pipeline.scoring.training_data import SEED, split_of
from pipeline.settings import REPO_ROOT, Settings

MODEL_NAME = "fake-text"
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / MODEL_NAME
FOLDS = 5
EMBEDDING_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
NGRAM_C_GRID = (10.0, 30.0, 100.0)

_WORD = r"(?u)\b\w+\b|[^\w\s]"  # words and single punctuation marks, so "!!" and "," count


@dataclass(frozen=True)
class DetectorData:
    """One detector's training file: where it is, how to read it, and its candidate n-gram features."""

    name: str
    column: str
    file: str
    read: Callable[[Path], pd.DataFrame]
    ngram_candidates: dict[str, tuple[NgramConfig, ...]] = field(default_factory=dict)


def _read_op_spam(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    return pd.DataFrame(
        {"text": raw["text"].astype(str), "label": (raw["deceptive"] == "deceptive").astype(int),
         "group": raw["polarity"].astype(str)}
    )  # fmt: skip


def _read_salminen(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    return pd.DataFrame({"text": raw["text"].astype(str), "label": (raw["label"] == "CG").astype(int),
                         "group": "all"})  # fmt: skip


DETECTORS = (
    DetectorData(
        "deceptive", "p_deceptive", "fake/op_spam_v1.4.csv", _read_op_spam,
        {
            "word 1-2, binary, NB": (NgramConfig(ngram_max=2, token_pattern=_WORD, nb=True),),
            "word 1-2, binary": (NgramConfig(ngram_max=2, token_pattern=_WORD),),
        },
    ),
    DetectorData(
        "generated", "p_generated", "fake/salminen2022_subset.csv", _read_salminen,
        {
            "word 1-2, binary, NB": (NgramConfig(ngram_max=2, token_pattern=_WORD, nb=True),),
            "word 1-2, binary": (NgramConfig(ngram_max=2, token_pattern=_WORD),),
        },
    ),
)  # fmt: skip


def load_detector_data(data_dir: Path, spec: DetectorData) -> pd.DataFrame:
    """``text, label (1 = fake), group, split`` for one detector; duplicate texts kept once."""
    path = data_dir / spec.file
    if not path.exists():
        raise ReviewPulseError(f"training data not found at {path} (set REVIEWPULSE_DATA_DIR)")
    frame = spec.read(path)
    frame = frame[frame["text"].str.strip().str.len() > 0].drop_duplicates("text").reset_index(drop=True)
    frame["split"] = frame["text"].map(split_of)
    return frame


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float | int]:
    """Accuracy and F1 (fake = positive class) at 0.5, ROC-AUC and log-loss."""
    y = np.asarray(y).astype(int)
    predicted = (p >= 0.5).astype(int)
    both = len(set(y.tolist())) == 2
    return {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": float(f1_score(y, predicted, zero_division=0.0)),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
    }


def _fit_embedding(x: np.ndarray, y: np.ndarray, c: float) -> LinearHead:
    """A binary logistic regression on the standardised embedding, as ``LinearHead`` arrays."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=5000, random_state=SEED).fit((x - mean) / scale, y)
    f32 = np.float32  # held as stored, so a saved and reloaded head predicts exactly the same
    return LinearHead(
        model.coef_.astype(f32), model.intercept_.astype(f32), mean.astype(f32), scale.astype(f32)
    )


def _embedding_logit(head: LinearHead, x: np.ndarray) -> np.ndarray:
    return (((x - head.mean) / head.scale) @ head.coef.T + head.intercept)[:, 0].astype(np.float64)


@dataclass(frozen=True)
class Choice:
    """The hyperparameters picked on dev for one detector."""

    embedding_c: float
    ngram_name: str
    ngram: tuple[NgramConfig, ...]
    ngram_c: float


def _better(score: tuple[float, float], best: tuple[float, float] | None) -> bool:
    """Higher accuracy first, then lower log-loss."""
    return best is None or (score[0], -score[1]) > (best[0], -best[1])


def choose(spec: DetectorData, texts: list[str], x: np.ndarray, y: np.ndarray, split: np.ndarray,
           log: Callable[[str], None] = lambda _: None) -> tuple[Choice, list[dict[str, Any]]]:  # fmt: skip
    """Each base model's hyperparameters: fitted on train, scored on dev."""
    train, dev = split == "train", split == "dev"
    texts_train = [t for t, keep in zip(texts, train, strict=True) if keep]
    texts_dev = [t for t, keep in zip(texts, dev, strict=True) if keep]
    trials: list[dict[str, Any]] = []
    best_e: tuple[tuple[float, float], float] | None = None
    for c in EMBEDDING_C_GRID:
        m = binary_metrics(y[dev], sigmoid(_embedding_logit(_fit_embedding(x[train], y[train], c), x[dev])))
        trials.append(
            {"model": "embedding", "C": c, "dev_accuracy": m["accuracy"], "dev_log_loss": m["log_loss"]}
        )
        if _better((m["accuracy"], m["log_loss"]), best_e[0] if best_e else None):
            best_e = ((m["accuracy"], m["log_loss"]), c)
    best_n: tuple[tuple[float, float], str, float] | None = None
    for name, configs in spec.ngram_candidates.items():
        for c in NGRAM_C_GRID:
            model = fit_ngram(texts_train, y[train], configs, c, SEED)
            m = binary_metrics(y[dev], model.proba(texts_dev))
            trials.append({"model": f"ngram: {name}", "C": c, "dev_accuracy": m["accuracy"],
                           "dev_log_loss": m["log_loss"]})  # fmt: skip
            log(f"{spec.name}: n-gram {name}, C={c}: dev accuracy {m['accuracy']:.3f}")
            if _better((m["accuracy"], m["log_loss"]), best_n[0] if best_n else None):
                best_n = ((m["accuracy"], m["log_loss"]), name, c)
    assert best_e is not None and best_n is not None
    choice = Choice(best_e[1], best_n[1], spec.ngram_candidates[best_n[1]], best_n[2])
    return choice, trials


def fit_detector(texts: Sequence[str], x: np.ndarray, y: np.ndarray, choice: Choice,
                 folds: int = FOLDS) -> FakeTextDetector:  # fmt: skip
    """Both base models and their stacking on these rows (stacked on ``folds``-fold out-of-fold log-odds)."""
    texts = list(texts)
    y = np.asarray(y).astype(int)
    oof = np.zeros((len(y), 2))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for fit_rows, held_rows in splitter.split(np.zeros(len(y)), y):
        emb = _fit_embedding(x[fit_rows], y[fit_rows], choice.embedding_c)
        oof[held_rows, 0] = _embedding_logit(emb, x[held_rows])
        ngram = fit_ngram([texts[i] for i in fit_rows], y[fit_rows], choice.ngram, choice.ngram_c, SEED)
        oof[held_rows, 1] = ngram.logit([texts[i] for i in held_rows])
    stacker = LogisticRegression(C=1.0, random_state=SEED).fit(oof, y)
    stack = np.array([*stacker.coef_.ravel(), stacker.intercept_[0]], dtype=np.float64)
    embedding = _fit_embedding(x, y, choice.embedding_c)
    return FakeTextDetector(embedding, fit_ngram(texts, y, choice.ngram, choice.ngram_c, SEED), stack)


def _evaluation(detector: FakeTextDetector, texts: list[str], x: np.ndarray, y: np.ndarray,
                groups: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """Metrics of the stacked detector and of each base alone; per group where there are several."""
    logits = detector.logits(x, texts)
    p = detector.proba(x, texts)
    out: dict[str, Any] = {
        **binary_metrics(y, p),
        "embedding_only": binary_metrics(y, sigmoid(logits[:, 0])),
        "ngram_only": binary_metrics(y, sigmoid(logits[:, 1])),
    }
    if len(set(groups.tolist())) > 1:
        out["by_group"] = {
            str(g): binary_metrics(y[groups == g], p[groups == g]) for g in sorted(set(groups))
        }
    return out


def cross_validate(texts: list[str], x: np.ndarray, y: np.ndarray, choice: Choice,
                   log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """``FOLDS``-fold cross-validated metrics (mean and sd over folds, and pooled) of ``fit_detector``."""
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED + 1)
    pooled = np.zeros(len(y))
    per_fold = []
    for k, (fit_rows, held_rows) in enumerate(splitter.split(np.zeros(len(y)), y)):
        detector = fit_detector([texts[i] for i in fit_rows], x[fit_rows], y[fit_rows], choice)
        pooled[held_rows] = detector.proba(x[held_rows], [texts[i] for i in held_rows])
        per_fold.append(binary_metrics(y[held_rows], pooled[held_rows]))
        log(f"fold {k + 1}/{FOLDS}: accuracy {per_fold[-1]['accuracy']:.3f}")
    summary: dict[str, Any] = {"folds": FOLDS, "n": int(len(y))}
    for key in ("accuracy", "f1", "roc_auc"):
        values = np.array([m[key] for m in per_fold])
        summary[key] = float(values.mean())
        summary[f"{key}_sd"] = float(values.std(ddof=1))
    summary["pooled"] = binary_metrics(y, pooled)
    return summary


@dataclass
class FakeTrainResult:
    folder: Path
    version: str
    metrics: dict[str, Any]


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_fake_text(settings: Settings, out_dir: Path = DEFAULT_MODEL_DIR,
                    progress: Callable[[int], None] | None = None,
                    log: Callable[[str], None] = lambda _: None) -> FakeTrainResult:  # fmt: skip
    """Fit both detectors, write the model folder (heads, metrics, manifest), return the metrics."""
    encoder = load_encoder(settings)
    detectors: dict[str, FakeTextDetector] = {}
    metrics: dict[str, Any] = {}
    rows: dict[str, dict[str, int]] = {}
    for spec in DETECTORS:
        frame = load_detector_data(settings.shared_data_dir, spec)
        log(f"{spec.name}: encoding {len(frame)} texts (cached after the first run)")
        x = embed_mixture(settings, encoder, frame, progress)
        texts, y = frame["text"].tolist(), frame["label"].to_numpy()
        split, groups = frame["split"].to_numpy(), frame["group"].to_numpy()
        choice, trials = choose(spec, texts, x, y, split, log)
        log(f"{spec.name}: chose {choice}")
        fit = split != "test"
        fit_texts = [t for t, keep in zip(texts, fit, strict=True) if keep]
        detector = fit_detector(fit_texts, x[fit], y[fit], choice)
        test = split == "test"
        test_texts = [t for t, keep in zip(texts, test, strict=True) if keep]
        log(f"{spec.name}: 5-fold cross-validation on train + dev")
        metrics[spec.name] = {
            "column": spec.column,
            "test": _evaluation(detector, test_texts, x[test], y[test], groups[test]),
            "cv_train_dev": cross_validate(fit_texts, x[fit], y[fit], choice, log),
            "chosen": {"embedding_c": choice.embedding_c, "ngram": choice.ngram_name,
                       "ngram_c": choice.ngram_c, "stack": detector.stack.tolist()},
            "dev_trials": trials,
        }  # fmt: skip
        detectors[spec.name] = detector
        rows[spec.name] = {s: int((split == s).sum()) for s in ("train", "dev", "test")}
    digest = hashlib.sha256(b"".join(d.digest_bytes() for d in detectors.values())).hexdigest()
    version = f"{encoder.version}+{MODEL_NAME}-{digest[:8]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, detector in detectors.items():
        detector.save(out_dir, name)
    spec_json = {
        "version": version, "heads": [s.name for s in DETECTORS], "encoder": encoder.version,
        "prefix": PREFIX,
        "method": "frozen encoder + logistic regression on the embedding, hashed n-gram logistic "
                  "regression on the text, stacked by a logistic regression over both log-odds",
        "seed": SEED, "folds": FOLDS, "embedding_c_grid": list(EMBEDDING_C_GRID),
        "ngram_c_grid": list(NGRAM_C_GRID),
    }  # fmt: skip
    (out_dir / "heads.json").write_text(json.dumps(spec_json, indent=2), encoding="utf-8")
    files = {s.file: _file_sha256(settings.shared_data_dir / s.file) for s in DETECTORS}
    (out_dir / "data_manifest.json").write_text(
        json.dumps({"files": files, "rows": rows}, indent=2, sort_keys=True), encoding="utf-8"
    )
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float), encoding="utf-8")
    return FakeTrainResult(folder=out_dir, version=version, metrics=metrics)


def evaluate_fake_text(settings: Settings, folder: Path = DEFAULT_MODEL_DIR) -> dict[str, Any]:
    """Held-out test metrics of the shipped detectors in ``folder`` on both shared files (JSON-ready).

    Returns ``{"model_version": ..., "deceptive": {n, accuracy, f1, roc_auc, log_loss, ...},
    "generated": {...}}``.
    """
    heads = load_heads(folder)
    encoder = load_encoder(settings)
    if heads.meta.get("encoder") != encoder.version:
        raise ReviewPulseError(
            f"{folder} was trained on encoder {heads.meta.get('encoder')}, "
            f"the configured one is {encoder.version}"
        )
    out: dict[str, Any] = {"model_version": heads.version}
    for spec in DETECTORS:
        frame = load_detector_data(settings.shared_data_dir, spec)
        test = frame[frame["split"] == "test"].reset_index(drop=True)
        x = embed_mixture(settings, encoder, test)
        p = heads.predict(x, test["text"].tolist())[spec.column]
        result: dict[str, Any] = binary_metrics(test["label"].to_numpy(), p)
        groups = test["group"].to_numpy()
        if len(set(groups.tolist())) > 1:
            result["by_group"] = {
                str(g): binary_metrics(test["label"].to_numpy()[groups == g], p[groups == g])
                for g in sorted(set(groups))
            }
        out[spec.name] = {"column": spec.column, **result}
    return out
