#!/usr/bin/env bash
# Usage: bench/run.sh [--quick] [--no-fsync] [CRITERION ARGS...]
#
# Runs the store benchmarks (crates/demo/benches/store.rs, release build) on a
# demo clinic of 100,000 patients and about 1,000,000 appointments; --quick
# uses 5,000 patients and 50,000 appointments instead. BENCH_PATIENTS and
# BENCH_APPOINTMENTS set any other size. Figures in docs/benchmarks.md are
# from a full-size run.
#
# The encrypted data set takes minutes to make, so it is kept under
# $CLINICDESK_BENCH_DIR (default ~/.cache/clinicdesk/bench) and made again
# only when its marker (generator version, schema, size) does not match. Its
# key lives in the OS keychain, so the benchmarks run in a private D-Bus
# session with a gnome-keyring that is KEPT under the bench directory
# (keyring/), unlocked with a fixed benchmark password: the next run finds the
# key there. It never touches the user's own keyring. Delete the bench
# directory to start from scratch.
#
# --no-fsync is a DIAGNOSTIC, not a measurement against the targets: it runs
# the benchmarks under eatmydata (apt package eatmydata), which turns fsync
# into a no-op, to show how much of each figure is waiting for the disk to
# confirm a commit. Its results go to results-<size>-nofsync.json. Two more
# diagnostics, set in the environment: BENCH_CACHE_MIB=N gives the benchmark's
# encrypted connection an N MiB page cache instead of the store's 128 MiB, and
# BENCH_PLAIN=0 skips the plain-SQLite twin (and so the ratio), which saves
# remaking it.
#
# Prints a summary table against the targets and writes
# $CLINICDESK_BENCH_DIR/results-<size>.json.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

# BENCH_WRAP='perf record -g -o FILE': run the benchmarks under a profiler.
read -ra wrap <<< "${BENCH_WRAP:-}"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --quick)
      export BENCH_PATIENTS="${BENCH_PATIENTS:-5000}"
      export BENCH_APPOINTMENTS="${BENCH_APPOINTMENTS:-50000}"
      ;;
    --no-fsync)
      if ! command -v eatmydata >/dev/null; then
        echo "bench/run.sh: --no-fsync needs eatmydata (apt-get install eatmydata)" >&2
        exit 127
      fi
      export BENCH_NO_FSYNC=1
      wrap=(eatmydata)
      ;;
    *) break ;;
  esac
  shift
done
export BENCH_WRAP="${wrap[*]}"

export CLINICDESK_BENCH_DIR="${CLINICDESK_BENCH_DIR:-$HOME/.cache/clinicdesk/bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"
# Not a secret: it only guards the throwaway benchmark keyring.
export BENCH_KEYRING_PASSWORD="${BENCH_KEYRING_PASSWORD:-clinicdesk-benchmark-keyring}"

# Build before entering the keyring session, so compile time is not spent in it.
cargo bench -p clinicdesk-demo --bench store --no-run

mkdir -p "$CLINICDESK_BENCH_DIR"
# The keyring is kept in the bench directory: the cached data set's key is
# there on the next run.
export CLINICDESK_KEYRING_DIR="$CLINICDESK_BENCH_DIR/keyring"
export CLINICDESK_KEYRING_PASSWORD="$BENCH_KEYRING_PASSWORD"
# shellcheck disable=SC2086 # BENCH_WRAP is empty or words on purpose
exec bash scripts/with-keyring.sh ${BENCH_WRAP} cargo bench -p clinicdesk-demo --bench store -- "$@"
