//! The built `clinicdesk-server` as an administrator runs it: codes,
//! devices, its certificate, and serving over TLS and (on loopback) HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn server(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_clinicdesk-server"));
    c.arg("--data").arg(data).env("CLINICDESK_LOG", "warn");
    c
}

fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = server(data).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path, port: u16, extra: &[&str]) -> Running {
    let child = server(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Running(child)
}

/// The raw response, or what came back before the server hung up (a TLS
/// server may close as soon as it sees plain HTTP).
fn get(stream: &mut impl ReadWrite, path: &str) -> String {
    let mut out = String::new();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_string(&mut out);
    }
    out
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[test]
fn an_administrator_issues_codes_and_lists_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, code, err) = run(dir.path(), &["enroll-code", "--roles", "front-desk,nurse"]);
    assert!(ok, "{err}");
    let code = code.trim();
    assert_eq!(code.len(), 19, "{code}");
    assert!(clinicdesk_sync_proto::enrollment::Code::parse(code).is_ok());
    assert!(err.contains("front-desk, nurse"), "{err}");
    let (ok, list, _) = run(dir.path(), &["devices", "list", "--json"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list).unwrap(),
        serde_json::json!([])
    );
    let (ok, _, err) = run(dir.path(), &["devices", "revoke", "nobody"]);
    assert!(!ok);
    assert!(err.contains("no enrolled device nobody"), "{err}");
    let (ok, _, err) = run(dir.path(), &["enroll-code", "--roles", "janitor"]);
    assert!(!ok);
    assert!(err.contains("janitor"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the store key is readable by others");
    }
}

#[test]
fn plain_http_is_only_for_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(dir.path(), &["--listen", "0.0.0.0:0", "--insecure-http"]);
    assert!(!ok);
    assert!(err.contains("only allowed on a loopback"), "{err}");

    let port = free_port();
    let _s = start(dir.path(), port, &["--insecure-http"]);
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let res = get(&mut tcp, "/health");
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.contains("\"status\":\"ok\""), "{res}");
}

/// Accepts any certificate and remembers it: the test compares it with the
/// fingerprint the server reports, as a desktop does when it pins it.
#[derive(Debug)]
struct Remember(Arc<Mutex<Vec<u8>>>, Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Remember {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().unwrap() = end_entity.to_vec();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

#[test]
fn it_serves_tls_with_the_certificate_it_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, fingerprint, err) = run(dir.path(), &["fingerprint"]);
    assert!(ok, "{err}");
    let fingerprint = fingerprint.trim().to_string();
    assert_eq!(fingerprint.len(), 64);

    let port = free_port();
    let _s = start(dir.path(), port, &[]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Remember(seen.clone(), provider)))
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(("127.0.0.1", port)).unwrap());
    let res = get(&mut tls, "/health");
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let der = seen.lock().unwrap().clone();
    assert_eq!(
        clinicdesk_server::tls::fingerprint_of_der(&der),
        fingerprint
    );

    // Plain HTTP to the TLS port gets nowhere.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let res = get(&mut tcp, "/health");
    assert!(!res.contains("\"status\":\"ok\""), "{res}");
}
