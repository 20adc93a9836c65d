//! Automatic claim-status follow-up: a claim sent two weeks ago that no
//! payer has settled yet is asked about (276/277) without anyone pressing
//! "Check status", and again every week while it stays open. The desktop's
//! clearinghouse worker runs it every hour; each desktop asks over its own
//! real-time connection.

use crate::claim_status::{apply_claim_status, awaiting_answer, status_inquiry};
use crate::send::core_client;
use clinicdesk_keys::Keychain;
use clinicdesk_store::claim_follow_up::{FollowUpRun, StatusAsked};
use clinicdesk_store::{Claim, Session, Store, Transport};
use std::collections::BTreeMap;
use std::time::Duration;

const DAY: i64 = 24 * 60 * 60;

/// A claim is first asked about this long after it was sent…
pub const FIRST_ASK_AFTER_DAYS: i64 = 14;
/// …then again this long after each answer that left it open…
pub const ASK_AGAIN_AFTER_DAYS: i64 = 7;
/// …or after a day when the question could not be asked or got no answer.
pub const RETRY_AFTER_DAYS: i64 = 1;

/// How often the worker looks for claims to follow up.
pub const FOLLOW_UP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Whether a claim sent at `sent` and last asked about as `asked` is due
/// for a question at `now`.
pub fn due(sent: Option<i64>, asked: Option<&StatusAsked>, now: i64) -> bool {
    let Some(sent) = sent else {
        return false;
    };
    if now - sent < FIRST_ASK_AFTER_DAYS * DAY {
        return false;
    }
    match asked {
        None => true,
        Some(a) if a.at > now => true,
        Some(a) => {
            let wait = if a.answered {
                ASK_AGAIN_AFTER_DAYS
            } else {
                RETRY_AFTER_DAYS
            };
            now - a.at >= wait * DAY
        }
    }
}

/// The sent claims due for a status question at `now`, oldest first.
pub fn follow_ups_due(store: &Store, session: &Session, now: i64) -> crate::Result<Vec<Claim>> {
    let asked: BTreeMap<String, StatusAsked> = store.status_questions_asked()?;
    Ok(awaiting_answer(store, session)?
        .into_iter()
        .filter(|c| due(c.submitted_at, asked.get(&c.id), now))
        .collect())
}

/// Asks about every claim due now as the automatic "clearinghouse" user,
/// records the answers, and records the run (Billing shows it), unless the
/// last run here is less than [`FOLLOW_UP_EVERY`] old. `None` when it was
/// not time yet.
pub fn follow_up_due(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
) -> clinicdesk_store::Result<Option<FollowUpRun>> {
    follow_up_due_at(
        store,
        keychain,
        runtime,
        clinicdesk_store::write::now_seconds(),
    )
}

/// [`follow_up_due`] as if it were `now` (tests move the clock on).
pub fn follow_up_due_at(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    now: i64,
) -> clinicdesk_store::Result<Option<FollowUpRun>> {
    if let Some(last) = store.claim_follow_up()? {
        let age = now - last.at;
        if (0..FOLLOW_UP_EVERY.as_secs() as i64).contains(&age) {
            return Ok(None);
        }
    }
    if !store.payer_settings()?.configured() {
        return Ok(None);
    }
    follow_up_now(store, keychain, runtime, now).map(Some)
}

/// Asks about every claim due at `now`, whenever the last run was
/// (`clinicdesk-cli claim follow-up`, a timer on a machine without the app).
pub fn follow_up_now(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    now: i64,
) -> clinicdesk_store::Result<FollowUpRun> {
    let session = clinicdesk_store::delivery_session();
    let claims = follow_ups_due(store, &session, now).map_err(store_error)?;
    let mut run = FollowUpRun {
        at: now,
        ..FollowUpRun::default()
    };
    for claim in claims {
        match ask(store, &session, keychain, runtime, &claim.id) {
            Ok(words) => run.answered.push((claim.id, words)),
            Err(why) => run.failed.push((claim.id, why)),
        }
    }
    store.record_claim_follow_up(&session, &run)?;
    Ok(run)
}

/// One 276 and its 277, applied; the answer in words, or why there is none.
fn ask(
    store: &mut Store,
    session: &Session,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    claim_id: &str,
) -> Result<String, String> {
    let (inquiry, conn) = status_inquiry(store, session, claim_id).map_err(|e| e.to_string())?;
    if let Transport::Sftp(_) = conn.transport {
        return Err(format!(
            "{} delivers by SFTP drop, which answers no status questions; ask the payer",
            conn.name
        ));
    }
    let client = core_client(&conn, keychain, 1).map_err(|e| e.to_string())?;
    let answer = runtime
        .block_on(clinicdesk_clearinghouse::check_claim_status(
            &client, &inquiry,
        ))
        .map_err(|e| e.to_string())?;
    let report =
        apply_claim_status(store, session, claim_id, &answer.entry).map_err(|e| e.to_string())?;
    Ok(format!("{} · {}", report.status, report.summary))
}

fn store_error(e: crate::BillingError) -> clinicdesk_store::StoreError {
    match e {
        crate::BillingError::Store(e) => e,
        e => clinicdesk_store::StoreError::Invalid(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_asked_about_after_two_weeks_then_weekly_or_daily_after_a_failure() {
        let sent = 1_000_000;
        let at = |days: i64| sent + days * DAY;
        assert!(!due(None, None, at(30)), "a draft is never asked about");
        assert!(!due(Some(sent), None, at(13)));
        assert!(due(Some(sent), None, at(14)));
        let answered = StatusAsked {
            at: at(14),
            answered: true,
        };
        assert!(!due(Some(sent), Some(&answered), at(20)));
        assert!(due(Some(sent), Some(&answered), at(21)));
        let failed = StatusAsked {
            at: at(14),
            answered: false,
        };
        assert!(!due(Some(sent), Some(&failed), at(14) + DAY - 1));
        assert!(due(Some(sent), Some(&failed), at(15)));
        let from_the_future = StatusAsked {
            at: at(40),
            answered: true,
        };
        assert!(
            due(Some(sent), Some(&from_the_future), at(20)),
            "a clock set back"
        );
    }
}
