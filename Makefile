VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test install lint translations clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/compliance init-db
	$(VENV)/bin/compliance seed-demo --if-empty
	$(VENV)/bin/compliance run --host 127.0.0.1 --port 5000 --with-scheduler

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

translations: $(STAMP)
	$(PY) -m compliance.i18n_tools update

clean:
	rm -rf $(VENV) instance/*.db
