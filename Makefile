# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, generate demo exports and run every night on them
#   make test   create .venv, install, lint and run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export REVIEWPULSE_HOME ?= $(CURDIR)/var

.PHONY: install demo test lint browser services bench bench-scale clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml; pip takes the local CPU wheel rather than a CUDA build.
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reviewpulse demo

lint: $(STAMP)
	$(BIN)/ruff check pipeline dags tests bench
	$(BIN)/mypy

# Debian's chromium for tests/integration/test_report_browser.py (Playwright drives it, downloads nothing);
# nothing to do when it is installed; without root or apt it warns and that test skips, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  (export DEBIAN_FRONTEND=noninteractive; apt-get update -q && \
	   apt-get install -y -q --no-install-recommends chromium fonts-liberation) || \
	  echo "warning: could not install chromium (apt-get install chromium needs root); the browser test will skip"

# PostgreSQL and Redis on loopback for tests/integration/test_celery_scaleout.py and bench/scale.py: started
# where they are not listening (Debian's packages installed if missing); without them those tests skip.
services:
	@bash .ci/services

test: $(STAMP) lint browser services
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/fake.py
	$(BIN)/python bench/emerging.py
	$(BIN)/python bench/redact.py
	$(BIN)/python bench/nights.py

# Nightly run time for 10k and 100k reviews, single process vs the Celery stack with 1 and 2 workers
# (needs PostgreSQL and Redis: started here where they are not up). Long: about an hour on 2 cores.
bench-scale: $(STAMP) services
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
