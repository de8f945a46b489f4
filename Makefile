# Two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA ?= ./data
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test frontend locales system-deps lint typecheck clean bench

## make run: install everything and serve on the embedded default (memory + SQLite)
run: install frontend locales
	CHAT_DATA_DIR=$(DATA) $(BIN)/python -m chat_server serve --host $(HOST) --port $(PORT)

## make test: install what the tests need (redis-server, chromium) and run the whole suite
test: system-deps install-test frontend locales
	$(BIN)/python -m chat_server locales check
	$(BIN)/python -m pytest -p no:cacheprovider tests

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock file pins every package with its hash; pip refuses anything else. The
# project itself runs from the checkout (`python -m chat_server`), so it needs no build.
install: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock

install-test: install
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock

frontend:
	@for d in widget operator_console; do \
	  if [ -f $$d/package.json ]; then \
	    echo "building $$d"; \
	    (cd $$d && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) || exit 1; \
	  fi; \
	done

locales: install
	$(BIN)/python -m chat_server locales compile

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

lint: install-test
	$(BIN)/ruff check chat_server tests
	$(BIN)/mypy

## make bench: the load benchmark (docs/performance.md); needs redis-server
bench: system-deps install-test frontend locales
	$(BIN)/python -m chat_server bench

clean:
	rm -rf $(VENV) widget/node_modules operator_console/node_modules chat_server/static/widget* chat_server/static/console* chat_server/static/demo
