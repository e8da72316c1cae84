# hubnet — local development. `make run` and `make test` do all the set-up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PACKAGES := libs/common services/referrals services/events services/notifications services/portal
# The staff portal's front-end files (package.json, pinned in package-lock.json), served by the portal.
PORTAL := services/portal
PORTAL_VENDOR := $(PORTAL)/hubnet_portal/static/vendor
CHROMIUM := /usr/bin/chromium
LOCAL := .local
ENV_FILE := $(LOCAL)/env

.PHONY: help venv static browser lock lint up down status topics run test test-unit screenshots bench faults mutation clean

help:
	@echo "make run      set everything up, start the three services and two staff portals, drive the demo (ONCE=1: then stop)"
	@echo "make test     set everything up and run the whole test suite"
	@echo "make screenshots  run the browser tests and save the portal's pages into docs/screenshots"
	@echo "make up|down|status   local Kafka, PostgreSQL, SMTP sink and Keycloak"
	@echo "make bench    benchmarks on the local stack (never part of make test)"
	@echo "make mutation mutation testing of the domain and handlers packages (never part of make test)"
	@echo "make lock     re-pin requirements.lock from requirements.in"
	@echo "make lint     static checks: ruff (format, lint), mypy, the import contracts of .importlinter"

# Bytecode is made at install: where PYTHONDONTWRITEBYTECODE is set (as here), every process would
# otherwise compile what it imports again, 3.2 s instead of 1.5 s to import a service (BENCHMARKS.md).
$(STAMP): requirements.lock $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q "uv==$(UV_VERSION)"
	@$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	@$(VENV)/bin/uv pip install -q --python $(PY) --no-deps $(foreach p,$(PACKAGES),-e $(p))
	@$(PY) -m compileall -q -j 0 $(PACKAGES)
	@touch $@

venv: $(STAMP) static

# htmx and Chart.js for the portal's pages (and axe-core for its browser tests) from the lock file, exactly.
$(PORTAL)/node_modules/.package-lock.json: $(PORTAL)/package-lock.json
	@cd $(PORTAL) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(PORTAL_VENDOR)/htmx.min.js: $(PORTAL)/node_modules/.package-lock.json
	@mkdir -p $(PORTAL_VENDOR)
	@cp $(PORTAL)/node_modules/htmx.org/dist/htmx.min.js $@

$(PORTAL_VENDOR)/chart.umd.js: $(PORTAL)/node_modules/.package-lock.json
	@mkdir -p $(PORTAL_VENDOR)
	@cp $(PORTAL)/node_modules/chart.js/dist/chart.umd.js $@

static: $(PORTAL_VENDOR)/htmx.min.js $(PORTAL_VENDOR)/chart.umd.js

# Debian's Chromium for the browser tests (Playwright drives it; it cannot download its own here).
browser:
	@test -x $(CHROMIUM) || { [[ "$$(id -u)" == 0 ]] || { echo "install the 'chromium' package" >&2; exit 1; }; \
		echo "installing Chromium with apt-get"; export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }

# The official AsyncAPI JSON schemas and CLI that tests/contract/test_message_contract.py and
# test_asyncapi_cli.py validate docs/contract/asyncapi.json with.
ASYNCAPI_SPECS := tests/contract/asyncapi/node_modules/.package-lock.json
$(ASYNCAPI_SPECS): tests/contract/asyncapi/package-lock.json
	@cd tests/contract/asyncapi && npm ci --ignore-scripts --no-audit --no-fund --silent

# The TypeScript partner that tests/conformance/test_node_partner.py builds and runs, from its lock file.
CONFORMANCE_PARTNER := tests/conformance/partner/node_modules/.package-lock.json
$(CONFORMANCE_PARTNER): tests/conformance/partner/package-lock.json
	@cd tests/conformance/partner && npm ci --ignore-scripts --no-audit --no-fund --silent

lock: $(STAMP)
	$(VENV)/bin/uv pip compile -q requirements.in -o requirements.lock --python-version 3.11

# Every static check, one after another (more checkers: add a line each).
lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports .importlinter

up: venv
	@PYTHON=$(abspath $(PY)) bash deploy/local/infra.sh up
	@$(VENV)/bin/hubnet keys generate --network --dir $(LOCAL)/keys | tail -1
	@$(MAKE) --no-print-directory topics

topics:
	@source $(ENV_FILE) && $(VENV)/bin/hubnet admin topics

down:
	@bash deploy/local/infra.sh down

status:
	@bash deploy/local/infra.sh status

run: up
	@source $(ENV_FILE) && $(VENV)/bin/hubnet demo $(if $(ONCE),--once,)

test: up browser $(ASYNCAPI_SPECS) $(CONFORMANCE_PARTNER)
	@source $(ENV_FILE) && $(PY) -m pytest $(PYTEST_ARGS)

# The README's pictures of the portal, taken by the browser tests (make test checks the same pages, saving nothing).
screenshots: up browser
	@source $(ENV_FILE) && HUBNET_SCREENSHOTS=1 $(PY) -m pytest tests/browser -p no:randomly

bench: up
	@source $(ENV_FILE) && $(PY) -m bench.run $(BENCH_ARGS)

faults: up
	@source $(ENV_FILE) && $(PY) -m faults.run $(FAULTS_ARGS)

test-unit: venv
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# One mutmut worker, niced: the machine has two cores and other runs share it.
mutation: venv
	@nice -n 10 $(PY) -m mutation.run $(MUTATION_ARGS)

clean: down
	rm -rf $(LOCAL) $(VENV)
