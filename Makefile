# Two entry points for a fresh machine with python3 and make:
#   make demo   set up .venv and run iptkit's main job on the bundled example data
#   make test   set up .venv with the dev tools and run every check
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Only the folders that exist: git keeps no empty folder, so a fresh clone may lack one.
LINT_PATHS := src tests $(wildcard examples bench docs/conf.py)

.PHONY: demo test lint typecheck docs wheel-check pytest bench clean

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

# The demo corpus has broken lines and protocol departures on purpose, so
# `iptkit check` exits 1 (problems found): that is the expected outcome here.
# Exit 2 (a usage or input/output error) or a crash (a traceback) fails the demo.
demo: $(VENV)/.base
	$(BIN)/python examples/quickstart.py
	@echo
	@echo '$$ iptkit check examples/data'
	@$(BIN)/python -m iptkit check examples/data 2>$(VENV)/demo-check.err; status=$$?; \
	cat $(VENV)/demo-check.err >&2; \
	if [ $$status -gt 1 ] || grep -q '^Traceback' $(VENV)/demo-check.err; then \
		echo "make demo: iptkit check failed (exit status $$status)" >&2; exit 1; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(VENV)/.dev
	$(BIN)/mypy --strict src tests

# Warnings are errors; the build needs no network (see docs/conf.py).
docs: $(VENV)/.dev
	$(BIN)/sphinx-build -q -W -n --keep-going -b html docs docs/_build/html
	$(BIN)/sphinx-build -q -W -n --keep-going -b doctest docs docs/_build/doctest

# Build the wheel as pip would and check what goes into it.
wheel-check: $(VENV)/.dev
	rm -rf build/wheel
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir build/wheel .
	$(BIN)/python .ci/check_wheel.py build/wheel/*.whl

# Exit status 5 means pytest collected no tests: a broken test layout, never a pass.
pytest: $(VENV)/.dev
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	exit $$status

test: lint typecheck docs wheel-check pytest

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build docs/_build .pytest_cache .mypy_cache .ruff_cache
