# The README's commands. Every target installs what it needs itself (uv, then the locked deps).
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen --no-sync

.PHONY: install system-deps run test test-e2e lint ui docs portal template demo-data bench bench-large bench-engines clean

$(CURDIR)/.tools/bin/uv:
	python3 -m pip install --quiet --disable-pip-version-check --target $(CURDIR)/.tools uv

# Bytecode compiled once at install: every process (CLI, dbt, Dagster's run workers) would
# otherwise compile the whole stack again at import when PYTHONDONTWRITEBYTECODE is set.
.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: .venv/.installed

# What the rendering and browser tests need from Debian: LibreOffice (workbooks → PDF),
# poppler (PDF → PNG) and Chromium (driven by Playwright; no browser is ever downloaded); and
# PostgreSQL 15, whose throwaway clusters the tests of the PostgreSQL target start on loopback.
SYSTEM_PACKAGES := libreoffice-calc chromium fonts-dejavu-core poppler-utils postgresql
POSTGRES_INITDB := /usr/lib/postgresql/15/bin/initdb
system-deps:
	@if ! command -v soffice >/dev/null || ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || [ ! -x $(POSTGRES_INITDB) ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "Installez en root : apt-get install $(SYSTEM_PACKAGES)"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	fi

run: install
	$(RUN) ase-impact run

# make test: every unit and integration test but the end-to-end runs (under 10 minutes on
# 2 cores); make test-e2e: whole `ase-impact run`s (pytest marker "slow"). CI runs both.
test: install system-deps
	$(RUN) pytest -q -m "not slow"

test-e2e: install system-deps
	$(RUN) pytest -q -m slow

lint: install
	$(RUN) ruff check ase_impact orchestration devtools tests benchmarks
	$(RUN) ruff format --check ase_impact orchestration devtools tests benchmarks

ui: install
	$(RUN) ase-impact ui

# dbt's documentation of the marts and the publication gate's report, as the last build left
# them, on http://127.0.0.1:8080 (no network needed).
docs: install
	$(RUN) ase-impact docs --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8080)

# The associations' portal (docs/portal.md); accounts: ase-impact portal-user add …
portal: install
	$(RUN) ase-impact portal --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

template: install
	$(RUN) ase-impact template --association $(or $(ASSOCIATION),exemple-association) --period $(or $(PERIOD),$(shell date +%Y-%m)) -o $(or $(OUT),modele_tableau_de_pilotage.xlsx)

demo-data: install
	$(RUN) python -m devtools.demo_data

bench: install
	$(RUN) python -m benchmarks.run --workloads M,incremental,incremental-S --runs 3

bench-large: install
	$(RUN) python -m benchmarks.run --workloads L,incremental-L

# M and incremental on DuckDB, then on a throwaway PostgreSQL cluster; L on DuckDB, on
# PostgreSQL, then on DuckDB with Dagster's storage on PostgreSQL: « Engines side by side ».
bench-engines: install system-deps
	$(RUN) python -m benchmarks.run --engines duckdb,postgresql --workloads M,incremental
	$(RUN) python -m benchmarks.run --engines duckdb,postgresql,duckdb+dagster-postgresql --workloads L

clean:
	rm -rf warehouse archive outputs reports .dagster_home/storage .dagster_home/logs dbt_project/target dbt_project/logs
