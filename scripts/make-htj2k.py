"""Makes HTJ2K test files from pydicom's own: the pixels of each source file
compressed losslessly by OpenJPH's ojph_compress (Debian openjph-tools, the
reference HTJ2K encoder), wrapped as HTJ2K Lossless (1.2.840.10008.1.2.4.201)
with everything else unchanged but the SOP Instance UID. Each file is then
decoded by pydicom with pylibjpeg-openjpeg and must give back the source's
pixels exactly, so the file itself is known good before the imaging tests
compare ClinicDesk's decoding with the source.

Usage: make-htj2k.py OUT_DIR SOURCE.dcm [SOURCE.dcm ...]
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"


def convert(src: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    ds = pydicom.dcmread(src)
    pixels = ds.pixel_array
    if ds.SamplesPerPixel != 1 or getattr(ds, "NumberOfFrames", 1) not in (None, 1, "1"):
        raise SystemExit(f"{src.name}: only single-frame greyscale sources are used")
    signed = ds.PixelRepresentation == 1
    depth = ds.BitsStored
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "in.yuv"
        code = pathlib.Path(tmp) / "out.j2c"
        kind = ("<i2" if signed else "<u2") if ds.BitsAllocated == 16 else ("i1" if signed else "u1")
        raw.write_bytes(pixels.astype(kind).tobytes())
        subprocess.run(
            ["ojph_compress", "-i", str(raw), "-o", str(code),
             "-dims", f"{{{ds.Columns},{ds.Rows}}}", "-num_comps", "1",
             "-signed", "true" if signed else "false", "-bit_depth", str(depth),
             "-reversible", "true", "-downsamp", "{1,1}"],
            check=True, stdout=subprocess.DEVNULL)
        stream = code.read_bytes()
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = HTJ2K_LOSSLESS
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[src.name, "htj2k"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    out = out_dir / f"{src.stem}_HTJ2KR.dcm"
    ds.save_as(out, enforce_file_format=True)
    back = pydicom.dcmread(out).pixel_array
    if not np.array_equal(back, pixels):
        raise SystemExit(f"{out.name}: pydicom does not decode it to the source's pixels")
    return out


def main() -> None:
    out_dir = pathlib.Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for src in sys.argv[2:]:
        out = convert(pathlib.Path(src), out_dir)
        print(f"make-htj2k: {out.name} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
