//! Claim status inquiries (276/277, 005010X212): which claims still wait
//! for a final answer, the 276 that asks about a stored claim, and what the
//! payer's 277 changes on it. Sending is the caller's (the CORE client).

use crate::status_codes::{self, Outcome};
use crate::{context, gender, BillingError, Result};
use clinicdesk_domain::money::dollars;
use clinicdesk_domain::validate::{self, Relationship};
use clinicdesk_store::{Claim, PayerConnection, Session, Store};
use clinicdesk_x12::transactions::claim_status::{category_text, ClaimEntry};
use clinicdesk_x12::transactions::claim_status_request::{ClaimStatusInquiry, StatusDependent};
use clinicdesk_x12::transactions::common::Amount;
use serde::Serialize;

/// Claims sent and not yet paid, denied or rejected: the ones worth asking
/// about, oldest first.
pub fn awaiting_answer(store: &Store, session: &Session) -> Result<Vec<Claim>> {
    let mut claims = store.claims(session, &["submitted", "accepted"])?;
    claims.sort_by_key(|c| (c.submitted_at, c.created_at));
    Ok(claims)
}

/// The 276 for a sent claim, and the connection to send it through. The
/// trace number and reference are left for the sender to set from its
/// PayloadID. Built to be sent: audited as a disclosure
/// (`claim/status-request`).
pub fn status_inquiry(
    store: &mut Store,
    session: &Session,
    claim_id: &str,
) -> Result<(ClaimStatusInquiry, PayerConnection)> {
    let claim = store.claim(session, claim_id)?;
    if !matches!(claim.status.as_str(), "submitted" | "accepted") {
        return Err(BillingError::Invalid(format!(
            "claim {claim_id} is {}: only sent claims waiting for an answer can be asked about",
            claim.status
        )));
    }
    let cx = context(store, session, claim)?;
    let billing = cx.billing.as_ref().ok_or_else(|| {
        BillingError::Invalid(
            "the clinic's billing name and NPI are not set (Preferences → Insurance)".into(),
        )
    })?;
    let cov = cx.coverage.as_ref().ok_or_else(|| {
        BillingError::Invalid(format!("claim {claim_id}: its coverage no longer exists"))
    })?;
    let connection = cx.connection.clone().ok_or_else(|| {
        BillingError::Invalid(format!(
            "no clearinghouse connection serves payer {} ({}) (Preferences → Insurance)",
            cov.payer_name, cov.payer_id
        ))
    })?;
    let pt = &cx.patient;
    let date = cx.claim.service_date.replace('-', "");
    let now = chrono::Utc::now();
    let (sub_last, sub_first, sub_dob, sub_gender, dependent) =
        if cov.relationship == Relationship::SelfInsured {
            (
                pt.family_name.clone(),
                pt.given_name.clone(),
                Some(pt.birth_date.replace('-', "")),
                Some(gender(pt.sex)),
                None,
            )
        } else {
            let (first, last) = validate::split_name(&cov.subscriber_name).ok_or_else(|| {
                BillingError::Invalid(format!(
                    "the subscriber's name \"{}\" needs a first and last name",
                    cov.subscriber_name
                ))
            })?;
            (
                last,
                first,
                None,
                None,
                Some(StatusDependent {
                    last_name: pt.family_name.clone(),
                    first_name: pt.given_name.clone(),
                    birth_date: pt.birth_date.replace('-', ""),
                    gender: Some(gender(pt.sex)),
                }),
            )
        };
    let inquiry = ClaimStatusInquiry {
        reference: cx.claim.id.clone(),
        date: now.format("%Y%m%d").to_string(),
        time: now.format("%H%M").to_string(),
        payer_name: cov.payer_name.clone(),
        payer_id: cov.payer_id.clone(),
        receiver_name: billing.organization_name.clone(),
        receiver_id: connection.sender_id.clone(),
        provider_name: billing.organization_name.clone(),
        provider_npi: billing.npi.clone(),
        member_id: cov.member_id.clone(),
        subscriber_last_name: sub_last,
        subscriber_first_name: sub_first,
        subscriber_birth_date: sub_dob,
        subscriber_gender: sub_gender,
        dependent,
        trace_number: cx.claim.id.clone(),
        patient_control_number: cx.claim.id.clone(),
        payer_claim_number: cx.claim.payer_claim_number.clone(),
        total_charge: Amount::from_cents(cx.claim.total_charge_cents),
        service_from: date.clone(),
        service_to: date,
    };
    store.claim_status_requested(session, claim_id, &connection.name, &cov.member_id)?;
    Ok((inquiry, connection))
}

/// One status code of the answer, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCodeText {
    pub category: String,
    pub category_text: String,
    pub code: String,
    pub code_text: String,
}

/// What a 277 said about a claim, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub claim_id: String,
    pub previous_status: String,
    pub status: String,
    pub outcome: Outcome,
    /// The answer in a sentence, as kept in the claim's status detail.
    pub summary: String,
    pub codes: Vec<StatusCodeText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_claim_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_cents: Option<i64>,
    /// CCYYMMDD of the adjudication or payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_number: Option<String>,
}

fn ymd(d: &str) -> String {
    if d.len() == 8 {
        format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
    } else {
        d.to_string()
    }
}

/// Records the payer's answer about `claim_id`: its status (from the
/// first STC's category), the answer in words, the payer's claim number.
/// Applying the same answer again changes nothing more.
pub fn apply_claim_status(
    store: &mut Store,
    session: &Session,
    claim_id: &str,
    entry: &ClaimEntry,
) -> Result<StatusReport> {
    let claim = store.claim(session, claim_id)?;
    let first = entry.statuses.first().ok_or_else(|| {
        BillingError::Invalid(format!("the answer about claim {claim_id} has no status"))
    })?;
    let lead = first.codes.first().ok_or_else(|| {
        BillingError::Invalid(format!("the answer about claim {claim_id} has no status"))
    })?;
    let outcome = status_codes::outcome(&lead.category);
    let codes: Vec<StatusCodeText> = entry
        .statuses
        .iter()
        .flat_map(|s| s.codes.iter())
        .map(|c| StatusCodeText {
            category: c.category.clone(),
            category_text: category_text(&c.category)
                .map_or_else(|| format!("Status category {}", c.category), str::to_string),
            code: c.code.clone(),
            code_text: status_codes::status_text(&c.code)
                .map_or_else(|| format!("status code {}", c.code), str::to_string),
        })
        .collect();
    let charge = first.charge.as_ref().and_then(Amount::cents);
    let paid = first.paid.as_ref().and_then(Amount::cents);
    let mut parts: Vec<String> = codes
        .iter()
        .map(|c| format!("{}: {}", c.category_text, c.code_text))
        .collect();
    if matches!(outcome, Outcome::Finalized) {
        if let (Some(p), Some(c)) = (paid, charge) {
            let mut s = format!("paid {} of {}", dollars(p), dollars(c));
            if let Some(d) = &first.paid_date {
                s.push_str(&format!(" on {}", ymd(d)));
            }
            if let Some(n) = &first.check_number {
                s.push_str(&format!(" (check or EFT {n})"));
            }
            parts.push(s);
        }
    }
    if let Some(m) = &first.message {
        parts.push(m.clone());
    }
    let mut summary = parts.join("; ");
    summary.push('.');
    if let Some(next) = outcome.next_step() {
        summary.push(' ');
        summary.push_str(next);
    }
    let payer_claim_number = entry.payer_claim_number().map(str::to_string);
    let new_status = outcome.claim_status().unwrap_or(claim.status.as_str());
    let updated = store.record_claim_status(
        session,
        claim_id,
        new_status,
        &summary,
        payer_claim_number.as_deref(),
    )?;
    Ok(StatusReport {
        claim_id: claim_id.to_string(),
        previous_status: claim.status,
        status: updated.status,
        outcome,
        summary,
        codes,
        payer_claim_number,
        charge_cents: charge,
        paid_cents: paid,
        paid_date: first.paid_date.clone(),
        check_number: first.check_number.clone(),
    })
}
