//! Sending claim batches from the store's outbox through their connection:
//! CORE batch mode, with the batch's id as PayloadID and the 999 that comes
//! back applied at once, or an SFTP drop, under a file name made from the
//! control number, where a file already there is not uploaded twice. So a
//! resend after a lost answer is recognised by the receiver.
//!
//! An attempt that got no answer (network down, time-out, the other side's
//! own trouble) leaves the batch queued and tries again later, waiting
//! longer each time; one that cannot succeed as things are (settings,
//! password, host key) marks the batch failed with what to fix.

use crate::delivery::{apply_payer_file, batch_connection};
use clinicdesk_clearinghouse::envelope::payload_type;
use clinicdesk_clearinghouse::sftp::{self, Delivery, SftpConfig, SftpError, SftpSession};
use clinicdesk_clearinghouse::{Client, ClientError, ConnectionConfig, ProcessingMode};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{
    delivery_session, sftp_secret_account, Batch, PayerConnection, SftpDrop, Store, Transport,
};
use std::path::PathBuf;

/// The wait before the first retry; it doubles with each attempt that gets
/// no answer, up to [`LAST_RETRY`].
pub const FIRST_RETRY: i64 = 30;
pub const LAST_RETRY: i64 = 15 * 60;

/// Seconds to wait after `attempts` attempts that got no answer.
pub fn retry_delay(attempts: i64) -> i64 {
    (FIRST_RETRY << attempts.clamp(0, 10)).min(LAST_RETRY)
}

/// What one attempt did, in a sentence for the biller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent(String),
    /// Still queued; tried again later.
    PutOff(String),
    /// Needs someone to fix something, then "Send again".
    Failed(String),
}

/// Why an attempt did not get through.
enum NotSent {
    /// Worth trying again later.
    Transient(String),
    Fatal(String),
}

/// The CORE client of a connection, its password from the keychain under
/// `clearinghouse/<name>` (as the payer settings store it). `retries` are
/// the client's own quick retries; the outbox retries on a longer schedule.
pub fn core_client(
    conn: &PayerConnection,
    keychain: &Keychain,
    retries: u32,
) -> Result<Client, ClientError> {
    let config = ConnectionConfig {
        name: conn.name.clone(),
        endpoint: conn.endpoint.clone(),
        sender_id: conn.sender_id.clone(),
        receiver_id: conn.receiver_id.clone(),
        isa_sender_id: None,
        isa_receiver_id: None,
        username: conn.username.clone(),
        keychain_account: None,
        timeout_secs: conn.timeout_secs,
        retries,
        backoff_ms: 500,
        test: conn.test,
    };
    Client::from_keychain(config, keychain)
}

/// Worth asking again later: nobody answered, or the answer was the other
/// side's own trouble.
pub fn transient(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Timeout { .. }
            | ClientError::Unreachable { .. }
            | ClientError::ServerError { .. }
    )
}

/// An authenticated session with a connection's SFTP drop; the password
/// (or the private key's passphrase) from the keychain under `sftp/<name>`.
pub fn sftp_session(
    conn: &PayerConnection,
    drop: &SftpDrop,
    keychain: &Keychain,
) -> Result<SftpSession, String> {
    sftp_connect(conn, drop, keychain).map_err(|e| match e {
        NotSent::Transient(s) | NotSent::Fatal(s) => s,
    })
}

fn sftp_connect(
    conn: &PayerConnection,
    drop: &SftpDrop,
    keychain: &Keychain,
) -> Result<SftpSession, NotSent> {
    let secret = keychain
        .load_secret(&sftp_secret_account(&conn.name))
        .map_err(|e| NotSent::Fatal(format!("The keychain could not be read: {e}")))?;
    if drop.private_key.is_none() && secret.is_none() {
        return Err(NotSent::Fatal(format!(
            "No SFTP password for {} is stored in the keychain; enter it in the payer settings.",
            conn.name
        )));
    }
    let config = SftpConfig {
        name: conn.name.clone(),
        host: drop.host.clone(),
        port: drop.port,
        username: drop.username.clone(),
        private_key: drop.private_key.as_ref().map(PathBuf::from),
        outbound_dir: drop.outbound_dir.clone(),
        inbound_dir: drop.inbound_dir.clone(),
        host_key_sha256: drop.host_key_sha256.clone(),
        timeout_secs: conn.timeout_secs,
    };
    SftpSession::connect(&config, secret.as_deref().map(|s| s.as_str())).map_err(sftp_error)
}

fn sftp_error(e: SftpError) -> NotSent {
    match e {
        SftpError::Unreachable { .. } | SftpError::Timeout { .. } | SftpError::Protocol { .. } => {
            NotSent::Transient(e.to_string())
        }
        _ => NotSent::Fatal(e.to_string()),
    }
}

fn send_sftp(
    conn: &PayerConnection,
    drop: &SftpDrop,
    keychain: &Keychain,
    b: &Batch,
) -> Result<String, NotSent> {
    let session = sftp_connect(conn, drop, keychain)?;
    let name = sftp::batch_file_name(b.control_number);
    match session
        .deliver(&name, b.x12.as_bytes())
        .map_err(sftp_error)?
    {
        Delivery::Uploaded => Ok(format!("uploaded {}/{name}", drop.outbound_dir)),
        Delivery::AlreadyThere => Ok(format!(
            "{}/{name} was already delivered; not sent twice",
            drop.outbound_dir
        )),
    }
}

/// Sends in CORE batch mode and applies the 999 that comes back.
fn send_core(
    store: &mut Store,
    conn: &PayerConnection,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    b: &Batch,
) -> Result<String, NotSent> {
    let client = core_client(conn, keychain, 1).map_err(|e| NotSent::Fatal(e.to_string()))?;
    let mut request = client.envelope(
        payload_type::PROFESSIONAL_CLAIM_REQUEST,
        ProcessingMode::Batch,
        b.x12.clone(),
    );
    request.payload_id = b.id.clone();
    let answer = runtime.block_on(client.send(&request)).map_err(|e| {
        if transient(&e) {
            NotSent::Transient(e.to_string())
        } else {
            NotSent::Fatal(e.to_string())
        }
    })?;
    Ok(
        match apply_payer_file(store, &delivery_session(), answer.payload.as_bytes()) {
            Ok(note) => format!("sent; {note}"),
            Err(e) => format!("sent, but the answer could not be applied: {e}"),
        },
    )
}

/// One attempt at one batch, its outcome recorded in the store.
pub fn deliver(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    batch: &Batch,
    now: i64,
) -> clinicdesk_store::Result<Attempt> {
    let conn = match batch_connection(store, &delivery_session(), batch) {
        Ok(c) => c,
        Err(crate::BillingError::Store(e)) => return Err(e),
        Err(e) => {
            let why = e.to_string();
            store.batch_failed(&batch.id, None, &why)?;
            return Ok(Attempt::Failed(why));
        }
    };
    let result = match &conn.transport {
        Transport::Sftp(drop) => send_sftp(&conn, drop, keychain, batch),
        Transport::Core => send_core(store, &conn, keychain, runtime, batch),
    };
    Ok(match result {
        Ok(note) => {
            store.batch_delivered(&batch.id, &conn.name, &note)?;
            Attempt::Sent(note)
        }
        Err(NotSent::Transient(why)) => {
            let retry_at = now + retry_delay(batch.attempts);
            store.batch_put_off(&batch.id, &conn.name, &why, retry_at)?;
            Attempt::PutOff(why)
        }
        Err(NotSent::Fatal(why)) => {
            store.batch_failed(&batch.id, Some(&conn.name), &why)?;
            Attempt::Failed(why)
        }
    })
}

/// Sends every batch of this desktop that is due, one at a time, telling
/// `each` what became of it; stops early when `each` returns false.
/// Returns how many were attempted.
pub fn send_due(
    store: &mut Store,
    keychain: &Keychain,
    runtime: &tokio::runtime::Runtime,
    mut each: impl FnMut(&Batch, &Attempt) -> bool,
) -> clinicdesk_store::Result<usize> {
    let mut done = 0;
    loop {
        let now = clinicdesk_store::write::now_seconds();
        let Some(batch) = store.claim_outbox(now, 1)?.into_iter().next() else {
            return Ok(done);
        };
        let attempt = deliver(store, keychain, runtime, &batch, now)?;
        done += 1;
        if !each(&batch, &attempt) {
            return Ok(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_a_quarter_hour() {
        assert_eq!(retry_delay(0), 30);
        assert_eq!(retry_delay(1), 60);
        assert_eq!(retry_delay(4), 480);
        assert_eq!(retry_delay(5), LAST_RETRY);
        assert_eq!(retry_delay(400), LAST_RETRY);
        assert_eq!(retry_delay(-3), 30);
    }
}
