use clinicdesk_domain::{Permission, Role};
use clinicdesk_keys::KeyError;

/// Every failure a store operation can report. Messages are whole sentences
/// meant for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("the key does not open the clinic data in {0}; the data is untouched")]
    WrongKey(String),
    #[error("{0} holds no ClinicDesk data; run `clinicdesk-cli --data {0} init` to create a clinic there")]
    NotAStore(String),
    #[error("{0} already holds ClinicDesk data")]
    AlreadyExists(String),
    #[error(
        "this clinic's data was written by a newer ClinicDesk (schema {found}; this version knows up to {known}). \
         Update ClinicDesk on this computer; the data is untouched"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("the user name or password is not correct")]
    BadLogin,
    #[error("{role} users may not {}", .permission.describe())]
    Denied { role: Role, permission: Permission },
    #[error("{0}")]
    Forbidden(String),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Transition(String),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    PageCipher(#[from] clinicdesk_page_crypto::InstallError),
}

impl StoreError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        StoreError::Invalid(msg.into())
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }

    /// A short stable code for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Key(_) => "key",
            StoreError::WrongKey(_) => "wrong-key",
            StoreError::NotAStore(_) => "not-a-store",
            StoreError::AlreadyExists(_) => "already-exists",
            StoreError::NewerSchema { .. } => "newer-schema",
            StoreError::BadLogin => "bad-login",
            StoreError::Denied { .. } | StoreError::Forbidden(_) => "denied",
            StoreError::NotFound { .. } => "not-found",
            StoreError::Invalid(_) => "invalid",
            StoreError::Conflict(_) => "conflict",
            StoreError::Transition(_) => "transition",
            StoreError::Io { .. } => "io",
            StoreError::Sqlite(_) => "database",
            StoreError::PageCipher(_) => "page-cipher",
        }
    }
}

impl From<clinicdesk_domain::local_time::LocalTimeError> for StoreError {
    fn from(e: clinicdesk_domain::local_time::LocalTimeError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Validation helpers return `Result<T, String>`; this lifts them.
pub(crate) trait OrInvalid<T> {
    fn or_invalid(self) -> Result<T>;
}

impl<T> OrInvalid<T> for std::result::Result<T, String> {
    fn or_invalid(self) -> Result<T> {
        self.map_err(StoreError::Invalid)
    }
}
