# The two commands of the README, plus a few conveniences.
#   make run    install what is missing, upgrade the database, start web + worker
#   make test   install what is missing, run the whole test suite (each fault scenario once)
#   make chaos  the fault scenarios of tests/chaos, CHAOS_N trials each, and their figures
SHELL := /bin/bash
VENV := .venv
export FLASK_APP := wsgi.py

.PHONY: run test chaos bench lint bootstrap bootstrap-test migrate

CHAOS_N ?= 10
CHAOS_SEED ?= 15

bootstrap:
	@scripts/bootstrap.sh run

bootstrap-test:
	@scripts/bootstrap.sh test

run: bootstrap
	@$(VENV)/bin/flask db upgrade
	@echo "Waveframe: http://127.0.0.1:$${WAVEFRAME_PORT:-5000}  (API docs at /api/docs; Ctrl-C stops web + worker)"
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f Procfile.dev start

test: bootstrap-test
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

chaos: bootstrap-test
	@CHAOS_N=$(CHAOS_N) CHAOS_SEED=$(CHAOS_SEED) $(VENV)/bin/pytest tests/chaos -q -p no:randomly \
		--timeout=3600 $(PYTEST_ARGS)

bench: bootstrap
	@$(VENV)/bin/python bench/render_bench.py $(BENCH_ARGS)

lint: bootstrap
	@$(VENV)/bin/ruff check .

migrate: bootstrap
	@$(VENV)/bin/flask db upgrade
