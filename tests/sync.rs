//! `clinicdesk-cli sync …` against the real `clinicdesk-server`: two front
//! desks enroll with one-time codes, and a patient registered at one shows
//! at the other after both sync.

mod common;

use common::server::Server;
use common::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECOND: User = User {
    name: "admin2",
    password: "admin2-password-1",
};

/// A running server and two desks enrolled with it; the second desk's
/// administrator is SECOND.
fn enrolled_pair() -> (Server, Clinic, Clinic) {
    let server = Server::start();
    let first = Clinic::new();
    let second = Clinic::new();
    second.add_user(&SECOND, "admin", "Second Admin", None);
    first.json(&ADMIN, &["sync", "enroll", &server.url(), &server.code()]);
    second.json(&SECOND, &["sync", "enroll", &server.url(), &server.code()]);
    (server, first, second)
}

#[test]
fn two_front_desks_sync_through_the_clinic_server() {
    let server = Server::start();
    let first = Clinic::new();
    let second = Clinic::new();
    // The second desk's administrator needs a name of its own: user names are
    // unique across the clinic once the desks share their records.
    second.add_user(&SECOND, "admin", "Second Admin", None);

    let status = first.json(&ADMIN, &["sync", "status"]);
    assert_eq!(status["enrolled"], false);
    first
        .run_as(&ADMIN, &["sync", "now"])
        .fails(1, "not enrolled with a clinic server");

    let enrolled = first.json(
        &ADMIN,
        &[
            "sync",
            "enroll",
            &server.url(),
            &server.code(),
            "--name",
            "Front desk 1",
        ],
    );
    assert_eq!(enrolled["device_name"], "Front desk 1");
    second.json(
        &SECOND,
        &[
            "sync",
            "enroll",
            &server.url(),
            &server.code(),
            "--name",
            "Front desk 2",
        ],
    );
    first
        .run_as(
            &ADMIN,
            &["sync", "enroll", &server.url(), "K7QP-M2XD-9TRW-4HCF"],
        )
        .fails(1, "enrollment code");

    first.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Grace",
            "--family",
            "Hopper",
            "--dob",
            "1906-12-09",
        ],
    );
    let before = first.json(&ADMIN, &["sync", "status"]);
    assert!(before["queued_changes"].as_i64().unwrap() > 0, "{before:#}");
    let sent = first.json(&ADMIN, &["sync", "now"]);
    assert!(sent["pushed"].as_u64().unwrap() > 0, "{sent:#}");
    let after = first.json(&ADMIN, &["sync", "status"]);
    assert_eq!(after["queued_changes"], 0);
    assert!(after["progress"]["last_success_at"].is_i64());

    second.json(&SECOND, &["sync", "now"]);
    let found: Value = second.json(&SECOND, &["patient", "search", "Hopper"]);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found:#}");
    let conflicts = second.json(&SECOND, &["sync", "conflicts"]);
    assert_eq!(conflicts, serde_json::json!([]));
    let text = second.run_as(&SECOND, &["sync", "status"]).ok().stdout;
    assert!(text.contains("Queued changes"), "{text}");
}

#[test]
fn a_watching_desk_picks_up_changes_by_itself() {
    let (_server, first, second) = enrolled_pair();

    let mut watch = Command::new(bin())
        .arg("--data")
        .arg(second.dir())
        .args(["--user", SECOND.name, "sync", "watch", "--every", "60"])
        .env("CLINICDESK_PASSWORD", SECOND.password)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });

    first.json(
        &ADMIN,
        &[
            "patient",
            "add",
            "--given",
            "Katherine",
            "--family",
            "Johnson",
            "--dob",
            "1918-08-26",
        ],
    );
    first.json(&ADMIN, &["sync", "now"]);
    let started = Instant::now();
    loop {
        let found = second.json(&SECOND, &["patient", "search", "Johnson"]);
        if found.as_array().is_some_and(|a| a.len() == 1) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the watching desk never got the patient"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = watch.kill();
    let _ = watch.wait();
    let lines = lines.join().unwrap();
    assert!(
        lines.iter().filter(|l| l.contains("synced:")).count() >= 2,
        "{lines:?}"
    );
}

/// The app's background worker: a patient registered in one desktop app
/// reaches the other desktop app with nobody pressing "sync", because the
/// write nudges the sender's worker and the server's notification wakes the
/// receiver's.
#[test]
fn desktop_apps_sync_in_the_background() {
    use clinicdesk_desktop::{
        Desk, LoginInput, PatientFields, RegisterInput, SearchInput, SyncWorker,
    };
    use clinicdesk_keys::Keychain;

    let (_server, first, second) = enrolled_pair();

    let mut app = Desk::new(first.dir(), Keychain::default());
    let mut other = Desk::new(second.dir(), Keychain::default());
    let (tx, merged) = std::sync::mpsc::channel();
    let sender = SyncWorker::start(first.dir(), app.unlock(), || {});
    let _receiver = SyncWorker::start(second.dir(), other.unlock(), move || {
        let _ = tx.send(());
    });
    app.login(&LoginInput {
        username: ADMIN.name.into(),
        password: ADMIN.password.into(),
        store_passphrase: None,
    })
    .unwrap();
    app.register_patient(&RegisterInput {
        patient: PatientFields {
            given_name: "Dorothy".into(),
            family_name: "Vaughan".into(),
            birth_date: "1910-09-20".into(),
            ..Default::default()
        },
        coverage: None,
    })
    .unwrap();
    sender.nudge();

    other
        .login(&LoginInput {
            username: SECOND.name.into(),
            password: SECOND.password.into(),
            store_passphrase: None,
        })
        .unwrap();
    let started = Instant::now();
    loop {
        let _ = merged.recv_timeout(Duration::from_millis(200));
        let found = other
            .search_patients(&SearchInput {
                query: "Vaughan".into(),
                limit: None,
            })
            .unwrap();
        if found.len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the patient never reached the other desktop"
        );
    }
    // The sender records its round once the round ends, which may be just
    // after the receiver already has the patient.
    let status = loop {
        let status = app.sync_status().unwrap();
        let settled = status.online.is_some() && status.queued == 0;
        if settled || started.elapsed() > Duration::from_secs(20) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.enrolled);
    assert_eq!(status.online, Some(true));
    assert_eq!(status.queued, 0);
}

#[test]
fn a_new_computer_joins_the_clinic_from_the_command_line() {
    let server = Server::start();
    let first = Clinic::new();
    first.json(&ADMIN, &["sync", "enroll", &server.url(), &server.code()]);
    first.json(&ADMIN, &["sync", "now"]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("joined");
    let data_arg = data.to_str().unwrap();
    let url = server.url();
    let join_with = |code: &str| join(&data, &url, code, "Front desk 3", &first.zone);

    join_with("K7QP-M2XD-9TRW-4HCF").fails(1, "could not join the clinic");
    let left = std::fs::read_dir(&data).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a refused code leaves nothing behind");

    let joined = join_with(&server.code()).ok().json();
    assert_eq!(joined["device_name"], "Front desk 3");
    assert_eq!(joined["users"], true, "{joined:#}");
    // The clinic's administrator signs in here with the usual password.
    let info = run(
        &["--data", data_arg, "--user", ADMIN.name, "info"],
        &[("CLINICDESK_PASSWORD", ADMIN.password)],
    )
    .ok();
    // The clinic's own name, not the one given to join.
    assert!(info.stdout.contains("Test Clinic"), "{}", info.stdout);
    assert_eq!(joined["clinic_name"], "Test Clinic");
    join_with(&server.code()).fails(1, "already holds ClinicDesk data");

    // An administrator renames the clinic and moves it; the joined computer
    // follows after a sync.
    let joined_info = |args: &[&str]| {
        let mut all = vec!["--data", data_arg, "--user", ADMIN.name];
        all.extend_from_slice(args);
        run(&all, &[("CLINICDESK_PASSWORD", ADMIN.password)])
            .ok()
            .json()
    };
    let set = first.json(
        &ADMIN,
        &[
            "clinic",
            "set",
            "--name",
            "Harbour Health",
            "--timezone",
            "Pacific/Auckland",
        ],
    );
    assert_eq!(set["timezone"], "Pacific/Auckland");
    first
        .run_as(&ADMIN, &["clinic", "set", "--timezone", "Mars/Base"])
        .fails(2, "unknown time zone 'Mars/Base'");
    first.json(&ADMIN, &["sync", "now"]);
    joined_info(&["sync", "now", "--json"]);
    let after = joined_info(&["info", "--json"]);
    assert_eq!(after["clinic_name"], "Harbour Health");
    assert_eq!(after["timezone"], "Pacific/Auckland");
}
