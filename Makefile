# Two commands set everything up on a fresh machine:
#   make run    the product (localcoin serve --demo), in its own virtual environment
#   make test   the whole test suite (lint, types, tests), in its own virtual environment
# Nothing else is needed: without DATABASE_URL, localcoin starts an embedded PostgreSQL.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: run test lint types pytest browser postgres-tools screenshots bench clean example-client example

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/localcoin serve --demo

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP) example-client
	$(BIN)/mypy

# The booking example's client, generated from the API's OpenAPI document
# (examples/facility_booking/README.md); never committed.
EXAMPLE_CLIENT := build/example-client
example-client: $(STAMP)
	$(BIN)/localcoin openapi > $(VENV)/openapi.json
	$(BIN)/python -m examples.facility_booking.generate_client $(VENV)/openapi.json $(EXAMPLE_CLIENT)

# The booking example against a running `make run` (BOOKING_LOCALCOIN_KEY: the
# 市民体育館 key that `make run` printed).
example: example-client
	PYTHONPATH=$(EXAMPLE_CLIENT) LOCALCOIN_URL=http://127.0.0.1:8000 $(BIN)/python -m examples.facility_booking

# The web apps' end-to-end tests drive Debian's Chromium (never a downloaded
# browser); Japanese text in screenshots needs the Noto CJK fonts.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/opentype/noto ] || \
		{ $(SUDO) apt-get update -q && \
		  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }

# The failover and point-in-time-recovery tests run Debian's PostgreSQL 15 with
# pg_auto_failover and pgBackRest (never a downloaded build).
DEBIAN_POSTGRES := postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli pgbackrest
postgres-tools:
	@command -v pg_autoctl >/dev/null && command -v pgbackrest >/dev/null && \
		[ -x /usr/lib/postgresql/15/bin/postgres ] || \
		{ $(SUDO) apt-get update -q && \
		  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBIAN_POSTGRES); }

pytest: $(STAMP) browser postgres-tools
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# The web apps' end-to-end tests, saving their screenshots over docs/screenshots
# (the README shows them); `make test` keeps its screenshots in a temporary folder.
screenshots: $(STAMP) browser
	LOCALCOIN_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests/web tests/examples

bench: $(STAMP)
	$(BIN)/python -m bench.ledger_vs_pgbench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis $(EXAMPLE_CLIENT)
