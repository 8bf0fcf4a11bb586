"""pipeline/preload.py: the airflow_local_settings.py the image writes imports the tasks' heavy libraries
in the components that ask for it, through Airflow's own start-up, and exports nothing into Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.preload import ENV_VAR, LOCAL_SETTINGS, MODULES, preload, preload_if_asked

PROBE = """
import json, sys
import airflow.settings
print(json.dumps({
    "loaded": [name for name in MODULES if name in sys.modules],
    "exported": hasattr(airflow.settings, "preload_if_asked"),
}))
"""


def _airflow_start(tmp_path: Path, preload: str | None) -> dict[str, object]:
    home = tmp_path / "airflow"
    (home / "config").mkdir(parents=True)
    (home / "config" / "airflow_local_settings.py").write_text(LOCAL_SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    env.pop(ENV_VAR, None)
    if preload is not None:
        env[ENV_VAR] = preload
    out = subprocess.run(
        [sys.executable, "-c", f"MODULES = {list(MODULES)!r}\n{PROBE}"],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def test_an_airflow_component_that_asks_imports_every_heavy_module_at_start_up(tmp_path: Path) -> None:
    started = _airflow_start(tmp_path, "1")
    assert started == {"loaded": list(MODULES), "exported": False}


def test_a_component_that_does_not_ask_imports_none_of_them(tmp_path: Path) -> None:
    started = _airflow_start(tmp_path, None)
    assert not {"great_expectations", "torch", "transformers.models.bert.modeling_bert"} & set(
        started["loaded"]  # type: ignore[arg-type]
    )
    assert preload_if_asked({ENV_VAR: "0"}) == []


def test_a_module_that_cannot_be_imported_fails_the_preload_at_once() -> None:
    # a worker whose image lacks what its tasks need stops at start-up, naming the module
    with pytest.raises(ModuleNotFoundError, match="reviewpulse_no_such_module"):
        preload(("json", "reviewpulse_no_such_module", "pipeline.nightly"))
