# Two commands do all set-up: `make run` and `make test` (README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run

.PHONY: run test venv lint translations clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

translations: venv
	$(BIN)/pybabel compile -f -d translations -D messages >/dev/null

# Starts the CRM on SQLite (instance/crm.db): migrate, roles, admin; demo data the first time.
run: translations
	$(BIN)/flask crm init
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask crm demo && touch instance/.demo-loaded; fi
	@echo "打开 / open http://127.0.0.1:5000 — 管理员 admin, 密码见上方 crm init 的输出 / password printed above by crm init on the first run"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: translations
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance .pytest_cache
