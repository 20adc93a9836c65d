//! Eligibility checks in the store: queued with the request, one per
//! coverage and date while waiting or fresh, sent only by the desktop that
//! queued them, answered or failed once, and audited as disclosures.

mod common;

use clinicdesk_store::*;
use common::*;

fn insured(c: &mut Clinic, given: &str, member: &str) -> (Patient, Coverage) {
    let p = c.patient(given, "Lovelace");
    let cov = c
        .store
        .add_coverage(
            &c.desk,
            &p.id,
            &CoverageInput {
                priority: 1,
                payer_name: "Acme Health".into(),
                payer_id: "ACME01".into(),
                member_id: member.into(),
                ..Default::default()
            },
        )
        .unwrap();
    (p, cov)
}

#[test]
fn a_request_is_queued_once_and_answered_once() {
    let mut c = clinic();
    let (ada, cov) = insured(&mut c, "Ada", "M1");
    let today = c.today();
    let a = c.book_at(&ada, c.later_today(60)).unwrap();
    let check = c
        .store
        .request_eligibility(&c.desk, &cov.id, Some(&a.id), today)
        .unwrap();
    assert_eq!(check.state, CheckState::Queued);
    assert_eq!(check.requested_by, "desk");
    // Asking again while it waits gives the same check.
    let again = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap();
    assert_eq!(again.id, check.id);
    assert_eq!(c.store.eligibility_outbox_len().unwrap(), 1);

    let now = chrono::Utc::now().timestamp();
    let due = c.store.eligibility_outbox(now, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].coverage.member_id, "M1");
    assert_eq!(due[0].patient.birth_date, "1980-04-02");

    c.store
        .eligibility_sent(&due[0], "Test Clearinghouse")
        .unwrap();
    c.store
        .eligibility_retry(
            &check.id,
            "Test Clearinghouse could not be reached",
            "Test Clearinghouse",
            now + 60,
        )
        .unwrap();
    assert!(
        c.store.eligibility_outbox(now, 10).unwrap().is_empty(),
        "not due yet"
    );
    assert_eq!(c.store.eligibility_outbox(now + 60, 10).unwrap().len(), 1);
    // "Check again" while it waits sends it at once.
    let again = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap();
    assert_eq!(again.id, check.id);
    assert!(again.next_attempt_at <= chrono::Utc::now().timestamp());

    c.store
        .eligibility_answered(
            &check.id,
            "Test Clearinghouse",
            "active",
            "Active · Gold PPO",
            "{}",
        )
        .unwrap();
    let done = c.store.eligibility_check(&check.id).unwrap();
    assert_eq!(done.state, CheckState::Done);
    assert_eq!(done.attempts, 2);
    assert!(done.fresh(now));
    assert!(!done.fresh(now + 25 * 3600));
    assert_eq!(c.store.eligibility_outbox_len().unwrap(), 0);

    // A fresh answer stands: no new check for the same date.
    let same = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap();
    assert_eq!(same.id, check.id);

    let latest = c.store.eligibility_of(&c.desk, &ada.id).unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].summary.as_deref(), Some("Active · Gold PPO"));
    let day = c.store.eligibility_for_day(today).unwrap();
    assert_eq!(day, vec![(a.id.clone(), done)]);

    let audit = c
        .store
        .audit_report(
            &c.admin,
            &AuditFilter {
                patient_id: Some(ada.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let actions: Vec<String> = audit
        .iter()
        .filter(|r| r.category == "eligibility")
        .map(|r| r.action.clone())
        .collect();
    for a in ["request", "send", "answer", "read"] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

#[test]
fn failures_are_kept_with_their_reason_and_a_new_request_starts_over() {
    let mut c = clinic();
    let (_, cov) = insured(&mut c, "Ada", "M1");
    let today = c.today();
    let check = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap();
    c.store
        .eligibility_failed(
            &check.id,
            Some("Hub"),
            "Hub did not accept the user name and password",
        )
        .unwrap();
    let failed = c.store.eligibility_check(&check.id).unwrap();
    assert_eq!(failed.state, CheckState::Failed);
    assert!(failed.last_error.unwrap().contains("password"));
    let retry = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap();
    assert_ne!(retry.id, check.id);
    assert_eq!(retry.state, CheckState::Queued);
    assert!(c
        .store
        .eligibility_answered(&retry.id, "Hub", "maybe", "", "{}")
        .is_err());
}

#[test]
fn who_may_ask_and_what_can_be_checked() {
    let mut c = clinic();
    let (ada, cov) = insured(&mut c, "Ada", "M1");
    let today = c.today();
    // A physician may see coverage but does not check patients in.
    let err = c
        .store
        .request_eligibility(&c.doctor, &cov.id, None, today)
        .unwrap_err();
    assert!(matches!(err, StoreError::Denied { .. }), "{err}");
    let err = c
        .store
        .request_eligibility(&c.desk, "no-such-coverage", None, today)
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let (grace, _) = insured(&mut c, "Grace", "M2");
    let theirs = c.book_at(&grace, c.later_today(60)).unwrap();
    let err = c
        .store
        .request_eligibility(&c.desk, &cov.id, Some(&theirs.id), today)
        .unwrap_err();
    assert!(err.to_string().contains("another patient"), "{err}");
    c.store.end_coverage(&c.desk, &cov.id).unwrap();
    let err = c
        .store
        .request_eligibility(&c.desk, &cov.id, None, today)
        .unwrap_err();
    assert!(err.to_string().contains("ended"), "{err}");
    assert!(c.store.eligibility_of(&c.desk, &ada.id).unwrap().is_empty());
}

#[test]
fn a_day_batch_queues_each_insured_booked_patient_once() {
    let mut c = clinic();
    let tomorrow = c.today() + chrono::Duration::days(1);
    let at = |h: u32| tomorrow.and_hms_opt(h, 0, 0).unwrap();
    let (ada, _) = insured(&mut c, "Ada", "M1");
    let (grace, _) = insured(&mut c, "Grace", "M2");
    let self_pay = c.patient("Mary", "Somerville");
    c.book_at(&ada, at(9)).unwrap();
    c.book_at(&grace, at(10)).unwrap();
    c.book_at(&self_pay, at(11)).unwrap();
    let cancelled = c.book_at(&grace, at(12)).unwrap();
    c.store
        .cancel(&c.desk, &cancelled.id, "patient called")
        .unwrap();

    let first = c
        .store
        .request_eligibility_for_day(&c.desk, tomorrow)
        .unwrap();
    assert_eq!(
        first,
        BatchReport {
            appointments: 3,
            queued: 2,
            already: 0,
            no_coverage: 1
        }
    );
    let second = c
        .store
        .request_eligibility_for_day(&c.desk, tomorrow)
        .unwrap();
    assert_eq!(second.queued, 0);
    assert_eq!(second.already, 2);
    assert_eq!(c.store.eligibility_outbox_len().unwrap(), 2);
}
