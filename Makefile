# One command runs serviceflow, one command passes the tests. Each bootstraps .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test run bench bench-check bench-record validate lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a distribution's metadata changes.
$(STAMP): $(BIN)/python pyproject.toml plugins/zendesk/pyproject.toml plugins/freshdesk/pyproject.toml \
		plugins/helpscout/pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]' -e 'plugins/zendesk[test]' -e 'plugins/freshdesk[test]' \
		-e 'plugins/helpscout[test]'
	touch $(STAMP)

# Two processes, each test file in one of them (its module fixtures, servers and order kept).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

validate: $(STAMP)
	$(BIN)/serviceflow policy validate policies workflows

# The whole system on this machine: Temporal dev server, worker, demo tickets. Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/serviceflow policy validate policies workflows
	$(BIN)/serviceflow dev

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cel.py
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_durable.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_hostile.py
	$(BIN)/python benchmarks/bench_timers.py

# The quick benchmarks (a minute or two), failing when a ratio falls more than 20 % below its
# record in benchmarks/baseline.json. Never part of `make test`: speed is not a unit test.
bench-check: $(STAMP)
	$(BIN)/python benchmarks/check.py

# Run the quick benchmarks and keep their ratios as the new record (then note the run in
# benchmarks/RESULTS.md).
bench-record: $(STAMP)
	$(BIN)/python benchmarks/check.py --record

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet "ruff>=0.17,<0.18" "mypy>=1.10,<2"
	$(BIN)/ruff check src tests benchmarks plugins
	$(BIN)/ruff format --check src tests benchmarks plugins
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache build dist
