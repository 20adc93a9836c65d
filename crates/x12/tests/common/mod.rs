//! Shared by the tests and the benchmark: a typed 837P batch and 270
//! inquiry like the ones the clinic sends, and the committed sample files.
#![allow(dead_code)]

use clinicdesk_x12::transactions::common::{Address, Amount};
use clinicdesk_x12::transactions::eligibility_request::EligibilityInquiry;
use clinicdesk_x12::transactions::professional::{
    BillingProvider, Patient, Payer, Person, ProfessionalBatch, ProfessionalClaim, Receiver,
    RenderingProvider, ServiceLine, Submitter, Subscriber,
};
use clinicdesk_x12::{EnvelopeHeader, Usage};
use std::path::PathBuf;

pub fn header() -> EnvelopeHeader {
    EnvelopeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: "CLINICDESK".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "CLEARINGHOUSE".into(),
        application_sender: "CLINICDESK".into(),
        application_receiver: "CLEARINGHOUSE".into(),
        date: "20240105".into(),
        time: "1230".into(),
        interchange_control: 17,
        group_control: 17,
        usage: Usage::Test,
        ack_requested: false,
    }
}

fn address(line: &str, city: &str, zip: &str) -> Address {
    Address {
        lines: [line.into()].into_iter().collect(),
        city: city.into(),
        state: Some("MA".into()),
        postal_code: Some(zip.into()),
        country: None,
    }
}

fn line(code: &str, modifiers: &[&str], cents: i64, pointers: &[u8], n: usize) -> ServiceLine {
    ServiceLine {
        procedure_code: code.into(),
        modifiers: modifiers.iter().map(|&m| m.into()).collect(),
        charge: Amount::from_cents(cents),
        units: "1".into(),
        place_of_service: None,
        diagnosis_pointers: pointers.iter().copied().collect(),
        service_date: "20240105".into(),
        control_number: Some(format!("LINE-{n}").into()),
    }
}

/// Claim `n`: the subscriber is the patient on even claims, a child of the
/// subscriber on odd ones.
pub fn claim(n: usize) -> ProfessionalClaim {
    let subscriber_person = Person {
        last_name: "LOVELACE".into(),
        first_name: "ADA".into(),
        address: Some(address("12 ST JAMES SQUARE", "BOSTON", "021101234")),
        birth_date: Some("19801210".into()),
        gender: Some("F".into()),
    };
    let patient = (n % 2 == 1).then(|| Patient {
        relationship: "19".into(),
        person: Person {
            last_name: "LOVELACE".into(),
            first_name: "BYRON".into(),
            address: Some(address("12 ST JAMES SQUARE", "BOSTON", "021101234")),
            birth_date: Some("20100301".into()),
            gender: Some("M".into()),
        },
    });
    ProfessionalClaim {
        billing_provider: BillingProvider {
            name: "HARBOUR CLINIC".into(),
            npi: "1234567893".into(),
            tax_id: "123456789".into(),
            address: address("1 HARBOUR ROAD", "BOSTON", "021101234"),
            taxonomy: Some("207Q00000X".into()),
        },
        subscriber: Subscriber {
            member_id: format!("W{:09}", 123_456_000 + n).into(),
            person: subscriber_person,
            payer_responsibility: "P".into(),
            group_number: Some("GRP-42".into()),
            filing_indicator: "CI".into(),
            payer: Payer {
                name: "ACME HEALTH PLAN".into(),
                id: "12345".into(),
            },
        },
        patient,
        claim_id: format!("CLM-{n}").into(),
        total_charge: Amount::from_cents(25_000),
        place_of_service: "11".into(),
        frequency: "1".into(),
        diagnoses: ["J069".into(), "R051".into()].into_iter().collect(),
        rendering_provider: Some(RenderingProvider {
            last_name: "FRANKLIN".into(),
            first_name: "ROSALIND".into(),
            npi: "1245319599".into(),
            taxonomy: Some("207Q00000X".into()),
        }),
        lines: vec![
            line("99213", &["25"], 15_000, &[1, 2], 2 * n),
            line("87880", &["QW"], 10_000, &[1], 2 * n + 1),
        ],
    }
}

pub fn batch(claims: usize) -> ProfessionalBatch {
    ProfessionalBatch {
        reference: "BATCH-17".into(),
        date: "20240105".into(),
        time: "1230".into(),
        submitter: Submitter {
            name: "HARBOUR CLINIC".into(),
            id: "CLINICDESK".into(),
            contact_name: "BILLING OFFICE".into(),
            phone: "6175550100".into(),
        },
        receiver: Receiver {
            name: "CLEARINGHOUSE".into(),
            id: "CLEARINGHOUSE".into(),
        },
        claims: (0..claims).map(claim).collect(),
    }
}

pub fn inquiry() -> EligibilityInquiry {
    EligibilityInquiry {
        reference: "INQ-1001".into(),
        date: "20240105".into(),
        time: "1230".into(),
        payer_name: "ACME HEALTH PLAN".into(),
        payer_id: "12345".into(),
        provider_name: "HARBOUR CLINIC".into(),
        provider_first_name: None,
        provider_npi: "1234567893".into(),
        trace_number: "TRACE-1001".into(),
        trace_originator: "9CLINICDSK".into(),
        member_id: "W123456789".into(),
        last_name: "LOVELACE".into(),
        first_name: "ADA".into(),
        birth_date: Some("19801210".into()),
        gender: Some("F".into()),
        service_date: Some("20240105".into()),
        service_types: vec!["30".into(), "98".into()],
    }
}

/// A committed sample under tests/data.
pub fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// An 835 of about `bytes` bytes: one payment with the sample's first claim
/// (two service lines) repeated under fresh claim ids.
pub fn large_835(bytes: usize) -> String {
    let sample = String::from_utf8(sample("835-remittance.x12")).expect("text");
    let segs: Vec<&str> = sample.split("~\n").filter(|s| !s.is_empty()).collect();
    let pos = |p: &str| segs.iter().position(|s| s.starts_with(p)).expect(p);
    let (st, lx, clp2, se) = (pos("ST*"), pos("LX*"), pos("CLP*CLM-1002"), pos("SE*"));
    let head = &segs[..=lx];
    let claim = &segs[lx + 1..clp2];
    let mut out: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    let mut size: usize = out.iter().map(|s| s.len() + 2).sum();
    let mut n = 0;
    while size < bytes {
        n += 1;
        for s in claim {
            let s = s.replace("CLM-1001", &format!("CLM-{n}"));
            size += s.len() + 2;
            out.push(s);
        }
    }
    let body = out.len() - st + 1;
    out.push(format!("SE*{body}*0001"));
    out.extend(segs[se + 1..].iter().map(|s| s.to_string()));
    let mut text = out.join("~\n");
    text.push_str("~\n");
    text
}

/// An 837P of about `bytes` bytes, 500 claims to a transaction set.
pub fn large_837(bytes: usize) -> String {
    let one = batch(1).body().expect("body");
    let per_claim = clinicdesk_x12::to_x12(&one, clinicdesk_x12::Delimiters::default(), true)
        .expect("write")
        .len();
    let claims = (bytes / per_claim).max(1);
    let bodies = (0..claims)
        .collect::<Vec<_>>()
        .chunks(500)
        .map(|chunk| {
            let mut b = batch(0);
            b.claims = chunk.iter().map(|&n| claim(n)).collect();
            b.body().expect("body")
        })
        .collect();
    let segs = header()
        .wrap("HC", "837", "005010X222A1", bodies)
        .expect("wrap");
    clinicdesk_x12::to_x12(&segs, clinicdesk_x12::Delimiters::default(), true).expect("write")
}
