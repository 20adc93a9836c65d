//! Real-time eligibility: a 270 built from check-in data, sent through a
//! CORE connection, and the 271 read into what the front desk needs to know.

use crate::client::{Client, ClientError};
use crate::envelope::payload_type;
use clinicdesk_x12::transactions::aaa;
use clinicdesk_x12::transactions::eligibility::{Benefit, Eligibility, Member, Network};
use clinicdesk_x12::transactions::eligibility_request::{EligibilityInquiry, VERSION};
use clinicdesk_x12::{Model, Values};
use serde::{Deserialize, Serialize};

/// A person on the policy other than the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependent {
    pub first_name: String,
    pub last_name: String,
    /// CCYYMMDD.
    pub birth_date: String,
    #[serde(default)]
    pub gender: Option<String>,
}

/// What check-in knows about the visit and the patient's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityQuery {
    pub payer_id: String,
    pub payer_name: String,
    pub provider_npi: String,
    /// Organization name, or last name with `provider_first_name`.
    pub provider_name: String,
    #[serde(default)]
    pub provider_first_name: Option<String>,
    /// TRN03: `1` and the clinic's EIN, or `9` and an id of its own.
    pub trace_originator: String,
    pub member_id: String,
    pub first_name: String,
    pub last_name: String,
    /// CCYYMMDD.
    pub birth_date: String,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub dependent: Option<Dependent>,
    /// e.g. `30` (health benefit plan coverage), `98` (office visit).
    pub service_types: Vec<String>,
    /// CCYYMMDD; today when not set.
    #[serde(default)]
    pub service_date: Option<String>,
}

/// Amounts in cents, percentages in whole percent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceBenefits {
    pub service_type: String,
    /// `in`, `out`, `both` or `unknown` (the payer did not say).
    pub network: String,
    #[serde(default)]
    pub copay_cents: Option<i64>,
    #[serde(default)]
    pub coinsurance_percent: Option<String>,
    #[serde(default)]
    pub deductible_cents: Option<i64>,
    #[serde(default)]
    pub deductible_remaining_cents: Option<i64>,
    #[serde(default)]
    pub out_of_pocket_max_cents: Option<i64>,
    #[serde(default)]
    pub out_of_pocket_remaining_cents: Option<i64>,
}

/// An AAA rejection, said plainly, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub code: String,
    pub text: String,
    /// The input to correct, when the rejection points at one.
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub follow_up: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityResult {
    /// The PayloadID the inquiry travelled with.
    pub payload_id: String,
    pub trace_number: String,
    pub payer_name: String,
    /// Coverage is active on the service date.
    pub active: bool,
    /// What EB01 said, e.g. "Active coverage" or "Inactive".
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub plan_name: Option<String>,
    #[serde(default)]
    pub plan_number: Option<String>,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub group_number: Option<String>,
    pub benefits: Vec<ServiceBenefits>,
    pub rejections: Vec<Rejection>,
    /// MSG texts from the payer.
    pub messages: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EligibilityError {
    #[error("The eligibility request cannot be sent: {0}")]
    Request(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("The payer's answer is not a usable eligibility response: {0}")]
    Response(String),
    #[error("The payer's answer is about another request (trace number {got}, expected {sent}).")]
    TraceMismatch { sent: String, got: String },
}

/// The input to correct for AAA codes that point at one.
pub fn fix_for(code: &str) -> Option<&'static str> {
    Some(match code {
        "64" | "72" => "Check the member ID against the insurance card.",
        "65" | "73" => "Check the name spelling against the insurance card.",
        "58" | "60" | "71" => "Check the date of birth.",
        "66" | "74" => "Check the gender.",
        "57" | "62" | "63" => "Check the date of service.",
        "67" | "75" => "Check the member ID, name and date of birth against the card.",
        "77" => "Check the dependent's name and date of birth.",
        "43" | "51" => "Check the provider's NPI in the provider settings.",
        "42" | "80" => "Try again in a few minutes.",
        _ => return None,
    })
}

fn rejection(r: &clinicdesk_x12::transactions::eligibility::Rejection) -> Rejection {
    Rejection {
        code: r.reason_code.clone(),
        text: r
            .reason
            .or_else(|| aaa::reason_text(&r.reason_code))
            .map_or_else(
                || format!("The payer rejected the request (code {}).", r.reason_code),
                str::to_string,
            ),
        fix: fix_for(&r.reason_code).map(str::to_string),
        follow_up: r.follow_up.map(str::to_string),
    }
}

impl EligibilityQuery {
    fn inquiry(&self, trace: &str, reference: &str) -> EligibilityInquiry {
        let now = chrono::Utc::now();
        EligibilityInquiry {
            reference: reference.to_string(),
            date: now.format("%Y%m%d").to_string(),
            time: now.format("%H%M").to_string(),
            payer_name: self.payer_name.clone(),
            payer_id: self.payer_id.clone(),
            provider_name: self.provider_name.clone(),
            provider_first_name: self.provider_first_name.clone(),
            provider_npi: self.provider_npi.clone(),
            trace_number: trace.to_string(),
            trace_originator: self.trace_originator.clone(),
            member_id: self.member_id.clone(),
            last_name: self.last_name.clone(),
            first_name: self.first_name.clone(),
            // A dependent's subscriber may be named without a birth date.
            birth_date: Some(self.birth_date.clone()).filter(|d| !d.is_empty()),
            gender: self.gender.clone(),
            service_date: self.service_date.clone(),
            service_types: self.service_types.clone(),
        }
    }

    /// The 270's segments between ST and SE. With a dependent, the trace,
    /// date and inquiries move to the dependent's loops (2000D/2110D).
    pub fn body(&self, trace: &str, reference: &str) -> Result<Vec<Values>, EligibilityError> {
        let body = self
            .inquiry(trace, reference)
            .body()
            .map_err(|e| EligibilityError::Request(e.message.clone()))?;
        let Some(dep) = &self.dependent else {
            return Ok(body);
        };
        for (what, v) in [
            ("the dependent's first name", &dep.first_name),
            ("the dependent's last name", &dep.last_name),
        ] {
            if v.trim().is_empty() {
                return Err(EligibilityError::Request(format!(
                    "{what} must not be empty"
                )));
            }
        }
        let valid_dob = dep.birth_date.len() == 8
            && chrono::NaiveDate::parse_from_str(&dep.birth_date, "%Y%m%d").is_ok();
        if !valid_dob {
            return Err(EligibilityError::Request(format!(
                "the dependent's date of birth {:?} must be CCYYMMDD",
                dep.birth_date
            )));
        }
        let mut out = Vec::with_capacity(body.len() + 3);
        let mut moved = Vec::new();
        for seg in body {
            match seg.tag.as_str() {
                "TRN" | "DTP" | "EQ" => moved.push(seg),
                "HL" if seg.elements.first().is_some_and(|e| e.0 == [["3"]]) => {
                    out.push(Values::new("HL").els(&["3", "2", "22", "1"]));
                }
                _ => out.push(seg),
            }
        }
        out.push(Values::new("HL").els(&["4", "3", "23", "0"]));
        let mut moved = moved.into_iter();
        if let Some(trn) = moved.next() {
            out.push(trn);
        }
        out.push(Values::new("NM1").els(&["03", "1", &dep.last_name, &dep.first_name]));
        out.push(
            Values::new("DMG")
                .els(&["D8", &dep.birth_date])
                .el(dep.gender.clone().unwrap_or_default()),
        );
        out.extend(moved);
        Ok(out)
    }
}

/// Builds the 270 interchange for `query`.
pub fn build_270(
    client: &Client,
    query: &EligibilityQuery,
    trace: &str,
    control: u32,
) -> Result<String, EligibilityError> {
    let header = client.interchange_header(control);
    let reference: String = trace.chars().take(30).collect();
    let body = query.body(trace, &reference)?;
    let segs = header
        .wrap("HS", "270", VERSION, vec![body])
        .map_err(|e| EligibilityError::Request(e.message.clone()))?;
    clinicdesk_x12::to_x12(&segs, clinicdesk_x12::Delimiters::default(), false)
        .map_err(|e| EligibilityError::Request(e.message.clone()))
}

/// Asks the payer about `query`'s coverage, in real time.
pub async fn check_eligibility(
    client: &Client,
    query: &EligibilityQuery,
) -> Result<EligibilityResult, EligibilityError> {
    check_eligibility_as(client, query, uuid::Uuid::new_v4()).await
}

/// As [`check_eligibility`], with the PayloadID (and so the trace number)
/// given: a check resent from an outbox after a lost answer keeps its id,
/// so the receiver can tell it is the same request.
pub async fn check_eligibility_as(
    client: &Client,
    query: &EligibilityQuery,
    id: uuid::Uuid,
) -> Result<EligibilityResult, EligibilityError> {
    let (answer, trace) = client
        .send_keyed(payload_type::ELIGIBILITY_REQUEST, id, |trace, control| {
            build_270(client, query, trace, control)
        })
        .await?;
    let mut result = read_271(answer.payload.as_bytes(), &trace, query.dependent.is_some())?;
    result.payload_id = answer.payload_id;
    Ok(result)
}

/// Reads a 271 answering the inquiry with trace number `trace`.
pub fn read_271(
    x12: &[u8],
    trace: &str,
    dependent: bool,
) -> Result<EligibilityResult, EligibilityError> {
    let doc = clinicdesk_x12::parse(x12).map_err(|errors| {
        EligibilityError::Response(
            errors
                .first()
                .map_or_else(|| "it is empty".to_string(), ToString::to_string),
        )
    })?;
    let tx = doc
        .transactions()
        .find(|t| t.id() == "271")
        .ok_or_else(|| EligibilityError::Response("it holds no 271 transaction set".into()))?;
    let model = match clinicdesk_x12::model(tx) {
        Some(Ok(Model::Eligibility(m))) => m,
        Some(Err(e)) => return Err(EligibilityError::Response(e.to_string())),
        _ => {
            return Err(EligibilityError::Response(format!(
                "the 271 is for guide {:?}, not {VERSION}",
                tx.version
            )))
        }
    };
    summarize(&model, trace, dependent)
}

fn network_name(n: Option<Network>) -> &'static str {
    match n {
        Some(Network::In) => "in",
        Some(Network::Out) => "out",
        Some(Network::Both) => "both",
        Some(Network::Unknown) | None => "unknown",
    }
}

fn patient(model: &Eligibility, dependent: bool) -> Option<&Member> {
    let sub = model
        .sources
        .first()?
        .receivers
        .first()?
        .subscribers
        .first()?;
    if dependent {
        sub.dependents.first().or(Some(sub))
    } else {
        Some(sub)
    }
}

fn cents(a: &Option<clinicdesk_x12::transactions::common::Amount>) -> Option<i64> {
    a.as_ref().and_then(|a| a.cents())
}

/// `.2` → `20`; `0.125` → `12.5`.
fn percent(fraction: &str) -> Option<String> {
    let (int, frac) = fraction.split_once('.').unwrap_or((fraction, ""));
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac = format!("{frac:0<2}");
    let (whole, rest) = frac.split_at(2);
    let whole = int * 100 + whole.parse::<u64>().ok()?;
    let rest = rest.trim_end_matches('0');
    Some(if rest.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{rest}")
    })
}

fn add_benefit(out: &mut Vec<ServiceBenefits>, b: &Benefit) {
    let types = if b.service_types.is_empty() {
        vec!["30".to_string()]
    } else {
        b.service_types.clone()
    };
    for st in types {
        let network = network_name(b.network).to_string();
        let i = match out
            .iter()
            .position(|s| s.service_type == st && s.network == network)
        {
            Some(i) => i,
            None => {
                out.push(ServiceBenefits {
                    service_type: st,
                    network,
                    ..ServiceBenefits::default()
                });
                out.len() - 1
            }
        };
        let s = &mut out[i];
        match b.code.as_str() {
            "B" => s.copay_cents = cents(&b.copay).or(s.copay_cents),
            "A" => {
                if let Some(p) = b.coinsurance.as_deref().and_then(percent) {
                    s.coinsurance_percent = Some(p);
                }
            }
            "C" if b.remaining => s.deductible_remaining_cents = cents(&b.deductible),
            "C" => s.deductible_cents = cents(&b.deductible),
            "G" if b.remaining => s.out_of_pocket_remaining_cents = cents(&b.out_of_pocket),
            "G" => s.out_of_pocket_max_cents = cents(&b.out_of_pocket),
            _ => {}
        }
    }
}

fn summarize(
    model: &Eligibility,
    trace: &str,
    dependent: bool,
) -> Result<EligibilityResult, EligibilityError> {
    let payer_name = model
        .sources
        .first()
        .map(|s| s.party.name.to_string())
        .unwrap_or_default();
    let rejections: Vec<Rejection> = model.rejections().map(rejection).collect();
    let member = patient(model, dependent);
    // The 271 echoes the inquiry's TRN as a referenced trace (TRN01 = 2);
    // without a member (a rejection above it) there is nothing to echo.
    if member.is_some() {
        let traces: Vec<_> = model
            .members()
            .flat_map(|m| m.traces.iter())
            .filter(|t| t.kind == "2")
            .collect();
        if !traces.iter().any(|t| t.number == trace) {
            let got = traces
                .first()
                .map_or_else(|| "none".to_string(), |t| t.number.clone());
            return Err(EligibilityError::TraceMismatch {
                sent: trace.to_string(),
                got,
            });
        }
    }
    let mut result = EligibilityResult {
        payload_id: String::new(),
        trace_number: trace.to_string(),
        payer_name,
        active: false,
        status: None,
        plan_name: None,
        plan_number: None,
        group_name: None,
        group_number: None,
        benefits: Vec::new(),
        rejections,
        messages: Vec::new(),
    };
    let Some(m) = member else {
        return Ok(result);
    };
    // A dependent's plan is often only given at the subscriber level.
    let sub = patient(model, false);
    let plan = if m.plan.plan_name.is_some() || m.plan.group_name.is_some() {
        &m.plan
    } else {
        sub.map_or(&m.plan, |s| &s.plan)
    };
    result.plan_number = plan.plan_number.clone();
    result.plan_name = plan.plan_name.clone();
    result.group_number = plan.group_number.clone();
    result.group_name = plan.group_name.clone();
    for b in &m.benefits {
        match b.code.as_str() {
            "1" | "2" | "3" | "4" | "5" => {
                result.active = true;
                result.status = b.meaning.map(str::to_string);
                if result.plan_name.is_none() {
                    result.plan_name = b.plan_description.clone();
                }
            }
            "6" | "7" | "8" if !result.active => {
                result.status = b.meaning.map(str::to_string);
            }
            _ => add_benefit(&mut result.benefits, b),
        }
        result.messages.extend(b.messages.iter().cloned());
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_from_fraction() {
        assert_eq!(percent(".2").as_deref(), Some("20"));
        assert_eq!(percent("0.125").as_deref(), Some("12.5"));
        assert_eq!(percent("1").as_deref(), Some("100"));
        assert_eq!(percent("x"), None);
    }
}
