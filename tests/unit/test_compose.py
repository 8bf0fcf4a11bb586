"""docker-compose.yml and the Dockerfile: the official Airflow 3 Celery stack around the project image.

Docker has no engine on the development machines: these tests parse the files, they start nothing.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pipeline.orchestration import POOLS
from pipeline.preload import ENV_VAR as PRELOAD_ENV
from pipeline.preload import LOCAL_SETTINGS
from pipeline.settings import REPO_ROOT

COMPOSE_PATH = REPO_ROOT / "docker-compose.yml"
DOCKERFILE_PATH = REPO_ROOT / "Dockerfile"

# The services of the official docker-compose.yaml of Airflow 3 and the command each one runs.
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
    "flower": "celery flower",
}
AIRFLOW_SERVICES = (*AIRFLOW_COMMANDS, "airflow-init", "airflow-cli")
PROFILES = {"airflow-cli": "debug", "flower": "flower"}

# Environment names whose values are credentials.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$|SALT|TOKEN|^AIRFLOW_CONN_")
# A Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME+alt}, ...
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
BARE_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    document = yaml.safe_load(compose_text)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _unescaped(text: str) -> str:
    """The text with Compose's ``$$`` escapes (a literal ``$`` for the container's shell) taken out."""
    return text.replace("$$", "")


def _references(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator or None, operand) of every interpolation in ``text``."""
    text = _unescaped(text)
    found = [(m[1], m[2], m[3] or "") for m in REFERENCE.finditer(text)]
    found += [(m[1], None, "") for m in BARE_REFERENCE.finditer(REFERENCE.sub("", text))]
    return found


def _strings(node: Any) -> list[str]:
    """Every key and scalar of a loaded YAML document (what compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return [str(node)] if node is not None else []


def _required(reference: tuple[str, str | None, str]) -> bool:
    """A reference without a default: compose needs the variable (or substitutes an empty string)."""
    return reference[1] in (None, "?", ":?")


def _volumes(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source of every mount of a service (short or long syntax)."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume["source"]
        else:
            source, target, *_ = volume.split(":")
            mounts[target] = source
    return mounts


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE_PATH.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in _dockerfile():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def test_every_official_service_is_there_with_its_command(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", *AIRFLOW_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name, command in AIRFLOW_COMMANDS.items():
        assert _command(services[name]) == command, name
    assert services["airflow-init"]["entrypoint"] == "/bin/bash"
    for name, profile in PROFILES.items():
        assert services[name]["profiles"] == [profile], name
    # Only the optional services sit behind a profile: `docker compose up` starts all the others.
    assert {name for name, service in services.items() if "profiles" in service} == set(PROFILES)


def test_start_up_order_follows_the_official_file(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    for name in AIRFLOW_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
    for name in AIRFLOW_COMMANDS:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert services[name]["healthcheck"]["test"], name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert "airflow-init" not in services["airflow-cli"]["depends_on"]


def test_every_airflow_service_runs_the_project_image_through_the_common_anchor(
    compose: dict[str, Any], compose_text: str, services: dict[str, Any]
) -> None:
    common = compose["x-airflow-common"]
    build = common["build"]
    assert build["context"] == "." and (REPO_ROOT / build["context"] / build["dockerfile"]) == DOCKERFILE_PATH
    assert DOCKERFILE_PATH.exists()
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"] == build, name
        assert services[name]["image"] == common["image"], name
    # The services merge the anchor itself (`<<: *airflow-common`), not a copy of it.
    root = yaml.compose(compose_text)
    top = {key.value: value for key, value in root.value}
    anchor = top["x-airflow-common"]
    service_nodes = {key.value: value for key, value in top["services"].value}
    for name in AIRFLOW_SERVICES:
        merged = [value for key, value in service_nodes[name].value if key.value == "<<"]
        assert merged and merged[0] is anchor, name


def test_the_shared_environment_runs_celery_on_postgres_and_redis(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    metadata = urlsplit(REFERENCE.sub("x", env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    assert metadata.scheme == "postgresql+psycopg2" and metadata.hostname == "postgres"
    results = urlsplit(REFERENCE.sub("x", env["AIRFLOW__CELERY__RESULT_BACKEND"]))
    assert results.scheme == "db+postgresql" and results.hostname == "postgres"
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert broker.scheme == "redis" and broker.hostname == "redis" and broker.port == 6379
    execution = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution.hostname == "airflow-apiserver" and execution.path == "/execution/"
    assert f"{execution.port}:{execution.port}" in services["airflow-apiserver"]["ports"]
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true"
    assert env["REVIEWPULSE_HOME"].startswith("/") and env["REVIEWPULSE_MODELS_DIR"].startswith("/")
    # Services that extend the environment (worker, init, cli) keep every shared variable.
    for name in AIRFLOW_SERVICES:
        assert services[name]["environment"].items() >= env.items(), name


def test_every_airflow_service_mounts_the_data_and_models_volumes(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    named = set(compose["volumes"])
    sources = set()
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        mounts = _volumes(services[name])
        for variable in ("REVIEWPULSE_HOME", "REVIEWPULSE_MODELS_DIR"):
            source = mounts.get(env[variable])
            assert source in named, (name, variable, mounts)
            sources.add((variable, source))
    # One volume for each, the same in every container (so workers share the warehouse and the encoder).
    assert len(sources) == 2 and len({source for _, source in sources}) == 2
    assert _volumes(services["postgres"])["/var/lib/postgresql/data"] in named


def test_no_literal_secret_in_the_compose_file(compose: dict[str, Any]) -> None:
    environments = [compose["x-airflow-common"]["environment"]]
    environments += [service.get("environment", {}) for service in compose["services"].values()]
    checked = 0
    for env in environments:
        for key, value in env.items():
            value = str(value)
            if SECRET_NAME.search(key):
                match = REFERENCE.fullmatch(value)
                assert match, f"{key} must be a ${{VAR}} reference, not {value!r}"
                assert match[2] in (None, "?", ":?") or not match[3], f"{key} has a literal default"
                checked += 1
            # Passwords inside URLs (database, result backend) are references too.
            marked = REFERENCE.sub(
                lambda m: f"REF{m[1]}" if _required((m[1], m[2], m[3])) else "LITERAL", value
            )
            if "://" in marked and (password := urlsplit(marked).password):
                assert password.startswith("REF"), f"{key} carries a literal password"
                checked += 1
    # The database password, the Fernet key, the API and JWT secrets, the admin password, the salt and
    # the two database URLs at least.
    assert checked >= 8


def test_every_required_variable_is_in_env_example(compose: dict[str, Any]) -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    defined = {
        line.split("=", 1)[0].strip()
        for line in example.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    references = [reference for text in _strings(compose) for reference in _references(text)]
    required = {reference[0] for reference in references if _required(reference)}
    assert required, "the compose file reads no variable from .env"
    assert required <= defined, sorted(required - defined)
    # Every secret the compose file reads is documented, even the optional ones.
    secrets = {reference[0] for reference in references if SECRET_NAME.search(reference[0])}
    assert secrets <= defined, sorted(secrets - defined)
    gitignore = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in (line.strip() for line in gitignore)


def test_airflow_init_migrates_then_creates_every_pool_and_prepares_the_encoder(
    services: dict[str, Any],
) -> None:
    init = services["airflow-init"]
    script = _command(init)
    assert init["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"
    assert init["environment"]["_AIRFLOW_WWW_USER_CREATE"] == "true"
    pools: dict[str, tuple[int, str]] = {}
    lines = script.splitlines()
    for line in lines:
        if "airflow pools set" in line:
            words = shlex.split(line[line.index("airflow pools set") :])
            pools[words[3]] = (int(words[4]), words[5])
    assert pools == POOLS
    # The entrypoint migrates on the first airflow call; the pools need the migrated tables.
    migrate = next(i for i, line in enumerate(lines) if line.strip().startswith("/entrypoint airflow"))
    first_pool = next(i for i, line in enumerate(lines) if "airflow pools set" in line)
    assert "pools" not in lines[migrate] and migrate < first_pool
    assert any("reviewpulse models prepare" in line for line in lines[first_pool:])
    assert init["user"] == "0:0"


def test_the_dockerfile_extends_the_pinned_airflow_image(services: dict[str, Any]) -> None:
    instructions = _dockerfile()
    args: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], arguments.split()[0])
            break
        if keyword == "ARG" and "=" in arguments:
            name, value = arguments.split("=", 1)
            args[name] = value
    repository, tag = image.split(":")
    assert repository == "apache/airflow"
    match = re.fullmatch(r"(\d+\.\d+\.\d+)-python(\d+\.\d+)", tag)
    assert match, tag
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pin = next(
        dep for dep in project["dependencies"] if re.match(r"apache-airflow(\[[\w,]+\])?\s*[=<>~!]", dep)
    )
    assert Version(match[1]) in SpecifierSet(re.sub(r"^apache-airflow(\[[\w,]+\])?", "", pin)), (image, pin)
    assert Version(match[2]) in SpecifierSet(project["requires-python"])
    # torch comes from the CPU wheel index.
    assert any(
        keyword == "ARG" and arguments == "PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu"
        for keyword, arguments in instructions
    )


def test_the_image_has_the_code_where_settings_and_the_dag_folder_look(compose: dict[str, Any]) -> None:
    workdir = Path("/")
    copied: dict[str, Path] = {}
    installs: list[tuple[Path, str]] = []
    for keyword, arguments in _dockerfile():
        if keyword == "WORKDIR":
            workdir = workdir / arguments
        elif keyword == "COPY":
            *sources, target = [word for word in arguments.split() if not word.startswith("--")]
            for source in sources:
                copied[source.rstrip("/")] = (
                    workdir / target / (Path(source).name if len(sources) > 1 else "")
                )
        elif keyword == "RUN" and "pip install" in arguments:
            installs.append((workdir, arguments))
    root = copied["pipeline"].parent
    # pipeline/settings.py takes the package's parent as REPO_ROOT and reads sql/ and models/ there.
    assert copied["sql"] == root / "sql" and copied["models"] == root / "models"
    # The package is installed in editable mode from that tree, and importable from it for root as well.
    assert any(where == root and re.search(r"-e \.(\s|$)", command) for where, command in installs)
    assert str(root) in _dockerfile_env()["PYTHONPATH"].split(":")
    env = compose["x-airflow-common"]["environment"]
    assert Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) == copied["dags"]
    # The image's own defaults agree with the compose file.
    image_env = _dockerfile_env()
    for variable in ("AIRFLOW__CORE__DAGS_FOLDER", "REVIEWPULSE_HOME", "REVIEWPULSE_MODELS_DIR"):
        assert image_env[variable] == env[variable], variable


def test_the_celery_workers_preload_the_task_libraries_and_nothing_else_does(
    services: dict[str, Any], tmp_path: Path
) -> None:
    asking = {name for name in AIRFLOW_SERVICES if services[name]["environment"].get(PRELOAD_ENV) == "1"}
    # Only the Celery workers fork task processes here; the scheduler, API server and DAG processor
    # run none (with the LocalExecutor, the scheduler would ask too).
    assert asking == {"airflow-worker"}
    # The image writes the settings file Airflow imports at start-up ($AIRFLOW_HOME/config), from
    # pipeline/preload.py; the same command, run here into a temporary folder, writes exactly that text.
    (command,) = [
        args for keyword, args in _dockerfile() if keyword == "RUN" and "airflow_local_settings" in args
    ]
    assert "> /opt/airflow/config/airflow_local_settings.py" in command
    local = command.replace("/opt/airflow/config", str(tmp_path)).replace("python -c", f"{sys.executable} -c")
    subprocess.run(["bash", "-c", local], check=True, cwd=REPO_ROOT, timeout=60)
    assert (tmp_path / "airflow_local_settings.py").read_text() == LOCAL_SETTINGS
