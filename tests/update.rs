//! Signed updates end to end: version N, installed from its .deb, finds
//! N+1 on an update server on localhost, refuses a package signed by an
//! untrusted key and one whose bytes were altered, then downloads, verifies
//! and installs the real N+1, which then starts. The packages come from
//! `scripts/update-test-packages.sh`; installing them needs root, as CI is.

mod webdriver;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use webdriver::{driver, screenshots, Session};

const INSTALLED: &str = "/usr/bin/clinicdesk";
/// The bundler names the package after the product, ClinicDesk.
const PACKAGE: &str = "clinic-desk";
const PASSWORD: &str = "correct horse battery";

/// What the update server answers: the manifest, and packages by name.
#[derive(Default)]
struct Served {
    manifest: Value,
    files: Vec<(String, Vec<u8>)>,
}

/// A minimal HTTP/1.1 server on loopback: GET only, one request per
/// connection, which is all the updater needs.
fn serve(served: Arc<Mutex<Served>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let served = served.clone();
            std::thread::spawn(move || answer(stream, &served));
        }
    });
    port
}

fn answer(mut stream: TcpStream, served: &Mutex<Served>) {
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Headers are read and ignored; the updater sends no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, kind, body) = {
        let s = served.lock().expect("served");
        if path == "/latest.json" {
            (
                "200 OK",
                "application/json",
                s.manifest.to_string().into_bytes(),
            )
        } else if let Some((_, bytes)) = s.files.iter().find(|(n, _)| path == format!("/{n}")) {
            ("200 OK", "application/octet-stream", bytes.clone())
        } else {
            ("404 Not Found", "text/plain", b"not found".to_vec())
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

struct Packages {
    dir: PathBuf,
    old: String,
    new: String,
}

impl Packages {
    fn deb(&self, which: &str) -> PathBuf {
        std::fs::read_dir(self.dir.join(which))
            .expect("a package folder")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .unwrap_or_else(|| panic!("no .deb in {which}/"))
    }

    fn signature(&self, which: &str) -> String {
        let sig = PathBuf::from(format!("{}.sig", self.deb(which).display()));
        std::fs::read_to_string(sig)
            .expect("a signature")
            .trim()
            .to_string()
    }
}

/// None (with a note) where the test cannot run; CI must be able to.
fn packages() -> Option<Packages> {
    let dir = std::env::var_os("CLINICDESK_UPDATE_PACKAGES").map(PathBuf::from);
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let why = match (&dir, root) {
        (None, _) => {
            Some("CLINICDESK_UPDATE_PACKAGES is not set (scripts/update-test-packages.sh)")
        }
        (Some(d), _) if !d.join("versions.json").exists() => {
            Some("the update test packages are not built (scripts/update-test-packages.sh)")
        }
        (_, false) => Some("installing packages needs root"),
        _ => None,
    };
    if let Some(why) = why {
        assert!(
            std::env::var_os("CI").is_none(),
            "the update test must run in CI: {why}"
        );
        eprintln!("skipping the update test: {why}");
        return None;
    }
    let dir = dir.expect("checked above");
    let versions: Value =
        serde_json::from_slice(&std::fs::read(dir.join("versions.json")).expect("versions.json"))
            .expect("versions.json is JSON");
    Some(Packages {
        old: versions["old"].as_str().expect("old").to_string(),
        new: versions["new"].as_str().expect("new").to_string(),
        dir,
    })
}

fn installed_version() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", PACKAGE])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.strip_prefix("install ok installed ")
        .map(str::to_string)
}

fn dpkg(args: &[&str]) {
    let out = Command::new("dpkg")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .expect("dpkg runs");
    assert!(
        out.status.success(),
        "dpkg {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes the package whatever the test's outcome.
struct Uninstall;

impl Drop for Uninstall {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", PACKAGE])
            .stdout(Stdio::null())
            .status();
    }
}

fn manifest(version: &str, notes: &str, signature: &str, file: &str, port: u16) -> Value {
    json!({
        "version": version,
        "notes": notes,
        "pub_date": "2026-11-20T09:00:00Z",
        "platforms": {
            "linux-x86_64-deb": {
                "signature": signature,
                "url": format!("http://127.0.0.1:{port}/{file}"),
            }
        }
    })
}

/// Check for updates, see N+1 with its notes, press Install; returns the
/// sentence the dialog ends on (an error, or the installed notice).
fn check_and_install(s: &Session, new: &str, screenshot: Option<&str>) -> String {
    s.click("[data-testid=update-check]");
    s.wait_text("[data-testid=update-version]", new);
    s.wait_text("[data-testid=update-notes]", "Faster check-in");
    if let Some(name) = screenshot {
        s.screenshot(&screenshots().join(name));
    }
    s.click("[data-testid=update-install]");
    let until = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        for css in [
            "[data-testid=update-error]",
            "[data-testid=update-installed]",
        ] {
            if let Some(e) = s.all(css).first() {
                let text = s.text(e);
                if !text.is_empty() {
                    return text;
                }
            }
        }
        if std::time::Instant::now() > until {
            s.fail("the install neither finished nor failed within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn not_now(s: &Session) {
    s.click("[data-testid=update-not-now]");
    for _ in 0..50 {
        if s.all("[data-testid=update-dialog]").is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    s.fail("the update dialog did not close");
}

#[test]
fn version_n_finds_verifies_and_installs_n_plus_one() {
    let Some(p) = packages() else {
        return;
    };
    let _cleanup = Uninstall;
    dpkg(&["--purge", PACKAGE]);
    dpkg(&["-i", &p.deb("old").display().to_string()]);
    assert_eq!(installed_version().as_deref(), Some(p.old.as_str()));

    let new_deb = std::fs::read(p.deb("new")).expect("the N+1 package");
    let mut altered = new_deb.clone();
    // One byte inside the package's data, past the ar and control headers.
    let at = altered.len() / 2;
    altered[at] ^= 0x5a;
    let served = Arc::new(Mutex::new(Served {
        files: vec![
            ("clinicdesk-new.deb".into(), new_deb),
            ("clinicdesk-altered.deb".into(), altered),
        ],
        ..Served::default()
    }));
    let port = serve(served.clone());
    let notes = "Faster check-in.\nClearer sync messages.";
    let set = |signature: &str, file: &str| {
        served.lock().expect("served").manifest = manifest(&p.new, notes, signature, file, port);
    };

    let data = tempfile::tempdir().unwrap();
    let Some(window) = driver(data.path()) else {
        return;
    };
    let s = Session::start(&window.url, Path::new(INSTALLED));
    // First run: a new clinic, whose administrator sets the update address.
    s.click("[data-testid=first-run-create]");
    s.fill("[data-testid=clinic-name]", "Update Test Clinic");
    s.fill("[data-testid=admin-username]", "admin");
    s.fill("[data-testid=admin-display-name]", "Alex Admin");
    s.fill("[data-testid=admin-password]", PASSWORD);
    s.fill("[data-testid=admin-password-confirm]", PASSWORD);
    s.click("[data-testid=first-run-submit]");
    s.find("[data-testid=status-bar]");
    s.click("[data-testid=nav-preferences]");
    s.wait_text("[data-testid=update-current]", &p.old);
    s.fill(
        "[data-testid=update-source]",
        &format!("http://127.0.0.1:{port}/latest.json"),
    );
    s.click("[data-testid=update-source-save]");
    s.wait_text("[data-testid=update-note]", "saved");

    // Signed, but by a key this build does not trust.
    set(&p.signature("untrusted"), "clinicdesk-new.deb");
    let said = check_and_install(&s, &p.new, None);
    assert!(said.contains("valid signature"), "{said}");
    assert_eq!(installed_version().as_deref(), Some(p.old.as_str()));
    not_now(&s);

    // The trusted signature over bytes that were changed on the way.
    set(&p.signature("new"), "clinicdesk-altered.deb");
    let said = check_and_install(&s, &p.new, None);
    assert!(said.contains("valid signature"), "{said}");
    assert_eq!(installed_version().as_deref(), Some(p.old.as_str()));
    not_now(&s);

    // The real thing.
    set(&p.signature("new"), "clinicdesk-new.deb");
    let said = check_and_install(&s, &p.new, Some("12-update-available.png"));
    assert!(said.contains(&format!("{} is installed", p.new)), "{said}");
    assert_eq!(installed_version().as_deref(), Some(p.new.as_str()));
    s.screenshot(&screenshots().join("13-update-installed.png"));
    // Restarting is the user's choice: later leaves this version running,
    // and the status bar keeps offering the restart.
    s.click("[data-testid=update-later]");
    s.wait_text(
        "[data-testid=status-update]",
        &format!("Restart to use version {}", p.new),
    );
    drop(s);
    drop(window);

    // N+1 is what now starts, and it reaches its first screen.
    let mut started = Command::new(INSTALLED)
        .env("CLINICDESK_DATA", data.path())
        .env("CLINICDESK_EXIT_WHEN_READY", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the installed app starts");
    let mut stdout = started.stdout.take().expect("its output");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        let _ = tx.send(out);
    });
    let out = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let _ = started.kill();
    let _ = started.wait();
    assert!(
        out.contains("clinicdesk: ready"),
        "N+1 did not start: {out:?}"
    );
}
