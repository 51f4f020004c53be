# supportdesk: each target is a thin wrapper over cargo.
CARGO ?= cargo

# Use a local PostgreSQL for the PostgreSQL suites when one answers and none was named.
ifeq ($(origin TEST_POSTGRES_URL), undefined)
  ifeq ($(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo up),up)
    export TEST_POSTGRES_URL := postgres://postgres@127.0.0.1:5432/test
  endif
endif

.PHONY: run test lint fmt migrate crash-test fuzz fuzz-parsers

## run: serve on 127.0.0.1:8080 with an embedded SQLite database (./data/supportdesk.db)
#      with the bootstrap admin admin@shop.example / "correct horse battery staple" unless
#      SUPPORTDESK_ADMIN_EMAIL / SUPPORTDESK_ADMIN_PASSWORD(_FILE) say otherwise (created only
#      when the tenant has no admin yet); open http://127.0.0.1:8080/
run:
	@if [ -z "$$SUPPORTDESK_ADMIN_EMAIL$$SUPPORTDESK_ADMIN_PASSWORD$$SUPPORTDESK_ADMIN_PASSWORD_FILE" ]; then \
	  export SUPPORTDESK_ADMIN_EMAIL=admin@shop.example SUPPORTDESK_ADMIN_PASSWORD='correct horse battery staple'; \
	  echo "Console: http://127.0.0.1:8080/ (bootstrap admin admin@shop.example / correct horse battery staple)"; \
	fi; \
	$(CARGO) run --release -p supportdesk -- serve

## test: every test of the workspace; PostgreSQL suites run when TEST_POSTGRES_URL is set
test:
	@if [ -z "$$TEST_POSTGRES_URL" ]; then \
	  echo "************************************************************************"; \
	  echo "* WARNING: TEST_POSTGRES_URL is not set and no PostgreSQL answers on    *"; \
	  echo "* 127.0.0.1:5432: the PostgreSQL suites will be SKIPPED (each says so). *"; \
	  echo "************************************************************************"; \
	else echo "PostgreSQL suites run against $$TEST_POSTGRES_URL"; fi
	@if ! command -v chromedriver >/dev/null 2>&1 || ! { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then \
	  echo "************************************************************************"; \
	  echo "* WARNING: chromium or chromedriver is not installed: the browser tests *"; \
	  echo "* (tests/tests/browser.rs) will be SKIPPED (each says so). Install them *"; \
	  echo "* with: apt-get install -y chromium chromium-driver                     *"; \
	  echo "************************************************************************"; \
	else echo "Browser tests run in headless $$(command -v chromium || command -v chromium-browser)"; fi
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --all-targets --features supportdesk-app/testkit
	$(CARGO) test --workspace --doc

## lint: formatting and clippy, warnings are errors
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --features supportdesk-app/testkit -- -D warnings

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## migrate: apply pending migrations to SUPPORTDESK_DATABASE_URL (default ./data/supportdesk.db)
migrate:
	$(CARGO) run --release -p supportdesk -- migrate

## bench: release build, then every scenario and its floors on SQLite (and on PostgreSQL when
##        BENCH_POSTGRES_URL is set); BENCH_QUICK=1 for a short run (10,000 tickets, ~2 s a run).
##        Writes target/bench/report.json and a section of docs/benchmarks.md
.PHONY: bench
bench:
	$(CARGO) build --release -p supportdesk -p supportdesk-bench
	BENCH_QUICK="$(BENCH_QUICK)" BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" \
	  "$${CARGO_TARGET_DIR:-target}/release/supportdesk-bench" run

## crash-test: release build, then SIGKILL the server 5 times under 16 writers and restart it, on
##             SQLite (and on PostgreSQL, two servers, when TEST_POSTGRES_URL or CRASH_POSTGRES_URL
##             is set); nothing answered may be lost or doubled (docs/reliability.md)
crash-test:
	$(CARGO) build --release -p supportdesk -p supportdesk-crash
	"$${CARGO_TARGET_DIR:-target}/release/supportdesk-crash"

SCHEMATHESIS_VERSION := 4.32.5
FUZZ_BUDGET ?= 120
FUZZ_PARSERS_SECS ?= 300

## fuzz: schemathesis (pinned, in .venv) against the debug server on a fresh SQLite file for
##       FUZZ_BUDGET seconds, as a customer then as an admin; a 5xx or an off-schema answer fails
fuzz: .venv/schemathesis-$(SCHEMATHESIS_VERSION)
	$(CARGO) build -p supportdesk
	SCHEMATHESIS=.venv/bin/schemathesis scripts/fuzz.sh $(FUZZ_BUDGET)

## .venv/schemathesis-VERSION: a virtualenv with schemathesis from PyPI
.venv/schemathesis-$(SCHEMATHESIS_VERSION):
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION)
	touch $@

## fuzz-parsers: the domain parsers' proptest properties at scale for FUZZ_PARSERS_SECS seconds
##               (optimised with overflow checks on, in its own target folder)
fuzz-parsers:
	PARSERS_FUZZ_SECS=$(FUZZ_PARSERS_SECS) CARGO_TARGET_DIR=$(or $(CARGO_TARGET_DIR),target)/fuzz-parsers \
	  CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
	  $(CARGO) test --release -p supportdesk-domain --test parsers_at_scale -- --nocapture
