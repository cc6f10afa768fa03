# The two commands a newcomer needs: `make demo` and `make test`. Both set up whatever is missing first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
EGOV := $(VENV)/bin/egov

SDK := sdk/python

.PHONY: setup engine report-tools hosts-deps sdk demo test unit integration lint bench down clean

setup: $(VENV)/.installed engine report-tools hosts-deps

# The generated SDK (pulumi_egov) is installed editable: regenerating it needs no reinstall unless its
# pyproject.toml changes.
$(VENV)/.installed: pyproject.toml requirements.lock $(SDK)/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "egov-cloud needs Python 3.11; set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing Python dependencies (pinned in requirements.lock)"
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c requirements.lock -e '.[dev]' -e ./$(SDK)
	@touch $@

engine:
	@tools/pulumi/setup.sh

# The assessment report is printed to PDF by headless Chromium and checked with poppler (pdftoppm, pdftotext):
# Debian packages, installed only where missing (a present tool costs one `command -v`).
report-tools:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "[setup] installing chromium and poppler-utils (Debian) for the PDF report"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q --no-install-recommends chromium poppler-utils fonts-noto-cjk >/dev/null \
	    || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q --no-install-recommends chromium poppler-utils fonts-noto-cjk >/dev/null; }; }

# The test hosts' image is built by debootstrap (once; cached under .egov/hosts/image).
hosts-deps:
	@command -v debootstrap >/dev/null || test -x /usr/sbin/debootstrap || { \
	  echo "[setup] installing debootstrap (Debian) for the test hosts' image"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q debootstrap >/dev/null \
	    || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q debootstrap >/dev/null; }; }

# Regenerate the Python SDK from the provider's schema with the engine's own code generator (sdk/generate.py).
sdk: setup
	$(PY) sdk/generate.py

demo: setup
	$(EGOV) demo

test: setup
	$(PY) -m pytest -q -rs --durations=30

unit: setup
	$(PY) -m pytest -q tests/unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy infra compliance stacks bench tests sdk/generate.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.gitlab-ci pipelines/gitlab-ci.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/tenant.yml
	cd playbooks && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ansible-lint --offline -q .

bench: setup
	$(PY) bench/engine.py
	$(PY) bench/core_bridge.py
	$(PY) bench/vault.py
	$(PY) bench/scan.py
	$(PY) bench/config.py
	$(PY) bench/policy_pack.py
	$(PY) bench/report.py

down:
	@test -x $(EGOV) && $(EGOV) local down || true

clean: down
	rm -rf .egov
