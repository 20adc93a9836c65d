//! Insurance eligibility checks and their durable outbox. Asking is a store
//! write (so it survives a restart and an outage); the sending desktop's
//! worker takes due checks from [`Store::eligibility_outbox`] and records
//! each attempt's outcome. A verification counts for [`FRESH_FOR`] seconds.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::patients::load_patient;
use crate::patients::{Coverage, Patient};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text};
use chrono::NaiveDate;
use clinicdesk_domain::{Permission, Role};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// How long an answer from the payer stands: 24 hours.
pub const FRESH_FOR: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    /// Waiting to be sent, or to be sent again after a failed attempt.
    Queued,
    /// The payer answered.
    Done,
    /// Cannot be done as asked (settings, credentials, a bad answer); staff
    /// act, then check again.
    Failed,
}

impl CheckState {
    fn parse(s: &str) -> CheckState {
        match s {
            "done" => CheckState::Done,
            "failed" => CheckState::Failed,
            _ => CheckState::Queued,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibilityCheck {
    pub id: String,
    pub patient_id: String,
    pub coverage_id: String,
    pub appointment_id: Option<String>,
    pub service_date: String,
    pub device_id: String,
    pub requested_at: i64,
    pub requested_by: String,
    pub state: CheckState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub connection: Option<String>,
    /// `active`, `inactive` or `rejected` once answered.
    pub outcome: Option<String>,
    pub summary: Option<String>,
    /// The answer as read (JSON).
    pub result: Option<String>,
    pub completed_at: Option<i64>,
}

impl EligibilityCheck {
    /// An answer younger than [`FRESH_FOR`].
    pub fn fresh(&self, now: i64) -> bool {
        self.state == CheckState::Done && self.completed_at.is_some_and(|t| now - t < FRESH_FOR)
    }
}

const COLS: &str = "id, patient_id, coverage_id, appointment_id, service_date, device_id, requested_at, requested_by, state, attempts, next_attempt_at, last_error, connection, outcome, summary, result, completed_at";

/// `e` (an `eligibility_checks` row) is its coverage's latest check.
const LATEST: &str = "NOT EXISTS (
    SELECT 1 FROM eligibility_checks n
    WHERE n.coverage_id = e.coverage_id
      AND (n.requested_at > e.requested_at OR (n.requested_at = e.requested_at AND n.id > e.id)))";

fn read_check(r: &rusqlite::Row) -> rusqlite::Result<EligibilityCheck> {
    read_check_at(r, 0)
}

/// A check from the row's columns `base..`, in [`COLS`] order.
fn read_check_at(r: &rusqlite::Row, base: usize) -> rusqlite::Result<EligibilityCheck> {
    Ok(EligibilityCheck {
        id: r.get(base)?,
        patient_id: r.get(base + 1)?,
        coverage_id: r.get(base + 2)?,
        appointment_id: r.get(base + 3)?,
        service_date: r.get(base + 4)?,
        device_id: r.get(base + 5)?,
        requested_at: r.get(base + 6)?,
        requested_by: r.get(base + 7)?,
        state: CheckState::parse(&r.get::<_, String>(base + 8)?),
        attempts: r.get(base + 9)?,
        next_attempt_at: r.get(base + 10)?,
        last_error: r.get(base + 11)?,
        connection: r.get(base + 12)?,
        outcome: r.get(base + 13)?,
        summary: r.get(base + 14)?,
        result: r.get(base + 15)?,
        completed_at: r.get(base + 16)?,
    })
}

/// A due check with what the 270 is built from.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub check: EligibilityCheck,
    pub patient: Patient,
    pub coverage: Coverage,
}

/// What a batch request did, for the front desk's message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub appointments: usize,
    /// New checks queued.
    pub queued: usize,
    /// Verified within the last 24 hours, or already waiting to be sent.
    pub already: usize,
    /// Self-pay: no active coverage to check.
    pub no_coverage: usize,
}

/// Who sends checks and records answers: the desktop itself, on behalf of
/// whoever asked (named in each check).
fn outbox_session() -> Session {
    Session {
        user_id: "clearinghouse".into(),
        username: "clearinghouse".into(),
        display_name: "Insurance checks".into(),
        role: Role::Admin,
        provider_id: None,
    }
}

fn may_request(session: &Session) -> Result<()> {
    session.require(Permission::CoverageRead)?;
    if session.can(Permission::CheckIn) || session.can(Permission::CoverageWrite) {
        Ok(())
    } else {
        session.require(Permission::CheckIn)
    }
}

impl Store {
    /// Asks for a check of one coverage for `service_date`. A check already
    /// waiting for the same coverage and date is returned instead of a
    /// second one.
    pub fn request_eligibility(
        &mut self,
        session: &Session,
        coverage_id: &str,
        appointment_id: Option<&str>,
        service_date: NaiveDate,
    ) -> Result<EligibilityCheck> {
        may_request(session)?;
        let id = self.write(session, |tx| {
            queue(tx, coverage_id, appointment_id, service_date).map(|(id, _)| id)
        })?;
        self.eligibility_check(&id)
    }

    /// Queues checks for every booked appointment on `date` whose primary
    /// coverage has no answer from the last 24 hours.
    pub fn request_eligibility_for_day(
        &mut self,
        session: &Session,
        date: NaiveDate,
    ) -> Result<BatchReport> {
        may_request(session)?;
        session.require(Permission::AppointmentRead)?;
        let (from, to) = self.zone().day_bounds(date);
        let rows: Vec<(String, Option<String>)> = self
            .conn()
            .prepare(
                "SELECT a.id, c.id FROM appointments a
                 LEFT JOIN coverages c ON c.patient_id = a.patient_id AND c.active = 1 AND c.priority = 1
                 WHERE a.starts_at >= ?1 AND a.starts_at < ?2
                   AND a.status NOT IN ('cancelled', 'no-show', 'completed')
                 ORDER BY a.starts_at, a.id",
            )?
            .query_map((from, to), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut report = BatchReport {
            appointments: rows.len(),
            ..BatchReport::default()
        };
        self.write(session, |tx| {
            for (appointment, coverage) in &rows {
                match coverage {
                    None => report.no_coverage += 1,
                    Some(c) => match queue(tx, c, Some(appointment), date)? {
                        (_, true) => report.queued += 1,
                        (_, false) => report.already += 1,
                    },
                }
            }
            tx.audit(Entry::new("eligibility", "request-day").detail(format!(
                "{date}: {} queued, {} already verified or waiting, {} self-pay",
                report.queued, report.already, report.no_coverage
            )))
        })?;
        Ok(report)
    }

    /// One check, unaudited: it holds no demographics.
    pub fn eligibility_check(&self, id: &str) -> Result<EligibilityCheck> {
        self.conn()
            .query_row(
                &format!("SELECT {COLS} FROM eligibility_checks WHERE id = ?1"),
                [id],
                read_check,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("eligibility check", id))
    }

    /// The latest check of each of a patient's coverages (audited).
    pub fn eligibility_of(
        &mut self,
        session: &Session,
        patient_id: &str,
    ) -> Result<Vec<EligibilityCheck>> {
        session.require(Permission::CoverageRead)?;
        let checks: Vec<EligibilityCheck> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLS} FROM eligibility_checks e
                 WHERE patient_id = ?1 AND {LATEST}
                 ORDER BY coverage_id"
            ))?
            .query_map([patient_id], read_check)?
            .collect::<rusqlite::Result<_>>()?;
        if !checks.is_empty() {
            self.write(session, |tx| {
                tx.audit(Entry::new("eligibility", "read").patient(patient_id))
            })?;
        }
        Ok(checks)
    }

    /// The latest check of each primary coverage of the patients booked on
    /// `date`, for the day's lists (by appointment id). Unaudited: it
    /// holds no demographics, only the verification state.
    pub fn eligibility_for_day(&self, date: NaiveDate) -> Result<Vec<(String, EligibilityCheck)>> {
        let (from, to) = self.zone().day_bounds(date);
        let v = self
            .conn()
            .prepare_cached(&format!(
                "SELECT a.id, {} FROM appointments a
                 JOIN coverages c ON c.patient_id = a.patient_id AND c.active = 1 AND c.priority = 1
                 JOIN eligibility_checks e ON e.coverage_id = c.id
                 WHERE a.starts_at >= ?1 AND a.starts_at < ?2 AND {LATEST}",
                COLS.split(", ")
                    .map(|c| format!("e.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?
            .query_map((from, to), |r| Ok((r.get(0)?, read_check_at(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(v)
    }

    /// Checks this desktop queued that are due at `now`, oldest first.
    pub fn eligibility_outbox(&self, now: i64, limit: usize) -> Result<Vec<OutboxItem>> {
        let checks: Vec<EligibilityCheck> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLS} FROM eligibility_checks
                 WHERE state = 'queued' AND device_id = ?1 AND next_attempt_at <= ?2
                 ORDER BY next_attempt_at, requested_at LIMIT ?3"
            ))?
            .query_map((self.device_id(), now, limit as i64), read_check)?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(checks.len());
        for check in checks {
            let mut patient = load_patient(self.conn(), &check.patient_id)?;
            patient.coverages = self.coverages_of(&check.patient_id)?;
            let coverage = patient
                .coverages
                .iter()
                .find(|c| c.id == check.coverage_id)
                .cloned()
                .ok_or_else(|| StoreError::not_found("coverage", &check.coverage_id))?;
            out.push(OutboxItem {
                check,
                patient,
                coverage,
            });
        }
        Ok(out)
    }

    /// The number of checks this desktop still has to send.
    pub fn eligibility_outbox_len(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM eligibility_checks WHERE state = 'queued' AND device_id = ?1",
            [self.device_id()],
            |r| r.get(0),
        )?)
    }

    /// The demographics left for the payer: audited as a disclosure.
    pub fn eligibility_sent(&mut self, item: &OutboxItem, connection: &str) -> Result<()> {
        let session = outbox_session();
        self.write(&session, |tx| {
            tx.audit(
                Entry::new("eligibility", "send")
                    .patient(&item.check.patient_id)
                    .record(&item.check.id)
                    .detail(format!(
                        "270 to {connection} for {} member {}",
                        item.coverage.payer_name, item.coverage.member_id
                    )),
            )
        })
    }

    /// An attempt got no answer; the check stays queued until `retry_at`.
    pub fn eligibility_retry(
        &mut self,
        id: &str,
        error: &str,
        connection: &str,
        retry_at: i64,
    ) -> Result<()> {
        let check = self.eligibility_check(id)?;
        self.write(&outbox_session(), |tx| {
            tx.update(
                "eligibility_checks",
                id,
                vec![
                    ("attempts", int(check.attempts + 1)),
                    ("next_attempt_at", int(retry_at)),
                    ("last_error", text(error)),
                    ("connection", text(connection)),
                ],
            )
        })
    }

    /// The payer answered: `outcome` is active, inactive or rejected.
    pub fn eligibility_answered(
        &mut self,
        id: &str,
        connection: &str,
        outcome: &str,
        summary: &str,
        result_json: &str,
    ) -> Result<()> {
        if !matches!(outcome, "active" | "inactive" | "rejected") {
            return Err(StoreError::invalid(format!(
                "'{outcome}' is not an eligibility outcome"
            )));
        }
        self.settle(
            id,
            vec![
                ("state", text("done")),
                ("last_error", opt_text(None::<String>)),
                ("connection", text(connection)),
                ("outcome", text(outcome)),
                ("summary", text(summary)),
                ("result", text(result_json)),
            ],
            "answer",
            format!("{connection}: {summary}"),
        )
    }

    /// The check cannot be done as asked; `error` says what to fix.
    pub fn eligibility_failed(
        &mut self,
        id: &str,
        connection: Option<&str>,
        error: &str,
    ) -> Result<()> {
        self.settle(
            id,
            vec![
                ("state", text("failed")),
                ("last_error", text(error)),
                ("connection", opt_text(connection)),
            ],
            "fail",
            error.to_string(),
        )
    }

    /// Ends a check (answered or failed): `fields`, one more attempt, the
    /// time, and the audit entry, together.
    fn settle(
        &mut self,
        id: &str,
        mut fields: crate::write::Fields,
        action: &'static str,
        detail: String,
    ) -> Result<()> {
        let check = self.eligibility_check(id)?;
        self.write(&outbox_session(), |tx| {
            fields.push(("attempts", int(check.attempts + 1)));
            fields.push(("completed_at", int(tx.now())));
            tx.update("eligibility_checks", id, fields)?;
            tx.audit(
                Entry::new("eligibility", action)
                    .patient(&check.patient_id)
                    .record(id)
                    .detail(detail),
            )
        })
    }
}

/// Queues a check unless one for the coverage is fresh or waiting;
/// returns its id and whether it is new.
fn queue(
    tx: &mut crate::write::Tx,
    coverage_id: &str,
    appointment_id: Option<&str>,
    service_date: NaiveDate,
) -> Result<(String, bool)> {
    let coverage: Option<(String, bool)> = tx
        .conn()
        .prepare_cached("SELECT patient_id, active FROM coverages WHERE id = ?1")?
        .query_row([coverage_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (patient_id, active) =
        coverage.ok_or_else(|| StoreError::not_found("coverage", coverage_id))?;
    if !active {
        return Err(StoreError::invalid(
            "this coverage has ended; only active coverage can be checked",
        ));
    }
    if let Some(a) = appointment_id {
        let owner: Option<String> = tx
            .conn()
            .prepare_cached("SELECT patient_id FROM appointments WHERE id = ?1")?
            .query_row([a], |r| r.get(0))
            .optional()?;
        match owner {
            None => return Err(StoreError::not_found("appointment", a)),
            Some(p) if p != patient_id => {
                return Err(StoreError::invalid(
                    "this coverage belongs to another patient than the appointment",
                ))
            }
            Some(_) => {}
        }
    }
    let date = service_date.format("%Y-%m-%d").to_string();
    let now = tx.now();
    let existing: Option<(String, String, i64)> = tx
        .conn()
        .prepare_cached(
            "SELECT id, state, next_attempt_at FROM eligibility_checks
             WHERE coverage_id = ?1 AND service_date = ?2
               AND (state = 'queued' OR (state = 'done' AND completed_at > ?3))
             ORDER BY requested_at DESC LIMIT 1",
        )?
        .query_row((coverage_id, &date, now - FRESH_FOR), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((id, state, next)) = existing {
        // Asking again for a check that is waiting out a retry sends it now.
        if state == "queued" && next > now {
            tx.update(
                "eligibility_checks",
                &id,
                vec![("next_attempt_at", int(now))],
            )?;
        }
        return Ok((id, false));
    }
    let id = new_id();
    let device = tx.device_id().to_string();
    let by = tx.session().display_name.clone();
    tx.insert(
        "eligibility_checks",
        &id,
        vec![
            ("patient_id", text(&patient_id)),
            ("coverage_id", text(coverage_id)),
            ("appointment_id", opt_text(appointment_id)),
            ("service_date", text(&date)),
            ("device_id", text(device)),
            ("requested_at", int(now)),
            ("requested_by", text(by)),
            ("state", text("queued")),
            ("attempts", int(0)),
            ("next_attempt_at", int(now)),
        ],
    )?;
    tx.audit(
        Entry::new("eligibility", "request")
            .patient(&patient_id)
            .record(&id)
            .detail(format!("for {date}")),
    )?;
    Ok((id, true))
}
