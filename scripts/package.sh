#!/usr/bin/env bash
# Builds the installers: the release app as .deb and .rpm packages (Tauri
# bundler, icons from icons/), in $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/.
# Extra arguments go to `tauri build` (e.g. --verbose).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
bash scripts/install.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"
# The bundler runs tauri.conf.json's beforeBuildCommand (the screens' build;
# the CLI runs it in ui/, where it is installed) and `cargo build --release`.
ui/node_modules/.bin/tauri build --bundles deb,rpm "$@"
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
