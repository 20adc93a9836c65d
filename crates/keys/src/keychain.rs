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
        let entry = self.entry(account)?;
        match again(|| entry.get_password()) {
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
        let entry = self.entry(account)?;
        again(|| entry.set_password(&key.to_hex())).map_err(unavailable)?;
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
        let entry = self.entry(account)?;
        again(|| entry.set_password(secret)).map_err(unavailable)?;
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
        let entry = self.entry(account)?;
        match again(|| entry.get_password()) {
            Ok(s) => Ok(Some(zeroize::Zeroizing::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn delete(&self, account: &str) -> Result<(), KeyError> {
        let entry = self.entry(account)?;
        match again(|| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Runs a keychain call, again when the keychain service went away in the
/// middle of it. On Linux the Secret Service daemon can exit mid-call
/// (gnome-keyring aborts on some session races); D-Bus starts it again at
/// the next call, so a short wait and a retry succeed. Every call here is
/// safe to repeat (set, get, delete).
fn again<T>(call: impl Fn() -> keyring::Result<T>) -> keyring::Result<T> {
    let mut tries = 0;
    loop {
        match call() {
            Err(keyring::Error::PlatformFailure(e)) if tries < 3 && went_away(&e.to_string()) => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(200 * tries));
            }
            other => return other,
        }
    }
}

/// The D-Bus errors of a service that vanished mid-call, as opposed to one
/// that refuses or is not installed.
fn went_away(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["disconnected", "noreply", "did not receive a reply"]
        .iter()
        .any(|m| message.contains(m))
}

fn unavailable(e: keyring::Error) -> KeyError {
    KeyError::KeychainUnavailable(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vanished_service_is_asked_again_and_a_refusal_is_not() {
        assert!(went_away(
            "DBus error: Message recipient disconnected from message bus without replying"
        ));
        assert!(went_away("org.freedesktop.DBus.Error.NoReply: timed out"));
        assert!(went_away(
            "DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply"
        ));
        assert!(!went_away(
            "DBus error: The name org.freedesktop.secrets was not provided by any .service files"
        ));
        assert!(!went_away("Cannot create an item in a locked collection"));

        let calls = std::cell::Cell::new(0);
        let answer = again(|| {
            calls.set(calls.get() + 1);
            if calls.get() < 3 {
                Err(keyring::Error::PlatformFailure(
                    "Message recipient disconnected from message bus without replying".into(),
                ))
            } else {
                Ok("key")
            }
        });
        assert_eq!((answer.unwrap(), calls.get()), ("key", 3));

        calls.set(0);
        let refused: keyring::Result<()> = again(|| {
            calls.set(calls.get() + 1);
            Err(keyring::Error::NoEntry)
        });
        assert!(matches!(refused, Err(keyring::Error::NoEntry)));
        assert_eq!(calls.get(), 1, "only a vanished service is asked again");
    }
}
