//! Empties the durable outbox whenever the clearinghouse answers: queued
//! eligibility checks first (a patient may be waiting at the desk), then
//! claim batches. It runs on a thread of its own with its own store
//! connection, so neither check-in nor the biller ever waits for a payer.
//! A check or batch that gets no answer (network down, time-out, the
//! clearinghouse's own trouble) stays queued and is resent later under the
//! same PayloadID; one that cannot succeed as things are (settings,
//! password, an unreadable answer) is marked failed with what to fix.
//! Every few minutes it also picks up the 999s, 277CAs and 835s waiting in
//! the SFTP drops and applies them, and every hour it asks payers about
//! sent claims left unanswered too long (`clinicdesk_billing::follow_up`).

use crate::desk::SharedUnlock;
use clinicdesk_billing::send::{core_client, retry_delay, transient};
use clinicdesk_clearinghouse::{
    check_eligibility_as, Dependent, EligibilityError, EligibilityQuery, EligibilityResult,
};
use clinicdesk_domain::money::dollars;
use clinicdesk_domain::validate::{Relationship, Sex};
use clinicdesk_keys::Keychain;
use clinicdesk_store::config::CONFIG_FILE;
use clinicdesk_store::{OutboxItem, PayerSettings, Store};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often an idle worker looks at the outbox without being nudged.
const IDLE: Duration = Duration::from_secs(15);

/// Wakes the worker: a check or batch was queued or the settings changed.
#[derive(Default)]
pub struct Bell {
    rung: Mutex<(bool, bool)>,
    cv: Condvar,
    /// Someone asked to look in the SFTP drops now.
    pick_up: std::sync::atomic::AtomicBool,
}

impl Bell {
    pub fn ring(&self) {
        let mut g = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        g.0 = true;
        self.cv.notify_all();
    }

    /// Wakes the worker to pick up from every SFTP drop at once.
    pub fn ring_pick_up(&self) {
        self.pick_up
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.ring();
    }

    fn take_pick_up(&self) -> bool {
        self.pick_up
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    fn stop(&self) {
        let mut g = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        g.1 = true;
        self.cv.notify_all();
    }

    fn stopped(&self) -> bool {
        self.rung.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Waits for a ring (or `timeout`); false once stopped.
    fn wait(&self, timeout: Duration) -> bool {
        let g = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        let (mut g, _) = self
            .cv
            .wait_timeout_while(g, timeout, |(rung, stop)| !*rung && !*stop)
            .unwrap_or_else(|p| p.into_inner());
        g.0 = false;
        !g.1
    }
}

/// The background sender of one data folder. Dropping it stops the worker
/// after the check or batch in hand.
pub struct ClearinghouseWorker {
    bell: Arc<Bell>,
}

impl ClearinghouseWorker {
    /// Starts sending the checks and batches of the store in `dir`;
    /// `changed` is called after every one that was answered, failed or put
    /// off, so the screens can refresh.
    pub fn start(
        dir: &Path,
        unlock: SharedUnlock,
        keychain: Keychain,
        bell: Arc<Bell>,
        changed: impl Fn() + Send + 'static,
    ) -> ClearinghouseWorker {
        let dir: PathBuf = dir.to_path_buf();
        let worker = bell.clone();
        std::thread::Builder::new()
            .name("clinicdesk-clearinghouse".into())
            .spawn(move || run(&dir, &unlock, &keychain, &worker, &changed))
            .expect("the clearinghouse thread starts");
        ClearinghouseWorker { bell }
    }
}

impl Drop for ClearinghouseWorker {
    fn drop(&mut self) {
        self.bell.stop();
    }
}

fn run(dir: &Path, unlock: &SharedUnlock, keychain: &Keychain, bell: &Bell, changed: &dyn Fn()) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => return,
    };
    let mut store: Option<Store> = None;
    loop {
        if store.is_none() {
            store = open(dir, unlock);
        }
        if let Some(s) = store.as_mut() {
            // A store error ends this pass; the next one reopens the store.
            if drain(s, keychain, &runtime, bell, changed).is_err() {
                store = None;
            }
        }
        if !bell.wait(IDLE) || bell.stopped() {
            return;
        }
    }
}

fn open(dir: &Path, unlock: &SharedUnlock) -> Option<Store> {
    if !dir.join(CONFIG_FILE).exists() {
        return None;
    }
    crate::desk::open_beside(dir, unlock).ok()
}

/// Sends every check due now, for a caller with its own store connection
/// (a command-line run, tests); returns how many were handled.
pub fn drain_eligibility(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
) -> clinicdesk_store::Result<usize> {
    drain_checks(store, keychain, runtime, &Bell::default(), &|| {})
}

/// Sends every due check, then every due claim batch, one at a time, then
/// picks up from the SFTP drops that are due (every few minutes, or now
/// when asked).
fn drain(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    bell: &Bell,
    changed: &dyn Fn(),
) -> clinicdesk_store::Result<usize> {
    let checks = drain_checks(store, keychain, runtime, bell, changed)?;
    let batches = clinicdesk_billing::send::send_due(store, keychain, runtime, |_, _| {
        changed();
        !bell.stopped()
    })?;
    if bell.stopped() {
        return Ok(checks + batches);
    }
    let asked = bell.take_pick_up();
    let pickups = clinicdesk_billing::receive::pick_up_due(store, keychain, asked, |_| changed())?;
    if bell.stopped() {
        return Ok(checks + batches + pickups);
    }
    let followed = clinicdesk_billing::follow_up::follow_up_due(store, keychain, runtime)?;
    let asked = followed.map_or(0, |r| r.answered.len() + r.failed.len());
    if asked > 0 {
        changed();
    }
    Ok(checks + batches + pickups + asked)
}

/// Sends every due eligibility check, one at a time.
fn drain_checks(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    bell: &Bell,
    changed: &dyn Fn(),
) -> clinicdesk_store::Result<usize> {
    let mut done = 0;
    loop {
        let settings = store.payer_settings()?;
        if !settings.configured() || bell.stopped() {
            return Ok(done);
        }
        let now = clinicdesk_store::write::now_seconds();
        let Some(item) = store.eligibility_outbox(now, 1)?.into_iter().next() else {
            return Ok(done);
        };
        send(store, keychain, runtime, &settings, &item, now)?;
        done += 1;
        changed();
    }
}

/// One check: sent, and its outcome recorded.
fn send(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    settings: &PayerSettings,
    item: &OutboxItem,
    now: i64,
) -> clinicdesk_store::Result<()> {
    let id = &item.check.id;
    let Some(conn) = settings.connection_for(&item.coverage.payer_id) else {
        let why = format!(
            "No clearinghouse connection serves payer {} ({}). An administrator adds it in Preferences → Insurance.",
            item.coverage.payer_name, item.coverage.payer_id
        );
        return store.eligibility_failed(id, None, &why);
    };
    let client = match core_client(conn, keychain, 1) {
        Ok(c) => c,
        Err(e) => return store.eligibility_failed(id, Some(&conn.name), &e.to_string()),
    };
    let query = match query(settings, item) {
        Ok(q) => q,
        Err(why) => return store.eligibility_failed(id, Some(&conn.name), &why),
    };
    let payload_id = uuid::Uuid::parse_str(id).unwrap_or_else(|_| uuid::Uuid::new_v4());
    store.eligibility_sent(item, &conn.name)?;
    match runtime.block_on(check_eligibility_as(&client, &query, payload_id)) {
        Ok(result) => {
            let (outcome, summary) = summarize(&result);
            let json = serde_json::to_string(&result).unwrap_or_else(|_| "{}".into());
            store.eligibility_answered(id, &conn.name, outcome, &summary, &json)
        }
        Err(EligibilityError::Client(e)) if transient(&e) => {
            let wait = retry_delay(item.check.attempts);
            store.eligibility_retry(id, &e.to_string(), &conn.name, now + wait)
        }
        Err(e) => store.eligibility_failed(id, Some(&conn.name), &e.to_string()),
    }
}

/// The 270's content: the clinic as information receiver, the subscriber,
/// and the patient as dependent when the policy is someone else's.
fn query(settings: &PayerSettings, item: &OutboxItem) -> Result<EligibilityQuery, String> {
    let billing = settings
        .billing
        .as_ref()
        .ok_or("The clinic's billing name and NPI are not set. An administrator sets them in Preferences → Insurance.")?;
    let p = &item.patient;
    let c = &item.coverage;
    let ccyymmdd = |d: &str| d.replace('-', "");
    let gender = match p.sex {
        Sex::Female => Some("F".to_string()),
        Sex::Male => Some("M".to_string()),
        _ => None,
    };
    let trace_originator = trace_originator(billing);
    let mut q = EligibilityQuery {
        payer_id: c.payer_id.clone(),
        payer_name: c.payer_name.clone(),
        provider_npi: billing.npi.clone(),
        provider_name: billing.organization_name.clone(),
        provider_first_name: None,
        trace_originator,
        member_id: c.member_id.clone(),
        first_name: p.given_name.clone(),
        last_name: p.family_name.clone(),
        birth_date: ccyymmdd(&p.birth_date),
        gender,
        dependent: None,
        service_types: vec!["30".into()],
        service_date: Some(ccyymmdd(&item.check.service_date)),
    };
    if c.relationship != Relationship::SelfInsured {
        let (first, last) = clinicdesk_domain::validate::split_name(&c.subscriber_name).ok_or_else(|| {
            format!(
                "The subscriber's name \"{}\" needs a first and a last name; correct it on the coverage.",
                c.subscriber_name
            )
        })?;
        q.dependent = Some(Dependent {
            first_name: q.first_name,
            last_name: q.last_name,
            birth_date: q.birth_date,
            gender: q.gender.take(),
        });
        q.first_name = first;
        q.last_name = last;
        q.birth_date = String::new();
    }
    Ok(q)
}

/// TRN03, ten characters: `1` and the EIN, or `9` and an id of the
/// clinic's own, here the NPI without its check digit.
fn trace_originator(billing: &clinicdesk_store::BillingProvider) -> String {
    match &billing.tax_id {
        Some(ein) => format!("1{ein}"),
        None => format!("9{}", &billing.npi[..9.min(billing.npi.len())]),
    }
}

/// The outcome and the one line lists show.
pub fn summarize(r: &EligibilityResult) -> (&'static str, String) {
    if let Some(rej) = r.rejections.first() {
        let mut s = format!("Rejected by {}: {}", r.payer_name, rej.text);
        if let Some(fix) = &rej.fix {
            s.push_str(&format!(". {fix}"));
        }
        return ("rejected", s);
    }
    if !r.active {
        let plan = r
            .plan_name
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        return (
            "inactive",
            format!(
                "Inactive: {} reports no active coverage{plan}",
                r.payer_name
            ),
        );
    }
    let mut s = format!(
        "Active · {}",
        r.plan_name.as_deref().unwrap_or(&r.payer_name)
    );
    let copay = r
        .benefits
        .iter()
        .filter(|b| b.network != "out")
        .find_map(|b| b.copay_cents.map(|c| (b.service_type.clone(), c)));
    if let Some((st, cents)) = copay {
        let what = if st == "98" {
            "office visit copay"
        } else {
            "copay"
        };
        s.push_str(&format!(" · {what} {}", dollars(cents)));
    }
    ("active", s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_originator_is_ten_characters() {
        let mut b = clinicdesk_store::BillingProvider {
            organization_name: "Clinic".into(),
            npi: "1234567893".into(),
            tax_id: None,
            ..Default::default()
        };
        assert_eq!(trace_originator(&b), "9123456789");
        b.tax_id = Some("123456789".into());
        assert_eq!(trace_originator(&b), "1123456789");
    }

    #[test]
    fn answers_summarize_in_one_line() {
        let mut r = EligibilityResult {
            payload_id: "p".into(),
            trace_number: "t".into(),
            payer_name: "Acme Health".into(),
            active: true,
            status: None,
            plan_name: Some("Gold PPO".into()),
            plan_number: None,
            group_name: None,
            group_number: None,
            benefits: vec![clinicdesk_clearinghouse::ServiceBenefits {
                service_type: "98".into(),
                network: "in".into(),
                copay_cents: Some(2500),
                ..Default::default()
            }],
            rejections: vec![],
            messages: vec![],
        };
        assert_eq!(
            summarize(&r),
            (
                "active",
                "Active · Gold PPO · office visit copay $25.00".into()
            )
        );
        r.active = false;
        assert_eq!(summarize(&r).0, "inactive");
        r.rejections.push(clinicdesk_clearinghouse::Rejection {
            code: "72".into(),
            text: "Invalid member ID".into(),
            fix: Some("Check the member ID against the insurance card.".into()),
            follow_up: None,
        });
        let (o, s) = summarize(&r);
        assert_eq!(o, "rejected");
        assert!(s.contains("Invalid member ID. Check the member ID"), "{s}");
        assert_eq!(dollars(5), "$0.05");
    }
}
