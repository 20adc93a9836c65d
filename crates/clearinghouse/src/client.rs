//! The CORE connectivity client: one payer or clearinghouse connection, with
//! HTTP Basic credentials, a timeout, and retries that resend the same
//! PayloadID so the receiver can recognise a resend and not act twice.

use crate::envelope::{error_code, Envelope, EnvelopeError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// How to reach one payer or clearinghouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionConfig {
    /// What staff call it, e.g. "Availity"; used in messages.
    pub name: String,
    /// The CORE endpoint (https; http only for a loopback address).
    pub endpoint: String,
    /// CORE SenderID and ReceiverID.
    pub sender_id: String,
    pub receiver_id: String,
    /// ISA06/ISA08 (with qualifier ZZ); the CORE ids when not set.
    #[serde(default)]
    pub isa_sender_id: Option<String>,
    #[serde(default)]
    pub isa_receiver_id: Option<String>,
    pub username: String,
    /// Keychain account holding the password; `clearinghouse/<name>` when not set.
    #[serde(default)]
    pub keychain_account: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Resends after the first attempt, on network errors and 5xx answers.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first wait before a resend; doubled each time.
    #[serde(default = "default_backoff")]
    pub backoff_ms: u64,
    /// ISA15: send test data.
    #[serde(default)]
    pub test: bool,
}

fn default_timeout() -> u64 {
    30
}
fn default_retries() -> u32 {
    2
}
fn default_backoff() -> u64 {
    500
}

impl ConnectionConfig {
    pub fn keychain_account(&self) -> String {
        self.keychain_account
            .clone()
            .unwrap_or_else(|| format!("clearinghouse/{}", self.name))
    }
}

/// Why an exchange failed, in words staff can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("The connection settings for {name} are not usable: {detail}")]
    Config { name: String, detail: String },
    #[error("No password for {name} is stored in the keychain; enter it in the payer settings.")]
    PasswordMissing { name: String },
    #[error("The keychain could not be read: {0}")]
    Keychain(String),
    #[error("{name} did not answer within {secs} second{}.", if *secs == 1 { "" } else { "s" })]
    Timeout { name: String, secs: u64 },
    #[error("{name} could not be reached after {attempts} attempts: {detail}")]
    Unreachable {
        name: String,
        attempts: u32,
        detail: String,
    },
    #[error("{name} had a problem on its side (HTTP {status}) on each of {attempts} attempts; try again later.")]
    ServerError {
        name: String,
        status: u16,
        attempts: u32,
    },
    #[error("{name} did not accept the user name and password; check them in the payer settings.")]
    CredentialsRejected { name: String },
    #[error("{name} refused the request (HTTP {status}).")]
    HttpStatus { name: String, status: u16 },
    #[error("{name} rejected the request: {code}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Rejected {
        name: String,
        code: String,
        message: Option<String>,
    },
    #[error("{name}'s answer could not be read: {detail}")]
    Malformed { name: String, detail: String },
    #[error("{name}'s answer does not hold an X12 interchange: {detail}")]
    NotX12 { name: String, detail: String },
    #[error("{name} answered a different request (PayloadID {got}, expected {sent}).")]
    WrongPayloadId {
        name: String,
        sent: String,
        got: String,
    },
}

/// A connection ready to send.
#[derive(Clone)]
pub struct Client {
    config: ConnectionConfig,
    password: Arc<Zeroizing<String>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

impl Client {
    pub fn new(config: ConnectionConfig, password: &str) -> Result<Client, ClientError> {
        let bad = |detail: &str| ClientError::Config {
            name: config.name.clone(),
            detail: detail.to_string(),
        };
        let url = reqwest::Url::parse(&config.endpoint).map_err(|e| {
            bad(&format!(
                "the endpoint {:?} is not a URL ({e})",
                config.endpoint
            ))
        })?;
        // Basic credentials travel in clear text without TLS.
        if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
            return Err(bad("the endpoint must be an https:// address"));
        }
        if config.timeout_secs == 0 {
            return Err(bad("the timeout must be at least one second"));
        }
        for (what, v) in [
            ("sender id", &config.sender_id),
            ("receiver id", &config.receiver_id),
            ("user name", &config.username),
        ] {
            if v.trim().is_empty() {
                return Err(bad(&format!("the {what} is empty")));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // A system certificate rustls cannot use is skipped, not fatal.
            let _ = roots.add(cert);
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(&e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Client {
            config,
            password: Arc::new(Zeroizing::new(password.to_string())),
            http,
        })
    }

    /// With the password kept in the OS keychain.
    pub fn from_keychain(
        config: ConnectionConfig,
        keychain: &clinicdesk_keys::Keychain,
    ) -> Result<Client, ClientError> {
        let password = keychain
            .load_secret(&config.keychain_account())
            .map_err(|e| ClientError::Keychain(e.to_string()))?
            .ok_or_else(|| ClientError::PasswordMissing {
                name: config.name.clone(),
            })?;
        Client::new(config, &password)
    }

    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The ISA/GS header of an interchange sent on this connection, with
    /// ISA13 and GS06 both `control`.
    pub fn interchange_header(&self, control: u32) -> clinicdesk_x12::EnvelopeHeader {
        let c = &self.config;
        let now = chrono::Utc::now();
        let sender = c
            .isa_sender_id
            .clone()
            .unwrap_or_else(|| c.sender_id.clone());
        let receiver = c
            .isa_receiver_id
            .clone()
            .unwrap_or_else(|| c.receiver_id.clone());
        clinicdesk_x12::EnvelopeHeader {
            sender_qualifier: "ZZ".into(),
            sender_id: sender.clone(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: receiver.clone(),
            application_sender: sender,
            application_receiver: receiver,
            date: now.format("%Y%m%d").to_string(),
            time: now.format("%H%M").to_string(),
            interchange_control: control,
            group_control: control,
            usage: if c.test {
                clinicdesk_x12::Usage::Test
            } else {
                clinicdesk_x12::Usage::Production
            },
            ack_requested: false,
        }
    }

    fn name(&self) -> String {
        self.config.name.clone()
    }

    /// A new request envelope from this connection's sender to its receiver.
    /// Sends a real-time request keyed by `id`: its trace number and ISA13
    /// come from the id, so a request resent after a lost answer (same id)
    /// is recognisably the same request. `build` writes the X12 from the
    /// trace number and control number; the answer comes back with the
    /// trace number to match it by.
    pub async fn send_keyed<E: From<ClientError>>(
        &self,
        payload_type: &str,
        id: uuid::Uuid,
        build: impl FnOnce(&str, u32) -> Result<String, E>,
    ) -> Result<(Envelope, String), E> {
        let trace = id.simple().to_string();
        let control = (id.as_u128() % 999_999_999) as u32 + 1;
        let x12 = build(&trace, control)?;
        let mut request = self.envelope(payload_type, crate::ProcessingMode::RealTime, x12);
        request.payload_id = id.to_string();
        Ok((self.send(&request).await?, trace))
    }

    pub fn envelope(
        &self,
        payload_type: &str,
        mode: crate::ProcessingMode,
        payload: String,
    ) -> Envelope {
        Envelope::request(
            payload_type,
            mode,
            &self.config.sender_id,
            &self.config.receiver_id,
            payload,
        )
    }

    /// Sends a request and returns the receiver's successful answer, whose
    /// payload has been checked to be an X12 interchange. Network errors and
    /// 5xx answers are retried with the same PayloadID; a timeout is not,
    /// so staff wait no longer than the configured time.
    pub async fn send(&self, request: &Envelope) -> Result<Envelope, ClientError> {
        let (body, content_type) = request.encode();
        let attempts = self.config.retries + 1;
        let mut wait = Duration::from_millis(self.config.backoff_ms);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            let sent = self
                .http
                .post(&self.config.endpoint)
                .basic_auth(&self.config.username, Some(self.password.as_str()))
                .header(reqwest::header::CONTENT_TYPE, &content_type)
                .body(body.clone())
                .send()
                .await;
            // Every arm that does not return goes round again.
            match sent {
                Ok(resp) if resp.status().is_server_error() => {
                    if last {
                        return Err(ClientError::ServerError {
                            name: self.name(),
                            status: resp.status().as_u16(),
                            attempts,
                        });
                    }
                }
                Ok(resp) => match self.read(request, resp).await {
                    Err(ReadError::Network(e)) if !e.is_timeout() && !last => {}
                    Err(ReadError::Network(e)) => return Err(self.network(e, attempt)),
                    Err(ReadError::Client(e)) => return Err(e),
                    Ok(env) => return Ok(env),
                },
                Err(e) if e.is_timeout() || last => return Err(self.network(e, attempt)),
                Err(_) => {}
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }

    fn network(&self, e: reqwest::Error, attempts: u32) -> ClientError {
        if e.is_timeout() {
            return ClientError::Timeout {
                name: self.name(),
                secs: self.config.timeout_secs,
            };
        }
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            detail = format!("{detail}: {s}");
            src = s.source();
        }
        ClientError::Unreachable {
            name: self.name(),
            attempts,
            detail,
        }
    }

    async fn read(
        &self,
        request: &Envelope,
        resp: reqwest::Response,
    ) -> Result<Envelope, ReadError> {
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.bytes().await.map_err(ReadError::Network)?;
        let env = Envelope::decode(&content_type, &body, true);
        let unauthorized = status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN
            || env
                .as_ref()
                .is_ok_and(|e| e.error_code.as_deref() == Some(error_code::UNAUTHORIZED));
        if unauthorized {
            return Err(ReadError::Client(ClientError::CredentialsRejected {
                name: self.name(),
            }));
        }
        let env = match env {
            Ok(env) => env,
            Err(_) if !status.is_success() => {
                return Err(ReadError::Client(ClientError::HttpStatus {
                    name: self.name(),
                    status: status.as_u16(),
                }))
            }
            Err(e) => return Err(ReadError::Client(self.malformed(e))),
        };
        match env.error_code.as_deref() {
            Some(error_code::SUCCESS) => {}
            code => {
                return Err(ReadError::Client(ClientError::Rejected {
                    name: self.name(),
                    code: code.unwrap_or_default().to_string(),
                    message: env.error_message.filter(|m| !m.trim().is_empty()),
                }))
            }
        }
        if env.payload_id != request.payload_id {
            return Err(ReadError::Client(ClientError::WrongPayloadId {
                name: self.name(),
                sent: request.payload_id.clone(),
                got: env.payload_id,
            }));
        }
        if let Err(errors) = clinicdesk_x12::parse(env.payload.as_bytes()) {
            let detail = errors
                .first()
                .map_or_else(|| "it is empty".to_string(), ToString::to_string);
            return Err(ReadError::Client(ClientError::NotX12 {
                name: self.name(),
                detail,
            }));
        }
        Ok(env)
    }

    fn malformed(&self, e: EnvelopeError) -> ClientError {
        ClientError::Malformed {
            name: self.name(),
            detail: e.to_string(),
        }
    }
}

enum ReadError {
    Network(reqwest::Error),
    Client(ClientError),
}
