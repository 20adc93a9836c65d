//! 999 implementation acknowledgment (005010X231A1): whether the receiver
//! accepted each transaction set of a functional group, and why not.

use super::common::{missing, opt_string};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::{Segment, Values};
use serde::Serialize;

pub const VERSION: &str = "005010X231A1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgment {
    /// AK101: functional identifier of the group acknowledged (`HC` for 837).
    pub functional_id: String,
    /// AK102: its GS06.
    pub group_control_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub transactions: Vec<TransactionAck>,
    /// AK901: `A` accepted, `E` accepted with errors, `P` partially accepted, `R` rejected.
    pub status: String,
    pub status_text: Option<&'static str>,
    pub included: Option<u32>,
    pub received: Option<u32>,
    pub accepted: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransactionAck {
    /// AK201 and AK202: the transaction set acknowledged.
    pub transaction_id: String,
    pub control_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segment_errors: Vec<SegmentError>,
    /// IK501: `A` accepted, `E` accepted with errors, `M`/`R`/`W`/`X` rejected.
    pub status: String,
    pub status_text: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// IK3 and the IK4 element errors that follow it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentError {
    pub tag: String,
    /// IK302: position in the transaction set (ST is 1).
    pub position: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_id: Option<String>,
    pub code: String,
    pub text: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ElementError>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementError {
    /// IK401: element position, with `-component` when in a composite.
    pub position: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub code: String,
    pub text: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_value: Option<String>,
}

pub fn status_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "A" => "Accepted",
        "E" => "Accepted with errors",
        "M" => "Rejected, message authentication code failed",
        "P" => "Partially accepted",
        "R" => "Rejected",
        "W" => "Rejected, assurance failed validity tests",
        "X" => "Rejected, content after decryption could not be analyzed",
        _ => return None,
    })
}

/// IK304 segment syntax error codes.
pub fn segment_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Unrecognized segment ID",
        "2" => "Unexpected segment",
        "3" => "Required segment missing",
        "4" => "Loop occurs over maximum times",
        "5" => "Segment exceeds maximum use",
        "6" => "Segment not in defined transaction set",
        "7" => "Segment not in proper sequence",
        "8" => "Segment has data element errors",
        "I4" => "Implementation \"not used\" segment present",
        "I6" => "Implementation dependent segment missing",
        "I7" => "Implementation loop occurs under minimum times",
        "I8" => "Implementation segment below minimum use",
        "I9" => "Implementation dependent \"not used\" segment present",
        _ => return None,
    })
}

/// IK403 element syntax error codes.
pub fn element_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Required data element missing",
        "2" => "Conditional required data element missing",
        "3" => "Too many data elements",
        "4" => "Data element too short",
        "5" => "Data element too long",
        "6" => "Invalid character in data element",
        "7" => "Invalid code value",
        "8" => "Invalid date",
        "9" => "Invalid time",
        "10" => "Exclusion condition violated",
        "12" => "Too many repetitions",
        "13" => "Too many components",
        "I6" => "Code value not used in implementation",
        "I9" => "Implementation dependent data element missing",
        "I10" => "Implementation \"not used\" data element present",
        "I11" => "Implementation too few repetitions",
        "I12" => "Implementation pattern match failure",
        "I13" => "Implementation dependent \"not used\" data element present",
        _ => return None,
    })
}

fn codes(seg: &Segment<'_>, from: usize, to: usize) -> Vec<String> {
    (from..=to).filter_map(|n| opt_string(seg, n)).collect()
}

fn count(seg: &Segment<'_>, n: usize) -> Result<Option<u32>, Error> {
    match seg.opt(n) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            seg.error(
                ErrorKind::Element,
                format!("{}{n:02} {v:?} is not a count", seg.tag),
            )
        }),
    }
}

pub fn parse(tx: &Transaction<'_>) -> Result<Acknowledgment, Error> {
    let mut ack: Option<Acknowledgment> = None;
    for seg in &tx.body {
        if seg.tag == "AK1" {
            ack = Some(Acknowledgment {
                functional_id: seg.req(1)?.to_string(),
                group_control_number: seg.req(2)?.to_string(),
                version: opt_string(seg, 3),
                transactions: Vec::new(),
                status: String::new(),
                status_text: None,
                included: None,
                received: None,
                accepted: None,
                group_errors: Vec::new(),
            });
            continue;
        }
        let a = ack
            .as_mut()
            .ok_or_else(|| seg.error(ErrorKind::Structure, format!("{} before AK1", seg.tag)))?;
        let before =
            |what: &str| seg.error(ErrorKind::Structure, format!("{} before {what}", seg.tag));
        match seg.tag {
            "AK2" => a.transactions.push(TransactionAck {
                transaction_id: seg.req(1)?.to_string(),
                control_number: seg.req(2)?.to_string(),
                version: opt_string(seg, 3),
                segment_errors: Vec::new(),
                status: String::new(),
                status_text: None,
                errors: Vec::new(),
            }),
            "IK3" => {
                let t = a.transactions.last_mut().ok_or_else(|| before("AK2"))?;
                let code = seg.req(4)?.to_string();
                t.segment_errors.push(SegmentError {
                    tag: seg.req(1)?.to_string(),
                    position: seg.req(2)?.to_string(),
                    loop_id: opt_string(seg, 3),
                    text: segment_error_text(&code),
                    code,
                    elements: Vec::new(),
                });
            }
            "IK4" => {
                let s = a
                    .transactions
                    .last_mut()
                    .and_then(|t| t.segment_errors.last_mut())
                    .ok_or_else(|| before("IK3"))?;
                let position = seg
                    .components(1)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join("-");
                let code = seg.req(3)?.to_string();
                s.elements.push(ElementError {
                    position,
                    reference: opt_string(seg, 2),
                    text: element_error_text(&code),
                    code,
                    bad_value: opt_string(seg, 4),
                });
            }
            "IK5" => {
                let t = a.transactions.last_mut().ok_or_else(|| before("AK2"))?;
                t.status = seg.req(1)?.to_string();
                t.status_text = status_text(&t.status);
                t.errors = codes(seg, 2, 6);
            }
            "AK9" => {
                a.status = seg.req(1)?.to_string();
                a.status_text = status_text(&a.status);
                a.included = count(seg, 2)?;
                a.received = count(seg, 3)?;
                a.accepted = count(seg, 4)?;
                a.group_errors = codes(seg, 5, 9);
            }
            _ => {}
        }
    }
    let a = ack.ok_or_else(|| missing(tx, "AK1 (functional group response header)"))?;
    if a.status.is_empty() {
        return Err(missing(tx, "AK9 (functional group response trailer)"));
    }
    Ok(a)
}

/// The body of a 999 acknowledging every transaction set of `group`:
/// accepted when reading found no error inside it, rejected otherwise (with
/// an IK3 naming each segment at fault).
pub fn acknowledge(group: &crate::Group<'_>, errors: &[Error]) -> Vec<Values> {
    let gs = &group.gs;
    let mut out = vec![Values::new("AK1").els(&[gs.el(1), gs.el(6), gs.el(8)])];
    let mut accepted = 0;
    for tx in &group.transactions {
        out.push(Values::new("AK2").els(&[tx.id(), tx.control_number(), tx.st.el(3)]));
        let first = tx.st.position;
        let last = tx.segments().last().map_or(first, |s| s.position);
        let mine: Vec<&Error> = errors
            .iter()
            .filter(|e| {
                e.at.as_ref()
                    .is_some_and(|a| a.position >= first && a.position <= last)
            })
            .collect();
        // Segment-level problems get an IK3; counts, control numbers and
        // missing trailers are transaction set errors (IK502) of their own.
        for e in &mine {
            let (Some(at), Some(code)) = (&e.at, segment_code(e.kind)) else {
                continue;
            };
            out.push(Values::new("IK3").els(&[
                at.tag.as_str(),
                &(at.position.saturating_sub(first) + 1).to_string(),
                "",
                code,
            ]));
        }
        if mine.is_empty() {
            accepted += 1;
            out.push(Values::new("IK5").el("A"));
        } else {
            let mut ik5 = Values::new("IK5").el("R");
            let mut codes: Vec<&str> = mine.iter().map(|e| transaction_code(e)).collect();
            codes.dedup();
            for c in codes.into_iter().take(5) {
                ik5 = ik5.el(c);
            }
            out.push(ik5);
        }
    }
    let n = group.transactions.len();
    let status = match accepted {
        a if a == n => "A",
        0 => "R",
        _ => "P",
    };
    out.push(Values::new("AK9").els(&[
        status,
        &n.to_string(),
        &n.to_string(),
        &accepted.to_string(),
    ]));
    out
}

fn segment_code(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::Syntax => Some("1"),
        ErrorKind::Structure | ErrorKind::MissingSegment => Some("2"),
        ErrorKind::Element => Some("8"),
        _ => None,
    }
}

/// IK502 transaction set syntax error code.
fn transaction_code(e: &Error) -> &'static str {
    match e.kind {
        ErrorKind::Count => "4",
        ErrorKind::ControlNumber => "3",
        ErrorKind::Structure if e.message.contains("no SE") => "2",
        _ => "5",
    }
}
