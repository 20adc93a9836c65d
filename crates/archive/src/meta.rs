//! The identifiers the index keeps, read from a DICOM Part 10 file in
//! memory. Reading stops at Pixel Data: the image itself is stored as it
//! came and decoded only when someone views it.

use clinicdesk_store::InstanceMeta;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Media Storage Directory Storage: a DICOMDIR.
pub const DICOMDIR_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

/// Whether the bytes start like a Part 10 file ("DICM" after the preamble,
/// or at the start when the preamble is missing).
pub fn looks_like_dicom(bytes: &[u8]) -> bool {
    clinicdesk_imaging::dicm_at(bytes).is_some()
}

/// Why a file cannot be indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    #[error("not a DICOM file: no \"DICM\" marker after a 128-byte preamble")]
    NotDicom,
    #[error("it is a DICOMDIR (the index of a CD or folder), not an image; import the DICOMDIR itself to read the files it lists")]
    Directory,
    #[error("{0}")]
    Invalid(String),
}

/// An error and its causes, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// Opens the file meta group and the data set up to Pixel Data. dicom-rs
/// can panic on malformed input, so the call is guarded.
pub(crate) fn open_header(bytes: &[u8]) -> Result<dicom_object::DefaultDicomObject, MetaError> {
    open(bytes, true)
}

/// Opens a Part 10 file from memory, up to Pixel Data when `header_only`.
pub(crate) fn open(
    bytes: &[u8],
    header_only: bool,
) -> Result<dicom_object::DefaultDicomObject, MetaError> {
    if !looks_like_dicom(bytes) {
        return Err(MetaError::NotDicom);
    }
    // Damaged lengths and runaway nesting are refused before dicom-rs
    // allocates for them or recurses into them.
    clinicdesk_imaging::check_lengths(bytes).map_err(|e| MetaError::Invalid(e.to_string()))?;
    catch_unwind(AssertUnwindSafe(|| {
        let options = OpenFileOptions::new().read_preamble(ReadPreamble::Auto);
        let options = if header_only {
            options.read_until(tags::PIXEL_DATA)
        } else {
            options
        };
        options.from_reader(bytes).map_err(|e| {
            MetaError::Invalid(format!(
                "the DICOM data set could not be read: {}",
                chain(&e)
            ))
        })
    }))
    .unwrap_or_else(|_| {
        Err(MetaError::Invalid(
            "the DICOM data set could not be read: the DICOM library failed".into(),
        ))
    })
}

pub(crate) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches([' ', '\0']);
    (!s.is_empty()).then(|| s.to_string())
}

fn int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.to_int::<i64>().ok()
}

fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    obj.get(tag)?.to_float64().ok().filter(|f| f.is_finite())
}

/// A DA value (`YYYYMMDD`, or the old `YYYY.MM.DD`) as `YYYY-MM-DD`;
/// `None` for anything that is not a real date.
fn date(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let t = text(obj, tag)?.replace('.', "");
    chrono::NaiveDate::parse_from_str(&t, "%Y%m%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// A UID as PS3.5 9.1 allows: 1 to 64 digits and dots.
fn uid(obj: &InMemDicomObject, tag: Tag, name: &str) -> Result<String, MetaError> {
    let v = text(obj, tag)
        .ok_or_else(|| MetaError::Invalid(format!("the attribute {name} is missing")))?;
    if v.len() > 64 || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(MetaError::Invalid(format!(
            "the attribute {name} is not a valid UID: {v:?}"
        )));
    }
    Ok(v)
}

/// Reads what the index keeps from a Part 10 file. The reason it cannot
/// be stored, when it cannot, is one sentence.
pub fn read_meta(bytes: &[u8]) -> Result<InstanceMeta, MetaError> {
    let obj = open_header(bytes)?;
    let class = obj
        .meta()
        .media_storage_sop_class_uid()
        .trim_matches([' ', '\0'])
        .to_string();
    if class == DICOMDIR_SOP_CLASS {
        return Err(MetaError::Directory);
    }
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_matches([' ', '\0'])
        .to_string();
    let sop_class_uid = match uid(&obj, tags::SOP_CLASS_UID, "SOP Class UID (0008,0016)") {
        Ok(v) => v,
        Err(_) if !class.is_empty() => class,
        Err(e) => return Err(e),
    };
    Ok(InstanceMeta {
        patient_id: text(&obj, tags::PATIENT_ID),
        patient_name: text(&obj, tags::PATIENT_NAME),
        birth_date: date(&obj, tags::PATIENT_BIRTH_DATE),
        study_uid: uid(
            &obj,
            tags::STUDY_INSTANCE_UID,
            "Study Instance UID (0020,000D)",
        )?,
        study_date: date(&obj, tags::STUDY_DATE),
        study_time: text(&obj, tags::STUDY_TIME),
        accession_number: text(&obj, tags::ACCESSION_NUMBER),
        study_description: text(&obj, tags::STUDY_DESCRIPTION),
        series_uid: uid(
            &obj,
            tags::SERIES_INSTANCE_UID,
            "Series Instance UID (0020,000E)",
        )?,
        modality: text(&obj, tags::MODALITY),
        series_number: int(&obj, tags::SERIES_NUMBER),
        series_description: text(&obj, tags::SERIES_DESCRIPTION),
        sop_instance_uid: uid(&obj, tags::SOP_INSTANCE_UID, "SOP Instance UID (0008,0018)")?,
        sop_class_uid,
        transfer_syntax_uid: ts,
        instance_number: int(&obj, tags::INSTANCE_NUMBER),
        slice_location: float(&obj, tags::SLICE_LOCATION),
        rows: int(&obj, tags::ROWS),
        columns: int(&obj, tags::COLUMNS),
        frames: int(&obj, tags::NUMBER_OF_FRAMES).or(obj.get(tags::ROWS).map(|_| 1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_bytes_are_not_dicom() {
        assert_eq!(read_meta(b"hello, world"), Err(MetaError::NotDicom));
        let mut cut = vec![0u8; 128];
        cut.extend_from_slice(b"DICM\x02\x00");
        let err = read_meta(&cut).unwrap_err().to_string();
        assert!(err.contains("could not be read"), "{err}");
    }

    #[test]
    fn damaged_lengths_and_runaway_nesting_are_refused_before_dicom_rs_reads_them() {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        f.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I', 20, 0]);
        f.extend_from_slice(b"1.2.840.10008.1.2.1\0");
        let mut long = f.clone();
        // (0008,1115) SQ claiming 0xE0000000 bytes.
        long.extend_from_slice(&[0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0, 0, 0, 0xE0]);
        let err = read_meta(&long).unwrap_err().to_string();
        assert!(
            err.contains("(0008,1115) declares 3758096384 bytes"),
            "{err}"
        );
        // 100,000 sequences one in the next would exhaust dicom-rs's stack.
        for _ in 0..100_000 {
            f.extend_from_slice(&[
                0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            f.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = read_meta(&f).unwrap_err().to_string();
        assert!(err.contains("nest more than 32 deep"), "{err}");
    }
}
