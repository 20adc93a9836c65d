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

# The bus starts the daemon itself, from our own service file listed before
# the system's, and every daemon it starts unlocks the login keyring with the
# password. So if the daemon ever exits mid-run, the next client gets a new
# one holding the same keys, not an unprimed one whose locked collection
# fails every later test ("Cannot create an item in a locked collection").
# Each start is logged; a restart is reported at the end.
mkdir -m 700 "$tmp/services"
printf %s "$CLINICDESK_KEYRING_PASSWORD" >"$tmp/password"
cat >"$tmp/keyring-daemon" <<EOF
#!/bin/sh
echo "keyring daemon started \$(date -u +%T), pid \$\$" >>"$tmp/daemon.log"
exec gnome-keyring-daemon --foreground --unlock --components=secrets \\
  <"$tmp/password" >>"$tmp/daemon.log" 2>&1
EOF
chmod 700 "$tmp/keyring-daemon"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$tmp/keyring-daemon" \
  >"$tmp/services/org.freedesktop.secrets.service"
cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <servicedir>$tmp/services</servicedir>
  <include>/usr/share/dbus-1/session.conf</include>
</busconfig>
EOF

# Not exec'd: the trap must still remove $tmp afterwards. Starting the
# service by name returns once the daemon owns it; it exits with the bus.
status=0
# shellcheck disable=SC2016 # expanded by the inner bash, not here
dbus-run-session --config-file="$tmp/bus.conf" -- bash -c '
  set -euo pipefail
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.StartServiceByName \
    string:org.freedesktop.secrets uint32:0 >/dev/null
  exec "$@"
' with-keyring "$@" || status=$?
starts="$(grep -c '^keyring daemon started' "$tmp/daemon.log" 2>/dev/null || true)"
if [ "${starts:-0}" -gt 1 ]; then
  echo "with-keyring: the keyring daemon exited and was started again; its log:" >&2
  cat "$tmp/daemon.log" >&2
fi
exit "$status"
