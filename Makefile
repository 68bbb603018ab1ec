# The two commands a new user needs: `make demo` and `make test`.
# Each creates .venv and installs what it needs on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p output
	$(BIN)/cpo content check
	$(BIN)/cpo content check --json > output/content-report.json
	@echo "Wrote output/content-report.json"
	$(BIN)/cpo build pdf --preview WB1 --output output

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Regenerate the golden files on purpose; review the diff before committing.
golden: $(STAMP)
	$(BIN)/pytest -q tests/builder/test_golden.py --update-golden

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache *.egg-info
