//! The connection every client test starts from: the simulator's ids and
//! user, short timeouts and retries.

use clinicdesk_clearinghouse::ConnectionConfig;

pub fn config(url: &str) -> ConnectionConfig {
    ConnectionConfig {
        name: "Test Clearinghouse".into(),
        endpoint: url.into(),
        sender_id: "CLINIC01".into(),
        receiver_id: "CLEARINGHOUSE".into(),
        isa_sender_id: None,
        isa_receiver_id: None,
        username: "clinic".into(),
        keychain_account: None,
        timeout_secs: 5,
        retries: 2,
        backoff_ms: 50,
        test: true,
    }
}
