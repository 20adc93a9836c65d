//! Insurance eligibility as the front desk sees it: each coverage's state
//! (verified, inactive, rejected with what to fix, waiting to be sent,
//! failed, or not verified), asking again, tomorrow's batch, and the payer
//! settings. Sending happens in [`crate::ClearinghouseWorker`], never on the
//! screen's thread.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::inputs::{date, filled, IdInput};
use crate::Result;
use clinicdesk_clearinghouse::EligibilityResult;
use clinicdesk_domain::Permission;
use clinicdesk_store::eligibility::FRESH_FOR;
use clinicdesk_store::{
    sftp_secret_account, BatchReport, BillingProvider, CheckState, Coverage, EligibilityCheck,
    PayerConnection, PayerSettings, Transport,
};
use serde::{Deserialize, Serialize};

/// What one coverage's verification looks like right now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageEligibility {
    pub coverage_id: String,
    pub priority: i64,
    pub payer_name: String,
    pub member_id: String,
    /// `active`, `inactive`, `rejected`, `waiting`, `failed`, `expired`
    /// (answered more than 24 hours ago) or `not-checked`.
    pub state: String,
    /// One sentence for the badge's tooltip and the panel's heading.
    pub headline: String,
    /// Why it is waiting or failed, in plain words.
    pub detail: Option<String>,
    /// Seconds since the epoch of the request and of the answer.
    pub requested_at: Option<i64>,
    pub requested_by: Option<String>,
    pub answered_at: Option<i64>,
    pub check_id: Option<String>,
    /// The payer's answer: plan, benefits by service type, rejections.
    pub result: Option<EligibilityResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientEligibility {
    /// Payer settings exist on this desktop, so checks can be sent.
    pub configured: bool,
    pub can_check: bool,
    pub coverages: Vec<CoverageEligibility>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckEligibilityInput {
    pub coverage_id: String,
    #[serde(default)]
    pub appointment_id: Option<String>,
    /// YYYY-MM-DD; today when not set.
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DayEligibilityInput {
    /// YYYY-MM-DD; tomorrow when not set.
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayEligibilityReport {
    pub date: String,
    #[serde(flatten)]
    pub report: BatchReport,
    /// A sentence for the toast.
    pub message: String,
}

/// The payer settings screen: settings plus which connections have a
/// password in this computer's keychain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayerSettingsView {
    pub billing: Option<BillingProvider>,
    pub connections: Vec<ConnectionView>,
    pub can_change: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionView {
    #[serde(flatten)]
    pub connection: PayerConnection,
    pub has_password: bool,
    /// An SFTP drop's password or key passphrase is in the keychain.
    pub has_sftp_secret: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PayerSettingsInput {
    #[serde(default)]
    pub billing: Option<BillingProvider>,
    #[serde(default)]
    pub connections: Vec<ConnectionInput>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConnectionInput {
    #[serde(flatten)]
    pub connection: PayerConnection,
    /// A new password for the keychain; `None` keeps the stored one.
    #[serde(default)]
    pub password: Option<String>,
    /// A new SFTP password (or private key passphrase) for the keychain;
    /// `None` keeps the stored one.
    #[serde(default)]
    pub sftp_secret: Option<String>,
}

/// The keychain account holding a connection's password.
pub fn password_account(connection: &str) -> String {
    format!("clearinghouse/{connection}")
}

/// The state of one coverage from its latest check.
pub fn coverage_view(
    c: &Coverage,
    check: Option<&EligibilityCheck>,
    now: i64,
) -> CoverageEligibility {
    let mut v = CoverageEligibility {
        coverage_id: c.id.clone(),
        priority: c.priority,
        payer_name: c.payer_name.clone(),
        member_id: c.member_id.clone(),
        state: "not-checked".into(),
        headline: "Not verified".into(),
        detail: None,
        requested_at: None,
        requested_by: None,
        answered_at: None,
        check_id: None,
        result: None,
    };
    let Some(check) = check else { return v };
    v.requested_at = Some(check.requested_at);
    v.requested_by = Some(check.requested_by.clone());
    v.answered_at = check.completed_at;
    v.check_id = Some(check.id.clone());
    v.detail = check.last_error.clone();
    v.result = check
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let (state, headline) = describe(check, &c.payer_name, now);
    v.state = state;
    v.headline = headline;
    v
}

/// A check's state and the sentence that says it.
pub(crate) fn describe(check: &EligibilityCheck, payer_name: &str, now: i64) -> (String, String) {
    let (state, headline) = match check.state {
        CheckState::Queued if check.attempts == 0 => {
            ("waiting", format!("Not verified yet: asking {payer_name}…"))
        }
        CheckState::Queued => (
            "waiting",
            "Not verified: waiting to reach the clearinghouse; it is retried automatically".into(),
        ),
        CheckState::Failed => ("failed", "Not verified: the check could not be done".into()),
        CheckState::Done if now - check.completed_at.unwrap_or(0) >= FRESH_FOR => (
            "expired",
            "Not verified today: the last answer is more than 24 hours old".into(),
        ),
        CheckState::Done => {
            return (
                check.outcome.clone().unwrap_or_else(|| "active".into()),
                check.summary.clone().unwrap_or_default(),
            )
        }
    };
    (state.to_string(), headline)
}

impl Desk {
    /// The verification of each active coverage of a patient.
    pub fn eligibility(&mut self, input: &IdInput) -> Result<PatientEligibility> {
        self.patient_eligibility(&input.id)
    }

    fn patient_eligibility(&mut self, patient_id: &str) -> Result<PatientEligibility> {
        let now = self.now_seconds();
        let (store, session) = self.session()?;
        let configured = store.payer_settings()?.configured();
        let patient = store.patient(&session, patient_id)?;
        let checks = store.eligibility_of(&session, patient_id)?;
        let coverages = patient
            .coverages
            .iter()
            .filter(|c| c.active)
            .map(|c| coverage_view(c, checks.iter().find(|k| k.coverage_id == c.id), now))
            .collect();
        Ok(PatientEligibility {
            configured,
            can_check: session.can(Permission::CheckIn) || session.can(Permission::CoverageWrite),
            coverages,
        })
    }

    /// Asks the payer about one coverage (again). The answer arrives in the
    /// background; the returned state is "waiting" unless a fresh answer
    /// for the same date already stands.
    pub fn check_eligibility(
        &mut self,
        input: &CheckEligibilityInput,
    ) -> Result<PatientEligibility> {
        let (store, session) = self.session()?;
        if !store.payer_settings()?.configured() {
            return Err(not_configured());
        }
        let day = match filled(&input.date) {
            Some(d) => date("service", &d)?,
            None => store.zone().today(),
        };
        let check = store.request_eligibility(
            &session,
            &input.coverage_id,
            filled(&input.appointment_id).as_deref(),
            day,
        )?;
        self.nudge_outbox();
        self.patient_eligibility(&check.patient_id)
    }

    /// Queues checks for everyone booked on a day (tomorrow by default).
    pub fn check_day_eligibility(
        &mut self,
        input: &DayEligibilityInput,
    ) -> Result<DayEligibilityReport> {
        let (store, session) = self.session()?;
        if !store.payer_settings()?.configured() {
            return Err(not_configured());
        }
        let day = match filled(&input.date) {
            Some(d) => date("schedule", &d)?,
            None => store.zone().today() + chrono::Duration::days(1),
        };
        let report = store.request_eligibility_for_day(&session, day)?;
        self.nudge_outbox();
        let message = day_message(&report, &day.format("%A %-d %B").to_string());
        Ok(DayEligibilityReport {
            date: day.to_string(),
            report,
            message,
        })
    }

    /// After check-in: a check of the primary coverage, unless one for today
    /// is fresh or waiting. Nothing happens where payers are not set up.
    pub(crate) fn check_at_check_in(
        &mut self,
        patient_id: &str,
        appointment_id: &str,
    ) -> Result<()> {
        let (store, session) = self.session()?;
        if !store.payer_settings()?.configured() || !session.can(Permission::CoverageRead) {
            return Ok(());
        }
        let patient = store.patient(&session, patient_id)?;
        let Some(primary) = patient
            .coverages
            .iter()
            .find(|c| c.active && c.priority == 1)
        else {
            return Ok(());
        };
        let today = store.zone().today();
        store.request_eligibility(&session, &primary.id, Some(appointment_id), today)?;
        self.nudge_outbox();
        Ok(())
    }

    pub fn payer_settings(&mut self) -> Result<PayerSettingsView> {
        let keychain = self.keychain().clone();
        let (store, session) = self.session()?;
        let settings = store.payer_settings()?;
        let connections = settings
            .connections
            .into_iter()
            .map(|c| ConnectionView {
                has_password: keychain
                    .load_secret(&password_account(&c.name))
                    .is_ok_and(|p| p.is_some()),
                has_sftp_secret: keychain
                    .load_secret(&sftp_secret_account(&c.name))
                    .is_ok_and(|p| p.is_some()),
                connection: c,
            })
            .collect();
        Ok(PayerSettingsView {
            billing: settings.billing,
            connections,
            can_change: session.can(Permission::StoreAdmin),
        })
    }

    /// Saves the settings (administrators), then any new passwords into the
    /// keychain. A connection without a password anywhere is refused, and
    /// so is an SFTP drop with neither a password nor a private key, so
    /// nothing fails later for want of one the administrator meant to type.
    pub fn set_payer_settings(&mut self, input: &PayerSettingsInput) -> Result<PayerSettingsView> {
        let keychain = self.keychain().clone();
        let (store, session) = self.session()?;
        session
            .require(Permission::StoreAdmin)
            .map_err(DeskError::from)?;
        let has = |typed: &Option<String>, account: String| -> Result<bool> {
            if typed.as_deref().is_some_and(|p| !p.is_empty()) {
                return Ok(true);
            }
            Ok(keychain
                .load_secret(&account)
                .map_err(|e| {
                    DeskError::new("key", format!("The keychain could not be read: {e}."))
                })?
                .is_some())
        };
        for c in &input.connections {
            let name = c.connection.name.trim();
            if !has(&c.password, password_account(name))? {
                return Err(DeskError::invalid(format!(
                    "Type the password for {name}; it is kept in this computer's keychain."
                )));
            }
            if let Transport::Sftp(drop) = &c.connection.transport {
                if drop.private_key.is_none() && !has(&c.sftp_secret, sftp_secret_account(name))? {
                    return Err(DeskError::invalid(format!(
                        "Type the SFTP password for {name}, or give its private key file; the password is kept in this computer's keychain."
                    )));
                }
            }
        }
        let settings = PayerSettings {
            billing: input.billing.clone(),
            connections: input
                .connections
                .iter()
                .map(|c| c.connection.clone())
                .collect(),
        };
        store.set_payer_settings(&session, settings)?;
        let save = |account: String, secret: &Option<String>| -> Result<()> {
            match secret.as_deref().filter(|p| !p.is_empty()) {
                Some(p) => keychain.save_secret(&account, p).map_err(|e| {
                    DeskError::new(
                        "key",
                        format!("The password could not be saved in the keychain: {e}."),
                    )
                }),
                None => Ok(()),
            }
        };
        for c in &input.connections {
            let name = c.connection.name.trim();
            save(password_account(name), &c.password)?;
            save(sftp_secret_account(name), &c.sftp_secret)?;
        }
        self.nudge_outbox();
        self.payer_settings()
    }
}

fn not_configured() -> DeskError {
    DeskError::new(
        "not-configured",
        "Insurance checks are not set up on this computer yet. An administrator sets them up in Preferences → Insurance.",
    )
}

fn day_message(r: &BatchReport, day: &str) -> String {
    if r.appointments == 0 {
        return format!("Nobody is booked on {day}.");
    }
    let mut parts = Vec::new();
    if r.queued > 0 {
        parts.push(format!("checking {} patient{}", r.queued, plural(r.queued)));
    }
    if r.already > 0 {
        parts.push(format!("{} already verified or on the way", r.already));
    }
    if r.no_coverage > 0 {
        parts.push(format!("{} self-pay", r.no_coverage));
    }
    let text = parts.join(", ");
    format!("{day}: {text}.")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_messages_say_what_happened() {
        let r = BatchReport {
            appointments: 5,
            queued: 3,
            already: 1,
            no_coverage: 1,
        };
        assert_eq!(
            day_message(&r, "Monday 23 November"),
            "Monday 23 November: checking 3 patients, 1 already verified or on the way, 1 self-pay."
        );
        assert_eq!(
            day_message(&BatchReport::default(), "Sunday"),
            "Nobody is booked on Sunday."
        );
    }
}
