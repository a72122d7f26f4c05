# The project's commands. Each sets up .venv (Python 3.12, pinned dependencies) on first use.
PYTHON := .venv/bin/python

.PHONY: up invoke test lint venv lock bench

## up: run the whole system locally (gateway, Lambda environments, DynamoDB, agent, APM)
up: venv
	$(PYTHON) -m thinker_local up $(ARGS)

## invoke: run one function once, as `sam local invoke`; stdout is the result (ARGS='ThinkerApiFunction -e events/think.json')
invoke: venv
	@$(PYTHON) -m thinker_local invoke $(ARGS)

## test: run the test suite (first obtaining what it needs from the system: scripts/test-prerequisites)
test: venv
	@scripts/test-prerequisites
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

.PHONY: sam-local test-sam-local
## sam-local: sam build + sam local start-api and start-lambda in Docker, with DynamoDB (seeded), the agent and the APM (docs/sam-local.md)
sam-local: venv
	$(PYTHON) -m thinker_local sam $(ARGS)

## test-sam-local: only the proof of `make sam-local`: the real `sam build` + `sam local start-api` in Docker (docs/sam-local.md)
test-sam-local: venv
	@scripts/test-prerequisites sam-local
	$(PYTHON) -m pytest -m sam_local tests/sam_local -o log_cli=true --log-cli-level=INFO

.PHONY: load-test security
## load-test: 5,000 seed-like requests at concurrency 16 on a stack of its own, traces checked; docs/load-test.md (ARGS=--help)
load-test: venv
	$(PYTHON) -m loadtest $(ARGS)

## security: opt-in; the security tests, checkov (own pinned venv) and pip-audit (needs PyPI's JSON API; docs/security.md)
security: venv
	$(PYTHON) -m pytest -q tests/security
	test -x .venv/tools/checkov/bin/checkov || ($(PYTHON) -m venv .venv/tools/checkov && .venv/tools/checkov/bin/pip install -q checkov==3.2.533)
	.venv/tools/checkov/bin/checkov -f template.yaml --framework cloudformation --compact --quiet
	$(PYTHON) -m pip_audit -r requirements/dev.txt --no-deps --progress-spinner off --strict
