//! The password comes from the OS keychain (run under scripts/with-keyring.sh).

use clinicdesk_clearinghouse::sim::{Scenarios, SimConfig, Simulator};
use clinicdesk_clearinghouse::{check_eligibility, Client, ClientError, ConnectionConfig};
use clinicdesk_keys::Keychain;

mod common;

#[tokio::test]
async fn the_password_is_read_from_the_keychain() {
    let sim = Simulator::new(SimConfig {
        username: "clinic".into(),
        password: "from-the-keychain".into(),
        receiver_id: "CLEARINGHOUSE".into(),
        scenarios: Scenarios::builtin(),
    });
    let url = sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let service = format!("ClinicDesk-test-{}", uuid::Uuid::new_v4());
    let keychain = Keychain::with_service(&service);
    let config = ConnectionConfig {
        name: "Keychain Test".into(),
        retries: 0,
        backoff_ms: 10,
        ..common::config(&url)
    };
    match Client::from_keychain(config.clone(), &keychain) {
        Err(ClientError::PasswordMissing { name }) => assert_eq!(name, "Keychain Test"),
        other => panic!("expected a missing password, got {other:?}"),
    }
    keychain
        .save_secret(&config.keychain_account(), "from-the-keychain")
        .expect("keychain (run the tests under scripts/with-keyring.sh)");
    let client = Client::from_keychain(config.clone(), &keychain).unwrap();
    let query = clinicdesk_clearinghouse::EligibilityQuery {
        payer_id: "12345".into(),
        payer_name: "Acme Health".into(),
        provider_npi: "1234567893".into(),
        provider_name: "Riverside Clinic".into(),
        provider_first_name: None,
        trace_originator: "9876543210".into(),
        member_id: "ACTIVE01".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        birth_date: "19801210".into(),
        gender: None,
        dependent: None,
        service_types: vec!["30".into()],
        service_date: None,
    };
    let r = check_eligibility(&client, &query).await.unwrap();
    assert!(r.active);
    keychain.delete(&config.keychain_account()).unwrap();
    assert!(keychain
        .load_secret(&config.keychain_account())
        .unwrap()
        .is_none());
}
