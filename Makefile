# The README's two commands: `make run` (the app) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test install browser lint bench cli clean lock

# Installs the exact versions in requirements.lock (what the tests last passed with), then the project itself.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Refresh requirements.lock: the newest releases pyproject.toml allows, resolved in a clean environment.
# Run `make lock test` and commit requirements.lock when the tests pass.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test]'
	( echo "# Exact versions for 'make install' (Python 3.11+). Refresh with 'make lock', then run 'make test'."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable --disable-pip-version-check ) > requirements.lock
	rm -rf .venv-lock

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
	rm -rf $(VENV) .venv-lock .pytest_cache .hypothesis
