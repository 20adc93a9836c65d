#!/usr/bin/env bash
# Usage: scripts/with-display.sh CMD [ARGS...]
# Runs CMD with a display: the current one, or a private Xvfb server on a
# free display number (headless machines, CI), stopped afterwards. Exits
# with CMD's exit status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi
if [ -n "${DISPLAY:-}" ]; then
  exec "$@"
fi
if ! command -v Xvfb >/dev/null; then
  echo "with-display: Xvfb not found; run scripts/install.sh" >&2
  exit 127
fi

n=99
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do
  n=$((n + 1))
done
Xvfb ":$n" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  [ -e "/tmp/.X11-unix/X$n" ] && break
  if ! kill -0 "$xvfb" 2>/dev/null; then
    echo "with-display: Xvfb could not start on :$n" >&2
    exit 1
  fi
  sleep 0.1
done
export DISPLAY=":$n"
status=0
"$@" || status=$?
exit "$status"
