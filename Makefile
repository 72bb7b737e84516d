# The two commands: `make run` serves the app on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint typecheck format install clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "RecipeVault needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -c constraints.txt -e .
	@touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -c constraints.txt -e '.[test]'
	@touch $@ $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(BIN)/recipevault db upgrade
	$(BIN)/recipevault demo load --if-empty
	$(BIN)/recipevault serve --with-worker

test: $(TEST_STAMP) lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src tests

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
