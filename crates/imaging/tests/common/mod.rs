//! Small DICOM files built in memory with dicom-object, for tests that must
//! run without fetched data.

#![allow(dead_code)]

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use std::path::PathBuf;

pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

pub fn el(tag: Tag, vr: VR, v: impl Into<PrimitiveValue>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, v.into())
}

pub fn text(tag: Tag, vr: VR, s: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(s))
}

/// A data set with the image pixel module filled in; `extra` is added last
/// and replaces what it repeats.
pub fn image(
    rows: u16,
    cols: u16,
    photometric: &str,
    bits: u16,
    signed: bool,
    pixel_data: PrimitiveValue,
    extra: Vec<DataElement<InMemDicomObject>>,
) -> InMemDicomObject {
    let samples: u16 = if photometric.starts_with("MONO") || photometric == "PALETTE COLOR" {
        1
    } else {
        3
    };
    let mut obj = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
        text(tags::SOP_INSTANCE_UID, VR::UI, "1.2.826.0.1.3680043.10.1.1"),
        text(tags::PATIENT_ID, VR::LO, "TEST-1"),
        text(tags::MODALITY, VR::CS, "OT"),
        el(tags::SAMPLES_PER_PIXEL, VR::US, samples),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric),
        el(tags::ROWS, VR::US, rows),
        el(tags::COLUMNS, VR::US, cols),
        el(tags::BITS_ALLOCATED, VR::US, bits),
        el(tags::BITS_STORED, VR::US, bits),
        el(tags::HIGH_BIT, VR::US, bits.saturating_sub(1)),
        el(tags::PIXEL_REPRESENTATION, VR::US, u16::from(signed)),
    ]);
    let vr = if bits > 8 { VR::OW } else { VR::OB };
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, pixel_data));
    for e in extra {
        obj.put(e);
    }
    obj
}

/// `obj` as a Part 10 file in transfer syntax `ts`.
pub fn file(obj: InMemDicomObject, ts: &str) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
        .media_storage_sop_instance_uid("1.2.826.0.1.3680043.10.1.1");
    let file = obj.with_meta(meta).expect("file meta");
    let mut out = Vec::new();
    file.write_all(&mut out).expect("write DICOM");
    out
}

/// A 4×4 CT-like image: signed 16-bit, rescale intercept -1024, a window.
pub fn ct(ts: &str) -> Vec<u8> {
    let values: Vec<i16> = (0..16).map(|i| i * 200 - 100).collect();
    file(
        image(
            4,
            4,
            "MONOCHROME2",
            16,
            true,
            PrimitiveValue::U16(values.iter().map(|&v| v as u16).collect()),
            vec![
                text(tags::MODALITY, VR::CS, "CT"),
                text(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
                text(tags::RESCALE_SLOPE, VR::DS, "1"),
                text(tags::WINDOW_CENTER, VR::DS, "40"),
                text(tags::WINDOW_WIDTH, VR::DS, "400"),
            ],
        ),
        ts,
    )
}

/// Where scripts/fetch-dicom-data.sh puts pydicom's files, if it ran.
pub fn fetched() -> Option<PathBuf> {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let dir = base.join("pydicom");
    dir.join(".package").is_file().then_some(dir)
}
