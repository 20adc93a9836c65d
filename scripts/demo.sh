#!/usr/bin/env bash
# The README's "try it" command: install everything, build the app and
# clinicdesk-cli, create a demo clinic, then open it in the ClinicDesk window
# (or, with no display or with --headless, show its day on the terminal).
# Env: CLINICDESK_DATA (where the demo clinic goes), CLINICDESK_PASSWORD (the
# demo users' password).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

headless=0
inside=0
for arg in "$@"; do
  case "$arg" in
    --headless) headless=1 ;;
    --inside) inside=1 ;;
    *) echo "usage: $0 [--headless]" >&2; exit 2 ;;
  esac
done
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || headless=1
pass_on=()
[ "$headless" = 1 ] && pass_on=(--headless)

if [ "$inside" = 0 ]; then
  bash scripts/install.sh
  if ! command -v cargo >/dev/null; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  fi
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"
  echo "Building the screens and the app (release)…"
  npm --prefix ui run build
  cargo build --release --locked -p clinicdesk -p clinicdesk-cli
  # The store key belongs in the desktop keyring. Without a desktop session
  # there is none, so the demo runs in a throwaway one and its data goes with it.
  if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${CLINICDESK_KEYRING_SESSION:-}" ]; then
    exec bash "$0" --inside "${pass_on[@]}"
  fi
  echo "No desktop keyring session here: running the demo in a throwaway keyring;"
  echo "its clinic data is removed when the demo ends."
  export CLINICDESK_DATA="${CLINICDESK_DATA:-$(mktemp -d)/clinic}"
  exec bash scripts/with-keyring.sh bash "$0" --inside "${pass_on[@]}"
fi

cli="$CARGO_TARGET_DIR/release/clinicdesk-cli"
export CLINICDESK_DATA="${CLINICDESK_DATA:-$HOME/.local/share/clinicdesk-demo}"
export CLINICDESK_PASSWORD="${CLINICDESK_PASSWORD:-demo-password-1234}"
export CLINICDESK_NEW_PASSWORD="$CLINICDESK_PASSWORD"
export CLINICDESK_USER=admin

if [ ! -f "$CLINICDESK_DATA/store.json" ]; then
  echo "Creating the demo clinic in $CLINICDESK_DATA…"
  "$cli" init --admin admin --display-name "Demo Administrator" \
    --clinic-name "ClinicDesk Demo Clinic" --timezone America/New_York
  "$cli" demo --providers 12 --patients 2000 --days 365
  provider="$("$cli" provider list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
  "$cli" user add frontdesk --role front-desk --name "Front Desk" >/dev/null
  "$cli" user add physician --role physician --name "Demo Physician" --provider "$provider" >/dev/null
fi

if [ "$headless" = 0 ]; then
  echo
  echo "Opening ClinicDesk. Log in as admin, frontdesk or physician;"
  echo "the password of each is: $CLINICDESK_PASSWORD"
  exec "$CARGO_TARGET_DIR/release/clinicdesk"
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
echo "The demo clinic is in $CLINICDESK_DATA (users admin, frontdesk and physician;"
echo "password: $CLINICDESK_PASSWORD). With a display, this script opens it in the app."
