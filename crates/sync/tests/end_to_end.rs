//! Two desktops and a real clinic server over TLS on loopback: enrollment
//! with the pinned certificate, pushing, pulling, merging, and what a
//! desktop does when the server is away or not the one it enrolled with.

mod support;

use clinicdesk_domain::Role;
use clinicdesk_store::*;
use clinicdesk_sync::SyncError;
use support::{desktop, Server};

fn register(store: &mut Store, session: &Session, given: &str) -> Patient {
    store
        .add_patient(
            session,
            &PatientInput {
                given_name: given.into(),
                family_name: "Sync".into(),
                birth_date: "1970-01-01".into(),
                ..Default::default()
            },
        )
        .unwrap()
}

#[test]
fn two_desktops_meet_through_the_server() {
    let server = Server::start(None);
    let (_a_dir, mut a, a_admin) = desktop("admin-a");
    let (_b_dir, mut b, b_admin) = desktop("admin-b");
    let roles = vec![Role::FrontDesk, Role::Admin];
    let sa = clinicdesk_sync::enroll(
        &mut a,
        &a_admin,
        &server.url(),
        &server.code(roles.clone()),
        "Front desk 1",
    )
    .unwrap();
    assert_eq!(sa.fingerprint.len(), 64);
    clinicdesk_sync::enroll(
        &mut b,
        &b_admin,
        &server.url(),
        &server.code(roles),
        "Front desk 2",
    )
    .unwrap();

    let ada = register(&mut a, &a_admin, "Ada");
    assert!(a.queued_changes().unwrap() > 0);
    let pushed = clinicdesk_sync::sync_now(&mut a).unwrap();
    assert!(pushed.pushed > 0);
    assert_eq!(pushed.rejected, 0);
    assert_eq!(a.queued_changes().unwrap(), 0);

    let pulled = clinicdesk_sync::sync_now(&mut b).unwrap();
    assert!(pulled.merge.applied > 0, "{pulled:?}");
    assert_eq!(b.patient(&b_admin, &ada.id).unwrap().given_name, "Ada");
    // B's own set-up went up; A gets it on its next sync, and both agree.
    clinicdesk_sync::sync_now(&mut a).unwrap();
    assert_eq!(a.sync_digest().unwrap(), b.sync_digest().unwrap());
    let progress = a.sync_progress().unwrap();
    assert!(progress.last_success_at.is_some() && progress.last_error.is_none());
    server.stop();
}

#[test]
fn offline_work_stays_queued_until_the_server_is_back() {
    let server = Server::start(None);
    let url = server.url();
    let (_dir, mut a, admin) = desktop("admin-a");
    clinicdesk_sync::enroll(
        &mut a,
        &admin,
        &url,
        &server.code(vec![Role::FrontDesk, Role::Admin]),
        "Desk",
    )
    .unwrap();
    clinicdesk_sync::sync_now(&mut a).unwrap();
    server.stop();
    std::thread::sleep(std::time::Duration::from_millis(200));

    register(&mut a, &admin, "Offline");
    let queued = a.queued_changes().unwrap();
    assert!(queued > 0);
    let err = clinicdesk_sync::sync_now(&mut a).unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err}");
    assert_eq!(
        a.queued_changes().unwrap(),
        queued,
        "nothing lost, nothing sent"
    );
    let progress = a.sync_progress().unwrap();
    assert!(progress.last_error.unwrap().contains("cannot reach"));
}

#[test]
fn a_server_with_another_certificate_is_refused() {
    let real = Server::start(None);
    let (_dir, mut a, admin) = desktop("admin-a");
    clinicdesk_sync::enroll(
        &mut a,
        &admin,
        &real.url(),
        &real.code(vec![Role::FrontDesk, Role::Admin]),
        "Desk",
    )
    .unwrap();
    // Another server (another certificate) now answers at that address.
    let impostor = Server::start(None);
    let mut settings = a.sync_settings().unwrap().unwrap();
    settings.url = impostor.url();
    a.set_sync_settings(&admin, &settings, None).unwrap();
    let err = clinicdesk_sync::sync_now(&mut a).unwrap_err();
    assert!(matches!(err, SyncError::WrongServer { .. }), "{err}");
    real.stop();
    impostor.stop();
}

#[test]
fn a_wrong_or_used_code_enrolls_nothing() {
    let server = Server::start(None);
    let (_dir, mut a, admin) = desktop("admin-a");
    let err = clinicdesk_sync::enroll(&mut a, &admin, &server.url(), "AAAA-BBBB-CCCC-DDDD", "Desk")
        .unwrap_err();
    assert!(err.to_string().contains("enrollment code"), "{err}");
    assert!(a.sync_settings().unwrap().is_none());
    let code = server.code(vec![Role::FrontDesk]);
    let err = clinicdesk_sync::enroll(&mut a, &admin, "http://clinic.example:8080", &code, "Desk")
        .unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
    let err = clinicdesk_sync::sync_now(&mut a).unwrap_err();
    assert!(matches!(err, SyncError::NotEnrolled));
    server.stop();
}

#[test]
fn a_watching_desktop_gets_a_new_patient_within_seconds() {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    let server = Server::start(None);
    let (_a_dir, mut a, a_admin) = desktop("admin-a");
    let (b_dir, mut b, b_admin) = desktop("admin-b");
    let roles = vec![Role::FrontDesk, Role::Admin];
    clinicdesk_sync::enroll(
        &mut a,
        &a_admin,
        &server.url(),
        &server.code(roles.clone()),
        "Desk A",
    )
    .unwrap();
    clinicdesk_sync::enroll(
        &mut b,
        &b_admin,
        &server.url(),
        &server.code(roles),
        "Desk B",
    )
    .unwrap();
    clinicdesk_sync::sync_now(&mut a).unwrap();

    let stop = Arc::new(clinicdesk_sync::WatchControl::default());
    let (flag, syncs) = (
        stop.clone(),
        Arc::new(std::sync::atomic::AtomicUsize::new(0)),
    );
    let counter = syncs.clone();
    // A long round: only the live notification can bring the patient quickly.
    let watcher = std::thread::spawn(move || {
        clinicdesk_sync::watch(&mut b, std::time::Duration::from_secs(60), &flag, |e| {
            if matches!(e, clinicdesk_sync::WatchEvent::Synced(_)) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
        .unwrap();
    });
    let started = std::time::Instant::now();
    while syncs.load(Ordering::Relaxed) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let grace = register(&mut a, &a_admin, "Grace");
    let pushed_at = std::time::Instant::now();
    clinicdesk_sync::sync_now(&mut a).unwrap();
    let reader = Store::open(b_dir.path(), &Unlock::default()).unwrap();
    let mut reader = reader;
    let seen_in = loop {
        if reader.patient(&b_admin, &grace.id).is_ok() {
            break pushed_at.elapsed();
        }
        assert!(
            pushed_at.elapsed() < std::time::Duration::from_secs(10),
            "B never got the patient"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        seen_in < std::time::Duration::from_secs(5),
        "took {seen_in:?}"
    );
    stop.stop();
    watcher.join().unwrap();
    server.stop();
}

/// A new desktop joins the running clinic with nothing but a code: no
/// administrator of its own, the clinic's people and records arrive from
/// the server, and they sign in with their usual passwords.
#[test]
fn a_new_desktop_joins_with_a_code_and_the_clinics_people_sign_in() {
    let server = Server::start(None);
    let (_a_dir, mut a, admin) = desktop("admin");
    let code = server.code(vec![Role::Admin, Role::FrontDesk]);
    clinicdesk_sync::enroll(&mut a, &admin, &server.url(), &code, "Office").unwrap();
    a.add_user(
        &admin,
        NewUser {
            username: "robin".into(),
            display_name: "Robin Reception".into(),
            role: Role::FrontDesk,
            password: "front desk passphrase".into(),
            provider_id: None,
        },
    )
    .unwrap();
    let ada = register(&mut a, &admin, "Ada");
    clinicdesk_sync::sync_now(&mut a).unwrap();

    let key = KeySetup::Keychain(clinicdesk_keys::Keychain::default());
    let zone = clinicdesk_domain::ClinicZone::parse("UTC").unwrap();
    // Joining needs a good code; a bad one leaves nothing behind.
    let b_dir = tempfile::tempdir().unwrap();
    let mut b = Store::create_joining(b_dir.path(), "Harbour Family Practice", zone, &key).unwrap();
    let err = clinicdesk_sync::join(&mut b, &server.url(), "AAAA-BBBB-CCCC-DDDD", "Front desk 2")
        .unwrap_err();
    assert!(err.to_string().contains("enrollment code"), "{err}");
    b.discard_unjoined(&key).unwrap();
    assert_eq!(std::fs::read_dir(b_dir.path()).unwrap().count(), 0);

    let mut b = Store::create_joining(b_dir.path(), "Harbour Family Practice", zone, &key).unwrap();
    assert!(!b.has_users().unwrap());
    assert!(Store::login(&mut b, "admin", "correct horse battery staple").is_err());
    let code = server.code(vec![Role::FrontDesk]);
    let joined = clinicdesk_sync::join(&mut b, &server.url(), &code, "Front desk 2").unwrap();
    assert!(joined.merge.applied > 0, "{joined:?}");
    assert_eq!(
        b.sync_settings().unwrap().unwrap().device_name,
        "Front desk 2"
    );
    let robin = b.login("robin", "front desk passphrase").unwrap();
    assert_eq!(robin.role, Role::FrontDesk);
    assert_eq!(b.patient(&robin, &ada.id).unwrap().given_name, "Ada");
    b.login("admin", "correct horse battery staple").unwrap();
    assert!(b.login("robin", "not the passphrase").is_err());
    // Its own work goes up like any desktop's, and both agree.
    let bea = register(&mut b, &robin, "Bea");
    clinicdesk_sync::sync_now(&mut b).unwrap();
    clinicdesk_sync::sync_now(&mut a).unwrap();
    assert_eq!(a.patient(&admin, &bea.id).unwrap().given_name, "Bea");
    assert_eq!(a.sync_digest().unwrap(), b.sync_digest().unwrap());
    assert!(a.sync_refusals().unwrap().is_empty());

    // A desktop with people of its own is enrolled by its administrator.
    let err = clinicdesk_sync::join(&mut a, &server.url(), &server.code(vec![Role::Admin]), "x")
        .unwrap_err();
    assert!(
        err.to_string().contains("already has its own users"),
        "{err}"
    );
    // Nor is a store with records thrown away.
    assert!(b.discard_unjoined(&key).is_err());
    server.stop();
}
