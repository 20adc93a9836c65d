#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARGS...]
# Runs CMD in a private D-Bus session with an unlocked gnome-keyring, so code
# using the `keyring` crate (Secret Service) works headless, e.g. in CI. The
# keyring lives in a temp dir removed afterwards: tests never see or change
# the user's real login keyring. Exits with CMD's exit status.
#
# CLINICDESK_KEYRING_DIR=DIR keeps the keyring in DIR instead, across runs
# (the benchmarks' cached data sets keep their keys there), unlocked with
# CLINICDESK_KEYRING_PASSWORD.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

# Nested calls (test.sh wraps tools that may wrap again) reuse the session.
if [ "${CLINICDESK_KEYRING_SESSION:-}" = 1 ]; then
  exec "$@"
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "with-keyring: $tool not found; run scripts/install.sh" >&2
    exit 127
  fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/data" "$tmp/runtime"
data="$tmp/data"
if [ -n "${CLINICDESK_KEYRING_DIR:-}" ]; then
  mkdir -m 700 -p "$CLINICDESK_KEYRING_DIR"
  data="$CLINICDESK_KEYRING_DIR"
fi
# The daemon keeps keyrings under $XDG_DATA_HOME/keyrings and its control
# socket under $XDG_RUNTIME_DIR/keyring.
export XDG_DATA_HOME="$data" XDG_RUNTIME_DIR="$tmp/runtime"
export CLINICDESK_KEYRING_PASSWORD="${CLINICDESK_KEYRING_PASSWORD:-clinicdesk-test}"
export CLINICDESK_KEYRING_SESSION=1

# Not exec'd: the trap must still remove $tmp afterwards. The daemon only
# prints variables when they differ from the defaults; set -a exports them.
# It takes the Secret Service bus name a moment after returning; a client
# that comes first makes D-Bus activate a second daemon instead, so wait for
# the name (seen racing here). The daemon exits when the bus closes.
status=0
# shellcheck disable=SC2016 # expanded by the inner bash, not here
dbus-run-session -- bash -c '
  set -euo pipefail
  set -a
  eval "$(printf %s "$CLINICDESK_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets)"
  set +a
  for _ in $(seq 100); do
    case "$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets || true)" in
      *"boolean true"*) break ;;
    esac
    sleep 0.1
  done
  exec "$@"
' with-keyring "$@" || status=$?
exit "$status"
