# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make demo   -- create .venv, install quantize, run it on samples/ into out/
#   make test   -- create .venv with the dev extras, run the test suite
PYTHON ?= python3
# Processes the test suite runs in (pytest-xdist); 0 runs it in make's own python.
TEST_WORKERS ?= 2
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/python samples/demo.py samples out

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check quantize tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_kmeans.py

clean:
	rm -rf $(VENV) out
