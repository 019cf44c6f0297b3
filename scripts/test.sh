#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: once on the
# embedded SQLite database, then again on PostgreSQL (DATABASE_URL, or the
# local server at 127.0.0.1:5432). In CI (CI=true) PostgreSQL and the
# browser are required; elsewhere a missing one is reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
scripts/venv.sh test


export TISKI_DATA_DIR=${TISKI_DATA_DIR:-$PWD/var/test}
mkdir -p "$TISKI_DATA_DIR"
if [ "${CI:-}" = "true" ]; then export TISKI_REQUIRE_BROWSER=1 TISKI_REQUIRE_DOVECOT=1; fi

echo "== lint and migrations"
.venv/bin/ruff check tiski tests scripts $( [ -d bench ] && echo bench )
.venv/bin/tiski makemigrations --check --dry-run >/dev/null

echo "== tests on SQLite"
env -u DATABASE_URL .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"

PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tiski}
if .venv/bin/python scripts/db_reachable.py "$PG_URL"; then
  echo "== tests on PostgreSQL"
  # Each test process may hold a connection for the test itself, one for
  # the live server's thread and the web chat's executor threads at once
  # (those give theirs back after every call since webchat/protocol.py's
  # `db` closes it); a pool of 40 per process is a margin, and 2 workers x
  # 40 stays under PostgreSQL's default 100 connections.
  DATABASE_URL=$PG_URL DB_POOL_MAX_SIZE=${DB_POOL_MAX_SIZE:-40} \
    .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL; CI needs it." >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped the PostgreSQL run."
fi
