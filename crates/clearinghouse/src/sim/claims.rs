//! The simulator's 276 answers: a 277 (005010X212) for each claim asked
//! about, following the claim scenario chosen by the claim's id or the
//! subscriber's member id.

use super::{envelope_response, error_envelope, wrap, ClaimScenario, Simulator, Stored};
use crate::envelope::{error_code, payload_type, Envelope};
use axum::http::StatusCode;
use clinicdesk_x12::transactions::claim_status::{ClaimEntry, ClaimStatus};
use clinicdesk_x12::transactions::common::{Amount, Party};
use clinicdesk_x12::{Model, Values};

/// The answer to a 276.
pub(super) fn claim_status(sim: &Simulator, request: &Envelope) -> Stored {
    let illegal = |message: &str| {
        let env = error_envelope(Some(request), "PayloadIllegal", message);
        envelope_response(StatusCode::BAD_REQUEST, &env)
    };
    let doc = match clinicdesk_x12::parse(request.payload.as_bytes()) {
        Ok(d) => d,
        Err(errors) => {
            let msg = errors.first().map_or_else(String::new, ToString::to_string);
            return illegal(&format!(
                "The payload is not a valid X12 interchange: {msg}"
            ));
        }
    };
    let inquiry =
        doc.transactions()
            .find(|t| t.id() == "276")
            .and_then(|t| match clinicdesk_x12::model(t) {
                Some(Ok(Model::ClaimStatus(m))) => Some(m),
                _ => None,
            });
    let Some(inquiry) = inquiry.filter(|m| !m.claims.is_empty()) else {
        return illegal("The payload holds no readable 276 (005010X212) with a claim.");
    };
    let scenarios: Vec<ClaimScenario> = inquiry
        .claims
        .iter()
        .map(|c| {
            let member = c
                .subscriber
                .as_ref()
                .and_then(|s| s.id.clone())
                .unwrap_or_default();
            sim.config
                .scenarios
                .for_claim(patient_control_number(c), &member)
        })
        .collect();
    let (isa_sender, isa_receiver, control) = {
        let mut log = sim.lock();
        for c in &inquiry.claims {
            log.processed
                .push(format!("276:{}", patient_control_number(c)));
        }
        log.control += 1;
        let i = doc.interchanges.first();
        let isa = |n| {
            i.map(|i| i.isa.el(n).trim().to_string())
                .unwrap_or_default()
        };
        (isa(8), isa(6), log.control)
    };
    if scenarios.contains(&ClaimScenario::Malformed) {
        return Stored {
            status: StatusCode::OK,
            content_type: "multipart/form-data; boundary=XYZ".into(),
            body: b"this is not a multipart body".to_vec(),
        };
    }
    let body = response_277(&inquiry, &scenarios);
    let Some(x12) = wrap(&isa_sender, &isa_receiver, control, "HN", "277", body) else {
        return illegal("The sender or receiver id in the ISA cannot be answered.");
    };
    let env = request.reply(
        payload_type::CLAIM_STATUS_RESPONSE,
        x12,
        error_code::SUCCESS,
        "",
    );
    envelope_response(StatusCode::OK, &env)
}

fn patient_control_number(c: &ClaimEntry) -> &str {
    c.references
        .iter()
        .find(|r| r.qualifier == "EJ")
        .map_or("", |r| r.value.as_str())
}

fn name(role: &str, p: &Party, qualifier: &str) -> Values {
    let person = p.first_name.is_some();
    Values::new("NM1").els(&[
        role,
        if person { "1" } else { "2" },
        &p.name,
        p.first_name.as_deref().unwrap_or_default(),
        "",
        "",
        "",
        p.id_qualifier.as_deref().unwrap_or(qualifier),
        p.id.as_deref().unwrap_or_default(),
    ])
}

/// A payer claim number the simulator keeps for a claim: the same on
/// every answer about it.
fn payer_claim_number(c: &ClaimEntry) -> String {
    if let Some(n) = c.payer_claim_number() {
        return n.to_string();
    }
    let id: String = patient_control_number(c)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("SIM{id}")
}

/// The 277 body answering `inq`, one claim scenario per claim.
fn response_277(inq: &ClaimStatus, scenarios: &[ClaimScenario]) -> Vec<Values> {
    let now = chrono::Utc::now();
    let today = now.format("%Y%m%d").to_string();
    let party = |level: &str| {
        inq.levels
            .iter()
            .find(|l| l.level == level)
            .map(|l| l.party.clone())
            .unwrap_or_default()
    };
    let mut out = vec![
        Values::new("BHT").els(&[
            "0010",
            "08",
            inq.reference.as_deref().unwrap_or("1"),
            &today,
            &now.format("%H%M").to_string(),
            "DG",
        ]),
        Values::new("HL").els(&["1", "", "20", "1"]),
        name("PR", &party("20"), "PI"),
        Values::new("HL").els(&["2", "1", "21", "1"]),
        name("41", &party("21"), "46"),
        Values::new("HL").els(&["3", "2", "19", "1"]),
        name("1P", &party("19"), "XX"),
    ];
    let mut hl = 3;
    for (c, scenario) in inq.claims.iter().zip(scenarios) {
        hl += 1;
        let subscriber_hl = hl;
        let dependent = c.patient.is_some();
        out.push(Values::new("HL").els(&[
            subscriber_hl.to_string().as_str(),
            "3",
            "22",
            if dependent { "1" } else { "0" },
        ]));
        out.push(name(
            "IL",
            c.subscriber.as_ref().unwrap_or(&Party::default()),
            "MI",
        ));
        if let Some(p) = &c.patient {
            hl += 1;
            out.push(Values::new("HL").els(&[
                hl.to_string().as_str(),
                subscriber_hl.to_string().as_str(),
                "23",
            ]));
            let mut p = p.clone();
            p.id = None;
            p.id_qualifier = None;
            out.push(name("QC", &p, ""));
        }
        out.push(Values::new("TRN").els(&["2", c.trace.as_deref().unwrap_or_default()]));
        let charge = c.charge.clone().unwrap_or_else(|| Amount::from_cents(0));
        let zero = Amount::from_cents(0);
        let stc = |category: &str, code: &str, paid: &Amount, paid_date: &str, check: &str| {
            Values::new("STC").comp(&[category, code]).els(&[
                today.as_str(),
                "",
                charge.as_str(),
                paid.as_str(),
                paid_date,
                "",
                if check.is_empty() { "" } else { today.as_str() },
                check,
            ])
        };
        let known = !matches!(scenario, ClaimScenario::NotFound);
        out.push(match scenario {
            ClaimScenario::Pending { category, code } => stc(category, code, &zero, "", ""),
            ClaimScenario::Paid { paid, check_number } => {
                let paid = paid
                    .as_deref()
                    .and_then(Amount::new)
                    .unwrap_or_else(|| charge.clone());
                let check = check_number.clone().unwrap_or_else(|| "EFT0001".into());
                stc("F1", "65", &paid, &today, &check)
            }
            ClaimScenario::Denied { code } => stc("F2", code, &zero, &today, ""),
            ClaimScenario::Rejected { category, code } => stc(category, code, &zero, "", ""),
            ClaimScenario::NotFound | ClaimScenario::Malformed => stc("A4", "35", &zero, "", ""),
        });
        if known {
            out.push(Values::new("REF").els(&["1K", &payer_claim_number(c)]));
        }
        out.push(Values::new("REF").els(&["EJ", patient_control_number(c)]));
        if let Some(d) = c.dates.iter().find(|d| d.qualifier == "472") {
            let format = if d.value.contains('-') { "RD8" } else { "D8" };
            out.push(Values::new("DTP").els(&["472", format, &d.value]));
        }
    }
    out
}
