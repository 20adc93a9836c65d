//! The SFTP batch drop against a real OpenSSH server on loopback, started
//! by scripts/with-sshd.sh: the pinned host key, key and password logins,
//! atomic uploads that a resend does not duplicate, inbound pick-up that
//! moves only applied files, and the errors staff see.

use clinicdesk_clearinghouse::sftp::{
    batch_file_name, fetch_inbound, Delivery, SftpConfig, SftpError, SftpSession, PROCESSED_DIR,
};
use std::path::PathBuf;

struct Server {
    host: String,
    port: u16,
    user: String,
    key: PathBuf,
    password: Option<String>,
    fingerprint: String,
    root: PathBuf,
}

fn server() -> Option<Server> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let Some(host) = var("CLINICDESK_SFTP_HOST") else {
        let msg = "CLINICDESK_SFTP_HOST is not set; run under scripts/with-sshd.sh";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        println!("skipped: {msg}");
        return None;
    };
    Some(Server {
        host,
        port: var("CLINICDESK_SFTP_PORT").unwrap().parse().unwrap(),
        user: var("CLINICDESK_SFTP_USER").unwrap(),
        key: var("CLINICDESK_SFTP_KEY").unwrap().into(),
        password: var("CLINICDESK_SFTP_PASSWORD"),
        fingerprint: var("CLINICDESK_SFTP_HOSTKEY_SHA256").unwrap(),
        root: var("CLINICDESK_SFTP_ROOT").unwrap().into(),
    })
}

/// A fresh pair of folders for one test, so tests can run side by side.
fn config(s: &Server, test: &str) -> SftpConfig {
    let out = s.root.join(format!("{test}-out"));
    let inbound = s.root.join(format!("{test}-in"));
    for d in [&out, &inbound] {
        // Left over from an earlier run under the same server: start afresh.
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
        // The server runs as the test account; as root the folders must be its.
        let _ = std::process::Command::new("chown")
            .arg(&s.user)
            .arg(d)
            .status();
    }
    SftpConfig {
        name: "Harbour Drop".into(),
        host: s.host.clone(),
        port: s.port,
        username: s.user.clone(),
        private_key: Some(s.key.clone()),
        outbound_dir: out.display().to_string(),
        inbound_dir: inbound.display().to_string(),
        host_key_sha256: s.fingerprint.clone(),
        timeout_secs: 10,
    }
}

#[test]
fn a_batch_is_uploaded_once_whatever_the_resends() {
    let Some(s) = server() else { return };
    let c = config(&s, "upload");
    let session = SftpSession::connect(&c, None).unwrap();
    let name = batch_file_name(17);
    let x12 = "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*CLEARINGHOUSE  *261122*1200*^*00501*000000017*0*T*:~";
    assert_eq!(
        session.deliver(&name, x12.as_bytes()).unwrap(),
        Delivery::Uploaded
    );
    let local = PathBuf::from(&c.outbound_dir).join(&name);
    assert_eq!(std::fs::read_to_string(&local).unwrap(), x12);
    // A resend finds the file there and leaves it alone, in a new session too.
    assert_eq!(
        session.deliver(&name, b"something else").unwrap(),
        Delivery::AlreadyThere
    );
    let again = SftpSession::connect(&c, None).unwrap();
    assert_eq!(
        again.deliver(&name, x12.as_bytes()).unwrap(),
        Delivery::AlreadyThere
    );
    assert_eq!(std::fs::read_to_string(&local).unwrap(), x12);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&c.outbound_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![name.clone()]);
    // A leftover partial upload from a run that died is replaced.
    let name2 = batch_file_name(18);
    std::fs::write(
        PathBuf::from(&c.outbound_dir).join(format!(".{name2}.part")),
        "half a fi",
    )
    .unwrap();
    let _ = std::process::Command::new("chown")
        .arg(&s.user)
        .arg(PathBuf::from(&c.outbound_dir).join(format!(".{name2}.part")))
        .status();
    assert_eq!(
        session.deliver(&name2, b"whole file").unwrap(),
        Delivery::Uploaded
    );
    assert_eq!(
        std::fs::read_to_string(PathBuf::from(&c.outbound_dir).join(&name2)).unwrap(),
        "whole file"
    );
}

#[test]
fn inbound_files_are_moved_only_once_applied() {
    let Some(s) = server() else { return };
    let c = config(&s, "inbound");
    let dir = PathBuf::from(&c.inbound_dir);
    for (name, text) in [
        ("a-999.x12", "good 999"),
        ("b-835.x12", "bad file"),
        ("c-277.x12", "good 277"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    // Partial uploads and hidden files are not picked up.
    std::fs::write(dir.join(".d.x12.part"), "partial").unwrap();
    let session = SftpSession::connect(&c, None).unwrap();
    assert_eq!(
        session.inbound().unwrap(),
        vec!["a-999.x12", "b-835.x12", "c-277.x12"]
    );
    let mut seen = Vec::new();
    let report = fetch_inbound(&session, "desk-1", |name, bytes| {
        seen.push(name.to_string());
        let text = String::from_utf8_lossy(bytes);
        if text.starts_with("good") {
            Ok(format!("applied {text}"))
        } else {
            Err("not X12".into())
        }
    })
    .unwrap();
    assert_eq!(seen, vec!["a-999.x12", "b-835.x12", "c-277.x12"]);
    assert_eq!(
        report.applied,
        vec![
            ("a-999.x12".to_string(), "applied good 999".to_string()),
            ("c-277.x12".to_string(), "applied good 277".to_string())
        ]
    );
    assert_eq!(
        report.failed,
        vec![("b-835.x12".to_string(), "not X12".to_string())]
    );
    assert!(dir.join(PROCESSED_DIR).join("a-999.x12").is_file());
    assert!(dir.join("b-835.x12").is_file(), "a file not applied stays");
    // The next pick-up sees only what is left.
    let mut again = Vec::new();
    fetch_inbound(&session, "desk-1", |name, _| {
        again.push(name.to_string());
        Err("still bad".into())
    })
    .unwrap();
    assert_eq!(again, vec!["b-835.x12"]);
}

/// Two desktops picking up from one drop: a file is applied by whichever
/// takes it first, never by both; a desktop that stopped half-way applies
/// what it had taken at its next pick-up.
#[test]
fn each_inbound_file_is_applied_by_one_desktop_only() {
    let Some(s) = server() else { return };
    let c = config(&s, "two-desks");
    let dir = PathBuf::from(&c.inbound_dir);
    std::fs::write(dir.join("835-a.x12"), "remittance a").unwrap();
    std::fs::write(dir.join("835-b.x12"), "remittance b").unwrap();
    let first = SftpSession::connect(&c, None).unwrap();
    let second = SftpSession::connect(&c, None).unwrap();

    // The first desktop takes 835-a and stops before applying it.
    assert!(first.claim("835-a.x12", "desk-1").unwrap());
    // The second cannot take it, and applies only 835-b.
    assert!(!second.claim("835-a.x12", "desk-2").unwrap());
    let mut applied_by_second = Vec::new();
    fetch_inbound(&second, "desk-2", |name, _| {
        applied_by_second.push(name.to_string());
        Ok("posted".into())
    })
    .unwrap();
    assert_eq!(applied_by_second, vec!["835-b.x12"]);

    // The first desktop's next pick-up finishes 835-a.
    let report = fetch_inbound(&first, "desk-1", |_, bytes| {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    })
    .unwrap();
    assert_eq!(
        report.applied,
        vec![("835-a.x12".to_string(), "remittance a".to_string())]
    );
    for name in ["835-a.x12", "835-b.x12"] {
        assert!(dir.join(PROCESSED_DIR).join(name).is_file(), "{name}");
    }
    assert_eq!(first.inbound().unwrap(), Vec::<String>::new());
    assert_eq!(first.claimed("desk-1").unwrap(), Vec::<String>::new());
}

#[test]
fn a_host_with_another_key_is_refused_before_logging_in() {
    let Some(s) = server() else { return };
    let mut c = config(&s, "hostkey");
    c.host_key_sha256 = "SHA256:0OsfNd6j1cE1K4C+0pGHU/YWfjuF6fJmmCs7+vaFMfE".into();
    let e = SftpSession::connect(&c, None).err().unwrap();
    assert!(matches!(e, SftpError::HostKeyMismatch { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains(&s.fingerprint) && text.contains("nothing was sent"),
        "{text}"
    );
}

#[test]
fn logins_and_their_failures() {
    let Some(s) = server() else { return };
    let c = config(&s, "login");
    // A key the server does not know.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other_key");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut wrong_key = c.clone();
    wrong_key.private_key = Some(other);
    let e = SftpSession::connect(&wrong_key, None).err().unwrap();
    assert!(
        matches!(
            e,
            SftpError::AuthFailed {
                what: "private key",
                ..
            }
        ),
        "{e}"
    );
    let mut missing = c.clone();
    missing.private_key = Some(dir.path().join("nope"));
    let e = SftpSession::connect(&missing, None).err().unwrap();
    assert!(matches!(e, SftpError::KeyFile { .. }), "{e}");

    let mut by_password = c.clone();
    by_password.private_key = None;
    let e = SftpSession::connect(&by_password, Some("wrong password"))
        .err()
        .unwrap();
    assert!(
        matches!(
            e,
            SftpError::AuthFailed {
                what: "password",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("check them in the payer settings"),
        "{e}"
    );
    if let Some(p) = &s.password {
        let session = SftpSession::connect(&by_password, Some(p)).unwrap();
        assert_eq!(session.inbound().unwrap(), Vec::<String>::new());
    }
}

#[test]
fn missing_folders_and_unreachable_servers_are_said_plainly() {
    let Some(s) = server() else { return };
    let mut c = config(&s, "folders");
    c.outbound_dir = s.root.join("no-such-folder").display().to_string();
    let session = SftpSession::connect(&c, None).unwrap();
    let e = session.deliver(&batch_file_name(1), b"x").unwrap_err();
    assert!(matches!(e, SftpError::NoSuchDir { .. }), "{e}");
    assert!(e.to_string().contains("no-such-folder"), "{e}");

    // Nothing listens on a port just freed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut down = config(&s, "down");
    down.port = port;
    let e = SftpSession::connect(&down, None).err().unwrap();
    assert!(matches!(e, SftpError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains("could not be reached"), "{e}");

    // A server that accepts the connection and never speaks: a timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut slow = config(&s, "slow");
    slow.port = silent.local_addr().unwrap().port();
    slow.timeout_secs = 1;
    let started = std::time::Instant::now();
    let e = SftpSession::connect(&slow, None).err().unwrap();
    assert!(matches!(e, SftpError::Timeout { secs: 1, .. }), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
