# CellCarbon — `make run` serves on 127.0.0.1:8000, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export CELLCARBON_DATABASE_URL ?= sqlite:///./var/cellcarbon.db
export CELLCARBON_BRIGHTWAY_DIR ?= ./var/brightway
export BRIGHTWAY_DIR := $(abspath $(CELLCARBON_BRIGHTWAY_DIR))

.PHONY: run test lint install install-dev migrate background bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

var:
	mkdir -p var

migrate: $(STAMP) | var
	$(BIN)/cellcarbon db upgrade

background: $(STAMP) | var
	$(BIN)/cellcarbon background build

run: migrate background
	$(BIN)/cellcarbon serve --host 127.0.0.1 --port 8000

test: $(DEV_STAMP)
	$(BIN)/ruff check app lca tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check app lca tests benchmarks
	$(BIN)/ruff format --check app lca tests benchmarks || true
	$(BIN)/mypy

# Engine benchmark on a synthetic 20,000-activity background (generated once into var/bench).
bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_engine --activities 20000 --boms 10000 --naive-sample 3

# The same comparisons on 2,000 activities, in well under a minute.
bench-quick: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_engine --activities 2000 --boms 2000 --naive-sample 20

clean:
	rm -rf var $(VENV)
