# The two commands a new user needs: `make demo` and `make test`.
# Each creates .venv and installs what it needs on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# From npm: the web app's GOV.UK and MoJ frontend, and axe-core for the accessibility tests.
NODE_STAMP := node_modules/.installed

.PHONY: demo serve test test-fast pictures bench lint typecheck golden clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) $(NODE_STAMP)
	mkdir -p output
	$(BIN)/cpo content check
	$(BIN)/cpo content check --json > output/content-report.json
	@echo "Wrote output/content-report.json"
	@# Page previews need poppler's pdftoppm (.ci/run installs it: apt-get install poppler-utils).
	@# Pictures: WB1's first page, TF1's first diagram and TF1's last page (the declaration).
	$(BIN)/cpo build pdf --output output \
		$(if $(shell command -v pdftoppm),--preview WB1 --preview TF1/diagram --preview TF1/end,)
	@# The offline bundle; pictures of a module page at 320 and 1280 px need Chromium (.ci/run installs it).
	$(BIN)/cpo build html --output output/html $(if $(shell command -v chromium),--preview WB1,)
	@# The tracker's flow on an embedded database: a client, an order, a workbook, returns, marks.
	./scripts/demo-tracker.sh

# The staff web app on the demo tracker (made by `make demo` if it is not there yet).
serve: $(STAMP) $(NODE_STAMP)
	@test -f output/tracker/config.json || ./scripts/demo-tracker.sh
	@echo "Demo sign-ins (password 'demo staff password'): ana (case worker, demo-office),"
	@echo "  fay (facilitator, demo-office), lee (case worker, leeds), nia (facilitator,"
	@echo "  demo-north: three returns wait for her);"
	@echo "  admin (password 'demo admin password')."
	CPO_DATA=output/tracker $(BIN)/cpo serve --port $(or $(PORT),8080)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Tests run on every core (pytest-xdist: one worker a core, each with its own PostgreSQL
# server and Chromium, started by the fixtures). `make test` (CI) runs every test; with CI
# set, a missing tool fails the run instead of skipping (tests/conftest.py `missing`).
# `--dist loadgroup`: tests marked `xdist_group` go to one worker, which makes the fixture
# they share (a degraded-page corpus, a bundle, a Chromium tab) once a run, not once a worker.
PYTEST := $(BIN)/pytest -q -n auto --dist loadgroup
# The loop to run while working (<= 60 s on 2 cores): every test but the slow ones, which
# need PostgreSQL, Chromium, a large corpus or many seconds (tests/conftest.py SLOW_FIXTURES
# and @pytest.mark.slow). Each area's behaviour is still covered, on SQLite.
# benchmarks/speed.py times this same target.
FAST := -m "not slow"
# Python may keep compiled modules even where the environment says not to (Docker images set
# PYTHONDONTWRITEBYTECODE): else every worker and every `cpo` a test starts compiles every
# module and test file again (about 4 s of CPU a worker).
KEEP_BYTECODE := PYTHONDONTWRITEBYTECODE=

# mypy from an empty cache (a fresh clone) is ~16 s of CPU, so it runs beside pytest rather
# than before it: it uses the spare core while the workers start, collect and wait on
# PostgreSQL and Chromium, and its report follows pytest's. Either failing fails the run.
test: $(STAMP) $(NODE_STAMP) lint
	@out=$$(mktemp); $(BIN)/mypy > $$out 2>&1 & mypy=$$!; \
	$(KEEP_BYTECODE) $(PYTEST); tests=$$?; \
	wait $$mypy; types=$$?; echo "mypy:"; cat $$out; rm -f $$out; \
	test $$tests -eq 0 && test $$types -eq 0

test-fast: $(STAMP) $(NODE_STAMP)
	$(KEEP_BYTECODE) $(PYTEST) $(FAST)

# The README's pictures of the staff app, taken by the browser tests in Chromium.
pictures: $(STAMP) $(NODE_STAMP)
	CPO_PICTURES=1 $(BIN)/pytest -q -p no:xdist tests/web/test_browser.py tests/web/test_review_browser.py

# Figures for the closing notes, and ratios against the alternatives named in the issues.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@# zbar, which intake's reader is compared with, is Debian's libzbar0 (pyzbar loads it).
	@ldconfig -p | grep -q libzbar || apt-get install -y -qq libzbar0 >/dev/null \
		|| echo "libzbar0 is missing: apt-get install libzbar0"
	$(BIN)/python -m benchmarks.pdf
	$(BIN)/python -m benchmarks.tracker
	$(BIN)/python -m benchmarks.audit
	$(BIN)/python -m benchmarks.reports
	$(BIN)/python -m benchmarks.intake
	@# Issue 19's table: each row against its goal, with the alternative beside it.
	$(BIN)/python -m benchmarks.speed
	$(BIN)/python -m benchmarks.evidence
	$(BIN)/python -m benchmarks.batch_issue
	@# Issue 15: the staff web app, 20 sessions at once on an office of 10,000 clients
	@# (p50/p95 per page): home, client list, return list and marking; then the case
	@# worker's search, client page and overdue list.
	$(BIN)/python -m benchmarks.web
	$(BIN)/python -m benchmarks.web_casework

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
