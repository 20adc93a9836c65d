//! Stores, users and DICOM files for the archive's tests and benchmark.

#![allow(dead_code)]

use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_store::{KeySetup, NewClinic, NewUser, PatientInput, Session, Store};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject, OpenFileOptions};
use std::path::PathBuf;

pub const PASSWORD: &str = "correct horse battery";

/// A clinic whose key lives in a key file, so no keychain is needed.
pub fn clinic(dir: &std::path::Path) -> (Store, Session) {
    Store::create(
        dir,
        NewClinic {
            name: "Harbour Family Practice".into(),
            timezone: ClinicZone::parse("America/New_York").expect("zone"),
            admin: NewUser {
                username: "admin".into(),
                display_name: "Clinic Admin".into(),
                role: Role::Admin,
                password: PASSWORD.into(),
                provider_id: None,
            },
            key: KeySetup::KeyFile {
                passphrase: PASSWORD.into(),
            },
        },
    )
    .expect("create store")
}

pub fn user(store: &mut Store, admin: &Session, name: &str, role: Role) -> Session {
    store
        .add_user(
            admin,
            NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                password: PASSWORD.into(),
                provider_id: None,
            },
        )
        .expect("add user");
    store.login(name, PASSWORD).expect("login")
}

pub fn patient(
    store: &mut Store,
    admin: &Session,
    mrn: &str,
    given: &str,
    family: &str,
    dob: &str,
) -> String {
    store
        .add_patient(
            admin,
            &PatientInput {
                mrn: Some(mrn.into()),
                given_name: given.into(),
                family_name: family.into(),
                birth_date: dob.into(),
                ..Default::default()
            },
        )
        .expect("add patient")
        .id
}

/// Who an instance says it belongs to, and where it sits.
#[derive(Clone)]
pub struct Ids {
    pub patient_id: String,
    pub patient_name: String,
    pub birth_date: String,
    pub study: String,
    pub series: String,
    pub instance: String,
    pub number: i32,
}

impl Ids {
    pub fn new(
        patient_id: &str,
        name: &str,
        dob: &str,
        study: u32,
        series: u32,
        instance: u32,
    ) -> Ids {
        Ids {
            patient_id: patient_id.into(),
            patient_name: name.into(),
            birth_date: dob.into(),
            study: format!("1.2.826.0.1.3680043.10.2.{study}"),
            series: format!("1.2.826.0.1.3680043.10.2.{study}.{series}"),
            instance: format!("1.2.826.0.1.3680043.10.2.{study}.{series}.{instance}"),
            number: instance as i32,
        }
    }
}

/// A copy of the Part 10 file `original` with new identifiers.
pub fn relabel(original: &[u8], ids: &Ids) -> Vec<u8> {
    let mut obj = OpenFileOptions::new()
        .from_reader(original)
        .expect("read original");
    let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    for e in [
        s(tags::PATIENT_ID, VR::LO, &ids.patient_id),
        s(tags::PATIENT_NAME, VR::PN, &ids.patient_name),
        s(tags::PATIENT_BIRTH_DATE, VR::DA, &ids.birth_date),
        s(tags::STUDY_INSTANCE_UID, VR::UI, &ids.study),
        s(tags::SERIES_INSTANCE_UID, VR::UI, &ids.series),
        s(tags::SOP_INSTANCE_UID, VR::UI, &ids.instance),
        s(tags::INSTANCE_NUMBER, VR::IS, &ids.number.to_string()),
    ] {
        obj.put(e);
    }
    obj.update_meta(|m| {
        m.media_storage_sop_instance_uid = ids.instance.clone();
        m.update_information_group_length();
    });
    let mut out = Vec::new();
    obj.write_all(&mut out).expect("write copy");
    out
}

/// A small CT slice built here, for tests that run without fetched data.
pub fn small_ct(ids: &Ids) -> Vec<u8> {
    ct_slice(ids, 2, vec![0, 100, 200, 300])
}

/// A clinical-size CT slice (512×512, 16-bit, about 0.5 MB) built here.
pub fn clinical_ct(ids: &Ids) -> Vec<u8> {
    let pixels = (0..512u32 * 512).map(|i| (i % 4096) as u16).collect();
    ct_slice(ids, 512, pixels)
}

fn ct_slice(ids: &Ids, side: u16, pixels: Vec<u16>) -> Vec<u8> {
    let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let u = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let obj = InMemDicomObject::from_element_iter([
        s(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        s(tags::SOP_INSTANCE_UID, VR::UI, &ids.instance),
        s(tags::STUDY_INSTANCE_UID, VR::UI, &ids.study),
        s(tags::SERIES_INSTANCE_UID, VR::UI, &ids.series),
        s(tags::PATIENT_ID, VR::LO, &ids.patient_id),
        s(tags::PATIENT_NAME, VR::PN, &ids.patient_name),
        s(tags::PATIENT_BIRTH_DATE, VR::DA, &ids.birth_date),
        s(tags::STUDY_DATE, VR::DA, "20240131"),
        s(tags::STUDY_DESCRIPTION, VR::LO, "CT chest"),
        s(tags::MODALITY, VR::CS, "CT"),
        s(tags::SERIES_NUMBER, VR::IS, "2"),
        s(tags::INSTANCE_NUMBER, VR::IS, &ids.number.to_string()),
        s(tags::SLICE_LOCATION, VR::DS, "-12.5"),
        u(tags::SAMPLES_PER_PIXEL, 1),
        s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        u(tags::ROWS, side),
        u(tags::COLUMNS, side),
        u(tags::BITS_ALLOCATED, 16),
        u(tags::BITS_STORED, 16),
        u(tags::HIGH_BIT, 15),
        u(tags::PIXEL_REPRESENTATION, 0),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(pixels.into())),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax("1.2.840.10008.1.2.1")
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid(ids.instance.as_str());
    let mut out = Vec::new();
    obj.with_meta(meta)
        .expect("meta")
        .write_all(&mut out)
        .expect("write");
    out
}

/// Where scripts/fetch-dicom-data.sh put its files, if it ran.
pub fn fetched() -> Option<PathBuf> {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    base.join("pydicom/.package").is_file().then_some(base)
}
