#!/usr/bin/env bash
# Usage: bench/sync.sh [sqlite|postgres|propagation|load-sqlite|load-postgres]
#
# load-*: crates/server/benches/load.rs, BENCH_LOAD_DEVICES (default 200)
# simulated desktops pushing and pulling once a second for
# BENCH_LOAD_SECONDS (default 30); request latency percentiles.
#
# propagation: crates/sync/benches/propagation.rs, BENCH_SYNC_DESKTOPS
# (default 50) desktops watching one server; the time from one desktop's
# write until each other desktop has merged it, over BENCH_SYNC_ROUNDS
# (default 40) writes. Results in $CLINICDESK_BENCH_DIR/sync-propagation.json.
#
# Sync throughput (crates/sync/benches/throughput.rs, release build): one
# desktop pushes BENCH_SYNC_CHANGES (default 100,000) changes to a clinic
# server over TLS on loopback, a second pulls and merges them. Runs in a
# throwaway keyring, and for postgres a throwaway PostgreSQL cluster with
# fsync on. Results go to $CLINICDESK_BENCH_DIR/sync-throughput-BACKEND.json.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
backend="${1:-sqlite}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"
export CLINICDESK_BENCH_DIR="${CLINICDESK_BENCH_DIR:-$HOME/.cache/clinicdesk/bench}"
mkdir -p "$CLINICDESK_BENCH_DIR"
export BENCH_SYNC_BACKEND="$backend"

cargo bench -p clinicdesk-sync --bench throughput --bench propagation --no-run
case "$backend" in
  propagation) exec bash scripts/with-keyring.sh cargo bench -p clinicdesk-sync --bench propagation ;;
  load-sqlite) BENCH_LOAD_BACKEND=sqlite exec cargo bench -p clinicdesk-server --bench load ;;
  load-postgres)
    export CLINICDESK_PG_FSYNC=on BENCH_LOAD_BACKEND=postgres
    exec bash scripts/with-postgres.sh cargo bench -p clinicdesk-server --bench load
    ;;
  sqlite) exec bash scripts/with-keyring.sh cargo bench -p clinicdesk-sync --bench throughput ;;
  postgres)
    export CLINICDESK_PG_FSYNC=on
    exec bash scripts/with-postgres.sh bash scripts/with-keyring.sh \
      cargo bench -p clinicdesk-sync --bench throughput
    ;;
  *) echo "bench/sync.sh: sqlite, postgres, propagation, load-sqlite or load-postgres" >&2; exit 2 ;;
esac
