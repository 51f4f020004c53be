# supportdesk: each target is a thin wrapper over cargo.
CARGO ?= cargo

# Use a local PostgreSQL for the PostgreSQL suites when one answers and none was named.
ifeq ($(origin TEST_POSTGRES_URL), undefined)
  ifeq ($(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo up),up)
    export TEST_POSTGRES_URL := postgres://postgres@127.0.0.1:5432/test
  endif
endif

.PHONY: run test lint fmt migrate

## run: serve on 127.0.0.1:8080 with an embedded SQLite database (./data/supportdesk.db)
run:
	$(CARGO) run --release -p supportdesk -- serve

## test: every test of the workspace; PostgreSQL suites run when TEST_POSTGRES_URL is set
test:
	@if [ -z "$$TEST_POSTGRES_URL" ]; then \
	  echo "************************************************************************"; \
	  echo "* WARNING: TEST_POSTGRES_URL is not set and no PostgreSQL answers on    *"; \
	  echo "* 127.0.0.1:5432: the PostgreSQL suites will be SKIPPED (each says so). *"; \
	  echo "************************************************************************"; \
	else echo "PostgreSQL suites run against $$TEST_POSTGRES_URL"; fi
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
