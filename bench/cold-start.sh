#!/usr/bin/env bash
# Start-up of the desktop app, from launching the process until its first
# screen (the lock screen of an existing clinic) is on show and interactive:
# the app quits at that moment when CLINICDESK_EXIT_WHEN_READY is set, so the
# whole process's wall time is the figure. Target: <= 1.5 s.
#
# Usage: bench/cold-start.sh [RUNS]   (default 15)
# Builds the release app, makes a demo clinic in a throwaway keyring, and
# runs under a private Xvfb display when there is none. As root it also
# drops the page cache before every other run, so half the runs start with
# nothing cached (a true cold start) and half warm.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
runs="${1:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"

if [ "${2:-}" != "--inside" ]; then
  bash scripts/install.sh >/dev/null
  npm --prefix ui run build >/dev/null
  cargo build --release --locked -p clinicdesk -p clinicdesk-cli
  # A throwaway keyring (the clinic's key goes there) and a display.
  exec bash scripts/with-keyring.sh bash scripts/with-display.sh bash "$0" "$runs" --inside
fi

app="$CARGO_TARGET_DIR/release/clinicdesk"
cli="$CARGO_TARGET_DIR/release/clinicdesk-cli"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
export CLINICDESK_DATA="$data/clinic" CLINICDESK_PASSWORD="bench-password-1234"
"$cli" init --admin admin --clinic-name "Start-up Benchmark Clinic" --timezone America/New_York >/dev/null
CLINICDESK_USER=admin "$cli" demo --providers 12 --patients 2000 --days 60 >/dev/null 2>&1

can_drop=0
if [ "$(id -u)" -eq 0 ] && sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
  can_drop=1
fi

results="$data/times"
for i in $(seq 1 "$runs"); do
  kind=warm
  if [ "$can_drop" = 1 ] && [ $((i % 2)) -eq 1 ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
    kind=cold
  fi
  start=$(date +%s%N)
  out="$(CLINICDESK_EXIT_WHEN_READY=1 timeout 60 "$app" 2>/dev/null || true)"
  end=$(date +%s%N)
  if [ "$out" != "clinicdesk: ready" ]; then
    echo "run $i: the app did not reach its first screen" >&2
    exit 1
  fi
  echo "$kind $(((end - start) / 1000000))" >>"$results"
done

python3 - "$results" "$can_drop" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"start-up to an interactive lock screen, {len(rows)} runs (ms):")
for kind in ("cold", "warm"):
    ms = sorted(int(v) for k, v in rows if k == kind)
    if not ms:
        continue
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"  {kind:4}  median {statistics.median(ms):6.0f}  p95 {p95:6d}  max {ms[-1]:6d}  (n={len(ms)})")
if sys.argv[2] != "1":
    print("  (page cache not dropped: run as root for cold starts)")
PY
