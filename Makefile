# BeykuSay — `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint smoke bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python main.py

# Browser tests drive Debian's Chromium (with an emoji font for the screenshots); install
# them when missing and we may.
chromium:
	@if { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ]; } && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; \
	fi

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.test-installed chromium lint
	$(BIN)/pytest -q

# The new user's path: wheel, fresh venv without extras, `beykusay serve`, a chat (CI runs it first).
smoke:
	PYTHON=$(PYTHON) tests/smoke.sh

bench: $(VENV)/.test-installed chromium
	-$(BIN)/python -m tests.bench.stream_render
	-$(BIN)/python -m tests.bench.load
	-$(BIN)/python -m tests.bench.v1_load
	-$(BIN)/python -m tests.bench.long_chat
	-$(BIN)/python -m tests.bench.login_timing
	-$(BIN)/python -m tests.bench.branches
	-$(BIN)/python -m tests.bench.starts
	-$(BIN)/python -m tests.bench.request_body
	-$(BIN)/python -m tests.bench.open_chat
	-$(BIN)/python -m tests.bench.upload
	-$(BIN)/python -m tests.bench.import_chatgpt --mib 200
	-$(BIN)/python -m tests.bench.grounding_collect

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
