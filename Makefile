# Two entry points for a fresh machine with python3 and make:
#   make demo   set up .venv and run iptkit's main job on the bundled example data
#   make test   set up .venv with the dev tools and run every check
# Other targets: bench (the full benchmarks), bench-smoke (a quick run of every benchmark
# path, as in CI), dist-check (build the sdist and wheel, install the wheel in a clean venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Only the folders that exist: git keeps no empty folder, so a fresh clone may lack one.
LINT_PATHS := src tests $(wildcard examples bench docs/conf.py .ci/*.py)
# bench/ and examples/ are not packages (and .ci/ holds scripts): mypy checks them in a run of their own.
SCRIPT_PATHS := $(wildcard bench examples .ci/*.py)
# Built distributions, the clean venv they are installed into, coverage data.
DIST := build/dist
COVERAGE_DIR := build/coverage

.PHONY: demo test lint typecheck docs dist-check wheel-check pytest pytest-pure bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip >= 25.1 is needed for dependency groups; the venv's pip is upgraded first.
$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all]' --group dev
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
	$(BIN)/mypy --strict $(SCRIPT_PATHS)

# Warnings are errors; the build needs no network (see docs/conf.py).
docs: $(VENV)/.dev
	$(BIN)/sphinx-build -q -W -n --keep-going -b html docs docs/_build/html
	$(BIN)/sphinx-build -q -W -n --keep-going -b doctest docs docs/_build/doctest

# Build the sdist, then the wheel from it as pip would (so a file missing from the sdist
# fails here), check what goes into both, and install the wheel into a clean venv (no pip,
# nothing else of the project) to import iptkit and run the command there.
dist-check: $(VENV)/.dev
	rm -rf $(DIST)
	$(BIN)/python -m build --sdist --outdir $(DIST) .
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(DIST) $(DIST)/iptkit-*.tar.gz
	$(BIN)/python .ci/check_wheel.py $(DIST)/*.whl $(DIST)/*.tar.gz
	$(PYTHON) -m venv --without-pip $(DIST)/venv
	$(BIN)/python -m pip --python $(DIST)/venv/bin/python install --quiet $(DIST)/*.whl
	cd $(DIST) && venv/bin/python -c "import iptkit; print(iptkit.__version__)"
	cd $(DIST) && venv/bin/iptkit --version

wheel-check: dist-check

# Runs the suite under coverage (branch coverage of the installed package, subprocesses
# included; see [tool.coverage.*] in pyproject.toml), then reports it: the report fails
# below fail_under.  Exit status 5 means pytest collected no tests: a broken test layout,
# never a pass.
pytest: $(VENV)/.dev
	rm -rf $(COVERAGE_DIR)
	mkdir -p $(COVERAGE_DIR)
	$(BIN)/python -m coverage run -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	$(BIN)/python -m coverage combine --quiet && $(BIN)/python -m coverage report

# The suite again on the pure-Python path: with the `fast` extra installed (as here), loads
# and dumps take its compiled path, and both paths must pass every test.
pytest-pure: $(VENV)/.dev
	IPTKIT_PURE_PYTHON=1 $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint typecheck docs dist-check pytest pytest-pure

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py

# Every benchmark path on tiny inputs, well under a minute: it checks that the benchmarks
# run, not how fast iptkit is.  The work folder keeps the clean venv of the import-time
# check between runs.
bench-smoke: $(VENV)/.bench
	$(BIN)/python bench/run.py --quick --workdir build/bench-smoke

clean:
	rm -rf $(VENV) build docs/_build .pytest_cache .mypy_cache .ruff_cache
