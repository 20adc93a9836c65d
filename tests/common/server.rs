//! `clinicdesk-server` as a child process on a loopback port of its own,
//! with its data in a temporary directory that outlives restarts.

use super::bin;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn server_bin() -> PathBuf {
    bin().with_file_name(format!("clinicdesk-server{}", std::env::consts::EXE_SUFFIX))
}

pub struct Server {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    tls: bool,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// Plain HTTP on loopback: the quickest to start.
    pub fn start() -> Server {
        Server::launch(false)
    }

    /// HTTPS with the certificate the server makes and keeps in its data
    /// directory, so a restarted server presents the pinned one again.
    pub fn start_tls() -> Server {
        Server::launch(true)
    }

    fn launch(tls: bool) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Server {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            port,
            tls,
        };
        server.restart();
        server
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: no chance to finish a request or close the database.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data (after `kill`).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        let mut cmd = Command::new(server_bin());
        cmd.arg("--data")
            .arg(self.dir.path())
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .env("CLINICDESK_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !self.tls {
            cmd.arg("--insecure-http");
        }
        let mut child = cmd
            .spawn()
            .expect("clinicdesk-server is built (cargo build --workspace --bins)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server exited at start: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// A one-time enrollment code for a front desk with administrators.
    pub fn code(&self) -> String {
        let out = Command::new(server_bin())
            .arg("--data")
            .arg(self.dir.path())
            .args(["enroll-code", "--roles", "front-desk,admin"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}
