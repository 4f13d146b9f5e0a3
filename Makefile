# Everything a newcomer needs: `make run` (the local stack) and `make test` (every test).
# Both install what they need on first use (scripts/bootstrap.sh).
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
VENV := .venv
PY := $(VENV)/bin/python
SAM := .tools/sam/bin/sam
PORT ?= 3000
DB ?= moto
# SAM builds the layer with the runtime's Python (3.13) next to the machine's default one.
SAM_PYENV := PYENV_VERSION="$$(pyenv version-name 2>/dev/null || echo system):3.13.0"

.PHONY: setup run test test-unit test-integration test-e2e fuzz lint audit format openapi validate build bench deploy clean

setup:
	@bash scripts/bootstrap.sh

run: setup
	PORT=$(PORT) DB=$(DB) $(PY) -m local.stack

# Schemathesis first, so that the last line printed is pytest's count of the tests that ran.
# Unit tests run in a session of their own: moto's in-process mocks reset its shared state on exit,
# which the local stack (whose embedded AWS is moto too) must not see.
test: setup
	bash scripts/fuzz.sh
	$(PY) -m pytest -n 2 tests/unit
	$(PY) -m pytest -n 2 --dist loadfile tests/integration tests/e2e tests/browser clients/python/tests

test-unit: setup
	$(PY) -m pytest tests/unit

test-integration: setup
	$(PY) -m pytest tests/integration

test-e2e: setup
	$(PY) -m pytest tests/e2e

fuzz: setup
	bash scripts/fuzz.sh

# mypy checks the client's tests (clients/python/tests) in a run of their own: their folder is named tests too.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy clients/python

# The template as AWS will read it: cfn-lint (on the SAM-transformed template) and checkov, whose skipped
# checks are listed, each with its reason, in .checkov.yaml.
audit: setup
	.tools/sam/bin/cfn-lint template.yaml
	.tools/checkov/bin/checkov -f template.yaml --config-file .checkov.yaml --skip-download

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

openapi: setup
	POWERTOOLS_TRACE_DISABLED=1 $(PY) -m local.openapi

validate: setup
	$(SAM) validate --lint

build: validate
	$(SAM_PYENV) $(SAM) build

bench: setup
	$(PY) -m bench

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache .schemathesis
