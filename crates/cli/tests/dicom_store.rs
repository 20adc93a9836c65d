//! `dicom import`, `dicom studies`, `dicom confirm` and `dicom info|render`
//! by stored UID, against a clinic whose key lives in a key file (no
//! keychain needed).

mod common;

use common::text;
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const PASSWORD: &str = "admin-password-1";
const PASSPHRASE: &str = "key-file passphrase for tests";

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("CLINICDESK_PASSWORD", PASSWORD)
        .env("CLINICDESK_KEY_PASSPHRASE", PASSPHRASE)
        .env_remove("CLINICDESK_USER")
        .output()
        .expect("clinicdesk-cli runs")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A 2×2 CT slice of study `study` for patient `mrn`.
fn slice(dir: &Path, name: &str, mrn: &str, pn: &str, study: &str, n: u32) -> String {
    let s = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let u = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let sop = format!("{study}.1.{n}");
    let obj = InMemDicomObject::from_element_iter([
        s(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2"),
        s(tags::SOP_INSTANCE_UID, VR::UI, &sop),
        s(tags::STUDY_INSTANCE_UID, VR::UI, study),
        s(tags::SERIES_INSTANCE_UID, VR::UI, &format!("{study}.1")),
        s(tags::PATIENT_ID, VR::LO, mrn),
        s(tags::PATIENT_NAME, VR::PN, pn),
        s(tags::PATIENT_BIRTH_DATE, VR::DA, "18151210"),
        s(tags::MODALITY, VR::CS, "CT"),
        s(tags::INSTANCE_NUMBER, VR::IS, &n.to_string()),
        u(tags::SAMPLES_PER_PIXEL, 1),
        s(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        u(tags::ROWS, 2),
        u(tags::COLUMNS, 2),
        u(tags::BITS_ALLOCATED, 16),
        u(tags::BITS_STORED, 16),
        u(tags::HIGH_BIT, 15),
        u(tags::PIXEL_REPRESENTATION, 0),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(vec![0, 100, 200, 300].into()),
        ),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax("1.2.840.10008.1.2.1")
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid(sop.as_str());
    obj.with_meta(meta)
        .expect("meta")
        .write_to_file(dir.join(name))
        .expect("write");
    sop
}

#[test]
fn import_list_confirm_and_view_stored_instances() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic");
    let init = run(
        &data,
        &[
            "init",
            "--admin",
            "admin",
            "--timezone",
            "America/New_York",
            "--key-file",
        ],
    );
    assert!(init.status.success(), "{}", text(&init.stderr));
    let admin = |args: &[&str]| {
        let mut all = vec!["--user", "admin"];
        all.extend_from_slice(args);
        run(&data, &all)
    };
    let p = json(&admin(&[
        "patient",
        "add",
        "--given",
        "Ada",
        "--family",
        "Lovelace",
        "--dob",
        "1815-12-10",
        "--json",
    ]));
    let mrn = p["mrn"].as_str().unwrap().to_string();

    let files = tmp.path().join("cd");
    std::fs::create_dir(&files).unwrap();
    let sop = slice(
        &files,
        "1.dcm",
        &mrn,
        "Lovelace^Ada",
        "1.2.826.0.1.3680043.10.3.1",
        1,
    );
    slice(
        &files,
        "2.dcm",
        &mrn,
        "Lovelace^Ada",
        "1.2.826.0.1.3680043.10.3.1",
        2,
    );
    slice(
        &files,
        "3.dcm",
        &mrn,
        "Byron^Ada",
        "1.2.826.0.1.3680043.10.3.2",
        1,
    );
    std::fs::write(files.join("broken.dcm"), b"not dicom").unwrap();
    let dir = files.to_str().unwrap();

    // The summary, then exit 1 because one file failed.
    std::fs::write(files.join("bad.dcm"), {
        let mut b = vec![0u8; 128];
        b.extend_from_slice(b"DICMxx");
        b
    })
    .unwrap();
    let out = admin(&["dicom", "import", dir]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout} {}", text(&out.stderr));
    assert!(
        stdout.starts_with("3 imported, 0 already present, 1 study needing confirmation, 1 failed, 1 not DICOM (skipped)"),
        "{stdout}"
    );
    assert!(stdout.contains("the name differs"), "{stdout}");
    assert!(stdout.contains("bad.dcm"), "{stdout}");
    std::fs::remove_file(files.join("bad.dcm")).unwrap();

    let again = json(&admin(&["dicom", "import", dir, "--json"]));
    assert_eq!(again["imported"], 0);
    assert_eq!(again["already_present"], 3);

    let studies = json(&admin(&["dicom", "studies", "--waiting", "--json"]));
    assert_eq!(studies.as_array().unwrap().len(), 1);
    let mine = json(&admin(&["dicom", "studies", "--patient", &mrn, "--json"]));
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["instances"], 2);

    let linked = json(&admin(&[
        "dicom",
        "confirm",
        "1.2.826.0.1.3680043.10.3.2",
        "--patient",
        &mrn,
        "--json",
    ]));
    assert_eq!(linked["link_state"], "linked");
    let mine = json(&admin(&["dicom", "studies", "--patient", &mrn, "--json"]));
    assert_eq!(mine.as_array().unwrap().len(), 2);

    // Administrators do not view images; physicians do, by stored UID.
    let refused = admin(&["dicom", "info", &sop]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("may not view medical images"));
    let added = Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"))
        .arg("--data")
        .arg(&data)
        .args([
            "--user",
            "admin",
            "user",
            "add",
            "doc",
            "--role",
            "physician",
            "--name",
            "Doc",
        ])
        .env("CLINICDESK_PASSWORD", PASSWORD)
        .env("CLINICDESK_NEW_PASSWORD", "doctor-password-1")
        .env("CLINICDESK_KEY_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    let as_doc = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"))
            .arg("--data")
            .arg(&data)
            .args(["--user", "doc"])
            .args(args)
            .env("CLINICDESK_PASSWORD", "doctor-password-1")
            .env("CLINICDESK_KEY_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap()
    };
    let info = json(&as_doc(&["dicom", "info", &sop, "--json"]));
    assert_eq!(info["sop_instance_uid"], sop.as_str());
    let png = tmp.path().join("slice.png");
    let out = as_doc(&["dicom", "render", &sop, "--out", png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(png.is_file());

    let reads = json(&admin(&[
        "audit",
        "report",
        "--action",
        "read",
        "--category",
        "imaging",
        "--json",
    ]));
    let imaging_reads = reads
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "imaging")
        .count();
    assert_eq!(imaging_reads, 2, "info and render each read the instance");
}

/// `dicom pacs set|search|retrieve` against the Orthanc of
/// scripts/with-orthanc.sh; the PACS password goes to the OS keychain
/// (scripts/with-keyring.sh).
#[test]
fn pacs_search_and_retrieve_through_the_command_line() {
    let (Ok(url), Ok(user), Ok(password)) = (
        std::env::var("CLINICDESK_ORTHANC_URL"),
        std::env::var("CLINICDESK_ORTHANC_USER"),
        std::env::var("CLINICDESK_ORTHANC_PASSWORD"),
    ) else {
        eprintln!("skipped: CLINICDESK_ORTHANC_URL is not set (run under scripts/with-orthanc.sh)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic");
    let init = run(
        &data,
        &[
            "init",
            "--admin",
            "admin",
            "--timezone",
            "America/New_York",
            "--key-file",
        ],
    );
    assert!(init.status.success(), "{}", text(&init.stderr));
    // A study of its own, uploaded through Orthanc's REST API.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000;
    let study = format!("1.2.826.0.1.3680043.10.4.{nanos}");
    let mrn = format!("CLI-{nanos}");
    let files = tmp.path().join("upload");
    std::fs::create_dir(&files).unwrap();
    for n in 1..=2 {
        slice(&files, &format!("{n}.dcm"), &mrn, "Lovelace^Ada", &study, n);
        let up = Command::new("curl")
            .args([
                "-fsS",
                "-u",
                &format!("{user}:{password}"),
                "-X",
                "POST",
                "--data-binary",
            ])
            .arg(format!("@{}", files.join(format!("{n}.dcm")).display()))
            .arg(format!("{url}/instances"))
            .output()
            .expect("curl runs");
        assert!(up.status.success(), "{}", text(&up.stderr));
    }
    let admin = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"))
            .arg("--data")
            .arg(&data)
            .args(["--user", "admin"])
            .args(args)
            .env("CLINICDESK_PASSWORD", PASSWORD)
            .env("CLINICDESK_KEY_PASSPHRASE", PASSPHRASE)
            .env("CLINICDESK_PACS_PASSWORD", &password)
            .output()
            .unwrap()
    };
    let root = format!("{url}/dicom-web");
    let set = admin(&[
        "dicom",
        "pacs",
        "set",
        &root,
        "--pacs-user",
        &user,
        "--password",
    ]);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let found = json(&admin(&[
        "dicom",
        "pacs",
        "search",
        "--patient-id",
        &mrn,
        "--json",
    ]));
    assert_eq!(found[0]["study_uid"], study.as_str());
    assert_eq!(found[0]["instances"], 2);
    let got = json(&admin(&["dicom", "pacs", "retrieve", &study, "--json"]));
    assert_eq!(got["imported"], 2);
    let again = json(&admin(&["dicom", "pacs", "retrieve", &study, "--json"]));
    assert_eq!(again["already_present"], 2);
    let waiting = json(&admin(&["dicom", "studies", "--waiting", "--json"]));
    assert_eq!(waiting[0]["study_uid"], study.as_str());
    let plain = admin(&["dicom", "pacs", "set", "http://pacs.example.org/dicom-web"]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(
        text(&plain.stderr).contains("https://"),
        "{}",
        text(&plain.stderr)
    );
}
