//! `store.json`: the only unencrypted file in a data directory. It holds no
//! PHI and no key material, just what is needed to find the key.

use crate::error::{Result, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "store.json";
pub const DB_FILE: &str = "clinicdesk.db";
pub const KEY_FILE: &str = "clinicdesk.key";
const FORMAT: &str = "clinicdesk-store";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    /// The OS keychain, entry `ClinicDesk/<store id>`.
    Keychain,
    /// `clinicdesk.key` beside the database, wrapped with a passphrase.
    KeyFile,
}

/// How SQLCipher authenticates every page: fixed when the store is made,
/// since a page written under one cannot be read under the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageHmac {
    /// SQLCipher 4's default, and what stores made before this setting use.
    #[default]
    Sha512,
    /// Two to three times cheaper per page on processors with SHA-256
    /// instructions; every page read from disk or written is authenticated.
    Sha256,
}

impl PageHmac {
    /// SHA-256 where this processor computes it in hardware; elsewhere
    /// SHA-512, which is faster in software on 64-bit processors.
    pub fn for_this_machine() -> PageHmac {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("sha") {
            return PageHmac::Sha256;
        }
        #[cfg(target_arch = "aarch64")]
        if std::arch::is_aarch64_feature_detected!("sha2") {
            return PageHmac::Sha256;
        }
        PageHmac::Sha512
    }

    /// The value of SQLCipher's `cipher_hmac_algorithm`.
    pub fn sqlcipher_name(self) -> &'static str {
        match self {
            PageHmac::Sha512 => "HMAC_SHA512",
            PageHmac::Sha256 => "HMAC_SHA256",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreConfig {
    pub format: String,
    pub store_id: String,
    pub key_source: KeySource,
    /// Absent in stores made before it could be chosen: those use SHA-512.
    #[serde(default)]
    pub page_hmac: PageHmac,
}

impl StoreConfig {
    /// A new store's settings, with the page HMAC suited to this machine.
    pub fn new(store_id: String, key_source: KeySource) -> Self {
        StoreConfig {
            format: FORMAT.into(),
            store_id,
            key_source,
            page_hmac: PageHmac::for_this_machine(),
        }
    }

    /// The keychain account of this store's key.
    pub fn key_account(&self) -> String {
        format!("store-{}", self.store_id)
    }

    /// Where a new key waits during `rekey`, so a crash never strands the data.
    pub fn next_key_account(&self) -> String {
        format!("store-{}-next", self.store_id)
    }

    pub fn load(dir: &Path) -> Result<StoreConfig> {
        let path = dir.join(CONFIG_FILE);
        let shown = dir.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotAStore(shown))
            }
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let cfg: StoreConfig = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::invalid(format!("{} is damaged: {e}", path.display())))?;
        if cfg.format != FORMAT {
            return Err(StoreError::NotAStore(shown));
        }
        Ok(cfg)
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let body = serde_json::to_vec_pretty(self).expect("config serializes");
        write_atomic(&dir.join(CONFIG_FILE), &body)
    }
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

pub fn key_file_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

pub(crate) fn write_atomic(path: &Path, body: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |action: &'static str| {
        let p = path.display().to_string();
        move |source| StoreError::Io {
            action,
            path: p,
            source,
        }
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io("create"))?;
    f.write_all(body).map_err(io("write"))?;
    f.sync_all().map_err(io("sync"))?;
    std::fs::rename(&tmp, path).map_err(io("replace"))?;
    Ok(())
}

/// `$XDG_DATA_HOME/clinicdesk` or `~/.local/share/clinicdesk` on Linux and
/// other Unix systems; the usual application data folder elsewhere.
pub fn default_data_dir() -> Option<PathBuf> {
    let env_dir = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        return env_dir("APPDATA").map(|d| d.join("ClinicDesk"));
    }
    let home = env_dir("HOME");
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support/ClinicDesk"));
    }
    env_dir("XDG_DATA_HOME")
        .or_else(|| home.map(|h| h.join(".local/share")))
        .map(|d| d.join("clinicdesk"))
}
