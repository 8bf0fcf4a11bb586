"""Import the heavy libraries of the nightly tasks once, in the Airflow process that forks the task processes.

Airflow 3 runs every task in a process forked from a long-lived component: a Celery worker, or the
scheduler for the LocalExecutor. Whatever that component has imported, a task gets for free; whatever it
has not, every task imports again. Great Expectations alone takes ~6 s to import, torch ~3 s, and a night
runs a validation task per source and several encoder tasks, so each night paid about a minute of imports
(the demo's night: 66 s -> 39 s on the LocalExecutor, 2 cores).

Airflow imports ``airflow_local_settings`` from ``$AIRFLOW_HOME/config`` in every component at start-up.
The project image writes one there that calls :func:`preload_if_asked` (see the Dockerfile), and the
components that fork task processes set ``REVIEWPULSE_PRELOAD=1``: the Celery workers in
docker-compose.yml, the scheduler where it runs the LocalExecutor. The others (API server, DAG processor,
a CeleryExecutor scheduler) do not: they run no task, and the DAG files must stay light to parse.

The modules are imported, nothing more: no encoder is loaded and no thread is started, so forking stays
safe, and a task still reads its settings (models pinned for the night, paths) when it runs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

ENV_VAR = "REVIEWPULSE_PRELOAD"

# What the tasks import, heaviest first: validation (Great Expectations), the encoder and heads (torch,
# transformers), themes and emerging clusters (scikit-learn), and the pipeline's own task bodies.
MODULES = (
    "great_expectations",
    "torch",
    "transformers.models.auto.modeling_auto",
    "transformers.models.auto.tokenization_auto",
    "transformers.models.bert.modeling_bert",
    "transformers.tokenization_utils_tokenizers",
    "sklearn.cluster",
    "sklearn.linear_model",
    "pipeline.nightly",
    "pipeline.validation.checks",
    "pipeline.scoring.service",
    "pipeline.fake.detect",
    "pipeline.themes.apply",
    "pipeline.themes.emerging",
    "pipeline.keywords",
)

# The text of $AIRFLOW_HOME/config/airflow_local_settings.py that turns the preload on where asked. Airflow
# copies the module's public names into airflow.settings (and reads policies from them) unless __all__
# says otherwise: this file exports nothing.
LOCAL_SETTINGS = (
    '"""Written by the ReviewPulse image: see pipeline/preload.py."""\n\n'
    "from pipeline.preload import preload_if_asked\n\n"
    "__all__: list[str] = []\n\n"
    "preload_if_asked()\n"
)


def preload(modules: tuple[str, ...] = MODULES) -> list[str]:
    """Import ``modules``; returns their names. An import error is raised as it is: a worker that cannot
    import what its tasks need should fail at start-up, not in the first task of the night."""
    for name in modules:
        importlib.import_module(name)
    return list(modules)


def preload_if_asked(environ: Mapping[str, str] | None = None) -> list[str]:
    """:func:`preload` when ``REVIEWPULSE_PRELOAD=1``; otherwise nothing (returns ``[]``)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    return preload() if value == "1" else []
