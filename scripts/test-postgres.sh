#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 server for the test suite on 127.0.0.1:${PGPORT:-55432}, trusting
# local connections, and prints the URL to use as FURROW_TEST_DATABASE_URL.
# Usage: scripts/test-postgres.sh start|stop|status
set -euo pipefail
port=${PGPORT:-55432}
dir=${FURROW_TEST_PGDATA:-/tmp/furrow-test-pg-$port}
bin=$(dirname "$(command -v pg_ctl || echo /usr/lib/postgresql/15/bin/pg_ctl)")
[ -x "$bin/pg_ctl" ] || bin=/usr/lib/postgresql/15/bin

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"; exit 0
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
    # Tuned for tests: durability is not needed for throwaway data, connections are.
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop) as_postgres "$bin/pg_ctl" -D "$dir" -m fast stop ;;
  status) as_postgres "$bin/pg_ctl" -D "$dir" status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
