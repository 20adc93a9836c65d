//! What can go wrong, in sentences for the person who ran the import.

use clinicdesk_store::StoreError;
use serde::Serialize;
use std::fmt;

/// One thing wrong with one resource (or with an input item that is not one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `Patient/example`, a fullUrl, or `input[2]` when there is no better name.
    pub resource: String,
    pub message: String,
}

/// Messages quote what was imported; a hostile input must not make them huge.
const MAX_MESSAGE: usize = 400;

impl Problem {
    pub fn new(resource: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            resource: crate::json::shorten(&resource.into(), 120),
            message: shorten_middle(&message.into(), MAX_MESSAGE),
        }
    }
}

/// Store messages quote the value first and explain after it
/// ("phone '…' is not a phone number"): keep both ends.
fn shorten_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max / 2).collect();
    let tail: String = s.chars().skip(n - (max - max / 2 - 1)).collect();
    format!("{head}…{tail}")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.resource, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The import was refused as a whole; nothing was written.
    #[error("the FHIR import was refused and nothing was written ({} problem{}):\n{}",
        .problems.len(), if .problems.len() == 1 { "" } else { "s" }, list(.problems))]
    Rejected { problems: Vec<Problem> },
    /// Permission, database or key trouble; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FhirError {
    /// The problems of a refused import; empty for other errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            FhirError::Rejected { problems } => problems,
            FhirError::Store(_) => &[],
        }
    }

    /// A short stable code for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            FhirError::Rejected { .. } => "fhir-rejected",
            FhirError::Store(e) => e.code(),
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
