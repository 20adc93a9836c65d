//! A real clinic server (TLS on loopback) in this process, for the
//! end-to-end tests and the benchmarks.
#![allow(dead_code)]

use clinicdesk_domain::{ClinicZone, Role};
use clinicdesk_keys::Keychain;
use clinicdesk_server::db::{Database, EnrollmentCode};
use clinicdesk_server::http::{router, App};
use clinicdesk_server::sqlite::SqliteDb;
use clinicdesk_store::{KeySetup, NewClinic, NewUser, Session, Store};
use clinicdesk_sync_proto::enrollment::Code;
use std::net::SocketAddr;

/// A desktop with its own encrypted store (key in the keychain) and
/// administrator.
pub fn desktop(admin: &str) -> (tempfile::TempDir, Store, Session) {
    let dir = tempfile::tempdir().unwrap();
    let (store, session) = Store::create(
        dir.path(),
        NewClinic {
            name: "Harbour Family Practice".into(),
            timezone: ClinicZone::parse("UTC").unwrap(),
            admin: NewUser {
                username: admin.into(),
                display_name: admin.into(),
                role: Role::Admin,
                password: "correct horse battery staple".into(),
                provider_id: None,
            },
            key: KeySetup::Keychain(Keychain::default()),
        },
    )
    .unwrap();
    (dir, store, session)
}

pub struct Server<D: Database = SqliteDb> {
    pub addr: SocketAddr,
    pub db: D,
    pub runtime: tokio::runtime::Runtime,
    handle: axum_server::Handle<SocketAddr>,
    pub dir: tempfile::TempDir,
}

impl Server<SqliteDb> {
    /// On the embedded store, with a certificate of its own.
    pub fn start(_tls_dir: Option<&std::path::Path>) -> Server<SqliteDb> {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("data"), &dir.path().join("server.key")).unwrap();
        Server::with_db(db, dir)
    }
}

impl<D: Database> Server<D> {
    pub fn with_db(db: D, dir: tempfile::TempDir) -> Server<D> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let identity = clinicdesk_server::tls::identity(dir.path(), None, None, &[]).unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        let app_db = db.clone();
        runtime.block_on(app_db.migrate()).unwrap();
        runtime.spawn(async move {
            let app = App::new(app_db, identity.fingerprint.clone())
                .await
                .unwrap();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem(
                identity.cert_pem.into_bytes(),
                identity.key_pem.into_bytes(),
            )
            .await
            .unwrap();
            axum_server::from_tcp_rustls(listener, config)
                .unwrap()
                .handle(h)
                .serve(router(app).into_make_service())
                .await
                .unwrap();
        });
        Server {
            addr,
            db,
            runtime,
            handle,
            dir,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// A one-time enrollment code, as `clinicdesk-server enroll-code` makes.
    pub fn code(&self, roles: Vec<Role>) -> String {
        let code = Code::generate();
        let db = self.db.clone();
        let c = code.clone();
        self.runtime
            .block_on(async move {
                db.add_enrollment_code(&EnrollmentCode {
                    lookup: c.lookup,
                    secret: c.secret,
                    roles,
                    expires_at: i64::MAX / 2,
                })
                .await
            })
            .unwrap();
        code.to_string()
    }

    pub fn stop(self) {
        self.handle.shutdown();
    }
}
