# One command runs serviceflow, one command passes the tests. Each bootstraps .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test run bench validate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a distribution's metadata changes.
$(STAMP): $(BIN)/python pyproject.toml plugins/zendesk/pyproject.toml plugins/freshdesk/pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]' -e plugins/zendesk -e plugins/freshdesk
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

validate: $(STAMP)
	$(BIN)/serviceflow policy validate policies workflows

run: $(STAMP)
	@echo "serviceflow: the running system (Temporal dev server, worker, webhook receiver, demo helpdesk)"
	@echo "arrives with the durable-shell issue. What works today: policy validation."
	$(BIN)/serviceflow policy validate policies workflows

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cel.py

clean:
	rm -rf $(VENV) .pytest_cache build dist
