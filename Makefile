# The project's commands. Each sets up .venv (Python 3.12, pinned dependencies) on first use.
PYTHON := .venv/bin/python

.PHONY: up test lint venv lock bench

## up: run the whole system locally (gateway, Lambda environments, DynamoDB, agent, APM)
up: venv
	$(PYTHON) -m thinker_local up

## test: run the test suite
test: venv
	$(PYTHON) -m pytest

## lint: ruff and mypy
lint: venv
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

## bench: measure what a traced request costs, into docs/benchmarks.md (ARGS=--quick: a trial)
bench: venv
	$(PYTHON) -m benchmarks $(ARGS)

venv:
	@scripts/bootstrap

## lock: re-pin requirements/dev.txt from requirements/dev.in
lock:
	scripts/lock

.PHONY: test-sam-local
## test-sam-local: opt-in; the real `sam build` + `sam local start-api` in Docker, traced (root; docs/sam-local.md)
test-sam-local: venv
	$(PYTHON) -m pytest -m sam_local tests/sam_local -o log_cli=true --log-cli-level=INFO
