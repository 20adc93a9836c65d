#!/usr/bin/env bash
# Usage: scripts/with-orthanc.sh COMMAND [ARGS...]
#
# Runs COMMAND with a throwaway Orthanc PACS (Debian's orthanc and
# orthanc-dicomweb packages) listening on a free loopback port, its
# DICOMweb plugin enabled and HTTP basic authentication on, and exports
#   CLINICDESK_ORTHANC_URL       its REST root, e.g. http://127.0.0.1:41234
#                                (DICOMweb is under /dicom-web)
#   CLINICDESK_ORTHANC_USER      the test user
#   CLINICDESK_ORTHANC_PASSWORD  its password
# The DICOM port is off; storage lives in a temporary directory that is
# removed afterwards, with the server.
set -euo pipefail

orthanc="$(command -v Orthanc || true)"
[ -n "$orthanc" ] || orthanc=/usr/sbin/Orthanc
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if [ ! -x "$orthanc" ] || [ ! -f "$plugin" ]; then
  echo "with-orthanc: Orthanc or its DICOMweb plugin is not installed; run scripts/install.sh" >&2
  exit 127
fi

dir="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# A free port on loopback.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
user=clinicdesk
password="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
mkdir -p "$dir/storage"
cat >"$dir/orthanc.json" <<JSON
{
  "Name": "ClinicDesk test PACS",
  "StorageDirectory": "$dir/storage",
  "IndexDirectory": "$dir/storage",
  "StorageCompression": false,
  "Plugins": ["$plugin"],
  "HttpPort": $port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "$user": "$password" },
  "DicomServerEnabled": false,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
JSON
"$orthanc" "$dir/orthanc.json" >"$dir/orthanc.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if curl -fsS -u "$user:$password" "$url/system" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-orthanc: Orthanc stopped while starting:" >&2
    cat "$dir/orthanc.log" >&2
    exit 1
  fi
  sleep 0.2
done
if ! curl -fsS -u "$user:$password" "$url/system" >/dev/null 2>&1; then
  echo "with-orthanc: Orthanc did not answer on $url within 20 s:" >&2
  cat "$dir/orthanc.log" >&2
  exit 1
fi

export CLINICDESK_ORTHANC_URL="$url"
export CLINICDESK_ORTHANC_USER="$user"
export CLINICDESK_ORTHANC_PASSWORD="$password"
status=0
"$@" || status=$?
exit "$status"
