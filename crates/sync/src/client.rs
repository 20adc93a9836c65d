//! HTTPS to the clinic server, pinned to the certificate fingerprint taken
//! at enrollment: no certificate authority is trusted, only that one
//! certificate. Plain HTTP is allowed to loopback addresses only.

use crate::{Result, SyncError};
use clinicdesk_sync_proto::{
    EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushResponse, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};
use reqwest::blocking::{Client as Http, RequestBuilder};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Client {
    url: String,
    http: Http,
    token: Option<String>,
    /// The fingerprint this client accepts (none for plain HTTP on loopback).
    pin: Option<String>,
    /// The fingerprint of the certificate last presented.
    seen: Arc<Mutex<Option<String>>>,
}

/// Accepts exactly the pinned certificate (or, with no pin, any one, and
/// remembers what it saw: only for learning the fingerprint at enrollment).
#[derive(Debug)]
struct Pinned {
    expected: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let got = hex::encode(Sha256::digest(end_entity.as_ref()));
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(got.clone());
        }
        match &self.expected {
            Some(want) if *want != got => Err(rustls::Error::General(format!(
                "certificate fingerprint {got} is not the pinned {want}"
            ))),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
}

fn http_client(pin: Option<String>, seen: Arc<Mutex<Option<String>>>) -> Result<Http> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SyncError::Invalid(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            expected: pin,
            seen,
            provider,
        }))
        .with_no_client_auth();
    Http::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SyncError::Invalid(e.to_string()))
}

impl Client {
    /// Checks the address: `https://`, or `http://` to this machine only.
    fn check_url(url: &str) -> Result<()> {
        if url.starts_with("https://") || is_loopback_http(url) {
            Ok(())
        } else {
            Err(SyncError::Invalid(format!(
                "'{url}' is not a clinic server address: use https://HOST:PORT (plain http only to this machine)"
            )))
        }
    }

    /// The fingerprint of the certificate the server at `url` presents now
    /// ("" for plain HTTP on loopback).
    pub fn observe_fingerprint(url: &str) -> Result<String> {
        Client::check_url(url)?;
        if !url.starts_with("https://") {
            return Ok(String::new());
        }
        let seen = Arc::new(Mutex::new(None));
        let http = http_client(None, seen.clone())?;
        let res = http
            .get(format!("{url}/health"))
            .send()
            .map_err(|e| unreachable(url, &e))?;
        drop(res);
        let got = seen.lock().ok().and_then(|s| s.clone());
        got.ok_or_else(|| SyncError::Unreachable {
            url: url.to_string(),
            detail: "no certificate was presented".into(),
        })
    }

    /// A client pinned to `fingerprint` (ignored for plain HTTP on loopback).
    pub fn new(url: &str, fingerprint: &str, token: Option<String>) -> Result<Client> {
        Client::check_url(url)?;
        let pin = url.starts_with("https://").then(|| fingerprint.to_string());
        let seen = Arc::new(Mutex::new(None));
        Ok(Client {
            url: url.trim_end_matches('/').to_string(),
            http: http_client(pin.clone(), seen.clone())?,
            token,
            pin,
            seen,
        })
    }

    /// Why a request did not get through: another certificate than the
    /// pinned one, or no answer at all.
    fn failed(&self, e: &reqwest::Error) -> SyncError {
        let seen = self.seen.lock().ok().and_then(|s| s.clone());
        match (&self.pin, seen) {
            (Some(pin), Some(got)) if *pin != got => SyncError::WrongServer {
                url: self.url.clone(),
                expected: pin.clone(),
                got,
            },
            _ => unreachable(&self.url, e),
        }
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        let rb = rb.header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    fn send<T: serde::de::DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let res = self.authed(rb).send().map_err(|e| self.failed(&e))?;
        let status = res.status();
        if status.is_success() {
            return res.json().map_err(|e| {
                SyncError::Refused(format!("the server's answer was not understood: {e}"))
            });
        }
        let body: Option<ErrorBody> = res.json().ok();
        Err(SyncError::Refused(
            body.map_or_else(|| format!("HTTP {status}"), |b| b.message),
        ))
    }

    pub fn enroll(
        &self,
        lookup: &str,
        proof: &str,
        device_id: &str,
        device_name: &str,
    ) -> Result<EnrollResponse> {
        self.send(
            self.http
                .post(format!("{}/v1/enroll", self.url))
                .json(&EnrollRequest {
                    lookup: lookup.to_string(),
                    proof: proof.to_string(),
                    device_id: device_id.to_string(),
                    device_name: device_name.to_string(),
                }),
        )
    }

    pub fn push(&self, changes: &[clinicdesk_sync_proto::ChangeEntry]) -> Result<PushResponse> {
        // A `PushRequest` on the wire, serialized from the borrowed batch.
        #[derive(serde::Serialize)]
        struct Body<'a> {
            changes: &'a [clinicdesk_sync_proto::ChangeEntry],
        }
        self.send(
            self.http
                .post(format!("{}/v1/changes", self.url))
                .json(&Body { changes }),
        )
    }

    pub fn pull(&self, after: i64, limit: usize) -> Result<PullResponse> {
        self.send(
            self.http
                .get(format!("{}/v1/changes", self.url))
                .query(&[("after", after.to_string()), ("limit", limit.to_string())]),
        )
    }
}

fn unreachable(url: &str, e: &reqwest::Error) -> SyncError {
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    SyncError::Unreachable {
        url: url.to_string(),
        detail,
    }
}

/// Server-sent events from `GET /v1/events`, read line by line.
pub struct Events {
    reader: std::io::BufReader<reqwest::blocking::Response>,
}

impl Events {
    /// The next head the server announces; `None` when the stream ends.
    pub fn next_head(&mut self) -> Result<Option<i64>> {
        use std::io::BufRead;
        let mut data = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .map_err(|e| SyncError::Unreachable {
                    url: "the live notifications".into(),
                    detail: e.to_string(),
                })?;
            if n == 0 {
                return Ok(None);
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            } else if line.is_empty() && !data.is_empty() {
                if let Ok(ev) = serde_json::from_str::<clinicdesk_sync_proto::HeadEvent>(&data) {
                    return Ok(Some(ev.head));
                }
                data.clear();
            }
        }
    }
}

impl Client {
    /// Opens the live notification stream (no timeout: it stays open).
    pub fn events(&self) -> Result<Events> {
        let rb = self
            .http
            .get(format!("{}/v1/events", self.url))
            .timeout(Duration::from_secs(60 * 60 * 24 * 365));
        let res = self.authed(rb).send().map_err(|e| self.failed(&e))?;
        if !res.status().is_success() {
            let status = res.status();
            let body: Option<ErrorBody> = res.json().ok();
            return Err(SyncError::Refused(
                body.map_or_else(|| format!("HTTP {status}"), |b| b.message),
            ));
        }
        Ok(Events {
            reader: std::io::BufReader::new(res),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(Client::check_url("https://clinic.local:8443").is_ok());
        assert!(Client::check_url("http://127.0.0.1:8080").is_ok());
        assert!(Client::check_url("http://localhost:8080/").is_ok());
        assert!(Client::check_url("http://[::1]:8080").is_ok());
        let err = Client::check_url("http://clinic.local:8080")
            .unwrap_err()
            .to_string();
        assert!(err.contains("https://"), "{err}");
        assert!(Client::check_url("ftp://x").is_err());
    }
}
