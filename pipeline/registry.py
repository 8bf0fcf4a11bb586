"""A file-based model registry under ``$REVIEWPULSE_HOME/registry/``: every Airflow worker that shares the
home sees the same versions, and scoring picks up the promoted one at its next ``Settings.from_env()``::

    $REVIEWPULSE_HOME/registry/<model>/
      index.json            every version: created_at, gate metrics, status, reason; which one is current
      <version>/            artifact files (``combiner.json``; ``heads.json`` + ``*.npz``) and metrics.json
      .lock                 serialises read-modify-write of the index across processes

A version's status is ``candidate`` (trained, not decided), ``promoted`` (the current one: at most one),
``refused`` (evaluated worse than the current one; ``reason`` names the metric) or ``retired`` (promoted
once, replaced since). With no promoted version the shipped folder in ``models/`` is current.

The index is only ever replaced whole (temp file, fsync, ``os.replace``), so a task that crashes mid-write
leaves the previous index; version folders are built aside and renamed into place. This module reads JSON
and nothing else, so ``Settings.from_env()`` can resolve the current folders for free.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ReviewPulseError

if TYPE_CHECKING:
    from pipeline.settings import Settings

STATUSES = ("candidate", "promoted", "refused", "retired")
LANGUAGES = ("en", "es", "pt")
# The gate metrics per model: higher is better, each measured per language on held-out data the model never
# saw in training (themes: the labelled dev set's test split; sentiment-stars: the mixture's test split).
GATES: dict[str, tuple[str, ...]] = {
    "themes": tuple(f"{lang}.{m}" for lang in LANGUAGES for m in ("micro_f1", "macro_f1")),
    "sentiment-stars": tuple(
        f"{lang}.{m}" for lang in LANGUAGES for m in ("sentiment_macro_f1", "star_exact")
    ),
}
# Candidate and current are scored in the same run on the same rows, so equal models give equal numbers;
# the tolerance only absorbs float noise in the last bits.
TOLERANCE = 1e-9
SHARED_FILE, SHARED_FOLDER = 0o644, 0o755
"""Modes of the index and version folders: readable by the other users an Airflow deployment's workers
may run as (``tempfile`` would leave them private to the user who wrote them)."""


@dataclass(frozen=True)
class Decision:
    """The rule's verdict on a candidate: promote or not, why, and which gate metrics got worse."""

    promote: bool
    reason: str
    worse: tuple[str, ...] = ()


def _number(value: Any) -> float | None:
    """A metric as a float, or None where it is missing or NaN (no rows to measure it on)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def decide(candidate: Mapping[str, Any], current: Mapping[str, Any], gates: Sequence[str]) -> Decision:
    """The promotion rule: promote only when no gate metric of the candidate is below the current model's.

    Both metric sets must come from one evaluation on the same held-out data. Higher is better for every
    gate; equal counts as not worse (to ``TOLERANCE``). A gate the current model has no number for (no
    held-out rows) cannot get worse; one the candidate lacks while the current has it counts as worse.

    Args:
        candidate: Gate metric name -> value for the candidate.
        current: The same for the current model.
        gates: The metric names that decide (``GATES[model]``).

    Returns:
        A ``Decision``; when refused, ``reason`` names every metric that got worse, with both values.
    """
    if not gates:
        raise ReviewPulseError("no gate metrics: refusing to decide on nothing")
    worse: list[str] = []
    notes: list[str] = []
    better = 0
    for gate in gates:
        new, old = _number(candidate.get(gate)), _number(current.get(gate))
        if old is None:
            continue
        if new is None:
            worse.append(gate)
            notes.append(f"{gate} missing (current {old:.4f})")
        elif new < old - TOLERANCE:
            worse.append(gate)
            notes.append(f"{gate} {new:.4f} < current {old:.4f}")
        elif new > old + TOLERANCE:
            better += 1
    if worse:
        return Decision(False, "worse than the current model: " + "; ".join(notes), tuple(worse))
    equal = sum(1 for g in gates if _number(current.get(g)) is not None) - better
    return Decision(
        True, f"not worse on any of {len(gates)} gate metrics (better on {better}, equal on {equal})"
    )


# --------------------------------------------------------------------------------------------------------
# Where things are, and reading the index (cheap: one small JSON file).


def registry_dir(home: Path) -> Path:
    return Path(home) / "registry"


def model_dir(home: Path, model: str) -> Path:
    if not model or "/" in model or model.startswith("."):
        raise ReviewPulseError(f"not a model name: {model!r}")
    return registry_dir(home) / model


def _index_path(home: Path, model: str) -> Path:
    return model_dir(home, model) / "index.json"


def _empty(model: str) -> dict[str, Any]:
    return {"model": model, "current": None, "versions": [], "history": []}


def read_index(home: Path, model: str) -> dict[str, Any]:
    """The model's index (an empty one when nothing was ever registered)."""
    path = _index_path(home, model)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty(model)
    except OSError as exc:
        raise ReviewPulseError(f"cannot read the model registry index {path}: {exc}") from exc
    try:
        index = json.loads(text)
    except ValueError as exc:
        raise ReviewPulseError(f"model registry index {path} is not valid JSON: {exc}") from exc
    if not (isinstance(index, dict) and isinstance(index.get("versions"), list)
            and isinstance(index.get("history"), list)):  # fmt: skip
        raise ReviewPulseError(
            f"model registry index {path} is not an index: it needs 'versions' and 'history' lists "
            "(restore it from a backup, or remove it to start empty)"
        )
    return dict(index)


def check_model(model: str) -> None:
    """ReviewPulseError unless ``model`` is one the registry keeps versions of (a typo must not create a
    registry folder or an index of its own)."""
    if model not in GATES:
        raise ReviewPulseError(f"unknown model {model!r}: the registry keeps {', '.join(GATES)}")


def promoted_folder(home: Path, model: str) -> Path | None:
    """The promoted version's folder, or None when the shipped folder is current. One JSON read."""
    version = read_index(home, model).get("current")
    return model_dir(home, model) / version if version else None


def current(settings: Settings, model: str) -> Path | None:
    """The promoted folder of ``model`` in this home's registry, or None (the shipped folder is current)."""
    return promoted_folder(settings.home, model)


def current_version(settings: Settings, model: str) -> str | None:
    """The promoted version id, or None when the shipped folder is current."""
    version = read_index(settings.home, model).get("current")
    return str(version) if version else None


def models(settings: Settings) -> list[str]:
    """The models that have an index in this home's registry."""
    root = registry_dir(settings.home)
    return sorted(p.parent.name for p in root.glob("*/index.json")) if root.is_dir() else []


def versions(settings: Settings, model: str) -> list[dict[str, Any]]:
    """Every registered version of ``model``, oldest first."""
    return list(read_index(settings.home, model)["versions"])


def entry(settings: Settings, model: str, version: str) -> dict[str, Any]:
    """One version's index entry; ReviewPulseError when there is none."""
    return dict(_entry(read_index(settings.home, model), model, version))


# --------------------------------------------------------------------------------------------------------
# Writing: under the model's lock, the index replaced whole.


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file beside ``path``, fsync it, then ``os.replace`` it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, SHARED_FILE)  # mkstemp makes it private; every worker user must read the registry
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_metrics(value: Any) -> Any:
    """Metrics made JSON-safe: numpy scalars become plain numbers, NaN becomes None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): clean_metrics(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_metrics(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return value


@contextmanager
def _locked(home: Path, model: str) -> Iterator[dict[str, Any]]:
    """Hold the model's lock; yield its index to change in place; write it back atomically on success."""
    check_model(model)
    folder = model_dir(home, model)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            index = read_index(home, model)
            yield index
            write_json_atomic(_index_path(home, model), index)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _entry(index: Mapping[str, Any], model: str, version: str) -> dict[str, Any]:
    for item in index["versions"]:
        if item["version"] == version:
            return dict(item)
    raise ReviewPulseError(f"model {model!r} has no registered version {version!r}")


def _update(index: dict[str, Any], version: str, **changes: Any) -> dict[str, Any]:
    for i, item in enumerate(index["versions"]):
        if item["version"] == version:
            index["versions"][i] = {**item, **changes}
            return dict(index["versions"][i])
    raise ReviewPulseError(f"model {index['model']!r} has no registered version {version!r}")


def staging_dir(settings: Settings, model: str) -> Path:
    """A fresh folder inside the model's registry folder to train into before ``register`` (hidden by its
    ``.staging-`` name until then; readable by every worker user, as the version folder it becomes)."""
    folder = model_dir(settings.home, model)
    folder.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    staged.chmod(SHARED_FOLDER)  # mkdtemp makes it private; it becomes the version folder workers read
    return staged


def register(
    settings: Settings,
    model: str,
    staged: Path,
    version: str,
    metrics: Mapping[str, Any],
    **meta: Any,
) -> dict[str, Any]:
    """Move a trained folder into the registry as a ``candidate`` and list it in the index.

    ``staged`` (from ``staging_dir``) is renamed to ``<model>/<version>/``. Registering a version that is
    already there (a rerun of the same training, which is seeded) keeps the stored folder and entry: a
    promoted or refused version keeps its status.

    Returns:
        The version's index entry.
    """
    with _locked(settings.home, model) as index:
        target = model_dir(settings.home, model) / version
        known = [item for item in index["versions"] if item["version"] == version]
        if known and target.is_dir():
            shutil.rmtree(staged, ignore_errors=True)
            return dict(known[0])
        if target.exists():  # a folder the index never listed: left by a crash between rename and write
            shutil.rmtree(target)
        os.replace(staged, target)
        item = {
            "version": version,
            "created_at": _now(),
            "status": "candidate",
            "reason": None,
            "metrics": clean_metrics(dict(metrics)),
            **clean_metrics(meta),
        }
        index["versions"] = [v for v in index["versions"] if v["version"] != version] + [item]
        return dict(item)


def record_evaluation(settings: Settings, model: str, version: str, evaluation: Mapping[str, Any]) -> None:
    """Store the candidate-versus-current gate metrics of one evaluation with the version."""
    keep = ("current", "candidate_metrics", "current_metrics", "held_out", "evaluated_at")
    with _locked(settings.home, model) as index:
        _update(index, version, evaluation=clean_metrics({k: evaluation.get(k) for k in keep}))


def _require_folder(home: Path, model: str, version: str) -> None:
    """ReviewPulseError when a registered version's folder is gone: making it current would break scoring."""
    folder = model_dir(home, model) / version
    if not folder.is_dir():
        raise ReviewPulseError(
            f"{model} {version}: its folder {folder} is missing; it cannot be made current"
        )


def _set_current(index: dict[str, Any], version: str | None, action: str, reason: str) -> str | None:
    """Make ``version`` (None: the shipped folder) current; the one it replaces is retired."""
    previous = index.get("current")
    if previous and previous != version:
        _update(index, previous, status="retired", retired_at=_now())
    if version is not None:
        _update(index, version, status="promoted", reason=reason, promoted_at=_now())
    index["current"] = version
    index["history"].append(
        {"at": _now(), "action": action, "version": version, "previous": previous, "reason": reason}
    )
    return previous


def apply_decision(
    settings: Settings, model: str, version: str, decision: Decision, evaluated_against: str | None
) -> dict[str, Any]:
    """Promote or refuse a candidate per ``decision``, if the current version is still the one it was
    evaluated against (else ReviewPulseError: evaluate again).

    Returns:
        ``{"model", "version", "decision", "reason", "current", "previous"}``.
    """
    with _locked(settings.home, model) as index:
        _entry(index, model, version)
        now_current = index.get("current")
        if now_current == version:
            return {"model": model, "version": version, "decision": "promoted", "current": version,
                    "previous": version, "reason": "already the current version"}  # fmt: skip
        if now_current != evaluated_against:
            raise ReviewPulseError(
                f"{model}: the current version changed from {evaluated_against or 'shipped'} to "
                f"{now_current or 'shipped'} since {version} was evaluated; evaluate it again"
            )
        if decision.promote:
            previous = _set_current(index, version, "promote", decision.reason)
        else:
            previous = now_current
            _update(index, version, status="refused", reason=decision.reason, refused_at=_now())
        return {
            "model": model, "version": version, "decision": "promoted" if decision.promote else "refused",
            "reason": decision.reason, "worse": list(decision.worse), "current": index["current"],
            "previous": previous,
        }  # fmt: skip


def promote(settings: Settings, model: str, version: str, reason: str = "promoted by hand") -> dict[str, Any]:
    """Make a registered version current without the rule (an operator's decision); returns the change."""
    with _locked(settings.home, model) as index:
        _entry(index, model, version)
        _require_folder(settings.home, model, version)
        previous = _set_current(index, version, "manual", reason)
        return {"model": model, "current": version, "previous": previous, "reason": reason}


def rollback(settings: Settings, model: str, to: str | None = None) -> dict[str, Any]:
    """Undo the last promotion still in force (or go to ``to``; ``"shipped"`` for the shipped folder).

    Promotions stack up and plain rollbacks take them off one at a time: promote A, promote B, then
    rollback, rollback gives A, then shipped, then "nothing to roll back" (never back to B). A rollback
    ``to`` a version on that stack takes off everything above it, as that many plain rollbacks would (after
    promote A, B, C and ``--to A``, the next rollback goes to shipped, never to the skipped B); ``to`` a
    version not on it jumps and takes nothing off. The version that was current is retired; rolling back
    to None makes the shipped folder current.
    """
    with _locked(settings.home, model) as index:
        current = index.get("current")
        if to is None:
            stack = _undo_stack(index["history"])
            while stack and stack[-1] == current:  # a jump (rollback --to) may have landed there already
                stack.pop()
            if not stack:
                raise ReviewPulseError(f"{model}: nothing to roll back")
            target, action = stack[-1], "rollback"
        else:
            target, action = (None if to == "shipped" else to), "rollback_to"
            if target == current:
                raise ReviewPulseError(f"{model}: {to} is already current")
        if target is not None:
            _entry(index, model, target)
            _require_folder(settings.home, model, target)
        reason = f"rolled back from {current or 'shipped'}"
        previous = _set_current(index, target, action, reason)
        return {"model": model, "current": target, "previous": previous, "reason": reason}


def _undo_stack(history: list[dict[str, Any]]) -> list[str | None]:
    """The versions plain rollbacks return to, the next one last: each promotion puts the version it
    replaced on the stack; a rollback (plain or ``--to``) to a version on the stack takes entries off down
    to it, one to a version not on it changes nothing."""
    stack: list[str | None] = []
    for change in history:
        if change["action"] in ("rollback", "rollback_to"):
            if change["version"] in stack:
                while stack.pop() != change["version"]:
                    pass
        else:
            stack.append(change["previous"])
    return stack
