# dilmanc: two commands for a fresh machine (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup browser postgres demo test lint screenshots clean

setup: $(STAMP) browser

# Headless Chromium and its driver for the tests that render `eval report`'s HTML and drive
# the review page with Selenium (Debian's chromium and chromium-driver packages). Tried only as
# root and never fatal: without them those tests are skipped with their reason.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
		|| echo "browser: chromium could not be installed; the browser tests will be skipped"; \
	else echo "browser: chromium or chromedriver missing and not root; the browser tests will be skipped"; fi

# PostgreSQL server binaries for the tests of the PostgreSQL memory (Debian's postgresql
# package; the tests start a throw-away cluster of their own, no service is enabled). Tried only
# as root and never fatal: without them those tests are skipped with their reason.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
		|| echo "postgres: postgresql could not be installed; the PostgreSQL memory tests will be skipped"; \
	else echo "postgres: PostgreSQL missing and not root; the PostgreSQL memory tests will be skipped"; fi

# torch first, pinned to the CPU build (a bare `torch` pulls GBs of CUDA wheels).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dilmanc translate examples/press-release.az.txt --to en,ru --out-dir demo-out --names direct \
		--builtin-glossary --glossary-report demo-out/glossary-report.json
	@echo "demo: wrote demo-out/press-release.en.txt, demo-out/press-release.ru.txt and demo-out/glossary-report.json"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: browser postgres lint
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q

# The review page's screenshot in the README (docs/images/review.png), taken by its browser test.
screenshots: $(STAMP) browser
	rm -rf .shots && mkdir .shots
	DILMANC_ARTIFACTS=.shots HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q tests/test_review_browser.py -k reviewer
	cp .shots/review-opened.png docs/images/review.png && rm -rf .shots

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache
