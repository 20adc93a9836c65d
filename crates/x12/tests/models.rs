//! The typed models on the committed samples, and the builders read back.

mod common;

use clinicdesk_x12::transactions::{aaa, ack, eligibility::Network};
use clinicdesk_x12::{model, parse, read, to_x12, Delimiters, ErrorKind, Model};

fn only_model(x12: &[u8]) -> Model {
    let doc = parse(x12).unwrap_or_else(|e| panic!("not valid: {e:?}"));
    let txs: Vec<_> = doc.transactions().collect();
    assert_eq!(txs.len(), 1);
    model(txs[0]).expect("modelled").expect("model builds")
}

#[test]
fn a_271_gives_benefits_amounts_network_and_plan() {
    let Model::Eligibility(e) = only_model(&common::sample("271-benefits.x12")) else {
        panic!("not eligibility")
    };
    assert_eq!(e.transaction, "271");
    let src = &e.sources[0];
    assert_eq!(src.party.name, "ACME HEALTH PLAN");
    assert_eq!(src.receivers[0].party.id.as_deref(), Some("1234567893"));
    let sub = &src.receivers[0].subscribers[0];
    assert_eq!(sub.party.id.as_deref(), Some("W123456789"));
    assert_eq!(sub.traces[0].number, "TRACE-1001");
    assert_eq!(sub.birth_date.as_deref(), Some("19801210"));
    assert_eq!(sub.plan.plan_name.as_deref(), Some("GOLD PPO"));
    assert_eq!(sub.plan.group_number.as_deref(), Some("GRP-42"));
    assert_eq!(sub.plan.group_name.as_deref(), Some("HARBOUR EMPLOYEES"));
    assert_eq!(
        sub.party.address.as_ref().map(|a| a.city.as_str()),
        Some("BOSTON")
    );

    let b = &sub.benefits;
    assert_eq!(b.len(), 9);
    assert_eq!(b[0].meaning, Some("Active coverage"));
    assert_eq!(b[0].coverage_level.as_deref(), Some("FAM"));
    assert_eq!(b[0].service_types.len(), 11);
    assert_eq!(b[0].plan_description.as_deref(), Some("GOLD PPO"));
    // Office visit copay: 25 in network, 50 out.
    assert_eq!(b[1].copay.as_ref().map(|a| a.as_str()), Some("25"));
    assert_eq!(b[1].network, Some(Network::In));
    assert_eq!(b[2].copay.as_ref().and_then(|a| a.cents()), Some(5000));
    assert_eq!(b[2].network, Some(Network::Out));
    assert_eq!(b[3].coinsurance.as_deref(), Some(".2"));
    assert!(b[3].copay.is_none());
    // Deductible: 1500 a year, 900 remaining.
    assert_eq!(b[4].deductible.as_ref().map(|a| a.as_str()), Some("1500"));
    assert!(!b[4].remaining);
    assert_eq!(b[5].deductible.as_ref().map(|a| a.as_str()), Some("900"));
    assert!(b[5].remaining);
    assert_eq!(b[5].messages, vec!["DEDUCTIBLE MET AFTER 600 OF 1500"]);
    assert_eq!(
        b[7].out_of_pocket.as_ref().and_then(|a| a.cents()),
        Some(420_050)
    );
    assert!(b[7].remaining);
    // The primary care provider named in loop 2120C.
    assert_eq!(b[8].related[0].role, "P3");
    assert_eq!(b[8].related[0].name, "FRANKLIN");

    let dep = &sub.dependents[0];
    assert_eq!(dep.party.first_name.as_deref(), Some("BYRON"));
    assert_eq!(dep.relationship.as_deref(), Some("19"));
    assert_eq!(dep.benefits[0].code, "1");
    assert_eq!(e.members().count(), 2);
    assert_eq!(e.rejections().count(), 0);
}

#[test]
fn a_rejected_271_explains_each_aaa_in_plain_words() {
    let Model::Eligibility(e) = only_model(&common::sample("271-rejected.x12")) else {
        panic!("not eligibility")
    };
    let r: Vec<_> = e.rejections().collect();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].reason_code, "75");
    assert!(!r[0].valid_request);
    assert!(r[0]
        .reason
        .expect("known code")
        .contains("cannot find this subscriber"));
    assert_eq!(r[0].follow_up_code.as_deref(), Some("C"));
    assert_eq!(
        r[0].follow_up,
        Some("Correct the request and send it again.")
    );
    assert_eq!(r[1].reason_code, "58");
    assert!(r[1].reason.expect("known").contains("date of birth"));
}

#[test]
fn every_aaa_reason_code_of_the_guide_has_a_text() {
    let mut seen = std::collections::HashSet::new();
    for code in aaa::REASON_CODES {
        assert!(seen.insert(code), "{code} listed twice");
        let t = aaa::reason_text(code).unwrap_or_else(|| panic!("{code} has no text"));
        assert!(t.ends_with('.') && t.len() > 20, "{code}: {t}");
    }
    assert_eq!(aaa::reason_text("99"), None);
}

#[test]
fn an_835_gives_payment_claims_adjustments_and_lines() {
    let Model::Remittance(r) = only_model(&common::sample("835-remittance.x12")) else {
        panic!("not a remittance")
    };
    assert_eq!(r.payment.amount.as_str(), "125.5");
    assert_eq!(r.payment.method, "ACH");
    assert_eq!(r.payment.date.as_deref(), Some("20240115"));
    assert_eq!(
        r.trace.as_ref().map(|t| t.number.as_str()),
        Some("EFT-778899")
    );
    assert_eq!(r.payer.name, "ACME HEALTH PLAN");
    assert_eq!(r.payer.id.as_deref(), Some("12345"), "from REF*2U");
    assert_eq!(r.payee.id.as_deref(), Some("1234567893"));
    assert_eq!(r.claims.len(), 3);

    let c = &r.claims[0];
    assert_eq!(c.patient_control_number, "CLM-1001");
    assert_eq!(c.status, Some("Processed as primary"));
    assert_eq!(c.charge.cents(), Some(25_000));
    assert_eq!(c.paid.cents(), Some(18_050));
    assert_eq!(
        c.patient_responsibility.as_ref().and_then(|a| a.cents()),
        Some(2500)
    );
    assert_eq!(c.patient().map(|p| p.name.as_str()), Some("LOVELACE"));
    assert_eq!(c.service_lines.len(), 2);
    let l = &c.service_lines[0];
    let p = l.procedure.as_ref().expect("procedure");
    assert_eq!(
        (p.code.as_str(), p.modifiers.clone()),
        (
            "99213",
            vec![clinicdesk_x12::CompactString::from("25")].into()
        )
    );
    assert_eq!(l.adjustments.len(), 2);
    assert_eq!(
        (
            l.adjustments[0].group.as_str(),
            l.adjustments[0].reason.as_str()
        ),
        ("PR", "3")
    );
    assert_eq!(l.references[0].value, "LINE-1");
    assert_eq!(c.service_lines[1].remarks.as_slice(), ["N130"]);
    // Each claim balances: charge less every adjustment is what was paid.
    for c in &r.claims {
        let adj: i64 = c
            .adjustments
            .iter()
            .chain(c.service_lines.iter().flat_map(|l| l.adjustments.iter()))
            .map(|a| a.amount.cents().expect("cents"))
            .sum();
        assert_eq!(
            c.charge.cents().unwrap() - adj,
            c.paid.cents().unwrap(),
            "{}",
            c.patient_control_number
        );
    }
    assert_eq!(r.claims[1].status, Some("Denied"));
    assert_eq!(r.claims[1].adjustments[0].reason, "29");
    assert_eq!(r.claims[2].status_code, "22");
    // And the payment is the claims' payments less provider adjustments.
    let paid: i64 = r.claims.iter().map(|c| c.paid.cents().unwrap()).sum();
    let plb: i64 = r
        .provider_adjustments
        .iter()
        .flat_map(|p| &p.items)
        .map(|i| i.amount.cents().unwrap())
        .sum();
    assert_eq!(paid - plb, r.payment.amount.cents().unwrap());
    assert_eq!(r.provider_adjustments[0].items[0].reason, "L6");
}

#[test]
fn a_999_gives_each_transaction_sets_status_and_errors() {
    let Model::Acknowledgment(a) = only_model(&common::sample("999-partial.x12")) else {
        panic!("not a 999")
    };
    assert_eq!(
        (a.functional_id.as_str(), a.group_control_number.as_str()),
        ("HC", "17")
    );
    assert_eq!(a.status, "P");
    assert_eq!(
        (a.included, a.received, a.accepted),
        (Some(2), Some(2), Some(1))
    );
    let t = &a.transactions[0];
    assert_eq!(t.status_text, Some("Rejected"));
    assert_eq!(t.errors, vec!["5"]);
    let s = &t.segment_errors[0];
    assert_eq!(
        (s.tag.as_str(), s.position.as_str(), s.loop_id.as_deref()),
        ("NM1", "8", Some("2010"))
    );
    assert_eq!(s.text, Some("Segment has data element errors"));
    assert_eq!(s.elements[0].text, Some("Invalid code value"));
    assert_eq!(s.elements[0].bad_value.as_deref(), Some("BADID"));
    assert_eq!(a.transactions[1].status, "A");
}

#[test]
fn a_277ca_gives_the_status_of_each_claim_with_its_trace() {
    let Model::ClaimStatus(s) = only_model(&common::sample("277ca-acknowledgment.x12")) else {
        panic!("not a 277")
    };
    assert!(s.claim_acknowledgment);
    let receiver = s
        .levels
        .iter()
        .find(|l| l.level == "21")
        .expect("receiver level");
    assert_eq!(receiver.traces, vec!["17"]);
    assert_eq!(receiver.statuses[0].codes[0].category, "A1");
    assert_eq!(s.claims.len(), 2);
    let a = &s.claims[0];
    assert_eq!(a.trace.as_deref(), Some("CLM-1001"));
    assert_eq!(a.payer_claim_number(), Some("PAYER-CN-1"));
    assert_eq!(
        a.patient.as_ref().map(|p| p.name.as_str()),
        Some("LOVELACE")
    );
    assert_eq!(
        a.provider.as_ref().and_then(|p| p.id.as_deref()),
        Some("1234567893")
    );
    assert_eq!(
        a.statuses[0].codes[0].category_text,
        Some("Acknowledgement: accepted into the adjudication system")
    );
    let b = &s.claims[1];
    assert_eq!(b.trace.as_deref(), Some("CLM-1002"));
    let st = &b.statuses[0];
    assert_eq!(
        (
            st.codes[0].category.as_str(),
            st.codes[0].code.as_str(),
            st.codes[0].entity.as_deref()
        ),
        ("A7", "562", Some("85"))
    );
    assert_eq!(st.action.as_deref(), Some("U"));
    assert_eq!(
        st.message.as_deref(),
        Some("BILLING PROVIDER NPI DOES NOT MATCH")
    );
}

#[test]
fn a_277_and_276_give_claim_status_per_claim_and_line() {
    let Model::ClaimStatus(s) = only_model(&common::sample("277-status.x12")) else {
        panic!("not a 277")
    };
    assert!(!s.claim_acknowledgment);
    let c = &s.claims[0];
    assert_eq!(c.trace.as_deref(), Some("STATUS-TRACE-1"));
    assert_eq!(
        c.subscriber.as_ref().and_then(|p| p.id.as_deref()),
        Some("W123456789")
    );
    let st = &c.statuses[0];
    assert_eq!(st.codes[0].category_text, Some("Finalized: payment"));
    assert_eq!(st.paid.as_ref().map(|a| a.as_str()), Some("180.5"));
    assert_eq!(c.lines[0].statuses[0].codes[0].code, "65");
    assert_eq!(c.lines[0].references[0].value, "LINE-1");

    let Model::ClaimStatus(q) = only_model(&common::sample("276-request.x12")) else {
        panic!("not a 276")
    };
    assert_eq!(q.transaction, "276");
    assert_eq!(q.claims[0].trace.as_deref(), Some("STATUS-TRACE-1"));
    assert_eq!(q.claims[0].charge.as_ref().map(|a| a.as_str()), Some("250"));
}

#[test]
fn an_837p_written_from_a_typed_batch_reads_back_equal() {
    let batch = common::batch(3);
    let x12 = batch.to_x12(&common::header()).expect("write 837P");
    let doc = parse(x12.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{x12}"));
    let tx = doc.transactions().next().expect("tx");
    assert_eq!(tx.version, "005010X222A1");
    // HL: one billing provider, three subscribers, two of them with a patient below.
    let hls: Vec<(&str, &str, &str, &str)> = tx
        .body
        .iter()
        .filter(|s| s.tag == "HL")
        .map(|s| (s.el(1), s.el(2), s.el(3), s.el(4)))
        .collect();
    assert_eq!(
        hls,
        vec![
            ("1", "", "20", "1"),
            ("2", "1", "22", "0"),
            ("3", "1", "22", "1"),
            ("4", "3", "23", "0"),
            ("5", "1", "22", "0"),
        ]
    );
    let Some(Ok(Model::ProfessionalClaims(back))) = model(tx) else {
        panic!("no 837P model")
    };
    assert_eq!(back, batch);
    assert!(x12.contains("SV1*HC:99213:25*150*UN*1***1:2~"), "{x12}");
    assert!(x12.contains("HI*ABK:J069*ABF:R051~"), "{x12}");
    assert!(
        x12.contains("NM1*82*1*FRANKLIN*ROSALIND****XX*1245319599~"),
        "{x12}"
    );
}

#[test]
fn the_837p_writer_refuses_what_a_payer_would_reject() {
    let mut b = common::batch(1);
    b.claims[0].total_charge = clinicdesk_x12::transactions::common::Amount::from_cents(1);
    let e = b.to_x12(&common::header()).unwrap_err();
    assert!(
        e.message
            .contains("must be the sum of the lines' charges (250)"),
        "{e}"
    );

    let mut b = common::batch(1);
    b.claims[0].billing_provider.npi = "1234567890".into();
    assert!(b
        .to_x12(&common::header())
        .unwrap_err()
        .message
        .contains("not a valid NPI"));

    let mut b = common::batch(1);
    b.claims[0].lines[0].diagnosis_pointers = [3].into_iter().collect();
    assert!(b
        .to_x12(&common::header())
        .unwrap_err()
        .message
        .contains("diagnosis pointers"));

    let mut b = common::batch(1);
    b.claims[0].subscriber.person.last_name = "O*BRIEN".into();
    let e = b.to_x12(&common::header()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Write);
}

#[test]
fn a_270_built_from_check_in_data_reads_back() {
    let q = common::inquiry();
    let x12 = q.to_x12(&common::header()).expect("write 270");
    assert!(x12.contains("EQ*30^98~"), "{x12}");
    let Model::Eligibility(e) = only_model(x12.as_bytes()) else {
        panic!("not eligibility")
    };
    assert_eq!(e.transaction, "270");
    let src = &e.sources[0];
    assert_eq!(src.party.id.as_deref(), Some("12345"));
    let rc = &src.receivers[0];
    assert_eq!(rc.party.id.as_deref(), Some("1234567893"));
    let m = &rc.subscribers[0];
    assert_eq!(m.party.id.as_deref(), Some("W123456789"));
    assert_eq!(m.party.name, "LOVELACE");
    assert_eq!(m.birth_date.as_deref(), Some("19801210"));
    assert_eq!(m.traces[0].number, "TRACE-1001");
    assert_eq!(m.inquiries[0].service_types, vec!["30", "98"]);
    assert_eq!(m.dates[0].value, "20240105");

    let mut bad = common::inquiry();
    bad.service_types.clear();
    assert!(bad
        .to_x12(&common::header())
        .unwrap_err()
        .message
        .contains("1 to 99"));
    let mut bad = common::inquiry();
    bad.trace_originator = "CLINIC".into();
    assert!(bad.to_x12(&common::header()).is_err());
}

#[test]
fn a_999_acknowledges_what_reading_found() {
    let good = common::batch(2).to_x12(&common::header()).expect("837P");
    let p = read(good.as_bytes());
    let group = &p.document.interchanges[0].groups[0];
    let body = ack::acknowledge(group, &p.errors);
    let mut h = common::header();
    h.interchange_control = 18;
    let x = to_x12(
        &h.wrap("FA", "999", ack::VERSION, vec![body]).expect("wrap"),
        Delimiters::default(),
        false,
    )
    .expect("write");
    let Model::Acknowledgment(a) = only_model(x.as_bytes()) else {
        panic!()
    };
    assert_eq!((a.status.as_str(), a.accepted), ("A", Some(1)));

    let bad = good.replacen("~SE*", "~SE*9", 1);
    let p = read(bad.as_bytes());
    assert_eq!(p.errors.len(), 1);
    let body = ack::acknowledge(&p.document.interchanges[0].groups[0], &p.errors);
    let x = to_x12(
        &h.wrap("FA", "999", ack::VERSION, vec![body]).expect("wrap"),
        Delimiters::default(),
        false,
    )
    .expect("write");
    let Model::Acknowledgment(a) = only_model(x.as_bytes()) else {
        panic!()
    };
    assert_eq!(a.status, "R");
    assert_eq!(a.transactions[0].errors, vec!["4"]);
}

#[test]
fn model_errors_name_the_segment() {
    let x = String::from_utf8(common::sample("835-remittance.x12")).unwrap();
    let bad = x.replace("CLP*CLM-1002*4*80*0*0", "CLP*CLM-1002*4*80*ZERO*0");
    let doc = parse(bad.as_bytes()).expect("envelope is fine");
    let tx = doc.transactions().next().unwrap();
    let e = model(tx).expect("modelled").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Element);
    assert!(e.to_string().starts_with("segment 34 (CLP) at byte"), "{e}");
    assert!(e.message.contains("CLP04 \"ZERO\" is not an amount"), "{e}");

    let no_bpr = x.replace("BPR*I*125.5*C*ACH*CCP*01*011000015*DA*123456789*1512345678**01*011000028*DA*987654321*20240115~", "NTE*X~");
    let doc = parse(no_bpr.as_bytes()).expect("envelope");
    let e = model(doc.transactions().next().unwrap())
        .unwrap()
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingSegment);
    assert!(e.message.contains("has no BPR"), "{e}");
}
