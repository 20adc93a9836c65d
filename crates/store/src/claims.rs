//! Claims in the store: the ICD-10-CM code set, the fee schedule, claims
//! drafted from finished encounters, the 837P batches they leave in, their
//! acknowledgements, and the payments posted from remittances. What a
//! claim must contain before it is sent (the scrubber) and the X12 itself
//! live in `clinicdesk-billing`; the store keeps the records and the rules
//! about who may change what, and when.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text};
use clinicdesk_domain::Permission;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fee {
    pub id: String,
    pub code: String,
    pub modifier: String,
    pub description: String,
    pub charge_cents: i64,
}

/// A service line as billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLine {
    pub code: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    pub units: i64,
    pub charge_cents: i64,
    /// 1-based positions in the claim's diagnoses, up to four.
    pub pointers: Vec<u8>,
}

/// A line as the biller enters it; the charge comes from the fee schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LineDraft {
    pub code: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    #[serde(default = "one")]
    pub units: i64,
    /// Defaults to the first diagnosis.
    #[serde(default)]
    pub pointers: Vec<u8>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ClaimDraft {
    pub encounter_id: String,
    /// ICD-10-CM, with or without the dot; the principal diagnosis first.
    pub diagnoses: Vec<String>,
    pub lines: Vec<LineDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: String,
    pub encounter_id: String,
    pub patient_id: String,
    pub coverage_id: String,
    pub provider_id: String,
    pub service_date: String,
    pub diagnoses: Vec<String>,
    pub lines: Vec<ClaimLine>,
    pub total_charge_cents: i64,
    /// draft, submitted, accepted, rejected, paid, partial, denied, void.
    pub status: String,
    pub status_detail: Option<String>,
    pub batch_id: Option<String>,
    pub submitted_at: Option<i64>,
    pub payer_claim_number: Option<String>,
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_resp_cents: i64,
    pub created_at: i64,
    pub created_by: String,
}

impl Claim {
    /// What the payer still owes: charges less payments and adjustments
    /// (the patient's share is billed to the patient, not the payer).
    pub fn payer_balance_cents(&self) -> i64 {
        match self.status.as_str() {
            "draft" | "void" | "denied" | "rejected" => 0,
            _ => (self.total_charge_cents
                - self.paid_cents
                - self.adjusted_cents
                - self.patient_resp_cents)
                .max(0),
        }
    }
}

/// One adjustment (CAS) of a posted payment, with its reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedAdjustment {
    /// CO contractual, PR patient responsibility, OA other, PI payer initiated.
    pub group: String,
    pub reason: String,
    pub amount_cents: i64,
    pub text: String,
}

/// One CLP of an 835, ready to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentPosting {
    pub patient_control_number: String,
    pub payer_name: String,
    pub trace_number: String,
    pub payment_date: Option<String>,
    pub status_code: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub patient_resp_cents: i64,
    pub payer_claim_number: Option<String>,
    pub adjustments: Vec<PostedAdjustment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostedPayment {
    pub id: String,
    /// The claim it was matched to; `None` when no claim has its number.
    pub claim_id: Option<String>,
    #[serde(flatten)]
    pub payment: PaymentPosting,
    /// False when this exact payment was posted before.
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub id: String,
    pub control_number: i64,
    pub created_at: i64,
    pub claim_count: i64,
    pub total_cents: i64,
    pub x12: String,
    pub ack_status: Option<String>,
    pub ack_detail: Option<String>,
    /// `queued` (waiting to be sent), `sent` or `failed` (cannot go as it
    /// is; `delivery_note` says why).
    pub delivery: String,
    pub connection: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivery_note: Option<String>,
    pub sent_at: Option<i64>,
    /// The desktop that sends it.
    pub device_id: Option<String>,
}

pub(crate) const BATCH_COLS: &str = "id, control_number, created_at, claim_count, total_cents, x12, ack_status, ack_detail, delivery, connection, attempts, next_attempt_at, delivery_note, sent_at, device_id";

pub(crate) fn read_batch(r: &rusqlite::Row) -> rusqlite::Result<Batch> {
    Ok(Batch {
        id: r.get(0)?,
        control_number: r.get(1)?,
        created_at: r.get(2)?,
        claim_count: r.get(3)?,
        total_cents: r.get(4)?,
        x12: r.get(5)?,
        ack_status: r.get(6)?,
        ack_detail: r.get(7)?,
        delivery: r.get(8)?,
        connection: r.get(9)?,
        attempts: r.get(10)?,
        next_attempt_at: r.get(11)?,
        delivery_note: r.get(12)?,
        sent_at: r.get(13)?,
        device_id: r.get(14)?,
    })
}

const CLAIM_COLS: &str = "id, encounter_id, patient_id, coverage_id, provider_id, service_date, diagnoses, lines, total_charge_cents, status, status_detail, batch_id, submitted_at, payer_claim_number, paid_cents, adjusted_cents, patient_resp_cents, created_at, created_by";

fn read_claim(r: &rusqlite::Row) -> rusqlite::Result<Claim> {
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let bad = |i: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(Claim {
        id: r.get(0)?,
        encounter_id: r.get(1)?,
        patient_id: r.get(2)?,
        coverage_id: r.get(3)?,
        provider_id: r.get(4)?,
        service_date: r.get(5)?,
        diagnoses: serde_json::from_str(&json(6)?).map_err(|e| bad(6, e))?,
        lines: serde_json::from_str(&json(7)?).map_err(|e| bad(7, e))?,
        total_charge_cents: r.get(8)?,
        status: r.get(9)?,
        status_detail: r.get(10)?,
        batch_id: r.get(11)?,
        submitted_at: r.get(12)?,
        payer_claim_number: r.get(13)?,
        paid_cents: r.get(14)?,
        adjusted_cents: r.get(15)?,
        patient_resp_cents: r.get(16)?,
        created_at: r.get(17)?,
        created_by: r.get(18)?,
    })
}

/// `J20.9` → `J209`.
pub fn normalize_icd10(code: &str) -> String {
    code.trim().replace('.', "").to_ascii_uppercase()
}

/// `J209` → `J20.9`, for people.
pub fn display_icd10(code: &str) -> String {
    if code.len() > 3 {
        format!("{}.{}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

/// The code set as `scripts/fetch-code-sets.sh` writes it: one code a
/// line, `CODE<tab>0|1<tab>DESCRIPTION` (1: billable). Blank lines are
/// skipped; anything else names its line.
pub fn parse_icd10cm_tsv(text: &str) -> std::result::Result<Vec<(String, bool, String)>, String> {
    let mut rows = Vec::new();
    for (n, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = l.splitn(3, '\t').collect();
        if f.len() != 3 || !matches!(f[1], "0" | "1") {
            return Err(format!(
                "line {}: expected CODE<tab>0|1<tab>DESCRIPTION",
                n + 1
            ));
        }
        rows.push((f[0].to_string(), f[1] == "1", f[2].to_string()));
    }
    Ok(rows)
}

fn procedure_code(code: &str) -> Result<String> {
    let c = code.trim().to_ascii_uppercase();
    if c.len() != 5 || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(StoreError::invalid(format!(
            "\"{}\" is not a CPT or HCPCS code (five letters or digits, like 99213 or G0438)",
            code.trim()
        )));
    }
    Ok(c)
}

fn modifier(m: &str) -> Result<String> {
    let m = m.trim().to_ascii_uppercase();
    if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(StoreError::invalid(format!(
            "\"{m}\" is not a modifier (two letters or digits, like 25)"
        )));
    }
    Ok(m)
}

impl Store {
    /// Replaces the ICD-10-CM code set: `(code, billable, description)`.
    pub fn import_icd10cm(
        &mut self,
        session: &Session,
        codes: impl IntoIterator<Item = (String, bool, String)>,
        source: &str,
    ) -> Result<usize> {
        if !session.can(Permission::StoreAdmin) {
            session.require(Permission::Billing)?;
        }
        let rows: Vec<(String, bool, String)> = codes.into_iter().collect();
        for (code, _, desc) in &rows {
            let c = normalize_icd10(code);
            if !(3..=7).contains(&c.len())
                || !c.bytes().all(|b| b.is_ascii_alphanumeric())
                || desc.trim().is_empty()
            {
                return Err(StoreError::invalid(format!(
                    "\"{code}\" is not an ICD-10-CM code with a description; the file is not a code set"
                )));
            }
        }
        if rows.is_empty() {
            return Err(StoreError::invalid("the code set file holds no codes"));
        }
        let n = rows.len();
        self.write(session, |tx| {
            tx.conn().execute("DELETE FROM icd10cm_codes", [])?;
            {
                let mut ins = tx.conn().prepare_cached(
                    "INSERT OR REPLACE INTO icd10cm_codes (code, billable, description) VALUES (?1, ?2, ?3)",
                )?;
                for (code, billable, desc) in &rows {
                    ins.execute((normalize_icd10(code), billable, desc.trim()))?;
                }
            }
            tx.audit(Entry::new("codes", "import").detail(format!("ICD-10-CM: {n} codes from {source}")))
        })?;
        Ok(n)
    }

    /// `(billable, description)` of a code, if the code set has it.
    pub fn icd10cm(&self, code: &str) -> Result<Option<(bool, String)>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT billable, description FROM icd10cm_codes WHERE code = ?1")?
            .query_row([normalize_icd10(code)], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    pub fn icd10cm_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM icd10cm_codes", [], |r| r.get(0))?)
    }

    /// The billable codes under a category, for "choose a more specific
    /// code" hints.
    pub fn icd10cm_children(&self, code: &str, limit: usize) -> Result<Vec<(String, String)>> {
        let c = normalize_icd10(code);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT code, description FROM icd10cm_codes
                 WHERE code > ?1 AND code < ?1 || 'ZZZZZZZZ' AND billable = 1 ORDER BY code LIMIT ?2",
            )?
            .query_map((&c, limit as i64), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Sets what the clinic charges for a procedure and modifier.
    pub fn set_fee(
        &mut self,
        session: &Session,
        code: &str,
        modifier_code: Option<&str>,
        description: &str,
        charge_cents: i64,
    ) -> Result<Fee> {
        session.require(Permission::Billing)?;
        let code = procedure_code(code)?;
        let m = match modifier_code.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => modifier(m)?,
            None => String::new(),
        };
        let desc = clinicdesk_domain::validate::name("the description", description)
            .map_err(StoreError::Invalid)?;
        if charge_cents <= 0 || charge_cents > 100_000_000 {
            return Err(StoreError::invalid(
                "the charge must be more than $0 and at most $1,000,000",
            ));
        }
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM fee_schedule WHERE code = ?1 AND modifier = ?2",
                (&code, &m),
                |r| r.get(0),
            )
            .optional()?;
        let id = existing.clone().unwrap_or_else(new_id);
        self.write(session, |tx| {
            let fields = vec![
                ("description", text(&desc)),
                ("charge_cents", int(charge_cents)),
            ];
            if existing.is_some() {
                tx.update("fee_schedule", &id, fields)?;
            } else {
                let mut all = vec![("code", text(&code)), ("modifier", text(&m))];
                all.extend(fields);
                tx.insert("fee_schedule", &id, all)?;
            }
            tx.audit(Entry::new("billing", "set-fee").record(&id).detail(format!(
                "{code}{} {} cents",
                if m.is_empty() {
                    String::new()
                } else {
                    format!("-{m}")
                },
                charge_cents
            )))
        })?;
        Ok(Fee {
            id,
            code,
            modifier: m,
            description: desc,
            charge_cents,
        })
    }

    pub fn fees(&self, session: &Session) -> Result<Vec<Fee>> {
        session.require(Permission::Billing)?;
        Ok(self
            .conn()
            .prepare_cached("SELECT id, code, modifier, description, charge_cents FROM fee_schedule ORDER BY code, modifier")?
            .query_map([], |r| {
                Ok(Fee {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    modifier: r.get(2)?,
                    description: r.get(3)?,
                    charge_cents: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The charge for a code: with the first modifier if the schedule has
    /// that, else the plain code.
    fn charge_for(&self, code: &str, modifiers: &[String]) -> Result<Option<i64>> {
        let first = modifiers.first().map(String::as_str).unwrap_or("");
        for m in [first, ""] {
            let c: Option<i64> = self
                .conn()
                .prepare_cached(
                    "SELECT charge_cents FROM fee_schedule WHERE code = ?1 AND modifier = ?2",
                )?
                .query_row((code, m), |r| r.get(0))
                .optional()?;
            if c.is_some() {
                return Ok(c);
            }
        }
        Ok(None)
    }

    /// Lines as billed: codes checked, charges from the fee schedule.
    fn price(&self, draft: &ClaimDraft) -> Result<(Vec<String>, Vec<ClaimLine>)> {
        let diagnoses: Vec<String> = draft
            .diagnoses
            .iter()
            .map(|d| normalize_icd10(d))
            .filter(|d| !d.is_empty())
            .collect();
        if draft.lines.is_empty() {
            return Err(StoreError::invalid(
                "a claim needs at least one service line",
            ));
        }
        let mut lines = Vec::with_capacity(draft.lines.len());
        for l in &draft.lines {
            let code = procedure_code(&l.code)?;
            let modifiers = l
                .modifiers
                .iter()
                .filter(|m| !m.trim().is_empty())
                .map(|m| modifier(m))
                .collect::<Result<Vec<_>>>()?;
            if !(1..=999).contains(&l.units) {
                return Err(StoreError::invalid(format!(
                    "{code}: units must be 1 to 999"
                )));
            }
            let per_unit = self.charge_for(&code, &modifiers)?.ok_or_else(|| {
                StoreError::invalid(format!(
                    "{code} is not in the fee schedule; add its charge first"
                ))
            })?;
            let pointers = if l.pointers.is_empty() {
                vec![1]
            } else {
                l.pointers.clone()
            };
            lines.push(ClaimLine {
                code,
                modifiers,
                units: l.units,
                charge_cents: per_unit * l.units,
                pointers,
            });
        }
        Ok((diagnoses, lines))
    }

    /// A draft claim for a finished encounter, billed to the patient's
    /// primary coverage. One open claim per encounter.
    pub fn create_claim(&mut self, session: &Session, draft: &ClaimDraft) -> Result<Claim> {
        session.require(Permission::Billing)?;
        let enc: Option<(String, String, String, i64)> = self
            .conn()
            .query_row(
                "SELECT patient_id, provider_id, status, started_at FROM encounters WHERE id = ?1",
                [&draft.encounter_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (patient_id, provider_id, status, started_at) =
            enc.ok_or_else(|| StoreError::not_found("encounter", &draft.encounter_id))?;
        if status != "finished" {
            return Err(StoreError::invalid(
                "only a finished encounter can be billed; the visit is still open",
            ));
        }
        let open: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM claims WHERE encounter_id = ?1 AND status NOT IN ('void', 'rejected', 'denied')",
                [&draft.encounter_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = open {
            return Err(StoreError::invalid(format!(
                "this encounter already has claim {id}; change that one"
            )));
        }
        let coverage: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM coverages WHERE patient_id = ?1 AND active = 1 AND priority = 1",
                [&patient_id],
                |r| r.get(0),
            )
            .optional()?;
        let coverage_id = coverage.ok_or_else(|| {
            StoreError::invalid("the patient has no active primary coverage to bill; add it, or bill the patient directly")
        })?;
        let (diagnoses, lines) = self.price(draft)?;
        let total: i64 = lines.iter().map(|l| l.charge_cents).sum();
        let service_date = self.zone().local_date(started_at).to_string();
        let id = new_id();
        let by = session.display_name.clone();
        let dx = serde_json::to_string(&diagnoses).unwrap_or_else(|_| "[]".into());
        let ln = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
        self.write(session, |tx| {
            let now = tx.now();
            tx.insert(
                "claims",
                &id,
                vec![
                    ("encounter_id", text(&draft.encounter_id)),
                    ("patient_id", text(&patient_id)),
                    ("coverage_id", text(&coverage_id)),
                    ("provider_id", text(&provider_id)),
                    ("service_date", text(&service_date)),
                    ("diagnoses", text(&dx)),
                    ("lines", text(&ln)),
                    ("total_charge_cents", int(total)),
                    ("status", text("draft")),
                    ("created_at", int(now)),
                    ("created_by", text(&by)),
                ],
            )?;
            tx.audit(
                Entry::new("claim", "create")
                    .patient(&patient_id)
                    .record(&id),
            )
        })?;
        self.claim(session, &id)
    }

    /// Rewrites a draft's diagnoses and lines.
    pub fn update_claim(
        &mut self,
        session: &Session,
        id: &str,
        draft: &ClaimDraft,
    ) -> Result<Claim> {
        let claim = self.claim(session, id)?;
        if claim.status != "draft" {
            return Err(StoreError::invalid(format!(
                "the claim was {}; only a draft can be changed",
                claim.status
            )));
        }
        let (diagnoses, lines) = self.price(draft)?;
        let total: i64 = lines.iter().map(|l| l.charge_cents).sum();
        self.write(session, |tx| {
            tx.update(
                "claims",
                id,
                vec![
                    (
                        "diagnoses",
                        text(serde_json::to_string(&diagnoses).unwrap_or_default()),
                    ),
                    (
                        "lines",
                        text(serde_json::to_string(&lines).unwrap_or_default()),
                    ),
                    ("total_charge_cents", int(total)),
                ],
            )?;
            tx.audit(
                Entry::new("claim", "update")
                    .patient(&claim.patient_id)
                    .record(id),
            )
        })?;
        self.claim(session, id)
    }

    pub fn claim(&self, session: &Session, id: &str) -> Result<Claim> {
        session.require(Permission::Billing)?;
        self.conn()
            .query_row(
                &format!("SELECT {CLAIM_COLS} FROM claims WHERE id = ?1"),
                [id],
                read_claim,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("claim", id))
    }

    /// Claims, newest first, optionally only those in `statuses`.
    pub fn claims(&self, session: &Session, statuses: &[&str]) -> Result<Vec<Claim>> {
        session.require(Permission::Billing)?;
        // Only the claims asked for are read (and their JSON parsed): the
        // worklists ask for a few statuses out of every claim ever made.
        let filter = if statuses.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (1..=statuses.len()).map(|i| format!("?{i}")).collect();
            format!("WHERE status IN ({})", marks.join(", "))
        };
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {CLAIM_COLS} FROM claims {filter} ORDER BY created_at DESC, id DESC"
        ))?;
        let claims = stmt
            .query_map(rusqlite::params_from_iter(statuses), read_claim)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(claims)
    }

    /// The next interchange control number for a claim batch.
    pub fn next_batch_control(&self) -> Result<i64> {
        let max: Option<i64> =
            self.conn()
                .query_row("SELECT max(control_number) FROM claim_batches", [], |r| {
                    r.get(0)
                })?;
        Ok(max.unwrap_or(0) % 999_999_999 + 1)
    }

    /// Records an 837P interchange, marks its claims submitted and queues
    /// it for this desktop to send; every claim must still be a draft.
    pub fn record_batch(
        &mut self,
        session: &Session,
        claim_ids: &[String],
        control_number: i64,
        x12: &str,
    ) -> Result<Batch> {
        session.require(Permission::Billing)?;
        let mut total = 0;
        for id in claim_ids {
            let c = self.claim(session, id)?;
            if c.status != "draft" {
                return Err(StoreError::invalid(format!(
                    "claim {id} was already {}",
                    c.status
                )));
            }
            total += c.total_charge_cents;
        }
        let id = new_id();
        let by = session.display_name.clone();
        self.write(session, |tx| {
            let now = tx.now();
            let device = tx.device_id().to_string();
            tx.insert(
                "claim_batches",
                &id,
                vec![
                    ("control_number", int(control_number)),
                    ("created_at", int(now)),
                    ("created_by", text(&by)),
                    ("claim_count", int(claim_ids.len() as i64)),
                    ("total_cents", int(total)),
                    ("x12", text(x12)),
                    ("delivery", text("queued")),
                    ("device_id", text(device)),
                    ("next_attempt_at", int(now)),
                ],
            )?;
            for c in claim_ids {
                tx.update(
                    "claims",
                    c,
                    vec![
                        ("status", text("submitted")),
                        ("batch_id", text(&id)),
                        ("submitted_at", int(now)),
                        (
                            "status_detail",
                            text(format!("sent in batch {control_number}")),
                        ),
                    ],
                )?;
            }
            tx.audit(Entry::new("claim", "submit").record(&id).detail(format!(
                "batch {control_number}: {} claims, {total} cents",
                claim_ids.len()
            )))
        })?;
        self.batch(&id)
    }

    pub fn batch(&self, id: &str) -> Result<Batch> {
        self.conn()
            .query_row(
                &format!("SELECT {BATCH_COLS} FROM claim_batches WHERE id = ?1"),
                [id],
                read_batch,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("claim batch", id))
    }

    pub fn batch_by_control(&self, control_number: i64) -> Result<Option<Batch>> {
        let id: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM claim_batches WHERE control_number = ?1 ORDER BY created_at DESC LIMIT 1",
                [control_number],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.batch(&id)).transpose()
    }

    /// A 999 for a batch: `A`/`E` accepted (with errors), `R` rejected,
    /// `P` partly. Rejected batches' claims go back to being rejected, so
    /// the biller fixes and resends them.
    pub fn record_batch_ack(
        &mut self,
        session: &Session,
        batch_id: &str,
        status: &str,
        detail: &str,
    ) -> Result<()> {
        session.require(Permission::Billing)?;
        let claims: Vec<String> = self
            .conn()
            .prepare("SELECT id FROM claims WHERE batch_id = ?1 AND status = 'submitted'")?
            .query_map([batch_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.write(session, |tx| {
            let now = tx.now();
            tx.update(
                "claim_batches",
                batch_id,
                vec![
                    ("ack_status", text(status)),
                    ("ack_detail", text(detail)),
                    ("acked_at", int(now)),
                ],
            )?;
            if status == "R" {
                for c in &claims {
                    tx.update(
                        "claims",
                        c,
                        vec![
                            ("status", text("rejected")),
                            (
                                "status_detail",
                                text(format!("the batch was rejected: {detail}")),
                            ),
                        ],
                    )?;
                }
            }
            tx.audit(
                Entry::new("claim", "batch-ack")
                    .record(batch_id)
                    .detail(format!("999 {status}: {detail}")),
            )
        })
    }

    /// A 277CA's verdict on one claim.
    pub fn record_claim_ack(
        &mut self,
        session: &Session,
        claim_id: &str,
        accepted: bool,
        detail: &str,
        payer_claim_number: Option<&str>,
    ) -> Result<Claim> {
        let claim = self.claim(session, claim_id)?;
        if !matches!(claim.status.as_str(), "submitted" | "accepted" | "rejected") {
            return Ok(claim);
        }
        let status = if accepted { "accepted" } else { "rejected" };
        self.record_payer_answer(
            session,
            &claim,
            status,
            detail,
            payer_claim_number,
            ("ack", "277CA"),
        )
    }

    /// Writes a payer's answer about a claim (its status, the answer in
    /// words, the payer's claim number when given) and audits it as
    /// `(action, transaction set it came in)`.
    fn record_payer_answer(
        &mut self,
        session: &Session,
        claim: &Claim,
        status: &str,
        detail: &str,
        payer_claim_number: Option<&str>,
        (action, set): (&'static str, &str),
    ) -> Result<Claim> {
        self.write(session, |tx| {
            let mut f = vec![("status", text(status)), ("status_detail", text(detail))];
            if let Some(n) = payer_claim_number {
                f.push(("payer_claim_number", text(n)));
            }
            tx.update("claims", &claim.id, f)?;
            tx.audit(
                Entry::new("claim", action)
                    .patient(&claim.patient_id)
                    .record(&claim.id)
                    .detail(format!("{set} {status}: {detail}")),
            )
        })?;
        self.claim(session, &claim.id)
    }

    /// A claim status request (276) about to leave for `connection`:
    /// audited as a disclosure of the patient's claim and coverage.
    pub fn claim_status_requested(
        &mut self,
        session: &Session,
        claim_id: &str,
        connection: &str,
        member_id: &str,
    ) -> Result<()> {
        let claim = self.claim(session, claim_id)?;
        self.write(session, |tx| {
            tx.audit(
                Entry::new("claim", "status-request")
                    .patient(&claim.patient_id)
                    .record(claim_id)
                    .detail(format!("276 to {connection} for member {member_id}")),
            )
        })
    }

    /// Records a payer's answer to a claim status request (277) for a claim
    /// still waiting for its final answer (submitted or accepted): its new
    /// status, the answer in words, and the payer's claim number when given.
    /// A claim that has meanwhile been paid, denied or rejected by a
    /// remittance or acknowledgement keeps that; it is returned unchanged.
    pub fn record_claim_status(
        &mut self,
        session: &Session,
        claim_id: &str,
        status: &str,
        detail: &str,
        payer_claim_number: Option<&str>,
    ) -> Result<Claim> {
        if !matches!(status, "submitted" | "accepted" | "rejected" | "denied") {
            return Err(StoreError::invalid(format!(
                "a claim status answer cannot make a claim {status}"
            )));
        }
        let claim = self.claim(session, claim_id)?;
        if !matches!(claim.status.as_str(), "submitted" | "accepted") {
            return Ok(claim);
        }
        let updated = self.record_payer_answer(
            session,
            &claim,
            status,
            detail,
            payer_claim_number,
            ("status", "277"),
        )?;
        // So the automatic follow-up waits before asking again.
        self.write(session, |tx| {
            let at = tx.now();
            let asked = crate::claim_follow_up::StatusAsked { at, answered: true };
            crate::claim_follow_up::note_asked(tx.conn(), [(claim_id, asked)])
        })?;
        Ok(updated)
    }

    /// Posts one claim payment of an 835. Posting the same payment twice
    /// (the same file loaded again) changes nothing.
    pub fn post_payment(&mut self, session: &Session, p: &PaymentPosting) -> Result<PostedPayment> {
        session.require(Permission::Billing)?;
        let existing: Option<String> = self
            .conn()
            .query_row(
                "SELECT id FROM claim_payments WHERE trace_number = ?1 AND patient_control_number = ?2 AND status_code = ?3 AND paid_cents = ?4",
                (&p.trace_number, &p.patient_control_number, &p.status_code, p.paid_cents),
                |r| r.get(0),
            )
            .optional()?;
        let claim: Option<Claim> = self
            .conn()
            .query_row(
                &format!("SELECT {CLAIM_COLS} FROM claims WHERE id = ?1"),
                [&p.patient_control_number],
                read_claim,
            )
            .optional()?;
        let mut posted = PostedPayment {
            id: existing.clone().unwrap_or_else(new_id),
            claim_id: claim.as_ref().map(|c| c.id.clone()),
            payment: p.clone(),
            new: existing.is_none(),
        };
        if existing.is_some() {
            return Ok(posted);
        }
        let adjusted: i64 = p
            .adjustments
            .iter()
            .filter(|a| a.group != "PR")
            .map(|a| a.amount_cents)
            .sum();
        let by = session.display_name.clone();
        let id = posted.id.clone();
        self.write(session, |tx| {
            let now = tx.now();
            tx.insert(
                "claim_payments",
                &id,
                vec![
                    ("claim_id", opt_text(claim.as_ref().map(|c| c.id.clone()))),
                    ("patient_control_number", text(&p.patient_control_number)),
                    ("payer_name", text(&p.payer_name)),
                    ("trace_number", text(&p.trace_number)),
                    ("payment_date", opt_text(p.payment_date.clone())),
                    ("status_code", text(&p.status_code)),
                    ("charge_cents", int(p.charge_cents)),
                    ("paid_cents", int(p.paid_cents)),
                    ("patient_resp_cents", int(p.patient_resp_cents)),
                    ("payer_claim_number", opt_text(p.payer_claim_number.clone())),
                    (
                        "adjustments",
                        text(serde_json::to_string(&p.adjustments).unwrap_or_else(|_| "[]".into())),
                    ),
                    ("posted_at", int(now)),
                    ("posted_by", text(&by)),
                ],
            )?;
            if let Some(c) = &claim {
                let paid = c.paid_cents + p.paid_cents;
                let adj = c.adjusted_cents + adjusted;
                let resp = c.patient_resp_cents + p.patient_resp_cents;
                let status = match p.status_code.as_str() {
                    "4" => "denied",
                    "22" => "submitted", // a reversal reopens the claim
                    _ if paid + adj + resp >= c.total_charge_cents => "paid",
                    _ => "partial",
                };
                let detail = match status {
                    "denied" => format!(
                        "denied by {}: {}",
                        p.payer_name,
                        p.adjustments
                            .iter()
                            .map(|a| format!("{}-{} {}", a.group, a.reason, a.text))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    _ => format!("{} paid {} cents", p.payer_name, p.paid_cents),
                };
                let mut f = vec![
                    ("paid_cents", int(paid)),
                    ("adjusted_cents", int(adj)),
                    ("patient_resp_cents", int(resp)),
                    ("status", text(status)),
                    ("status_detail", text(detail)),
                ];
                if let Some(n) = &p.payer_claim_number {
                    f.push(("payer_claim_number", text(n)));
                }
                tx.update("claims", &c.id, f)?;
            }
            let mut e = Entry::new("claim", "post-payment")
                .record(&id)
                .detail(format!(
                    "{} {}: CLP {} paid {} cents{}",
                    p.payer_name,
                    p.trace_number,
                    p.status_code,
                    p.paid_cents,
                    if claim.is_none() {
                        " (no matching claim)"
                    } else {
                        ""
                    }
                ));
            if let Some(c) = &claim {
                e = e.patient(&c.patient_id);
            }
            tx.audit(e)
        })?;
        posted.new = true;
        Ok(posted)
    }

    /// Posted payments that matched no claim, for the biller to sort out.
    pub fn unmatched_payments(&self, session: &Session) -> Result<Vec<PostedPayment>> {
        self.payments_where(session, "claim_id IS NULL", None)
    }

    pub fn payments_of(&self, session: &Session, claim_id: &str) -> Result<Vec<PostedPayment>> {
        self.payments_where(session, "claim_id = ?1", Some(claim_id))
    }

    fn payments_where(
        &self,
        session: &Session,
        filter: &str,
        arg: Option<&str>,
    ) -> Result<Vec<PostedPayment>> {
        session.require(Permission::Billing)?;
        let sql = format!(
            "SELECT id, claim_id, patient_control_number, payer_name, trace_number, payment_date, status_code, charge_cents, paid_cents, patient_resp_cents, payer_claim_number, adjustments FROM claim_payments WHERE {filter} ORDER BY posted_at, id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let map = |r: &rusqlite::Row| -> rusqlite::Result<PostedPayment> {
            let adj: String = r.get(11)?;
            Ok(PostedPayment {
                id: r.get(0)?,
                claim_id: r.get(1)?,
                payment: PaymentPosting {
                    patient_control_number: r.get(2)?,
                    payer_name: r.get(3)?,
                    trace_number: r.get(4)?,
                    payment_date: r.get(5)?,
                    status_code: r.get(6)?,
                    charge_cents: r.get(7)?,
                    paid_cents: r.get(8)?,
                    patient_resp_cents: r.get(9)?,
                    payer_claim_number: r.get(10)?,
                    adjustments: serde_json::from_str(&adj).unwrap_or_default(),
                },
                new: false,
            })
        };
        let rows = match arg {
            Some(a) => stmt
                .query_map([a], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt
                .query_map([], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }
}

/// A finished visit with no open claim yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnbilledVisit {
    pub encounter_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub provider_name: String,
    pub service_date: String,
    pub reason: Option<String>,
    /// The primary payer, if the patient has one.
    pub payer_name: Option<String>,
}

/// A claim with the names a worklist shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRow {
    #[serde(flatten)]
    pub claim: Claim,
    pub patient_name: String,
    pub payer_name: String,
    /// The batch it went in, and how that batch's delivery stands.
    pub batch_control: Option<i64>,
    pub delivery: Option<String>,
    pub delivery_note: Option<String>,
}

impl Store {
    /// Finished encounters without an open claim, newest first (audited as
    /// one list view).
    pub fn unbilled_visits(
        &mut self,
        session: &Session,
        limit: usize,
    ) -> Result<Vec<UnbilledVisit>> {
        session.require(Permission::Billing)?;
        let zone = self.zone();
        let rows: Vec<(UnbilledVisit, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT e.id, e.patient_id, p.family_name || ', ' || p.given_name,
                        pr.given_name || ' ' || pr.family_name, e.started_at, e.reason,
                        (SELECT c.payer_name FROM coverages c WHERE c.patient_id = e.patient_id AND c.active = 1 AND c.priority = 1)
                 FROM encounters e
                 JOIN patients p ON p.id = e.patient_id
                 JOIN providers pr ON pr.id = e.provider_id
                 WHERE e.status = 'finished' AND NOT EXISTS (
                   SELECT 1 FROM claims c WHERE c.encounter_id = e.id AND c.status NOT IN ('void', 'rejected', 'denied'))
                 ORDER BY e.started_at DESC, e.id LIMIT ?1",
            )?
            .query_map([limit as i64], |r| {
                Ok((
                    UnbilledVisit {
                        encounter_id: r.get(0)?,
                        patient_id: r.get(1)?,
                        patient_name: r.get(2)?,
                        provider_name: r.get(3)?,
                        service_date: String::new(),
                        reason: r.get(5)?,
                        payer_name: r.get(6)?,
                    },
                    r.get::<_, i64>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let visits: Vec<UnbilledVisit> = rows
            .into_iter()
            .map(|(mut v, at)| {
                v.service_date = zone.local_date(at).to_string();
                v
            })
            .collect();
        self.write(session, |tx| {
            tx.audit(
                Entry::new("claim", "list-unbilled").detail(format!("{} visits", visits.len())),
            )
        })?;
        Ok(visits)
    }

    /// Claims with patient and payer names, newest first (audited as one
    /// list view).
    pub fn claim_rows(&mut self, session: &Session, limit: usize) -> Result<Vec<ClaimRow>> {
        session.require(Permission::Billing)?;
        let cols: String = CLAIM_COLS
            .split(", ")
            .map(|c| format!("cl.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows: Vec<ClaimRow> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {cols}, p.family_name || ', ' || p.given_name, cv.payer_name,
                        b.control_number, b.delivery, b.delivery_note
                 FROM claims cl JOIN patients p ON p.id = cl.patient_id JOIN coverages cv ON cv.id = cl.coverage_id
                 LEFT JOIN claim_batches b ON b.id = cl.batch_id
                 ORDER BY cl.created_at DESC, cl.id DESC LIMIT ?1"
            ))?
            .query_map([limit as i64], |r| {
                Ok(ClaimRow {
                    claim: read_claim(r)?,
                    patient_name: r.get(19)?,
                    payer_name: r.get(20)?,
                    batch_control: r.get(21)?,
                    delivery: r.get(22)?,
                    delivery_note: r.get(23)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        self.write(session, |tx| {
            tx.audit(Entry::new("claim", "list").detail(format!("{} claims", rows.len())))
        })?;
        Ok(rows)
    }

    /// ICD-10-CM codes by code prefix or words of the description,
    /// billable codes first.
    pub fn search_icd10cm(&self, query: &str, limit: usize) -> Result<Vec<(String, bool, String)>> {
        let q = query.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let code = normalize_icd10(q);
        let mut out: Vec<(String, bool, String)> = self
            .conn()
            .prepare_cached(
                "SELECT code, billable, description FROM icd10cm_codes WHERE code >= ?1 AND code < ?1 || 'ZZZZZZZZ'
                 ORDER BY length(code), code LIMIT ?2",
            )?
            .query_map((&code, limit as i64), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if out.len() < limit {
            let words: Vec<&str> = q.split_whitespace().collect();
            for (code, description) in self.icd10cm_with_words(&words, limit - out.len())? {
                if !out.iter().any(|o| o.0 == code) {
                    out.push((code, true, description));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_set_file_is_read_line_by_line() {
        let rows = parse_icd10cm_tsv(
            "J20\t0\tAcute bronchitis\n\nJ209\t1\tAcute bronchitis, unspecified\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            (
                "J209".to_string(),
                true,
                "Acute bronchitis, unspecified".to_string()
            )
        );
        assert_eq!(
            parse_icd10cm_tsv("J20\tyes\tx").unwrap_err(),
            "line 1: expected CODE<tab>0|1<tab>DESCRIPTION"
        );
    }
}
