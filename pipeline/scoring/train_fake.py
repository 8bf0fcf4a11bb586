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
from pipeline.scoring.encoder import PREFIX, adapter_label, describe, is_adapted, load_encoder
from pipeline.scoring.fake_text import FakeTextDetector
from pipeline.scoring.heads import LinearHead, load_heads
from pipeline.scoring.model_card import encoder_note
from pipeline.scoring.ngram import NgramConfig, fit_ngram, sigmoid
from pipeline.scoring.train import embed_mixture
from pipeline.scoring.training_data import SEED, file_sha256, split_of
from pipeline.settings import REPO_ROOT, Settings

MODEL_NAME = "fake-text"
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / MODEL_NAME
FOLDS = 5
EMBEDDING_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)

_WORD = r"(?u)\b\w+\b|[^\w\s]"  # words and single punctuation marks, so "!!" and "," count


@dataclass(frozen=True)
class DetectorData:
    """One detector's training file: where it is, how to read it, and its candidate n-gram features."""

    name: str
    column: str
    file: str
    read: Callable[[Path], pd.DataFrame]
    ngram_candidates: dict[str, tuple[NgramConfig, ...]] = field(default_factory=dict)
    ngram_c_grid: tuple[float, ...] = (10.0, 30.0, 100.0)


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
            "word 1-2, NB, binary": (NgramConfig(ngram_max=2, token_pattern=_WORD, nb=True),),
            "word 1-2, NB, log tf": (NgramConfig(ngram_max=2, token_pattern=_WORD, nb=True, tf="log"),),
        },
        (10.0, 30.0, 100.0),
    ),
    DetectorData(
        "generated", "p_generated", "fake/salminen2022_subset.csv", _read_salminen,
        {
            "word 1-3 NB + style, ends marked": (
                NgramConfig(ngram_max=3, token_pattern=_WORD, nb=True, boundaries=True),
                NgramConfig(analyzer="style"),
            ),
            "word 1-2 + cased char 1-5 + style, ends marked": (
                NgramConfig(ngram_max=2, token_pattern=_WORD, boundaries=True),
                NgramConfig(analyzer="char", ngram_min=1, ngram_max=5, lowercase=False, boundaries=True),
                NgramConfig(analyzer="style"),
            ),
        },
        (30.0, 100.0),
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
        m = binary_metrics(
            y[dev], sigmoid(_fit_embedding(x[train], y[train], c).logits(x[dev])[:, 0].astype(np.float64))
        )
        trials.append(
            {"model": "embedding", "C": c, "dev_accuracy": m["accuracy"], "dev_log_loss": m["log_loss"]}
        )
        if _better((m["accuracy"], m["log_loss"]), best_e[0] if best_e else None):
            best_e = ((m["accuracy"], m["log_loss"]), c)
    best_n: tuple[tuple[float, float], str, float] | None = None
    for name, configs in spec.ngram_candidates.items():
        for c in spec.ngram_c_grid:
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
        oof[held_rows, 0] = emb.logits(x[held_rows])[:, 0]
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


TRANSFER_SETS = {"en": "marc_en", "es": "marc_es", "pt": "amazon_br_pt"}
TRANSFER_ROWS = 200


def transfer_check(settings: Settings, encoder: Any, detectors: dict[str, FakeTextDetector],
                   progress: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Scores on ordinary marketplace reviews per language (test split of the sentiment mixture).

    There are no labelled Spanish or Portuguese fake reviews, so this only shows how the detectors
    behave off their training language: the mean probability and the share flagged (p >= 0.5) on
    reviews that are, overwhelmingly, genuine. Empty when the sentiment data is absent.
    """
    from pipeline.scoring.training_data import load_mixture

    try:
        mixture = load_mixture(settings.shared_data_dir)
    except ReviewPulseError:
        return {}
    out: dict[str, Any] = {}
    for language, dataset in TRANSFER_SETS.items():
        rows = mixture[(mixture["dataset"] == dataset) & (mixture["split"] == "test")]
        rows = rows.sample(min(TRANSFER_ROWS, len(rows)), random_state=SEED).reset_index(drop=True)
        x = embed_mixture(settings, encoder, rows, progress)
        texts = rows["text"].tolist()
        out[language] = {"dataset": dataset, "n": len(rows)}
        for name, detector in detectors.items():
            p = detector.proba(x, texts)
            out[language][name] = {"mean_p": float(p.mean()), "share_flagged": float((p >= 0.5).mean())}
    return out


@dataclass
class FakeTrainResult:
    folder: Path
    version: str
    metrics: dict[str, Any]


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
        log(f"{spec.name}: chose embedding C={choice.embedding_c}, n-gram {choice.ngram_name}, "
            f"C={choice.ngram_c}")  # fmt: skip
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
    log("transfer check: scores on ordinary en/es/pt marketplace reviews")
    transfer = transfer_check(settings, encoder, detectors, progress)
    digest = hashlib.sha256(b"".join(d.digest_bytes() for d in detectors.values())).hexdigest()
    version = f"{encoder.version}+{MODEL_NAME}-{digest[:8]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, detector in detectors.items():
        detector.save(out_dir, name)
    spec_json = {
        "version": version, "heads": [s.name for s in DETECTORS], "encoder": encoder.version,
        "prefix": PREFIX,
        "adapter": adapter_label(encoder.version, settings.encoder_adapter),
        "method": f"{describe(encoder.version, settings.encoder_adapter)} + logistic regression on the "
                  "embedding, hashed n-gram logistic regression on the text, stacked by a logistic "
                  "regression over both log-odds",
        "seed": SEED, "folds": FOLDS, "embedding_c_grid": list(EMBEDDING_C_GRID),
        "ngram_c_grids": {s.name: list(s.ngram_c_grid) for s in DETECTORS},
    }  # fmt: skip
    (out_dir / "heads.json").write_text(json.dumps(spec_json, indent=2), encoding="utf-8")
    files = {s.file: file_sha256(settings.shared_data_dir / s.file) for s in DETECTORS}
    (out_dir / "data_manifest.json").write_text(
        json.dumps({"files": files, "rows": rows}, indent=2, sort_keys=True), encoding="utf-8"
    )
    (out_dir / "metrics.json").write_text(
        json.dumps({"detectors": metrics, "transfer_check": transfer}, indent=2, default=float),
        encoding="utf-8",
    )
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


TARGETS = {"deceptive": 0.92, "generated": 0.975}
ANCHORS = {
    "deceptive": "Ott et al. 2011: 89.8% accuracy with n-gram SVMs (positive reviews; judges near chance)",
    "generated": "Salminen et al. 2022: 96.6% fine-tuned RoBERTa, 94.7% NB-SVM (their splits, full data)",
}


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _rows(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = ["| model | n | accuracy | F1 | ROC-AUC |", "|---|---|---|---|---|"]
    for label, m in rows:
        lines.append(
            f"| {label} | {m['n']} | " + " | ".join(_fmt(m[k]) for k in ("accuracy", "f1", "roc_auc")) + " |"
        )
    return "\n".join(lines)


def write_fake_model_card(folder: Path = DEFAULT_MODEL_DIR) -> Path:
    """Render ``MODEL_CARD.md`` from ``heads.json``, ``metrics.json`` and ``data_manifest.json``."""
    spec = json.loads((folder / "heads.json").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    data = json.loads((folder / "data_manifest.json").read_text(encoding="utf-8"))
    sections = []
    for d in DETECTORS:
        m = metrics["detectors"][d.name]
        test, cv, chosen = m["test"], m["cv_train_dev"], m["chosen"]
        rows = [("stacked (shipped)", test), ("embedding probe alone", test["embedding_only"]),
                ("n-gram model alone", test["ngram_only"])]  # fmt: skip
        rows += [(f"stacked, {g} only", gm) for g, gm in test.get("by_group", {}).items()]
        cv_line = ", ".join(f"{k} {cv[k]:.3f} ± {cv[k + '_sd']:.3f}" for k in ("accuracy", "f1", "roc_auc"))
        # With the adapter, the encoder was fine-tuned on this detector's train split: cross-validation
        # over train + dev (and the stack fitted on its out-of-fold log-odds) sees embeddings tuned on
        # those very labels, so only the test split is an unbiased estimate.
        adapted = is_adapted(spec["encoder"])
        cv_ok = adapted or cv["accuracy"] >= TARGETS[d.name]
        reached = "met" if test["accuracy"] >= TARGETS[d.name] and cv_ok else "not met"
        cv_caveat = (
            "\nThe encoder adapter was fine-tuned on this train split (its card), so these folds see\n"
            "embeddings tuned on their own labels: CV is optimistic here, the stack leans on the embedding\n"
            "probe for the same reason, and the target is judged on the test split alone."
            if adapted
            else ""
        )
        w_e, w_n, bias = chosen["stack"]
        split_rows = " / ".join(str(data["rows"][d.name][k]) for k in ("train", "dev", "test"))
        sections.append(f"""### {d.name} (`{d.column}`, data `{d.file}`)
Chosen on dev: embedding probe C = {chosen["embedding_c"]}; n-gram features "{chosen["ngram"]}",
C = {chosen["ngram_c"]}. Stacking: p = sigmoid({w_e:.3f} e + {w_n:.3f} g {bias:+.3f}), e and g the
embedding probe's and the n-gram model's log-odds. Rows train / dev / test: {split_rows}.

Held-out test split:

{_rows(rows)}

{FOLDS}-fold cross-validation on train + dev ({cv["n"]} rows, the whole fit per fold, mean ± sd over
folds): {cv_line}.{cv_caveat}

Target: accuracy >= {TARGETS[d.name]:.1%}: **{reached}**
(test {test["accuracy"]:.1%}, CV {cv["accuracy"]:.1%}).
Anchor: {ANCHORS[d.name]}.
""")
    transfer = metrics.get("transfer_check") or {}
    head = " | ".join(f"{d.column} mean / share >= 0.5" for d in DETECTORS)
    transfer_lines = [f"| language | dataset | n | {head} |", "|---|---|---|" + "---|" * len(DETECTORS)]
    for language, t in transfer.items():
        cells = [f"{t[d.name]['mean_p']:.3f} / {t[d.name]['share_flagged']:.1%}" for d in DETECTORS]
        transfer_lines.append(f"| {language} | {t['dataset']} | {t['n']} | " + " | ".join(cells) + " |")
    files = "\n".join(f"- `{name}`: sha256 `{sha}`" for name, sha in data["files"].items())
    nl = "\n"
    card = f"""# {folder.name}: fake-review text detectors on multilingual-e5-small

Version `{spec["version"]}`.
Written by `reviewpulse train --model fake-text`; do not edit the numbers by hand.

## What it does
Two heads on the shared encoder pass, each a probability from 0 to 1:
**`p_deceptive`**, that a review is a deceptive opinion written to look genuine (trained on Ott et al.'s
hotel reviews: crowd-written fakes vs real reviews), and **`p_generated`**, that a review's text was
generated by a language model (trained on Salminen et al.'s product reviews: computer-generated vs
original). They are text signals for the fake-review score, not verdicts on their own.

## Method
- Encoder: intfloat/multilingual-e5-small (`{spec["encoder"]}`), {encoder_note(spec)}; the
  L2-normalised mean-pooled embedding of `"{spec["prefix"]}" + text` that every head shares.
- Embedding probe: logistic regression on the standardised embedding, C from {spec["embedding_c_grid"]}.
- N-gram model: scikit-learn `HashingVectorizer` blocks (2^20 hashed features, stateless: only their
  settings are stored), idf weights (times the NB-SVM log-count ratio where marked "NB"), L2 norm per
  block, one logistic regression over the blocks; "ends marked" adds start/end marks so n-grams see how
  a text opens and ends; "style" adds binned length, ending, sentence count, casing, spacing,
  punctuation, vocabulary and repetition tokens. Only features seen in training are stored (float16).
- Stacking: a logistic regression over the two log-odds, fitted on {spec["folds"]}-fold out-of-fold
  log-odds of both bases on train + dev; the bases are then refitted on all of train + dev.
- Selection: each base's C and the n-gram features are fitted on train and picked by dev accuracy
  (ties: lower log-loss). Seed {spec["seed"]}. Stored as arrays (`*.npz`) and JSON, no pickles.

## Data
Our own splits, 80/10/10 train/dev/test by a hash of the text (`training_data.split_of`; the files' own
split columns are not used). Files pinned by sha256 in `data_manifest.json`:
{files}

## Held-out metrics
Accuracy and F1 (fake = positive class) at p >= 0.5.

{nl.join(sections)}
## Off the training language (transfer check)
No labelled Spanish or Portuguese fake reviews exist in the shared data. On {TRANSFER_ROWS} ordinary
marketplace reviews per language (test split of the sentiment data, overwhelmingly genuine), the
detectors give:

{nl.join(transfer_lines) if transfer else "(sentiment data absent: not measured)"}

## Limits
- **English only in training.** op_spam is English hotel reviews (20 Chicago hotels, positive and
  negative); its deceptive reviews were written to order on Mechanical Turk, so `p_deceptive` learns
  how crowd-written fakes differ from real hotel reviews (more first person and family, less concrete
  spatial detail), not professional review fraud, and it has seen no product reviews. Salminen's
  subset is English product reviews; its generated texts come from the authors' pre-2022 language
  model and are often cut off mid-sentence, which the "ends marked" and style features pick up, so
  `p_generated` will be weaker on modern LLM text.
- **Spanish and Portuguese.** The n-gram model reads English words: on es/pt text almost all of its
  n-grams are unseen, so its log-odds fall back towards its intercept (plus the language-neutral
  style tokens where it has them); the embedding probe carries over through the multilingual
  embedding space but was never trained or tested on es/pt fakes. Treat es/pt probabilities as
  uncalibrated, weak signals (see the transfer check above), never as a verdict.
- **Ordinary marketplace reviews.** The transfer check shows the share of ordinary reviews each
  detector flags at 0.5 in every language, English included: short, unpunctuated or cut-off genuine
  reviews look like the generated class. On marketplace data 0.5 is not a safe decision threshold;
  the probabilities are inputs to the combined fake score.
- op_spam's test split is small (about 130 rows): one review is 0.8 points of accuracy; the CV numbers
  are the steadier estimate. Hyperparameters were picked on dev, which is part of the CV data, so CV is
  slightly optimistic.
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path
