//! A store key wrapped with a passphrase: Argon2id derives a wrapping key,
//! XChaCha20-Poly1305 seals the store key. Written once, mode 0600.

use crate::{KeyError, StoreKey};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

const FORMAT: &str = "clinicdesk-keyfile";
const AAD: &[u8] = b"clinicdesk-keyfile v1";

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for KdfParams {
    /// 64 MiB, three passes: roughly a quarter second on a clinic desktop.
    fn default() -> Self {
        KdfParams {
            m_kib: 64 * 1024,
            t: 3,
            p: 1,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    version: u32,
    kdf: String,
    params: KdfParams,
    salt: String,
    cipher: String,
    nonce: String,
    wrapped_key: String,
}

pub fn create(path: &Path, passphrase: &str, key: &StoreKey) -> Result<(), KeyError> {
    create_with(path, passphrase, key, KdfParams::default())
}

pub fn create_with(
    path: &Path,
    passphrase: &str,
    key: &StoreKey,
    params: KdfParams,
) -> Result<(), KeyError> {
    if passphrase.chars().count() < 12 {
        return Err(KeyError::WeakPassphrase);
    }
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let kek = derive(passphrase, &salt, params, path)?;
    let cipher = XChaCha20Poly1305::new((&*kek).into());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.as_bytes(),
                aad: AAD,
            },
        )
        .map_err(|_| corrupt(path, "sealing failed"))?;
    let doc = KeyFile {
        format: FORMAT.into(),
        version: 1,
        kdf: "argon2id".into(),
        params,
        salt: hex::encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: hex::encode(nonce),
        wrapped_key: hex::encode(sealed),
    };
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| corrupt(path, &e.to_string()))?;
    write_private(path, &body)
}

pub fn open(path: &Path, passphrase: &str) -> Result<StoreKey, KeyError> {
    let shown = path.display().to_string();
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyError::KeyFileMissing(shown))
        }
        Err(source) => {
            return Err(KeyError::Io {
                action: "read",
                path: shown,
                source,
            })
        }
    };
    check_private(path)?;
    let doc: KeyFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(path, &e.to_string()))?;
    if doc.format != FORMAT
        || doc.version != 1
        || doc.kdf != "argon2id"
        || doc.cipher != "xchacha20poly1305"
    {
        return Err(corrupt(path, "unknown format or version"));
    }
    let salt = hex::decode(&doc.salt).map_err(|_| corrupt(path, "bad salt"))?;
    let nonce = hex::decode(&doc.nonce).map_err(|_| corrupt(path, "bad nonce"))?;
    let sealed = hex::decode(&doc.wrapped_key).map_err(|_| corrupt(path, "bad wrapped key"))?;
    if nonce.len() != 24 || salt.len() < 8 {
        return Err(corrupt(path, "bad salt or nonce length"));
    }
    let kek = derive(passphrase, &salt, doc.params, path)?;
    let cipher = XChaCha20Poly1305::new((&*kek).into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: AAD,
                },
            )
            .map_err(|_| KeyError::WrongPassphrase(shown.clone()))?,
    );
    StoreKey::from_bytes(&plain).ok_or_else(|| corrupt(path, "wrapped key has the wrong length"))
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    p: KdfParams,
    path: &Path,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    // Refuse parameters a tampered file could use to exhaust memory or time.
    if p.m_kib > 4 * 1024 * 1024 || p.t > 64 || p.p > 16 {
        return Err(corrupt(path, "key derivation parameters out of range"));
    }
    let params =
        Params::new(p.m_kib, p.t, p.p, Some(32)).map_err(|e| corrupt(path, &e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| corrupt(path, &e.to_string()))?;
    Ok(out)
}

fn corrupt(path: &Path, detail: &str) -> KeyError {
    KeyError::KeyFileCorrupt {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

/// Write to a private temporary file beside the target, then rename, so a
/// crash never leaves a half-written key file.
fn write_private(path: &Path, body: &[u8]) -> Result<(), KeyError> {
    let io = |action: &'static str, source| KeyError::Io {
        action,
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = fs::remove_file(&tmp);
    let mut f = opts.open(&tmp).map_err(|e| io("create", e))?;
    f.write_all(body).map_err(|e| io("write", e))?;
    f.sync_all().map_err(|e| io("sync", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io("replace", e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|source| KeyError::Io {
            action: "inspect",
            path: path.display().to_string(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::KeyFileExposed {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams {
        m_kib: 256,
        t: 1,
        p: 1,
    };

    #[test]
    fn wraps_and_unwraps_with_the_right_passphrase_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        let key = StoreKey::generate();
        create_with(&path, "correct horse battery", &key, FAST).unwrap();
        assert_eq!(open(&path, "correct horse battery").unwrap(), key);
        assert!(matches!(
            open(&path, "wrong horse battery"),
            Err(KeyError::WrongPassphrase(_))
        ));
        let body = fs::read_to_string(&path).unwrap();
        assert!(
            !body.contains(key.to_hex().as_str()),
            "key must not be stored in clear"
        );
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_exposure_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        create_with(&path, "correct horse battery", &StoreKey::generate(), FAST).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            open(&path, "correct horse battery"),
            Err(KeyError::KeyFileExposed { .. })
        ));
    }

    #[test]
    fn short_passphrases_and_damaged_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        assert!(matches!(
            create(&path, "short", &StoreKey::generate()),
            Err(KeyError::WeakPassphrase)
        ));
        assert!(matches!(
            open(&path, "whatever at all"),
            Err(KeyError::KeyFileMissing(_))
        ));
        create_with(&path, "correct horse battery", &StoreKey::generate(), FAST).unwrap();
        let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        doc["params"]["m_kib"] = serde_json::json!(u32::MAX);
        fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
        assert!(matches!(
            open(&path, "correct horse battery"),
            Err(KeyError::KeyFileCorrupt { .. })
        ));
    }
}
