# One entry point for people and CI. `make run` serves the site on SQLite;
# `make test` installs what the tests need and runs them all.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
MANAGE := $(PY) manage.py
# The suite is mostly child Pythons and servers, bound by CPU: two pytest-xdist workers
# use both cores of a small machine. loadgroup keeps the modules of SHARED_FIXTURE_MODULES
# whole and hands out other tests one by one in collection order (tests/conftest.py).
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
PYTEST := DJANGO_SETTINGS_MODULE=settings.test $(PY) -m pytest -n $(TEST_WORKERS) \
	--dist loadgroup --no-loadscope-reorder
# The database runs use the two workers too, each on a test database of its own
# (pytest-django adds _gw0, _gw1 to its name). They once ran in one process because a
# two-worker PostgreSQL run lost a content type (tests/siteadmin/test_history_migration.py):
# that was a worker mixing serialized and plain transactional flushes, which collection
# now refuses (tests/conftest.py). Two workers: PostgreSQL 107 s -> 62 s, MariaDB 101 s -> 58 s.

TEST_POSTGRESQL_URL ?= postgres://root@127.0.0.1:5432/test
TEST_MARIADB_URL ?= mysql://root@127.0.0.1:3306/test
# Checks run on the development settings, untouched by a developer's .env.
CHECK_ENV := FILAMENTA_ENV_FILE=/dev/null DJANGO_SETTINGS_MODULE=settings.development

.DEFAULT_GOAL := help
.PHONY: help run migrate superuser test lint format checks test-sqlite test-postgresql \
	test-mariadb system-deps browser-deps clean

help:
	@echo "make run     serve the site on http://127.0.0.1:8000 (SQLite, no other service)"
	@echo "make test    lint, checks and the whole test suite on SQLite, PostgreSQL and MariaDB"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make bench   load tests and cache benchmarks, report in bench/results (QUICK=1: minutes)"
	@echo "make rehearse-cpanel|vps|docker|cluster  one deployment on its real server (make rehearse: all)"
	@echo "make rehearse-move  a cPanel site carried to the VPS and fleet stacks by site_export/site_import"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required: apt-get install python3 python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed-development: $(PY) requirements/base.txt requirements/development.txt
	$(PIP) install -r requirements/development.txt
	@touch $@

$(VENV)/.installed-test: $(PY) $(wildcard requirements/*.txt) | system-deps bench-system-deps browser-deps
	$(PIP) install -r requirements/test.txt
	@touch $@

# mysqlclient compiles against the MariaDB/MySQL client headers.
system-deps:
	@if pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists libmariadb 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing the MariaDB client headers for mysqlclient (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libmariadb-dev pkg-config; \
	else \
		echo "mysqlclient needs the MariaDB client headers: sudo apt-get install libmariadb-dev pkg-config"; \
		exit 1; \
	fi

# $(call debian-packages,COMMANDS,PACKAGES,PURPOSE): install PACKAGES with apt-get
# (as root) unless every one of COMMANDS is already on the PATH.
define debian-packages
	@if $(foreach c,$(1),command -v $(c) >/dev/null &&) true; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing $(2) for $(3) (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(2); \
	else \
		echo "Missing for $(3): sudo apt-get install $(2)"; \
		exit 1; \
	fi
endef

# The browser test (tests/browser) drives Debian's Chromium through its chromedriver.
browser-deps:
	$(call debian-packages,chromium chromedriver,chromium chromium-driver,the browser test)

run: $(VENV)/.installed-development
	$(MANAGE) migrate --no-input
	@$(MANAGE) shell -c "from django.contrib.auth import get_user_model as m; \
		print('' if m().objects.filter(is_superuser=True).exists() else \
		'No administrator yet: create one with  make superuser')"
	$(MANAGE) runserver 127.0.0.1:8000

migrate: $(VENV)/.installed-development
	$(MANAGE) migrate --no-input

superuser: $(VENV)/.installed-development
	$(MANAGE) createsuperuser

test: $(VENV)/.installed-test lint checks test-sqlite test-postgresql test-mariadb rehearse

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

checks: $(VENV)/.installed-test
	$(CHECK_ENV) $(MANAGE) check --fail-level WARNING
	$(CHECK_ENV) $(MANAGE) makemigrations --check --dry-run
	@# The French .po must hold every marked string and the committed .mo match it.
	$(CHECK_ENV) $(MANAGE) makemessages -l fr --no-obsolete $(MESSAGES_IGNORE)
	git diff --exit-code -I'POT-Creation-Date' -- locale
	$(CHECK_ENV) $(MANAGE) compilemessages -l fr
	git diff --exit-code -- locale

# What makemessages leaves out: installed packages, run-time files, tests and tools.
MESSAGES_IGNORE = -i .venv -i instance -i staticfiles -i static -i tests -i bench -i devtools -i deploy

test-sqlite: $(VENV)/.installed-test
	@echo "== tests on SQLite"
	DATABASE_URL= $(PYTEST)

test-postgresql: $(VENV)/.installed-test
	@echo "== database tests on PostgreSQL"
	DATABASE_URL=$(TEST_POSTGRESQL_URL) $(PYTEST) -m database

test-mariadb: $(VENV)/.installed-test
	@echo "== database tests on MariaDB"
	DATABASE_URL=$(TEST_MARIADB_URL) $(PYTEST) -m database

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

# BENCHMARKS (README.md, "Benchmarks")
# ------------------------------------------------------------------------------
# `make bench` runs every benchmark and writes bench/results/<date>.md with charts;
# `make bench QUICK=1` is the same in a few minutes. Heavy: run it on an idle machine.
.PHONY: bench bench-system-deps
BENCH_PROFILE := $(if $(filter 1 yes true,$(QUICK)),quick,full)

$(VENV)/.installed-bench: $(PY) requirements/base.txt requirements/vps.txt requirements/bench.txt | system-deps bench-system-deps
	$(PIP) install -r requirements/bench.txt
	@touch $@

bench: $(VENV)/.installed-bench
	$(PY) -m bench.run --profile $(BENCH_PROFILE)

# wrk (raw HTTP throughput) and redis-server (the benchmark starts its own) are Debian packages.
bench-system-deps:
	$(call debian-packages,wrk redis-server,wrk redis-server,the benchmarks)

# `make bench-backends`: cache tiers beside Django's caches, probe times, failover
# latency (bench/backends.py). A few minutes; starts its own redis-server.
.PHONY: bench-backends
bench-backends: $(VENV)/.installed-test
	$(PY) -m bench.backends

# DEPLOYMENT REHEARSALS (deploy/README.md)
# ------------------------------------------------------------------------------
# Each target runs one host's real server stack on 127.0.0.1 (Apache + Passenger,
# nginx + gunicorn, the Docker entrypoint, two gunicorn servers), prints PASS/FAIL
# per check and stops everything it started. Part of `make test`; about a
# minute and a half for the four. Missing Debian packages are installed as root.
# rehearse-move carries a filled cPanel site to the VPS and fleet stacks (about a minute more).
.PHONY: rehearse rehearse-cpanel rehearse-vps rehearse-docker rehearse-cluster rehearse-move
rehearse: rehearse-cpanel rehearse-vps rehearse-docker rehearse-cluster rehearse-move

rehearse-cpanel rehearse-vps rehearse-docker rehearse-cluster rehearse-move: $(VENV)/.installed-test
	$(PY) -m deploy.rehearsal $(@:rehearse-%=%)
