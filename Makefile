# Passerelle — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
export FLASK_APP := app:create_app

.PHONY: run test install install-dev translations migrate seed logins clean benchmark

run: migrate seed ## set up everything, then serve on http://127.0.0.1:8080
	@$(BIN)/flask demo-logins
	@echo "Passerelle : http://$(HOST):$(PORT)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-dev translations ## install what the tests need, then run them all (SQLite and PostgreSQL)
	bash scripts/install_test_deps.sh
	$(BIN)/python -m pytest

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install
	PYBABEL=$(BIN)/pybabel bash scripts/translations.sh compile

migrate: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask sync-roles

seed: migrate
	$(BIN)/flask seed-demo --if-empty

logins: install
	$(BIN)/flask demo-logins

benchmark: install-dev translations
	$(BIN)/python benchmarks/client_list.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
