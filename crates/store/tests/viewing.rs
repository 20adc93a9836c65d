//! The viewer's data: a series opened once (audited once) and read slice
//! by slice, annotations checked against their image and synced between
//! desktops by DICOM UID, removal only by their author, exports audited.

mod common;

use clinicdesk_domain::Role;
use clinicdesk_store::imaging::{InstanceMeta, LinkState, StudyFilter};
use clinicdesk_store::*;
use common::*;

const STUDY: &str = "1.2.826.0.1.3680043.8.498.1";
const SERIES: &str = "1.2.826.0.1.3680043.8.498.1.1";

fn meta(n: i64) -> InstanceMeta {
    InstanceMeta {
        patient_id: Some("NOBODY-HERE".into()),
        patient_name: Some("Lovelace^Ada".into()),
        study_uid: STUDY.into(),
        series_uid: SERIES.into(),
        modality: Some("CT".into()),
        sop_instance_uid: format!("{SERIES}.{n}"),
        sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".into(),
        transfer_syntax_uid: "1.2.840.10008.1.2.1".into(),
        instance_number: Some(n),
        rows: Some(512),
        columns: Some(512),
        frames: Some(1),
        ..Default::default()
    }
}

/// Three slices, stored in reverse order; their bytes say which they are.
fn import(store: &mut Store, session: &Session) {
    let incoming = (1..=3).rev().map(|n| Incoming {
        source: format!("slice {n}"),
        read: Ok((meta(n), format!("slice {n}").into_bytes())),
    });
    store
        .import_study(session, STUDY, incoming, "a test", |_, _| {})
        .unwrap();
}

fn actions(store: &mut Store, admin: &Session, action: &str) -> Vec<AuditRow> {
    store
        .audit_report(
            admin,
            &AuditFilter {
                action: Some(action.into()),
                ..Default::default()
            },
        )
        .unwrap()
}

fn distance(uid: &str) -> NewAnnotation {
    NewAnnotation {
        sop_instance_uid: uid.into(),
        frame: 0,
        kind: AnnotationKind::Distance,
        points: vec![[10.0, 10.0], [110.5, 10.0]],
        label: " lesion ".into(),
    }
}

#[test]
fn a_series_opens_once_audited_and_reads_its_slices_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    let doctor = user(&mut store, &admin, "drhale", Role::Physician, None);
    let desk = user(&mut store, &admin, "desk", Role::FrontDesk, None);
    import(&mut store, &desk);
    assert_eq!(
        store.studies(&desk, &StudyFilter::default()).unwrap()[0].link_state,
        LinkState::NeedsConfirmation
    );

    let e = store.open_series(&desk, SERIES).unwrap_err();
    assert!(e.to_string().contains("view medical images"), "{e}");
    let access = store.open_series(&doctor, SERIES).unwrap();
    assert_eq!(access.study_uid(), STUDY);
    let order: Vec<_> = access
        .instances()
        .iter()
        .map(|u| u.rsplit('.').next().unwrap().to_string())
        .collect();
    assert_eq!(order, ["1", "2", "3"]);
    for (i, uid) in access.instances().iter().enumerate() {
        assert_eq!(
            store.series_file(&access, uid).unwrap(),
            format!("slice {}", i + 1).into_bytes()
        );
    }
    let e = store.series_file(&access, "1.2.3.4").unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    // One entry for the series, none per slice.
    let read = actions(&mut store, &admin, "read-series");
    assert_eq!(read.len(), 1);
    assert!(read[0].detail.contains("3 images"));
    assert!(actions(&mut store, &admin, "read").is_empty());

    store
        .record_image_export(&doctor, &access, &access.instances()[0], "/tmp/slice.png")
        .unwrap();
    let export = actions(&mut store, &admin, "export");
    assert_eq!(export.len(), 1);
    assert!(export[0].detail.ends_with("to /tmp/slice.png"));
}

#[test]
fn annotations_are_checked_saved_and_removed_only_by_their_author() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, admin) = new_clinic(dir.path(), daytime_zone());
    let doctor = user(&mut store, &admin, "drhale", Role::Physician, None);
    let other = user(&mut store, &admin, "drwu", Role::Physician, None);
    let nurse = user(&mut store, &admin, "nurse", Role::Nurse, None);
    import(&mut store, &doctor);
    let uid = format!("{SERIES}.2");

    let e = store.add_annotation(&nurse, &distance(&uid)).unwrap_err();
    assert!(e.to_string().contains("measure and annotate images"), "{e}");
    let e = store
        .add_annotation(&doctor, &distance("9.9.9"))
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let mut outside = distance(&uid);
    outside.points[1] = [600.0, 10.0];
    let e = store.add_annotation(&doctor, &outside).unwrap_err();
    assert!(
        e.to_string()
            .contains("outside the image (512 × 512 pixels)"),
        "{e}"
    );

    let saved = store.add_annotation(&doctor, &distance(&uid)).unwrap();
    assert_eq!(saved.study_uid, STUDY);
    assert_eq!(saved.series_uid, SERIES);
    assert_eq!(saved.label, "lesion");
    assert_eq!(saved.created_by_name.as_deref(), Some("drhale"));
    let listed = store.annotations(&nurse, STUDY).unwrap();
    assert_eq!(listed, vec![saved.clone()]);

    let e = store.remove_annotation(&other, &saved.id).unwrap_err();
    assert!(e.to_string().contains("only the person who drew"), "{e}");
    store.remove_annotation(&doctor, &saved.id).unwrap();
    assert!(store.annotations(&doctor, STUDY).unwrap().is_empty());
    assert_eq!(actions(&mut store, &admin, "annotate").len(), 1);
    assert_eq!(actions(&mut store, &admin, "remove-annotation").len(), 1);
}

#[test]
fn annotations_are_moved_and_relabelled_only_by_their_author_and_the_change_syncs() {
    let zone = daytime_zone();
    let (_a_dir, mut a, a_admin) = another_desktop(zone, "admin-a");
    let (_b_dir, mut b, b_admin) = another_desktop(zone, "admin-b");
    let doctor = user(&mut a, &a_admin, "drhale", Role::Physician, None);
    let other = user(&mut a, &a_admin, "drwu", Role::Physician, None);
    import(&mut a, &doctor);
    let saved = a
        .add_annotation(&doctor, &distance(&format!("{SERIES}.2")))
        .unwrap();
    let moved = AnnotationEdit {
        id: saved.id.clone(),
        points: Some(vec![[20.0, 30.0], [120.5, 30.0]]),
        label: None,
    };

    let e = a.edit_annotation(&other, &moved).unwrap_err();
    assert!(e.to_string().contains("only the person who drew"), "{e}");
    let mut outside = moved.clone();
    outside.points = Some(vec![[20.0, 30.0], [900.0, 30.0]]);
    let e = a.edit_annotation(&doctor, &outside).unwrap_err();
    assert!(e.to_string().contains("outside the image"), "{e}");
    let mut three = moved.clone();
    three.points = Some(vec![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]);
    let e = a.edit_annotation(&doctor, &three).unwrap_err();
    assert!(e.to_string().contains("not 3"), "{e}");
    let e = a
        .edit_annotation(
            &doctor,
            &AnnotationEdit {
                id: "no-such".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");

    let after = a.edit_annotation(&doctor, &moved).unwrap();
    assert_eq!(after.points, vec![[20.0, 30.0], [120.5, 30.0]]);
    assert_eq!(after.label, "lesion", "the label stays");
    let relabelled = a
        .edit_annotation(
            &doctor,
            &AnnotationEdit {
                id: saved.id.clone(),
                points: None,
                label: Some("  lesion, smaller  ".into()),
            },
        )
        .unwrap();
    assert_eq!(relabelled.label, "lesion, smaller");
    assert_eq!(relabelled.points, after.points, "the points stay");
    assert_eq!(
        (relabelled.id, relabelled.created_at),
        (saved.id.clone(), saved.created_at)
    );
    let edits = actions(&mut a, &a_admin, "edit-annotation");
    assert_eq!(edits.len(), 2);
    assert!(
        edits.iter().any(|e| e.detail.starts_with("distance moved")),
        "{edits:?}"
    );

    b.apply_remote(&served(&a)).unwrap();
    let reader = user(&mut b, &b_admin, "drlee", Role::Physician, None);
    let seen = b.annotations(&reader, STUDY).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].points, vec![[20.0, 30.0], [120.5, 30.0]]);
    assert_eq!(seen[0].label, "lesion, smaller");
}

#[test]
fn annotations_travel_to_other_desktops_by_uid_and_so_do_removals() {
    let zone = daytime_zone();
    let (_a_dir, mut a, a_admin) = another_desktop(zone, "admin-a");
    let (_b_dir, mut b, b_admin) = another_desktop(zone, "admin-b");
    let doctor = user(&mut a, &a_admin, "drhale", Role::Physician, None);
    import(&mut a, &doctor);
    let saved = a
        .add_annotation(&doctor, &distance(&format!("{SERIES}.1")))
        .unwrap();
    let mut angle = distance(&format!("{SERIES}.3"));
    angle.kind = AnnotationKind::Angle;
    angle.points = vec![[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]];
    angle.label.clear();
    a.add_annotation(&doctor, &angle).unwrap();

    // Desktop B has not got the images, yet sees what was drawn on them.
    let report = b.apply_remote(&served(&a)).unwrap();
    assert_eq!(report.refused, 0, "{:?}", b.sync_refusals().unwrap());
    let reader = user(&mut b, &b_admin, "drwu", Role::Physician, None);
    let seen = b.annotations(&reader, STUDY).unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].points, saved.points);
    assert_eq!(seen[0].created_by_name.as_deref(), Some("drhale"));
    assert_eq!(seen[1].kind, AnnotationKind::Angle);
    let e = b.remove_annotation(&reader, &saved.id).unwrap_err();
    assert!(e.to_string().contains("only the person who drew"), "{e}");

    a.remove_annotation(&doctor, &saved.id).unwrap();
    b.apply_remote(&served(&a)).unwrap();
    let left = b.annotations(&reader, STUDY).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, AnnotationKind::Angle);
}
