//! `clinicdesk-server`: the clinic's sync hub.
//!
//! `clinicdesk-server --data DIR --listen ADDR` serves on the embedded
//! SQLite store; `--database postgres://…` uses PostgreSQL instead.

use clap::{Parser, Subcommand};
use clinicdesk_domain::Role;
use clinicdesk_server::db::{now_seconds, Database, EnrollmentCode};
use clinicdesk_server::http::{router, App};
use clinicdesk_server::postgres::PgDb;
use clinicdesk_server::sqlite::SqliteDb;
use clinicdesk_server::tls;
use clinicdesk_sync_proto::enrollment::Code;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "clinicdesk-server",
    version,
    about = "ClinicDesk clinic server: enrolls desktops and keeps them in sync"
)]
struct Cli {
    /// Where the server keeps its store, key and TLS certificate.
    #[arg(long, env = "CLINICDESK_SERVER_DATA")]
    data: PathBuf,
    /// PostgreSQL instead of the embedded store: postgres://user:password@host/database
    #[arg(long, env = "CLINICDESK_SERVER_DATABASE")]
    database: Option<String>,
    /// The embedded store's key file (default DATA/server.key; keep it on another volume).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Serve on this address, for example 0.0.0.0:8443.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// The clinic's own certificate and key (PEM); without them the server makes one.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Host names or addresses desktops use to reach the server, for the made certificate.
    #[arg(long = "name")]
    names: Vec<String>,
    /// Plain HTTP, only on a loopback address (tests, or behind a TLS proxy on this host).
    #[arg(long)]
    insecure_http: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve (the default when --listen is given).
    Serve,
    /// Issue a one-time code for enrolling a desktop.
    EnrollCode {
        /// Roles of the people who use the desktop, comma-separated:
        /// front-desk, physician, nurse, biller, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<Role>,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
    },
    /// Enrolled desktops.
    Devices {
        #[command(subcommand)]
        action: DevicesCommand,
    },
    /// The SHA-256 fingerprint of the server's certificate.
    Fingerprint,
}

#[derive(Subcommand)]
enum DevicesCommand {
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop a desktop from syncing (a lost or retired machine).
    Revoke { device_id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CLINICDESK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("clinicdesk-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clinicdesk-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.database.clone() {
        Some(url) => {
            let db = PgDb::connect(&url, 32).map_err(|e| e.to_string())?;
            with_db(cli, db).await
        }
        None => {
            let key = cli
                .key_file
                .clone()
                .unwrap_or_else(|| cli.data.join("server.key"));
            let db = SqliteDb::open(&cli.data, &key).map_err(|e| e.to_string())?;
            with_db(cli, db).await
        }
    }
}

async fn with_db<D: Database>(cli: Cli, db: D) -> Result<(), String> {
    let identity = tls::identity(
        &cli.data,
        cli.tls_cert.as_deref(),
        cli.tls_key.as_deref(),
        &cli.names,
    )?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let command = match (cli.command, cli.listen) {
        (Some(c), _) => c,
        (None, Some(_)) => Command::Serve,
        (None, None) => return Err("give --listen ADDR to serve, or a command (see --help)".into()),
    };
    match command {
        Command::Serve => {
            let addr = cli.listen.ok_or("serving needs --listen ADDR")?;
            serve(db, identity, addr, cli.insecure_http).await
        }
        Command::EnrollCode { roles, valid_hours } => {
            if !(1..=24 * 14).contains(&valid_hours) {
                return Err("a code may be valid for 1 hour to 14 days".into());
            }
            let code = Code::generate();
            db.add_enrollment_code(&EnrollmentCode {
                lookup: code.lookup.clone(),
                secret: code.secret.clone(),
                roles: roles.clone(),
                expires_at: now_seconds() + valid_hours * 3600,
            })
            .await
            .map_err(|e| e.to_string())?;
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            println!("{code}");
            eprintln!(
                "One-time enrollment code for a desktop used by: {}. Valid for {valid_hours} hours.\n\
                 On the desktop: clinicdesk-cli --data DIR sync enroll https://HOST:PORT {code}",
                names.join(", ")
            );
            Ok(())
        }
        Command::Devices { action } => devices(db, action).await,
        Command::Fingerprint => {
            println!("{}", identity.fingerprint);
            Ok(())
        }
    }
}

async fn devices<D: Database>(db: D, action: DevicesCommand) -> Result<(), String> {
    match action {
        DevicesCommand::List { json } => {
            let list = db.devices().await.map_err(|e| e.to_string())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
                );
            } else {
                for d in list {
                    let roles: Vec<&str> = d.roles.iter().map(|r| r.as_str()).collect();
                    println!(
                        "{}\t{}\t{}\t{}",
                        d.device_id,
                        d.name,
                        roles.join(","),
                        if d.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        }
                    );
                }
            }
            Ok(())
        }
        DevicesCommand::Revoke { device_id } => {
            if db
                .revoke(&device_id, now_seconds())
                .await
                .map_err(|e| e.to_string())?
            {
                eprintln!("{device_id} is revoked: it can no longer sync");
                Ok(())
            } else {
                Err(format!("no enrolled device {device_id}"))
            }
        }
    }
}

async fn serve<D: Database>(
    db: D,
    identity: tls::Identity,
    addr: SocketAddr,
    insecure_http: bool,
) -> Result<(), String> {
    if insecure_http && !addr.ip().is_loopback() {
        return Err("--insecure-http is only allowed on a loopback address".into());
    }
    let fingerprint = if insecure_http {
        String::new()
    } else {
        identity.fingerprint.clone()
    };
    let app = App::new(db, fingerprint).await.map_err(|e| e.to_string())?;
    let routes = router(app);
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    tracing::info!(%addr, tls = !insecure_http, fingerprint = %identity.fingerprint, "serving");
    eprintln!(
        "clinicdesk-server: listening on {addr}{}",
        if insecure_http {
            " (plain HTTP)".to_string()
        } else {
            format!(", certificate fingerprint {}", identity.fingerprint)
        }
    );
    let service = routes.into_make_service();
    if insecure_http {
        axum_server::bind(addr)
            .handle(handle)
            .serve(service)
            .await
            .map_err(|e| format!("cannot serve on {addr}: {e}"))
    } else {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            identity.cert_pem.into_bytes(),
            identity.key_pem.into_bytes(),
        )
        .await
        .map_err(|e| format!("the TLS certificate or key is not usable: {e}"))?;
        axum_server::bind_rustls(addr, config)
            .handle(handle)
            .serve(service)
            .await
            .map_err(|e| format!("cannot serve on {addr}: {e}"))
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
