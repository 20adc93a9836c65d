//! From a finished visit to money posted, on a real encrypted store with
//! the real ICD-10-CM code set (from PyPI's simple-icd-10-cm, fetched by
//! scripts/fetch-code-sets.sh): the scrubber's findings, an 837P that
//! pyx12 accepts, pyx12's own 999, a 277CA, an 835 with a payment, a
//! denial and a payment for a claim we never sent, the denials worklist
//! and A/R aging.

use clinicdesk_billing::*;
use clinicdesk_demo::{morning_zone, open_all_day};
use clinicdesk_domain::Role;
use clinicdesk_keys::Keychain;
use clinicdesk_store::*;
use clinicdesk_x12::{to_x12, Delimiters, EnvelopeHeader, Usage, Values};
use std::path::{Path, PathBuf};
use std::process::Command;

const PASSWORD: &str = "correct horse battery";

fn code_set() -> Option<PathBuf> {
    let dir = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched"));
    let file = dir.join("icd10cm/icd10cm.tsv");
    if file.is_file() {
        return Some(file);
    }
    let msg = format!(
        "{} is missing; run scripts/fetch-code-sets.sh",
        file.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("skipped: {msg}");
    None
}

fn read_code_set(file: &Path) -> Vec<(String, bool, String)> {
    claims::parse_icd10cm_tsv(&std::fs::read_to_string(file).unwrap()).unwrap()
}

struct Clinic {
    _dir: tempfile::TempDir,
    store: Store,
    biller: Session,
    desk: Session,
    doctor: Session,
    slots: Vec<String>,
}

fn clinic(codes: &Path) -> Clinic {
    let dir = tempfile::tempdir().unwrap();
    let zone = morning_zone();
    let c = open_all_day(dir.path(), zone, Keychain::default(), PASSWORD).unwrap();
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
            clinicdesk_demo::demo_payer_settings("Harbour Hub", "https://core.example.org/claims"),
        )
        .unwrap();
    let biller = store.login("bill", PASSWORD).unwrap();
    let n = store
        .import_icd10cm(&biller, read_code_set(codes), "simple-icd-10-cm 1.5.0")
        .unwrap();
    assert!(n > 90_000, "{n} codes");
    let (start, end) = zone.day_bounds(zone.today());
    let now = chrono::Utc::now().timestamp();
    let slots = store
        .slots(&c.provider_id, start.max(now - 7200).min(end - 3600), end)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let desk = store.login("reception", PASSWORD).unwrap();
    let doctor = store.login("drhale", PASSWORD).unwrap();
    Clinic {
        _dir: dir,
        store,
        biller,
        desk,
        doctor,
        slots,
    }
}

impl Clinic {
    /// A finished visit of a new insured patient; returns the encounter id.
    fn visit(&mut self, given: &str, member: &str, with_address: bool) -> String {
        let p = self
            .store
            .add_patient(
                &self.desk,
                &PatientInput {
                    given_name: given.into(),
                    family_name: "Quill".into(),
                    birth_date: "1980-02-29".into(),
                    sex: Some("female".into()),
                    address_line: with_address.then(|| "12 Wharf Road".into()),
                    city: with_address.then(|| "Portland".into()),
                    state: with_address.then(|| "ME".into()),
                    postal_code: with_address.then(|| "04101".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        self.store
            .add_coverage(
                &self.desk,
                &p.id,
                &CoverageInput {
                    priority: 1,
                    payer_name: "Acme Health".into(),
                    payer_id: "ACME1".into(),
                    member_id: member.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        let a = self
            .store
            .book(
                &self.desk,
                &BookingRequest {
                    patient_id: p.id.clone(),
                    slot_id: Some(self.slots.remove(0)),
                    ..Default::default()
                },
            )
            .unwrap();
        self.store.check_in(&self.desk, &a.id).unwrap();
        let e = self.store.open_encounter(&self.doctor, &a.id).unwrap();
        self.store.finish_encounter(&self.doctor, &e.id).unwrap();
        e.id
    }

    fn claim(&mut self, encounter: &str, dx: &[&str]) -> Claim {
        self.store
            .create_claim(
                &self.biller,
                &ClaimDraft {
                    encounter_id: encounter.into(),
                    diagnoses: dx.iter().map(|d| d.to_string()).collect(),
                    lines: vec![LineDraft {
                        code: "99213".into(),
                        units: 1,
                        ..Default::default()
                    }],
                },
            )
            .unwrap()
    }
}

fn validator() -> Option<Vec<String>> {
    let cmd = std::env::var("CLINICDESK_X12_VALIDATOR").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/clinicdesk/venv/bin/python -m pyx12.scripts.x12valid")
    });
    let parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    if parts.first().is_some_and(|p| Path::new(p).is_file()) {
        return Some(parts);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the X12 validator '{cmd}' is not installed"
    );
    None
}

/// pyx12's verdict on an 837P, and the 999 it writes for it.
fn pyx12(cmd: &[String], x12: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claims.x12");
    std::fs::write(&file, x12).unwrap();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg(&file)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = log.contains(&format!("{}: OK", file.display())) && !log.contains(" ERROR Line:");
    let ack = std::fs::read_to_string(format!("{}.997", file.display())).unwrap_or_default();
    (ok, log, ack)
}

/// `"CLP*A*1*125"` → a segment; `:` separates components.
fn seg(s: &str) -> Values {
    let mut parts = s.split('*');
    let mut v = Values::new(parts.next().unwrap());
    for p in parts {
        v = if p.contains(':') {
            v.comp(&p.split(':').collect::<Vec<_>>())
        } else {
            v.el(p)
        };
    }
    v
}

fn interchange(functional: &str, tx: &str, version: &str, body: &[String]) -> String {
    let header = EnvelopeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: "CLEARINGHOUSE".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "CLINIC01".into(),
        application_sender: "CLEARINGHOUSE".into(),
        application_receiver: "CLINIC01".into(),
        date: "20261122".into(),
        time: "1200".into(),
        interchange_control: 777,
        group_control: 777,
        usage: Usage::Test,
        ack_requested: false,
    };
    let segs = header
        .wrap(
            functional,
            tx,
            version,
            vec![body.iter().map(|s| seg(s)).collect()],
        )
        .unwrap();
    to_x12(&segs, Delimiters::default(), false).unwrap()
}

#[test]
fn a_visit_becomes_a_clean_claim_and_its_payment_is_posted() {
    let Some(codes) = code_set() else { return };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let now = chrono::Utc::now().timestamp();

    let first = c.visit("Ada", "M100", true);
    // No fee yet: the claim cannot be priced.
    let e = c
        .store
        .create_claim(
            &c.biller,
            &ClaimDraft {
                encounter_id: first.clone(),
                diagnoses: vec!["J20.9".into()],
                lines: vec![LineDraft {
                    code: "99213".into(),
                    units: 1,
                    ..Default::default()
                }],
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("not in the fee schedule"), "{e}");
    c.store
        .set_fee(
            &c.biller,
            "99213",
            None,
            "Office visit, established, low complexity",
            12_500,
        )
        .unwrap();

    // A category is not billable; the scrubber names codes to choose from.
    let ada = c.claim(&first, &["J20", "Z99.99"]);
    let problems = scrub(&mut c.store, &c.biller, &ada.id, today).unwrap();
    let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("J20 (Acute bronchitis) is a category") && t.contains("J20.0")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("Z99.99 is not an ICD-10-CM code")),
        "{text:?}"
    );
    let ada = c
        .store
        .update_claim(
            &c.biller,
            &ada.id,
            &ClaimDraft {
                encounter_id: first.clone(),
                diagnoses: vec!["J20.9".into()],
                lines: vec![LineDraft {
                    code: "99213".into(),
                    units: 1,
                    pointers: vec![1],
                    ..Default::default()
                }],
            },
        )
        .unwrap();
    assert_eq!(
        scrub(&mut c.store, &c.biller, &ada.id, today).unwrap(),
        vec![]
    );
    assert_eq!(ada.total_charge_cents, 12_500);

    // A patient without an address holds the whole submission back.
    let second = c.visit("Bea", "M200", false);
    let bea = c.claim(&second, &["R05.1"]);
    let e = submit(
        &mut c.store,
        &c.biller,
        &[ada.id.clone(), bea.id.clone()],
        today,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("Quill, Bea's address is incomplete"),
        "{e}"
    );
    assert_eq!(c.store.claim(&c.biller, &ada.id).unwrap().status, "draft");

    let third = c.visit("Cy", "M300", true);
    let cy = c.claim(&third, &["I10"]);
    let batches = submit(
        &mut c.store,
        &c.biller,
        &[ada.id.clone(), cy.id.clone()],
        today,
    )
    .unwrap();
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!(batch.claim_count, 2);
    assert_eq!(batch.total_cents, 25_000);
    assert!(
        batch
            .x12
            .contains(&format!("CLM*{}*125***11:B:1*Y*A*Y*Y", ada.id)),
        "{}",
        batch.x12
    );
    assert!(batch.x12.contains("HI*ABK:J209"), "{}", batch.x12);
    assert_eq!(
        c.store.claim(&c.biller, &ada.id).unwrap().status,
        "submitted"
    );

    let aging_now = aging(&c.store, &c.biller, now).unwrap();
    assert_eq!(aging_now.total_cents, 25_000);
    assert_eq!(aging_now.buckets[0].claims, 2);

    // pyx12 accepts the batch; its 999 is applied as the clearinghouse's.
    if let Some(cmd) = validator() {
        let (ok, log, ack) = pyx12(&cmd, &batch.x12);
        assert!(ok, "pyx12 rejected the 837P:\n{log}\n{}", batch.x12);
        let r = apply_acknowledgments(&mut c.store, &c.biller, ack.as_bytes()).unwrap();
        assert_eq!(r.batches, vec![(batch.control_number, "A".to_string())]);
        assert_eq!(
            c.store.batch(&batch.id).unwrap().ack_status.as_deref(),
            Some("A")
        );
    }

    // The payer's 277CA accepts one claim and rejects the other.
    let ca = interchange(
        "HN",
        "277",
        "005010X214",
        &[
            "BHT*0085*08*277CA1*20261122*1200*TH".into(),
            "HL*1**20*1".into(),
            "NM1*PR*2*ACME HEALTH*****PI*ACME1".into(),
            "TRN*1*CA0001".into(),
            "DTP*050*D8*20261122".into(),
            "DTP*009*D8*20261122".into(),
            "HL*2*1*21*1".into(),
            "NM1*41*2*HARBOUR FAMILY PRACTICE*****46*CLINIC01".into(),
            "TRN*2*B1".into(),
            "STC*A1:19:PR*20261122*WQ*250".into(),
            "QTY*90*2".into(),
            "AMT*YU*250".into(),
            "HL*3*2*19*1".into(),
            "NM1*85*2*HARBOUR FAMILY PRACTICE*****XX*1234567893".into(),
            "HL*4*3*PT".into(),
            "NM1*QC*1*QUILL*ADA****MI*M100".into(),
            format!("TRN*2*{}", ada.id),
            "STC*A2:20:PR*20261122*WQ*125".into(),
            "REF*1K*PAYER100".into(),
            "DTP*472*D8*20261122".into(),
            "HL*5*3*PT".into(),
            "NM1*QC*1*QUILL*CY****MI*M300".into(),
            format!("TRN*2*{}", cy.id),
            "STC*A7:562:85*20261122*U*125".into(),
            "DTP*472*D8*20261122".into(),
        ],
    );
    let r = apply_acknowledgments(&mut c.store, &c.biller, ca.as_bytes()).unwrap();
    assert_eq!(
        r.claims,
        vec![(ada.id.clone(), true), (cy.id.clone(), false)]
    );
    let cy_now = c.store.claim(&c.biller, &cy.id).unwrap();
    assert_eq!(cy_now.status, "rejected");

    // The 835: Ada's claim paid with a copay and a contractual write-off;
    // a payment for a claim this clinic never sent is kept, unmatched.
    let era = interchange(
        "HP",
        "835",
        "005010X221A1",
        &[
            "BPR*I*150*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261122"
                .into(),
            "TRN*1*EFT0001*1512345678".into(),
            "DTM*405*20261122".into(),
            "N1*PR*ACME HEALTH".into(),
            "N3*1 PAYER WAY".into(),
            "N4*HARTFORD*CT*06101".into(),
            "PER*BL*CLAIMS DEPT*TE*8005551212".into(),
            "N1*PE*HARBOUR FAMILY PRACTICE*XX*1234567893".into(),
            "LX*1".into(),
            format!("CLP*{}*1*125*100*20*12*PAYER100", ada.id),
            "NM1*QC*1*QUILL*ADA****MI*M100".into(),
            "SVC*HC:99213*125*100**1".into(),
            "DTM*472*20261122".into(),
            "CAS*PR*3*20".into(),
            "CAS*CO*45*5".into(),
            "CLP*NOT-OUR-CLAIM*1*50*50**12*PAYER999".into(),
            "NM1*QC*1*DOE*JANE****MI*X1".into(),
        ],
    );
    let posted = post_remittance(&mut c.store, &c.biller, era.as_bytes()).unwrap();
    assert_eq!(posted.len(), 1);
    assert_eq!(
        (
            posted[0].payment_cents,
            posted[0].unmatched,
            posted[0].already_posted
        ),
        (15_000, 1, 0)
    );
    let paid = c.store.claim(&c.biller, &ada.id).unwrap();
    assert_eq!(
        (
            paid.status.as_str(),
            paid.paid_cents,
            paid.patient_resp_cents,
            paid.adjusted_cents
        ),
        ("paid", 10_000, 2_000, 500)
    );
    assert_eq!(paid.payer_claim_number.as_deref(), Some("PAYER100"));
    let adj = &c.store.payments_of(&c.biller, &ada.id).unwrap()[0]
        .payment
        .adjustments;
    assert_eq!(adj[0].text, "Co-payment amount");
    assert_eq!(
        adj[1].text,
        "The charge exceeds the fee schedule or maximum allowable amount"
    );
    assert_eq!(c.store.unmatched_payments(&c.biller).unwrap().len(), 1);
    // The same file again posts nothing twice.
    let again = post_remittance(&mut c.store, &c.biller, era.as_bytes()).unwrap();
    assert_eq!(again[0].already_posted, 2);
    assert_eq!(
        c.store.claim(&c.biller, &ada.id).unwrap().paid_cents,
        10_000
    );

    // The rejected claim is on the worklist with the 277CA's reason.
    let work = denials(&c.store, &c.biller).unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].claim_id, cy.id);
    assert!(
        work[0].reasons[0].contains("rejected"),
        "{:?}",
        work[0].reasons
    );
    // Paid and rejected claims owe nothing; A/R is empty.
    assert_eq!(
        aging(&c.store, &c.biller, now + 45 * 86_400)
            .unwrap()
            .total_cents,
        0
    );
}

#[test]
fn a_denial_lands_on_the_worklist_with_its_reason_and_ages_out_of_ar() {
    let Some(codes) = code_set() else { return };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    c.store
        .set_fee(
            &c.biller,
            "99214",
            None,
            "Office visit, established, moderate",
            18_000,
        )
        .unwrap();
    let visit = c.visit("Dee", "M400", true);
    let claim = c
        .store
        .create_claim(
            &c.biller,
            &ClaimDraft {
                encounter_id: visit,
                diagnoses: vec!["M54.50".into()],
                lines: vec![LineDraft {
                    code: "99214".into(),
                    units: 1,
                    ..Default::default()
                }],
            },
        )
        .unwrap();
    submit(
        &mut c.store,
        &c.biller,
        std::slice::from_ref(&claim.id),
        today,
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let later = aging(&c.store, &c.biller, now + 75 * 86_400).unwrap();
    assert_eq!(later.buckets[2].claims, 1, "{later:?}");
    assert_eq!(later.buckets[2].cents, 18_000);

    let era = interchange(
        "HP",
        "835",
        "005010X221A1",
        &[
            "BPR*H*0*C*NON************20261122".into(),
            "TRN*1*NOPAY0001*1512345678".into(),
            "N1*PR*ACME HEALTH".into(),
            "N3*1 PAYER WAY".into(),
            "N4*HARTFORD*CT*06101".into(),
            "PER*BL*CLAIMS DEPT*TE*8005551212".into(),
            "N1*PE*HARBOUR FAMILY PRACTICE*XX*1234567893".into(),
            "LX*1".into(),
            format!("CLP*{}*4*180*0**12*PAYER400", claim.id),
            "NM1*QC*1*QUILL*DEE****MI*M400".into(),
            "CAS*CO*50*180".into(),
        ],
    );
    post_remittance(&mut c.store, &c.biller, era.as_bytes()).unwrap();
    let work = denials(&c.store, &c.biller).unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].status, "denied");
    assert_eq!(
        work[0].reasons,
        vec!["CO-50: Not deemed a medical necessity by the payer".to_string()]
    );
    assert_eq!(aging(&c.store, &c.biller, now).unwrap().total_cents, 0);

    // The front desk cannot see or touch claims.
    let e = c.store.claims(&c.desk, &[]).unwrap_err();
    assert!(matches!(e, StoreError::Denied { .. }), "{e}");
}

/// Sent claims asked about with a 276 through the CORE client, answered by
/// the clearinghouse simulator's 277s (paid, pending, denied, rejected, not
/// found, unreadable), and the answers recorded on the claims.
/// The clearinghouse simulator (user `clinic`, password `sim-secret`) on a
/// free loopback port, and its CORE address.
fn simulator(
    runtime: &tokio::runtime::Runtime,
) -> (clinicdesk_clearinghouse::sim::Simulator, String) {
    use clinicdesk_clearinghouse::sim::{Scenarios, SimConfig, Simulator};
    let sim = Simulator::new(SimConfig {
        username: "clinic".into(),
        password: "sim-secret".into(),
        receiver_id: "CLEARINGHOUSE".into(),
        scenarios: Scenarios::builtin(),
    });
    let endpoint = runtime
        .block_on(sim.clone().spawn("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    (sim, endpoint)
}

/// Connects the clinic to a clearinghouse called `name` at `endpoint` (the
/// simulator's password in the keychain) and prices an office visit;
/// returns the administrator and the keychain.
fn connect(c: &mut Clinic, name: &str, endpoint: &str) -> (Session, Keychain) {
    let keychain = Keychain::default();
    keychain
        .save_secret(&format!("clearinghouse/{name}"), "sim-secret")
        .unwrap();
    let admin = c.store.login("admin", PASSWORD).unwrap();
    c.store
        .set_payer_settings(&admin, clinicdesk_demo::demo_payer_settings(name, endpoint))
        .unwrap();
    c.store
        .set_fee(&c.biller, "99213", None, "Office visit", 12_500)
        .unwrap();
    (admin, keychain)
}

#[test]
fn claim_status_answers_from_the_simulator_update_the_claims() {
    use clinicdesk_billing::claim_status::{apply_claim_status, awaiting_answer, status_inquiry};
    use clinicdesk_billing::status_codes::Outcome;
    use clinicdesk_clearinghouse::{
        check_claim_status, check_claim_status_as, claim_status, ClaimStatusError, Client,
        ClientError, ConnectionConfig,
    };

    let Some(codes) = code_set() else { return };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sim, endpoint) = simulator(&runtime);
    connect(&mut c, "Harbour Hub", &endpoint);

    let members = [
        "CLAIMPAID01",
        "CLAIMPEND01",
        "CLAIMDENY01",
        "CLAIMREJ01",
        "CLAIMNF01",
        "CLAIMBAD01",
    ];
    let mut ids = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let e = c.visit(&format!("Pat{}", (b'a' + i as u8) as char), m, true);
        let claim = c.claim(&e, &["J20.9"]);
        ids.push(claim.id);
    }
    // A draft has nothing to ask about.
    let e = status_inquiry(&mut c.store, &c.biller, &ids[0]).unwrap_err();
    assert!(e.to_string().contains("is draft"), "{e}");
    submit(&mut c.store, &c.biller, &ids, today).unwrap();
    assert_eq!(awaiting_answer(&c.store, &c.biller).unwrap().len(), 6);

    let client = Client::new(
        ConnectionConfig {
            name: "Harbour Hub".into(),
            endpoint: endpoint.clone(),
            sender_id: "CLINIC01".into(),
            receiver_id: "CLEARINGHOUSE".into(),
            isa_sender_id: None,
            isa_receiver_id: None,
            username: "clinic".into(),
            keychain_account: None,
            timeout_secs: 10,
            retries: 0,
            backoff_ms: 10,
            test: true,
        },
        "sim-secret",
    )
    .unwrap();
    let ask = |c: &mut Clinic, id: &str| {
        let (inquiry, conn) = status_inquiry(&mut c.store, &c.biller, id).unwrap();
        assert_eq!(conn.name, "Harbour Hub");
        let answer = runtime.block_on(check_claim_status(&client, &inquiry));
        answer.map(|a| apply_claim_status(&mut c.store, &c.biller, id, &a.entry).unwrap())
    };

    // Paid: the claim stays accepted until the 835 moves the money; the
    // payer's claim number and the paid amount are kept.
    let paid = ask(&mut c, &ids[0]).unwrap();
    assert_eq!(paid.outcome, Outcome::Finalized);
    assert_eq!(paid.status, "accepted");
    assert_eq!(paid.paid_cents, Some(12_500));
    assert_eq!(paid.charge_cents, Some(12_500));
    assert!(
        paid.summary
            .starts_with("Finalized: payment: The claim has been paid; paid $125.00 of $125.00"),
        "{}",
        paid.summary
    );
    assert!(
        paid.summary.contains("Post the payer's 835"),
        "{}",
        paid.summary
    );
    let claim = c.store.claim(&c.biller, &ids[0]).unwrap();
    assert!(claim
        .payer_claim_number
        .as_deref()
        .unwrap()
        .starts_with("SIM"));
    assert_eq!(claim.status_detail.as_deref(), Some(paid.summary.as_str()));

    let pending = ask(&mut c, &ids[1]).unwrap();
    assert_eq!(
        (pending.outcome, pending.status.as_str()),
        (Outcome::Pending, "accepted")
    );
    assert_eq!(
        pending.summary,
        "Pending: in process: Accepted for processing."
    );

    let denied = ask(&mut c, &ids[2]).unwrap();
    assert_eq!(
        (denied.outcome, denied.status.as_str()),
        (Outcome::Denied, "denied")
    );
    assert!(
        denied
            .summary
            .contains("The patient was not eligible on the dates of service"),
        "{}",
        denied.summary
    );

    let rejected = ask(&mut c, &ids[3]).unwrap();
    assert_eq!(rejected.status, "rejected");
    assert!(
        rejected.summary.starts_with(
            "Acknowledgement: rejected for invalid information: Information is missing or invalid."
        ),
        "{}",
        rejected.summary
    );
    // Rejected and denied claims are on the worklist with the answer.
    let worklist = denials(&c.store, &c.biller).unwrap();
    assert_eq!(worklist.len(), 2);

    // Not found changes nothing but says so.
    let nf = ask(&mut c, &ids[4]).unwrap();
    assert_eq!(
        (nf.outcome, nf.status.as_str()),
        (Outcome::NotFound, "submitted")
    );
    assert!(
        nf.summary.contains("The claim was not found"),
        "{}",
        nf.summary
    );
    assert_eq!(
        c.store
            .claim(&c.biller, &ids[4])
            .unwrap()
            .payer_claim_number,
        None
    );

    // An unreadable answer is an error and leaves the claim alone.
    let bad = ask(&mut c, &ids[5]).unwrap_err();
    assert!(
        matches!(bad, ClaimStatusError::Client(ClientError::Malformed { .. })),
        "{bad}"
    );
    assert_eq!(
        c.store.claim(&c.biller, &ids[5]).unwrap().status,
        "submitted"
    );

    // Only the claims still waiting are asked about again; a denied or
    // rejected claim has its answer.
    let waiting: Vec<String> = awaiting_answer(&c.store, &c.biller)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(waiting.len(), 4);
    assert!(!waiting.contains(&ids[2]) && !waiting.contains(&ids[3]));

    // A resend under the same PayloadID is answered from the simulator's
    // memory, not processed again; applying the same answer twice changes
    // nothing more.
    let (inquiry, _) = status_inquiry(&mut c.store, &c.biller, &ids[1]).unwrap();
    let id = uuid::Uuid::new_v4();
    let before = sim.processed().len();
    let a1 = runtime
        .block_on(check_claim_status_as(&client, &inquiry, id))
        .unwrap();
    let a2 = runtime
        .block_on(check_claim_status_as(&client, &inquiry, id))
        .unwrap();
    assert_eq!(a1, a2);
    assert_eq!(sim.processed().len(), before + 1);
    assert_eq!(sim.attempts(&id.to_string()), 2);
    let r1 = apply_claim_status(&mut c.store, &c.biller, &ids[1], &a1.entry).unwrap();
    let r2 = apply_claim_status(&mut c.store, &c.biller, &ids[1], &a2.entry).unwrap();
    assert_eq!(
        (r1.status.as_str(), r2.status.as_str()),
        ("accepted", "accepted")
    );

    // The 276 reads back with the x12 crate's 276/277 model as the request
    // it is. (pyx12 has no map for the 005010X212 276, and does not list
    // its 277 map in its map index, so it cannot check either.)
    let x12_276 = claim_status::build_276(&client, &inquiry, "TRACE1", 42).unwrap();
    assert!(x12_276.contains("ST*276*0001*005010X212~"), "{x12_276}");
    assert!(
        x12_276.contains(&format!("REF*EJ*{}~", ids[1])),
        "{x12_276}"
    );
    assert!(x12_276.contains("AMT*T3*125~"), "{x12_276}");
    assert!(
        x12_276.contains("NM1*IL*1*Quill*Patb****MI*CLAIMPEND01~"),
        "{x12_276}"
    );
    let read = clinicdesk_x12::read(x12_276.as_bytes());
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let doc = clinicdesk_x12::parse(x12_276.as_bytes()).unwrap();
    let tx = doc.transactions().next().unwrap();
    match clinicdesk_x12::model(tx) {
        Some(Ok(clinicdesk_x12::Model::ClaimStatus(m))) => {
            assert_eq!(m.claims.len(), 1);
            assert_eq!(m.claims[0].trace.as_deref(), Some("TRACE1"));
        }
        other => panic!("not a 276: {other:?}"),
    }
}

#[test]
fn batches_wait_in_the_outbox_until_the_clearinghouse_answers() {
    use clinicdesk_billing::send::{send_due, Attempt, FIRST_RETRY};

    let Some(codes) = code_set() else { return };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let connection = format!("Outbox Hub {}", std::process::id());
    // The clearinghouse is down: nothing listens on its port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/core", closed.local_addr().unwrap());
    drop(closed);
    let (admin, keychain) = connect(&mut c, &connection, &down);
    let password = format!("clearinghouse/{connection}");
    let send = |c: &mut Clinic| {
        let mut seen = Vec::new();
        send_due(&mut c.store, &keychain, &runtime, |b, a| {
            seen.push((b.control_number, a.clone()));
            true
        })
        .unwrap();
        seen
    };

    let e = c.visit("Ada", "M100", true);
    let claim = c.claim(&e, &["J20.9"]);
    let batch = submit(
        &mut c.store,
        &c.biller,
        std::slice::from_ref(&claim.id),
        today,
    )
    .unwrap()
    .remove(0);
    assert_eq!(batch.delivery, "queued");
    assert_eq!(batch.device_id.as_deref(), Some(c.store.device_id()));
    assert_eq!(c.store.claim_outbox_len().unwrap(), 1);

    // No answer: the batch stays queued, to be tried again in a while.
    let before = clinicdesk_store::write::now_seconds();
    let seen = send(&mut c);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let Attempt::PutOff(why) = &seen[0].1 else {
        panic!("{seen:?}")
    };
    assert!(why.contains("could not be reached"), "{why}");
    let waiting = c.store.batch(&batch.id).unwrap();
    assert_eq!(waiting.delivery, "queued");
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.next_attempt_at >= before + FIRST_RETRY);
    assert_eq!(waiting.delivery_note.as_deref(), Some(why.as_str()));
    assert!(send(&mut c).is_empty(), "not due yet");
    let row = c.store.claim_rows(&c.biller, 10).unwrap().remove(0);
    assert_eq!(row.claim.status, "submitted");
    assert_eq!(
        (row.batch_control, row.delivery.as_deref()),
        (Some(batch.control_number), Some("queued"))
    );

    // The clearinghouse is back; "Send again" does not wait for the retry.
    let (_sim, endpoint) = simulator(&runtime);
    c.store
        .set_payer_settings(
            &admin,
            clinicdesk_demo::demo_payer_settings(&connection, &endpoint),
        )
        .unwrap();
    let e = c
        .store
        .resend_batch(&c.desk, &batch.id)
        .expect_err("only billers send claims");
    assert!(matches!(e, StoreError::Denied { .. }), "{e}");
    c.store.resend_batch(&c.biller, &batch.id).unwrap();
    let seen = send(&mut c);
    let Attempt::Sent(note) = &seen[0].1 else {
        panic!("{seen:?}")
    };
    assert!(
        note.contains(&format!("999 for batch {}", batch.control_number)),
        "{note}"
    );
    let sent = c.store.batch(&batch.id).unwrap();
    assert_eq!(sent.delivery, "sent");
    assert_eq!(sent.ack_status.as_deref(), Some("A"));
    assert_eq!(sent.connection.as_deref(), Some(connection.as_str()));
    assert!(sent.sent_at.is_some());
    assert_eq!(c.store.claim_outbox_len().unwrap(), 0);

    // Without its password the batch cannot go at all: it is marked failed
    // with what to fix, and goes once that is done.
    keychain.delete(&password).unwrap();
    let e = c.visit("Bea", "M200", true);
    let claim = c.claim(&e, &["J20.9"]);
    let batch = submit(&mut c.store, &c.biller, &[claim.id], today)
        .unwrap()
        .remove(0);
    let seen = send(&mut c);
    let Attempt::Failed(why) = &seen[0].1 else {
        panic!("{seen:?}")
    };
    assert!(why.contains("No password for"), "{why}");
    assert_eq!(c.store.batch(&batch.id).unwrap().delivery, "failed");
    assert_eq!(c.store.claim_outbox_len().unwrap(), 0);
    keychain.save_secret(&password, "sim-secret").unwrap();
    c.store.resend_batch(&c.biller, &batch.id).unwrap();
    assert!(matches!(send(&mut c)[0].1, Attempt::Sent(_)));
    assert_eq!(c.store.batch(&batch.id).unwrap().delivery, "sent");
    keychain.delete(&password).unwrap();

    // Each step is in the audit trail, the automatic ones under their own name.
    let actions: Vec<(String, String)> = c
        .store
        .audit_report(&admin, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|r| r.category == "claim")
        .map(|r| (r.action, r.username))
        .collect();
    for (action, who) in [
        ("deliver-later", "clearinghouse"),
        ("resend", "bill"),
        ("deliver", "clearinghouse"),
        ("deliver-failed", "clearinghouse"),
    ] {
        assert!(
            actions.iter().any(|(a, u)| a == action && u == who),
            "{action} by {who}: {actions:?}"
        );
    }
}

/// The same outbox through an SFTP drop, against the OpenSSH server of
/// scripts/with-sshd.sh: uploaded once, a resend recognised, a wrong host
/// key failing the batch before anything is sent, and a server that is not
/// there putting it off.
#[test]
fn batches_go_to_an_sftp_drop_once() {
    use clinicdesk_billing::send::{send_due, Attempt};

    let Some(codes) = code_set() else { return };
    let Some((sftp, outbound, _)) = sftp_drop("billing-out") else {
        return;
    };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let keychain = Keychain::default();
    let admin = c.store.login("admin", PASSWORD).unwrap();
    let send = |c: &mut Clinic| {
        let mut seen = Vec::new();
        send_due(&mut c.store, &keychain, &runtime, |_, a| {
            seen.push(a.clone());
            true
        })
        .unwrap();
        seen
    };
    c.store
        .set_fee(&c.biller, "99213", None, "Office visit", 12_500)
        .unwrap();
    set_drop(&mut c, &admin, sftp.clone());

    let e = c.visit("Ada", "M100", true);
    let claim = c.claim(&e, &["J20.9"]);
    let batch = submit(&mut c.store, &c.biller, &[claim.id], today)
        .unwrap()
        .remove(0);
    let name = format!("837P-{:09}.x12", batch.control_number);
    assert_eq!(
        send(&mut c),
        [Attempt::Sent(format!(
            "uploaded {}/{name}",
            sftp.outbound_dir
        ))]
    );
    assert_eq!(
        std::fs::read_to_string(outbound.join(&name)).unwrap(),
        batch.x12
    );
    c.store.resend_batch(&c.biller, &batch.id).unwrap();
    let again = send(&mut c);
    assert!(
        matches!(&again[..], [Attempt::Sent(n)] if n.contains("already delivered; not sent twice")),
        "{again:?}"
    );

    // Another server key: nothing is sent, and waiting will not help.
    let mut wrong = sftp.clone();
    wrong.host_key_sha256 = format!("SHA256:{}", "A".repeat(43));
    set_drop(&mut c, &admin, wrong);
    c.store.resend_batch(&c.biller, &batch.id).unwrap();
    let refused = send(&mut c);
    assert!(
        matches!(&refused[..], [Attempt::Failed(why)] if why.contains("host key")),
        "{refused:?}"
    );
    assert_eq!(c.store.batch(&batch.id).unwrap().delivery, "failed");

    // No server at all: tried again later.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut gone = sftp.clone();
    gone.port = closed.local_addr().unwrap().port();
    drop(closed);
    set_drop(&mut c, &admin, gone);
    c.store.resend_batch(&c.biller, &batch.id).unwrap();
    let later = send(&mut c);
    assert!(matches!(&later[..], [Attempt::PutOff(_)]), "{later:?}");
    assert_eq!(c.store.batch(&batch.id).unwrap().delivery, "queued");
    let _ = std::fs::remove_dir_all(outbound.parent().unwrap());
}

/// The demo payer settings with batches going to `sftp`.
fn set_drop(c: &mut Clinic, admin: &Session, sftp: SftpDrop) {
    let mut settings =
        clinicdesk_demo::demo_payer_settings("Harbour Drop", "https://core.example.org/core");
    settings.connections[0].transport = Transport::Sftp(sftp);
    c.store.set_payer_settings(admin, settings).unwrap();
}

/// A drop on the OpenSSH server of scripts/with-sshd.sh, with its outbound
/// and inbound folders (made afresh for `name`); None, with a note, when
/// the test runs without it (never on CI).
fn sftp_drop(name: &str) -> Option<(SftpDrop, PathBuf, PathBuf)> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let (Some(host), Some(root)) = (var("CLINICDESK_SFTP_HOST"), var("CLINICDESK_SFTP_ROOT"))
    else {
        let msg = "CLINICDESK_SFTP_HOST is not set; run under scripts/with-sshd.sh";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        println!("skipped: {msg}");
        return None;
    };
    let user = var("CLINICDESK_SFTP_USER").unwrap();
    let dir = PathBuf::from(root).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (outbound, inbound) = (dir.join("out"), dir.join("in"));
    for d in [&dir, &outbound, &inbound] {
        std::fs::create_dir_all(d).unwrap();
        let _ = Command::new("chown").arg(&user).arg(d).status();
    }
    let drop = SftpDrop {
        host,
        port: var("CLINICDESK_SFTP_PORT").unwrap().parse().unwrap(),
        username: user,
        private_key: var("CLINICDESK_SFTP_KEY"),
        outbound_dir: outbound.display().to_string(),
        inbound_dir: inbound.display().to_string(),
        host_key_sha256: var("CLINICDESK_SFTP_HOSTKEY_SHA256").unwrap(),
    };
    Some((drop, outbound, inbound))
}

/// What the clearinghouse leaves in the drop comes back by itself: the
/// clearinghouse worker's pick-up (`receive::pick_up_due`) applies the
/// batch's 999 and the payer's 835, moves them to processed/, puts back a
/// file that is not X12 with the reason, records how it went, and looks
/// again only when due or asked.
#[test]
fn replies_in_the_sftp_drop_are_picked_up_and_applied() {
    use clinicdesk_billing::receive::pick_up_due;
    use clinicdesk_billing::send::send_due;

    let Some(codes) = code_set() else { return };
    let Some((sftp, _, dir)) = sftp_drop("billing-replies") else {
        return;
    };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let keychain = Keychain::default();
    let admin = c.store.login("admin", PASSWORD).unwrap();
    set_drop(&mut c, &admin, sftp);
    c.store
        .set_fee(&c.biller, "99213", None, "Office visit", 12_500)
        .unwrap();
    let e = c.visit("Ada", "M100", true);
    let claim = c.claim(&e, &["J20.9"]);
    let batch = submit(
        &mut c.store,
        &c.biller,
        std::slice::from_ref(&claim.id),
        today,
    )
    .unwrap()
    .remove(0);
    send_due(&mut c.store, &keychain, &runtime, |_, _| true).unwrap();

    let ack = interchange(
        "FA",
        "999",
        "005010X231A1",
        &[
            format!("AK1*HC*{}*005010X222A1", batch.control_number),
            "AK2*837*0001*005010X222A1".into(),
            "IK5*A".into(),
            "AK9*A*1*1*1".into(),
        ],
    );
    let era = interchange(
        "HP",
        "835",
        "005010X221A1",
        &[
            "BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261122"
                .into(),
            "TRN*1*EFT0002*1512345678".into(),
            "N1*PR*ACME HEALTH".into(),
            "N1*PE*HARBOUR FAMILY PRACTICE*XX*1234567893".into(),
            "LX*1".into(),
            format!("CLP*{}*1*125*100*25*12*PAYER100", claim.id),
            "NM1*QC*1*QUILL*ADA****MI*M100".into(),
            "SVC*HC:99213*125*100**1".into(),
            "CAS*PR*3*25".into(),
        ],
    );
    std::fs::write(dir.join("a-999.x12"), &ack).unwrap();
    std::fs::write(dir.join("b-835.x12"), &era).unwrap();
    std::fs::write(dir.join("c-notes.txt"), "call the payer about Ada").unwrap();

    let mut seen = Vec::new();
    let ran = pick_up_due(&mut c.store, &keychain, false, |p| seen.push(p.clone())).unwrap();
    assert_eq!(ran, 1, "never looked in before: due");
    let p = &seen[0];
    assert_eq!(p.error, None, "{p:?}");
    let applied: Vec<&str> = p.applied.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(applied, ["a-999.x12", "b-835.x12"], "{p:?}");
    assert!(
        p.applied[0].1.contains("accepted") || p.applied[0].1.contains(": A"),
        "{p:?}"
    );
    assert_eq!(p.failed.len(), 1, "{p:?}");
    assert_eq!(p.failed[0].0, "c-notes.txt");
    assert_eq!(
        c.store.batch(&batch.id).unwrap().ack_status.as_deref(),
        Some("A")
    );
    let paid = c.store.claim(&c.biller, &claim.id).unwrap();
    assert_eq!((paid.status.as_str(), paid.paid_cents), ("paid", 10_000));
    assert!(dir.join("processed/a-999.x12").is_file());
    assert!(dir.join("processed/b-835.x12").is_file());
    assert!(dir.join("c-notes.txt").is_file(), "put back for staff");
    assert_eq!(c.store.sftp_pickups().unwrap(), seen);

    // Not due again for a while, unless asked; asked, the 835 is not
    // posted twice even if the clearinghouse drops it again.
    assert_eq!(
        pick_up_due(&mut c.store, &keychain, false, |_| {}).unwrap(),
        0
    );
    std::fs::write(dir.join("b-835.x12"), &era).unwrap();
    let mut again = Vec::new();
    pick_up_due(&mut c.store, &keychain, true, |p| again.push(p.clone())).unwrap();
    assert!(
        again[0].applied[0].1.contains("already posted"),
        "{again:?}"
    );
    let still = c.store.claim(&c.biller, &claim.id).unwrap();
    assert_eq!(still.paid_cents, 10_000);
    let audit = c
        .store
        .audit_report(&admin, &AuditFilter::default())
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.action == "sftp-pickup" && r.username == "clearinghouse"),
        "the pick-up is audited under the automatic name"
    );
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// Sent claims nobody has asked about are asked about by themselves two
/// weeks after sending, answered by the simulator, and not again until a
/// week after the answer; the run is recorded and audited.
#[test]
fn sent_claims_are_followed_up_by_themselves() {
    use clinicdesk_billing::follow_up::{follow_up_due_at, FOLLOW_UP_EVERY};

    let Some(codes) = code_set() else { return };
    let mut c = clinic(&codes);
    let today = morning_zone().today();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_sim, endpoint) = simulator(&runtime);
    let connection = format!("Follow-up Hub {}", std::process::id());
    let (admin, keychain) = connect(&mut c, &connection, &endpoint);
    let mut ids = Vec::new();
    for (name, member) in [("Ada", "CLAIMPAID01"), ("Bea", "CLAIMPEND01")] {
        let e = c.visit(name, member, true);
        ids.push(c.claim(&e, &["J20.9"]).id);
    }
    submit(&mut c.store, &c.biller, &ids, today).unwrap();
    let sent = c
        .store
        .claim(&c.biller, &ids[0])
        .unwrap()
        .submitted_at
        .unwrap();
    let day = 24 * 60 * 60;
    let hour = FOLLOW_UP_EVERY.as_secs() as i64;
    let follow =
        |c: &mut Clinic, at: i64| follow_up_due_at(&mut c.store, &keychain, &runtime, at).unwrap();

    let early = follow(&mut c, sent + 60).expect("the first run");
    assert!(
        early.answered.is_empty() && early.failed.is_empty(),
        "{early:?}"
    );
    assert!(
        follow(&mut c, sent + 120).is_none(),
        "an hour apart at most"
    );

    let run = follow(&mut c, sent + 14 * day).expect("two weeks on");
    assert!(run.failed.is_empty(), "{run:?}");
    let answer = |id: &str| {
        run.answered
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, words)| words.clone())
            .unwrap_or_else(|| panic!("{id} not asked: {run:?}"))
    };
    assert_eq!(run.answered.len(), 2, "{run:?}");
    assert!(
        answer(&ids[0]).contains("The claim has been paid"),
        "{run:?}"
    );
    assert!(answer(&ids[1]).starts_with("accepted · Pending"), "{run:?}");
    let claim = c.store.claim(&c.biller, &ids[1]).unwrap();
    assert_eq!(
        claim.status_detail.as_deref(),
        Some("Pending: in process: Accepted for processing.")
    );
    assert_eq!(c.store.claim_follow_up().unwrap().as_ref(), Some(&run));
    let noted = c.store.status_questions_asked().unwrap();
    assert!(
        noted.values().all(|a| a.answered && a.at == run.at),
        "{noted:?}"
    );

    let quiet = follow(&mut c, sent + 14 * day + 2 * hour).expect("an hour later");
    assert!(
        quiet.answered.is_empty(),
        "answered a moment ago: {quiet:?}"
    );
    let again = follow(&mut c, sent + 21 * day + 3 * hour).expect("a week later");
    assert_eq!(again.answered.len(), 2, "{again:?}");

    let audit = c
        .store
        .audit_report(
            &admin,
            &clinicdesk_store::AuditFilter {
                action: Some("status-follow-up".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(
        audit.iter().all(|a| a.username == "clearinghouse"),
        "{audit:?}"
    );
}
