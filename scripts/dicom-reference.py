"""pydicom's decoded pixels of every DICOM file in a folder: the reference
the imaging tests compare ClinicDesk's decoder with.

For each FILE.dcm it writes, into the output folder, FILE.dcm.json (the
array's shape and dtype, or why pydicom could not decode it) and, when it
could, FILE.dcm.raw: pydicom's `pixel_array` as little-endian bytes, in
C order. `pixel_array` is pydicom's default decode: stored values (no
rescale, no windowing), YCbCr converted to RGB, palette colour left as
indices.

Usage: dicom-reference.py DICOM_DIR OUT_DIR
"""

import json
import pathlib
import sys

import warnings

import numpy as np
import pydicom


def describe(path: pathlib.Path) -> tuple[dict, "np.ndarray | None"]:
    try:
        ds = pydicom.dcmread(path)
    except Exception as e:  # noqa: BLE001 - the reason is the point
        return {"error": f"read: {type(e).__name__}: {e}"}, None
    meta = getattr(ds, "file_meta", None)
    try:
        info = {
            "transfer_syntax": str(getattr(meta, "TransferSyntaxUID", "") or ""),
            "photometric": str(ds.get("PhotometricInterpretation", "")),
        }
    except Exception as e:  # noqa: BLE001
        return {"error": f"read: {type(e).__name__}: {e}"}, None
    if "PixelData" not in ds:
        info["error"] = "no pixel data"
        return info, None
    try:
        arr = ds.pixel_array
    except Exception as e:  # noqa: BLE001
        info["error"] = f"decode: {type(e).__name__}: {e}"
        return info, None
    info["shape"] = list(arr.shape)
    info["dtype"] = arr.dtype.newbyteorder("<").str
    return info, arr


def main() -> None:
    # Several files are broken on purpose; pydicom's warnings about them
    # are noise here, its errors are recorded.
    warnings.simplefilter("ignore")
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() == ".dcm")
    decoded = 0
    for path in files:
        info, arr = describe(path)
        if arr is not None:
            le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
            (out / f"{path.name}.raw").write_bytes(le.tobytes())
            decoded += 1
        (out / f"{path.name}.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    print(f"dicom-reference: {decoded} of {len(files)} files decoded by pydicom {pydicom.__version__}")


if __name__ == "__main__":
    main()
