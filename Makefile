# The README's commands. Everything the project needs is installed from here.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PYSTAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
NODESTAMP := node_modules/.installed-$(shell cat package-lock.json | md5sum | cut -c1-12)

# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool).
CHROMIUM := /usr/bin/chromium
PY_TREES := shared functions infra tests bench
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test check lint fmt unit openapi clean package soak-crash soak fuzz-api fuzz-keys

$(PYSTAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev,ai]'
	rm -f $(VENV)/.installed-* && touch $@

$(NODESTAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -f node_modules/.installed-* && touch $@

install: $(PYSTAMP) $(NODESTAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei

## make run: the local stack (table server, buckets, functions, gateway) on OPENMPS_PORT
run: install
	$(VENV)/bin/openmps up

## make test: the checks, then every test (unit, integration, e2e, browser)
test: check $(CHROMIUM)
	$(VENV)/bin/pytest

## make check: lint, format and types (mypy as SCF's Python 3.10); what CI runs before the tests
check: install
	$(VENV)/bin/ruff check $(PY_TREES)
	$(VENV)/bin/ruff format --check $(PY_TREES)
	$(VENV)/bin/mypy

lint: check

## make fmt: format and fix what ruff can fix
fmt: install
	$(VENV)/bin/ruff check --fix $(PY_TREES)
	$(VENV)/bin/ruff format $(PY_TREES)

## make unit: the fast tests only (pure, no table server, no stack, no browser)
unit: install
	$(VENV)/bin/pytest -m unit -q

## make fuzz-keys: the key and argv fuzzing with 500 hostile keys per property and 16 ffmpeg runs (not in CI)
fuzz-keys: install
	OPENMPS_FUZZ_EXAMPLES=500 .venv/bin/pytest -q -s -p no:cacheprovider -p no:logging --timeout 3600 \
		tests/unit/test_key_fuzz.py tests/integration/test_key_fuzz_paths.py

## make soak-crash: the crash matrix, 20 kill -9 of each kind (worker, main process, table server, whole group), then its table (not in CI)
soak-crash: install
	OPENMPS_CRASH_RUNS=20 .venv/bin/pytest -q -p no:cacheprovider -o timeout=3600 tests/e2e/test_crash_matrix.py tests/e2e/test_crash_restart.py

## make soak: SOAK_TASKS (1000) tasks through the stack under random kills, restarts and terminates, then a history check (not in CI)
SOAK_TASKS ?= 1000
soak: install
	$(PY) -m infra.local.soak --tasks $(SOAK_TASKS)

## make fuzz-api: schemathesis over openapi.json, every phase (stateful too) and check, 200 examples per operation, then a summary (not in CI)
fuzz-api: install
	OPENMPS_FUZZ_EXAMPLES=200 $(VENV)/bin/pytest -q -s -p no:cacheprovider tests/integration/test_openapi_conformance.py

## make openapi: rewrite the committed openapi.json from the code
openapi: install
	$(PY) -c "from shared.api.app import openapi_json; open('openapi.json','w').write(openapi_json() + '\n')"

## make package: dist/ for Tencent SCF (function code, three layers, ffmpeg), sizes checked against SCF's limits
package: install
	$(PY) -m infra.cloud.package

clean:
	rm -rf $(VENV) node_modules .pytest_cache
