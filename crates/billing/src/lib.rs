//! ClinicDesk billing: from a finished encounter to money posted.
//!
//! - [`scrub`] checks a claim before anything is sent: diagnoses against
//!   the ICD-10-CM code set (billable, not a category), NPIs by check digit,
//!   the patient's and the clinic's billing details, the payer route.
//! - [`submit`] turns clean draft claims into 837P batches (one per
//!   clearinghouse connection), written by `clinicdesk-x12` and queued in
//!   the store's outbox; [`send`] delivers them by CORE or SFTP.
//! - [`apply_acknowledgments`] reads 999s (batch accepted or rejected) and
//!   277CAs (claim accepted or rejected) and updates the claims.
//! - [`post_remittance`] posts an 835: payments matched to claims by
//!   patient control number, adjustments with their reasons in words.
//! - [`claim_status`] asks payers where sent claims stand (276) and
//!   records their answers (277).
//! - [`denials`] and [`aging`] are the biller's worklists.
//!
//! The records and who may change them live in the store
//! (`clinicdesk_store::claims`).

pub mod claim_status;
pub mod delivery;
pub mod follow_up;
pub mod reasons;
pub mod receive;
pub mod send;
pub mod status_codes;

use chrono::NaiveDate;
use clinicdesk_domain::validate::{self, Relationship, Sex};
use clinicdesk_store::claims::display_icd10;
use clinicdesk_store::{
    Batch, Claim, PayerConnection, PaymentPosting, PostedAdjustment, PostedPayment, Session, Store,
    StoreError,
};
use clinicdesk_x12::transactions::common::{Address, Amount};
use clinicdesk_x12::transactions::professional as p837;
use clinicdesk_x12::{model, EnvelopeHeader, Model, Usage};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("The file is not X12 that can be read: {0}")]
    X12(String),
    #[error("{count} claim{} cannot be sent until fixed:\n{}", if *count == 1 { "" } else { "s" }, .list)]
    NotClean { count: usize, list: String },
}

pub type Result<T> = std::result::Result<T, BillingError>;

/// Something to fix before a claim can go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What it is about: `diagnosis`, `line 2`, `patient`, `billing`, …
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// Everything the 837P needs about one claim, gathered from the store.
pub(crate) struct Context {
    claim: Claim,
    patient: clinicdesk_store::Patient,
    coverage: Option<clinicdesk_store::Coverage>,
    provider: Option<clinicdesk_store::Provider>,
    billing: Option<clinicdesk_store::BillingProvider>,
    connection: Option<PayerConnection>,
}

pub(crate) fn context(store: &mut Store, session: &Session, claim: Claim) -> Result<Context> {
    let patient = store.patient(session, &claim.patient_id)?;
    let coverage = patient
        .coverages
        .iter()
        .find(|c| c.id == claim.coverage_id)
        .cloned();
    let provider = store
        .providers()?
        .into_iter()
        .find(|p| p.id == claim.provider_id);
    let settings = store.payer_settings()?;
    let connection = coverage
        .as_ref()
        .and_then(|c| settings.connection_for(&c.payer_id).cloned());
    Ok(Context {
        claim,
        patient,
        coverage,
        provider,
        billing: settings.billing,
        connection,
    })
}

/// The problems that keep a claim from being sent; empty when it is clean.
pub fn scrub(
    store: &mut Store,
    session: &Session,
    claim_id: &str,
    today: NaiveDate,
) -> Result<Vec<Problem>> {
    let claim = store.claim(session, claim_id)?;
    let cx = context(store, session, claim)?;
    scrub_context(store, &cx, today)
}

fn scrub_context(store: &Store, cx: &Context, today: NaiveDate) -> Result<Vec<Problem>> {
    let mut out = Vec::new();
    let c = &cx.claim;
    match &cx.billing {
        None => out.push(problem("billing", "The clinic's billing name, NPI, tax id and address are not set (Preferences → Insurance).")),
        Some(b) => {
            if b.tax_id.is_none() {
                out.push(problem("billing", "The clinic's tax id (EIN) is not set (Preferences → Insurance)."));
            }
            if b.address_line.is_none() || b.city.is_none() || b.state.is_none() || b.postal_code.is_none() {
                out.push(problem("billing", "The clinic's billing address is incomplete: street, city, state and postal code (Preferences → Insurance)."));
            }
            if b.phone.is_none() {
                out.push(problem("billing", "The clinic's billing phone is not set (Preferences → Insurance)."));
            }
        }
    }
    match &cx.coverage {
        None => out.push(problem(
            "coverage",
            "The claim's coverage no longer exists.",
        )),
        Some(cov) => {
            if !cov.active {
                out.push(problem(
                    "coverage",
                    format!(
                        "The {} coverage has ended; bill the current payer.",
                        cov.payer_name
                    ),
                ));
            }
            if cx.connection.is_none() {
                out.push(problem(
                    "payer",
                    format!("No clearinghouse connection serves payer {} ({}) (Preferences → Insurance).", cov.payer_name, cov.payer_id),
                ));
            }
            if cov.relationship != Relationship::SelfInsured
                && validate::split_name(&cov.subscriber_name).is_none()
            {
                out.push(problem(
                    "coverage",
                    format!(
                        "The subscriber's name \"{}\" needs a first and last name.",
                        cov.subscriber_name
                    ),
                ));
            }
        }
    }
    match &cx.provider {
        None => out.push(problem(
            "provider",
            "The rendering provider no longer exists.",
        )),
        Some(p) => match &p.npi {
            None => out.push(problem(
                "provider",
                format!("{} has no NPI; add it to the provider.", p.display_name()),
            )),
            Some(n) => {
                if let Err(e) = validate::npi(n) {
                    out.push(problem("provider", format!("{}: {e}.", p.display_name())));
                }
            }
        },
    }
    let pt = &cx.patient;
    if pt.address_line.is_none()
        || pt.city.is_none()
        || pt.state.is_none()
        || pt.postal_code.is_none()
    {
        out.push(problem("patient", format!("{}'s address is incomplete: street, city, state and postal code are needed on a claim.", pt.display_name())));
    }
    if c.diagnoses.is_empty() {
        out.push(problem(
            "diagnosis",
            "Add at least one diagnosis (ICD-10-CM).",
        ));
    }
    if c.diagnoses.len() > 12 {
        out.push(problem("diagnosis", "A claim holds at most 12 diagnoses."));
    }
    let loaded = store.icd10cm_count()? > 0;
    if !loaded && !c.diagnoses.is_empty() {
        out.push(problem("diagnosis", "The ICD-10-CM code set is not loaded, so diagnoses cannot be checked (clinicdesk-cli codes import)."));
    }
    for (i, d) in c.diagnoses.iter().enumerate() {
        if c.diagnoses[..i].contains(d) {
            out.push(problem(
                "diagnosis",
                format!("{} is listed twice.", display_icd10(d)),
            ));
            continue;
        }
        if !loaded {
            continue;
        }
        match store.icd10cm(d)? {
            None => out.push(problem(
                "diagnosis",
                format!("{} is not an ICD-10-CM code.", display_icd10(d)),
            )),
            Some((false, desc)) => {
                let more: Vec<String> = store
                    .icd10cm_children(d, 3)?
                    .into_iter()
                    .map(|(code, text)| format!("{} {text}", display_icd10(&code)))
                    .collect();
                let hint = if more.is_empty() {
                    String::new()
                } else {
                    format!(" such as {}", more.join("; "))
                };
                out.push(problem(
                    "diagnosis",
                    format!("{} ({desc}) is a category, not a billable code; choose a more specific code{hint}.", display_icd10(d)),
                ));
            }
            Some((true, _)) => {}
        }
    }
    if c.lines.is_empty() {
        out.push(problem("lines", "Add at least one service line."));
    }
    for (i, l) in c.lines.iter().enumerate() {
        let field = format!("line {}", i + 1);
        if l.pointers.is_empty() || l.pointers.len() > 4 {
            out.push(problem(
                &field,
                format!("{} needs one to four diagnosis pointers.", l.code),
            ));
        }
        for p in &l.pointers {
            if *p == 0 || usize::from(*p) > c.diagnoses.len() {
                out.push(problem(
                    &field,
                    format!(
                        "{} points to diagnosis {p}, which the claim does not have.",
                        l.code
                    ),
                ));
            }
        }
        if l.charge_cents <= 0 {
            out.push(problem(&field, format!("{} has no charge.", l.code)));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(&c.service_date, "%Y-%m-%d") {
        if d > today {
            out.push(problem(
                "service date",
                "The service date is in the future.",
            ));
        }
    }
    Ok(out)
}

fn ccyymmdd(date: &str) -> String {
    date.replace('-', "")
}

pub(crate) fn gender(s: Sex) -> String {
    match s {
        Sex::Female => "F",
        Sex::Male => "M",
        _ => "U",
    }
    .to_string()
}

/// The 837P claim of a clean context.
fn professional_claim(cx: &Context) -> Result<p837::ProfessionalClaim> {
    let missing = |what: &str| BillingError::Invalid(format!("claim {}: {what}", cx.claim.id));
    let b = cx
        .billing
        .as_ref()
        .ok_or_else(|| missing("no billing provider"))?;
    let cov = cx.coverage.as_ref().ok_or_else(|| missing("no coverage"))?;
    let provider = cx.provider.as_ref().ok_or_else(|| missing("no provider"))?;
    let pt = &cx.patient;
    let address = |line: &Option<String>,
                   city: &Option<String>,
                   state: &Option<String>,
                   zip: &Option<String>| Address {
        lines: line.iter().map(|l| l.as_str().into()).collect(),
        city: city.as_deref().unwrap_or_default().into(),
        state: state.as_deref().map(Into::into),
        postal_code: zip.as_ref().map(|z| z.replace('-', "").into()),
        country: None,
    };
    let patient_person = p837::Person {
        last_name: pt.family_name.as_str().into(),
        first_name: pt.given_name.as_str().into(),
        address: Some(address(
            &pt.address_line,
            &pt.city,
            &pt.state,
            &pt.postal_code,
        )),
        birth_date: Some(ccyymmdd(&pt.birth_date).into()),
        gender: Some(gender(pt.sex).into()),
    };
    let (subscriber_person, patient) = if cov.relationship == Relationship::SelfInsured {
        (patient_person, None)
    } else {
        let (first, last) =
            validate::split_name(&cov.subscriber_name).ok_or_else(|| missing("subscriber name"))?;
        let code = match cov.relationship {
            Relationship::Spouse => "01",
            Relationship::Child => "19",
            _ => "G8",
        };
        (
            p837::Person {
                last_name: last.into(),
                first_name: first.into(),
                address: None,
                birth_date: None,
                gender: None,
            },
            Some(p837::Patient {
                relationship: code.into(),
                person: patient_person,
            }),
        )
    };
    let date = ccyymmdd(&cx.claim.service_date);
    Ok(p837::ProfessionalClaim {
        billing_provider: p837::BillingProvider {
            name: b.organization_name.as_str().into(),
            npi: b.npi.as_str().into(),
            tax_id: b.tax_id.as_deref().unwrap_or_default().into(),
            address: address(&b.address_line, &b.city, &b.state, &b.postal_code),
            taxonomy: None,
        },
        subscriber: p837::Subscriber {
            member_id: cov.member_id.as_str().into(),
            person: subscriber_person,
            payer_responsibility: match cov.priority {
                2 => "S",
                3 => "T",
                _ => "P",
            }
            .into(),
            group_number: cov.group_number.as_deref().map(Into::into),
            filing_indicator: "CI".into(),
            payer: p837::Payer {
                name: cov.payer_name.as_str().into(),
                id: cov.payer_id.as_str().into(),
            },
        },
        patient,
        claim_id: cx.claim.id.as_str().into(),
        total_charge: Amount::from_cents(cx.claim.total_charge_cents),
        place_of_service: "11".into(),
        frequency: "1".into(),
        diagnoses: cx
            .claim
            .diagnoses
            .iter()
            .map(|d| d.as_str().into())
            .collect(),
        rendering_provider: Some(p837::RenderingProvider {
            last_name: provider.family_name.as_str().into(),
            first_name: provider.given_name.as_str().into(),
            npi: provider.npi.as_deref().unwrap_or_default().into(),
            taxonomy: None,
        }),
        lines: cx
            .claim
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| p837::ServiceLine {
                procedure_code: l.code.as_str().into(),
                modifiers: l.modifiers.iter().map(|m| m.as_str().into()).collect(),
                charge: Amount::from_cents(l.charge_cents),
                units: l.units.to_string().into(),
                place_of_service: None,
                diagnosis_pointers: l.pointers.iter().copied().collect(),
                service_date: date.as_str().into(),
                control_number: Some(format!("{}", i + 1).into()),
            })
            .collect(),
    })
}

/// Scrubs the given draft claims and, when every one is clean, writes them
/// as 837P batches (one per clearinghouse connection) and marks them
/// submitted. One unclean claim stops all, with every problem listed.
pub fn submit(
    store: &mut Store,
    session: &Session,
    claim_ids: &[String],
    today: NaiveDate,
) -> Result<Vec<Batch>> {
    if claim_ids.is_empty() {
        return Err(BillingError::Invalid("no claims to send".into()));
    }
    let mut contexts = Vec::new();
    let mut unclean = Vec::new();
    for id in claim_ids {
        let claim = store.claim(session, id)?;
        if claim.status != "draft" {
            return Err(BillingError::Invalid(format!(
                "claim {id} was already {}",
                claim.status
            )));
        }
        let cx = context(store, session, claim)?;
        let problems = scrub_context(store, &cx, today)?;
        if problems.is_empty() {
            contexts.push(cx);
        } else {
            unclean.push(format!(
                "claim {id}: {}",
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
    if !unclean.is_empty() {
        return Err(BillingError::NotClean {
            count: unclean.len(),
            list: unclean.join("\n"),
        });
    }
    // One batch per connection, in the order connections first appear.
    let mut groups: Vec<(PayerConnection, Vec<Context>)> = Vec::new();
    for cx in contexts {
        let conn = cx.connection.clone().expect("scrubbed");
        match groups.iter_mut().find(|(c, _)| c.name == conn.name) {
            Some((_, v)) => v.push(cx),
            None => groups.push((conn, vec![cx])),
        }
    }
    let now = chrono::Utc::now();
    let mut batches = Vec::new();
    for (conn, cxs) in groups {
        let control = store.next_batch_control()?;
        let b = cxs[0].billing.clone().expect("scrubbed");
        let batch = p837::ProfessionalBatch {
            reference: control.to_string().into(),
            date: now.format("%Y%m%d").to_string().into(),
            time: now.format("%H%M").to_string().into(),
            submitter: p837::Submitter {
                name: b.organization_name.as_str().into(),
                id: conn.sender_id.as_str().into(),
                contact_name: b.organization_name.as_str().into(),
                phone: b
                    .phone
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect(),
            },
            receiver: p837::Receiver {
                name: conn.name.as_str().into(),
                id: conn.receiver_id.as_str().into(),
            },
            claims: cxs.iter().map(professional_claim).collect::<Result<_>>()?,
        };
        let header = EnvelopeHeader {
            sender_qualifier: "ZZ".into(),
            sender_id: conn.sender_id.clone(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: conn.receiver_id.clone(),
            application_sender: conn.sender_id.clone(),
            application_receiver: conn.receiver_id.clone(),
            date: now.format("%Y%m%d").to_string(),
            time: now.format("%H%M").to_string(),
            interchange_control: control as u32,
            group_control: control as u32,
            usage: if conn.test {
                Usage::Test
            } else {
                Usage::Production
            },
            ack_requested: false,
        };
        let x12 = batch.to_x12(&header).map_err(|e| {
            BillingError::Invalid(format!("the 837P cannot be written: {}", e.message))
        })?;
        let ids: Vec<String> = cxs.iter().map(|c| c.claim.id.clone()).collect();
        batches.push(store.record_batch(session, &ids, control, &x12)?);
    }
    Ok(batches)
}

/// What a file of acknowledgements changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AckReport {
    /// 999s: (batch control number, status A/E/P/R).
    pub batches: Vec<(i64, String)>,
    /// 277CAs: (claim id, accepted).
    pub claims: Vec<(String, bool)>,
    /// Acknowledged ids this store does not know.
    pub unknown: Vec<String>,
}

/// Reads 999s and 277CAs and records what they say.
pub fn apply_acknowledgments(
    store: &mut Store,
    session: &Session,
    x12: &[u8],
) -> Result<AckReport> {
    let doc = clinicdesk_x12::parse(x12)
        .map_err(|e| BillingError::X12(e.first().map(|e| e.to_string()).unwrap_or_default()))?;
    let mut report = AckReport::default();
    let mut seen = 0;
    for tx in doc.transactions() {
        match model(tx) {
            Some(Ok(Model::Acknowledgment(a))) => {
                seen += 1;
                if a.functional_id != "HC" {
                    continue;
                }
                let control: i64 = a.group_control_number.trim().parse().unwrap_or(-1);
                let Some(batch) = store.batch_by_control(control)? else {
                    report
                        .unknown
                        .push(format!("batch {}", a.group_control_number));
                    continue;
                };
                let errors: Vec<String> = a
                    .transactions
                    .iter()
                    .flat_map(|t| {
                        t.segment_errors.iter().map(|e| {
                            format!(
                                "{} at segment {}: {}",
                                e.tag,
                                e.position,
                                e.text.unwrap_or(&e.code)
                            )
                        })
                    })
                    .collect();
                let detail = match (a.status_text, errors.is_empty()) {
                    (Some(t), true) => t.to_string(),
                    (Some(t), false) => format!("{t}: {}", errors.join("; ")),
                    (None, _) => a.status.clone(),
                };
                store.record_batch_ack(session, &batch.id, &a.status, &detail)?;
                report.batches.push((control, a.status.clone()));
            }
            Some(Ok(Model::ClaimStatus(s))) if s.claim_acknowledgment => {
                seen += 1;
                for entry in &s.claims {
                    let Some(id) = entry.trace.clone() else {
                        continue;
                    };
                    let codes: Vec<_> = entry
                        .statuses
                        .iter()
                        .flat_map(|st| st.codes.iter())
                        .collect();
                    let rejected = codes
                        .iter()
                        .any(|c| matches!(c.category.as_str(), "A3" | "A4" | "A6" | "A7" | "A8"));
                    let detail = entry
                        .statuses
                        .iter()
                        .map(|st| {
                            let cats: Vec<String> = st
                                .codes
                                .iter()
                                .map(|c| c.category_text.unwrap_or(&c.category).to_string())
                                .collect();
                            match &st.message {
                                Some(m) => format!("{} ({m})", cats.join(", ")),
                                None => cats.join(", "),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    match store.record_claim_ack(
                        session,
                        &id,
                        !rejected,
                        &detail,
                        entry.payer_claim_number(),
                    ) {
                        Ok(_) => report.claims.push((id, !rejected)),
                        Err(StoreError::NotFound { .. }) => {
                            report.unknown.push(format!("claim {id}"))
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Some(Err(e)) => return Err(BillingError::X12(e.to_string())),
            _ => {}
        }
    }
    if seen == 0 {
        return Err(BillingError::Invalid(
            "the file holds no 999 or 277CA acknowledgement".into(),
        ));
    }
    Ok(report)
}

/// Whether a payer file holds an 835 (to post) rather than
/// acknowledgements, read from its transaction sets whatever delimiters
/// the sender chose.
pub fn holds_remittance(x12: &[u8]) -> Result<bool> {
    let doc = clinicdesk_x12::parse(x12)
        .map_err(|e| BillingError::X12(e.first().map(|e| e.to_string()).unwrap_or_default()))?;
    let found = doc.transactions().any(|t| t.id() == "835");
    Ok(found)
}

/// What posting an 835 did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PostReport {
    pub payer: String,
    pub trace_number: String,
    pub payment_cents: i64,
    pub payments: Vec<PostedPayment>,
    /// Payments already posted from an earlier load of the same file.
    pub already_posted: usize,
    pub unmatched: usize,
}

/// Posts every claim payment of an 835.
pub fn post_remittance(
    store: &mut Store,
    session: &Session,
    x12: &[u8],
) -> Result<Vec<PostReport>> {
    let doc = clinicdesk_x12::parse(x12)
        .map_err(|e| BillingError::X12(e.first().map(|e| e.to_string()).unwrap_or_default()))?;
    let mut reports = Vec::new();
    for tx in doc.transactions() {
        let r = match model(tx) {
            Some(Ok(Model::Remittance(r))) => r,
            Some(Err(e)) => return Err(BillingError::X12(e.to_string())),
            _ => continue,
        };
        let trace = r
            .trace
            .as_ref()
            .map(|t| t.number.to_string())
            .unwrap_or_default();
        let mut report = PostReport {
            payer: r.payer.name.to_string(),
            trace_number: trace.clone(),
            payment_cents: r.payment.amount.cents().unwrap_or(0),
            ..PostReport::default()
        };
        for c in &r.claims {
            let mut adjustments: Vec<PostedAdjustment> = Vec::new();
            let all = c
                .adjustments
                .iter()
                .chain(c.service_lines.iter().flat_map(|l| l.adjustments.iter()));
            for a in all {
                adjustments.push(PostedAdjustment {
                    group: a.group.to_string(),
                    reason: a.reason.to_string(),
                    amount_cents: a.amount.cents().unwrap_or(0),
                    text: reasons::describe(&a.group, &a.reason),
                });
            }
            let posting = PaymentPosting {
                patient_control_number: c.patient_control_number.to_string(),
                payer_name: r.payer.name.to_string(),
                trace_number: trace.clone(),
                payment_date: r.payment.date.as_deref().map(str::to_string),
                status_code: c.status_code.to_string(),
                charge_cents: c.charge.cents().unwrap_or(0),
                paid_cents: c.paid.cents().unwrap_or(0),
                patient_resp_cents: c
                    .patient_responsibility
                    .as_ref()
                    .and_then(Amount::cents)
                    .unwrap_or(0),
                payer_claim_number: c.payer_claim_control_number.as_deref().map(str::to_string),
                adjustments,
            };
            let posted = store.post_payment(session, &posting)?;
            if !posted.new {
                report.already_posted += 1;
            }
            if posted.claim_id.is_none() {
                report.unmatched += 1;
            }
            report.payments.push(posted);
        }
        reports.push(report);
    }
    if reports.is_empty() {
        return Err(BillingError::Invalid(
            "the file holds no 835 remittance".into(),
        ));
    }
    Ok(reports)
}

/// A claim on the denials worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    pub claim_id: String,
    pub patient_id: String,
    pub service_date: String,
    pub status: String,
    pub total_charge_cents: i64,
    /// Why, in words: the 835's adjustments or the acknowledgement's status.
    pub reasons: Vec<String>,
}

/// Denied and rejected claims, oldest service first.
pub fn denials(store: &Store, session: &Session) -> Result<Vec<Denial>> {
    let mut out = Vec::new();
    for c in store.claims(session, &["denied", "rejected"])? {
        let mut reasons: Vec<String> = store
            .payments_of(session, &c.id)?
            .iter()
            .flat_map(|p| {
                p.payment
                    .adjustments
                    .iter()
                    .filter(|a| a.group != "PR")
                    .map(|a| format!("{}-{}: {}", a.group, a.reason, a.text))
            })
            .collect();
        if reasons.is_empty() {
            reasons.extend(c.status_detail.clone());
        }
        out.push(Denial {
            claim_id: c.id,
            patient_id: c.patient_id,
            service_date: c.service_date,
            status: c.status,
            total_charge_cents: c.total_charge_cents,
            reasons,
        });
    }
    out.sort_by(|a, b| a.service_date.cmp(&b.service_date));
    Ok(out)
}

/// Outstanding payer balances by age since submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aging {
    pub buckets: Vec<AgingBucket>,
    pub total_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgingBucket {
    pub label: &'static str,
    pub claims: usize,
    pub cents: i64,
}

pub const AGING_BUCKETS: [(&str, i64); 5] = [
    ("0–30 days", 30),
    ("31–60 days", 60),
    ("61–90 days", 90),
    ("91–120 days", 120),
    ("over 120 days", i64::MAX),
];

/// A/R aging at `now` (seconds): each submitted claim's payer balance in
/// the bucket of its age since it was sent.
pub fn aging(store: &Store, session: &Session, now: i64) -> Result<Aging> {
    let mut buckets: Vec<AgingBucket> = AGING_BUCKETS
        .iter()
        .map(|(label, _)| AgingBucket {
            label,
            claims: 0,
            cents: 0,
        })
        .collect();
    let mut total = 0;
    for c in store.claims(session, &["submitted", "accepted", "partial"])? {
        let balance = c.payer_balance_cents();
        if balance == 0 {
            continue;
        }
        let days = (now - c.submitted_at.unwrap_or(c.created_at)).max(0) / 86_400;
        let i = AGING_BUCKETS
            .iter()
            .position(|(_, max)| days <= *max)
            .unwrap_or(AGING_BUCKETS.len() - 1);
        buckets[i].claims += 1;
        buckets[i].cents += balance;
        total += balance;
    }
    Ok(Aging {
        buckets,
        total_cents: total,
    })
}
