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
# `make` alone lists the targets, and does nothing else.
.DEFAULT_GOAL := help

help: ## this list: every target, one line each
	@awk -F ':[^#]*## ' '/^[a-z][a-z0-9-]*:[^=].*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: help setup run test test-unit test-integration test-e2e fuzz lint audit format openapi validate build bench deploy clean

setup: ## install what the rest needs, on first use: .venv, SAM CLI, DynamoDB Local, chromium
	@bash scripts/bootstrap.sh

run: setup ## the local stack on http://127.0.0.1:3000 (PORT=, DB=moto|dynamodb-local): API, /docs, simulators
	PORT=$(PORT) DB=$(DB) $(PY) -m local.stack

# Schemathesis first, so that the last line printed is pytest's count of the tests that ran.
# Unit tests run in a session of their own: moto's in-process mocks reset its shared state on exit,
# which the local stack (whose embedded AWS is moto too) must not see.
test: setup ## every test: schemathesis, unit, integration, end-to-end, browser
	bash scripts/fuzz.sh
	$(PY) -m pytest -n 2 tests/unit
	$(PY) -m pytest -n 2 --dist loadfile tests/integration tests/e2e tests/browser clients/python/tests

test-unit: setup ## the unit tests (moto, no network)
	$(PY) -m pytest tests/unit

test-integration: setup ## the integration tests (DynamoDB Local)
	$(PY) -m pytest tests/integration

test-e2e: setup ## the end-to-end tests (HTTP against the local stack)
	$(PY) -m pytest tests/e2e

fuzz: setup ## schemathesis against openapi.json and the local stack
	bash scripts/fuzz.sh

# mypy checks the client's tests (clients/python/tests) in a run of their own: their folder is named tests too.
lint: setup ## ruff (lint and format check), mypy, and openapi.json by openapi-spec-validator and Redocly
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy clients/python
	$(VENV)/bin/openapi-spec-validator openapi.json
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true .tools/redocly/node_modules/.bin/redocly lint openapi.json

# The template as AWS will read it: cfn-lint (on the SAM-transformed template) and checkov, whose skipped
# checks are listed, each with its reason, in .checkov.yaml.
audit: setup ## the template as AWS reads it: cfn-lint and checkov
	.tools/sam/bin/cfn-lint template.yaml
	.tools/checkov/bin/checkov -f template.yaml --config-file .checkov.yaml --skip-download

format: setup ## ruff format and ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

openapi: setup ## write openapi.json (and the copy /openapi.json serves) and the events' JSON Schemas from the code
	POWERTOOLS_TRACE_DISABLED=1 $(PY) -m local.openapi
	$(PY) -m local.event_schemas

validate: setup ## sam validate --lint, of the stack and of examples/consumer
	$(SAM) validate --lint
	$(SAM) validate --lint -t examples/consumer/template.yaml

build: validate ## sam build (the layer and every function)
	$(SAM_PYENV) $(SAM) build

bench: setup ## the cold-start and latency benchmarks
	$(PY) -m bench

deploy: build ## build, then sam deploy --guided
	$(SAM) deploy --guided

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache .schemathesis
