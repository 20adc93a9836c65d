#!/usr/bin/env bash
# Builds what the update test (tests/update.rs) installs and serves: this
# version N and N+1 of the app as .deb packages signed with a throwaway
# update key, plus N+1 signed with a second, untrusted key. Debug builds, so
# they reuse the test build's artifacts. Output in OUT (default
# $CLINICDESK_CACHE/update-test); rebuilt only when the sources change.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
out="${1:-$cache/update-test}"
tauri=ui/node_modules/.bin/tauri

old="$(python3 -c 'import tomllib;print(tomllib.load(open("Cargo.toml","rb"))["workspace"]["package"]["version"])')"
new="$(python3 -c 'import sys;a,b,c=sys.argv[1].split(".");print(f"{a}.{b}.{int(c)+1}")' "$old")"

# What the packages were built from: the committed tree plus any local edits.
stamp="$(git rev-parse 'HEAD^{tree}') $( (git diff HEAD; git ls-files --others --exclude-standard -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-16) $old $new"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "update-test-packages: $old and $new already built in $out"
  exit 0
fi

rm -rf "$out"
mkdir -p "$out/keys" "$out/untrusted"
"$tauri" signer generate --ci -p "" -f -w "$out/keys/update.key" >/dev/null
"$tauri" signer generate --ci -p "" -f -w "$out/keys/untrusted.key" >/dev/null

export CLINICDESK_UPDATE_KEY="$out/keys/update.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD=""
bash scripts/package.sh --debug --bundles deb --version "$new" --out "$out/new"
bash scripts/package.sh --debug --bundles deb --out "$out/old"

# The same N+1 package, signed by a key the app does not trust.
cp "$out"/new/*.deb "$out/untrusted/"
"$tauri" signer sign --private-key-path "$out/keys/untrusted.key" --password "" \
  --app-version "$new" "$out"/untrusted/*.deb >/dev/null

printf '{"old": "%s", "new": "%s"}\n' "$old" "$new" >"$out/versions.json"
# Stamped last, so an interrupted run is redone rather than taken as done.
echo "$stamp" >"$out/.stamp"
echo "update-test-packages: $old and $new in $out"
