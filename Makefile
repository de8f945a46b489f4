# Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA ?= ./data
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Stamps: a step runs again only when what it depends on changed (so a second
# `make run` serves within seconds). They live in .venv and node_modules, so
# `make clean` or deleting either starts afresh.
STAMP_PY := $(VENV)/.stamp-install
STAMP_PY_TEST := $(VENV)/.stamp-install-test
FRONTENDS := widget operator_console

.PHONY: run test install install-test frontend locales system-deps lint js-test clean bench conformance-deps

## make run: install everything and serve on the embedded default (memory + SQLite)
## The demo (/demo/) embeds the chats of two example centres, Dalarna and Skåne: the
## example centres are loaded into an installation that has no centre but `default`.
run: install frontend locales
	CHAT_DATA_DIR=$(DATA) $(BIN)/rc-chat centres load-example --if-single
	CHAT_DATA_DIR=$(DATA) $(BIN)/rc-chat serve --host $(HOST) --port $(PORT)

## make test: install what the tests need, then the gates (lint, format, types), the
## JavaScript unit tests and the whole pytest suite; any finding fails the build.
## The suite runs as two pytest processes side by side, one per core: the browser tests
## (much of their work is Chromium's) and everything else. The browser half's report is
## printed when both are done; either half failing fails the build. One half alone:
## `.venv/bin/python -m pytest tests/browser` or `… tests --ignore=tests/browser`.
test: system-deps install-test frontend conformance-deps locales lint js-test
	$(BIN)/rc-chat locales check
	@report=$$(mktemp); \
	  $(BIN)/python -m pytest -p no:cacheprovider tests/browser > $$report 2>&1 & browsers=$$!; \
	  $(BIN)/python -m pytest -p no:cacheprovider tests --ignore=tests/browser; rest=$$?; \
	  wait $$browsers; browser=$$?; \
	  echo; echo "=== the browser tests (run beside the others) ==="; cat $$report; rm -f $$report; \
	  exit $$(( rest != 0 || browser != 0 ))

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock file pins every package with its hash; pip refuses anything else. The
# project itself is then installed *editable* into the venv (no dependencies, no
# download: setuptools, pinned in requirements-build.lock, builds it), so `rc-chat` works from any folder
# and serves the front ends built into chat_server/static of this checkout.
$(STAMP_PY): requirements.lock requirements-build.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-build.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

$(STAMP_PY_TEST): requirements-test.lock $(STAMP_PY)
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	@touch $@

install: $(STAMP_PY)
install-test: $(STAMP_PY_TEST)

# npm ci only when a lock file changed (stamp in node_modules); the build always runs
# (esbuild takes well under a second).
frontend:
	@for d in $(FRONTENDS); do \
	  if [ -f $$d/package.json ]; then \
	    if [ ! -f $$d/node_modules/.stamp-ci ] || [ $$d/package-lock.json -nt $$d/node_modules/.stamp-ci ]; then \
	      echo "installing $$d's npm packages"; \
	      (cd $$d && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	      touch $$d/node_modules/.stamp-ci; \
	    fi; \
	    echo "building $$d"; \
	    (cd $$d && npm run --silent build) || exit 1; \
	  fi; \
	done

# The Engine.IO / Socket.IO conformance suites' runner (mocha, chai, ws, node-fetch;
# tests/conformance/README.md), installed like the front ends' packages.
CONFORMANCE := tests/conformance
conformance-deps:
	@if [ ! -f $(CONFORMANCE)/node_modules/.stamp-ci ] || [ $(CONFORMANCE)/package-lock.json -nt $(CONFORMANCE)/node_modules/.stamp-ci ]; then \
	  echo "installing the conformance suites' npm packages"; \
	  (cd $(CONFORMANCE) && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	  touch $(CONFORMANCE)/node_modules/.stamp-ci; \
	fi

locales: install
	$(BIN)/rc-chat locales compile

# Debian packages the tests use for real: a redis-server, Chromium (with a font for
# Tigrinya's Ethiopic script, so screenshots show text, not boxes) and nginx.
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -d /usr/share/fonts/truetype/abyssinica ] || missing="$$missing fonts-sil-abyssinica"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## make lint: the gates of `make test` (also the pre-commit hook): ruff lint, ruff's
## formatter and mypy --strict (configuration in pyproject.toml).
lint: install-test
	$(BIN)/ruff check chat_server tests
	$(BIN)/ruff format --check chat_server tests
	$(BIN)/mypy

## make js-test: the front ends' unit tests (Node's built-in test runner): every
## *.test.js outside node_modules in the apps and their shared library. Finding none is a
## failure (a moved folder must not pass silently). Needs the venv: the language test
## reads the server's table.
JS_TEST_DIRS := $(FRONTENDS) frontend_lib
js-test: install
	@found=$$(find $(JS_TEST_DIRS) -path '*/node_modules' -prune -o -name '*.test.js' -print | sort); \
	if [ -z "$$found" ]; then echo "js-test: no *.test.js found in $(JS_TEST_DIRS)" >&2; exit 1; fi; \
	node --test $$found

## make bench: the load benchmark (docs/performance.md); needs redis-server
bench: system-deps install-test frontend locales
	$(BIN)/rc-chat bench

clean:
	rm -rf $(VENV) $(addsuffix /node_modules,$(FRONTENDS)) $(CONFORMANCE)/node_modules chat_server/static/widget* chat_server/static/console* chat_server/static/demo
