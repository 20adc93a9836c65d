#!/usr/bin/env bash
# Usage: bench/x12.sh [CRITERION ARGS...]
#
# X12 reading throughput (crates/x12/benches/parse.rs, release build) on a
# large 835 and a large 837P made by repeating claims (about 4 MB each),
# then pyx12's validator on the same two files, timed as a whole process,
# for comparison. pyx12 comes from the venv scripts/fetch-test-data.sh makes
# (CLINICDESK_X12_VALIDATOR overrides the command, as in the tests).
# Figures are recorded in docs/benchmarks.md ("X12 parsing").
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
out="${X12_BENCH_OUT:-$cache/bench/x12}"
validator="${CLINICDESK_X12_VALIDATOR:-$cache/venv/bin/python -m pyx12.scripts.x12valid}"
read -ra validator <<<"$validator"

mkdir -p "$out"
X12_BENCH_OUT="$out" cargo bench -p clinicdesk-x12 --bench parse -- "$@" | tee "$out/criterion.txt"

echo
echo "==== pyx12 on the same files ===="
[ -x "${validator[0]}" ] || { echo "pyx12 not found at ${validator[0]}; run scripts/fetch-test-data.sh" >&2; exit 1; }
for f in "$out"/large-*.x12; do
  bytes=$(stat -c %s "$f")
  # x12valid writes its 999 next to the input; work on a copy in a scratch dir.
  scratch="$(mktemp -d)"
  cp "$f" "$scratch/"
  start=$(date +%s.%N)
  "${validator[@]}" "$scratch/$(basename "$f")" >"$scratch/log" 2>&1 || true
  end=$(date +%s.%N)
  verdict=$(grep -oE ': (OK|Failure)$' "$scratch/log" | tail -1 | tr -d ': ')
  rm -rf "$scratch"
  awk -v f="$(basename "$f")" -v b="$bytes" -v s="$start" -v e="$end" -v v="$verdict" \
    'BEGIN { t = e - s; printf "%-18s %8.2f MB  %7.2f s  %7.3f MB/s  (%s)\n", f, b / 1e6, t, b / 1e6 / t, v }'
done
