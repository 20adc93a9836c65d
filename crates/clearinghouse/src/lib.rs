//! Payer connectivity for ClinicDesk: the CAQH CORE connectivity envelope
//! over HTTP MIME multipart (Connectivity Rule vC2.2.0), a client with
//! credentials from the OS keychain, timeouts and idempotent retries, the
//! real-time eligibility exchange (270 out, 271 back), real-time claim
//! status (276 out, 277 back), the SFTP batch drop, and a clearinghouse
//! simulator that speaks the CORE protocol.

pub mod claim_status;
pub mod client;
pub mod eligibility;
pub mod envelope;
pub mod multipart;
pub mod sftp;
pub mod sim;

pub use claim_status::{
    check_claim_status, check_claim_status_as, ClaimStatusAnswer, ClaimStatusError,
};
pub use client::{Client, ClientError, ConnectionConfig};
pub use eligibility::{
    check_eligibility, check_eligibility_as, Dependent, EligibilityError, EligibilityQuery,
    EligibilityResult, Rejection, ServiceBenefits,
};
pub use envelope::{Envelope, EnvelopeError, ProcessingMode, CORE_RULE_VERSION};
