//! The viewer below the window, on pydicom's test files: files dropped on
//! the app are imported in the background with progress; a study is
//! confirmed for a patient, opened, and its frames sent as the raw values
//! the window windows (checked against the decoder), colour and
//! multi-frame images too; thumbnails, tags and PNG export; annotations
//! by role; nothing for a locked desk.
//!
//! Data: CLINICDESK_TEST_DATA (scripts/fetch-dicom-data.sh); without it the
//! test is skipped with the reason, except under CI.

mod common;

use clinicdesk_desktop::*;
use clinicdesk_imaging::{Image, Samples, Window};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{AnnotationKind, NewAnnotation};
use common::{login, PASSWORD};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn pydicom() -> Option<PathBuf> {
    let dir = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        })
        .join("pydicom");
    if dir.join("CT_small.dcm").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing (required under CI); run scripts/fetch-dicom-data.sh",
        dir.display()
    );
    eprintln!("skipped: run scripts/fetch-dicom-data.sh");
    None
}

/// The header and the values of a frame message.
fn split(msg: &[u8]) -> (serde_json::Value, &[u8]) {
    let len = u32::from_le_bytes(msg[..4].try_into().unwrap()) as usize;
    assert_eq!((4 + len) % 8, 0, "values start 8-byte aligned");
    (
        serde_json::from_slice(&msg[4..4 + len]).unwrap(),
        &msg[4 + len..],
    )
}

fn at(series_uid: &str, sop_instance_uid: &str, frame: u32) -> FrameRef {
    FrameRef {
        series_uid: series_uid.into(),
        sop_instance_uid: sop_instance_uid.into(),
        frame,
    }
}

/// The demo clinic in `dir`, its desk and a viewer beside it.
fn demo_desk_and_viewer(dir: &std::path::Path) -> (Desk, Viewer) {
    clinicdesk_demo::open_all_day(
        dir,
        clinicdesk_demo::morning_zone(),
        Keychain::default(),
        PASSWORD,
    )
    .unwrap();
    let desk = Desk::new(dir, Keychain::default());
    let viewer = Viewer::new(dir, desk.unlock(), Keychain::default());
    (desk, viewer)
}

fn wait(viewer: &Viewer) -> ImportUpdate {
    let start = Instant::now();
    loop {
        if let Some(u) = viewer.import_status().filter(|u| u.finished) {
            return u;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "import still running"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn images_are_imported_viewed_measured_and_exported() {
    let Some(data) = pydicom() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (mut desk, viewer) = demo_desk_and_viewer(dir.path());
    let seen = Arc::new(Mutex::new(Vec::<ImportUpdate>::new()));
    let sink = seen.clone();
    viewer.set_notify(move |u| sink.lock().unwrap().push(u.clone()));

    // A CD's worth: four images and something that is not DICOM.
    let cd = tempfile::tempdir().unwrap();
    for f in [
        "CT_small.dcm",
        "MR_small_RLE.dcm",
        "examples_rgb_color.dcm",
        "rtdose.dcm",
    ] {
        std::fs::copy(data.join(f), cd.path().join(f)).unwrap();
    }
    std::fs::write(cd.path().join("README.TXT"), "Viewer for Windows").unwrap();
    std::fs::write(cd.path().join("IMAGE9.dcm"), b"DICM but cut short").unwrap();

    // The front desk imports the disc, but may not look at it.
    login(&mut desk, "reception");
    let session = desk.viewer_session().unwrap();
    let e = viewer
        .import(
            &session,
            &ImportImagesInput {
                paths: vec![" ".into()],
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    let first = viewer
        .import(
            &session,
            &ImportImagesInput {
                paths: vec![cd.path().display().to_string()],
            },
        )
        .unwrap();
    assert!(!first.finished);
    let done = wait(&viewer);
    let report = done.report.clone().expect("a report");
    assert_eq!(report.imported, 4, "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].source.ends_with("IMAGE9.dcm"));
    assert!(report
        .skipped
        .iter()
        .any(|s| s.source.ends_with("README.TXT")));
    let updates = seen.lock().unwrap().clone();
    assert!(updates.iter().any(|u| !u.finished && u.total > 0));
    assert!(updates.last().unwrap().finished);
    let e = viewer
        .open_series(
            &session,
            &SeriesRef {
                series_uid: "1.2.3".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, "denied", "{e:?}");

    // The physician confirms the CT for a patient and opens it.
    login(&mut desk, "drhale");
    let patient = desk
        .register_patient(&RegisterInput {
            patient: PatientFields {
                mrn: Some("CT0001".into()),
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                birth_date: "1960-01-01".into(),
                sex: Some("female".into()),
                ..Default::default()
            },
            coverage: None,
        })
        .unwrap();
    let waiting = desk
        .imaging_studies(&StudiesInput {
            mrn: None,
            waiting: true,
        })
        .unwrap();
    assert_eq!(waiting.len(), 4);
    let ct_file = std::fs::read(data.join("CT_small.dcm")).unwrap();
    let ct = Image::from_bytes(&ct_file).unwrap();
    let study_uid = ct.info().study_instance_uid.clone().unwrap();
    desk.confirm_study(&ConfirmStudyInput {
        study_uid: study_uid.clone(),
        mrn: patient.mrn.clone(),
    })
    .unwrap();
    let mine = desk
        .imaging_studies(&StudiesInput {
            mrn: Some("ct0001".into()),
            waiting: false,
        })
        .unwrap();
    assert_eq!(mine.len(), 1);
    let view = desk
        .imaging_study(&StudyRef {
            study_uid: study_uid.clone(),
        })
        .unwrap();
    assert!(view.annotations.is_empty());
    let series_uid = view.detail.series[0].series_uid.clone();
    let session = desk.viewer_session().unwrap();
    let uids = viewer
        .open_series(
            &session,
            &SeriesRef {
                series_uid: series_uid.clone(),
            },
        )
        .unwrap();
    assert_eq!(uids.len(), 1);

    // The frame is the decoder's stored values, with the file's window.
    let msg = viewer
        .frame(&session, &at(&series_uid, &uids[0], 0))
        .unwrap();
    let (h, values) = split(&msg);
    assert_eq!(h["format"], "i16");
    assert_eq!(
        (h["rows"].as_u64(), h["columns"].as_u64()),
        (Some(128), Some(128))
    );
    assert_eq!(h["units"], "HU");
    assert!(h["pixel_spacing"].is_array());
    let Samples::I16(expected) = ct.stored_frame(0).unwrap().samples else {
        panic!("CT_small is signed 16-bit")
    };
    let got: Vec<i16> = values
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(got, expected);
    let (slope, intercept) = ct.rescale(0);
    assert_eq!(
        (h["slope"].as_f64(), h["intercept"].as_f64()),
        (Some(slope), Some(intercept))
    );
    let e = viewer
        .frame(&session, &at(&series_uid, &uids[0], 3))
        .unwrap_err();
    assert_eq!(e.kind, "not-found");
    assert!(e.message.contains("no frame 4"), "{}", e.message);

    let thumb = viewer
        .thumbnail(
            &session,
            &SeriesRef {
                series_uid: series_uid.clone(),
            },
        )
        .unwrap();
    let (th, px) = split(&thumb);
    assert_eq!(th["format"], "rgba");
    assert!(th["columns"].as_u64().unwrap() <= 96);
    assert_eq!(
        px.len() as u64,
        th["rows"].as_u64().unwrap() * th["columns"].as_u64().unwrap() * 4
    );

    let tags = viewer
        .tags(&session, &at(&series_uid, &uids[0], 0))
        .unwrap();
    assert!(tags.iter().any(|t| t.keyword == "PatientName"));

    // Saved as a PNG at the window on screen: the decoder's rendering.
    let out = tempfile::tempdir().unwrap();
    let export = ExportInput {
        series_uid: series_uid.clone(),
        sop_instance_uid: uids[0].clone(),
        frame: 0,
        center: Some(40.0),
        width: Some(400.0),
        invert: false,
        path: out.path().join("ct").display().to_string(),
        overlay_png: None,
    };
    let saved = viewer.export_png(&session, &export).unwrap();
    assert!(saved.path.ends_with("ct.png"));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&saved.path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        buf,
        ct.render_rgba(0, Window::custom(40.0, 400.0))
            .unwrap()
            .pixels
    );
    // With what the screen draws on top: an opaque green mark at the
    // top-left and half-transparent white below it; the rest untouched.
    let plain = buf.clone();
    let (w, h) = (saved.width, saved.height);
    let mut layer = vec![0u8; (w * h * 4) as usize];
    layer[..4].copy_from_slice(&[74, 222, 128, 255]);
    let below = (w * 4) as usize;
    layer[below..below + 4].copy_from_slice(&[255, 255, 255, 128]);
    let encode = |w: u32, h: u32, px: &[u8]| {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(px).unwrap();
        use base64::Engine;
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    };
    let marked = ExportInput {
        path: out.path().join("ct-marked.png").display().to_string(),
        overlay_png: Some(encode(w, h, &layer)),
        ..export.clone()
    };
    let saved = viewer.export_png(&session, &marked).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&saved.path).unwrap(),
    ))
    .read_info()
    .unwrap();
    let mut with = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut with).unwrap();
    assert_eq!(&with[..4], &[74, 222, 128, 255]);
    let blend = |under: u8| ((255 * 128 + u16::from(under) as u32 * 127 + 127) / 255) as u8;
    assert_eq!(with[below], blend(plain[below]));
    assert_eq!(
        &with[8..below],
        &plain[8..below],
        "untouched beside the marks"
    );
    // A layer of another size is refused in a sentence, and nothing written.
    let wrong = ExportInput {
        path: out.path().join("ct-wrong.png").display().to_string(),
        overlay_png: Some(encode(2, 2, &[0; 16])),
        ..export.clone()
    };
    let e = viewer.export_png(&session, &wrong).unwrap_err();
    assert!(
        e.message.contains(&format!("the image {w} × {h}")),
        "{}",
        e.message
    );
    assert!(!out.path().join("ct-wrong.png").exists());
    std::fs::remove_file(&saved.path).unwrap();

    let nowhere = ExportInput {
        path: "/proc/no/such/folder/ct.png".into(),
        ..export
    };
    assert_eq!(
        viewer.export_png(&session, &nowhere).unwrap_err().kind,
        "io"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "no temporary file left"
    );

    // A measurement on the CT, then a nurse who may look but not draw.
    let distance = NewAnnotation {
        sop_instance_uid: uids[0].clone(),
        frame: 0,
        kind: AnnotationKind::Distance,
        points: vec![[10.0, 10.0], [60.0, 10.0]],
        label: String::new(),
    };
    let e = desk
        .add_annotation(&NewAnnotation {
            points: vec![[1.0, 1.0]],
            ..distance.clone()
        })
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert_eq!(e.message, "A distance takes 2 points, not 1.");
    let a = desk.add_annotation(&distance).unwrap();
    let view = desk
        .imaging_study(&StudyRef {
            study_uid: study_uid.clone(),
        })
        .unwrap();
    assert_eq!(view.annotations.len(), 1);
    login(&mut desk, "admin");
    desk.add_user(&NewUserInput {
        username: "nurse".into(),
        display_name: "Nina Nurse".into(),
        role: "nurse".into(),
        password: PASSWORD.into(),
        provider_id: None,
    })
    .unwrap();
    login(&mut desk, "nurse");
    assert_eq!(desk.add_annotation(&distance).unwrap_err().kind, "denied");
    assert_eq!(
        desk.remove_annotation(&AnnotationRef { id: a.id.clone() })
            .unwrap_err()
            .kind,
        "denied"
    );
    let nurse = desk.viewer_session().unwrap();
    // Another user opens the series for themselves; what drhale opened is not theirs.
    let e = viewer
        .frame(&nurse, &at(&series_uid, &uids[0], 0))
        .unwrap_err();
    assert_eq!(e.kind, "not-found");
    viewer
        .open_series(
            &nurse,
            &SeriesRef {
                series_uid: series_uid.clone(),
            },
        )
        .unwrap();

    // Colour and multi-frame images.
    let mut by_name = std::collections::HashMap::new();
    for s in desk.imaging_studies(&StudiesInput::default()).unwrap() {
        let detail = desk
            .imaging_study(&StudyRef {
                study_uid: s.study_uid.clone(),
            })
            .unwrap();
        for series in detail.detail.series {
            let uids = viewer
                .open_series(
                    &nurse,
                    &SeriesRef {
                        series_uid: series.series_uid.clone(),
                    },
                )
                .unwrap();
            for i in series.instances {
                by_name.insert(
                    i.sop_instance_uid.clone(),
                    (series.series_uid.clone(), i, uids.len()),
                );
            }
        }
    }
    let rgb =
        Image::from_bytes(&std::fs::read(data.join("examples_rgb_color.dcm")).unwrap()).unwrap();
    let rgb_uid = rgb.info().sop_instance_uid.clone().unwrap();
    let (rgb_series, _, _) = by_name[&rgb_uid].clone();
    let msg = viewer.frame(&nurse, &at(&rgb_series, &rgb_uid, 0)).unwrap();
    let (h, px) = split(&msg);
    assert_eq!(h["format"], "rgba");
    assert_eq!(h["fixed"], "colour image: shown as stored");
    assert_eq!(
        px,
        rgb.render_rgba(0, Window::from_file_default())
            .unwrap()
            .pixels
            .as_slice()
    );

    let dose = Image::from_bytes(&std::fs::read(data.join("rtdose.dcm")).unwrap()).unwrap();
    let dose_uid = dose.info().sop_instance_uid.clone().unwrap();
    let (dose_series, row, _) = by_name[&dose_uid].clone();
    assert_eq!(row.frames, Some(i64::from(dose.frames())));
    let last = dose.frames() - 1;
    let msg = viewer
        .frame(&nurse, &at(&dose_series, &dose_uid, last))
        .unwrap();
    let (h, _) = split(&msg);
    assert_eq!(h["frames"].as_u64(), Some(u64::from(dose.frames())));

    // Locked: nothing.
    desk.lock(false);
    assert_eq!(desk.viewer_session().unwrap_err().kind, "locked");
}

/// The PACS from the Images screen: a search, then a retrieve in the
/// background with progress, against the real Orthanc that
/// scripts/with-orthanc.sh starts.
#[test]
fn studies_are_searched_and_retrieved_from_the_pacs_with_progress() {
    let Ok(url) = std::env::var("CLINICDESK_ORTHANC_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CLINICDESK_ORTHANC_URL is not set (required under CI: run under scripts/with-orthanc.sh)"
        );
        eprintln!("skipped: run under scripts/with-orthanc.sh");
        return;
    };
    let Some(data) = pydicom() else { return };
    let user = std::env::var("CLINICDESK_ORTHANC_USER").unwrap_or_default();
    let password = std::env::var("CLINICDESK_ORTHANC_PASSWORD").unwrap_or_default();
    let file = data.join("MR_small.dcm");
    let uploaded = std::process::Command::new("curl")
        .args(["-sf", "-u", &format!("{user}:{password}"), "--data-binary"])
        .arg(format!("@{}", file.display()))
        .arg(format!("{url}/instances"))
        .output()
        .expect("curl runs");
    assert!(uploaded.status.success(), "upload to Orthanc failed");
    let mr = Image::from_bytes(&std::fs::read(&file).unwrap()).unwrap();
    let study_uid = mr.info().study_instance_uid.clone().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (mut desk, viewer) = demo_desk_and_viewer(dir.path());
    login(&mut desk, "drhale");
    let session = desk.viewer_session().unwrap();
    let search = PacsSearchInput {
        patient_id: mr.info().patient_id.clone(),
        patient_name: None,
        study_date: None,
        modality: None,
    };
    let e = viewer.search_pacs(&session, &search).unwrap_err();
    assert_eq!(e.kind, "not-configured", "{e:?}");

    {
        let mut store =
            clinicdesk_store::Store::open(dir.path(), &clinicdesk_store::Unlock::default())
                .unwrap();
        let admin = store.login("admin", PASSWORD).unwrap();
        let settings = clinicdesk_store::PacsSettings {
            url: format!("{url}/dicom-web"),
            username: Some(user.clone()),
            timeout_secs: 30,
        };
        let saved = store
            .set_pacs_settings(&admin, Some(settings))
            .unwrap()
            .unwrap();
        Keychain::default()
            .save_secret(&saved.keychain_account().unwrap(), &password)
            .unwrap();
    }
    let found = viewer.search_pacs(&session, &search).unwrap();
    assert!(found.iter().any(|s| s.study_uid == study_uid), "{found:?}");
    let bad = viewer
        .search_pacs(
            &session,
            &PacsSearchInput {
                study_date: Some("yesterday".into()),
                ..search
            },
        )
        .unwrap_err();
    assert_eq!(bad.kind, "invalid", "{bad:?}");

    let seen = Arc::new(Mutex::new(Vec::<ImportUpdate>::new()));
    let sink = seen.clone();
    viewer.set_notify(move |u| sink.lock().unwrap().push(u.clone()));
    let first = viewer
        .retrieve(
            &session,
            &RetrieveInput {
                study_uid: study_uid.clone(),
            },
        )
        .unwrap();
    assert_eq!(first.source, "pacs");
    let done = wait(&viewer);
    assert_eq!(done.error, None);
    assert_eq!(done.report.as_ref().unwrap().imported, 1, "{done:?}");
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|u| u.phase == clinicdesk_archive::Phase::Receiving));
    let here = desk
        .imaging_studies(&StudiesInput {
            mrn: None,
            waiting: true,
        })
        .unwrap();
    assert!(here.iter().any(|s| s.study_uid == study_uid));
}
