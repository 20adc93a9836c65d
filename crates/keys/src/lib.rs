//! The key that encrypts a ClinicDesk store. It is made once, at random, and
//! kept either in the OS keychain or, where an administrator chose so, in a
//! key file wrapped with a passphrase. It is never written to disk in clear.

mod key;
pub mod keychain;
pub mod keyfile;

pub use key::StoreKey;
pub use keychain::Keychain;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the OS keychain is not reachable ({0}). ClinicDesk keeps the database key there: \
         unlock the desktop keyring and try again, or have an administrator set this store \
         up with a passphrase-protected key file"
    )]
    KeychainUnavailable(String),
    #[error(
        "the OS keychain has no key for this clinic's data (entry '{0}'). The data cannot be \
         opened without it; restore the keychain from backup, or use the key file if one was made"
    )]
    KeychainEntryMissing(String),
    #[error("the key file {0} does not exist")]
    KeyFileMissing(String),
    #[error("the passphrase does not unlock the key file {0}")]
    WrongPassphrase(String),
    #[error("the key file {path} is damaged or not a ClinicDesk key file: {detail}")]
    KeyFileCorrupt { path: String, detail: String },
    #[error(
        "the key file {path} can be read by other users (mode {mode:o}); \
         run `chmod 600 {path}` and try again"
    )]
    KeyFileExposed { path: String, mode: u32 },
    #[error("a passphrase must be at least 12 characters long")]
    WeakPassphrase,
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
}
