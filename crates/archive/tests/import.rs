//! Importing into the encrypted store: idempotence, bad files one by one,
//! linking to patients and confirming, audited reads, DICOMDIR media.

mod common;

use clinicdesk_archive::{import_bytes, import_paths, Phase, Progress, TRANSACTION_BYTES};
use clinicdesk_domain::Role;
use clinicdesk_store::{AuditFilter, LinkState, Store, StoreError, StudyFilter, Unlock};
use common::*;

#[test]
fn a_study_is_imported_once_linked_by_mrn_and_read_back_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    let ada = patient(&mut store, &admin, "MRN-7", "Ada", "Lovelace", "1815-12-10");
    let doc = user(&mut store, &admin, "doc", Role::Physician);
    let files = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        let ids = Ids::new("mrn-7", "LOVELACE^ADA", "18151210", 1, 1, i);
        std::fs::write(files.path().join(format!("{i}.dcm")), small_ct(&ids)).unwrap();
    }
    std::fs::write(files.path().join("README.txt"), "not an image").unwrap();

    let mut seen: Vec<Progress> = Vec::new();
    let report = import_paths(&mut store, &doc, &[files.path().to_path_buf()], &mut |p| {
        seen.push(p)
    })
    .unwrap();
    assert_eq!(report.imported, 3);
    assert_eq!(report.already_present, 0);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.skipped.len(), 1, "the README is skipped");
    assert_eq!(report.studies.len(), 1);
    assert_eq!(report.studies[0].link_state, Some(LinkState::Linked));
    assert_eq!(
        seen.last(),
        Some(&Progress {
            phase: Phase::Storing,
            done: 3,
            total: 3
        })
    );
    assert!(seen
        .iter()
        .any(|p| p.phase == Phase::Reading && p.done == 4 && p.total == 4));

    // Again: nothing changes, everything is reported as already present.
    let again = import_paths(&mut store, &doc, &[files.path().to_path_buf()], &mut |_| {}).unwrap();
    assert_eq!((again.imported, again.already_present), (0, 3));

    let studies = store
        .studies(
            &doc,
            &StudyFilter {
                patient_mrn: Some("MRN-7".into()),
                state: None,
            },
        )
        .unwrap();
    assert_eq!(studies.len(), 1);
    let s = &studies[0];
    assert_eq!(s.patient_id.as_deref(), Some(ada.as_str()));
    assert_eq!((s.series, s.instances), (1, 3));
    assert_eq!(s.modalities, ["CT"]);
    assert_eq!(s.study_date.as_deref(), Some("2024-01-31"));

    let detail = store.study(&doc, &s.study_uid).unwrap();
    let numbers: Vec<_> = detail.series[0]
        .instances
        .iter()
        .map(|i| i.instance_number)
        .collect();
    assert_eq!(numbers, [Some(1), Some(2), Some(3)]);
    assert_eq!(detail.series[0].instances[0].slice_location, Some(-12.5));

    let uid = &detail.series[0].instances[1].sop_instance_uid;
    let back = store.instance_file(&doc, uid).unwrap();
    assert_eq!(
        back.bytes,
        std::fs::read(files.path().join("2.dcm")).unwrap()
    );
    let reads = store
        .audit_report(
            &admin,
            &AuditFilter {
                action: Some("read".into()),
                category: Some("imaging".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].patient_id.as_deref(), Some(ada.as_str()));
    assert_eq!(reads[0].username, "doc");
    assert!(store.verify_audit(&admin).unwrap().intact);
}

#[test]
fn a_large_study_is_committed_in_parts_so_other_writers_get_their_turn() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    patient(&mut store, &admin, "MRN-8", "Grace", "Hopper", "1906-12-09");
    let files = tempfile::tempdir().unwrap();
    let mut uids = Vec::new();
    let mut bytes = 0;
    for i in 1..=40 {
        let ids = Ids::new("mrn-8", "HOPPER^GRACE", "19061209", 8, 1, i);
        let file = clinical_ct(&ids);
        bytes += file.len();
        std::fs::write(files.path().join(format!("{i}.dcm")), file).unwrap();
        uids.push(ids.instance);
    }
    assert!(
        bytes > TRANSACTION_BYTES,
        "{bytes} bytes fit one transaction"
    );

    // A second connection, as the front desk's or the sync worker's, sees
    // what each part committed while the import goes on.
    let other = Store::open(
        dir.path(),
        &Unlock {
            passphrase: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let mut committed_while_storing = Vec::new();
    let report = import_paths(
        &mut store,
        &admin,
        &[files.path().to_path_buf()],
        &mut |p| {
            if p.phase == Phase::Storing {
                let n = uids
                    .iter()
                    .filter(|u| other.has_instance(u).unwrap())
                    .count();
                committed_while_storing.push(n);
            }
        },
    )
    .unwrap();
    assert_eq!(report.imported, 40);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.studies.len(), 1, "one study, however many parts");
    assert_eq!(report.studies[0].imported, 40);
    assert_eq!(report.studies[0].link_state, Some(LinkState::Linked));
    let (first, last) = (committed_while_storing[0], committed_while_storing[39]);
    assert_eq!(first, 0, "nothing is committed before the first part");
    assert!(
        (20..40).contains(&last),
        "the earlier parts were committed before the last began: {last}"
    );
    assert!(committed_while_storing.is_sorted());

    // Each part is audited with what it added.
    let imports = store
        .audit_report(
            &admin,
            &AuditFilter {
                action: Some("import".into()),
                category: Some("imaging".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(imports.len(), 2, "{imports:?}");
    assert!(store.verify_audit(&admin).unwrap().intact);
    let again = import_paths(
        &mut store,
        &admin,
        &[files.path().to_path_buf()],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((again.imported, again.already_present), (0, 40));
}

#[test]
fn differing_demographics_hold_the_study_until_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    let ada = patient(&mut store, &admin, "MRN-7", "Ada", "Lovelace", "1815-12-10");
    let desk = user(&mut store, &admin, "desk", Role::FrontDesk);
    let nurse = user(&mut store, &admin, "nurse", Role::Nurse);
    let doc = user(&mut store, &admin, "doc", Role::Physician);
    let wrong = Ids::new("MRN-7", "BYRON^ADA", "18151211", 2, 1, 1);
    let unknown = Ids::new("MRN-999", "DOE^JANE", "19800101", 3, 1, 1);
    let parts = vec![
        ("wrong".to_string(), small_ct(&wrong)),
        ("unknown".to_string(), small_ct(&unknown)),
    ];
    let report = import_bytes(&mut store, &desk, parts, "a test", &mut |_| {}).unwrap();
    assert_eq!(report.imported, 2);
    let held: Vec<_> = report.needs_confirmation().collect();
    assert_eq!(held.len(), 2);
    let issues = held[0].link_issues.join("; ");
    assert!(
        issues.contains("name differs: the images say BYRON^ADA, the clinic has Lovelace, Ada"),
        "{issues}"
    );
    assert!(
        issues.contains("birth date differs: the images say 1815-12-11, the clinic has 1815-12-10"),
        "{issues}"
    );
    assert!(held[1].link_issues[0].contains("no patient has MRN MRN-999"));

    // Not linked: the patient's list does not show it.
    let mine = store
        .studies(
            &desk,
            &StudyFilter {
                patient_mrn: Some("MRN-7".into()),
                state: None,
            },
        )
        .unwrap();
    assert!(mine.is_empty());
    let waiting = store
        .studies(
            &desk,
            &StudyFilter {
                patient_mrn: None,
                state: Some(LinkState::NeedsConfirmation),
            },
        )
        .unwrap();
    assert_eq!(waiting.len(), 2);

    // Nurses and the front desk may not decide; physicians may.
    for who in [&nurse, &desk] {
        let err = store.confirm_study(who, &wrong.study, "MRN-7").unwrap_err();
        assert!(matches!(err, StoreError::Denied { .. }), "{err}");
    }
    let linked = store.confirm_study(&doc, &wrong.study, "mrn-7").unwrap();
    assert_eq!(linked.link_state, LinkState::Linked);
    assert_eq!(linked.patient_id.as_deref(), Some(ada.as_str()));
    // Again for the same patient changes nothing; for another, refused.
    store.confirm_study(&doc, &wrong.study, "MRN-7").unwrap();
    patient(&mut store, &admin, "MRN-8", "Grace", "Hopper", "1906-12-09");
    let err = store
        .confirm_study(&doc, &wrong.study, "MRN-8")
        .unwrap_err();
    assert!(err.to_string().contains("already linked"), "{err}");

    let links = store
        .audit_report(
            &admin,
            &AuditFilter {
                action: Some("link".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(links.len(), 1);
    assert!(
        links[0].detail.contains("name differs"),
        "{}",
        links[0].detail
    );

    // Only clinicians view images.
    let err = store.study(&desk, &wrong.study).unwrap_err();
    assert!(matches!(err, StoreError::Denied { .. }), "{err}");
}

#[test]
fn bad_files_are_reported_one_by_one_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    let files = tempfile::tempdir().unwrap();
    let good = Ids::new("P1", "A^B", "20000101", 4, 1, 1);
    let bytes = small_ct(&good);
    std::fs::write(files.path().join("good.dcm"), &bytes).unwrap();
    std::fs::write(files.path().join("cut.dcm"), &bytes[..200]).unwrap();
    std::fs::write(files.path().join("text.dcm"), "hello").unwrap();
    // Same study, but another patient ID: refused, the study keeps its patient.
    let other = Ids {
        patient_id: "P2".into(),
        instance: format!("{}.9", good.series),
        ..good.clone()
    };
    std::fs::write(files.path().join("other.dcm"), small_ct(&other)).unwrap();
    let named: Vec<_> = [
        "good.dcm",
        "cut.dcm",
        "text.dcm",
        "other.dcm",
        "missing.dcm",
    ]
    .iter()
    .map(|n| files.path().join(n))
    .collect();
    let report = import_paths(&mut store, &admin, &named, &mut |_| {}).unwrap();
    assert_eq!(report.imported, 1);
    let reason = |name: &str| {
        report
            .failed
            .iter()
            .find(|f| f.source.ends_with(name))
            .map(|f| f.reason.clone())
            .unwrap_or_else(|| panic!("{name} not reported: {:?}", report.failed))
    };
    assert!(reason("cut.dcm").contains("could not be read"));
    assert!(reason("text.dcm").starts_with("not a DICOM file"));
    assert!(reason("other.dcm").contains("names patient ID P2, but study"));
    assert!(reason("missing.dcm").contains("cannot be read"));
    assert_eq!(report.failed.len(), 4);
}

#[test]
fn billers_may_not_import_and_the_front_desk_may_not_read_images() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    let biller = user(&mut store, &admin, "biller", Role::Biller);
    let ids = Ids::new("P1", "A^B", "20000101", 5, 1, 1);
    let err = import_bytes(
        &mut store,
        &biller,
        vec![("x".into(), small_ct(&ids))],
        "a test",
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Denied { .. }));
    import_bytes(
        &mut store,
        &admin,
        vec![("x".into(), small_ct(&ids))],
        "a test",
        &mut |_| {},
    )
    .unwrap();
    let desk = user(&mut store, &admin, "desk", Role::FrontDesk);
    assert!(matches!(
        store.instance_file(&desk, &ids.instance),
        Err(StoreError::Denied { .. })
    ));
}

#[test]
fn pydicom_files_and_its_dicomdir_media() {
    let Some(data) = fetched() else {
        eprintln!("skipped: run scripts/fetch-dicom-data.sh for pydicom's files");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());

    // Every pydicom file: a folder walk, bad ones reported with reasons.
    let started = std::time::Instant::now();
    let report = import_paths(&mut store, &admin, &[data.join("pydicom")], &mut |_| {}).unwrap();
    eprintln!(
        "{} imported, {} already present, in {:?}",
        report.imported,
        report.already_present,
        started.elapsed()
    );
    for f in &report.failed {
        eprintln!("{}: {}", f.source, f.reason);
    }
    // Refused by the length check before dicom-rs reads them: without it,
    // SC_rgb_jpeg.dcm's 1.2 GB attribute cost seconds and gigabytes.
    for name in [
        "MR_truncated.dcm",
        "SC_rgb_jpeg.dcm",
        "rtplan_truncated.dcm",
    ] {
        let f = report
            .failed
            .iter()
            .find(|f| f.source.ends_with(name))
            .unwrap_or_else(|| panic!("{name} is refused"));
        assert!(
            f.reason.contains("bytes but only") && f.reason.contains("are left in the file"),
            "{name}: {}",
            f.reason
        );
    }
    assert!(report.imported >= 30, "{} imported", report.imported);
    for f in report.failed.iter().chain(&report.skipped) {
        assert!(!f.reason.is_empty(), "{f:?}");
    }
    let again = import_paths(&mut store, &admin, &[data.join("pydicom")], &mut |_| {}).unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(
        again.already_present,
        report.imported + report.already_present
    );

    // The DICOMDIR names the files on the medium; each is read once.
    let media = data.join("pydicom-dicomdir");
    let report = import_paths(&mut store, &admin, &[media.join("DICOMDIR")], &mut |_| {}).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.imported >= 30, "{} imported", report.imported);
    assert!(report.studies.len() >= 2);
    assert!(
        report.needs_confirmation().count() == report.studies.len(),
        "no such patients here"
    );
    let again = import_paths(&mut store, &admin, &[media], &mut |_| {}).unwrap();
    assert_eq!(
        (again.imported, again.already_present),
        (0, report.imported)
    );
    assert!(store.verify_audit(&admin).unwrap().intact);
}
