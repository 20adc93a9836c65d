//! The OS keychain: Secret Service over D-Bus on Linux, Keychain on macOS,
//! Credential Manager on Windows.

use crate::{KeyError, StoreKey};

pub const SERVICE: &str = "ClinicDesk";

#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain {
            service: SERVICE.to_string(),
        }
    }
}

impl Keychain {
    pub fn with_service(service: impl Into<String>) -> Self {
        Keychain {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, KeyError> {
        keyring::Entry::new(&self.service, account).map_err(unavailable)
    }

    /// Reads a key; `Ok(None)` when the keychain works but holds no such entry.
    pub fn load(&self, account: &str) -> Result<Option<StoreKey>, KeyError> {
        match self.entry(account)?.get_password() {
            Ok(hex) => StoreKey::from_hex(&zeroize::Zeroizing::new(hex))
                .map(Some)
                .ok_or_else(|| KeyError::KeyFileCorrupt {
                    path: format!("keychain entry {}/{account}", self.service),
                    detail: "the stored value is not a 256-bit key".into(),
                }),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn require(&self, account: &str) -> Result<StoreKey, KeyError> {
        self.load(account)?
            .ok_or_else(|| KeyError::KeychainEntryMissing(format!("{}/{account}", self.service)))
    }

    pub fn save(&self, account: &str, key: &StoreKey) -> Result<(), KeyError> {
        self.entry(account)?
            .set_password(&key.to_hex())
            .map_err(unavailable)?;
        // Read back: some keyrings accept a write they cannot keep.
        match self.load(account)? {
            Some(k) if &k == key => Ok(()),
            _ => Err(KeyError::KeychainUnavailable(
                "the keychain accepted the key but does not return it".into(),
            )),
        }
    }

    /// Stores a text secret (say a clearinghouse password) under `account`.
    pub fn save_secret(&self, account: &str, secret: &str) -> Result<(), KeyError> {
        self.entry(account)?
            .set_password(secret)
            .map_err(unavailable)?;
        match self.load_secret(account)? {
            Some(s) if *s == secret => Ok(()),
            _ => Err(KeyError::KeychainUnavailable(
                "the keychain accepted the secret but does not return it".into(),
            )),
        }
    }

    /// Reads a text secret; `Ok(None)` when there is no such entry.
    pub fn load_secret(
        &self,
        account: &str,
    ) -> Result<Option<zeroize::Zeroizing<String>>, KeyError> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(zeroize::Zeroizing::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn delete(&self, account: &str) -> Result<(), KeyError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn unavailable(e: keyring::Error) -> KeyError {
    KeyError::KeychainUnavailable(e.to_string())
}
