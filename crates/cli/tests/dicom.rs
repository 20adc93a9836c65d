//! `clinicdesk-cli dicom info` and `dicom render` on a small CT built in
//! the test: no data directory, no keychain, no login.

mod common;

use common::{cli, text};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use serde_json::Value;
use std::path::Path;

/// A 3×2 CT slice, signed 16-bit, two frames, with a window and a rescale.
fn ct(dir: &Path) -> String {
    let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let u = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let values: Vec<u16> = [0i16, 1000, 1024, 1064, 1224, 3000]
        .iter()
        .chain(&[-2000, -1000, 0, 500, 1000, 2000])
        .map(|&v| v as u16)
        .collect();
    let obj = InMemDicomObject::from_element_iter([
        s(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        s(tags::SOP_INSTANCE_UID, VR::UI, "1.2.826.0.1.3680043.10.1.7"),
        s(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.10.1.8",
        ),
        s(tags::PATIENT_ID, VR::LO, "MRN-42"),
        s(tags::PATIENT_NAME, VR::PN, "Doe^Jane"),
        s(tags::MODALITY, VR::CS, "CT"),
        u(tags::SAMPLES_PER_PIXEL, 1),
        s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        s(tags::NUMBER_OF_FRAMES, VR::IS, "2"),
        u(tags::ROWS, 2),
        u(tags::COLUMNS, 3),
        u(tags::BITS_ALLOCATED, 16),
        u(tags::BITS_STORED, 16),
        u(tags::HIGH_BIT, 15),
        u(tags::PIXEL_REPRESENTATION, 1),
        s(tags::PIXEL_SPACING, VR::DS, "0.5\\0.5"),
        s(tags::WINDOW_CENTER, VR::DS, "40"),
        s(tags::WINDOW_WIDTH, VR::DS, "400"),
        s(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        s(tags::RESCALE_SLOPE, VR::DS, "1"),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(values.into())),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax("1.2.840.10008.1.2.1")
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("1.2.826.0.1.3680043.10.1.7");
    let path = dir.join("ct.dcm");
    obj.with_meta(meta)
        .expect("meta")
        .write_to_file(&path)
        .expect("write");
    path.to_str().unwrap().to_string()
}

/// Width, height and the 8-bit RGBA pixels of a PNG.
fn png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn greys(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4).map(|p| p[0]).collect()
}

#[test]
fn info_shows_identifiers_layout_and_windows() {
    let dir = tempfile::tempdir().unwrap();
    let f = ct(dir.path());
    let out = cli(&["dicom", "info", &f, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["patient_id"], "MRN-42");
    assert_eq!(v["modality"], "CT");
    assert_eq!(v["rows"], 2);
    assert_eq!(v["columns"], 3);
    assert_eq!(v["frames"], 2);
    assert_eq!(v["transfer_syntax"], "Explicit VR Little Endian");
    assert_eq!(v["photometric"], "MONOCHROME2");
    assert_eq!(v["pixel_spacing"], serde_json::json!([0.5, 0.5]));
    assert_eq!(v["windows"][0]["center"], 40.0);
    assert_eq!(v["rescale_intercept"], -1024.0);
    assert!(v.get("tags").is_none());

    let out = cli(&["dicom", "info", &f, "--tags"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("patient id:"), "{s}");
    assert!(s.contains("MRN-42"), "{s}");
    assert!(s.contains("3 × 2"), "{s}");
    assert!(s.contains("(0010,0020)  LO  PatientID"), "{s}");
}

#[test]
fn render_writes_the_windowed_frame_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let f = ct(dir.path());
    let out_png = dir.path().join("f0.png");
    let o = out_png.to_str().unwrap();
    let out = cli(&["dicom", "render", &f, "--out", o, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["window"], "file default");
    let (w, h, px) = png(&out_png);
    assert_eq!((w, h), (3, 2));
    // HU -1024, -24, 0, 40, 200, 1976 through 40/400: black up to -160,
    // white above 239.
    assert_eq!(greys(&px), [0, 87, 102, 128, 230, 255]);
    assert!(px
        .chunks_exact(4)
        .all(|p| p[3] == 255 && p[0] == p[1] && p[1] == p[2]));

    // The second frame through a negative-centre window and a preset.
    let out = cli(&[
        "dicom",
        "render",
        &f,
        "--frame",
        "1",
        "--window",
        "-1024,2000",
        "--out",
        o,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("frame 1 of"),
        "{}",
        text(&out.stdout)
    );
    let (_, _, px) = png(&out_png);
    let g = greys(&px);
    assert_eq!((g[0], g[5]), (0, 255));
    let out = cli(&["dicom", "render", &f, "--preset", "bone", "--out", o]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("window bone (400,1800)"));
}

#[test]
fn bad_input_gives_a_clear_error_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let f = ct(dir.path());
    let o = dir.path().join("x.png");
    let o = o.to_str().unwrap();

    let junk = dir.path().join("junk.dcm");
    std::fs::write(&junk, "not an image").unwrap();
    let out = cli(&["dicom", "info", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("junk.dcm: not a DICOM file"),
        "{err}"
    );

    let out = cli(&["dicom", "render", &f, "--frame", "2", "--out", o]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("frame 2 is out of range: the image has 2 frame(s)"),
        "{}",
        text(&out.stderr)
    );

    let out = cli(&["dicom", "render", &f, "--window", "40", "--out", o]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--window wants CENTER,WIDTH"));
    let out = cli(&["dicom", "render", &f, "--window", "40,0", "--out", o]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(&["dicom", "render", &f, "--preset", "liver", "--out", o]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lung, bone, brain, abdomen, soft-tissue"),
        "{}",
        text(&out.stderr)
    );
    let out = cli(&[
        "dicom", "render", &f, "--preset", "lung", "--window", "1,2", "--out", o,
    ]);
    assert_eq!(out.status.code(), Some(2));

    let missing = dir.path().join("missing.dcm");
    let out = cli(&["dicom", "info", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("could not read"),
        "{}",
        text(&out.stderr)
    );
}
