#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
#
# Runs COMMAND with a throwaway PostgreSQL server (Debian's postgresql
# package) listening on 127.0.0.1 only, and CLINICDESK_TEST_POSTGRES set to
# its URL. The cluster lives in a temporary directory and is removed
# afterwards. PostgreSQL refuses to run as root, so as root the cluster runs
# as the `postgres` user the package creates.
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL is not installed; run scripts/install.sh" >&2
  exit 127
fi

dir="$(mktemp -d)"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A free port on loopback.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U clinicdesk -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off by default: a test cluster that is thrown away after the run.
# Benchmarks set CLINICDESK_PG_FSYNC=on to measure durable commits.
fsync="${CLINICDESK_PG_FSYNC:-off}"
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=$fsync -c max_connections=300" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }

export CLINICDESK_TEST_POSTGRES="postgres://clinicdesk@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
