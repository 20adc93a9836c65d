//! The page cipher under ClinicDesk's encrypted stores.
//!
//! SQLCipher encrypts every page with AES-256-CBC and authenticates it with
//! an HMAC, through whichever "crypto provider" is registered. The one it is
//! built with here calls OpenSSL 3, which looks its algorithms up again and
//! builds a fresh cipher and HMAC context for every page: about half of what
//! a page costs. [`install`] registers a provider doing the same algorithms
//! with RustCrypto (AES-NI and the SHA extensions where the processor has
//! them), so each page is byte for byte what SQLCipher 4 writes and every
//! existing store opens unchanged.

mod provider;

use rusqlite::Connection;
use std::ffi::c_void;
use std::os::raw::c_int;
use std::sync::OnceLock;

/// What `PRAGMA cipher_provider` reports on a connection using this cipher.
pub const PROVIDER_NAME: &str = match provider::NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("the provider's name is ASCII"),
};

/// The SQLCipher release whose `sqlcipher_provider` table `provider.rs` mirrors.
const SQLCIPHER_VERSION: &str = "4.6.1";

#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the encryption of the clinic data could not be set up ({0}); nothing was opened or changed"
)]
pub struct InstallError(String);

extern "C" {
    // Both are part of SQLCipher's provider interface (crypto.h) and are
    // compiled into the bundled library that rusqlite links.
    fn sqlcipher_malloc(size: u64) -> *mut c_void;
    fn sqlcipher_register_provider(p: *mut provider::Provider) -> c_int;
}

/// Makes every SQLCipher connection keyed after this call use this crate's
/// cipher. Idempotent and thread-safe; call it before opening a store.
pub fn install() -> Result<(), InstallError> {
    static INSTALLED: OnceLock<Result<(), InstallError>> = OnceLock::new();
    INSTALLED.get_or_init(register).clone()
}

fn register() -> Result<(), InstallError> {
    let fail = |what: &str, e: rusqlite::Error| InstallError(format!("{what}: {e}"));
    // SQLCipher frees the registered provider and falls back to its default
    // once no keyed connection is left. One keyed in-memory connection held
    // for the life of the process keeps that from ever happening.
    let keeper = keyed_memory_connection().map_err(|e| fail("keyed connection", e))?;
    let version: String = keeper
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .map_err(|e| fail("SQLCipher version", e))?;
    if version.split_whitespace().next() != Some(SQLCIPHER_VERSION) {
        // The provider table's layout is SQLCipher's, not a stable ABI: a
        // different SQLCipher keeps its own provider, which the store's tests
        // notice, rather than being handed a table that may not fit.
        return Ok(());
    }
    Box::leak(Box::new(keeper));
    // SAFETY: SQLCipher takes ownership of a provider it can free with
    // `sqlcipher_free`, so it is allocated with `sqlcipher_malloc` and filled
    // in completely before being handed over. Registration is guarded by
    // SQLCipher's provider mutex, and each codec copies the provider when it
    // is made, so connections already open keep the one they started with.
    unsafe {
        let p = sqlcipher_malloc(std::mem::size_of::<provider::Provider>() as u64)
            .cast::<provider::Provider>();
        if p.is_null() {
            return Err(InstallError("out of memory".into()));
        }
        p.write(provider::PROVIDER);
        if sqlcipher_register_provider(p) != 0 {
            return Err(InstallError("SQLCipher refused the provider".into()));
        }
    }
    let probe = keyed_memory_connection().map_err(|e| fail("check connection", e))?;
    let name = provider_of(&probe).map_err(|e| fail("check connection", e))?;
    if name != PROVIDER_NAME {
        return Err(InstallError(format!(
            "a new connection still uses the \"{name}\" provider"
        )));
    }
    Ok(())
}

fn keyed_memory_connection() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))?;
    Ok(conn)
}

/// The crypto provider a keyed connection uses (`PRAGMA cipher_provider`).
pub fn provider_of(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("PRAGMA cipher_provider", [], |r| r.get(0))
}
