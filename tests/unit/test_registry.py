"""The model registry: the index survives a crash, the not-worse rule, and what scoring resolves to.

No model is trained here: versions are folders made from the shipped artifacts with changed weights, and
evaluations are written by hand. ``tests/integration/test_retrain_real.py`` trains and evaluates for real.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline import registry, retrain
from pipeline.errors import ConfigError, ReviewPulseError
from pipeline.registry import GATES, decide
from pipeline.scoring.heads import heads_version
from pipeline.settings import DEFAULT_HEADS, DEFAULT_THEMES_DIR, Settings
from pipeline.themes.apply import combiner_path, theme_version

THEME_GATES = GATES["themes"]
EQUAL = {gate: 0.6 for gate in THEME_GATES}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"REVIEWPULSE_HOME": str(tmp_path / "home"), "REVIEWPULSE_PROGRESS": "0"}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:  # overrides conftest's: built the way the DAG builds it
    return Settings.from_env(env)


def _stage_combiner(settings: Settings, coef0: float) -> Path:
    """A staged theme version: the shipped combiner with its first weight changed."""
    staged = registry.staging_dir(settings, "themes")
    body = json.loads((DEFAULT_THEMES_DIR / "combiner.json").read_text(encoding="utf-8"))
    body["coef"][0] = coef0
    (staged / "combiner.json").write_text(json.dumps(body), encoding="utf-8")
    (staged / "metrics.json").write_text("{}", encoding="utf-8")
    return staged


def _register_combiner(settings: Settings, version: str, coef0: float = 0.5) -> dict[str, Any]:
    return registry.register(settings, "themes", _stage_combiner(settings, coef0), version, EQUAL)


def _evaluation(version: str, candidate: dict[str, float], current_version: str | None = None) -> dict:
    return {"model": "themes", "version": version, "current": current_version,
            "candidate_metrics": candidate, "current_metrics": EQUAL, "held_out": "test"}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The rule


def test_equal_metrics_count_as_not_worse() -> None:
    decision = decide(dict(EQUAL), dict(EQUAL), THEME_GATES)
    assert decision.promote and decision.worse == ()
    assert "equal on 6" in decision.reason


def test_one_worse_metric_refuses_and_the_reason_names_it() -> None:
    candidate = {**EQUAL, "en.micro_f1": 0.7, "es.macro_f1": 0.55}  # better on one, worse on another
    decision = decide(candidate, EQUAL, THEME_GATES)
    assert not decision.promote
    assert decision.worse == ("es.macro_f1",)
    assert "es.macro_f1 0.5500 < current 0.6000" in decision.reason
    assert "en.micro_f1" not in decision.reason


def test_better_on_some_and_equal_on_the_rest_promotes() -> None:
    decision = decide({**EQUAL, "pt.micro_f1": 0.61}, EQUAL, THEME_GATES)
    assert decision.promote and "better on 1, equal on 5" in decision.reason


def test_float_noise_is_not_worse_but_a_real_drop_is() -> None:
    assert decide({**EQUAL, "en.macro_f1": 0.6 - 1e-12}, EQUAL, THEME_GATES).promote
    assert not decide({**EQUAL, "en.macro_f1": 0.6 - 1e-6}, EQUAL, THEME_GATES).promote


def test_a_missing_candidate_metric_is_worse_and_a_metric_the_current_lacks_decides_nothing() -> None:
    missing = {k: v for k, v in EQUAL.items() if k != "pt.macro_f1"}
    assert decide(missing, EQUAL, THEME_GATES).worse == ("pt.macro_f1",)
    assert decide({**EQUAL, "pt.macro_f1": None}, EQUAL, THEME_GATES).worse == ("pt.macro_f1",)
    no_number = {**EQUAL, "es.micro_f1": float("nan")}  # no held-out rows for it
    assert decide({**EQUAL, "es.micro_f1": 0.0}, no_number, THEME_GATES).promote


def test_no_gates_is_an_error_not_a_promotion() -> None:
    with pytest.raises(ReviewPulseError, match="no gate metrics"):
        decide(EQUAL, EQUAL, ())


# ---------------------------------------------------------------------------------------------------------
# The index


def test_register_moves_the_folder_in_and_lists_the_version(settings: Settings) -> None:
    item = _register_combiner(settings, "20261115-aaaa0000")
    folder = registry.model_dir(settings.home, "themes") / "20261115-aaaa0000"

    assert (folder / "combiner.json").exists() and (folder / "metrics.json").exists()
    assert not list(folder.parent.glob(".staging-*"))
    index = json.loads((folder.parent / "index.json").read_text(encoding="utf-8"))
    assert index["current"] is None
    assert [v["version"] for v in index["versions"]] == ["20261115-aaaa0000"]
    assert index["versions"][0] == item
    assert item["status"] == "candidate" and item["reason"] is None and item["metrics"] == EQUAL
    assert item["created_at"].endswith("+00:00")
    assert registry.models(settings) == ["themes"]
    # readable by every worker user, not private to the one that trained it (tempfile's default)
    assert (folder.stat().st_mode & 0o777, (folder.parent / "index.json").stat().st_mode & 0o777) == (
        0o755,
        0o644,
    )


def test_registering_the_same_version_again_keeps_its_folder_and_status(settings: Settings) -> None:
    _register_combiner(settings, "20261115-aaaa0000", coef0=0.5)
    registry.promote(settings, "themes", "20261115-aaaa0000")
    again = _register_combiner(settings, "20261115-aaaa0000", coef0=0.9)  # a rerun of the same run

    assert again["status"] == "promoted"
    assert len(registry.versions(settings, "themes")) == 1
    kept = json.loads(combiner_path(Settings.from_env({"REVIEWPULSE_HOME": str(settings.home)})).read_text())
    assert kept["coef"][0] == 0.5
    assert not list(registry.model_dir(settings.home, "themes").glob(".staging-*"))


def test_a_crash_while_writing_the_index_leaves_the_previous_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register_combiner(settings, "20261115-aaaa0000")
    index_path = registry.model_dir(settings.home, "themes") / "index.json"
    before = index_path.read_bytes()

    def dump_half_then_die(data: Any, handle: Any, **kwargs: Any) -> None:
        handle.write('{"model": "themes", "versions": [')
        raise OSError("disk full")

    monkeypatch.setattr(registry.json, "dump", dump_half_then_die)
    with pytest.raises(OSError, match="disk full"):
        registry.promote(settings, "themes", "20261115-aaaa0000")
    monkeypatch.undo()

    assert index_path.read_bytes() == before
    assert registry.current(settings, "themes") is None
    assert [p.name for p in index_path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_corrupt_index_is_a_clear_error(settings: Settings) -> None:
    folder = registry.model_dir(settings.home, "themes")
    folder.mkdir(parents=True)
    (folder / "index.json").write_text('{"model": ', encoding="utf-8")
    with pytest.raises(ReviewPulseError, match="not valid JSON"):
        registry.current(settings, "themes")


def test_metrics_are_stored_without_nan() -> None:
    import numpy as np

    cleaned = registry.clean_metrics({"a": float("nan"), "b": np.float64(0.5), "c": [np.int64(3)]})
    assert cleaned == {"a": None, "b": 0.5, "c": [3]}
    assert json.dumps(cleaned, allow_nan=False)


# ---------------------------------------------------------------------------------------------------------
# What scoring resolves to, and the version it records


def test_with_nothing_promoted_the_shipped_models_are_current(
    settings: Settings, env: dict[str, str]
) -> None:
    assert registry.current(settings, "themes") is None
    assert registry.current(settings, "sentiment-stars") is None
    assert settings.heads_dirs == DEFAULT_HEADS
    assert combiner_path(settings) == DEFAULT_THEMES_DIR / "combiner.json"
    assert retrain.current_folder(settings, "themes") == DEFAULT_THEMES_DIR
    assert retrain.current_folder(settings, "sentiment-stars") == DEFAULT_HEADS[0]
    _register_combiner(settings, "20261115-aaaa0000")  # a candidate is not current
    assert combiner_path(Settings.from_env(env)) == DEFAULT_THEMES_DIR / "combiner.json"


def test_promoting_a_theme_combiner_changes_the_resolved_file_and_the_recorded_version(
    settings: Settings, env: dict[str, str]
) -> None:
    shipped_version = theme_version(settings)
    _register_combiner(settings, "20261115-aaaa0000", coef0=0.5)

    decision = retrain.promote_if_not_worse(
        settings, "themes", "20261115-aaaa0000", _evaluation("20261115-aaaa0000", dict(EQUAL))
    )
    after = Settings.from_env(env)

    assert decision["decision"] == "promoted" and decision["current"] == "20261115-aaaa0000"
    folder = registry.model_dir(settings.home, "themes") / "20261115-aaaa0000"
    assert combiner_path(after) == folder / "combiner.json"
    assert theme_version(after) != shipped_version  # review_sentences.model_version changes
    assert theme_version(after).rsplit("combiner-", 1)[0] == shipped_version.rsplit("combiner-", 1)[0]
    assert registry.entry(settings, "themes", "20261115-aaaa0000")["status"] == "promoted"

    registry.rollback(settings, "themes")
    assert theme_version(Settings.from_env(env)) == shipped_version
    assert registry.entry(settings, "themes", "20261115-aaaa0000")["status"] == "retired"


def test_promoting_sentiment_heads_changes_the_scoring_folders_and_the_scores_model_version(
    settings: Settings, env: dict[str, str]
) -> None:
    shipped_version = heads_version(*settings.heads_dirs)
    staged = registry.staging_dir(settings, "sentiment-stars")
    shutil.copytree(DEFAULT_HEADS[0], staged, dirs_exist_ok=True)
    spec = json.loads((staged / "heads.json").read_text(encoding="utf-8"))
    spec["version"] = f"{spec['encoder']}+sentiment-stars-0badc0de"  # what retraining writes
    (staged / "heads.json").write_text(json.dumps(spec), encoding="utf-8")
    registry.register(settings, "sentiment-stars", staged, "20261115-0badc0de", {})
    registry.promote(settings, "sentiment-stars", "20261115-0badc0de")

    after = Settings.from_env(env)
    folder = registry.model_dir(settings.home, "sentiment-stars") / "20261115-0badc0de"
    assert after.heads_dirs == (folder, DEFAULT_HEADS[1])  # fake-text stays the shipped one
    assert heads_version(*after.heads_dirs) != shipped_version  # review_scores.model_version changes
    assert "sentiment-stars-0badc0de" in heads_version(*after.heads_dirs)
    # sentences keep the theme model's own sentiment head: a review-level promotion re-themes nothing
    assert theme_version(after) == theme_version(settings)


def test_environment_overrides_win_over_the_registry(settings: Settings, env: dict[str, str]) -> None:
    _register_combiner(settings, "20261115-aaaa0000")
    registry.promote(settings, "themes", "20261115-aaaa0000")
    mine = Settings.from_env({**env, "REVIEWPULSE_THEMES_COMBINER": "/m/combiner.json",
                              "REVIEWPULSE_HEADS": "/m/heads"})  # fmt: skip
    assert combiner_path(mine) == Path("/m/combiner.json")
    assert mine.heads_dirs == (Path("/m/heads"),)


def test_a_night_keeps_the_models_it_pinned_when_one_is_promoted_during_it(
    settings: Settings, env: dict[str, str]
) -> None:
    from pipeline import nightly

    _register_combiner(settings, "20261115-aaaa0000", coef0=0.5)
    registry.promote(settings, "themes", "20261115-aaaa0000")
    pinned = nightly.pin_models(Settings.from_env(env))  # the run starts
    first = nightly.night_settings(pinned, env)

    _register_combiner(settings, "20261122-bbbb0000", coef0=0.7)  # the weekly retrain, mid-night
    registry.promote(settings, "themes", "20261122-bbbb0000")

    later = nightly.night_settings(pinned, env)  # a later task of the same run, in another process
    assert combiner_path(later) == combiner_path(first)
    assert combiner_path(later).parent.name == "20261115-aaaa0000"
    assert theme_version(later) == theme_version(first) != theme_version(Settings.from_env(env))
    assert later.heads_dirs == first.heads_dirs == tuple(p.resolve() for p in DEFAULT_HEADS)
    # the next night pins the promoted version
    assert combiner_path(
        nightly.night_settings(nightly.pin_models(Settings.from_env(env)), env)
    ).parent.name == ("20261122-bbbb0000")
    with pytest.raises(ConfigError, match="REVIEWPULSE_HOME"):
        nightly.night_settings({"REVIEWPULSE_HOME": "/elsewhere"}, env)


# ---------------------------------------------------------------------------------------------------------
# Decisions through retrain.promote_if_not_worse


def test_a_refused_candidate_leaves_the_current_version(settings: Settings) -> None:
    _register_combiner(settings, "20261108-aaaa0000", coef0=0.5)
    registry.promote(settings, "themes", "20261108-aaaa0000")
    _register_combiner(settings, "20261115-bbbb0000", coef0=0.9)
    worse = {**EQUAL, "pt.micro_f1": 0.4}

    decision = retrain.promote_if_not_worse(
        settings, "themes", "20261115-bbbb0000", _evaluation("20261115-bbbb0000", worse, "20261108-aaaa0000")
    )

    assert decision["decision"] == "refused" and decision["worse"] == ["pt.micro_f1"]
    assert "pt.micro_f1 0.4000 < current 0.6000" in decision["reason"]
    assert decision["current"] == "20261108-aaaa0000" == registry.current_version(settings, "themes")
    refused = registry.entry(settings, "themes", "20261115-bbbb0000")
    assert refused["status"] == "refused" and refused["reason"] == decision["reason"]
    assert registry.entry(settings, "themes", "20261108-aaaa0000")["status"] == "promoted"


def test_a_promotion_retires_the_version_it_replaces(settings: Settings) -> None:
    _register_combiner(settings, "20261108-aaaa0000", coef0=0.5)
    registry.promote(settings, "themes", "20261108-aaaa0000")
    _register_combiner(settings, "20261115-bbbb0000", coef0=0.9)

    decision = retrain.promote_if_not_worse(
        settings, "themes", "20261115-bbbb0000",
        _evaluation("20261115-bbbb0000", dict(EQUAL), "20261108-aaaa0000"),
    )  # fmt: skip

    assert decision["decision"] == "promoted" and decision["previous"] == "20261108-aaaa0000"
    statuses = {v["version"]: v["status"] for v in registry.versions(settings, "themes")}
    assert statuses == {"20261108-aaaa0000": "retired", "20261115-bbbb0000": "promoted"}
    history = registry.read_index(settings.home, "themes")["history"]
    assert [(h["action"], h["version"], h["previous"]) for h in history] == [
        ("manual", "20261108-aaaa0000", None),
        ("promote", "20261115-bbbb0000", "20261108-aaaa0000"),
    ]


def test_an_evaluation_against_an_older_current_version_cannot_decide(settings: Settings) -> None:
    _register_combiner(settings, "20261115-aaaa0000")
    evaluation = _evaluation("20261115-aaaa0000", dict(EQUAL), current_version=None)
    _register_combiner(settings, "20261115-bbbb0000")
    registry.promote(settings, "themes", "20261115-bbbb0000")  # someone promoted by hand meanwhile

    with pytest.raises(ReviewPulseError, match="evaluate it again"):
        retrain.promote_if_not_worse(settings, "themes", "20261115-aaaa0000", evaluation)
    assert registry.entry(settings, "themes", "20261115-aaaa0000")["status"] == "candidate"


def test_deciding_again_on_the_current_version_keeps_it(settings: Settings) -> None:
    _register_combiner(settings, "20261115-aaaa0000")
    evaluation = _evaluation("20261115-aaaa0000", dict(EQUAL))
    retrain.promote_if_not_worse(settings, "themes", "20261115-aaaa0000", evaluation)
    again = retrain.promote_if_not_worse(settings, "themes", "20261115-aaaa0000", evaluation)  # a rerun
    assert again["decision"] == "promoted" and again["reason"] == "already the current version"
    assert len(registry.read_index(settings.home, "themes")["history"]) == 1


def test_an_evaluation_of_another_version_is_rejected(settings: Settings) -> None:
    _register_combiner(settings, "20261115-aaaa0000")
    with pytest.raises(ReviewPulseError, match="not of themes 20261115-aaaa0000"):
        retrain.promote_if_not_worse(settings, "themes", "20261115-aaaa0000", _evaluation("other", EQUAL))


def test_rollback_undoes_the_last_change_and_needs_one(settings: Settings) -> None:
    with pytest.raises(ReviewPulseError, match="nothing to roll back"):
        registry.rollback(settings, "themes")
    _register_combiner(settings, "20261108-aaaa0000")
    _register_combiner(settings, "20261115-bbbb0000")
    registry.promote(settings, "themes", "20261108-aaaa0000")
    registry.promote(settings, "themes", "20261115-bbbb0000")

    assert registry.rollback(settings, "themes")["current"] == "20261108-aaaa0000"
    assert registry.rollback(settings, "themes", to="shipped")["current"] is None
    with pytest.raises(ReviewPulseError, match="no registered version"):
        registry.rollback(settings, "themes", to="20990101-ffff0000")


def test_repeated_rollbacks_walk_back_and_never_return_to_what_they_left(settings: Settings) -> None:
    """A rollback undone by the next one put the bad version back (A, B, A, B ...): an operator's retry
    or second rollback must go further back, and a jump with --to must not be undone into the bad one."""
    a, b, c = "20261101-aaaa0000", "20261108-bbbb0000", "20261115-cccc0000"
    for version in (a, b, c):
        _register_combiner(settings, version)
    for version in (a, b, c):
        registry.promote(settings, "themes", version)
    assert [registry.rollback(settings, "themes")["current"] for _ in range(3)] == [b, a, None]
    with pytest.raises(ReviewPulseError, match="nothing to roll back"):
        registry.rollback(settings, "themes")
    for version in (a, b, c):
        registry.promote(settings, "themes", version)
    assert registry.rollback(settings, "themes", to=a)["current"] == a
    with pytest.raises(ReviewPulseError, match="is already current"):
        registry.rollback(settings, "themes", to=a)
    assert registry.rollback(settings, "themes")["current"] is None  # on past a, never to the skipped b
    registry.promote(settings, "themes", c)
    assert registry.rollback(settings, "themes", to="shipped")["current"] is None
    with pytest.raises(ReviewPulseError, match="nothing to roll back"):  # not back to c
        registry.rollback(settings, "themes")
    registry.promote(settings, "themes", b)
    assert registry.rollback(settings, "themes", to=c)["current"] == c  # a jump to one never left for
    assert registry.rollback(settings, "themes")["current"] is None  # undoes b's promotion, not the jump


def test_a_version_whose_folder_is_gone_cannot_be_made_current(settings: Settings) -> None:
    import shutil

    a, b = "20261101-aaaa0000", "20261108-bbbb0000"
    for version in (a, b):
        _register_combiner(settings, version)
    registry.promote(settings, "themes", a)
    shutil.rmtree(registry.model_dir(settings.home, "themes") / b)
    for call in (lambda: registry.promote(settings, "themes", b),
                 lambda: registry.rollback(settings, "themes", to=b)):  # fmt: skip
        with pytest.raises(ReviewPulseError, match=f"themes {b}: its folder .* is missing"):
            call()
    assert registry.read_index(settings.home, "themes")["current"] == a


def test_a_misspelt_model_is_refused_and_creates_nothing(settings: Settings) -> None:
    for call in (lambda: registry.rollback(settings, "themse", to="shipped"),
                 lambda: registry.promote(settings, "themse", "v1")):  # fmt: skip
        with pytest.raises(ReviewPulseError, match="unknown model 'themse': the registry keeps themes"):
            call()
    assert not registry.model_dir(settings.home, "themse").exists()
    assert registry.models(settings) == []


def test_an_index_without_its_lists_is_a_clear_error(settings: Settings) -> None:
    _register_combiner(settings, "20261101-aaaa0000")
    (registry.model_dir(settings.home, "themes") / "index.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ReviewPulseError, match="is not an index: it needs 'versions' and 'history'"):
        registry.versions(settings, "themes")


# ---------------------------------------------------------------------------------------------------------
# train_candidate with a stand-in trainer


def _fake_trainer(coef0: float) -> Any:
    def train(settings: Settings, folder: Path, options: dict[str, Any]) -> dict[str, Any]:
        body = json.loads((DEFAULT_THEMES_DIR / "combiner.json").read_text(encoding="utf-8"))
        body["coef"][0] = coef0
        (folder / "combiner.json").write_text(json.dumps(body), encoding="utf-8")
        return {"digest": f"{int(coef0 * 1000):08x}", "metrics": EQUAL, "model_version": "combiner-x"}

    return train


def test_train_candidate_registers_a_version_named_by_run_date_and_weights(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(retrain.TRAINERS, "themes", _fake_trainer(0.5))
    trained = retrain.train_candidate(settings, "themes", key="2026-11-15")
    again = retrain.train_candidate(settings, "themes", key="2026-11-15")  # a rerun of the run

    assert trained["version"] == again["version"] == "20261115-000001f4"
    assert trained["status"] == "candidate" and Path(trained["folder"]).is_dir()
    assert len(registry.versions(settings, "themes")) == 1
    assert registry.current(settings, "themes") is None  # training never promotes


def test_a_failed_training_leaves_no_folder_and_no_entry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(settings: Settings, folder: Path, options: dict[str, Any]) -> dict[str, Any]:
        (folder / "combiner.json").write_text("{", encoding="utf-8")
        raise ReviewPulseError("training blew up")

    monkeypatch.setitem(retrain.TRAINERS, "themes", crash)
    with pytest.raises(ReviewPulseError, match="blew up"):
        retrain.train_candidate(settings, "themes", key="2026-11-15")
    folder = registry.model_dir(settings.home, "themes")
    assert [p.name for p in folder.iterdir() if p.name not in (".lock",)] == []
    assert registry.versions(settings, "themes") == []


def test_unknown_models_and_options_are_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="cannot retrain 'fake-text'"):
        retrain.train_candidate(settings, "fake-text")
    with pytest.raises(ConfigError, match="unknown training options"):
        retrain.train_candidate(settings, "sentiment-stars", options={"c": 1.0})
    with pytest.raises(ConfigError, match="not a date"):
        retrain.train_candidate(settings, "themes", key="last week")
    with pytest.raises(ReviewPulseError, match="not a model name"):
        registry.model_dir(settings.home, "../etc")


def test_sentiment_gates_read_the_by_language_metrics() -> None:
    rows = [
        {"language": "en", "macro_f1": 0.8, "star_exact": 0.6},
        {"language": "es", "macro_f1": 0.7, "star_exact": float("nan")},
        {"language": "pt", "macro_f1": 0.65, "star_exact": 0.5},
    ]
    gates = retrain.sentiment_gates(rows)
    assert list(gates) == list(GATES["sentiment-stars"])
    assert gates["en.sentiment_macro_f1"] == 0.8 and gates["es.star_exact"] is None


# ---------------------------------------------------------------------------------------------------------
# The command line


def test_models_list_shows_versions_status_and_current(
    settings: Settings, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from pipeline import cli

    monkeypatch.setenv("REVIEWPULSE_HOME", env["REVIEWPULSE_HOME"])
    monkeypatch.setattr(cli, "console", Console(width=400))
    runner = CliRunner()
    empty = runner.invoke(cli.app, ["models", "list"])
    assert empty.exit_code == 0 and "empty" in empty.output

    _register_combiner(settings, "20261115-aaaa0000")
    promoted = runner.invoke(cli.app, ["models", "promote", "themes", "20261115-aaaa0000"])
    assert promoted.exit_code == 0, promoted.output
    listed = runner.invoke(cli.app, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert "themes: current 20261115-aaaa0000" in listed.output
    assert "20261115-aaaa0000 *" in listed.output and "promoted" in listed.output
    assert "en.micro_f1=0.600" in listed.output

    back = runner.invoke(cli.app, ["models", "rollback", "themes"])
    assert back.exit_code == 0 and "current shipped" in back.output
    missing = runner.invoke(cli.app, ["models", "promote", "themes", "nope"])
    assert missing.exit_code == 1
