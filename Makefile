# The two commands of the README, plus a few conveniences.
#   make run    install what is missing, upgrade the database, start web + worker
#   make test   install what is missing, run the whole test suite
#   make fuzz   the API fuzzing and hypothesis sweeps with many more examples
#   make chaos  the fault scenarios of tests/chaos, CHAOS_N trials each, and their figures
SHELL := /bin/bash
VENV := .venv
export FLASK_APP := wsgi.py

.PHONY: run test fuzz chaos bench bench-scaling load soak lint bootstrap bootstrap-test migrate

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

# API fuzzing and the hypothesis sweeps with many more examples than `make test` runs
# (FUZZ_EXAMPLES per operation and per property; derandomized, so a run is repeatable).
FUZZ_EXAMPLES ?= 100
fuzz: bootstrap-test
	@time WAVEFRAME_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -p no:randomly -q \
		tests/integration/fuzz tests/integration/security/test_upload_fuzz.py $(PYTEST_ARGS)

chaos: bootstrap-test
	@CHAOS_N=$(CHAOS_N) CHAOS_SEED=$(CHAOS_SEED) $(VENV)/bin/pytest tests/chaos -q -p no:randomly \
		--timeout=3600 $(PYTEST_ARGS)

bench: bootstrap
	@$(VENV)/bin/python bench/render_bench.py $(BENCH_ARGS)

# One 10-minute render at 720p30 unchunked and as chunks on 1, 2 and 4 RQ worker processes (a
# private stack), the per-chunk costs and the projected speed-up on N machines (bench/SCALING.md).
bench-scaling: bootstrap-test
	@$(VENV)/bin/python bench/chunk_scaling.py $(SCALING_ARGS)

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
