# The two commands of the README, plus a few conveniences.
#   make run    install what is missing, upgrade the database, start web + worker
#   make test   install what is missing, run the whole test suite
SHELL := /bin/bash
VENV := .venv
export FLASK_APP := wsgi.py

.PHONY: run test bench load soak lint bootstrap bootstrap-test migrate

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

bench: bootstrap
	@$(VENV)/bin/python bench/render_bench.py $(BENCH_ARGS)

# Loopback-only load figures (docs/RELIABILITY.md, "Load"): status polling next to a bare Flask
# hello-world on the Procfile's gunicorn settings, a 200 MB upload's memory; and a mixed-traffic soak.
load: bootstrap-test
	@$(VENV)/bin/python bench/load_bench.py $(LOAD_ARGS)

soak: bootstrap-test
	@$(VENV)/bin/python bench/soak_bench.py --seconds $${SOAK_SECONDS:-600} $(SOAK_ARGS)

lint: bootstrap
	@$(VENV)/bin/ruff check .

migrate: bootstrap
	@$(VENV)/bin/flask db upgrade
