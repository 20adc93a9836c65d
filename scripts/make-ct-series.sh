#!/usr/bin/env bash
# Usage: scripts/make-ct-series.sh [SLICES] [OUT]
#
# A CT series of clinical size for the viewer's test and benchmark, made
# from pydicom's CT_small.dcm (scripts/fetch-dicom-data.sh): each slice is
# the 128×128 original tiled 4×4 to 512×512 (about 0.5 MB) and shifted a
# little further than the one before, so scrolling visibly moves, with its
# own SOP Instance UID, instance number, slice location and image position.
# One study, one series; idempotent (kept until SLICES changes).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
slices="${1:-300}"
data="${CLINICDESK_TEST_DATA:-$repo/tests/data/fetched}"
out="${2:-$data/ct-series-$slices}"

if [ -f "$out/.made" ] && [ "$(cat "$out/.made")" = "$slices" ]; then
  echo "make-ct-series: $slices slices already in ${out#"$repo"/}"
  exit 0
fi
[ -f "$data/pydicom/CT_small.dcm" ] || bash "$repo/scripts/fetch-dicom-data.sh"
rm -rf "$out"
mkdir -p "$out"
"$cache/venv-dicom/bin/python" - "$data/pydicom/CT_small.dcm" "$out" "$slices" <<'PY'
import sys
import numpy as np
import pydicom
from pydicom.uid import generate_uid

source, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ds = pydicom.dcmread(source)
tiled = np.tile(ds.pixel_array, (4, 4))
# UIDs under pydicom's root, derived from fixed text so reruns match.
study = generate_uid(entropy_srcs=["clinicdesk ct series study"])
series = generate_uid(entropy_srcs=["clinicdesk ct series series"])
ds.PatientID = "CT0001"
ds.PatientName = "Lovelace^Ada"
ds.PatientBirthDate = "19601201"
ds.StudyInstanceUID = study
ds.SeriesInstanceUID = series
ds.StudyDescription = "CT chest"
ds.SeriesDescription = "Axial 5 mm"
ds.SeriesNumber = 2
ds.Rows, ds.Columns = tiled.shape
for i in range(n):
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[f"clinicdesk ct series {i}"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = i + 1
    ds.SliceLocation = -150.0 + 5.0 * i
    ds.ImagePositionPatient = [-125.0, -125.0, ds.SliceLocation]
    ds.PixelData = np.roll(tiled, 2 * i, axis=1).astype(tiled.dtype).tobytes()
    ds.save_as(f"{out}/CT{i + 1:04d}.dcm", enforce_file_format=True)
PY
echo "$slices" > "$out/.made"
echo "make-ct-series: $slices slices of 512×512 in ${out#"$repo"/}"
