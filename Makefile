# CodeLedger: `make run` starts the product on embedded defaults, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .local/tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
# Compile at install: some machines set PYTHONDONTWRITEBYTECODE, and every start would
# otherwise recompile Django and friends (seconds per command).
export UV_COMPILE_BYTECODE := 1

.PHONY: install debian-packages run dev run-prod stop test test-fast lint format

$(UV):
	$(PYTHON) -m venv .local/tools
	.local/tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# Installs exactly what uv.lock pins (runtime and dev groups) into .venv.
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

# PostgreSQL, Redis, Chromium and the hunspell dictionary (deploy/local/debian-packages.txt, the
# one list): installed with apt-get when missing and run as root, else the command is printed.
debian-packages:
	deploy/local/debian-packages.sh

# The embedded default served like the product: gunicorn, several workers, DEBUG off.
run: debian-packages install
	deploy/local/run.sh

# The same with Django's development server: DEBUG on, and the reloader.
dev: debian-packages install
	deploy/local/run.sh --dev

# Production settings: PostgreSQL, Redis, Elasticsearch, gunicorn, Celery worker and beat,
# all under .local/prod/ (docs/operations.md). Returns once it is up; `make stop` stops it.
run-prod: debian-packages install
	$(VENV)/bin/python deploy/local/prodstack.py start

stop:
	$(VENV)/bin/python deploy/local/prodstack.py stop
	$(VENV)/bin/python deploy/local/localservices.py elasticsearch stop

# Everything: PostgreSQL, Redis, Elasticsearch and Chromium (what CI runs).
test: debian-packages install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The tests that need no Elasticsearch, Redis or browser and are not marked slow (PostgreSQL
# starts if a selected test uses the database): under two minutes.
FAST_TESTS := not elasticsearch and not redis and not browser and not slow
test-fast: debian-packages install
	$(VENV)/bin/pytest -m "$(FAST_TESTS)" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
