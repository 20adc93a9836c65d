//! What can go wrong in a command, and the exit code each failure maps to.

use clinicdesk_store::StoreError;
use std::fmt;

/// Exit codes: 1 for a refused or failed operation, 2 for a usage error
/// (clap uses 2 too), 3 for an audit trail that does not verify.
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AUDIT_BROKEN: u8 = 3;

#[derive(Debug)]
pub enum CliError {
    /// The store refused or failed; its message is already a sentence.
    Store(StoreError),
    /// The command line is incomplete or contradictory.
    Usage(String),
    /// Anything else that stops the command (no password, unreadable file...).
    Failed(String),
    /// `audit verify` found a broken chain; the details were printed already.
    AuditBroken(String),
}

impl CliError {
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError::Usage(msg.into())
    }

    pub fn failed(msg: impl Into<String>) -> Self {
        CliError::Failed(msg.into())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Store(_) | CliError::Failed(_) => EXIT_FAILED,
            CliError::Usage(_) => EXIT_USAGE,
            CliError::AuditBroken(_) => EXIT_AUDIT_BROKEN,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Store(e) => write!(f, "{e}"),
            CliError::Usage(m) | CliError::Failed(m) | CliError::AuditBroken(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Store(e)
    }
}

impl From<clinicdesk_keys::KeyError> for CliError {
    fn from(e: clinicdesk_keys::KeyError) -> Self {
        CliError::Store(StoreError::Key(e))
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;
