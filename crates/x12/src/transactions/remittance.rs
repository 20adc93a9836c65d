//! 835 health care claim payment/advice (005010X221A1): the payment (BPR,
//! TRN), payer and payee, each claim's payment (CLP) with its adjustments
//! (CAS) and service lines (SVC), and provider-level adjustments (PLB).

use super::common::{
    amount, missing, opt_text, req_amount, text, Amount, DateRef, Party, Procedure, Reference,
};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::{Elements, Segment};
use compact_str::CompactString;
use serde::Serialize;
use smallvec::SmallVec;

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
    pub handling: CompactString,
    pub amount: Amount,
    /// BPR03: `C` credit, `D` debit.
    pub credit_debit: CompactString,
    /// BPR04: `ACH`, `CHK`, `FWT`, `BOP` or `NON`.
    pub method: CompactString,
    /// BPR16: CCYYMMDD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<CompactString>,
}

/// TRN: the check or EFT trace number that ties the 835 to the money.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentTrace {
    pub number: CompactString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<CompactString>,
}

/// CAS: one reason within an adjustment group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    /// `CO` contractual, `PR` patient responsibility, `OA` other, `PI` payer initiated, `CR` correction.
    pub group: CompactString,
    /// Claim adjustment reason code, e.g. `45`, `1` (deductible), `2` (coinsurance), `3` (copay).
    pub reason: CompactString,
    pub amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimPayment {
    /// CLP01: the clinic's claim id (CLM01 of the 837).
    pub patient_control_number: CompactString,
    pub status_code: CompactString,
    pub status: Option<&'static str>,
    pub charge: Amount,
    pub paid: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_responsibility: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing_indicator: Option<CompactString>,
    /// CLP07: the payer's own claim number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_claim_control_number: Option<CompactString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facility_code: Option<CompactString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<CompactString>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub parties: SmallVec<[Party; 2]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub adjustments: SmallVec<[Adjustment; 2]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub dates: SmallVec<[DateRef; 2]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub references: SmallVec<[Reference; 1]>,
    /// AMT: supplemental amounts by qualifier (e.g. `AU` coverage amount).
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub amounts: SmallVec<[(CompactString, Amount); 1]>,
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
    pub revenue_code: Option<CompactString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<CompactString>,
    /// SVC06: the procedure as billed, when the payer paid a different one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub adjustments: SmallVec<[Adjustment; 2]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub dates: SmallVec<[DateRef; 1]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub references: SmallVec<[Reference; 1]>,
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub amounts: SmallVec<[(CompactString, Amount); 1]>,
    /// LQ: remark codes.
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub remarks: SmallVec<[CompactString; 2]>,
}

/// PLB: money taken or given at the provider level, not tied to a claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderAdjustment {
    pub provider_id: CompactString,
    pub fiscal_period_end: CompactString,
    pub items: Vec<ProviderAdjustmentItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderAdjustmentItem {
    /// PLB03-1, e.g. `WO` overpayment recovery, `L6` interest.
    pub reason: CompactString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<CompactString>,
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

/// CAS: a group code and up to six reason/amount/quantity triplets, read
/// into `out` (which it empties first).
fn adjustments(seg: &Segment<'_>, out: &mut Vec<Adjustment>) -> Result<(), Error> {
    out.clear();
    // Most CAS hold one to three reasons (elements 1 to 10); any further
    // ones are read from the segment.
    let seg = &seg.fields::<10>();
    let group = CompactString::new(seg.req(1)?);
    for i in 0..6 {
        let n = 2 + i * 3;
        let Some(reason) = seg.opt(n) else { continue };
        out.push(Adjustment {
            group: group.clone(),
            reason: CompactString::new(reason),
            amount: req_amount(seg, n + 1)?,
            quantity: opt_text(seg, n + 2),
        });
    }
    if out.is_empty() {
        return Err(seg.segment().error(
            ErrorKind::Element,
            "CAS02 (a reason code) is required but empty",
        ));
    }
    Ok(())
}

fn plb(seg: &Segment<'_>) -> Result<ProviderAdjustment, Error> {
    let mut items = Vec::new();
    for i in 0..6 {
        let n = 3 + i * 2;
        if seg.opt(n).is_none() {
            continue;
        }
        items.push(ProviderAdjustmentItem {
            reason: CompactString::new(seg.component(n, 1)),
            reference: Some(seg.component(n, 2))
                .filter(|s| !s.is_empty())
                .map(CompactString::new),
            amount: req_amount(seg, n + 1)?,
        });
    }
    Ok(ProviderAdjustment {
        provider_id: CompactString::new(seg.req(1)?),
        fiscal_period_end: text(seg, 2),
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

/// How many service lines (SVC) the claim whose segments follow has: those
/// before the next CLP. Its lines are then allocated once, at their size.
fn line_count(rest: &[Segment<'_>]) -> usize {
    rest.iter()
        .take_while(|s| s.tag != "CLP")
        .filter(|s| s.tag == "SVC")
        .count()
}

pub fn parse(tx: &Transaction<'_>) -> Result<Remittance, Error> {
    let mut payment = None;
    let claims = tx.body.iter().filter(|s| s.tag == "CLP").count();
    let mut r = Remittance {
        payment: Payment {
            handling: CompactString::default(),
            amount: Amount::from_cents(0),
            credit_debit: CompactString::default(),
            method: CompactString::default(),
            date: None,
        },
        trace: None,
        references: Vec::new(),
        dates: Vec::new(),
        payer: Party::default(),
        payee: Party::default(),
        claims: Vec::with_capacity(claims),
        provider_adjustments: Vec::new(),
    };
    let mut at = Where::Header;
    let (mut has_payer, mut has_payee) = (false, false);
    // One CAS, read before it is known where it goes.
    let mut cas: Vec<Adjustment> = Vec::new();
    for (i, seg) in tx.body.iter().enumerate() {
        match seg.tag {
            "BPR" => {
                let seg = &seg.fields::<16>();
                payment = Some(Payment {
                    handling: CompactString::new(seg.req(1)?),
                    amount: req_amount(seg, 2)?,
                    credit_debit: text(seg, 3),
                    method: text(seg, 4),
                    date: opt_text(seg, 16),
                });
            }
            "TRN" => {
                let seg = &seg.fields::<3>();
                r.trace = Some(PaymentTrace {
                    number: CompactString::new(seg.req(2)?),
                    originator: opt_text(seg, 3),
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
                let seg = &seg.fields::<9>();
                let status_code = CompactString::new(seg.req(2)?);
                let claim = ClaimPayment {
                    patient_control_number: CompactString::new(seg.req(1)?),
                    status: claim_status(&status_code),
                    status_code,
                    charge: req_amount(seg, 3)?,
                    paid: req_amount(seg, 4)?,
                    patient_responsibility: amount(seg, 5)?,
                    filing_indicator: opt_text(seg, 6),
                    payer_claim_control_number: opt_text(seg, 7),
                    facility_code: opt_text(seg, 8),
                    frequency: opt_text(seg, 9),
                    parties: SmallVec::new(),
                    adjustments: SmallVec::new(),
                    dates: SmallVec::new(),
                    references: SmallVec::new(),
                    amounts: SmallVec::new(),
                    service_lines: Vec::with_capacity(line_count(
                        tx.body.get(i + 1..).unwrap_or_default(),
                    )),
                };
                r.claims.push(claim);
            }
            "SVC" => {
                let c = r
                    .claims
                    .last_mut()
                    .ok_or_else(|| seg.error(ErrorKind::Structure, "SVC before any CLP"))?;
                at = Where::Line;
                let seg = &seg.fields::<6>();
                c.service_lines.push(ServiceLine {
                    procedure: Procedure::from_composite(seg, 1),
                    charge: req_amount(seg, 2)?,
                    paid: req_amount(seg, 3)?,
                    revenue_code: opt_text(seg, 4),
                    units: opt_text(seg, 5),
                    billed_procedure: Procedure::from_composite(seg, 6),
                    adjustments: SmallVec::new(),
                    dates: SmallVec::new(),
                    references: SmallVec::new(),
                    amounts: SmallVec::new(),
                    remarks: SmallVec::new(),
                });
            }
            "CAS" => {
                adjustments(seg, &mut cas)?;
                let Some(c) = r.claims.last_mut() else {
                    return Err(seg.error(ErrorKind::Structure, "CAS before any CLP"));
                };
                match (at, c.service_lines.last_mut()) {
                    (Where::Line, Some(l)) => l.adjustments.extend(cas.drain(..)),
                    _ => c.adjustments.extend(cas.drain(..)),
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
                let f = &seg.fields::<2>();
                let a = (text(f, 1), req_amount(f, 2)?);
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
                    l.remarks.push(text(seg, 2));
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
