# The README's two commands: `make run` (the app) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test install browser lint bench cli clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT)

cli: install
	$(PY) -m simulation run data/presets/default.toml --format table

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)"; fi; fi

lint: install
	$(PY) -m ruff check simulation dashboard tests bench
	$(PY) -m ruff format --check simulation dashboard tests bench

test: install browser lint
	$(PY) -m pytest -q

bench: install
	$(PY) bench/bench_model.py
	$(PY) bench/bench_app.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
