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

# The suite starts a Python of its own for each test of the process (python -m quantize,
# import probes, Dask workers). With no bytecode cached, as under PYTHONDONTWRITEBYTECODE=1,
# each compiles every quantize module it imports: 0.53 s of CPU for a small reduce against
# 0.26 s. compileall writes the bytecode whatever that setting says, once; where it cannot
# (a read-only checkout) the suite runs as before. --dist loadgroup: the tests of the Dask
# cluster run in one of the processes, which starts the cluster once (tests/conftest.py).
test: $(VENV)/.installed-dev
	-$(BIN)/python -m compileall -qq quantize
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check quantize tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_kmeans.py

clean:
	rm -rf $(VENV) out
