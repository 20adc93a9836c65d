//! Eligibility at check-in, end to end below the window: a real encrypted
//! store, the real keychain, the background worker, and the clearinghouse
//! simulator speaking CORE over HTTP on 127.0.0.1. Offline, the check waits
//! in the outbox and the patient shows as not verified; when the
//! clearinghouse answers, the verification appears by itself.

mod common;

use common::{login, PASSWORD};

use clinicdesk_clearinghouse::sim::{Scenarios, SimConfig, Simulator};
use clinicdesk_demo::morning_zone;
use clinicdesk_desktop::*;
use clinicdesk_keys::Keychain;
use clinicdesk_store::{sftp_secret_account, PayerConnection, SftpDrop, Transport};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIM_PASSWORD: &str = "sim-s3cret";

struct Clinic {
    _dir: tempfile::TempDir,
    desk: Desk,
    slots: Vec<String>,
    tomorrow_slots: Vec<String>,
    follow_up: String,
}

fn clinic() -> Clinic {
    let dir = tempfile::tempdir().unwrap();
    clinicdesk_demo::open_all_day(dir.path(), morning_zone(), Keychain::default(), PASSWORD)
        .unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    login(&mut desk, "reception");
    let now = chrono::Utc::now().timestamp();
    let open = |desk: &mut Desk, date: Option<String>, after: i64| -> Vec<String> {
        let board = desk
            .day_board(&DayInput {
                date,
                location_id: None,
            })
            .unwrap();
        board.columns[0]
            .slots
            .iter()
            .filter(|s| s.slot.starts_at > after && s.slot.booked < s.slot.capacity)
            .map(|s| s.slot.id.clone())
            .collect()
    };
    let slots = open(&mut desk, None, now + 600);
    let tomorrow = (morning_zone().today() + chrono::Duration::days(1)).to_string();
    let tomorrow_slots = open(&mut desk, Some(tomorrow), 0);
    let follow_up = desk.directory().unwrap().appointment_types[0].id.clone();
    Clinic {
        _dir: dir,
        desk,
        slots,
        tomorrow_slots,
        follow_up,
    }
}

impl Clinic {
    /// A patient insured by Acme Health (payer ACME1) under `member`.
    fn insured(&mut self, given: &str, member: &str) -> clinicdesk_store::Patient {
        self.desk
            .register_patient(&RegisterInput {
                patient: PatientFields {
                    given_name: given.into(),
                    family_name: "Quill".into(),
                    birth_date: "1980-02-29".into(),
                    sex: Some("female".into()),
                    ..Default::default()
                },
                coverage: Some(CoverageFields {
                    payer_name: "Acme Health".into(),
                    payer_id: "ACME1".into(),
                    member_id: member.into(),
                    relationship: Some("self".into()),
                    ..Default::default()
                }),
            })
            .unwrap()
    }

    fn book(&mut self, patient: &clinicdesk_store::Patient, tomorrow: bool) -> String {
        let slot = if tomorrow {
            self.tomorrow_slots.remove(0)
        } else {
            self.slots.remove(0)
        };
        self.desk
            .book(&BookingInput {
                patient_id: patient.id.clone(),
                slot_id: Some(slot),
                appointment_type_id: Some(self.follow_up.clone()),
                ..Default::default()
            })
            .unwrap()
            .id
    }

    /// Payer settings with one catch-all connection to `endpoint`.
    fn set_up_payers(&mut self, name: &str, endpoint: &str, password: Option<&str>) {
        login(&mut self.desk, "admin");
        let demo = clinicdesk_demo::demo_payer_settings(name, endpoint);
        self.desk
            .set_payer_settings(&PayerSettingsInput {
                billing: demo.billing,
                connections: demo
                    .connections
                    .into_iter()
                    .map(|connection| ConnectionInput {
                        connection,
                        password: password.map(str::to_string),
                        sftp_secret: None,
                    })
                    .collect(),
            })
            .unwrap();
        login(&mut self.desk, "reception");
    }

    fn state(&mut self, patient_id: &str) -> CoverageEligibility {
        self.desk
            .eligibility(&IdInput {
                id: patient_id.into(),
            })
            .unwrap()
            .coverages
            .remove(0)
    }

    /// Waits (up to 30 s) until the patient's primary coverage satisfies `done`.
    fn wait_for(
        &mut self,
        patient_id: &str,
        done: impl Fn(&CoverageEligibility) -> bool,
    ) -> CoverageEligibility {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.state(patient_id);
            if done(&s) || Instant::now() > until {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_while(&mut self, patient_id: &str, from: &[&str]) -> CoverageEligibility {
        self.wait_for(patient_id, |s| !from.contains(&s.state.as_str()))
    }
}

fn unique(name: &str) -> String {
    format!("{name} {}", uuid::Uuid::new_v4().simple())
}

/// A port on 127.0.0.1 nobody listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn simulator(rt: &tokio::runtime::Runtime, port: u16) -> (Simulator, String) {
    let sim = Simulator::new(SimConfig {
        username: "clinic".into(),
        password: SIM_PASSWORD.into(),
        receiver_id: "CLEARINGHOUSE".into(),
        scenarios: Scenarios::builtin(),
    });
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let url = rt.block_on(sim.clone().spawn(addr)).unwrap();
    (sim, url)
}

#[test]
fn offline_check_in_is_not_verified_until_the_clearinghouse_answers() {
    let mut c = clinic();
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}/core");
    c.set_up_payers(&unique("Harbour Hub"), &endpoint, Some(SIM_PASSWORD));
    let changes = Arc::new(AtomicUsize::new(0));
    let seen = changes.clone();
    let _worker = ClearinghouseWorker::start(
        c.desk.dir(),
        c.desk.unlock(),
        Keychain::default(),
        c.desk.outbox_bell(),
        move || {
            seen.fetch_add(1, Ordering::SeqCst);
        },
    );

    let ada = c.insured("Ada", "ACTIVE01");
    let visit = c.book(&ada, false);
    assert_eq!(c.state(&ada.id).state, "not-checked");
    c.desk.check_in(&IdInput { id: visit.clone() }).unwrap();

    // Nobody listens: the check waits, saying why, and is not lost.
    let waiting = c.wait_for(&ada.id, |s| {
        s.detail.is_some() || !["not-checked", "waiting"].contains(&s.state.as_str())
    });
    assert_eq!(waiting.state, "waiting", "{waiting:?}");
    assert!(
        waiting.headline.starts_with("Not verified"),
        "{}",
        waiting.headline
    );
    let why = waiting.detail.clone().unwrap();
    assert!(why.contains("could not be reached"), "{why}");
    assert!(changes.load(Ordering::SeqCst) >= 1);

    // The network is back; "check again" sends it now rather than at the
    // next retry, and the answer shows by itself.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sim, _) = simulator(&rt, port);
    c.desk
        .check_eligibility(&CheckEligibilityInput {
            coverage_id: waiting.coverage_id.clone(),
            appointment_id: None,
            date: None,
        })
        .unwrap();
    let answered = c.wait_while(&ada.id, &["waiting"]);
    assert_eq!(answered.state, "active", "{answered:?}");
    assert_eq!(
        answered.headline,
        "Active · Gold PPO · office visit copay $25.00"
    );
    let result = answered.result.unwrap();
    assert!(result
        .benefits
        .iter()
        .any(|b| b.deductible_remaining_cents == Some(90_050)));
    let flow = c.desk.flow_board(&DayInput::default()).unwrap();
    let row = flow.iter().find(|r| r.row.appointment.id == visit).unwrap();
    assert_eq!(
        row.eligibility.as_ref().map(|b| b.state.as_str()),
        Some("active")
    );
    // The same PayloadID on every attempt: the clearinghouse saw one inquiry.
    assert_eq!(sim.processed(), vec!["ACTIVE01".to_string()]);
    assert_eq!(
        answered.check_id.as_deref().map(|id| sim.attempts(id)),
        Some(1)
    );
}

#[test]
fn answers_rejections_and_problems_are_said_plainly() {
    let mut c = clinic();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_sim, url) = simulator(&rt, 0);
    let name = unique("Harbour Hub");
    c.set_up_payers(&name, &url, Some(SIM_PASSWORD));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keychain = Keychain::default();
    let drain = |c: &mut Clinic| {
        let mut store = clinicdesk_store::Store::open(
            c.desk.dir(),
            &clinicdesk_store::Unlock {
                keychain: keychain.clone(),
                passphrase: None,
            },
        )
        .unwrap();
        clinicdesk_desktop::drain_eligibility(&mut store, &keychain, &runtime)
    };

    let check = |c: &mut Clinic, member: &str| -> CoverageEligibility {
        let p = c.insured("Pat", member);
        let cov = c
            .desk
            .eligibility(&IdInput { id: p.id.clone() })
            .unwrap()
            .coverages
            .remove(0);
        c.desk
            .check_eligibility(&CheckEligibilityInput {
                coverage_id: cov.coverage_id,
                appointment_id: None,
                date: None,
            })
            .unwrap();
        drain(c).unwrap();
        c.state(&p.id)
    };

    let rejected = check(&mut c, "AAA72");
    assert_eq!(rejected.state, "rejected");
    assert!(
        rejected
            .headline
            .contains("Check the member ID against the insurance card"),
        "{}",
        rejected.headline
    );
    let inactive = check(&mut c, "INACTIVE01");
    assert_eq!(inactive.state, "inactive");
    assert!(
        inactive.headline.contains("no active coverage"),
        "{}",
        inactive.headline
    );
    // A 500 then an answer: the client's own resend gets it.
    assert_eq!(check(&mut c, "FLAKY01").state, "active");
    let bad = check(&mut c, "MALFORMED01");
    assert_eq!(bad.state, "failed");
    assert!(bad.detail.unwrap().contains("could not be read"));

    // A wrong password is a failure to fix, not something to retry.
    Keychain::default()
        .save_secret(&format!("clearinghouse/{name}"), "wrong")
        .unwrap();
    let denied = check(&mut c, "ACTIVE01");
    assert_eq!(denied.state, "failed");
    assert!(denied.detail.unwrap().contains("user name and password"));
}

#[test]
fn tomorrows_schedule_is_checked_in_one_go() {
    let mut c = clinic();
    let e = c
        .desk
        .check_day_eligibility(&DayEligibilityInput { date: None })
        .unwrap_err();
    assert_eq!(e.kind, "not-configured");
    assert!(
        e.message.contains("Preferences → Insurance"),
        "{}",
        e.message
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sim, url) = simulator(&rt, 0);
    c.set_up_payers(&unique("Harbour Hub"), &url, Some(SIM_PASSWORD));
    let ada = c.insured("Ada", "ACTIVE01");
    let bea = c.insured("Bea", "AAA73");
    c.book(&ada, true);
    c.book(&bea, true);
    let report = c
        .desk
        .check_day_eligibility(&DayEligibilityInput { date: None })
        .unwrap();
    assert_eq!((report.report.appointments, report.report.queued), (2, 2));
    assert!(
        report.message.contains("checking 2 patients"),
        "{}",
        report.message
    );

    let _worker = ClearinghouseWorker::start(
        c.desk.dir(),
        c.desk.unlock(),
        Keychain::default(),
        c.desk.outbox_bell(),
        || {},
    );
    c.desk
        .check_day_eligibility(&DayEligibilityInput { date: None })
        .unwrap();
    assert_eq!(c.wait_while(&ada.id, &["waiting"]).state, "active");
    assert_eq!(c.wait_while(&bea.id, &["waiting"]).state, "rejected");
    let mut seen = sim.processed();
    seen.sort();
    assert_eq!(seen, vec!["AAA73".to_string(), "ACTIVE01".to_string()]);
}

#[test]
fn settings_need_a_password_and_only_administrators_change_them() {
    let mut c = clinic();
    let input = PayerSettingsInput {
        billing: None,
        connections: vec![ConnectionInput {
            connection: PayerConnection {
                name: unique("No Password Hub"),
                endpoint: "https://core.example.org/".into(),
                sender_id: "A".into(),
                receiver_id: "B".into(),
                username: "u".into(),
                payer_ids: vec![],
                timeout_secs: 30,
                test: false,
                transport: Default::default(),
            },
            password: None,
            sftp_secret: None,
        }],
    };
    let e = c.desk.set_payer_settings(&input).unwrap_err();
    assert_eq!(e.kind, "denied", "{e:?}");
    login(&mut c.desk, "admin");
    let e = c.desk.set_payer_settings(&input).unwrap_err();
    assert!(e.message.starts_with("Type the password"), "{}", e.message);
    let mut with_password = input.clone();
    with_password.connections[0].password = Some("pw".into());
    let view = c.desk.set_payer_settings(&with_password).unwrap();
    assert!(view.connections[0].has_password);
    assert!(view.can_change);
    // Saved again without typing it: the keychain's is kept.
    c.desk.set_payer_settings(&input).unwrap();

    // Batches by SFTP drop: a drop needs its password (or a key file) too.
    let mut sftp = input.clone();
    sftp.connections[0].connection.transport = Transport::Sftp(SftpDrop {
        host: "sftp.example.org".into(),
        port: 22,
        username: "clinic".into(),
        private_key: None,
        outbound_dir: "/in".into(),
        inbound_dir: "/out".into(),
        host_key_sha256: format!("SHA256:{}", "A".repeat(43)),
    });
    let e = c.desk.set_payer_settings(&sftp).unwrap_err();
    assert!(
        e.message.starts_with("Type the SFTP password"),
        "{}",
        e.message
    );
    assert!(!c.desk.payer_settings().unwrap().connections[0].has_sftp_secret);
    sftp.connections[0].sftp_secret = Some("drop-pw".into());
    let view = c.desk.set_payer_settings(&sftp).unwrap();
    assert!(view.connections[0].has_sftp_secret);
    assert_eq!(
        view.connections[0].connection.transport,
        sftp.connections[0].connection.transport
    );
    let account = sftp_secret_account(&sftp.connections[0].connection.name);
    assert_eq!(
        Keychain::default()
            .load_secret(&account)
            .unwrap()
            .as_deref()
            .map(|s| s.as_str()),
        Some("drop-pw")
    );
    // A key file instead of a password needs no secret.
    let mut keyed = sftp.clone();
    keyed.connections[0].connection.name = unique("Key File Hub");
    keyed.connections[0].password = Some("pw".into());
    keyed.connections[0].sftp_secret = None;
    if let Transport::Sftp(d) = &mut keyed.connections[0].connection.transport {
        d.private_key = Some("/etc/clinicdesk/drop_ed25519".into());
    }
    c.desk.set_payer_settings(&keyed).unwrap();
    // A bad fingerprint is named.
    let mut bad = sftp.clone();
    if let Transport::Sftp(d) = &mut bad.connections[0].connection.transport {
        d.host_key_sha256 = "SHA256:short".into();
    }
    let e = c.desk.set_payer_settings(&bad).unwrap_err();
    assert!(e.message.contains("host key fingerprint"), "{}", e.message);
    Keychain::default().delete(&account).unwrap();
}

/// The Billing screen's "Replies from the clearinghouse": nothing to look
/// in without an SFTP drop; with one, "Look for replies now" wakes the
/// clearinghouse worker, whose pick-up (here of a drop nobody serves) is
/// recorded and shown with the reason and the next look.
#[test]
fn replies_are_looked_for_in_sftp_drops_on_request() {
    let mut c = clinic();
    login(&mut c.desk, "admin");
    c.desk
        .add_user(&NewUserInput {
            username: "bill".into(),
            display_name: "Bea Biller".into(),
            role: "biller".into(),
            password: PASSWORD.into(),
            provider_id: None,
        })
        .unwrap();
    login(&mut c.desk, "bill");
    let e = c.desk.pick_up_replies().unwrap_err();
    assert!(
        e.message.contains("No connection has an SFTP drop"),
        "{}",
        e.message
    );
    assert!(c.desk.billing_overview().unwrap().replies.is_empty());

    login(&mut c.desk, "admin");
    let name = unique("Harbour Drop");
    let mut demo = clinicdesk_demo::demo_payer_settings(&name, "https://core.example.org/");
    demo.connections[0].transport = Transport::Sftp(SftpDrop {
        host: "127.0.0.1".into(),
        port: free_port(),
        username: "clinic".into(),
        private_key: None,
        outbound_dir: "/to-hub".into(),
        inbound_dir: "/from-hub".into(),
        host_key_sha256: format!("SHA256:{}", "A".repeat(43)),
    });
    c.desk
        .set_payer_settings(&PayerSettingsInput {
            billing: demo.billing,
            connections: vec![ConnectionInput {
                connection: demo.connections.remove(0),
                password: Some("pw".into()),
                sftp_secret: Some("drop-pw".into()),
            }],
        })
        .unwrap();
    login(&mut c.desk, "bill");
    let before = c.desk.billing_overview().unwrap().replies;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].connection, name);

    let (tx, rx) = std::sync::mpsc::channel();
    let dir = c._dir.path().to_path_buf();
    let _worker = ClearinghouseWorker::start(
        &dir,
        c.desk.unlock(),
        Keychain::default(),
        c.desk.outbox_bell(),
        move || {
            let _ = tx.send(());
        },
    );
    let said = c.desk.pick_up_replies().unwrap();
    assert_eq!(said, "Looking for replies in 1 SFTP drop…");
    let until = Instant::now() + Duration::from_secs(30);
    let drop = loop {
        let _ = rx.recv_timeout(Duration::from_millis(500));
        let drop = c.desk.billing_overview().unwrap().replies.remove(0);
        if drop.last.is_some() || Instant::now() > until {
            break drop;
        }
    };
    let last = drop.last.clone().expect("the worker looked in the drop");
    let why = last.error.expect("nobody serves that port");
    assert!(why.contains("could not be reached"), "{why}");
    assert!(drop.next_at >= last.at + 240, "{drop:?}");
    Keychain::default()
        .delete(&sftp_secret_account(&name))
        .unwrap();
    let _ = Keychain::default().delete(&format!("clearinghouse/{name}"));
}
