#!/usr/bin/env bash
# The app's window figures (docs/benchmarks.md): day-view switch time with 6
# providers x 40 appointments, memory after a scripted day, and typing
# latency in the note while a dictation is transcribed (with the speech
# model and the synthesized dictation, when they are there), and scrolling
# a 300-image CT series in the viewer. Builds the
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
dictation=()
recording="$repo/tests/data/fetched/speech/dictation/dictation.wav"
if [ -f "$repo/models/ggml-tiny.en.bin" ] && [ -f "$recording" ]; then
  export CLINICDESK_MODEL="${CLINICDESK_MODEL:-$repo/models/ggml-tiny.en.bin}"
  dictation=(--dictation "$recording")
fi
bash scripts/fetch-dicom-data.sh >/dev/null
bash scripts/make-ct-series.sh 300
bash scripts/with-keyring.sh bash scripts/with-display.sh \
  "$CARGO_TARGET_DIR/debug/examples/window-bench" --app "$CARGO_TARGET_DIR/release/clinicdesk" --runs "$runs" "${dictation[@]}" \
  --ct-series "$repo/tests/data/fetched/ct-series-300"
