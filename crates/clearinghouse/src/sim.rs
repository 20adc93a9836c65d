//! A clearinghouse simulator speaking the same CORE HTTP MIME protocol: it
//! answers 270s with 271s written by the X12 writer, following a scenario
//! chosen by the member id, and 276s with 277s (`claims`), so the client
//! and the eligibility and billing screens can be exercised without a payer.

mod claims;

use crate::envelope::{error_code, field, payload_type, Envelope, ProcessingMode};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use clinicdesk_x12::transactions::eligibility::{Eligibility, Member};
use clinicdesk_x12::{EnvelopeHeader, Model, Usage, Values};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One line of benefits for a service type and network. Amounts as X12
/// amounts (`25`, `1500.00`), coinsurance as a fraction (`.2` is 20 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitSpec {
    pub service_type: String,
    /// `in`, `out` or `both`.
    #[serde(default = "in_network")]
    pub network: String,
    #[serde(default)]
    pub copay: Option<String>,
    #[serde(default)]
    pub coinsurance: Option<String>,
    #[serde(default)]
    pub deductible: Option<String>,
    #[serde(default)]
    pub deductible_remaining: Option<String>,
    #[serde(default)]
    pub out_of_pocket: Option<String>,
    #[serde(default)]
    pub out_of_pocket_remaining: Option<String>,
}

fn in_network() -> String {
    "in".into()
}

fn follow_up_c() -> String {
    "C".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub plan_name: String,
    #[serde(default)]
    pub plan_number: Option<String>,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub group_number: Option<String>,
    #[serde(default)]
    pub benefits: Vec<BenefitSpec>,
}

/// What the simulator does with a 270 for a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Scenario {
    /// A 271 with active coverage and these benefits.
    Active(Coverage),
    /// A 271 saying coverage is inactive.
    Inactive {
        #[serde(default)]
        plan_name: Option<String>,
    },
    /// A 271 with an AAA rejection (code 42 at the payer level, others at
    /// the subscriber level).
    Reject {
        code: String,
        #[serde(default = "follow_up_c")]
        follow_up: String,
    },
    /// Waits, then answers with the default active coverage.
    Slow { delay_secs: u64 },
    /// A 200 answer whose body is not multipart.
    Malformed,
    /// A well-formed CORE answer whose payload is not X12.
    NotX12,
    /// HTTP 500 for the first `failures` attempts of a PayloadID, then the
    /// default active coverage.
    ServerError { failures: u32 },
}

fn pending_category() -> String {
    "P1".into()
}
fn pending_code() -> String {
    "20".into()
}
fn rejected_category() -> String {
    "A7".into()
}
fn rejected_code() -> String {
    "21".into()
}
fn denied_code() -> String {
    "88".into()
}

/// What the simulator answers to a 276 about a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClaimScenario {
    /// Still being worked on: STC category (P0–P5, A1, A2, R…) and status code.
    Pending {
        #[serde(default = "pending_category")]
        category: String,
        #[serde(default = "pending_code")]
        code: String,
    },
    /// Finalized with a payment (F1:65), the whole charge unless `paid`
    /// says otherwise (an X12 amount).
    Paid {
        #[serde(default)]
        paid: Option<String>,
        #[serde(default)]
        check_number: Option<String>,
    },
    /// Finalized as a denial (F2) with this status code.
    Denied {
        #[serde(default = "denied_code")]
        code: String,
    },
    /// Returned as unprocessable or with errors (A3, A6, A7, A8).
    Rejected {
        #[serde(default = "rejected_category")]
        category: String,
        #[serde(default = "rejected_code")]
        code: String,
    },
    /// A4:35: the payer has no such claim.
    NotFound,
    /// A 200 answer whose body is not multipart.
    Malformed,
}

/// The scenario file: scenarios by member id, and what to do for others.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenarios {
    #[serde(default)]
    pub members: BTreeMap<String, Scenario>,
    /// For member ids not listed; AAA 75 (subscriber not found) when not set.
    #[serde(default)]
    pub unknown: Option<Scenario>,
    /// 276 answers by claim id (the patient control number) or member id.
    #[serde(default)]
    pub claims: BTreeMap<String, ClaimScenario>,
    /// For claims not listed; pending (P1:20) when not set.
    #[serde(default)]
    pub unknown_claim: Option<ClaimScenario>,
}

/// Active coverage with amounts that tests and demos can check.
pub fn default_coverage() -> Coverage {
    Coverage {
        plan_name: "Gold PPO".into(),
        plan_number: Some("GPPO-500".into()),
        group_name: Some("Riverside Clinic Staff".into()),
        group_number: Some("GRP-7781".into()),
        benefits: vec![
            BenefitSpec {
                service_type: "98".into(),
                network: "in".into(),
                copay: Some("25".into()),
                coinsurance: Some(".1".into()),
                deductible: None,
                deductible_remaining: None,
                out_of_pocket: None,
                out_of_pocket_remaining: None,
            },
            BenefitSpec {
                service_type: "98".into(),
                network: "out".into(),
                copay: Some("60".into()),
                coinsurance: Some(".3".into()),
                deductible: None,
                deductible_remaining: None,
                out_of_pocket: None,
                out_of_pocket_remaining: None,
            },
            BenefitSpec {
                service_type: "30".into(),
                network: "in".into(),
                copay: None,
                coinsurance: None,
                deductible: Some("1500".into()),
                deductible_remaining: Some("900.50".into()),
                out_of_pocket: Some("5000".into()),
                out_of_pocket_remaining: Some("4200".into()),
            },
        ],
    }
}

impl Scenarios {
    /// The built-in members, one per scenario.
    pub fn builtin() -> Scenarios {
        let mut m = BTreeMap::new();
        m.insert("ACTIVE01".into(), Scenario::Active(default_coverage()));
        m.insert(
            "INACTIVE01".into(),
            Scenario::Inactive {
                plan_name: Some("Bronze HMO".into()),
            },
        );
        for code in ["72", "73", "58", "42", "75"] {
            m.insert(
                format!("AAA{code}"),
                Scenario::Reject {
                    code: code.into(),
                    follow_up: if code == "42" { "R" } else { "C" }.into(),
                },
            );
        }
        m.insert("SLOW01".into(), Scenario::Slow { delay_secs: 60 });
        m.insert("MALFORMED01".into(), Scenario::Malformed);
        m.insert("NOTX1201".into(), Scenario::NotX12);
        m.insert("FLAKY01".into(), Scenario::ServerError { failures: 1 });
        let mut claims = BTreeMap::new();
        claims.insert(
            "CLAIMPEND01".into(),
            ClaimScenario::Pending {
                category: pending_category(),
                code: pending_code(),
            },
        );
        claims.insert(
            "CLAIMPAID01".into(),
            ClaimScenario::Paid {
                paid: None,
                check_number: None,
            },
        );
        claims.insert(
            "CLAIMDENY01".into(),
            ClaimScenario::Denied {
                code: denied_code(),
            },
        );
        claims.insert(
            "CLAIMREJ01".into(),
            ClaimScenario::Rejected {
                category: rejected_category(),
                code: rejected_code(),
            },
        );
        claims.insert("CLAIMNF01".into(), ClaimScenario::NotFound);
        claims.insert("CLAIMBAD01".into(), ClaimScenario::Malformed);
        Scenarios {
            members: m,
            unknown: None,
            claims,
            unknown_claim: None,
        }
    }

    /// Reads a scenario file (JSON); its members are added to, and override,
    /// the built-in ones.
    pub fn from_json(text: &str) -> Result<Scenarios, String> {
        let file: Scenarios = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut s = Scenarios::builtin();
        s.members.extend(file.members);
        s.unknown = file.unknown;
        s.claims.extend(file.claims);
        s.unknown_claim = file.unknown_claim;
        Ok(s)
    }

    /// The answer for a claim: by its id first, then by the member id.
    fn for_claim(&self, claim_id: &str, member_id: &str) -> ClaimScenario {
        self.claims
            .get(claim_id)
            .or_else(|| self.claims.get(member_id))
            .or(self.unknown_claim.as_ref())
            .cloned()
            .unwrap_or(ClaimScenario::Pending {
                category: pending_category(),
                code: pending_code(),
            })
    }

    fn for_member(&self, id: &str) -> Scenario {
        self.members
            .get(id)
            .or(self.unknown.as_ref())
            .cloned()
            .unwrap_or(Scenario::Reject {
                code: "75".into(),
                follow_up: "C".into(),
            })
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub username: String,
    pub password: String,
    /// The simulator's CORE id (ReceiverID of the requests it accepts).
    pub receiver_id: String,
    pub scenarios: Scenarios,
}

#[derive(Clone)]
struct Stored {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

#[derive(Default)]
struct Log {
    /// Answers by PayloadID: a resend gets the same bytes back.
    answers: HashMap<String, Stored>,
    /// Attempts by PayloadID (for the server-error scenario).
    attempts: HashMap<String, u32>,
    /// One lock per PayloadID, so a resend that arrives while the first
    /// copy is still being answered waits for that answer.
    in_flight: HashMap<String, Arc<tokio::sync::Mutex<()>>>,
    /// Member ids of the inquiries actually processed, in order.
    processed: Vec<String>,
    control: u32,
}

/// A running simulator's shared state.
#[derive(Clone)]
pub struct Simulator {
    config: Arc<SimConfig>,
    log: Arc<Mutex<Log>>,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Simulator {
        Simulator {
            config: Arc::new(config),
            log: Arc::new(Mutex::new(Log::default())),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/core", post(handle))
            .with_state(self.clone())
    }

    /// Member ids of the inquiries processed (a recognised resend is not).
    pub fn processed(&self) -> Vec<String> {
        self.lock().processed.clone()
    }

    /// Requests received for a PayloadID, resends included.
    pub fn attempts(&self, payload_id: &str) -> u32 {
        self.lock().attempts.get(payload_id).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        // A panic elsewhere must not stop the simulator from answering.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves on `listener` until the task is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Binds `addr` (port 0 for any) and serves in the background; returns
    /// the endpoint URL.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        tokio::spawn(self.serve(listener));
        Ok(format!("http://{local}/core"))
    }
}

fn envelope_response(status: StatusCode, env: &Envelope) -> Stored {
    let (body, content_type) = env.encode();
    Stored {
        status,
        content_type,
        body,
    }
}

/// An error answer when the request could not be read.
fn error_envelope(request: Option<&Envelope>, code: &str, message: &str) -> Envelope {
    match request {
        Some(r) => r.reply(payload_type::ENVELOPE_ERROR, String::new(), code, message),
        None => Envelope {
            payload_type: payload_type::ENVELOPE_ERROR.into(),
            processing_mode: ProcessingMode::RealTime,
            payload_id: String::new(),
            time_stamp: crate::envelope::now_time_stamp(),
            sender_id: String::new(),
            receiver_id: String::new(),
            core_rule_version: crate::CORE_RULE_VERSION.into(),
            payload: String::new(),
            error_code: Some(code.into()),
            error_message: Some(message.into()),
        },
    }
}

fn authorized(config: &SimConfig, headers: &HeaderMap) -> bool {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(b64) = v.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", config.username, config.password);
    raw == expected.as_bytes()
}

async fn handle(
    axum::extract::State(sim): axum::extract::State<Simulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let request = Envelope::decode(&content_type, &body, false);
    if !authorized(&sim.config, &headers) {
        let env = error_envelope(
            request.as_ref().ok(),
            error_code::UNAUTHORIZED,
            "The sender is not authorized: wrong or missing user name and password.",
        );
        return envelope_response(StatusCode::UNAUTHORIZED, &env).into_response();
    }
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            let env = error_envelope(None, &e.error_code(), &e.to_string());
            return envelope_response(StatusCode::BAD_REQUEST, &env).into_response();
        }
    };
    if request.receiver_id != sim.config.receiver_id {
        let env = error_envelope(
            Some(&request),
            &format!("{}Illegal", field::RECEIVER_ID),
            "This receiver does not answer for that ReceiverID.",
        );
        return envelope_response(StatusCode::BAD_REQUEST, &env).into_response();
    }
    let id = request.payload_id.clone();
    let gate = sim.lock().in_flight.entry(id.clone()).or_default().clone();
    let _turn = gate.lock().await;
    let attempt = {
        let mut log = sim.lock();
        let n = log.attempts.entry(id.clone()).or_insert(0);
        *n += 1;
        let n = *n;
        if let Some(done) = log.answers.get(&id) {
            return done.clone().into_response();
        }
        n
    };
    let answer = match (request.payload_type.as_str(), request.processing_mode) {
        (payload_type::ELIGIBILITY_REQUEST, ProcessingMode::RealTime) => {
            eligibility(&sim, &request, attempt).await
        }
        (payload_type::CLAIM_STATUS_REQUEST, ProcessingMode::RealTime) => {
            Some(claims::claim_status(&sim, &request))
        }
        (payload_type::PROFESSIONAL_CLAIM_REQUEST, ProcessingMode::Batch) => {
            Some(batch_837(&sim, &request))
        }
        (
            payload_type::ELIGIBILITY_REQUEST
            | payload_type::CLAIM_STATUS_REQUEST
            | payload_type::PROFESSIONAL_CLAIM_REQUEST,
            _,
        ) => {
            let env = error_envelope(
                Some(&request),
                error_code::PROCESSING_MODE_ILLEGAL,
                "270s and 276s are answered in RealTime mode and 837s in Batch mode.",
            );
            Some(envelope_response(StatusCode::BAD_REQUEST, &env))
        }
        _ => {
            let env = error_envelope(
                Some(&request),
                error_code::PAYLOAD_TYPE_ILLEGAL,
                "This receiver accepts X12_270_Request_005010X279A1, X12_276_Request_005010X212 and X12_837_Request_005010X222A1.",
            );
            Some(envelope_response(StatusCode::BAD_REQUEST, &env))
        }
    };
    match answer {
        Some(stored) => {
            if stored.status.is_success() {
                sim.lock().answers.insert(id, stored.clone());
            }
            stored.into_response()
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "simulated server error").into_response(),
    }
}

/// The answer to a 270, None for a simulated HTTP 500.
async fn eligibility(sim: &Simulator, request: &Envelope, attempt: u32) -> Option<Stored> {
    let doc = match clinicdesk_x12::parse(request.payload.as_bytes()) {
        Ok(d) => d,
        Err(errors) => {
            let msg = errors.first().map_or_else(String::new, ToString::to_string);
            let env = error_envelope(
                Some(request),
                "PayloadIllegal",
                &format!("The payload is not a valid X12 interchange: {msg}"),
            );
            return Some(envelope_response(StatusCode::BAD_REQUEST, &env));
        }
    };
    let inquiry =
        doc.transactions()
            .find(|t| t.id() == "270")
            .and_then(|t| match clinicdesk_x12::model(t) {
                Some(Ok(Model::Eligibility(m))) => Some(m),
                _ => None,
            });
    let Some(inquiry) = inquiry else {
        let env = error_envelope(
            Some(request),
            "PayloadIllegal",
            "The payload holds no readable 270 (005010X279A1).",
        );
        return Some(envelope_response(StatusCode::BAD_REQUEST, &env));
    };
    let member_id = subscriber(&inquiry)
        .and_then(|m| m.party.id.as_deref().map(str::to_string))
        .unwrap_or_default();
    let scenario = sim.config.scenarios.for_member(&member_id);
    let scenario = match scenario {
        Scenario::ServerError { failures } if attempt <= failures => return None,
        Scenario::ServerError { .. } => Scenario::Active(default_coverage()),
        Scenario::Slow { delay_secs } => {
            tokio::time::sleep(Duration::from_secs(delay_secs)).await;
            Scenario::Active(default_coverage())
        }
        other => other,
    };
    let (isa_sender, isa_receiver, control) = {
        let mut log = sim.lock();
        log.processed.push(member_id);
        log.control += 1;
        let i = doc.interchanges.first();
        let isa = |n| {
            i.map(|i| i.isa.el(n).trim().to_string())
                .unwrap_or_default()
        };
        (isa(8), isa(6), log.control)
    };
    match scenario {
        Scenario::Malformed => Some(Stored {
            status: StatusCode::OK,
            content_type: "multipart/form-data; boundary=XYZ".into(),
            body: b"this is not a multipart body".to_vec(),
        }),
        Scenario::NotX12 => {
            let env = request.reply(
                payload_type::ELIGIBILITY_RESPONSE,
                "ELIGIBILITY: ACTIVE".into(),
                error_code::SUCCESS,
                "",
            );
            Some(envelope_response(StatusCode::OK, &env))
        }
        scenario => {
            let body = response_271(&inquiry, &scenario);
            let Some(x12) = wrap(&isa_sender, &isa_receiver, control, "HB", "271", body) else {
                let env = error_envelope(
                    Some(request),
                    "PayloadIllegal",
                    "The sender or receiver id in the ISA cannot be answered.",
                );
                return Some(envelope_response(StatusCode::BAD_REQUEST, &env));
            };
            let env = request.reply(
                payload_type::ELIGIBILITY_RESPONSE,
                x12,
                error_code::SUCCESS,
                "",
            );
            Some(envelope_response(StatusCode::OK, &env))
        }
    }
}

/// Accepts an 837P batch and answers with a 999 for it.
fn batch_837(sim: &Simulator, request: &Envelope) -> Stored {
    let parsed = clinicdesk_x12::read(request.payload.as_bytes());
    let group = parsed
        .document
        .interchanges
        .first()
        .and_then(|i| i.groups.first().map(|g| (i, g)));
    let Some((interchange, group)) = group else {
        let env = error_envelope(
            Some(request),
            "PayloadIllegal",
            "The payload holds no X12 functional group.",
        );
        return envelope_response(StatusCode::BAD_REQUEST, &env);
    };
    let control = {
        let mut log = sim.lock();
        log.processed.push(format!("837:{}", group.gs.el(6)));
        log.control += 1;
        log.control
    };
    let body = clinicdesk_x12::transactions::ack::acknowledge(group, &parsed.errors);
    let isa = |n| interchange.isa.el(n).trim().to_string();
    match wrap(&isa(8), &isa(6), control, "FA", "999", body) {
        Some(x12) => {
            let env = request.reply(
                payload_type::ACKNOWLEDGMENT_RESPONSE,
                x12,
                error_code::SUCCESS,
                "",
            );
            envelope_response(StatusCode::OK, &env)
        }
        None => {
            let env = error_envelope(
                Some(request),
                "PayloadIllegal",
                "The sender or receiver id in the ISA cannot be answered.",
            );
            envelope_response(StatusCode::BAD_REQUEST, &env)
        }
    }
}

fn wrap(
    sender: &str,
    receiver: &str,
    control: u32,
    functional_id: &str,
    transaction: &str,
    body: Vec<Values>,
) -> Option<String> {
    let now = chrono::Utc::now();
    let version = match transaction {
        "999" => "005010X231A1",
        "277" => "005010X212",
        _ => "005010X279A1",
    };
    let header = EnvelopeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: sender.into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: receiver.into(),
        application_sender: format!("{sender:<2}"),
        application_receiver: format!("{receiver:<2}"),
        date: now.format("%Y%m%d").to_string(),
        time: now.format("%H%M").to_string(),
        interchange_control: control,
        group_control: control,
        usage: Usage::Test,
        ack_requested: false,
    };
    let segs = header
        .wrap(functional_id, transaction, version, vec![body])
        .ok()?;
    clinicdesk_x12::to_x12(&segs, clinicdesk_x12::Delimiters::default(), false).ok()
}

fn subscriber(e: &Eligibility) -> Option<&Member> {
    e.sources.first()?.receivers.first()?.subscribers.first()
}

fn network_flag(n: &str) -> &'static str {
    match n {
        "out" => "N",
        "both" => "W",
        _ => "Y",
    }
}

/// EB01, EB02, EB03, EB05, EB06, EB07, EB08 and EB12.
fn eb(
    code: &str,
    service_type: &str,
    plan: &str,
    period: &str,
    amount: &str,
    percent: &str,
    network: &str,
) -> Values {
    Values::new("EB").els(&[
        code,
        "IND",
        service_type,
        "",
        plan,
        period,
        amount,
        percent,
        "",
        "",
        "",
        network,
    ])
}

fn name_segment(role: &str, m: &Member) -> Values {
    let p = &m.party;
    let (q, id) = match (&p.id_qualifier, &p.id) {
        (Some(q), Some(id)) => (q.as_str(), id.as_str()),
        _ => ("", ""),
    };
    Values::new("NM1").els(&[
        role,
        "1",
        &p.name,
        p.first_name.as_deref().unwrap_or_default(),
        "",
        "",
        "",
        q,
        id,
    ])
}

/// The 271 body answering `inq` as `scenario` says.
fn response_271(inq: &Eligibility, scenario: &Scenario) -> Vec<Values> {
    let now = chrono::Utc::now();
    let source = inq.sources.first();
    let payer = source.map(|s| s.party.clone()).unwrap_or_default();
    let provider = source
        .and_then(|s| s.receivers.first())
        .map(|r| r.party.clone())
        .unwrap_or_default();
    let sub = subscriber(inq).cloned().unwrap_or_default();
    let dep = sub.dependents.first().cloned();
    let mut out = vec![
        Values::new("BHT").els(&[
            "0022",
            "11",
            inq.reference.as_deref().unwrap_or("1"),
            &now.format("%Y%m%d").to_string(),
            &now.format("%H%M").to_string(),
        ]),
        Values::new("HL").els(&["1", "", "20", "1"]),
        Values::new("NM1").els(&[
            "PR",
            "2",
            &payer.name,
            "",
            "",
            "",
            "",
            payer.id_qualifier.as_deref().unwrap_or("PI"),
            payer.id.as_deref().unwrap_or_default(),
        ]),
    ];
    if let Scenario::Reject { code, follow_up } = scenario {
        if code == "42" {
            // The payer cannot answer at all: the rejection is its own.
            out.push(Values::new("AAA").els(&["Y", "", code, follow_up]));
            return out;
        }
    }
    out.push(Values::new("HL").els(&["2", "1", "21", "1"]));
    out.push(Values::new("NM1").els(&[
        "1P",
        if provider.first_name.is_some() {
            "1"
        } else {
            "2"
        },
        &provider.name,
        provider.first_name.as_deref().unwrap_or_default(),
        "",
        "",
        "",
        provider.id_qualifier.as_deref().unwrap_or("XX"),
        provider.id.as_deref().unwrap_or_default(),
    ]));
    out.push(Values::new("HL").els(&["3", "2", "22", if dep.is_some() { "1" } else { "0" }]));
    let patient = dep.as_ref().unwrap_or(&sub);
    let trace = patient.traces.first().or(sub.traces.first());
    let trn = trace.map(|t| {
        Values::new("TRN").els(&[
            "2",
            &t.number,
            t.originator.as_deref().unwrap_or("9999999999"),
        ])
    });
    if dep.is_none() {
        out.extend(trn.clone());
    }
    out.push(name_segment("IL", &sub));
    if let Scenario::Active(c) = scenario {
        if let Some(n) = &c.plan_number {
            out.push(Values::new("REF").els(&["18", n, &c.plan_name]));
        }
        if let Some(n) = &c.group_number {
            out.push(Values::new("REF").els(&[
                "6P",
                n,
                c.group_name.as_deref().unwrap_or_default(),
            ]));
        }
    }
    let subscriber_rejection = matches!(scenario, Scenario::Reject { .. }) && dep.is_none();
    if let (Scenario::Reject { code, follow_up }, true) = (scenario, subscriber_rejection) {
        out.push(Values::new("AAA").els(&["N", "", code, follow_up]));
    }
    if let Some(b) = &sub.birth_date {
        out.push(
            Values::new("DMG")
                .els(&["D8", b])
                .el(sub.gender.clone().unwrap_or_default()),
        );
    }
    if let Some(d) = &dep {
        out.push(Values::new("HL").els(&["4", "3", "23", "0"]));
        out.extend(trn);
        out.push(name_segment("03", d));
        if let Scenario::Reject { code, follow_up } = scenario {
            out.push(Values::new("AAA").els(&["N", "", code, follow_up]));
        }
        if let Some(b) = &d.birth_date {
            out.push(
                Values::new("DMG")
                    .els(&["D8", b])
                    .el(d.gender.clone().unwrap_or_default()),
            );
        }
    }
    match scenario {
        Scenario::Active(c) => {
            out.push(eb("1", "30", &c.plan_name, "", "", "", ""));
            for b in &c.benefits {
                let net = network_flag(&b.network);
                let st = b.service_type.as_str();
                let rows = [
                    ("B", "27", &b.copay, false),
                    ("A", "27", &b.coinsurance, true),
                    ("C", "23", &b.deductible, false),
                    ("C", "29", &b.deductible_remaining, false),
                    ("G", "23", &b.out_of_pocket, false),
                    ("G", "29", &b.out_of_pocket_remaining, false),
                ];
                for (code, period, v, is_percent) in rows {
                    if let Some(v) = v {
                        let (amount, pct) = if is_percent {
                            ("", v.as_str())
                        } else {
                            (v.as_str(), "")
                        };
                        out.push(eb(code, st, "", period, amount, pct, net));
                    }
                }
            }
        }
        Scenario::Inactive { plan_name } => {
            out.push(eb(
                "6",
                "30",
                plan_name.as_deref().unwrap_or_default(),
                "",
                "",
                "",
                "",
            ));
        }
        _ => {}
    }
    out
}
