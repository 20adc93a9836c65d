//! A refused action as the screens show it: a stable kind for the code and a
//! sentence for the person at the keyboard.

use clinicdesk_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskError {
    /// `locked`, `first-run`, `bad-login`, `denied`, `not-found`, `invalid`,
    /// `conflict`, `transition`, `wrong-key`, `key`, `io`, `internal`, …
    pub kind: String,
    pub message: String,
}

impl DeskError {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        DeskError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        DeskError::new("invalid", message)
    }

    pub fn locked(message: impl Into<String>) -> Self {
        DeskError::new("locked", message)
    }
}

impl std::fmt::Display for DeskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeskError {}

/// The store's messages are already sentences for users; they only need a
/// capital letter and a full stop. Database and I/O failures are not the
/// user's to fix, so they say what happened and that nothing was saved.
impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        let kind = e.code();
        let message = match &e {
            StoreError::Sqlite(_) => format!(
                "The clinic data could not be read or saved ({e}). Nothing was changed; try again, and call your administrator if it keeps happening"
            ),
            StoreError::NotFound { what, .. } => {
                format!("That {what} no longer exists; it may have been removed on another computer")
            }
            _ => e.to_string(),
        };
        DeskError::new(kind, sentence(&message))
    }
}

fn sentence(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    let mut chars = s.trim().chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_messages_become_sentences() {
        let e: DeskError = StoreError::BadLogin.into();
        assert_eq!(e.kind, "bad-login");
        assert_eq!(e.message, "The user name or password is not correct.");
        let e: DeskError = StoreError::invalid("the end date is before the start date?").into();
        assert_eq!(e.message, "The end date is before the start date?");
    }

    #[test]
    fn missing_records_are_explained() {
        let e: DeskError = StoreError::not_found("appointment", "a-1").into();
        assert_eq!(e.kind, "not-found");
        assert!(e.message.starts_with("That appointment no longer exists"));
        assert!(!e.message.contains("a-1"));
    }
}
