# Two commands: `make run` and `make test`. Both create or reuse .venv and need
# nothing but Python >= 3.11 and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Passed to pytest; .ci/run adds --create-db so CI never reuses an old schema.
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-slow lint format clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Safeguard needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)

# Stamps make a second run skip pip entirely unless pyproject.toml changed.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Safeguard is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	SAFEGUARD_PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho -f Procfile.dev start

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --reuse-db -m "not slow" $(PYTEST_ARGS)

# Slow fault and load runs, kept out of the main suite; .ci/run calls this after `make test`.
# pytest exits 5 when nothing is marked slow yet; that is not a failure.
test-slow: $(VENV)/.installed-test
	$(BIN)/pytest -m slow $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "No slow tests collected."; exit 0; fi; exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
