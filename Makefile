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

.PHONY: install run test check lint fmt unit openapi clean package soak-crash

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

## make soak-crash: 20 x (start, upload, kill -9 of the whole stack at a random moment), then check (not in CI)
soak-crash: install
	OPENMPS_CRASH_ROUNDS=20 .venv/bin/pytest -q -s -p no:cacheprovider tests/e2e/test_crash_restart.py

## make openapi: rewrite the committed openapi.json from the code
openapi: install
	$(PY) -c "from shared.api.app import openapi_json; open('openapi.json','w').write(openapi_json() + '\n')"

## make package: dist/ for Tencent SCF (function code, three layers, ffmpeg), sizes checked against SCF's limits
package: install
	$(PY) -m infra.cloud.package

clean:
	rm -rf $(VENV) node_modules .pytest_cache
