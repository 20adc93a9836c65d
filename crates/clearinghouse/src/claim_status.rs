//! Real-time claim status: a 276 built from a claim that was sent, sent
//! through a CORE connection, and the 277 read back into the claim's
//! status entry (005010X212).

use crate::client::{Client, ClientError};
use crate::envelope::payload_type;
use clinicdesk_x12::transactions::claim_status::ClaimEntry;
use clinicdesk_x12::transactions::claim_status_request::ClaimStatusInquiry;
use clinicdesk_x12::Model;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ClaimStatusError {
    #[error("The claim status request cannot be sent: {0}")]
    Request(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("The payer's answer is not a usable claim status response: {0}")]
    Response(String),
    #[error("The payer's answer is about another claim (trace number {got}, expected {sent}).")]
    TraceMismatch { sent: String, got: String },
}

/// The payer's answer about one claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimStatusAnswer {
    /// The PayloadID the request travelled with.
    pub payload_id: String,
    pub trace_number: String,
    /// The claim's statuses, references and amounts as the 277 gave them.
    /// When the payer could not look for the claim at all, the statuses
    /// it gave for the whole request (payer, receiver or provider level).
    pub entry: ClaimEntry,
}

/// Builds the 276 interchange for `inquiry` with trace number `trace`.
pub fn build_276(
    client: &Client,
    inquiry: &ClaimStatusInquiry,
    trace: &str,
    control: u32,
) -> Result<String, ClaimStatusError> {
    let mut inquiry = inquiry.clone();
    inquiry.trace_number = trace.to_string();
    inquiry.reference = trace.chars().take(30).collect();
    inquiry
        .to_x12(&client.interchange_header(control))
        .map_err(|e| ClaimStatusError::Request(e.message.clone()))
}

/// Asks the payer where a claim stands, with a new PayloadID.
pub async fn check_claim_status(
    client: &Client,
    inquiry: &ClaimStatusInquiry,
) -> Result<ClaimStatusAnswer, ClaimStatusError> {
    check_claim_status_as(client, inquiry, uuid::Uuid::new_v4()).await
}

/// As [`check_claim_status`], with the PayloadID (and so the trace number
/// and ISA13) given: a request sent again keeps its id, so the receiver can
/// tell it is the same request.
pub async fn check_claim_status_as(
    client: &Client,
    inquiry: &ClaimStatusInquiry,
    id: uuid::Uuid,
) -> Result<ClaimStatusAnswer, ClaimStatusError> {
    let (answer, trace) = client
        .send_keyed(payload_type::CLAIM_STATUS_REQUEST, id, |trace, control| {
            build_276(client, inquiry, trace, control)
        })
        .await?;
    let entry = read_277(answer.payload.as_bytes(), &trace)?;
    Ok(ClaimStatusAnswer {
        payload_id: answer.payload_id,
        trace_number: trace,
        entry,
    })
}

/// Reads a 277 (005010X212) answering the request with trace number
/// `trace`.
pub fn read_277(x12: &[u8], trace: &str) -> Result<ClaimEntry, ClaimStatusError> {
    let doc = clinicdesk_x12::parse(x12).map_err(|errors| {
        ClaimStatusError::Response(
            errors
                .first()
                .map_or_else(|| "it is empty".to_string(), ToString::to_string),
        )
    })?;
    let tx = doc
        .transactions()
        .find(|t| t.id() == "277")
        .ok_or_else(|| ClaimStatusError::Response("it holds no 277 transaction set".into()))?;
    let model = match clinicdesk_x12::model(tx) {
        Some(Ok(Model::ClaimStatus(m))) if !m.claim_acknowledgment => m,
        Some(Err(e)) => return Err(ClaimStatusError::Response(e.to_string())),
        _ => {
            return Err(ClaimStatusError::Response(format!(
                "the 277 is for guide {:?}, not 005010X212",
                tx.version
            )))
        }
    };
    if let Some(entry) = model
        .claims
        .iter()
        .find(|c| c.trace.as_deref() == Some(trace))
    {
        if entry.statuses.is_empty() {
            return Err(ClaimStatusError::Response(
                "the claim's answer has no status (STC)".into(),
            ));
        }
        return Ok(entry.clone());
    }
    // A payer that cannot answer at all says so above the claim.
    let level: Vec<_> = model
        .levels
        .iter()
        .flat_map(|l| l.statuses.iter().cloned())
        .collect();
    if !level.is_empty() && model.claims.is_empty() {
        return Ok(ClaimEntry {
            trace: Some(trace.to_string()),
            statuses: level,
            ..ClaimEntry::default()
        });
    }
    let got = model
        .claims
        .first()
        .and_then(|c| c.trace.clone())
        .unwrap_or_else(|| "none".to_string());
    Err(ClaimStatusError::TraceMismatch {
        sent: trace.to_string(),
        got,
    })
}
