//! The clinic's PACS over DICOMweb: QIDO-RS to search studies, WADO-RS to
//! retrieve a study series by series, each imported like a CD as it comes. Retrieved
//! studies live in the store, so they stay viewable when the PACS is down.
//!
//! The address and user name are store settings ([`PacsSettings`]); the
//! password is kept in the OS keychain (`pacs/<user name>`). Basic
//! credentials only travel over https, or plain http on this computer.

pub mod multipart;
pub mod qido;

use crate::import::{import_bytes, ImportReport, Phase, Progress};
use clinicdesk_domain::Permission;
use clinicdesk_store::{PacsSettings, Session, Store, StoreError};
pub use qido::{StudyMatch, StudyQuery};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// A retrieve may take this many times the search time-out: a study is
/// far larger than a search answer.
const RETRIEVE_TIMEOUT_FACTOR: u32 = 30;

#[derive(Debug, thiserror::Error)]
pub enum PacsError {
    #[error("no PACS is set up on this computer; an administrator sets it with `dicom pacs set`")]
    NotConfigured,
    #[error("the PACS settings are not usable: {0}")]
    Config(String),
    #[error("no password for the PACS user {0} is stored in the keychain; an administrator stores it with `dicom pacs set --password`")]
    PasswordMissing(String),
    #[error("the keychain could not be read: {0}")]
    Keychain(String),
    #[error("the PACS at {url} could not be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the PACS did not accept the user name and password; check them in the PACS settings")]
    Unauthorized,
    #[error("the PACS has no study {0}")]
    NoSuchStudy(String),
    #[error("the PACS answered {status}: {detail}")]
    Http { status: u16, detail: String },
    #[error("{0}")]
    Protocol(String),
    #[error("the study arrived in part: {stored} of its {series} series are stored, then {reason}; retrieve it again for the rest")]
    Incomplete {
        stored: usize,
        series: usize,
        reason: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A connection to the PACS.
pub struct PacsClient {
    settings: PacsSettings,
    password: Option<Arc<Zeroizing<String>>>,
    http: reqwest::blocking::Client,
}

impl std::fmt::Debug for PacsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacsClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PacsClient {
    pub fn new(settings: PacsSettings, password: Option<&str>) -> Result<PacsClient, PacsError> {
        let settings = settings.checked().map_err(PacsError::Config)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A system certificate rustls cannot use is skipped, not fatal.
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PacsError::Config(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = reqwest::blocking::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(settings.timeout_secs.min(10)))
            .timeout(None)
            .build()
            .map_err(|e| PacsError::Config(e.to_string()))?;
        Ok(PacsClient {
            settings,
            password: password.map(|p| Arc::new(Zeroizing::new(p.to_string()))),
            http,
        })
    }

    /// With the password from the OS keychain when the settings name a user.
    pub fn from_keychain(
        settings: PacsSettings,
        keychain: &clinicdesk_keys::Keychain,
    ) -> Result<PacsClient, PacsError> {
        let password = match (&settings.username, settings.keychain_account()) {
            (Some(user), Some(account)) => Some(
                keychain
                    .load_secret(&account)
                    .map_err(|e| PacsError::Keychain(e.to_string()))?
                    .ok_or_else(|| PacsError::PasswordMissing(user.clone()))?,
            ),
            _ => None,
        };
        PacsClient::new(settings, password.as_ref().map(|p| p.as_str()))
    }

    /// The client for the PACS set in `store`.
    pub fn for_store(
        store: &Store,
        keychain: &clinicdesk_keys::Keychain,
    ) -> Result<PacsClient, PacsError> {
        let settings = store.pacs_settings()?.ok_or(PacsError::NotConfigured)?;
        PacsClient::from_keychain(settings, keychain)
    }

    pub fn settings(&self) -> &PacsSettings {
        &self.settings
    }

    fn get(
        &self,
        path: &str,
        accept: &str,
        timeout: Duration,
    ) -> reqwest::blocking::RequestBuilder {
        let mut req = self
            .http
            .get(format!("{}{path}", self.settings.url))
            .header(reqwest::header::ACCEPT, accept)
            .timeout(timeout);
        if let (Some(user), Some(pw)) = (&self.settings.username, &self.password) {
            req = req.basic_auth(user, Some(pw.as_str()));
        }
        req
    }

    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, PacsError> {
        let resp = req.send().map_err(|e| self.unreachable(&e))?;
        match resp.status().as_u16() {
            200..=299 => Ok(resp),
            401 | 403 => Err(PacsError::Unauthorized),
            status => {
                let mut detail = String::new();
                let _ = resp.take(2048).read_to_string(&mut detail);
                let detail = detail.trim().chars().take(300).collect::<String>();
                Err(PacsError::Http {
                    status,
                    detail: if detail.is_empty() {
                        "no explanation".into()
                    } else {
                        detail
                    },
                })
            }
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> PacsError {
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            detail = format!("{detail}: {s}");
            src = s.source();
        }
        PacsError::Unreachable {
            url: self.settings.url.clone(),
            detail,
        }
    }

    /// Searches studies (QIDO-RS). The search is audited in `store`: its
    /// terms leave this computer and its answer lists patients.
    pub fn search(
        &self,
        store: &mut Store,
        session: &Session,
        query: &StudyQuery,
    ) -> Result<Vec<StudyMatch>, PacsError> {
        session.require(Permission::ImagingImport)?;
        let params = query.params().map_err(PacsError::Invalid)?;
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        let resp = self.send(
            self.get("/studies", "application/dicom+json", timeout)
                .query(&params),
        )?;
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        let found = qido::parse_studies(&body).map_err(PacsError::Protocol)?;
        store.record_pacs_search(session, &query.describe(), found.len())?;
        Ok(found)
    }

    /// Retrieves a study (WADO-RS, `multipart/related;
    /// type="application/dicom"`) in the transfer syntax the PACS stores,
    /// and imports it. Series by series where the PACS lists them (QIDO-RS),
    /// each stored before the next is asked for, so memory holds one series
    /// rather than the study. Progress counts instances received, then
    /// stored, over the whole study.
    pub fn retrieve(
        &self,
        store: &mut Store,
        session: &Session,
        study_uid: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport, PacsError> {
        session.require(Permission::ImagingImport)?;
        let uid = study_uid.trim();
        if uid.is_empty() || uid.len() > 64 || !uid.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            return Err(PacsError::Invalid(format!(
                "{study_uid:?} is not a study UID"
            )));
        }
        let expected = self.instance_count(uid)?;
        let series = self.series_uids(uid)?;
        let paths: Vec<String> = if series.len() > 1 {
            series
                .iter()
                .map(|s| format!("/studies/{uid}/series/{s}"))
                .collect()
        } else {
            vec![format!("/studies/{uid}")]
        };
        let origin = format!("the PACS at {}", self.settings.url);
        let total = |seen: usize| expected.unwrap_or(0).max(seen);
        let mut report = ImportReport::default();
        // Instances of the series already stored.
        let mut before = 0;
        for (i, path) in paths.iter().enumerate() {
            let parts = self.fetch(uid, path, &mut |received| {
                progress(Progress {
                    phase: Phase::Receiving,
                    done: before + received,
                    total: total(before + received),
                })
            });
            let parts = match parts {
                Ok(parts) => parts,
                Err(e) if i > 0 => {
                    return Err(PacsError::Incomplete {
                        stored: i,
                        series: paths.len(),
                        reason: e.to_string(),
                    })
                }
                Err(e) => return Err(e),
            };
            let n = parts.len();
            let part = import_bytes(store, session, parts, &origin, &mut |p| {
                progress(Progress {
                    phase: p.phase,
                    done: before + p.done,
                    total: total(before + n),
                })
            })?;
            report.absorb(part);
            before += n;
        }
        Ok(report)
    }

    /// The study's series per QIDO-RS, in the PACS's order; none when the
    /// PACS does not list series (the study then comes in one answer).
    fn series_uids(&self, uid: &str) -> Result<Vec<String>, PacsError> {
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        let path = format!("/studies/{uid}/series");
        match self.send(self.get(&path, "application/dicom+json", timeout)) {
            Ok(resp) => {
                let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
                qido::parse_series_uids(&body).map_err(PacsError::Protocol)
            }
            Err(PacsError::Http { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// One WADO-RS answer (a study or one of its series), part by part.
    fn fetch(
        &self,
        uid: &str,
        path: &str,
        received: &mut dyn FnMut(usize),
    ) -> Result<Vec<(String, Vec<u8>)>, PacsError> {
        let timeout = Duration::from_secs(self.settings.timeout_secs) * RETRIEVE_TIMEOUT_FACTOR;
        // Stored syntax first ("*"); a PACS that cannot say so sends Explicit VR Little Endian.
        let resp = match self.send(self.get(
            path,
            r#"multipart/related; type="application/dicom"; transfer-syntax=*"#,
            timeout,
        )) {
            Err(PacsError::Http { status: 406, .. }) => self.send(self.get(
                path,
                r#"multipart/related; type="application/dicom""#,
                timeout,
            )),
            other => other,
        };
        let resp = match resp {
            Err(PacsError::Http { status: 404, .. }) => {
                return Err(PacsError::NoSuchStudy(uid.to_string()))
            }
            other => other?,
        };
        self.receive(resp, received)
    }

    /// How many instances the study holds, per QIDO-RS (for progress).
    fn instance_count(&self, uid: &str) -> Result<Option<usize>, PacsError> {
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        let resp = self.send(
            self.get("/studies", "application/dicom+json", timeout)
                .query(&[
                    ("StudyInstanceUID", uid),
                    ("includefield", "NumberOfStudyRelatedInstances"),
                ]),
        )?;
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        let found = qido::parse_studies(&body).map_err(PacsError::Protocol)?;
        match found.into_iter().find(|s| s.study_uid == uid) {
            None => Err(PacsError::NoSuchStudy(uid.to_string())),
            Some(s) => Ok(s.instances.map(|n| n as usize)),
        }
    }

    /// Reads the multipart answer, part by part.
    fn receive(
        &self,
        mut resp: reqwest::blocking::Response,
        received: &mut dyn FnMut(usize),
    ) -> Result<Vec<(String, Vec<u8>)>, PacsError> {
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let boundary = multipart::boundary(&content_type).ok_or_else(|| {
            PacsError::Protocol(format!(
                "the PACS sent {content_type:?} instead of multipart/related DICOM instances"
            ))
        })?;
        let mut splitter = multipart::Splitter::new(&boundary);
        let mut parts = Vec::new();
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            let n = resp.read(&mut chunk).map_err(|e| PacsError::Unreachable {
                url: self.settings.url.clone(),
                detail: format!("the study stopped arriving: {e}"),
            })?;
            if n == 0 {
                break;
            }
            for part in splitter.push(&chunk[..n]).map_err(PacsError::Protocol)? {
                // A part that is not DICOM is reported by the import with
                // its name, like any other file that is not DICOM.
                parts.push((format!("PACS part {}", parts.len() + 1), part.body));
                received(parts.len());
            }
        }
        if !splitter.finished() {
            return Err(PacsError::Protocol(format!(
                "the PACS's answer stopped part-way ({} instances, no closing boundary); nothing of it was stored",
                parts.len()
            )));
        }
        Ok(parts)
    }
}
