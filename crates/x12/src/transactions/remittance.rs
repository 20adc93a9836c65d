//! 835 health care claim payment/advice (005010X221A1): the payment (BPR,
//! TRN), payer and payee, each claim's payment (CLP) with its adjustments
//! (CAS) and service lines (SVC), and provider-level adjustments (PLB).

use super::common::{
    amount, missing, opt_string, req_amount, Amount, DateRef, Party, Procedure, Reference,
};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::Segment;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remittance {
    pub payment: Payment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<PaymentTrace>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    pub payer: Party,
    pub payee: Party,
    pub claims: Vec<ClaimPayment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provider_adjustments: Vec<ProviderAdjustment>,
}

/// BPR: the money itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payment {
    /// BPR01: `I` remittance with payment, `H` advice only, …
    pub handling: String,
    pub amount: Amount,
    /// BPR03: `C` credit, `D` debit.
    pub credit_debit: String,
    /// BPR04: `ACH`, `CHK`, `FWT`, `BOP` or `NON`.
    pub method: String,
    /// BPR16: CCYYMMDD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// TRN: the check or EFT trace number that ties the 835 to the money.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentTrace {
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<String>,
}

/// CAS: one reason within an adjustment group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    /// `CO` contractual, `PR` patient responsibility, `OA` other, `PI` payer initiated, `CR` correction.
    pub group: String,
    /// Claim adjustment reason code, e.g. `45`, `1` (deductible), `2` (coinsurance), `3` (copay).
    pub reason: String,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimPayment {
    /// CLP01: the clinic's claim id (CLM01 of the 837).
    pub patient_control_number: String,
    pub status_code: String,
    pub status: Option<&'static str>,
    pub charge: Amount,
    pub paid: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_responsibility: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing_indicator: Option<String>,
    /// CLP07: the payer's own claim number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_claim_control_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<Adjustment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// AMT: supplemental amounts by qualifier (e.g. `AU` coverage amount).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amounts: Vec<(String, Amount)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_lines: Vec<ServiceLine>,
}

impl ClaimPayment {
    /// The patient (NM1*QC), when named.
    pub fn patient(&self) -> Option<&Party> {
        self.parties.iter().find(|p| p.role == "QC")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceLine {
    pub procedure: Option<Procedure>,
    pub charge: Amount,
    pub paid: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    /// SVC06: the procedure as billed, when the payer paid a different one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<Adjustment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amounts: Vec<(String, Amount)>,
    /// LQ: remark codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remarks: Vec<String>,
}

/// PLB: money taken or given at the provider level, not tied to a claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderAdjustment {
    pub provider_id: String,
    pub fiscal_period_end: String,
    pub items: Vec<ProviderAdjustmentItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderAdjustmentItem {
    /// PLB03-1, e.g. `WO` overpayment recovery, `L6` interest.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub amount: Amount,
}

/// What a CLP02 claim status code means.
pub fn claim_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Processed as primary",
        "2" => "Processed as secondary",
        "3" => "Processed as tertiary",
        "4" => "Denied",
        "19" => "Processed as primary, forwarded to additional payer(s)",
        "20" => "Processed as secondary, forwarded to additional payer(s)",
        "21" => "Processed as tertiary, forwarded to additional payer(s)",
        "22" => "Reversal of previous payment",
        "23" => "Not our claim, forwarded to additional payer(s)",
        "25" => "Predetermination pricing only, no payment",
        _ => return None,
    })
}

/// CAS: a group code and up to six reason/amount/quantity triplets.
fn adjustments(seg: &Segment<'_>) -> Result<Vec<Adjustment>, Error> {
    let group = seg.req(1)?.to_string();
    let mut out = Vec::new();
    for i in 0..6 {
        let n = 2 + i * 3;
        let Some(reason) = seg.opt(n) else { continue };
        out.push(Adjustment {
            group: group.clone(),
            reason: reason.to_string(),
            amount: req_amount(seg, n + 1)?,
            quantity: opt_string(seg, n + 2),
        });
    }
    if out.is_empty() {
        return Err(seg.error(
            ErrorKind::Element,
            "CAS02 (a reason code) is required but empty",
        ));
    }
    Ok(out)
}

fn plb(seg: &Segment<'_>) -> Result<ProviderAdjustment, Error> {
    let mut items = Vec::new();
    for i in 0..6 {
        let n = 3 + i * 2;
        if seg.opt(n).is_none() {
            continue;
        }
        items.push(ProviderAdjustmentItem {
            reason: seg.component(n, 1).to_string(),
            reference: Some(seg.component(n, 2).to_string()).filter(|s| !s.is_empty()),
            amount: req_amount(seg, n + 1)?,
        });
    }
    Ok(ProviderAdjustment {
        provider_id: seg.req(1)?.to_string(),
        fiscal_period_end: seg.el(2).to_string(),
        items,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Where {
    Header,
    Payer,
    Payee,
    Claim,
    Line,
}

pub fn parse(tx: &Transaction<'_>) -> Result<Remittance, Error> {
    let mut payment = None;
    let mut r = Remittance {
        payment: Payment {
            handling: String::new(),
            amount: Amount::from_cents(0),
            credit_debit: String::new(),
            method: String::new(),
            date: None,
        },
        trace: None,
        references: Vec::new(),
        dates: Vec::new(),
        payer: Party::default(),
        payee: Party::default(),
        claims: Vec::new(),
        provider_adjustments: Vec::new(),
    };
    let mut at = Where::Header;
    let (mut has_payer, mut has_payee) = (false, false);
    for seg in &tx.body {
        match seg.tag {
            "BPR" => {
                payment = Some(Payment {
                    handling: seg.req(1)?.to_string(),
                    amount: req_amount(seg, 2)?,
                    credit_debit: seg.el(3).to_string(),
                    method: seg.el(4).to_string(),
                    date: opt_string(seg, 16),
                });
            }
            "TRN" => {
                r.trace = Some(PaymentTrace {
                    number: seg.req(2)?.to_string(),
                    originator: opt_string(seg, 3),
                })
            }
            "N1" => {
                let p = Party::from_n1(seg);
                match p.role.as_str() {
                    "PR" => {
                        r.payer = p;
                        has_payer = true;
                        at = Where::Payer;
                    }
                    "PE" => {
                        r.payee = p;
                        has_payee = true;
                        at = Where::Payee;
                    }
                    other => {
                        return Err(seg.error(
                            ErrorKind::Element,
                            format!("N101 {other:?} is neither PR (payer) nor PE (payee)"),
                        ))
                    }
                }
            }
            "N3" | "N4" => match at {
                Where::Payer => r.payer.add_address(seg),
                Where::Payee => r.payee.add_address(seg),
                _ => {}
            },
            "CLP" => {
                at = Where::Claim;
                let status_code = seg.req(2)?.to_string();
                r.claims.push(ClaimPayment {
                    patient_control_number: seg.req(1)?.to_string(),
                    status: claim_status(&status_code),
                    status_code,
                    charge: req_amount(seg, 3)?,
                    paid: req_amount(seg, 4)?,
                    patient_responsibility: amount(seg, 5)?,
                    filing_indicator: opt_string(seg, 6),
                    payer_claim_control_number: opt_string(seg, 7),
                    facility_code: opt_string(seg, 8),
                    frequency: opt_string(seg, 9),
                    parties: Vec::new(),
                    adjustments: Vec::new(),
                    dates: Vec::new(),
                    references: Vec::new(),
                    amounts: Vec::new(),
                    service_lines: Vec::new(),
                });
            }
            "SVC" => {
                let c = r
                    .claims
                    .last_mut()
                    .ok_or_else(|| seg.error(ErrorKind::Structure, "SVC before any CLP"))?;
                at = Where::Line;
                c.service_lines.push(ServiceLine {
                    procedure: Procedure::from_composite(seg, 1),
                    charge: req_amount(seg, 2)?,
                    paid: req_amount(seg, 3)?,
                    revenue_code: opt_string(seg, 4),
                    units: opt_string(seg, 5),
                    billed_procedure: Procedure::from_composite(seg, 6),
                    adjustments: Vec::new(),
                    dates: Vec::new(),
                    references: Vec::new(),
                    amounts: Vec::new(),
                    remarks: Vec::new(),
                });
            }
            "CAS" => {
                let adj = adjustments(seg)?;
                let c = r
                    .claims
                    .last_mut()
                    .ok_or_else(|| seg.error(ErrorKind::Structure, "CAS before any CLP"))?;
                match (at, c.service_lines.last_mut()) {
                    (Where::Line, Some(l)) => l.adjustments.extend(adj),
                    _ => c.adjustments.extend(adj),
                }
            }
            "NM1" => {
                if let Some(c) = r.claims.last_mut() {
                    c.parties.push(Party::from_nm1(seg));
                }
            }
            "DTM" => {
                let d = DateRef::from_dtm(seg);
                match (at, r.claims.last_mut()) {
                    (Where::Line, Some(c)) => {
                        if let Some(l) = c.service_lines.last_mut() {
                            l.dates.push(d);
                        }
                    }
                    (Where::Claim, Some(c)) => c.dates.push(d),
                    _ => r.dates.push(d),
                }
            }
            "REF" => {
                let x = Reference::from_ref(seg);
                match (at, r.claims.last_mut()) {
                    (Where::Line, Some(c)) => {
                        if let Some(l) = c.service_lines.last_mut() {
                            l.references.push(x);
                        }
                    }
                    (Where::Claim, Some(c)) => c.references.push(x),
                    (Where::Payer, _) | (Where::Payee, _) => {
                        let p = if at == Where::Payer {
                            &mut r.payer
                        } else {
                            &mut r.payee
                        };
                        if p.id.is_none() {
                            p.id_qualifier = Some(x.qualifier.clone());
                            p.id = Some(x.value.clone());
                        }
                    }
                    _ => r.references.push(x),
                }
            }
            "AMT" => {
                let a = (seg.el(1).to_string(), req_amount(seg, 2)?);
                match (at, r.claims.last_mut()) {
                    (Where::Line, Some(c)) => {
                        if let Some(l) = c.service_lines.last_mut() {
                            l.amounts.push(a);
                        }
                    }
                    (Where::Claim, Some(c)) => c.amounts.push(a),
                    _ => {}
                }
            }
            "LQ" => {
                if let Some(l) = r.claims.last_mut().and_then(|c| c.service_lines.last_mut()) {
                    l.remarks.push(seg.el(2).to_string());
                }
            }
            "PLB" => r.provider_adjustments.push(plb(seg)?),
            _ => {}
        }
    }
    r.payment = payment.ok_or_else(|| missing(tx, "BPR (financial information)"))?;
    if !has_payer {
        return Err(missing(tx, "payer (N1*PR)"));
    }
    if !has_payee {
        return Err(missing(tx, "payee (N1*PE)"));
    }
    Ok(r)
}
