//! The CORE client against the simulator on 127.0.0.1, one test per scenario.

use clinicdesk_clearinghouse::envelope::{error_code, payload_type};
use clinicdesk_clearinghouse::sim::{Scenario, Scenarios, SimConfig, Simulator};
use clinicdesk_clearinghouse::{
    check_eligibility, Client, ClientError, ConnectionConfig, Dependent, EligibilityError,
    EligibilityQuery, Envelope, ProcessingMode, ServiceBenefits,
};
use common::config;
use std::time::{Duration, Instant};

mod common;

const PASSWORD: &str = "s3cret-pass";

async fn simulator(scenarios: Scenarios) -> (Simulator, String) {
    let sim = Simulator::new(SimConfig {
        username: "clinic".into(),
        password: PASSWORD.into(),
        receiver_id: "CLEARINGHOUSE".into(),
        scenarios,
    });
    let url = sim
        .clone()
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (sim, url)
}

fn query(member_id: &str) -> EligibilityQuery {
    EligibilityQuery {
        payer_id: "12345".into(),
        payer_name: "Acme Health".into(),
        provider_npi: "1234567893".into(),
        provider_name: "Riverside Clinic".into(),
        provider_first_name: None,
        trace_originator: "9876543210".into(),
        member_id: member_id.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        birth_date: "19801210".into(),
        gender: Some("F".into()),
        dependent: None,
        service_types: vec!["30".into(), "98".into()],
        service_date: Some("20261122".into()),
    }
}

async fn setup() -> (Simulator, Client) {
    let (sim, url) = simulator(Scenarios::builtin()).await;
    let client = Client::new(config(&url), PASSWORD).unwrap();
    (sim, client)
}

fn benefit<'a>(r: &'a [ServiceBenefits], st: &str, net: &str) -> &'a ServiceBenefits {
    r.iter()
        .find(|b| b.service_type == st && b.network == net)
        .unwrap_or_else(|| panic!("no benefits for {st}/{net} in {r:?}"))
}

#[tokio::test]
async fn active_coverage_with_amounts() {
    let (sim, client) = setup().await;
    let r = check_eligibility(&client, &query("ACTIVE01"))
        .await
        .unwrap();
    assert!(r.active);
    assert_eq!(r.status.as_deref(), Some("Active coverage"));
    assert_eq!(r.payer_name, "Acme Health");
    assert_eq!(r.plan_name.as_deref(), Some("Gold PPO"));
    assert_eq!(r.plan_number.as_deref(), Some("GPPO-500"));
    assert_eq!(r.group_name.as_deref(), Some("Riverside Clinic Staff"));
    assert_eq!(r.group_number.as_deref(), Some("GRP-7781"));
    assert!(r.rejections.is_empty());
    let office_in = benefit(&r.benefits, "98", "in");
    assert_eq!(office_in.copay_cents, Some(2500));
    assert_eq!(office_in.coinsurance_percent.as_deref(), Some("10"));
    let office_out = benefit(&r.benefits, "98", "out");
    assert_eq!(office_out.copay_cents, Some(6000));
    assert_eq!(office_out.coinsurance_percent.as_deref(), Some("30"));
    let plan = benefit(&r.benefits, "30", "in");
    assert_eq!(plan.deductible_cents, Some(150_000));
    assert_eq!(plan.deductible_remaining_cents, Some(90_050));
    assert_eq!(plan.out_of_pocket_max_cents, Some(500_000));
    assert_eq!(plan.out_of_pocket_remaining_cents, Some(420_000));
    assert_eq!(r.benefits.len(), 3);
    assert_eq!(sim.processed(), vec!["ACTIVE01".to_string()]);
    // The result is what the UI gets: it must serialize.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["plan_name"], "Gold PPO");
}

#[tokio::test]
async fn dependent_is_asked_about_in_its_own_loop() {
    let (sim, client) = setup().await;
    let mut q = query("ACTIVE01");
    q.dependent = Some(Dependent {
        first_name: "Byron".into(),
        last_name: "Lovelace".into(),
        birth_date: "20100301".into(),
        gender: Some("M".into()),
    });
    let x12 = clinicdesk_clearinghouse::eligibility::build_270(&client, &q, "T1", 1).unwrap();
    let segs: Vec<&str> = x12.split('~').collect();
    let at = |s: &str| segs.iter().position(|x| x.starts_with(s)).unwrap();
    assert!(segs.contains(&"HL*3*2*22*1") && segs.contains(&"HL*4*3*23*0"));
    assert!(at("HL*4*") < at("TRN*1*T1*"));
    assert!(at("NM1*03*1*Lovelace*Byron") < at("EQ*30^98"));
    assert!(segs.contains(&"DMG*D8*20100301*M"));
    let r = check_eligibility(&client, &q).await.unwrap();
    assert!(r.active);
    assert_eq!(r.plan_name.as_deref(), Some("Gold PPO"));
    assert_eq!(benefit(&r.benefits, "98", "in").copay_cents, Some(2500));
    assert_eq!(sim.processed(), vec!["ACTIVE01".to_string()]);
}

#[tokio::test]
async fn inactive_coverage() {
    let (_sim, client) = setup().await;
    let r = check_eligibility(&client, &query("INACTIVE01"))
        .await
        .unwrap();
    assert!(!r.active);
    assert_eq!(r.status.as_deref(), Some("Inactive"));
    assert!(r.benefits.is_empty());
    assert!(r.rejections.is_empty());
}

#[tokio::test]
async fn rejections_come_with_plain_text_and_a_fix() {
    let (_sim, client) = setup().await;
    let cases = [
        (
            "AAA72",
            "The member ID is missing or not valid.",
            Some("Check the member ID against the insurance card."),
            "Correct the request and send it again.",
        ),
        (
            "AAA73",
            "The subscriber's name is missing or not valid.",
            Some("Check the name spelling against the insurance card."),
            "Correct the request and send it again.",
        ),
        (
            "AAA58",
            "The date of birth is missing or not valid.",
            Some("Check the date of birth."),
            "Correct the request and send it again.",
        ),
        (
            "AAA42",
            "The payer's system cannot answer right now; try again later.",
            Some("Try again in a few minutes."),
            "The request may be sent again.",
        ),
        (
            "UNKNOWN-MEMBER",
            "The payer cannot find this subscriber; check the member ID, name and date of birth.",
            Some("Check the member ID, name and date of birth against the card."),
            "Correct the request and send it again.",
        ),
    ];
    for (member, text, fix, follow_up) in cases {
        let r = check_eligibility(&client, &query(member)).await.unwrap();
        assert!(!r.active, "{member}");
        assert_eq!(r.rejections.len(), 1, "{member}: {:?}", r.rejections);
        let rej = &r.rejections[0];
        assert_eq!(
            rej.code,
            member.strip_prefix("AAA").unwrap_or("75"),
            "{member}"
        );
        assert_eq!(rej.text, text, "{member}");
        assert_eq!(rej.fix.as_deref(), fix, "{member}");
        assert_eq!(rej.follow_up.as_deref(), Some(follow_up), "{member}");
    }
}

#[tokio::test]
async fn a_slow_answer_gives_the_timeout_error_in_time() {
    let (sim, url) = simulator(Scenarios::builtin()).await;
    let mut c = config(&url);
    c.timeout_secs = 1;
    let client = Client::new(c, PASSWORD).unwrap();
    let started = Instant::now();
    let err = check_eligibility(&client, &query("SLOW01"))
        .await
        .unwrap_err();
    // Generous: one second configured, no resend after a timeout.
    assert!(started.elapsed() < Duration::from_secs(20));
    match &err {
        EligibilityError::Client(ClientError::Timeout { secs, .. }) => assert_eq!(*secs, 1),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Test Clearinghouse did not answer within 1 second."
    );
    assert!(sim.processed().is_empty());
}

#[tokio::test]
async fn a_server_error_is_retried_with_the_same_payload_id() {
    let (sim, client) = setup().await;
    let q = query("FLAKY01");
    let r = check_eligibility(&client, &q).await.unwrap();
    assert!(r.active);
    // Two requests reached the simulator under one PayloadID; one was processed.
    assert_eq!(sim.attempts(&r.payload_id), 2);
    assert_eq!(sim.processed(), vec!["FLAKY01".to_string()]);
}

#[tokio::test]
async fn server_errors_beyond_the_retries_are_reported() {
    let mut s = Scenarios::builtin();
    s.members
        .insert("DOWN01".into(), Scenario::ServerError { failures: 10 });
    let (sim, url) = simulator(s).await;
    let mut c = config(&url);
    c.retries = 1;
    let client = Client::new(c, PASSWORD).unwrap();
    let err = check_eligibility(&client, &query("DOWN01"))
        .await
        .unwrap_err();
    match err {
        EligibilityError::Client(ClientError::ServerError {
            status, attempts, ..
        }) => {
            assert_eq!(status, 500);
            assert_eq!(attempts, 2);
        }
        other => panic!("expected a server error, got {other:?}"),
    }
    assert!(sim.processed().is_empty());
}

#[tokio::test]
async fn a_resent_payload_id_is_answered_without_processing_it_again() {
    let (sim, client) = setup().await;
    let x12 = clinicdesk_clearinghouse::eligibility::build_270(
        &client,
        &query("ACTIVE01"),
        "TRACE0001",
        42,
    )
    .unwrap();
    let request = client.envelope(
        payload_type::ELIGIBILITY_REQUEST,
        ProcessingMode::RealTime,
        x12,
    );
    let first = client.send(&request).await.unwrap();
    let second = client.send(&request).await.unwrap();
    assert_eq!(first.payload, second.payload);
    assert_eq!(first.time_stamp, second.time_stamp);
    assert_eq!(second.payload_id, request.payload_id);
    assert_eq!(second.error_code.as_deref(), Some(error_code::SUCCESS));
    assert_eq!(sim.processed(), vec!["ACTIVE01".to_string()]);
    assert_eq!(sim.attempts(&request.payload_id), 2);
    let r = clinicdesk_clearinghouse::eligibility::read_271(
        second.payload.as_bytes(),
        "TRACE0001",
        false,
    )
    .unwrap();
    assert!(r.active);
    // An answer to another inquiry is refused.
    let err = clinicdesk_clearinghouse::eligibility::read_271(
        second.payload.as_bytes(),
        "TRACE0002",
        false,
    )
    .unwrap_err();
    match err {
        EligibilityError::TraceMismatch { sent, got } => {
            assert_eq!((sent.as_str(), got.as_str()), ("TRACE0002", "TRACE0001"))
        }
        other => panic!("expected a trace mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn copies_sent_at_once_are_processed_once() {
    // A one-second answer keeps the first copy in flight while the others arrive.
    let mut s = Scenarios::builtin();
    s.members
        .insert("SLOW02".into(), Scenario::Slow { delay_secs: 1 });
    let (sim, url) = simulator(s).await;
    let client = Client::new(config(&url), PASSWORD).unwrap();
    let x12 = clinicdesk_clearinghouse::eligibility::build_270(
        &client,
        &query("SLOW02"),
        "TRACE0003",
        43,
    )
    .unwrap();
    let request = client.envelope(
        payload_type::ELIGIBILITY_REQUEST,
        ProcessingMode::RealTime,
        x12,
    );
    let (a, b, c) = tokio::join!(
        client.send(&request),
        client.send(&request),
        client.send(&request)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!(a.payload, b.payload);
    assert_eq!(b.payload, c.payload);
    assert_eq!(sim.processed(), vec!["SLOW02".to_string()]);
    assert_eq!(sim.attempts(&request.payload_id), 3);
}

#[tokio::test]
async fn bad_credentials_are_refused() {
    let (sim, url) = simulator(Scenarios::builtin()).await;
    let client = Client::new(config(&url), "wrong").unwrap();
    let err = check_eligibility(&client, &query("ACTIVE01"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EligibilityError::Client(ClientError::CredentialsRejected { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Test Clearinghouse did not accept the user name and password; check them in the payer settings."
    );
    assert!(sim.processed().is_empty());
}

#[tokio::test]
async fn a_malformed_answer_is_an_error_not_a_panic() {
    let (_sim, client) = setup().await;
    let err = check_eligibility(&client, &query("MALFORMED01"))
        .await
        .unwrap_err();
    match &err {
        EligibilityError::Client(ClientError::Malformed { detail, .. }) => {
            assert_eq!(
                detail,
                "the message is not valid multipart: the body does not start with the multipart boundary"
            )
        }
        other => panic!("expected a malformed answer, got {other:?}"),
    }
    let err = check_eligibility(&client, &query("NOTX1201"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EligibilityError::Client(ClientError::NotX12 { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_after_the_retries() {
    // Bind then drop: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(config(&format!("http://127.0.0.1:{port}/core")), PASSWORD).unwrap();
    let err = check_eligibility(&client, &query("ACTIVE01"))
        .await
        .unwrap_err();
    match err {
        EligibilityError::Client(ClientError::Unreachable { attempts, .. }) => {
            assert_eq!(attempts, 3)
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn envelope_errors_come_back_as_core_error_codes() {
    let (_sim, client) = setup().await;
    let mut request = client.envelope(
        payload_type::ELIGIBILITY_REQUEST,
        ProcessingMode::Batch,
        "ISA".into(),
    );
    let err = client.send(&request).await.unwrap_err();
    match err {
        ClientError::Rejected { code, .. } => assert_eq!(code, "ProcessingModeIllegal"),
        other => panic!("{other:?}"),
    }
    request.processing_mode = ProcessingMode::RealTime;
    request.payload_type = "X12_278_Request_005010X217".into();
    match client.send(&request).await.unwrap_err() {
        ClientError::Rejected { code, .. } => assert_eq!(code, "PayloadTypeIllegal"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn configuration_is_checked() {
    let mut c = config("http://clearinghouse.example/core");
    assert!(matches!(
        Client::new(c.clone(), PASSWORD),
        Err(ClientError::Config { .. })
    ));
    c.endpoint = "https://clearinghouse.example/core".into();
    c.username = " ".into();
    let err = Client::new(c, PASSWORD).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The connection settings for Test Clearinghouse are not usable: the user name is empty"
    );
    let json = r#"{"name":"CH","endpoint":"https://ch.example/core","sender_id":"S","receiver_id":"R","username":"u"}"#;
    let c: ConnectionConfig = serde_json::from_str(json).unwrap();
    assert_eq!((c.timeout_secs, c.retries, c.backoff_ms), (30, 2, 500));
    assert_eq!(c.keychain_account(), "clearinghouse/CH");
}

#[tokio::test]
async fn a_batch_of_claims_gets_a_999() {
    let (sim, client) = setup().await;
    let x12 = "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*CLEARINGHOUSE  *261122*1230*^*00501*000000007*0*T*:~\
GS*HC*CLINIC01*CLEARINGHOUSE*20261122*1230*7*X*005010X222A1~ST*837*0001*005010X222A1~\
BHT*0019*00*1*20261122*1230*CH~SE*3*0001~GE*1*7~IEA*1*000000007~"
        .to_string();
    let request = client.envelope(
        payload_type::PROFESSIONAL_CLAIM_REQUEST,
        ProcessingMode::Batch,
        x12,
    );
    let answer = client.send(&request).await.unwrap();
    assert_eq!(answer.payload_type, payload_type::ACKNOWLEDGMENT_RESPONSE);
    let doc = clinicdesk_x12::parse(answer.payload.as_bytes()).unwrap();
    let tx = doc.transactions().next().unwrap();
    assert_eq!(tx.id(), "999");
    assert!(answer.payload.contains("AK9*A*1*1*1"), "{}", answer.payload);
    assert_eq!(sim.processed().len(), 1);
    let _: &Envelope = &answer;
}

#[tokio::test]
async fn a_scenario_file_adds_members() {
    let json = r#"{
        "members": {
            "M-500": {"kind": "active", "plan_name": "Silver EPO",
                "benefits": [{"service_type": "98", "copay": "40.00", "coinsurance": ".25"}]},
            "M-501": {"kind": "reject", "code": "73"}
        }
    }"#;
    let s = Scenarios::from_json(json).unwrap();
    assert!(s.members.contains_key("ACTIVE01"));
    let (_sim, url) = simulator(s).await;
    let client = Client::new(config(&url), PASSWORD).unwrap();
    let r = check_eligibility(&client, &query("M-500")).await.unwrap();
    assert!(r.active);
    assert_eq!(r.plan_name.as_deref(), Some("Silver EPO"));
    let b = benefit(&r.benefits, "98", "in");
    assert_eq!(b.copay_cents, Some(4000));
    assert_eq!(b.coinsurance_percent.as_deref(), Some("25"));
    let r = check_eligibility(&client, &query("M-501")).await.unwrap();
    assert_eq!(r.rejections[0].code, "73");
    assert!(Scenarios::from_json(r#"{"members": {"X": {"kind": "bogus"}}}"#).is_err());
}
