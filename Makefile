# Two commands on a fresh machine:  `make demo` (install, migrate, seed, serve)  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SI := $(BIN)/smartinbox
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_EMAIL ?= demo@example.com
DEMO_PASSWORD ?= smartinbox-demo
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test install assets lint typecheck pytest browser serve clean bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed assets

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

smartinbox/web/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p smartinbox/web/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js smartinbox/web/static/vendor/htmx.min.js

smartinbox/web/static/vendor/chart.umd.min.js: node_modules/.package-lock.json
	mkdir -p smartinbox/web/static/vendor
	cp node_modules/chart.js/dist/chart.umd.min.js smartinbox/web/static/vendor/chart.umd.min.js

smartinbox/web/static/vendor/swagger-ui-bundle.js: node_modules/.package-lock.json
	mkdir -p smartinbox/web/static/vendor
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js smartinbox/web/static/vendor/swagger-ui-bundle.js
	cp node_modules/swagger-ui-dist/swagger-ui.css smartinbox/web/static/vendor/swagger-ui.css

assets: smartinbox/web/static/vendor/htmx.min.js smartinbox/web/static/vendor/chart.umd.min.js \
	smartinbox/web/static/vendor/swagger-ui-bundle.js

demo: install
	$(SI) db upgrade
	$(SI) models train
	$(SI) users create $(DEMO_EMAIL) --role admin --password '$(DEMO_PASSWORD)' --exist-ok
	$(SI) seed --count 200
	@echo
	@echo "  SmartInbox is starting on http://$(HOST):$(PORT)"
	@echo "  Log in as $(DEMO_EMAIL) / $(DEMO_PASSWORD)"
	@echo
	$(SI) serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium; install it when we can (root with apt), else they skip.
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) \
		|| echo "could not install chromium: browser tests will be skipped"; \
	fi

lint: install
	$(BIN)/ruff check smartinbox tests benchmarks
	$(BIN)/ruff format --check smartinbox tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) node_modules smartinbox/web/static/vendor var .pytest_cache .mypy_cache .ruff_cache
