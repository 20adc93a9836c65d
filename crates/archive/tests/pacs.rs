//! Search and retrieve against a real Orthanc with its DICOMweb plugin
//! (scripts/with-orthanc.sh starts one). The test uploads its instances
//! through Orthanc's REST API, then searches (QIDO-RS), retrieves (WADO-RS)
//! into the encrypted store, retrieves again (nothing changes), and reads
//! the instances back with no PACS to ask.

mod common;

use clinicdesk_archive::{read_meta, PacsClient, PacsError, Phase, StudyQuery};
use clinicdesk_store::{PacsSettings, StudyFilter};
use common::*;

struct Orthanc {
    url: String,
    user: String,
    password: String,
}

fn orthanc() -> Option<Orthanc> {
    let url = std::env::var("CLINICDESK_ORTHANC_URL").ok()?;
    Some(Orthanc {
        url,
        user: std::env::var("CLINICDESK_ORTHANC_USER").unwrap_or_default(),
        password: std::env::var("CLINICDESK_ORTHANC_PASSWORD").unwrap_or_default(),
    })
}

fn upload(o: &Orthanc, bytes: Vec<u8>) {
    // reqwest's own client needs a process-wide TLS provider, even for http.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/instances", o.url))
        .basic_auth(&o.user, Some(&o.password))
        .body(bytes)
        .send()
        .expect("Orthanc answers");
    assert!(resp.status().is_success(), "upload: {}", resp.status());
}

/// A number no earlier run used, so reruns against one Orthanc never collide.
fn unique() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (nanos % 1_000_000_000) as u32
}

#[test]
fn studies_are_searched_retrieved_once_and_stay_viewable() {
    let Some(o) = orthanc() else {
        eprintln!("skipped: CLINICDESK_ORTHANC_URL is not set (run under scripts/with-orthanc.sh)");
        return;
    };
    let Some(data) = fetched() else {
        eprintln!("skipped: run scripts/fetch-dicom-data.sh for pydicom's files");
        return;
    };
    let n = unique();
    let mrn = format!("PACS-{n}");
    let ct = std::fs::read(data.join("pydicom/CT_small.dcm")).unwrap();
    let rle = std::fs::read(data.join("pydicom/MR_small_RLE.dcm")).unwrap();
    let mut uploaded = Vec::new();
    for i in 1..=4 {
        let ids = Ids::new(&mrn, "LOVELACE^ADA", "18151210", n, 1, i);
        uploaded.push((ids.instance.clone(), relabel(&ct, &ids)));
    }
    // A second series kept in RLE Lossless: retrieved as stored, not transcoded.
    let ids = Ids::new(&mrn, "LOVELACE^ADA", "18151210", n, 2, 1);
    uploaded.push((ids.instance.clone(), relabel(&rle, &ids)));
    for (_, bytes) in &uploaded {
        upload(&o, bytes.clone());
    }
    let study_uid = ids.study.clone();

    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = clinic(dir.path());
    patient(&mut store, &admin, &mrn, "Ada", "Lovelace", "1815-12-10");
    let settings = PacsSettings {
        url: format!("{}/dicom-web", o.url),
        username: Some(o.user.clone()),
        timeout_secs: 30,
    };
    store
        .set_pacs_settings(&admin, Some(settings.clone()))
        .unwrap();
    let stored = store.pacs_settings().unwrap().unwrap();

    // A wrong password is named as such.
    let wrong = PacsClient::new(stored.clone(), Some("not the password")).unwrap();
    let err = wrong
        .search(&mut store, &admin, &StudyQuery::default())
        .unwrap_err();
    assert!(matches!(err, PacsError::Unauthorized), "{err}");

    let client = PacsClient::new(stored.clone(), Some(&o.password)).unwrap();
    let found = client
        .search(
            &mut store,
            &admin,
            &StudyQuery {
                patient_id: Some(mrn.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].study_uid, study_uid);
    assert_eq!(found[0].instances, Some(5));
    assert_eq!(found[0].patient_name.as_deref(), Some("LOVELACE^ADA"));
    let by_name = client
        .search(
            &mut store,
            &admin,
            &StudyQuery {
                patient_name: Some("LOVELACE*".into()),
                modality: Some("CT".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(by_name.iter().any(|s| s.study_uid == study_uid));

    let mut phases = Vec::new();
    let report = client
        .retrieve(&mut store, &admin, &study_uid, &mut |p| phases.push(p))
        .unwrap();
    assert_eq!(report.imported, 5, "{:?}", report.failed);
    assert!(report.failed.is_empty());
    let received = phases
        .iter()
        .rfind(|p| p.phase == Phase::Receiving)
        .unwrap();
    assert_eq!((received.done, received.total), (5, 5));
    // Series by series: the first series is stored before the second is
    // received, and the counts run over the whole study.
    let first_stored = phases.iter().position(|p| p.phase == Phase::Storing);
    let last_received = phases.iter().rposition(|p| p.phase == Phase::Receiving);
    assert!(first_stored < last_received, "{phases:?}");
    let last_stored = phases.iter().rfind(|p| p.phase == Phase::Storing).unwrap();
    assert_eq!((last_stored.done, last_stored.total), (5, 5), "{phases:?}");
    let again = client
        .retrieve(&mut store, &admin, &study_uid, &mut |_| {})
        .unwrap();
    assert_eq!((again.imported, again.already_present), (0, 5));

    let err = client
        .retrieve(&mut store, &admin, "1.2.3.4.5.6.7.8.9", &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, PacsError::NoSuchStudy(_)), "{err}");

    // No PACS to ask: an address where nothing listens.
    let gone = PacsClient::new(
        PacsSettings {
            url: "http://127.0.0.1:9/dicom-web".into(),
            ..stored
        },
        Some(&o.password),
    )
    .unwrap();
    let err = gone
        .search(&mut store, &admin, &StudyQuery::default())
        .unwrap_err();
    assert!(err.to_string().contains("could not be reached"), "{err}");
    let studies = store
        .studies(
            &admin,
            &StudyFilter {
                patient_mrn: Some(mrn.clone()),
                state: None,
            },
        )
        .unwrap();
    assert_eq!(studies.len(), 1, "linked by MRN, name and birth date");
    assert_eq!((studies[0].series, studies[0].instances), (2, 5));
    let doc = user(
        &mut store,
        &admin,
        "doc",
        clinicdesk_domain::Role::Physician,
    );
    for (uid, original) in &uploaded {
        let back = store.instance_file(&doc, uid).unwrap();
        let meta = read_meta(&back.bytes).unwrap();
        let sent = read_meta(original).unwrap();
        assert_eq!(meta.transfer_syntax_uid, sent.transfer_syntax_uid, "{uid}");
        assert_eq!(meta.sop_instance_uid, *uid);
    }
    let searches = store
        .audit_report(
            &admin,
            &clinicdesk_store::AuditFilter {
                category: Some("pacs".into()),
                action: Some("search".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(searches.len() >= 2);
}
