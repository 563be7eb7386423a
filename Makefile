# Two commands: `make run` and `make test`. Both create or reuse .venv and need
# nothing but Python >= 3.11 and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Passed to pytest; .ci/run adds --create-db so CI never reuses an old schema.
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-slow load lint format clean messages

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
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --reuse-db -m "not slow" $(PYTEST_ARGS)

# Slow fault and load runs, kept out of the main suite; .ci/run calls this after `make test`.
# pytest exits 5 when nothing is marked slow yet; that is not a failure. Then the forms
# are fuzzed again, three times deeper than `make test` has time for.
test-slow: $(VENV)/.installed-test
	FUZZ_PDF_EXAMPLES=10 $(BIN)/pytest -m slow $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "No slow tests collected."; status=0; fi; \
	  [ $$status -eq 0 ] || exit $$status
	FUZZ_EXAMPLES=300 $(BIN)/pytest -n 2 -m "not slow" tests/security/test_fuzz_forms.py $(PYTEST_ARGS)

# Load test against gunicorn: 20 parents signing and 5 directors reading dashboards.
# Uses DATABASE_URL if set (PostgreSQL, as in production). See docs/performance.md.
LOAD_USERS ?= 25
LOAD_TIME ?= 60s
load: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[load]'
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loadtest_prepare --parents 1000 --directors 5
	$(BIN)/gunicorn safeguard.wsgi --bind 127.0.0.1:8765 --workers 2 --threads 4 --pid var/gunicorn.pid --daemon
	sleep 3
	$(BIN)/locust -f loadtest/locustfile.py --headless -u $(LOAD_USERS) -r $(LOAD_USERS) -t $(LOAD_TIME) \
	  --host http://127.0.0.1:8765 --only-summary --csv var/load; status=$$?; \
	  kill $$(cat var/gunicorn.pid); exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After editing a locale/cy/LC_MESSAGES/django.po: compile it (needs GNU gettext's
# msgfmt, `apt-get install gettext`). The .mo files are committed, so a fresh
# clone runs in Welsh without gettext; a test fails when a .mo is older than its .po.
messages: $(VENV)/.installed-test
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache
