# The ReviewPulse image: the official Airflow image with the project installed, used by every Airflow
# service of docker-compose.yml (api-server, scheduler, dag-processor, workers, triggerer, init).
#
#   docker compose build                       (or: docker build -t reviewpulse-airflow .)
#   docker build --build-arg AIRFLOW_VERSION=3.3.1 .   to move to another 3.3 patch release
#
# AIRFLOW_VERSION must stay inside the `apache-airflow==3.3.*` pin of pyproject.toml.
ARG AIRFLOW_VERSION=3.3.0
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11

# Re-declared: an ARG before FROM is not visible after it.
ARG AIRFLOW_VERSION
# torch==2.13.0 is pinned in pyproject.toml; the PyTorch CPU index offers 2.13.0+cpu, which pip prefers
# over PyPI's CUDA build (same version, local label sorts higher), keeping the image free of CUDA wheels.
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu

# Source tree at /opt/reviewpulse (pipeline/, sql/, models/, dags/). pipeline/settings.py takes the parent
# of the package as REPO_ROOT and finds sql/ and models/ there, so the package is installed in editable
# mode from this tree rather than copied into site-packages. The data volumes are mounted below it;
# their folders are created here, owned by airflow:0 and group-writable as the official image does, so a
# fresh named volume starts with the right owner whatever AIRFLOW_UID the containers run with.
USER root
RUN mkdir -p /opt/reviewpulse/var /opt/reviewpulse/models-cache \
 && chown -R airflow:0 /opt/reviewpulse \
 && chmod -R g+rwX /opt/reviewpulse
USER airflow
WORKDIR /opt/reviewpulse

# Dependencies first, from pyproject.toml alone (a placeholder package and README), so editing the code,
# the SQL or the README does not reinstall torch. apache-airflow is pinned to the image's version so pip
# never swaps the Airflow the image ships.
COPY --chown=airflow:0 pyproject.toml ./
RUN mkdir -p pipeline \
 && touch README.md pipeline/__init__.py \
 && pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -e .

COPY --chown=airflow:0 README.md ./
COPY --chown=airflow:0 pipeline ./pipeline
COPY --chown=airflow:0 sql ./sql
COPY --chown=airflow:0 models ./models
COPY --chown=airflow:0 dags ./dags

# PYTHONPATH: the official entrypoint runs root commands (airflow-init) with the airflow user's
# site-packages on PYTHONPATH, where .pth files (the editable install's hook) are not read; naming the
# source tree here makes `import pipeline` work for root and for any AIRFLOW_UID alike.
# The DAGs are baked into the image (not bind-mounted) so the DAG files and the package they import are
# always the same version in every container; docker-compose.yml sets the same paths explicitly.
ENV PYTHONPATH=/opt/reviewpulse \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/reviewpulse/dags \
    REVIEWPULSE_HOME=/opt/reviewpulse/var \
    REVIEWPULSE_MODELS_DIR=/opt/reviewpulse/models-cache \
    REVIEWPULSE_PROGRESS=0

# Every Airflow component imports $AIRFLOW_HOME/config/airflow_local_settings.py at start-up. This one
# imports the tasks' heavy libraries (Great Expectations, torch, transformers, scikit-learn) once in the
# components that set REVIEWPULSE_PRELOAD=1, the Celery workers (docker-compose.yml), so the task
# processes they fork do not each import them again (pipeline/preload.py).
RUN mkdir -p /opt/airflow/config \
 && python -c "from pipeline.preload import LOCAL_SETTINGS; print(LOCAL_SETTINGS, end='')" \
    > /opt/airflow/config/airflow_local_settings.py

WORKDIR /opt/airflow
