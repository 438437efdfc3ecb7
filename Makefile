# CellCarbon — `make run` serves on 127.0.0.1:8000, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export CELLCARBON_DATABASE_URL ?= sqlite:///./var/cellcarbon.db
export CELLCARBON_BRIGHTWAY_DIR ?= ./var/brightway
export BRIGHTWAY_DIR := $(abspath $(CELLCARBON_BRIGHTWAY_DIR))
# pytest workers for make test: each takes whole test files (their servers, databases and
# session fixtures are their own); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: run run-tls test lint install install-dev migrate background bench bench-quick bench-plant bench-plant-ingest bench-batch fuzz worker clean

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
	@echo "Every /v1 request needs an API key. First time? Create your organisation and its"
	@echo "first admin key (printed once):  .venv/bin/cellcarbon org create 'Your company'"
	$(BIN)/cellcarbon serve --host 127.0.0.1 --port 8000

# HTTPS only (PACT): a self-signed pair for localhost is made once; set CELLCARBON_TLS_CERT and
# CELLCARBON_TLS_KEY to serve with your own certificate instead.
TLS_CERT ?= $(or $(CELLCARBON_TLS_CERT),var/tls/cert.pem)
TLS_KEY ?= $(or $(CELLCARBON_TLS_KEY),var/tls/key.pem)

var/tls/cert.pem: | $(STAMP) var
	$(BIN)/cellcarbon tls selfsigned var/tls --host localhost --host 127.0.0.1

run-tls: migrate background $(TLS_CERT)
	$(BIN)/cellcarbon serve --host 127.0.0.1 --port 8443 --tls-cert $(TLS_CERT) --tls-key $(TLS_KEY)

test: $(DEV_STAMP)
	@# pdftoppm (poppler) renders a report page for tests/reports; skipped there outside CI if absent.
	command -v pdftoppm >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils) \
		|| echo 'pdftoppm unavailable: the PDF image test will skip (fail under CI=true)'
	@# Headless Chromium and its driver for the browser tests of the web interface (tests/ui).
	(command -v chromium && command -v chromedriver) >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) \
		|| echo 'chromium unavailable: the browser tests will skip (fail under CI=true)'
	$(BIN)/ruff check app lca tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(DEV_STAMP)
	$(BIN)/ruff check app lca tests benchmarks scripts
	$(BIN)/ruff format --check app lca tests benchmarks scripts || true
	$(BIN)/mypy

# Engine benchmark on a synthetic 20,000-activity background (generated once into var/bench).
# Then the same size written as an ecospold2 release and imported (target: under 10 minutes).
bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_engine --activities 20000 --boms 10000 --naive-sample 3
	$(BIN)/python -m benchmarks.bench_import --activities 20000 --boms 10000

# The same comparisons on 2,000 activities, in well under a minute.
bench-quick: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_engine --activities 2000 --boms 2000 --naive-sample 20

# 10,000 variants of the NMC811 example as one POST /v1/footprints/batch to a real server on
# PostgreSQL, beside score_variants and the bare engine in the same run.
bench-batch: $(DEV_STAMP) | var
	$(BIN)/python -m benchmarks.bench_batch --variants 10000 --repeat 3

# Plant footprints: a synthetic year of 15-minute meter data and 10,000 lots, allocated and priced
# in three methods (location, market with annual and with hourly matching); prints lots/s.
bench-plant: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_plant --lots 10000 --budget 5

# Meter readings into a fresh PostgreSQL database (COPY, monthly partitions, roll-ups in SQL).
bench-plant-ingest: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.bench_plant_ingest --meters 50

# A Celery worker for jobs; needs CELLCARBON_BROKER_URL (and the `scale` extra, in dev extras).
worker: $(DEV_STAMP)
	$(BIN)/cellcarbon worker

# HTTP load on the local PostgreSQL (127.0.0.1:5432): 2 uvicorn workers, wrk on loopback, 60 s per
# phase (footprints only, then footprints + BOM posts); a throwaway database is dropped at the end.
bench-http: $(DEV_STAMP) | var
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m benchmarks.bench_http --duration 60

# 10 minutes of mixed load; fails if the server's RSS grows > 10 % after a 60 s warm-up.
soak: $(DEV_STAMP) | var
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m benchmarks.bench_http --soak --duration 600 --sample-interval 30 \
		--warmup 60 --max-growth-percent 10

# The schemathesis API tests of `make test` (every check, valid and invalid requests per
# operation, then stateful scenarios over the links), with many more generated requests.
FUZZ_EXAMPLES ?= 200
fuzz: $(DEV_STAMP)
	CELLCARBON_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/e2e/test_schemathesis.py

clean:
	rm -rf var $(VENV)
