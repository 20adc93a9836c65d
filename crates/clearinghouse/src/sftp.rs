//! The SFTP batch drop: 837 batches uploaded to a clearinghouse's outbound
//! folder, and its answers (999, 277CA, 835) picked up from the inbound
//! folder. The server's host key is pinned by its SHA256 fingerprint and
//! checked before any credential is sent.
//!
//! Uploads are atomic (a temporary name, then a rename), so the
//! clearinghouse never picks up half a file, and named by the caller from
//! the interchange control number, so a resend finds the file already
//! there instead of dropping a second copy. Picked-up files are moved to
//! `processed/` under the inbound folder only after they were applied: a
//! run that dies midway leaves them to the next one, and the billing
//! functions that apply them are idempotent.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ssh2::{ErrorCode, HashType, Session, Sftp};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The folder under the inbound folder that applied files are moved to.
pub const PROCESSED_DIR: &str = "processed";

/// The folder under the inbound folder where a desktop keeps the file it
/// is applying, as `<device>--<file>`. Moving a file there is one rename
/// on the server, which only one desktop can win: two desktops picking up
/// from one drop never both apply (and post) the same 835.
pub const CLAIMED_DIR: &str = "processing";

/// How to reach one clearinghouse's SFTP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftpConfig {
    /// What staff call the connection; used in messages.
    pub name: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    /// A private key file (OpenSSH format); password authentication
    /// without one. Its passphrase, or the password, is the secret given
    /// to [`SftpSession::connect`].
    #[serde(default)]
    pub private_key: Option<PathBuf>,
    /// Where 837 batches are dropped.
    pub outbound_dir: String,
    /// Where the clearinghouse leaves 999s, 277CAs and 835s.
    pub inbound_dir: String,
    /// The server's host key fingerprint as `ssh-keygen -l -E sha256`
    /// prints it: `SHA256:` and 43 base64 characters.
    pub host_key_sha256: String,
    pub timeout_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("The SFTP settings for {name} are not usable: {detail}")]
    Config { name: String, detail: String },
    #[error("{name} ({host}) could not be reached: {detail}")]
    Unreachable {
        name: String,
        host: String,
        detail: String,
    },
    #[error("{name} did not answer within {secs} second{}.", if *secs == 1 { "" } else { "s" })]
    Timeout { name: String, secs: u64 },
    #[error("{name}'s server identified itself with host key {got}, not the pinned {expected}; nothing was sent. If the clearinghouse changed its key, confirm the new fingerprint with them and update the payer settings.")]
    HostKeyMismatch {
        name: String,
        expected: String,
        got: String,
    },
    #[error("{name} did not accept the user name and {what}; check them in the payer settings.")]
    AuthFailed { name: String, what: &'static str },
    #[error("The private key file {path} for {name} cannot be used: {detail}")]
    KeyFile {
        name: String,
        path: String,
        detail: String,
    },
    #[error("{name} has no folder {dir}; check the SFTP folders in the payer settings.")]
    NoSuchDir { name: String, dir: String },
    #[error("{name} refused access to {path}: permission denied.")]
    PermissionDenied { name: String, path: String },
    #[error("The SFTP exchange with {name} failed while {doing}: {detail}")]
    Protocol {
        name: String,
        doing: String,
        detail: String,
    },
}

/// A `SHA256:…` fingerprint without its prefix or base64 padding.
fn fingerprint_body(f: &str) -> &str {
    let f = f.trim();
    f.strip_prefix("SHA256:").unwrap_or(f).trim_end_matches('=')
}

/// Checks a pinned fingerprint's form: `SHA256:` and 43 base64 characters.
pub fn check_fingerprint(f: &str) -> Result<String, String> {
    let body = fingerprint_body(f);
    let ok = body.len() == 43
        && base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .is_ok_and(|b| b.len() == 32);
    if ok {
        Ok(format!("SHA256:{body}"))
    } else {
        Err(format!(
            "the host key fingerprint {f:?} should look like SHA256: and 43 characters, as `ssh-keygen -l -E sha256 -f KEY.pub` prints it"
        ))
    }
}

/// An open, authenticated SFTP session.
pub struct SftpSession {
    config: SftpConfig,
    sftp: Sftp,
    // Kept alive for as long as the SFTP channel is used.
    _session: Session,
}

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    Uploaded,
    /// A file of that name was already there: an earlier send delivered it.
    AlreadyThere,
}

impl SftpSession {
    /// Connects, checks the host key against the pinned fingerprint before
    /// sending any credential, and logs in with the key file (and `secret`
    /// as its passphrase) or with `secret` as the password.
    pub fn connect(config: &SftpConfig, secret: Option<&str>) -> Result<SftpSession, SftpError> {
        let name = config.name.clone();
        let bad = |detail: String| SftpError::Config {
            name: name.clone(),
            detail,
        };
        let pinned = check_fingerprint(&config.host_key_sha256).map_err(&bad)?;
        if config.host.trim().is_empty() || config.port == 0 {
            return Err(bad("the host and port are required".into()));
        }
        if config.timeout_secs == 0 {
            return Err(bad("the timeout must be at least one second".into()));
        }
        if config.private_key.is_none() && secret.is_none() {
            return Err(bad(
                "neither a private key file nor a password is set".into()
            ));
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let unreachable = |detail: String| SftpError::Unreachable {
            name: name.clone(),
            host: format!("{}:{}", config.host, config.port),
            detail,
        };
        let addrs: Vec<_> = (config.host.as_str(), config.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("the name does not resolve ({e})")))?
            .collect();
        let mut last = "no address".to_string();
        let mut tcp = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Err(SftpError::Timeout {
                        name: name.clone(),
                        secs: config.timeout_secs,
                    })
                }
                Err(e) => last = e.to_string(),
            }
        }
        let tcp = tcp.ok_or_else(|| unreachable(last))?;
        let mut session = Session::new().map_err(|e| unreachable(e.to_string()))?;
        session.set_timeout(u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
        session.set_tcp_stream(tcp);
        let s = SftpSession::fail_with(config);
        session
            .handshake()
            .map_err(|e| s.error(e, "greeting the server"))?;
        let got = session
            .host_key_hash(HashType::Sha256)
            .map(|h| {
                format!(
                    "SHA256:{}",
                    base64::engine::general_purpose::STANDARD_NO_PAD.encode(h)
                )
            })
            .unwrap_or_else(|| "none".into());
        if got != pinned {
            let _ = session.disconnect(None, "host key mismatch", None);
            return Err(SftpError::HostKeyMismatch {
                name,
                expected: pinned,
                got,
            });
        }
        let (what, auth) = match &config.private_key {
            Some(key) => {
                if !key.is_file() {
                    return Err(SftpError::KeyFile {
                        name,
                        path: key.display().to_string(),
                        detail: "there is no such file".into(),
                    });
                }
                let r = session.userauth_pubkey_file(&config.username, None, key, secret);
                ("private key", r)
            }
            None => {
                let r = session.userauth_password(&config.username, secret.unwrap_or_default());
                ("password", r)
            }
        };
        if let Err(e) = auth {
            return Err(match (e.code(), &config.private_key) {
                // LIBSSH2_ERROR_FILE: unreadable, or a wrong passphrase.
                (ErrorCode::Session(-16), Some(key)) => SftpError::KeyFile {
                    name,
                    path: key.display().to_string(),
                    detail: e.message().to_string(),
                },
                (ErrorCode::Session(-9 | -7 | -13 | -43), _) => s.error(e, "logging in"),
                _ => SftpError::AuthFailed { name, what },
            });
        }
        if !session.authenticated() {
            return Err(SftpError::AuthFailed { name, what });
        }
        let sftp = session
            .sftp()
            .map_err(|e| s.error(e, "opening the SFTP channel"))?;
        Ok(SftpSession {
            config: config.clone(),
            sftp,
            _session: session,
        })
    }

    fn fail_with(config: &SftpConfig) -> ErrorMapper {
        ErrorMapper {
            name: config.name.clone(),
            secs: config.timeout_secs,
        }
    }

    fn map(&self, e: ssh2::Error, doing: &str, path: &Path) -> SftpError {
        match e.code() {
            // SSH_FX_NO_SUCH_FILE, SSH_FX_NO_SUCH_PATH
            ErrorCode::SFTP(2) | ErrorCode::SFTP(10) => SftpError::NoSuchDir {
                name: self.config.name.clone(),
                dir: path.display().to_string(),
            },
            ErrorCode::SFTP(3) => SftpError::PermissionDenied {
                name: self.config.name.clone(),
                path: path.display().to_string(),
            },
            _ => Self::fail_with(&self.config).error(e, doing),
        }
    }

    fn dir_must_exist(&self, dir: &str) -> Result<(), SftpError> {
        let path = Path::new(dir);
        let stat = self
            .sftp
            .stat(path)
            .map_err(|e| self.map(e, "looking at a folder", path))?;
        if stat.is_dir() {
            Ok(())
        } else {
            Err(SftpError::NoSuchDir {
                name: self.config.name.clone(),
                dir: dir.to_string(),
            })
        }
    }

    fn exists(&self, path: &Path) -> Result<bool, SftpError> {
        match self.sftp.stat(path) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.code(), ErrorCode::SFTP(2) | ErrorCode::SFTP(10)) => Ok(false),
            Err(e) => Err(self.map(e, "looking for a file", path)),
        }
    }

    /// Uploads `bytes` as `file_name` in the outbound folder, atomically:
    /// written under a temporary dot-name, then renamed. A file of that
    /// name already there is left as it is.
    pub fn deliver(&self, file_name: &str, bytes: &[u8]) -> Result<Delivery, SftpError> {
        check_file_name(&self.config.name, file_name)?;
        self.dir_must_exist(&self.config.outbound_dir)?;
        let dir = Path::new(&self.config.outbound_dir);
        let target = dir.join(file_name);
        if self.exists(&target)? {
            return Ok(Delivery::AlreadyThere);
        }
        let temp = dir.join(format!(".{file_name}.part"));
        {
            let mut f = self
                .sftp
                .create(&temp)
                .map_err(|e| self.map(e, "creating the upload", &temp))?;
            f.write_all(bytes)
                .map_err(|e| self.io(e, "uploading the batch"))?;
            f.fsync().ok();
        }
        // A server that refuses to rename over a file reports an error here
        // if someone else delivered the same name meanwhile; either way the
        // file is there once.
        match self.sftp.rename(&temp, &target, None) {
            Ok(()) => Ok(Delivery::Uploaded),
            Err(_) if self.exists(&target)? => {
                let _ = self.sftp.unlink(&temp);
                Ok(Delivery::AlreadyThere)
            }
            Err(e) => Err(self.map(e, "renaming the upload", &temp)),
        }
    }

    /// File names waiting in the inbound folder, oldest name first
    /// (dot-files, folders and partial uploads are left alone).
    pub fn inbound(&self) -> Result<Vec<String>, SftpError> {
        self.dir_must_exist(&self.config.inbound_dir)?;
        let dir = Path::new(&self.config.inbound_dir);
        let entries = self
            .sftp
            .readdir(dir)
            .map_err(|e| self.map(e, "listing the inbound folder", dir))?;
        let mut names: Vec<String> = entries
            .into_iter()
            .filter(|(_, st)| st.is_file())
            .filter_map(|(p, _)| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter(|n| !n.starts_with('.') && !n.ends_with(".part"))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The content of an inbound file.
    pub fn download(&self, file_name: &str) -> Result<Vec<u8>, SftpError> {
        check_file_name(&self.config.name, file_name)?;
        self.read_file(&Path::new(&self.config.inbound_dir).join(file_name))
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, SftpError> {
        let mut f = self
            .sftp
            .open(path)
            .map_err(|e| self.map(e, "opening an inbound file", path))?;
        let mut out = Vec::new();
        f.read_to_end(&mut out)
            .map_err(|e| self.io(e, "downloading an inbound file"))?;
        Ok(out)
    }

    /// A folder under the inbound folder, made when missing.
    fn inbound_subdir(&self, sub: &str) -> Result<PathBuf, SftpError> {
        let dir = Path::new(&self.config.inbound_dir).join(sub);
        if !self.exists(&dir)? {
            self.sftp.mkdir(&dir, 0o750).or_else(|e| {
                if self.exists(&dir)? {
                    Ok(())
                } else {
                    Err(self.map(e, "creating a folder under the inbound folder", &dir))
                }
            })?;
        }
        Ok(dir)
    }

    /// Takes `file_name` out of the inbound folder for this desktop
    /// (`device`) to apply. False when it is no longer there: another
    /// desktop took it first.
    pub fn claim(&self, file_name: &str, device: &str) -> Result<bool, SftpError> {
        check_file_name(&self.config.name, file_name)?;
        let from = Path::new(&self.config.inbound_dir).join(file_name);
        let to = self
            .inbound_subdir(CLAIMED_DIR)?
            .join(claimed_name(device, file_name));
        match self.sftp.rename(&from, &to, None) {
            Ok(()) => Ok(true),
            Err(_) if !self.exists(&from)? => Ok(false),
            Err(e) => Err(self.map(e, "taking an inbound file to apply", &from)),
        }
    }

    /// Files this desktop took and did not finish (it stopped half-way):
    /// applying is idempotent on the desktop that did it, so they are
    /// applied again first.
    pub fn claimed(&self, device: &str) -> Result<Vec<String>, SftpError> {
        let dir = Path::new(&self.config.inbound_dir).join(CLAIMED_DIR);
        if !self.exists(&dir)? {
            return Ok(Vec::new());
        }
        let prefix = claimed_name(device, "");
        let mut names: Vec<String> = self
            .sftp
            .readdir(&dir)
            .map_err(|e| self.map(e, "listing the files being applied", &dir))?
            .into_iter()
            .filter(|(_, st)| st.is_file())
            .filter_map(|(p, _)| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter_map(|n| n.strip_prefix(&prefix).map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Where `device` keeps `file_name` while applying it.
    fn claimed_path(&self, device: &str, file_name: &str) -> PathBuf {
        Path::new(&self.config.inbound_dir)
            .join(CLAIMED_DIR)
            .join(claimed_name(device, file_name))
    }

    /// The content of a file this desktop took.
    fn download_claimed(&self, file_name: &str, device: &str) -> Result<Vec<u8>, SftpError> {
        let path = self.claimed_path(device, file_name);
        self.read_file(&path)
    }

    /// Moves a file this desktop applied to `processed/`, so it is not
    /// picked up again. A file of the same name already there (the same
    /// file sent twice) is replaced.
    pub fn mark_processed(&self, file_name: &str, device: &str) -> Result<(), SftpError> {
        check_file_name(&self.config.name, file_name)?;
        let from = self.claimed_path(device, file_name);
        let to = self.inbound_subdir(PROCESSED_DIR)?.join(file_name);
        if self.exists(&to)? {
            self.sftp
                .unlink(&to)
                .map_err(|e| self.map(e, "replacing a processed file", &to))?;
        }
        self.sftp
            .rename(&from, &to, None)
            .map_err(|e| self.map(e, "moving an applied file to processed/", &from))
    }

    /// Puts back a file this desktop could not apply, where staff (and the
    /// next pick-up) find it.
    pub fn release(&self, file_name: &str, device: &str) -> Result<(), SftpError> {
        check_file_name(&self.config.name, file_name)?;
        let from = self.claimed_path(device, file_name);
        let to = Path::new(&self.config.inbound_dir).join(file_name);
        self.sftp
            .rename(&from, &to, None)
            .map_err(|e| self.map(e, "putting back a file that was not applied", &from))
    }

    fn io(&self, e: std::io::Error, doing: &str) -> SftpError {
        if e.kind() == std::io::ErrorKind::TimedOut {
            return SftpError::Timeout {
                name: self.config.name.clone(),
                secs: self.config.timeout_secs,
            };
        }
        SftpError::Protocol {
            name: self.config.name.clone(),
            doing: doing.to_string(),
            detail: e.to_string(),
        }
    }
}

/// Turns libssh2 errors into sentences.
struct ErrorMapper {
    name: String,
    secs: u64,
}

impl ErrorMapper {
    fn error(&self, e: ssh2::Error, doing: &str) -> SftpError {
        match e.code() {
            // LIBSSH2_ERROR_TIMEOUT
            ErrorCode::Session(-9) => SftpError::Timeout {
                name: self.name.clone(),
                secs: self.secs,
            },
            // LIBSSH2_ERROR_SOCKET_SEND, _SOCKET_DISCONNECT, _SOCKET_RECV
            ErrorCode::Session(-7 | -13 | -43) => SftpError::Unreachable {
                name: self.name.clone(),
                host: "the server".into(),
                detail: format!("the connection was lost while {doing}"),
            },
            _ => SftpError::Protocol {
                name: self.name.clone(),
                doing: doing.to_string(),
                detail: e.message().to_string(),
            },
        }
    }
}

/// A plain file name: no folders, nothing hidden.
fn check_file_name(name: &str, file: &str) -> Result<(), SftpError> {
    let ok = !file.is_empty()
        && !file.starts_with('.')
        && !file.contains(['/', '\\', '\0'])
        && file.len() <= 200;
    if ok {
        Ok(())
    } else {
        Err(SftpError::Config {
            name: name.to_string(),
            detail: format!("{file:?} is not a plain file name"),
        })
    }
}

/// The outbound file name of an 837 batch: its interchange control number
/// (ISA13), so the same batch always has the same name.
pub fn batch_file_name(interchange_control: i64) -> String {
    format!("837P-{interchange_control:09}.x12")
}

/// What one pick-up did, file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchReport {
    /// Applied and moved to processed/: (file, what applying it did).
    pub applied: Vec<(String, String)>,
    /// Could not be applied: (file, why). They stay in the inbound folder.
    pub failed: Vec<(String, String)>,
}

/// `<device>--<file>`: a file `device` took to apply.
fn claimed_name(device: &str, file_name: &str) -> String {
    let device: String = device
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{device}--{file_name}")
}

/// Picks up for this desktop (`device`): first any file it took before and
/// did not finish, then each waiting inbound file it manages to take. Each
/// is handed to `apply` and moved to processed/ once applied; a file
/// `apply` refuses is put back in the inbound folder, with the reason in
/// the report. A file another desktop takes first is left to it. An SFTP
/// error stops the pick-up (files already applied stay applied).
pub fn fetch_inbound(
    session: &SftpSession,
    device: &str,
    mut apply: impl FnMut(&str, &[u8]) -> Result<String, String>,
) -> Result<FetchReport, SftpError> {
    let mut report = FetchReport::default();
    let mut files = session.claimed(device)?;
    for file in session.inbound()? {
        if session.claim(&file, device)? {
            files.push(file);
        }
    }
    for file in files {
        let bytes = session.download_claimed(&file, device)?;
        match apply(&file, &bytes) {
            Ok(note) => {
                session.mark_processed(&file, device)?;
                report.applied.push((file, note));
            }
            Err(why) => {
                session.release(&file, device)?;
                report.failed.push((file, why));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_and_names_are_checked() {
        let f = "SHA256:0OsfNd6j1cE1K4C+0pGHU/YWfjuF6fJmmCs7+vaFMfE";
        assert_eq!(check_fingerprint(f).unwrap(), f);
        assert_eq!(check_fingerprint(&format!("{}=", &f[7..])).unwrap(), f);
        assert!(check_fingerprint("SHA256:short").is_err());
        assert!(check_fingerprint("MD5:aa:bb").is_err());
        assert!(check_file_name("x", "837P-000000001.x12").is_ok());
        for bad in ["", ".hidden", "../etc/passwd", "a/b"] {
            assert!(check_file_name("x", bad).is_err(), "{bad}");
        }
        assert_eq!(batch_file_name(42), "837P-000000042.x12");
    }
}
