//! 276/277 claim status (005010X212) and the 277CA claim acknowledgment
//! (005010X214): the status (STC) of each claim, with the trace numbers
//! that tie it to the claim sent, and statuses at the batch levels.

use super::common::{amount, opt_string, Amount, DateRef, Party, Procedure, Reference};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::Segment;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimStatus {
    /// `276` or `277`.
    pub transaction: String,
    /// 005010X214: a 277CA acknowledging claims rather than answering a 276.
    pub claim_acknowledgment: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Payer, receiver and provider levels, with any status given for them.
    pub levels: Vec<LevelStatus>,
    pub claims: Vec<ClaimEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelStatus {
    /// HL03: `20` payer, `21` information receiver, `19` provider.
    pub level: String,
    pub party: Party,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ClaimEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer: Option<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<Party>,
    /// TRN02: the trace number of the 276, or the claim's id in a 277CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// REF: `1K` payer claim number, `EJ` patient account, `D9` clearinghouse trace, …
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    /// AMT*T3 (276): the claim's total charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<Amount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineStatus>,
}

impl ClaimEntry {
    /// The payer's claim number (REF*1K).
    pub fn payer_claim_number(&self) -> Option<&str> {
        self.references
            .iter()
            .find(|r| r.qualifier == "1K")
            .map(|r| r.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineStatus {
    pub procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid: Option<Amount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
}

/// One STC01/STC10/STC11 composite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCode {
    /// Claim status category, e.g. `A1` acknowledged/received, `A7` rejected, `F1` finalized/paid.
    pub category: String,
    pub category_text: Option<&'static str>,
    /// Claim status code (code list 508).
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

impl StatusCode {
    fn from(seg: &Segment<'_>, n: usize) -> Option<StatusCode> {
        let category = seg.component(n, 1);
        if category.is_empty() {
            return None;
        }
        Some(StatusCode {
            category: category.to_string(),
            category_text: category_text(category),
            code: seg.component(n, 2).to_string(),
            entity: Some(seg.component(n, 3).to_string()).filter(|s| !s.is_empty()),
        })
    }
}

/// STC: a status with its date, action and amounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub codes: Vec<StatusCode>,
    /// STC02: the date the status applies from (CCYYMMDD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// STC03 action code (`WQ` accepted, `U` rejected in a 277CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid: Option<Amount>,
    /// STC06: the date of adjudication or payment (CCYYMMDD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_date: Option<String>,
    /// STC09: the check or EFT trace number of the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_number: Option<String>,
    /// STC12 free-form message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Status {
    fn from_stc(seg: &Segment<'_>) -> Result<Status, Error> {
        let codes: Vec<StatusCode> = [1, 10, 11]
            .into_iter()
            .filter_map(|n| StatusCode::from(seg, n))
            .collect();
        if codes.is_empty() {
            return Err(seg.error(
                ErrorKind::Element,
                "STC01 (the status) is required but empty",
            ));
        }
        Ok(Status {
            codes,
            date: opt_string(seg, 2),
            action: opt_string(seg, 3),
            charge: amount(seg, 4)?,
            paid: amount(seg, 5)?,
            paid_date: opt_string(seg, 6),
            check_number: opt_string(seg, 9),
            message: opt_string(seg, 12),
        })
    }
}

/// What a claim status category code means (code list 507).
pub fn category_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "A0" => "Acknowledgement: forwarded",
        "A1" => "Acknowledgement: receipt",
        "A2" => "Acknowledgement: accepted into the adjudication system",
        "A3" => "Acknowledgement: returned as unprocessable",
        "A4" => "Acknowledgement: not found",
        "A5" => "Acknowledgement: split claim",
        "A6" => "Acknowledgement: rejected for missing information",
        "A7" => "Acknowledgement: rejected for invalid information",
        "A8" => "Acknowledgement: rejected for relational field in error",
        "D0" => "Data search unsuccessful",
        "E0" => "Response not possible: error on submitted request data",
        "E1" => "Response not possible: system status",
        "E2" => "Information holder is not responding",
        "E3" => "Correction required: relational fields in error",
        "E4" => "Trading partner agreement specific requirement not met",
        "F0" => "Finalized",
        "F1" => "Finalized: payment",
        "F2" => "Finalized: denial",
        "F3" => "Finalized: revised",
        "F3F" => "Finalized: forwarded",
        "F3N" => "Finalized: not forwarded",
        "F4" => "Finalized: adjudication complete, no payment forthcoming",
        "P0" => "Pending: adjudication/details",
        "P1" => "Pending: in process",
        "P2" => "Pending: payer review",
        "P3" => "Pending: provider requested information",
        "P4" => "Pending: patient requested information",
        "P5" => "Pending: payer administrative/system hold",
        "R0" => "Requests for additional information: general requests",
        "R1" => "Requests for additional information: entity requests",
        "R3" => "Requests for additional information: claim/line",
        "R4" => "Requests for additional information: documentation",
        "R5" => "Request for more specific detail",
        "RQ" => "General questions",
        _ => return None,
    })
}

#[derive(Default)]
struct Context {
    payer: Option<Party>,
    provider: Option<Party>,
    subscriber: Option<Party>,
    patient: Option<Party>,
}

pub fn parse(tx: &Transaction<'_>) -> Result<ClaimStatus, Error> {
    let mut m = ClaimStatus {
        transaction: tx.id().to_string(),
        claim_acknowledgment: tx.version.contains("X214"),
        reference: None,
        date: None,
        levels: Vec::new(),
        claims: Vec::new(),
    };
    let mut ctx = Context::default();
    // The HL level being read, and whether a claim (TRN) and a line (SVC)
    // of it are open.
    let mut level = String::new();
    let mut in_claim = false;
    let mut in_line = false;
    for seg in &tx.body {
        let claim_level = matches!(level.as_str(), "22" | "23" | "PT");
        match seg.tag {
            "BHT" => {
                m.reference = opt_string(seg, 3);
                m.date = opt_string(seg, 4);
            }
            "HL" => {
                level = seg.el(3).to_string();
                in_claim = false;
                in_line = false;
                match level.as_str() {
                    "20" | "21" | "19" => m.levels.push(LevelStatus {
                        level: level.clone(),
                        party: Party::default(),
                        traces: Vec::new(),
                        statuses: Vec::new(),
                    }),
                    "22" => {
                        ctx.subscriber = None;
                        ctx.patient = None;
                    }
                    "23" | "PT" => ctx.patient = None,
                    other => {
                        return Err(seg.error(
                            ErrorKind::Element,
                            format!("HL03 {other:?} is not a level of the 276/277 (20, 21, 19, 22, 23 or PT)"),
                        ))
                    }
                }
            }
            "NM1" => {
                let p = Party::from_nm1(seg);
                match level.as_str() {
                    "20" => ctx.payer = Some(p.clone()),
                    "19" => ctx.provider = Some(p.clone()),
                    "22" => ctx.subscriber = Some(p.clone()),
                    "23" | "PT" => ctx.patient = Some(p.clone()),
                    _ => {}
                }
                if !claim_level {
                    if let Some(l) = m.levels.last_mut() {
                        l.party = p;
                    }
                }
            }
            "TRN" if claim_level => {
                in_claim = true;
                in_line = false;
                m.claims.push(ClaimEntry {
                    payer: ctx.payer.clone(),
                    provider: ctx.provider.clone(),
                    subscriber: ctx.subscriber.clone(),
                    patient: ctx.patient.clone(),
                    trace: opt_string(seg, 2),
                    ..ClaimEntry::default()
                });
            }
            "TRN" => {
                if let Some(l) = m.levels.last_mut() {
                    l.traces.push(seg.el(2).to_string());
                }
            }
            "STC" => {
                let s = Status::from_stc(seg)?;
                if in_line {
                    if let Some(l) = m.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                        l.statuses.push(s);
                    }
                } else if in_claim {
                    if let Some(c) = m.claims.last_mut() {
                        c.statuses.push(s);
                    }
                } else if let Some(l) = m.levels.last_mut() {
                    l.statuses.push(s);
                } else {
                    return Err(seg.error(ErrorKind::Structure, "STC before any HL level"));
                }
            }
            "SVC" if in_claim => {
                in_line = true;
                if let Some(c) = m.claims.last_mut() {
                    c.lines.push(LineStatus {
                        procedure: Procedure::from_composite(seg, 1),
                        charge: amount(seg, 2)?,
                        paid: amount(seg, 3)?,
                        statuses: Vec::new(),
                        references: Vec::new(),
                        dates: Vec::new(),
                    });
                }
            }
            "REF" | "DTP" | "AMT" if in_claim => {
                let Some(c) = m.claims.last_mut() else {
                    continue;
                };
                let line = if in_line { c.lines.last_mut() } else { None };
                match (seg.tag, line) {
                    ("REF", Some(l)) => l.references.push(Reference::from_ref(seg)),
                    ("REF", None) => c.references.push(Reference::from_ref(seg)),
                    ("DTP", Some(l)) => l.dates.push(DateRef::from_dtp(seg)),
                    ("DTP", None) => c.dates.push(DateRef::from_dtp(seg)),
                    ("AMT", None) if seg.el(1) == "T3" => c.charge = amount(seg, 2)?,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(m)
}
