#!/usr/bin/env bash
# Usage: bench/dicom.sh [CRITERION ARGS...]
#
# DICOM rendering speed: crates/imaging/benches/render.rs (criterion,
# release build: open, decode, window and RGBA of a 512×512 16-bit CT),
# then `clinicdesk-cli dicom render` against dcmtk's `dcmj2pnm` as whole
# processes (hyperfine) on the same files, both writing a PNG. The files
# are pydicom's (scripts/fetch-dicom-data.sh) plus the 512×512 CT the
# criterion bench uses, CT_small.dcm tiled 4×4, written here with pydicom.
# dcmtk and hyperfine are bench-only tools: installed here from Debian when
# missing, not by scripts/install.sh. Figures are recorded in
# docs/benchmarks.md ("DICOM rendering").
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
out="${DICOM_BENCH_OUT:-$cache/bench/dicom}"
target="${CARGO_TARGET_DIR:-$repo/target}"
data="${CLINICDESK_TEST_DATA:-$repo/tests/data/fetched}/pydicom"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
missing=()
command -v dcmj2pnm >/dev/null || missing+=(dcmtk)
command -v hyperfine >/dev/null || missing+=(hyperfine)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench/dicom: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ -f "$data/.package" ] || bash scripts/fetch-dicom-data.sh

mkdir -p "$out"
cargo bench -p clinicdesk-imaging --bench render -- "$@" | tee "$out/criterion.txt"

cargo build --release -p clinicdesk-cli
cli="$target/release/clinicdesk-cli"

# The criterion bench's slice, made the same way: CT_small.dcm tiled 4×4.
"$cache/venv-dicom/bin/python" - "$data/CT_small.dcm" "$out/ct-512.dcm" <<'PY'
import sys
import numpy as np
import pydicom

ds = pydicom.dcmread(sys.argv[1])
big = np.tile(ds.pixel_array, (4, 4))
ds.Rows, ds.Columns = big.shape
ds.PixelData = big.tobytes()
ds.save_as(sys.argv[2])
PY

echo
echo "==== clinicdesk-cli dicom render vs dcmj2pnm ($(dcmj2pnm --version 2>&1 | head -n 1)) ===="
# name, file, window arguments for ours, for dcmtk (none for colour images).
cases=(
  "ct-512|$out/ct-512.dcm|--window 40,400|+Ww 40 400"
  "mr-rle|$data/MR_small_RLE.dcm|--window 600,1200|+Ww 600 1200"
  "jpeg-ybr-frame0|$data/examples_ybr_color.dcm||"
  "rgb|$data/examples_rgb_color.dcm||"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name file ours theirs <<<"$c"
  hyperfine --warmup 5 --min-runs 30 -N \
    --export-markdown "$out/$name.md" \
    -n "clinicdesk-cli ($name)" "$cli dicom render $file $ours --out $out/$name-ours.png" \
    -n "dcmj2pnm ($name)" "dcmj2pnm +on $theirs $file $out/$name-dcmtk.png"
done
cat "$out"/*.md
