//! Decoded stored values against pydicom's: every DICOM file pydicom ships
//! (fetched by scripts/fetch-dicom-data.sh, with pydicom's `pixel_array` of
//! each written by scripts/dicom-reference.py). Lossless syntaxes must match
//! exactly, lossy ones within the stated tolerance; every file that is not
//! compared is listed below with the reason, checked too.

use clinicdesk_imaging::{Image, Samples};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What is expected of a file that is not compared value by value.
enum Skip {
    /// pydicom cannot decode it either; we must refuse it with an error
    /// containing this text.
    BothRefuse(&'static str),
    /// pydicom decodes it, we refuse it with an error containing this text.
    WeRefuse(&'static str),
    /// Both decode it, but the values differ beyond any rounding.
    Differs,
}

const NO_META: &str = "no file meta information (a bare data set): not a Part 10 file; pydicom too refuses it without force=True";
const NOT_AN_IMAGE: &str = "not an image: no Pixel Data";
const JPEG_ROUNDING: &str = "lossy JPEG: jpeg-decoder's IDCT, chroma upsampling and YCbCr rounding differ from libjpeg's by a few units";

/// Files not compared, each with why.
const SKIPPED: &[(&str, Skip, &str)] = &[
    ("ExplVR_BigEndNoMeta.dcm", Skip::BothRefuse("not a DICOM file"), NO_META),
    ("ExplVR_LitEndNoMeta.dcm", Skip::BothRefuse("not a DICOM file"), NO_META),
    ("no_meta.dcm", Skip::BothRefuse("not a DICOM file"), NO_META),
    ("rtstruct.dcm", Skip::BothRefuse("not a DICOM file"), NO_META),
    ("JPEG-lossy.dcm", Skip::BothRefuse("could not be decoded"), "a JPEG stream with a misplaced marker segment: broken on purpose"),
    ("JPEG2000-embedded-sequence-delimiter.dcm", Skip::BothRefuse("could not be decoded"), "a sequence delimiter inside the JPEG 2000 fragment: broken on purpose"),
    ("MR_truncated.dcm", Skip::BothRefuse("could not be read"), "pixel data shorter than its element length: broken on purpose"),
    ("badVR.dcm", Skip::BothRefuse("Number of Frames"), "Number of Frames is \"1A\": broken on purpose"),
    ("meta_missing_tsyntax.dcm", Skip::BothRefuse("could not be read"), "no Transfer Syntax UID in the file meta group"),
    ("nested_priv_SQ.dcm", Skip::BothRefuse("is missing"), "Pixel Data without the image pixel module"),
    ("UN_sequence.dcm", Skip::BothRefuse("could not be read"), "a sequence of undefined length with VR UN, which dicom-rs cannot read; pydicom reads it, and it has no pixel data"),
    ("empty_charset_LEI.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("no_meta_group_length.dcm", Skip::BothRefuse("could not be read"), "a file meta group without its group length, which dicom-rs refuses; pydicom reads it, and it has no pixel data"),
    ("priv_SQ.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("reportsi.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("reportsi_with_empty_number_tags.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("rtplan.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("rtplan_truncated.dcm", Skip::BothRefuse("could not be read"), "an RT plan cut off in the middle of an element: broken on purpose, and no pixel data"),
    ("test-SR.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("waveform_ecg.dcm", Skip::BothRefuse("no pixel data"), NOT_AN_IMAGE),
    ("JPGExtended.dcm", Skip::WeRefuse("SamplePrecision(12)"), "12-bit JPEG Extended: jpeg-decoder decodes 8-bit JPEG only"),
    ("SC_rgb_jpeg.dcm", Skip::WeRefuse("could not be read"), "the data set is implicit VR while its transfer syntax says explicit; pydicom guesses, dicom-rs does not"),
    ("SC_jpeg_no_color_transform.dcm", Skip::Differs, "RGB JPEG whose only sign of no colour transform is its component IDs (R, G, B): jpeg-decoder converts from YCbCr anyway"),
];

/// Lossy files: the largest difference allowed in any sample, and why.
const TOLERANCE: &[(&str, i64, &str)] = &[
    ("SC_jpeg_no_color_transform_2.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_jpeg_app14_dcmd.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cr.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", 2, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cy+n2.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cy+np.dcm", 2, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cy+s2.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_dcmtk_+eb+cy+s4.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_jpeg_dcmtk.dcm", 1, JPEG_ROUNDING),
    ("SC_rgb_jpeg_lossy_gdcm.dcm", 2, JPEG_ROUNDING),
    ("examples_ybr_color.dcm", 3, JPEG_ROUNDING),
];

fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let dir = base.join("pydicom");
    if dir.join(".package").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "pydicom's test files are missing from {}; run scripts/fetch-dicom-data.sh",
        dir.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("skipped: {msg}");
    None
}

fn dtype(s: &Samples) -> &'static str {
    match s {
        Samples::U8(_) => "|u1",
        Samples::I8(_) => "|i1",
        Samples::U16(_) => "<u2",
        Samples::I16(_) => "<i2",
        Samples::U32(_) => "<u4",
        Samples::I32(_) => "<i4",
    }
}

fn reference_values(raw: &[u8], dtype: &str) -> Vec<i64> {
    match dtype {
        "|u1" => raw.iter().map(|&b| i64::from(b)).collect(),
        "|i1" => raw.iter().map(|&b| i64::from(b as i8)).collect(),
        "<u2" => raw
            .chunks_exact(2)
            .map(|c| i64::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "<i2" => raw
            .chunks_exact(2)
            .map(|c| i64::from(i16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "<u4" => raw
            .chunks_exact(4)
            .map(|c| i64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "<i4" => raw
            .chunks_exact(4)
            .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        other => panic!("reference dtype {other} not handled"),
    }
}

fn le_bytes(s: &Samples) -> Vec<u8> {
    match s {
        Samples::U8(v) => v.clone(),
        Samples::I8(v) => v.iter().map(|&x| x as u8).collect(),
        Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Samples::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Samples::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Samples::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

/// Every frame's stored values, concatenated as little-endian bytes (the
/// reference's layout), and the dtype.
fn ours(path: &Path) -> Result<(&'static str, Vec<u8>), String> {
    let image = Image::open(path).map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    let mut kind = "";
    for f in 0..image.frames() {
        let s = image.stored_frame(f).map_err(|e| e.to_string())?;
        kind = dtype(&s.samples);
        all.extend(le_bytes(&s.samples));
    }
    Ok((kind, all))
}

/// Problems with one compared file, if any.
fn compare(dir: &Path, name: &str, tolerance: i64) -> Option<String> {
    let refdir = dir.join("reference");
    let meta: Value = serde_json::from_slice(
        &std::fs::read(refdir.join(format!("{name}.json"))).expect("reference json"),
    )
    .expect("reference json parses");
    if let Some(e) = meta["error"].as_str() {
        return Some(format!("pydicom could not decode it ({e})"));
    }
    let raw = std::fs::read(refdir.join(format!("{name}.raw"))).expect("reference raw");
    let want_dtype = meta["dtype"].as_str().expect("dtype");
    let (got_dtype, got) = match ours(&dir.join(name)) {
        Ok(v) => v,
        Err(e) => return Some(format!("we refuse it: {e}")),
    };
    if got_dtype != want_dtype {
        return Some(format!("dtype {got_dtype}, pydicom {want_dtype}"));
    }
    if got == raw {
        return None;
    }
    let want = reference_values(&raw, want_dtype);
    let got = reference_values(&got, got_dtype);
    if got.len() != want.len() {
        return Some(format!(
            "{} samples, pydicom {} (shape {})",
            got.len(),
            want.len(),
            meta["shape"]
        ));
    }
    let (mut worst, mut at, mut differing) = (0, 0, 0);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let d = (g - w).abs();
        if d > 0 {
            differing += 1;
        }
        if d > worst {
            (worst, at) = (d, i);
        }
    }
    (worst > tolerance).then(|| {
        format!(
            "{differing} of {} samples differ, by up to {worst} (sample {at}: ours {}, pydicom {}); tolerance {tolerance}",
            got.len(),
            got[at],
            want[at]
        )
    })
}

#[test]
fn decoded_values_match_pydicom() {
    let Some(dir) = data_dir() else { return };
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("data dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.to_ascii_lowercase().ends_with(".dcm"))
        .collect();
    files.sort();
    let present: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    for name in SKIPPED
        .iter()
        .map(|s| s.0)
        .chain(TOLERANCE.iter().map(|t| t.0))
    {
        assert!(
            present.contains(name),
            "{name} is listed but not in pydicom's files"
        );
    }

    let mut problems = Vec::new();
    let mut matched = 0;
    for name in &files {
        if let Some((_, skip, _)) = SKIPPED.iter().find(|s| s.0 == name) {
            let meta: Value = serde_json::from_slice(
                &std::fs::read(dir.join("reference").join(format!("{name}.json"))).expect("json"),
            )
            .expect("json parses");
            let pydicom_fails = meta.get("error").is_some();
            let result = ours(&dir.join(name));
            let ok = match skip {
                Skip::BothRefuse(text) => {
                    pydicom_fails && matches!(&result, Err(e) if e.contains(text))
                }
                Skip::WeRefuse(text) => matches!(&result, Err(e) if e.contains(text)),
                Skip::Differs => {
                    !pydicom_fails && result.is_ok() && compare(&dir, name, 0).is_some()
                }
            };
            if !ok {
                problems.push(format!(
                    "{name}: no longer as listed (pydicom fails: {pydicom_fails}, ours: {:?})",
                    result.map(|(d, v)| format!("{d}, {} bytes", v.len()))
                ));
            }
            continue;
        }
        let tolerance = TOLERANCE.iter().find(|t| t.0 == name).map_or(0, |t| t.1);
        match compare(&dir, name, tolerance) {
            None => matched += 1,
            Some(p) => problems.push(format!("{name}: {p}")),
        }
    }
    println!(
        "{matched} files match pydicom, {} listed as not compared",
        SKIPPED.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// HTJ2K: pydicom ships no HTJ2K file, so scripts/make-htj2k.py compresses
/// two of its files losslessly with OpenJPH, the reference HTJ2K encoder,
/// and checks that pydicom decodes them back. Ours must give the source
/// file's stored values exactly.
#[test]
fn htj2k_lossless_gives_back_the_source_values() {
    let Some(dir) = data_dir() else { return };
    let htj2k = dir.with_file_name("htj2k");
    assert!(
        htj2k.join(".package").is_file(),
        "{} is missing; run scripts/fetch-dicom-data.sh",
        htj2k.display()
    );
    for name in ["CT_small", "MR_small"] {
        let file = htj2k.join(format!("{name}_HTJ2KR.dcm"));
        let image = Image::open(&file).unwrap();
        assert_eq!(
            image.info().transfer_syntax_uid,
            "1.2.840.10008.1.2.4.201",
            "{name}: HTJ2K Lossless"
        );
        let decoded = ours(&file).unwrap();
        let source = ours(&dir.join(format!("{name}.dcm"))).unwrap();
        assert_eq!(decoded.0, source.0, "{name}: sample type");
        assert!(
            decoded.1 == source.1,
            "{name}: the values differ from the source's"
        );
    }
}
