# Open Lima: thin wrappers. The work is done by `openlima-stack` (stack/openlima_stack/).
#
#   make run     serve the portal on http://127.0.0.1:$(PORT) with demo data (PORT=5000)
#   make test    run the whole test suite on its own database (pytest args: TESTS=...),
#                then CKAN's own search tests against our engine (make test-ckan-search)
#   make prod    the production topology on this machine: gunicorn + jobs worker +
#                scheduler + Debian's nginx (static site on PORT, CKAN on PORT+1)
#   make site    build the static site (site/dist) from the CKAN of `make run`
#   make lint    ruff
#   make bench   benchmarks/run.py (arguments: BENCH_ARGS=..., SITE_COMPARE_ARGS=...)
#   make bench-load  locust against `make prod`'s stack (benchmarks/load.py, LOAD_ARGS=...)
#   make audit   pip-audit of the installed dependencies; says so when it could not check
#   make conformance  DCAT-AP 3.0.1 SHACL check of the running portal's feeds
#                (shapes from DCAT_AP_SHACL_DIR, default ../shared/standards)
#
# Services: CKAN_SQLALCHEMY_URL / CKAN_REDIS_URL / CKAN_SOLR_URL if set, else local
# PostgreSQL/Redis if they answer, else embedded ones; OPENLIMA_SERVICES=embedded forces those.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TESTS  ?= tests/
PORT   ?= 5000

.PHONY: run prod prod-tools bench-load install-bench audit install-audit test test-ckan-search browser-tools site lint bench conformance install install-test help
.DEFAULT_GOAL := help

help:
	@sed -n '2,18p' Makefile | sed 's/^# \{0,1\}//'

# Create the venv when missing, and `pip install -e <target>` only when setup.py or
# requirements/*.txt changed since the last install (a stamp keeps their hash).
define install_into_venv
	@set -e; \
	if [ ! -x "$(BIN)/python" ]; then \
	  $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null || \
	    { echo "!!  Open Lima necesita Python 3.10 o más nuevo ($(PYTHON) no sirve; use PYTHON=python3.11)"; exit 1; }; \
	  echo "==> Creando el entorno virtual $(VENV)"; \
	  $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install -q --upgrade pip; \
	fi; \
	hash=$$(cat setup.py requirements/*.txt | $(BIN)/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'); \
	stamp="$(VENV)/.openlima-$(2).stamp"; \
	if [ "$$(cat $$stamp 2>/dev/null)" != "$$hash" ]; then \
	  echo "==> Instalando Open Lima y dependencias: pip install -e '$(1)' (solo la primera vez o si cambian)"; \
	  $(BIN)/python -m pip install -q -e '$(1)'; \
	  echo "$$hash" > $$stamp; \
	fi
endef

install:
	$(call install_into_venv,.,run)

install-test:
	$(call install_into_venv,.[test],test)

run: install
	@PORT=$(PORT) $(BIN)/openlima-stack run

# `make prod` runs Debian's nginx with deploy/nginx.conf; installed here when missing.
prod-tools:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "==> Instalando nginx de Debian para make prod"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "!!  Falta nginx para make prod (apt-get install nginx)"; exit 1; \
	  fi; \
	fi

prod: install prod-tools
	@PORT=$(PORT) $(BIN)/openlima-stack prod

# Browser tests drive Debian's Chromium with Playwright (never a downloaded browser) and
# inject axe-core from npm (package-lock.json). Installed here when missing.
browser-tools:
	@# Only what is missing: asking apt for npm where Node.js already brings it
	@# (NodeSource's nodejs package) is refused as a conflict.
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "==> Instalando de Debian para las pruebas de navegador:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "!!  Faltan programas para las pruebas de navegador:$$missing (apt-get install$$missing)"; exit 1; \
	  fi; \
	fi
	@[ -f node_modules/axe-core/axe.min.js ] || { echo "==> npm ci (axe-core)"; npm ci --no-audit --no-fund --silent; }

# Both suites always run; the target fails if either fails. With TESTS set, only pytest on TESTS.
test: install-test browser-tools prod-tools
	@status=0; \
	$(BIN)/openlima-stack test $(TESTS) || status=$$?; \
	if [ "$(TESTS)" = "tests/" ]; then \
	  $(BIN)/python tests/ckan_search/run.py -q -p no:warnings || status=$$?; \
	fi; \
	exit $$status

# The search tests shipped inside CKAN 2.12, run against openlima_search
# (exclusions, each with its reason: tests/ckan_search/exclusions.txt).
test-ckan-search: install-test
	@$(BIN)/python tests/ckan_search/run.py -p no:warnings

site: install
	$(BIN)/openlima-site build --source http://127.0.0.1:$(PORT) --out site/dist

lint: install-test
	$(BIN)/ruff check ckanext-openlima ckanext-limahonesta ckanext-limaactiva site stack tests

bench: install-test
	@if [ -f benchmarks/run.py ]; then $(BIN)/python benchmarks/run.py $(BENCH_ARGS); \
	else echo "==> benchmarks/run.py todavía no existe"; fi

# (a variable: make's `call` would split a literal `.[test,bench]` at the comma)
BENCH_EXTRAS := .[test,bench]
install-bench:
	$(call install_into_venv,$(BENCH_EXTRAS),bench)

# The production topology under load (locust headless, 127.0.0.1 only, bounded users and
# time): benchmarks/results/load.json. Starts and stops its own `make prod` stack.
bench-load: install-bench prod-tools
	@$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

# Known vulnerabilities of the installed Python packages (pip-audit, OSV then PyPI). Exit 2
# when no service could be used from this machine: "nothing found" is never said unchecked.
AUDIT_EXTRAS := .[test,audit]
install-audit:
	$(call install_into_venv,$(AUDIT_EXTRAS),audit)

audit: install-audit
	@$(BIN)/python -m openlima_stack.audit

# Needs the portal of `make run` answering on PORT.
conformance: install-test
	@DCAT_AP_SHACL_DIR=$${DCAT_AP_SHACL_DIR:-../shared/standards} \
	  $(BIN)/python -m ckanext.openlima.dcat.conformance --url http://127.0.0.1:$(PORT)
