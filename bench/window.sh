#!/usr/bin/env bash
# The app's window figures (docs/benchmarks.md): day-view switch time with 6
# providers x 40 appointments, and memory after a scripted day. Builds the
# release app, then drives it under Xvfb through tauri-driver.
#   bash bench/window.sh [RUNS]      (default 20 switches each way)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
runs="${1:-20}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"

bash scripts/install.sh >/dev/null
npm --prefix ui run build >/dev/null
cargo build --release --locked --bin clinicdesk
cargo build --locked --example window-bench
bash scripts/with-keyring.sh bash scripts/with-display.sh \
  "$CARGO_TARGET_DIR/debug/examples/window-bench" --app "$CARGO_TARGET_DIR/release/clinicdesk" --runs "$runs"
