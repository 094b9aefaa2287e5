# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
INSTALLED := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install demo test bench lint format messages

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(INSTALLED)

install: $(INSTALLED)

## Bring up the whole product with demo data: web, worker, beat (embedded PostgreSQL/Redis if needed).
demo: $(INSTALLED)
	$(VENV)/bin/python -m devstack.demo

## Lint and run every test on real PostgreSQL and Redis (ARGS="..." goes to pytest).
test: $(INSTALLED)
	$(VENV)/bin/python -m devstack.testrun $(ARGS)

## Run every benchmark at full size (BENCH_SCALE=smoke: small and short, as `make test` does);
## each prints a last line `RESULT name=value ...`, and a bench that fails or prints none fails.
bench: $(INSTALLED)
	$(VENV)/bin/python -m devstack.benchrun $(ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

## Extract every translatable string, fill Chinese from locale/sources/zh_hans_*.py, compile.
messages: $(INSTALLED)
	$(VENV)/bin/python -m devstack.translate --all
