"""Retraining: train a candidate into the model registry, evaluate it and the current model on the same
held-out data, and promote it only when it is not worse (the rule is ``pipeline.registry.decide``).

    train_candidate        trains into a staging folder, registers it as ``<model>/<YYYYMMDD>-<hash>``
                           (a ``candidate``); never writes ``models/`` or the current version's folder
    evaluate_candidate     scores candidate and current in one run on the same held-out rows; both gate
                           metric sets go into the index
    promote_if_not_worse   applies the rule: ``promoted`` (the old one ``retired``) or ``refused`` with
                           the reason naming each metric that got worse

Models and their held-out data:

* ``themes``: the per-theme heads (fitted on the labelled training set) and the theme combiner (fitted on
  the labelled dev set's ``tune`` split; ``pipeline.themes.train``); gates: micro-F1 and macro-F1 per
  language (en, es, pt) on the dev set's ``test`` split. Cheap: ~3,300 sentences, embedded once through
  the shared cache. The sentence adapter is not retrained weekly (``reviewpulse train --model
  sentence-adapter``, minutes on a CPU).
* ``sentiment-stars``: the sentiment and star heads (``pipeline.scoring.train``) on the data mixture; gates:
  sentiment macro-F1 and star exact accuracy per language on the mixture's ``test`` split. Its first run
  embeds ~40,000 texts (about 20 minutes on a laptop CPU); later runs read the embedding cache.

Version ids are the training run's date and a hash of the trained weights, so rerunning a run (training is
seeded) registers the same version again instead of a new one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline import registry
from pipeline.errors import ConfigError, ReviewPulseError
from pipeline.registry import GATES, LANGUAGES
from pipeline.settings import DEFAULT_HEADS, Settings

MODELS = ("themes", "sentiment-stars")
# Options a training run may take (e.g. to check that a worse candidate is refused): model -> names.
OPTIONS: dict[str, tuple[str, ...]] = {"themes": ("c",), "sentiment-stars": ()}


def check_model(model: str) -> str:
    """The model name, if retraining supports it; else ConfigError."""
    if model not in MODELS:
        raise ConfigError(f"cannot retrain {model!r}: choose from {', '.join(MODELS)}")
    return model


def shipped_folder(settings: Settings, model: str) -> Path:
    """The folder in ``models/`` that is current while the registry has no promoted version."""
    if check_model(model) == "themes":
        return settings.themes_dir
    return next(folder for folder in DEFAULT_HEADS if folder.name == model)


def current_folder(settings: Settings, model: str) -> Path:
    """The registry's promoted folder, else the shipped one (environment overrides play no part here)."""
    return registry.current(settings, model) or shipped_folder(settings, model)


# --------------------------------------------------------------------------------------------------------
# Gate metrics out of each model's evaluation output.


def theme_gates(by_language: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """``{"en.micro_f1": ..., "en.macro_f1": ...}`` from ``{language: {"micro_f1", "macro_f1", ...}}``."""
    return {
        f"{lang}.{m}": float(by_language[lang][m]) for lang in LANGUAGES for m in ("micro_f1", "macro_f1")
    }


def sentiment_gates(by_language: Sequence[Mapping[Any, Any]]) -> dict[str, float | None]:
    """``{"en.sentiment_macro_f1": ..., "en.star_exact": ...}`` from ``evaluate_frame(..., ["language"])``
    records (a language without star labels has None)."""
    rows = {str(r["language"]): r for r in by_language}
    out: dict[str, float | None] = {}
    for lang in LANGUAGES:
        row = rows.get(lang, {})
        out[f"{lang}.sentiment_macro_f1"] = registry.clean_metrics(row.get("macro_f1"))
        out[f"{lang}.star_exact"] = registry.clean_metrics(row.get("star_exact"))
    return out


# --------------------------------------------------------------------------------------------------------
# Training into a staging folder: each returns the weights' hash, the gate metrics measured by training,
# and the artifact's own version string.


def _train_themes(settings: Settings, folder: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    from pipeline.themes.train import train_themes

    result = train_themes(settings, folder / "combiner.json", c=float(options.get("c", 1.0)))
    (folder / "metrics.json").write_text(
        json.dumps(registry.clean_metrics({"summary": result["summary"], "splits": result["metrics"]}),
                   indent=2) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    from pipeline.themes.assign import Combiner

    digest = Combiner.digest(folder / "combiner.json")
    return {"digest": digest, "metrics": theme_gates(result["metrics"]["test"]),
            "model_version": f"combiner-{digest}"}  # fmt: skip


def _train_sentiment_stars(settings: Settings, folder: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    from pipeline.scoring.model_card import write_model_card
    from pipeline.scoring.train import train

    result = train(settings, folder)
    write_model_card(folder)
    by_language = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["by_language"]
    return {"digest": result.version.rsplit("-", 1)[-1], "metrics": sentiment_gates(by_language),
            "model_version": result.version}  # fmt: skip


TRAINERS: dict[str, Callable[[Settings, Path, Mapping[str, Any]], dict[str, Any]]] = {
    "themes": _train_themes,
    "sentiment-stars": _train_sentiment_stars,
}


def _day(key: str | None) -> str:
    """``YYYYMMDD`` of the run's logical date (``YYYY-MM-DD``), today (UTC) without one."""
    if key is None:
        return datetime.now(UTC).strftime("%Y%m%d")
    try:
        return date.fromisoformat(key[:10]).strftime("%Y%m%d")
    except ValueError as exc:
        raise ConfigError(f"run key {key!r} is not a date (YYYY-MM-DD)") from exc


def train_candidate(
    settings: Settings, model: str, *, key: str | None = None, options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Train ``model`` into a new registry version with status ``candidate``.

    Args:
        settings: Where the registry, data and encoder cache are.
        model: ``themes`` or ``sentiment-stars``.
        key: The run's logical date (``YYYY-MM-DD``), part of the version id; default today.
        options: Training knobs (themes: ``c``, the inverse regularisation strength).

    Returns:
        ``{"model", "version", "status", "folder", "metrics"}`` (metrics: the gates as training measured).
    """
    check_model(model)
    unknown = sorted(set(options or {}) - set(OPTIONS[model]))
    if unknown:
        raise ConfigError(f"{model}: unknown training options {unknown} (known: {list(OPTIONS[model])})")
    day = _day(key)
    staged = registry.staging_dir(settings, model)
    try:
        trained = TRAINERS[model](settings, staged, dict(options or {}))
        version = f"{day}-{trained['digest']}"
        item = registry.register(
            settings, model, staged, version, trained["metrics"], model_version=trained["model_version"],
            trained_for=key, options=dict(options or {}),
        )  # fmt: skip
    finally:
        shutil.rmtree(staged, ignore_errors=True)  # gone already when registered
    folder = registry.model_dir(settings.home, model) / version
    return {"model": model, "version": version, "status": item["status"], "folder": str(folder),
            "metrics": item["metrics"]}  # fmt: skip


# --------------------------------------------------------------------------------------------------------
# Evaluation: candidate and current on the same rows, in one process.


def _evaluate_themes(settings: Settings, candidate: Path, current: Path) -> tuple[Any, Any, str]:
    from pipeline.themes.assign import Combiner
    from pipeline.themes.train import dev_evidence, sentence_proba, theme_metrics

    model, dev, ev = dev_evidence(settings)
    test = (dev["split"] == "test").to_numpy()

    def gates(path: Path) -> dict[str, float]:
        combiner = Combiner.load(path)
        predicted = sentence_proba(combiner, ev) >= combiner.threshold
        by_language = {}
        for lang in LANGUAGES:
            mask = test & (dev["language"] == lang).to_numpy()
            by_language[lang] = theme_metrics(ev.labels[mask], predicted[mask], model.taxonomy.ids)[1]
        return theme_gates(by_language)

    held_out = f"theme dev set, test split ({int(test.sum())} sentences)"
    return gates(candidate / "combiner.json"), gates(current / "combiner.json"), held_out


def _evaluate_sentiment_stars(settings: Settings, candidate: Path, current: Path) -> tuple[Any, Any, str]:
    from pipeline.scoring.encoder import load_encoder
    from pipeline.scoring.heads import load_heads
    from pipeline.scoring.metrics import evaluate_frame
    from pipeline.scoring.train import embed_mixture, predict_frame
    from pipeline.scoring.training_data import load_mixture

    mixture = load_mixture(settings.shared_data_dir)
    test = mixture[mixture["split"] == "test"].reset_index(drop=True)
    embeddings = embed_mixture(settings, load_encoder(settings), test)

    def gates(folder: Path) -> dict[str, float | None]:
        frame = evaluate_frame(predict_frame(load_heads(folder), test, embeddings), ["language"])
        return sentiment_gates(frame.to_dict("records"))

    held_out = f"sentiment mixture, test split ({len(test)} texts)"
    return gates(candidate), gates(current), held_out


EVALUATORS: dict[str, Callable[[Settings, Path, Path], tuple[Any, Any, str]]] = {
    "themes": _evaluate_themes,
    "sentiment-stars": _evaluate_sentiment_stars,
}


def evaluate_candidate(settings: Settings, model: str, version: str) -> dict[str, Any]:
    """Evaluate a registered version and the current model on the same held-out data, in this run.

    Returns:
        ``{"model", "version", "current" (the current version id, None for the shipped folder),
        "current_folder", "gates", "candidate_metrics", "current_metrics", "held_out", "evaluated_at"}``;
        also stored with the version in the index.
    """
    check_model(model)
    registry.entry(settings, model, version)  # it must be registered
    against = registry.current_version(settings, model)
    current = current_folder(settings, model)
    candidate_metrics, current_metrics, held_out = EVALUATORS[model](
        settings, registry.model_dir(settings.home, model) / version, current
    )
    evaluation = {
        "model": model, "version": version, "current": against, "current_folder": str(current),
        "gates": list(GATES[model]), "candidate_metrics": registry.clean_metrics(candidate_metrics),
        "current_metrics": registry.clean_metrics(current_metrics), "held_out": held_out,
        "evaluated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }  # fmt: skip
    registry.record_evaluation(settings, model, version, evaluation)
    return evaluation


def promote_if_not_worse(
    settings: Settings, model: str, version: str, evaluation: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply the promotion rule to an evaluation and record the decision in the registry.

    Returns:
        ``{"model", "version", "decision" ("promoted" or "refused"), "reason", "worse", "current",
        "previous", "model_version"}``; ``current`` is the version scoring uses from now on (None: shipped).
    """
    check_model(model)
    if evaluation.get("model") != model or evaluation.get("version") != version:
        of = f"{evaluation.get('model')} {evaluation.get('version')}"
        raise ReviewPulseError(f"the evaluation is of {of}, not of {model} {version}")
    decision = registry.decide(evaluation["candidate_metrics"], evaluation["current_metrics"], GATES[model])
    result = registry.apply_decision(settings, model, version, decision, evaluation.get("current"))
    now = result["current"]
    result["model_version"] = registry.entry(settings, model, now).get("model_version") if now else "shipped"
    return result


def retrain(
    settings: Settings, model: str, *, key: str | None = None, options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Train, evaluate and decide in one go (what the weekly DAG does per model, without Airflow)."""
    trained = train_candidate(settings, model, key=key, options=options)
    evaluation = evaluate_candidate(settings, model, trained["version"])
    return {**promote_if_not_worse(settings, model, trained["version"], evaluation), "evaluation": evaluation}
