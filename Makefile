# Two entry points for a fresh machine with python3 and make:
#   make demo   set up .venv and run iptkit's main job on the bundled example data
#   make test   set up .venv with the dev tools and run every check
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck docs pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip >= 25.1 is needed for dependency groups; the venv's pip is upgraded first.
$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[hypothesis]' --group dev
	touch $@ $(VENV)/.base

$(VENV)/.bench: $(VENV)/.base
	$(BIN)/python -m pip install --quiet --group bench
	touch $@

demo: $(VENV)/.base
	$(BIN)/python examples/quickstart.py

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests examples bench docs
	$(BIN)/ruff format --check src tests examples bench docs

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src tests

docs: $(VENV)/.dev
	$(BIN)/sphinx-build -q -W -n -b html docs docs/_build/html
	$(BIN)/sphinx-build -q -W -n -b doctest docs docs/_build/doctest

pytest: $(VENV)/.dev
	$(BIN)/python -m pytest

test: lint typecheck docs pytest

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache
