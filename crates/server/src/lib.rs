//! The ClinicDesk clinic server: enrolls desktops and relays their sync
//! change logs. It stores changes in the order it receives them and serves
//! them to every enrolled device, filtered by what the device's roles may
//! read. Storage is one [`db::Database`] trait with an embedded SQLite
//! implementation and a PostgreSQL one.

pub mod auth;
pub mod db;
pub mod group_commit;
pub mod http;
pub mod metrics;
pub mod postgres;
pub mod sqlite;
pub mod tls;

pub use db::{Database, DbError, Device, NewDevice, PushOutcome};
