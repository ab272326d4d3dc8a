# cxroi: the two commands of the README are `make serve` and `make test`.
# Every target creates what it needs (virtual env, package, Chromium) and is safe to run again.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     ?= .venv
SCENARIO ?= scenarios/default.yaml
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
SERVE_ARGS  ?=

BIN   := $(VENV)/bin
STAMP := $(VENV)/.cxroi-installed
# `make serve` needs only the package; `make test` adds the test tools and the optional extras.
SERVE_STAMP := $(VENV)/.cxroi-serve-installed

# The browser tests read this (tests/conftest.py).
export CXROI_CHROMIUM := $(CHROMIUM)

.PHONY: help install chromium office serve test lint bench clean distclean

help:
	@echo "make serve   open the dashboard on $(SCENARIO) (SCENARIO=... to change, SERVE_ARGS=...)"
	@echo "make test    run the whole test suite, ruff and mypy (PYTEST_ARGS=... to narrow)"
	@echo "make lint    ruff only"
	@echo "make bench   run every benchmarks/*.py and print its figures"
	@echo "make clean   remove caches and build output (distclean also removes $(VENV))"

# --- set-up -----------------------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "cxroi needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Run again with PYTHON=python3.11 (or newer)."; exit 1; }
	@echo "==> creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "'$(PYTHON) -m venv' failed. On Debian/Ubuntu install python3-venv first."; exit 1; }

# Reinstall only when pyproject.toml changed (or the env is new).
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "==> installing cxroi, its optional extras and its test tools into $(VENV)"
	$(BIN)/python -m pip install --progress-bar off -e '.[test,dask]'
	@touch $@ $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> installing cxroi (what serving needs) into $(VENV)"
	$(BIN)/python -m pip install --progress-bar off -e .
	@touch $@

install: $(STAMP)

# Debian's Chromium for the browser tests. Never `playwright install`: it downloads a browser.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	echo "==> $(CHROMIUM) is missing: installing Debian's chromium for the browser tests"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then \
	  if [ -t 0 ]; then sudo="sudo"; else sudo="sudo -n"; fi; \
	else sudo="none"; fi; \
	if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1 \
	   && $$sudo apt-get update \
	   && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	   && [ -x "$(CHROMIUM)" ]; then \
	  echo "==> $$($(CHROMIUM) --version 2>/dev/null)"; \
	else \
	  echo "!! Could not install Chromium (needs apt-get and root or sudo)."; \
	  echo "!! Install it yourself: sudo apt-get install chromium"; \
	  echo "!! or point CHROMIUM=/path/to/chromium at an existing one."; \
	  echo "!! Until then the browser tests are skipped (and fail when CI is set)."; \
	fi

# Debian's LibreOffice Calc (headless) and poppler-utils for the workbook and report tests:
# soffice recalculates the live workbooks, pdftotext reads the printed report.
office:
	@if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then exit 0; fi; \
	echo "==> soffice or pdftotext is missing: installing LibreOffice Calc and poppler-utils"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then \
	  if [ -t 0 ]; then sudo="sudo"; else sudo="sudo -n"; fi; \
	else sudo="none"; fi; \
	if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1 \
	   && $$sudo apt-get update \
	   && { $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	          libreoffice-calc-nogui poppler-utils \
	        || $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	          libreoffice-calc poppler-utils; } \
	   && command -v soffice >/dev/null 2>&1; then \
	  echo "==> $$(soffice --version 2>/dev/null)"; \
	else \
	  echo "!! Could not install LibreOffice (needs apt-get and root or sudo)."; \
	  echo "!! Install it yourself: sudo apt-get install libreoffice-calc-nogui poppler-utils"; \
	  echo "!! Until then the workbook recalculation and PDF tests are skipped (and fail when CI is set)."; \
	fi

# --- the two README commands -----------------------------------------------------------------

serve: $(SERVE_STAMP)
	$(BIN)/cxroi serve $(SCENARIO) $(SERVE_ARGS)

# Two passes: everything but the browser tests on all cores (pytest-xdist), then the browser
# tests on one process, so the dashboard they drive has the machine to itself. Exit status 5
# ("no test selected", when PYTEST_ARGS narrows the run to one kind) is not a failure.
test: $(STAMP) chromium office
	@status=0; \
	echo "==> pytest: all but the browser tests (parallel)"; \
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS); rc=$$?; \
	[ $$rc -eq 0 ] || [ $$rc -eq 5 ] || status=$$rc; \
	echo "==> pytest: the browser tests (one process)"; \
	$(BIN)/python -m pytest -m browser --numprocesses=0 $(PYTEST_ARGS); rc=$$?; \
	[ $$rc -eq 0 ] || [ $$rc -eq 5 ] || status=$$rc; \
	echo "==> ruff check"; \
	$(BIN)/ruff check . || status=1; \
	echo "==> mypy (the package; settings in pyproject.toml)"; \
	$(BIN)/python -m mypy || status=1; \
	exit $$status

# --- other tasks -----------------------------------------------------------------------------

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks/*.py yet"; exit 0; fi; \
	status=0; \
	for f in "$${files[@]}"; do \
	  echo "==> $$f"; $(BIN)/python "$$f" || status=1; \
	done; \
	exit $$status

clean:
	rm -rf build dist out benchmarks/results .pytest_cache .hypothesis .ruff_cache *.egg-info
	find . \( -path ./$(VENV) -o -path ./.git \) -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
