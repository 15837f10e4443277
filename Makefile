# Two commands on a fresh machine: `make run` serves the product, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint typecheck install clean-data help
.DEFAULT_GOAL := help

help:
	@echo "make run    create .venv, install, prepare the database and knowledge base, serve"
	@echo "make test   install what the tests need, then lint, type-check and run every test"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# PyTorch comes first, from the local CPU build: installed later as a dependency, pip would
# pull the newest release with gigabytes of CUDA packages.
$(VENV)/.torch: | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	@touch $@

$(INSTALLED): pyproject.toml $(VENV)/.torch
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(INSTALLED)

run: install
	$(BIN)/orchestrator db upgrade
	$(BIN)/orchestrator ingest knowledge_base --if-empty
	$(BIN)/orchestrator serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

clean-data:
	rm -rf data
