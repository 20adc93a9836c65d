//! Typed models, one module per transaction set. [`model`] picks the model
//! from ST01 and the implementation guide (ST03, or GS08 without it).

pub mod aaa;
pub mod ack;
pub mod claim_status;
pub mod claim_status_request;
pub mod common;
pub mod eligibility;
pub mod eligibility_request;
pub mod professional;
pub mod remittance;

use crate::envelope::Transaction;
use crate::error::Error;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum Model {
    /// 270 or 271.
    Eligibility(eligibility::Eligibility),
    /// 276, 277 or 277CA.
    ClaimStatus(claim_status::ClaimStatus),
    /// 835.
    Remittance(Box<remittance::Remittance>),
    /// 837P.
    ProfessionalClaims(professional::ProfessionalBatch),
    /// 999.
    Acknowledgment(ack::Acknowledgment),
}

/// The guides modelled, as (ST01, guide prefix).
pub const MODELLED: [(&str, &str); 8] = [
    ("270", "005010X279"),
    ("271", "005010X279"),
    ("276", "005010X212"),
    ("277", "005010X212"),
    ("277", "005010X214"),
    ("835", "005010X221"),
    ("837", "005010X222"),
    ("999", "005010X231"),
];

/// Whether [`model`] knows this transaction set.
pub fn is_modelled(tx: &Transaction<'_>) -> bool {
    MODELLED
        .iter()
        .any(|(id, guide)| tx.id() == *id && tx.version.starts_with(guide))
}

/// The typed model of a transaction set, None for sets not modelled (say an
/// 837I, or a 4010 guide).
pub fn model(tx: &Transaction<'_>) -> Option<Result<Model, Error>> {
    if !is_modelled(tx) {
        return None;
    }
    Some(match tx.id() {
        "270" | "271" => eligibility::parse(tx).map(Model::Eligibility),
        "276" | "277" => claim_status::parse(tx).map(Model::ClaimStatus),
        "835" => remittance::parse(tx).map(|r| Model::Remittance(Box::new(r))),
        "837" => professional::parse(tx).map(Model::ProfessionalClaims),
        _ => ack::parse(tx).map(Model::Acknowledgment),
    })
}
