#!/usr/bin/env bash
# Install everything, build clinicdesk-cli, create a demo clinic and show its
# day: the README's "try it" command. Env: CLINICDESK_DATA (where the demo
# clinic goes), CLINICDESK_PASSWORD (the demo admin's password).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

if [ "${1:-}" != "--inside" ]; then
  bash scripts/install.sh
  if ! command -v cargo >/dev/null; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  fi
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"
  echo "Building clinicdesk-cli (release)…"
  cargo build --release --locked -p clinicdesk-cli
  # The store key belongs in the desktop keyring. Without a desktop session
  # there is none, so the demo runs in a throwaway one and its data goes with it.
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${CLINICDESK_KEYRING_SESSION:-}" ]; then
    exec bash "$0" --inside
  fi
  echo "No desktop keyring session here: running the demo in a throwaway keyring;"
  echo "its clinic data is removed when the demo ends."
  export CLINICDESK_DATA="${CLINICDESK_DATA:-$(mktemp -d)/clinic}"
  exec bash scripts/with-keyring.sh bash "$0" --inside
fi

cli="$CARGO_TARGET_DIR/release/clinicdesk-cli"
export CLINICDESK_DATA="${CLINICDESK_DATA:-$HOME/.local/share/clinicdesk-demo}"
export CLINICDESK_PASSWORD="${CLINICDESK_PASSWORD:-demo-password-1234}"
export CLINICDESK_USER=admin

if [ ! -f "$CLINICDESK_DATA/store.json" ]; then
  echo "Creating the demo clinic in $CLINICDESK_DATA…"
  "$cli" init --admin admin --display-name "Demo Administrator" \
    --clinic-name "ClinicDesk Demo Clinic" --timezone America/New_York
  "$cli" demo --providers 12 --patients 2000 --days 365
fi

echo
echo "== Today's patient flow board =="
"$cli" flow-board
provider="$("$cli" provider list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
echo
echo "== This week for the first provider =="
"$cli" appointment week --provider "$provider"
echo
echo "== Audit trail =="
"$cli" audit verify
echo
echo "The demo clinic is in $CLINICDESK_DATA (admin password: $CLINICDESK_PASSWORD)."
