#!/usr/bin/env bash
# The whole test suite: typecheck, lint, then every test on SQLite and PostgreSQL. Starts a
# throwaway PostgreSQL server when none is configured and the server binaries are installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FURROW_TEST_DATABASE_URL:-}" ]; then
  if command -v pg_ctl >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
    FURROW_TEST_DATABASE_URL=$(scripts/test-postgres.sh start)
    export FURROW_TEST_DATABASE_URL
  fi
fi

npx tsc -p tsconfig.json --noEmit
npx eslint .
npx vitest run "$@"
