//! The biller's screen below the window: a finished visit shows up to
//! bill, is coded and scrubbed, sent (queued, then delivered to the
//! clearinghouse simulator by the clearinghouse worker, whose 999 is
//! applied), asked about with a 276 answered by the simulator, and paid by
//! an 835 posted from a file. Needs
//! the ICD-10-CM code set from scripts/fetch-code-sets.sh and a keychain
//! (scripts/with-keyring.sh).

mod common;

use common::{book_and_check_in, login, PASSWORD};

use clinicdesk_demo::morning_zone;
use clinicdesk_desktop::*;
use clinicdesk_domain::Role;
use clinicdesk_keys::Keychain;
use clinicdesk_store::{LineDraft, NewUser, Store, Unlock};
use std::path::PathBuf;

fn code_set() -> Option<PathBuf> {
    let dir = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let f = dir.join("icd10cm/icd10cm.tsv");
    if f.is_file() {
        return Some(f);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing; run scripts/fetch-code-sets.sh",
        f.display()
    );
    None
}

#[test]
fn a_visit_is_coded_sent_and_paid_from_the_billing_screen() {
    let Some(codes) = code_set() else { return };
    // The clearinghouse that answers claim status requests.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim =
        clinicdesk_clearinghouse::sim::Simulator::new(clinicdesk_clearinghouse::sim::SimConfig {
            username: "clinic".into(),
            password: "sim-secret".into(),
            receiver_id: "CLEARINGHOUSE".into(),
            scenarios: clinicdesk_clearinghouse::sim::Scenarios::builtin(),
        });
    let endpoint = runtime
        .block_on(sim.spawn("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let connection = format!("Billing Hub {}", std::process::id());
    Keychain::default()
        .save_secret(&format!("clearinghouse/{connection}"), "sim-secret")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    clinicdesk_demo::open_all_day(dir.path(), morning_zone(), Keychain::default(), PASSWORD)
        .unwrap();
    {
        let mut store = Store::open(dir.path(), &Unlock::default()).unwrap();
        let admin = store.login("admin", PASSWORD).unwrap();
        store
            .add_user(
                &admin,
                NewUser {
                    username: "bill".into(),
                    display_name: "Bea Biller".into(),
                    role: Role::Biller,
                    password: PASSWORD.into(),
                    provider_id: None,
                },
            )
            .unwrap();
        store
            .set_payer_settings(
                &admin,
                clinicdesk_demo::demo_payer_settings(&connection, &endpoint),
            )
            .unwrap();
        let biller = store.login("bill", PASSWORD).unwrap();
        let rows =
            clinicdesk_store::claims::parse_icd10cm_tsv(&std::fs::read_to_string(&codes).unwrap())
                .unwrap();
        store.import_icd10cm(&biller, rows, "icd10cm.tsv").unwrap();
    }
    let mut desk = Desk::new(dir.path(), Keychain::default());

    // The visit: booked, checked in, seen, finished.
    login(&mut desk, "reception");
    let patient = desk
        .register_patient(&RegisterInput {
            patient: PatientFields {
                given_name: "Ada".into(),
                family_name: "Quill".into(),
                birth_date: "1980-02-29".into(),
                sex: Some("female".into()),
                address_line: Some("12 Wharf Road".into()),
                city: Some("Portland".into()),
                state: Some("ME".into()),
                postal_code: Some("04101".into()),
                ..Default::default()
            },
            coverage: Some(CoverageFields {
                payer_name: "Acme Health".into(),
                payer_id: "ACME1".into(),
                member_id: "M100".into(),
                ..Default::default()
            }),
        })
        .unwrap();
    let visit_id = book_and_check_in(&mut desk, &patient.id);
    login(&mut desk, "drhale");
    let enc = desk
        .open_encounter(&AppointmentRef {
            appointment_id: visit_id.clone(),
        })
        .unwrap();
    desk.finish_encounter(&EncounterRef {
        encounter_id: enc.encounter.id.clone(),
    })
    .unwrap();
    let e = desk.billing_overview().unwrap_err();
    assert_eq!(e.kind, "denied");

    // The biller: the visit is waiting to be billed.
    login(&mut desk, "bill");
    assert_eq!(desk.status().home, Some(Home::Billing));
    let overview = desk.billing_overview().unwrap();
    assert_eq!(overview.to_bill.len(), 1);
    assert_eq!(
        overview.to_bill[0].payer_name.as_deref(),
        Some("Acme Health")
    );
    assert!(overview.codes_loaded > 90_000);
    let found = desk
        .search_codes(&CodeSearchInput {
            query: "acute bronchitis unspecified".into(),
        })
        .unwrap();
    assert_eq!(found[0].code, "J20.9", "{found:?}");

    desk.set_fee(&FeeInput {
        code: "99213".into(),
        modifier: None,
        description: "Office visit".into(),
        charge_cents: 12_500,
    })
    .unwrap();
    let line = LineDraft {
        code: "99213".into(),
        units: 1,
        ..Default::default()
    };
    let draft = desk
        .save_claim(&ClaimInput {
            claim_id: None,
            encounter_id: enc.encounter.id.clone(),
            diagnoses: vec!["J20".into()],
            lines: vec![line.clone()],
        })
        .unwrap();
    assert!(
        draft.problems[0].message.contains("is a category"),
        "{:?}",
        draft.problems
    );
    let clean = desk
        .save_claim(&ClaimInput {
            claim_id: Some(draft.claim.id.clone()),
            encounter_id: enc.encounter.id.clone(),
            diagnoses: vec!["J20.9".into()],
            lines: vec![line],
        })
        .unwrap();
    assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    assert!(desk.billing_overview().unwrap().to_bill.is_empty());

    let sent = desk
        .submit_claims(&ClaimIdsInput {
            ids: vec![clean.claim.id.clone()],
        })
        .unwrap();
    assert_eq!(
        sent.message,
        "1 claim ($125.00) in 1 batch, being sent to the clearinghouse."
    );
    let row = desk.billing_overview().unwrap().claims.remove(0);
    assert_eq!(row.batch_control, Some(sent.batches[0]));
    assert_eq!(row.delivery.as_deref(), Some("queued"));

    // The clearinghouse worker sends it (the app's runs on its own thread;
    // here on a store connection of the test's own) and applies the 999.
    let (tx, rx) = std::sync::mpsc::channel();
    let _worker = ClearinghouseWorker::start(
        dir.path(),
        desk.unlock(),
        Keychain::default(),
        desk.outbox_bell(),
        move || {
            let _ = tx.send(());
        },
    );
    // It may answer the check-in's eligibility check first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let row = loop {
        let row = desk.billing_overview().unwrap().claims.remove(0);
        if row.delivery.as_deref() != Some("queued") || std::time::Instant::now() > deadline {
            break row;
        }
        let _ = rx.recv_timeout(std::time::Duration::from_secs(1));
    };
    assert_eq!(row.delivery.as_deref(), Some("sent"), "{row:?}");
    assert!(
        row.delivery_note
            .as_deref()
            .unwrap()
            .contains(&format!("999 for batch {}", sent.batches[0])),
        "{row:?}"
    );

    // "Check status": the payer has it in process; the claim is accepted.
    let said = desk
        .check_claim_status(&ClaimIdsInput { ids: vec![] })
        .unwrap();
    assert!(
        said.contains("accepted · Pending: in process: Accepted for processing."),
        "{said}"
    );
    let row = desk.billing_overview().unwrap().claims.remove(0);
    assert_eq!(row.claim.status, "accepted");
    assert_eq!(
        row.claim.status_detail.as_deref(),
        Some("Pending: in process: Accepted for processing.")
    );

    let era = format!(
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINIC01       *261122*1200*^*00501*000000001*0*T*:~\
         GS*HP*CLEARINGHOUSE*CLINIC01*20261122*1200*1*X*005010X221A1~ST*835*0001~\
         BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261122~\
         TRN*1*EFT0001*1512345678~N1*PR*ACME HEALTH~N3*1 PAYER WAY~N4*HARTFORD*CT*06101~\
         PER*BL*CLAIMS*TE*8005551212~N1*PE*HARBOUR FAMILY PRACTICE*XX*1234567893~LX*1~\
         CLP*{}*1*125*100*25*12*PAYER100~NM1*QC*1*QUILL*ADA****MI*M100~CAS*PR*3*25~\
         SE*13*0001~GE*1*1~IEA*1*000000001~",
        clean.claim.id
    );
    let said = desk
        .post_billing_file(&BillingFileInput {
            name: "era.835".into(),
            text: era,
        })
        .unwrap();
    assert!(
        said.contains("payment EFT0001 of $100.00 posted to 1 claim"),
        "{said}"
    );
    let after = desk.billing_overview().unwrap();
    assert_eq!(after.claims[0].claim.status, "paid");
    assert_eq!(after.aging.total_cents, 0);
    let bad = desk
        .post_billing_file(&BillingFileInput {
            name: "notes.txt".into(),
            text: "hello".into(),
        })
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");
    assert!(bad.message.contains("not X12"), "{}", bad.message);
}
