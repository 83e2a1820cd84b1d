#!/bin/sh
# with_pg.sh CMD [ARGS...]: run CMD against a throwaway PostgreSQL cluster of its own.
#
# The cluster lives in a fresh temporary directory, listens on a Unix socket in that
# directory only (no TCP port: nothing outside the test can reach it and parallel tests never
# collide), trusts local connections, and is stopped and deleted when CMD ends, also on
# failure or a signal. CMD sees:
#   FP_TEST_PG      a libpq URI of the cluster's "postgres" database (superuser postgres)
#   FP_TEST_PG_DIR  the socket directory (host=... for psql)
#   FP_TEST_PG_BIN  the server binaries (pg_ctl, psql)
# Durability is off (fsync, synchronous_commit, full_page_writes): a test database is
# disposable and the suite stays fast. Exits with CMD's status; 77 (skipped) only when no
# PostgreSQL server is installed, with the reason on stderr.
set -u
B=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$B" ] || [ ! -x "$B/initdb" ]; then
  echo "with_pg: no PostgreSQL server under /usr/lib/postgresql (scripts/deps.sh installs it)" >&2
  exit 77
fi
d=$(mktemp -d "${TMPDIR:-/tmp}/fppg.XXXXXX") || exit 1
# initdb refuses to run as root: the cluster is then the postgres user's.
if [ "$(id -u)" = 0 ]; then
  chown postgres "$d"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
cleanup() {
  as_pg "$B/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if ! as_pg "$B/initdb" -D "$d/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
     >"$d/initdb.log" 2>&1; then
  echo "with_pg: initdb failed:" >&2; cat "$d/initdb.log" >&2; exit 1
fi
if ! as_pg "$B/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 \
     -o "-k $d -c listen_addresses='' -p 5432 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
     start >/dev/null 2>&1; then
  echo "with_pg: the server did not start:" >&2; cat "$d/server.log" >&2; exit 1
fi
FP_TEST_PG="postgresql:///postgres?host=$d&port=5432&user=postgres"
FP_TEST_PG_DIR=$d
FP_TEST_PG_BIN=$B
export FP_TEST_PG FP_TEST_PG_DIR FP_TEST_PG_BIN
"$@"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -s "$d/server.log" ]; then
  echo "with_pg: the last lines of the PostgreSQL log:" >&2; tail -n 20 "$d/server.log" >&2
fi
exit "$rc"
