#!/usr/bin/env bash
# Builds the installers: the app as .deb and .rpm packages (Tauri bundler,
# icons from icons/), copied into OUT (default $CARGO_TARGET_DIR/packages).
#
#   scripts/package.sh [--debug] [--version X.Y.Z] [--bundles deb,rpm] [--out DIR]
#
# Signed updates. With CLINICDESK_UPDATE_KEY (a secret key file made by
# `ui/node_modules/.bin/tauri signer generate`; its password, if any, in
# TAURI_SIGNING_PRIVATE_KEY_PASSWORD) the packages carry the matching public
# key, and OUT also gets a .sig per package and latest.json, the manifest an
# update server serves. CLINICDESK_UPDATE_URL builds in the address the app
# asks (an administrator can change it per desktop); CLINICDESK_DOWNLOAD_BASE
# is where the packages will be published (default: beside latest.json, on
# the update address); CLINICDESK_RELEASE_NOTES is a text file of notes.
# Without a key the packages are built without one and cannot update
# themselves.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
[ -n "${CLINICDESK_INSTALLED:-}" ] || bash scripts/install.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clinicdesk/target}"

profile=release debug=() version="" bundles=deb,rpm out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug debug=(--debug) ;;
    --version) version="$2"; shift ;;
    --bundles) bundles="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "package: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$CARGO_TARGET_DIR/packages}"
tauri=ui/node_modules/.bin/tauri
key="${CLINICDESK_UPDATE_KEY:-}"
if [ -n "$key" ] && [ ! -f "$key.pub" ]; then
  echo "package: $key.pub not found (tauri signer generate writes KEY and KEY.pub)" >&2
  exit 2
fi

# The build-time settings go in as a config overlay, so tauri.conf.json
# stays free of any one clinic's key and address.
overlay="$(python3 - "$version" "$key" "${CLINICDESK_UPDATE_URL:-}" <<'PY'
import json, sys
version, key, url = sys.argv[1:4]
c = {}
if version:
    c["version"] = version
updater = {}
if key:
    updater["pubkey"] = open(key + ".pub").read().strip()
if url:
    updater["endpoints"] = [url]
if updater:
    c["plugins"] = {"updater": updater}
print(json.dumps(c))
PY
)"

bundle_dir="$CARGO_TARGET_DIR/$profile/bundle"
rm -rf "$bundle_dir"
# The bundler runs tauri.conf.json's beforeBuildCommand (the screens' build;
# the CLI runs it in ui/, where it is installed), then `cargo build`.
"$tauri" build "${debug[@]}" --bundles "$bundles" --config "$overlay"

mkdir -p "$out"
packages=()
for f in "$bundle_dir"/deb/*.deb "$bundle_dir"/rpm/*.rpm; do
  [ -f "$f" ] || continue
  cp "$f" "$out/"
  packages+=("$out/$(basename "$f")")
done
ls -l "${packages[@]}"

if [ -n "$key" ]; then
  app_version="${version:-$(python3 -c 'import tomllib;print(tomllib.load(open("Cargo.toml","rb"))["workspace"]["package"]["version"])')}"
  for p in "${packages[@]}"; do
    # --app-version binds the signature to this version: a server cannot
    # pass an older signed package off as a newer one.
    "$tauri" signer sign --private-key-path "$key" --password "${TAURI_SIGNING_PRIVATE_KEY_PASSWORD:-}" \
      --app-version "$app_version" "$p" >/dev/null
  done
  python3 - "$out" "$app_version" "${CLINICDESK_DOWNLOAD_BASE:-}" "${CLINICDESK_UPDATE_URL:-}" \
    "${CLINICDESK_RELEASE_NOTES:-}" "${packages[@]}" <<'PY'
import datetime, json, os, sys
out, version, base, url, notes_file, *packages = sys.argv[1:]
if not base and url:
    base = url.rsplit("/", 1)[0]
notes = open(notes_file).read().strip() if notes_file else f"ClinicDesk {version}"
platforms = {}
for p in packages:
    kind = "deb" if p.endswith(".deb") else "rpm"
    name = os.path.basename(p)
    platforms[f"linux-x86_64-{kind}"] = {
        "signature": open(p + ".sig").read().strip(),
        "url": f"{base}/{name}" if base else name,
    }
manifest = {
    "version": version,
    "notes": notes,
    "pub_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "platforms": platforms,
}
with open(os.path.join(out, "latest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
print(f"package: signed {len(packages)} package(s) as {version}; manifest {out}/latest.json")
PY
fi
