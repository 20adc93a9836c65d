#!/usr/bin/env bash
# Fetch the DICOM test data (idempotent; skipped when present):
#  - a Python venv at $CLINICDESK_CACHE/venv-dicom with pydicom and the
#    pylibjpeg decoders, the reference the imaging tests compare with;
#  - the DICOM files pydicom ships (pydicom/data/test_files in its wheel),
#    into tests/data/fetched/pydicom/ (gitignored), with pydicom's decoded
#    pixels of each (scripts/dicom-reference.py) in its reference/ folder;
#  - HTJ2K Lossless copies of two of them (pydicom ships none), made by
#    OpenJPH's encoder (scripts/make-htj2k.py), into tests/data/fetched/htj2k/.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"

# The wheel is the test data, so its sha256 (as pip downloads it) pins the
# files themselves. The decoders are pinned by version: their wheels differ
# per platform and Python, so one hash cannot pin them.
PYDICOM_WHEEL=pydicom-3.0.2-py3-none-any.whl
PYDICOM_SHA256=abf971a5440f84dbaf42c4b6758e30e62480902584f8b270b9a5d146e278a07b
PY_REQUIREMENTS="numpy==2.4.6
pylibjpeg==2.1.0
pylibjpeg-libjpeg==2.5.0
pylibjpeg-openjpeg==2.6.0
pylibjpeg-rle==2.2.0"
# Bump when dicom-reference.py changes what it writes.
REFERENCE_FORMAT=1

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

venv="$cache/venv-dicom"
want="$PYDICOM_WHEEL $PYDICOM_SHA256
$PY_REQUIREMENTS"
if [ -f "$venv/.requirements" ] && [ "$(cat "$venv/.requirements")" = "$want" ] &&
  "$venv/bin/python" -c 'import pydicom, numpy, pylibjpeg, libjpeg, openjpeg, rle' 2>/dev/null; then
  echo "fetch-dicom-data: venv ready at $venv"
else
  echo "fetch-dicom-data: creating venv at $venv"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-input --no-deps \
    --only-binary :all: "pydicom==3.0.2" -d "$tmp/wheel"
  echo "$PYDICOM_SHA256  $tmp/wheel/$PYDICOM_WHEEL" | sha256sum --check --quiet
  printf '%s\n' "$PY_REQUIREMENTS" >"$tmp/requirements.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    "$tmp/wheel/$PYDICOM_WHEEL" -r "$tmp/requirements.txt"
  # Written last: its presence means the install completed.
  printf '%s' "$want" >"$venv/.requirements"
fi

data="$repo/tests/data/fetched/pydicom"
stamp="$data/.package"
want="$PYDICOM_WHEEL $PYDICOM_SHA256 reference $REFERENCE_FORMAT"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "fetch-dicom-data: pydicom's test files already in ${data#"$repo"/}"
else
  echo "fetch-dicom-data: copying pydicom's test files"
  src="$("$venv/bin/python" -c 'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")')"
  mkdir -p "$tmp/out"
  # Only DICOM files (Part 10 and a few raw data sets); pydicom's helper
  # modules and README are not test data.
  find "$src" -maxdepth 1 -type f \( -name '*.dcm' -o -name '*.DCM' \) -exec cp {} "$tmp/out/" \;
  "$venv/bin/python" "$repo/scripts/dicom-reference.py" "$tmp/out" "$tmp/out/reference"
  rm -rf "$data"
  mkdir -p "$(dirname "$data")"
  mv "$tmp/out" "$data"
  # Stamped last, so an interrupted run is redone rather than taken as done.
  echo "$want" >"$stamp"
  echo "fetch-dicom-data: $(find "$data" -maxdepth 1 -type f -iname '*.dcm' | wc -l) DICOM files in ${data#"$repo"/}"
fi

# pydicom's DICOMDIR media (dicomdirtests/: a DICOMDIR and the folders of
# files it lists), for the import tests.
media="$repo/tests/data/fetched/pydicom-dicomdir"
media_stamp="$media/.package"
want="$PYDICOM_WHEEL $PYDICOM_SHA256"
if [ -f "$media_stamp" ] && [ "$(cat "$media_stamp")" = "$want" ]; then
  echo "fetch-dicom-data: pydicom's DICOMDIR media already in ${media#"$repo"/}"
else
  src="$("$venv/bin/python" -c 'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files" / "dicomdirtests")')"
  rm -rf "$media" "$tmp/media"
  mkdir -p "$tmp/media"
  cp -r "$src/DICOMDIR" "$src/77654033" "$src/98892001" "$src/98892003" "$tmp/media/"
  mv "$tmp/media" "$media"
  echo "$want" >"$media_stamp"
  echo "fetch-dicom-data: $(find "$media" -type f ! -name DICOMDIR ! -name .package | wc -l) files and their DICOMDIR in ${media#"$repo"/}"
fi

# HTJ2K: pydicom ships no HTJ2K file, so two of its files are compressed
# losslessly with OpenJPH (Debian openjph-tools), the reference encoder,
# and checked to decode back with pydicom and pylibjpeg-openjpeg.
htj2k="$repo/tests/data/fetched/htj2k"
htj2k_stamp="$htj2k/.package"
want="$PYDICOM_WHEEL $PYDICOM_SHA256 openjph-$(dpkg-query -W -f='${Version}' openjph-tools 2>/dev/null || echo unknown) $(sha256sum "$repo/scripts/make-htj2k.py" | cut -c1-16)"
if [ -f "$htj2k_stamp" ] && [ "$(cat "$htj2k_stamp")" = "$want" ]; then
  echo "fetch-dicom-data: HTJ2K files already in ${htj2k#"$repo"/}"
else
  rm -rf "$htj2k" "$tmp/htj2k"
  "$venv/bin/python" "$repo/scripts/make-htj2k.py" "$tmp/htj2k" "$data/CT_small.dcm" "$data/MR_small.dcm"
  mv "$tmp/htj2k" "$htj2k"
  echo "$want" >"$htj2k_stamp"
fi
