//! The CAQH CORE connectivity envelope (Connectivity Rule vC2.2.0, HTTP MIME
//! multipart): the metadata fields that travel with every X12 payload, and
//! the error codes a receiver answers with.

use crate::multipart::{self, Field, MultipartError};
use serde::{Deserialize, Serialize};

pub const CORE_RULE_VERSION: &str = "2.2.0";

/// PayloadType values used here (the rule's table of payload types).
pub mod payload_type {
    pub const ELIGIBILITY_REQUEST: &str = "X12_270_Request_005010X279A1";
    pub const ELIGIBILITY_RESPONSE: &str = "X12_271_Response_005010X279A1";
    pub const PROFESSIONAL_CLAIM_REQUEST: &str = "X12_837_Request_005010X222A1";
    pub const ACKNOWLEDGMENT_RESPONSE: &str = "X12_999_Response_005010X231A1";
    pub const CLAIM_STATUS_REQUEST: &str = "X12_276_Request_005010X212";
    pub const CLAIM_STATUS_RESPONSE: &str = "X12_277_Response_005010X212";
    /// What a receiver answers when the envelope itself was in error.
    pub const ENVELOPE_ERROR: &str = "CoreEnvelopeError";
}

/// Field names, spelled as the rule spells them.
pub mod field {
    pub const PAYLOAD_TYPE: &str = "PayloadType";
    pub const PROCESSING_MODE: &str = "ProcessingMode";
    pub const PAYLOAD_ID: &str = "PayloadID";
    pub const TIME_STAMP: &str = "TimeStamp";
    pub const SENDER_ID: &str = "SenderID";
    pub const RECEIVER_ID: &str = "ReceiverID";
    pub const CORE_RULE_VERSION: &str = "CORERuleVersion";
    pub const PAYLOAD: &str = "Payload";
    pub const ERROR_CODE: &str = "ErrorCode";
    pub const ERROR_MESSAGE: &str = "ErrorMessage";
}

/// ErrorCode values of the rule's envelope error table that this crate
/// produces or acts on; any other code is passed through as received.
pub mod error_code {
    pub const SUCCESS: &str = "Success";
    pub const UNAUTHORIZED: &str = "UnAuthorized";
    pub const VERSION_MISMATCH: &str = "VersionMismatch";
    pub const PAYLOAD_TYPE_ILLEGAL: &str = "PayloadTypeIllegal";
    pub const PROCESSING_MODE_ILLEGAL: &str = "ProcessingModeIllegal";
    pub const PAYLOAD_ID_ILLEGAL: &str = "PayloadIDIllegal";
    pub const TIME_STAMP_ILLEGAL: &str = "TimeStampIllegal";
    /// `<Field>Required` for a missing field, e.g. `PayloadIDRequired`.
    pub fn required(field: &str) -> String {
        format!("{field}Required")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessingMode {
    RealTime,
    Batch,
}

impl ProcessingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingMode::RealTime => "RealTime",
            ProcessingMode::Batch => "Batch",
        }
    }

    pub fn parse(s: &str) -> Option<ProcessingMode> {
        match s {
            "RealTime" => Some(ProcessingMode::RealTime),
            "Batch" => Some(ProcessingMode::Batch),
            _ => None,
        }
    }
}

/// One CORE message, request or response. A response carries `ErrorCode`
/// and `ErrorMessage`; a request has neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub payload_type: String,
    pub processing_mode: ProcessingMode,
    /// A UUID; the receiver de-duplicates on it, so a resend reuses it.
    pub payload_id: String,
    /// ISO 8601 UTC, e.g. `2026-11-22T15:04:05Z`.
    pub time_stamp: String,
    pub sender_id: String,
    pub receiver_id: String,
    pub core_rule_version: String,
    pub payload: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the message is not valid multipart: {0}")]
    Multipart(#[from] MultipartError),
    #[error("the {0} field is missing")]
    Missing(&'static str),
    #[error("the {field} field {value:?} is not valid: {why}")]
    Illegal {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("the {0} field is not UTF-8 text")]
    NotText(&'static str),
}

impl EnvelopeError {
    /// The CORE ErrorCode a receiver answers this with.
    pub fn error_code(&self) -> String {
        match self {
            EnvelopeError::Missing(f) => error_code::required(f),
            EnvelopeError::Illegal { field, .. } | EnvelopeError::NotText(field) => {
                if *field == field::CORE_RULE_VERSION {
                    error_code::VERSION_MISMATCH.to_string()
                } else {
                    format!("{field}Illegal")
                }
            }
            EnvelopeError::Multipart(_) => error_code::required(field::PAYLOAD_TYPE),
        }
    }
}

pub fn now_time_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn is_time_stamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

impl Envelope {
    /// A new request with a fresh PayloadID and the current time.
    pub fn request(
        payload_type: &str,
        mode: ProcessingMode,
        sender_id: &str,
        receiver_id: &str,
        payload: String,
    ) -> Envelope {
        Envelope {
            payload_type: payload_type.to_string(),
            processing_mode: mode,
            payload_id: uuid::Uuid::new_v4().to_string(),
            time_stamp: now_time_stamp(),
            sender_id: sender_id.to_string(),
            receiver_id: receiver_id.to_string(),
            core_rule_version: CORE_RULE_VERSION.to_string(),
            payload,
            error_code: None,
            error_message: None,
        }
    }

    /// The multipart fields, in the rule's order.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut f = vec![
            (field::PAYLOAD_TYPE, self.payload_type.as_str()),
            (field::PROCESSING_MODE, self.processing_mode.as_str()),
            (field::PAYLOAD_ID, self.payload_id.as_str()),
            (field::TIME_STAMP, self.time_stamp.as_str()),
            (field::SENDER_ID, self.sender_id.as_str()),
            (field::RECEIVER_ID, self.receiver_id.as_str()),
            (field::CORE_RULE_VERSION, self.core_rule_version.as_str()),
        ];
        if let Some(c) = &self.error_code {
            f.push((field::ERROR_CODE, c));
        }
        if let Some(m) = &self.error_message {
            f.push((field::ERROR_MESSAGE, m));
        }
        f.push((field::PAYLOAD, self.payload.as_str()));
        f
    }

    /// The body and its content type.
    pub fn encode(&self) -> (Vec<u8>, String) {
        let b = multipart::new_boundary();
        (
            multipart::encode(&self.fields(), &b),
            multipart::content_type(&b),
        )
    }

    /// Reads a message from its content type and body. `response` makes
    /// ErrorCode required; a response to a failed envelope may lack the
    /// other fields, so they are only required in requests.
    pub fn decode(
        content_type: &str,
        body: &[u8],
        response: bool,
    ) -> Result<Envelope, EnvelopeError> {
        let b = multipart::boundary(content_type)?;
        let fields = multipart::decode(body, &b)?;
        Envelope::from_fields(&fields, response)
    }

    pub fn from_fields(fields: &[Field], response: bool) -> Result<Envelope, EnvelopeError> {
        let get = |name: &'static str| -> Result<Option<String>, EnvelopeError> {
            match fields.iter().find(|f| f.name == name) {
                None => Ok(None),
                Some(f) => String::from_utf8(f.value.clone())
                    .map(Some)
                    .map_err(|_| EnvelopeError::NotText(name)),
            }
        };
        let error_code = get(field::ERROR_CODE)?.filter(|c| !c.trim().is_empty());
        let error_message = get(field::ERROR_MESSAGE)?;
        if response && error_code.is_none() {
            return Err(EnvelopeError::Missing(field::ERROR_CODE));
        }
        let failed = error_code
            .as_deref()
            .is_some_and(|c| c != error_code::SUCCESS);
        let need = |name: &'static str| -> Result<String, EnvelopeError> {
            match get(name)? {
                Some(v) if !v.trim().is_empty() => Ok(v),
                _ if failed => Ok(String::new()),
                _ => Err(EnvelopeError::Missing(name)),
            }
        };
        let payload_type = need(field::PAYLOAD_TYPE)?;
        let mode = need(field::PROCESSING_MODE)?;
        let processing_mode = match ProcessingMode::parse(&mode) {
            Some(m) => m,
            None if failed => ProcessingMode::RealTime,
            None => {
                return Err(EnvelopeError::Illegal {
                    field: field::PROCESSING_MODE,
                    value: mode,
                    why: "must be RealTime or Batch",
                })
            }
        };
        let payload_id = need(field::PAYLOAD_ID)?;
        if !failed && uuid::Uuid::parse_str(&payload_id).is_err() {
            return Err(EnvelopeError::Illegal {
                field: field::PAYLOAD_ID,
                value: payload_id,
                why: "must be a UUID",
            });
        }
        let time_stamp = need(field::TIME_STAMP)?;
        if !failed && !is_time_stamp(&time_stamp) {
            return Err(EnvelopeError::Illegal {
                field: field::TIME_STAMP,
                value: time_stamp,
                why: "must be an ISO 8601 date and time",
            });
        }
        let sender_id = need(field::SENDER_ID)?;
        let receiver_id = need(field::RECEIVER_ID)?;
        let core_rule_version = need(field::CORE_RULE_VERSION)?;
        if !failed && core_rule_version != CORE_RULE_VERSION {
            return Err(EnvelopeError::Illegal {
                field: field::CORE_RULE_VERSION,
                value: core_rule_version,
                why: "must be 2.2.0",
            });
        }
        // An empty payload is legal in a failed response and nowhere else.
        let payload = match get(field::PAYLOAD)? {
            Some(p) if !p.trim().is_empty() => p,
            _ if failed => String::new(),
            _ => return Err(EnvelopeError::Missing(field::PAYLOAD)),
        };
        Ok(Envelope {
            payload_type,
            processing_mode,
            payload_id,
            time_stamp,
            sender_id,
            receiver_id,
            core_rule_version,
            payload,
            error_code,
            error_message,
        })
    }

    /// The response to this request: same PayloadID, sender and receiver swapped.
    pub fn reply(
        &self,
        payload_type: &str,
        payload: String,
        code: &str,
        message: &str,
    ) -> Envelope {
        Envelope {
            payload_type: payload_type.to_string(),
            processing_mode: self.processing_mode,
            payload_id: self.payload_id.clone(),
            time_stamp: now_time_stamp(),
            sender_id: self.receiver_id.clone(),
            receiver_id: self.sender_id.clone(),
            core_rule_version: CORE_RULE_VERSION.to_string(),
            payload,
            error_code: Some(code.to_string()),
            error_message: Some(message.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_and_checks_fields() {
        let e = Envelope::request(
            payload_type::ELIGIBILITY_REQUEST,
            ProcessingMode::RealTime,
            "CLINIC",
            "CH",
            "ISA*00~".into(),
        );
        let (body, ct) = e.encode();
        assert_eq!(Envelope::decode(&ct, &body, false).unwrap(), e);
        assert_eq!(
            Envelope::decode(&ct, &body, true),
            Err(EnvelopeError::Missing(field::ERROR_CODE))
        );
        let mut bad = e.clone();
        bad.core_rule_version = "2.1.0".into();
        let (body, ct) = bad.encode();
        let err = Envelope::decode(&ct, &body, false).unwrap_err();
        assert_eq!(err.error_code(), "VersionMismatch");
        let fields: Vec<_> = e
            .fields()
            .into_iter()
            .filter(|(n, _)| *n != field::PAYLOAD_ID)
            .collect();
        let b = multipart::new_boundary();
        let err = Envelope::decode(
            &multipart::content_type(&b),
            &multipart::encode(&fields, &b),
            false,
        )
        .unwrap_err();
        assert_eq!(err, EnvelopeError::Missing("PayloadID"));
        assert_eq!(err.error_code(), "PayloadIDRequired");
    }
}
