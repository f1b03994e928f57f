# Two commands do all the set-up on a fresh clone (Python >= 3.11, make and git):
#   make run   — virtualenv, pinned install, migrate, demo data (first time only), serve on :8000
#   make test  — lint, checks and the whole test suite (installs Debian's chromium for browser tests when it can)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Links in e-mails, feeds and widget snippets point at the address `make run` serves on (unless BASE_URL is set).
export BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test lint pytest worker clean help

help:
	@echo "make run    start the site with demo data at http://$(HOST):$(PORT)"
	@echo "make test   run lint, checks and the whole test suite"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	@trap 'kill 0' INT TERM EXIT; \
	if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting an rq worker beside the web server"; \
		$(PY) manage.py run_worker & \
	fi; \
	echo "Starting the scheduler (outbox relay, SLA sweep each minute, billing each hour) beside the web server"; \
	$(PY) manage.py run_schedule & \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(PY) manage.py run_worker

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=qa_site.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=qa_site.settings.test $(PY) manage.py makemigrations --check --dry-run

# The suite runs in TEST_PROCESSES processes (pytest-xdist), each test file in one of them.
TEST_PROCESSES ?= 2

pytest: $(STAMP)
	@bash scripts/ensure-browser
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile

test: lint pytest

clean:
	rm -rf $(VENV) var .pytest_cache
