"""Shared fixtures: an isolated REVIEWPULSE_HOME per test, a warehouse connection, the shared datasets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.settings import REPO_ROOT, Settings

SHARED_DATA = Path(os.environ.get("REVIEWPULSE_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models cache per test session: the encoder is converted at most once, on first use."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    """Settings whose home is a fresh temporary folder."""
    return Settings(home=tmp_path / "home", progress=False, models_dir=models_dir)


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh warehouse with the schema in place."""
    from pipeline.warehouse import connect

    connection = connect(settings)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real datasets; tests needing them skip with a clear message where they are absent."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.skip(f"shared datasets not found at {SHARED_DATA} (set REVIEWPULSE_DATA_DIR)")
    return SHARED_DATA
