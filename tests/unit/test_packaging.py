"""The project's own files: pinned stack, console script, CI entry point (compose: test_compose.py)."""

from __future__ import annotations

import tomllib

from pipeline.settings import REPO_ROOT


def test_pyproject_pins_the_stack_and_declares_the_console_script() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = " ".join(project["dependencies"])
    for pin in (
        "apache-airflow[celery,postgres]==3.3.",
        "duckdb==2.0.",
        "great-expectations==1.24.",
        "torch==2.13.0",
        "scikit-learn==1.9.",
        "transformers>=5,<6",
    ):
        assert pin in deps, pin
    assert project["scripts"]["reviewpulse"] == "pipeline.cli:app"
    assert project["requires-python"] == ">=3.11"
    dev = " ".join(project["optional-dependencies"]["dev"])
    assert all(tool in dev for tool in ("pytest", "ruff", "mypy", "hypothesis"))


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make demo" in readme
