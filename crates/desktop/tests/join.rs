//! A new computer joins a running clinic from the first-run screen's calls:
//! a refused code leaves nothing behind, a good one brings the clinic's
//! people, who sign in with their usual passwords. Runs a real clinic
//! server in this process and needs a keychain (scripts/with-keyring.sh).

#[path = "../../sync/tests/support/mod.rs"]
mod support;

use clinicdesk_desktop::*;
use clinicdesk_domain::Role;
use clinicdesk_keys::Keychain;
use clinicdesk_store::NewUser;
use support::{desktop, Server};

const ROBIN: &str = "front desk passphrase";

#[test]
fn a_new_computer_joins_the_clinic_and_its_people_sign_in() {
    let server = Server::start(None);
    let (_office_dir, mut office, admin) = desktop("admin");
    let code = server.code(vec![Role::Admin]);
    clinicdesk_sync::enroll(&mut office, &admin, &server.url(), &code, "Office").unwrap();
    office
        .add_user(
            &admin,
            NewUser {
                username: "robin".into(),
                display_name: "Robin Reception".into(),
                role: Role::FrontDesk,
                password: ROBIN.into(),
                provider_id: None,
            },
        )
        .unwrap();
    clinicdesk_sync::sync_now(&mut office).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::new(dir.path(), Keychain::default());
    assert_eq!(desk.status().phase, Phase::FirstRun);
    let join = |code: String, device: &str| JoinInput {
        server_url: server.url(),
        code,
        device_name: device.into(),
        clinic_name: "Harbour Family Practice".into(),
        time_zone: Some("UTC".into()),
    };

    let e = desk
        .join_clinic(&join(server.code(vec![]), "  "))
        .unwrap_err();
    assert!(
        e.message.contains("Give this computer a name"),
        "{}",
        e.message
    );
    let e = desk
        .join_clinic(&join("AAAA-BBBB-CCCC-DDDD".into(), "Front desk 2"))
        .unwrap_err();
    assert_eq!(e.kind, "sync");
    assert!(
        e.message
            .starts_with("This computer could not join the clinic"),
        "{}",
        e.message
    );
    assert_eq!(desk.status().phase, Phase::FirstRun);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );

    let status = desk
        .join_clinic(&join(server.code(vec![Role::FrontDesk]), "Front desk 2"))
        .unwrap();
    assert_eq!(status.phase, Phase::Locked);
    assert!(!status.awaiting_accounts);
    assert_eq!(
        status.clinic_name.as_deref(),
        Some("Harbour Family Practice")
    );
    let signed_in = desk
        .login(&LoginInput {
            username: "robin".into(),
            password: ROBIN.into(),
            store_passphrase: None,
        })
        .unwrap();
    assert_eq!(signed_in.phase, Phase::Unlocked);
    assert_eq!(signed_in.session.unwrap().display_name, "Robin Reception");
    assert_eq!(desk.sync_status().unwrap().server, Some(server.url()));
    let e = desk
        .join_clinic(&join(server.code(vec![]), "Again"))
        .unwrap_err();
    assert_eq!(e.kind, "already-exists");
    server.stop();
}
