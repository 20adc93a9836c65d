//! What the server keeps, behind one trait so the embedded SQLite store and
//! PostgreSQL behave the same (one conformance suite runs against both).

use clinicdesk_domain::Role;
use clinicdesk_sync_proto::{ChangeEntry, ServedChange};
use std::future::Future;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the enrollment code is unknown, used or expired")]
    BadEnrollmentCode,
    #[error("the server's database failed: {0}")]
    Backend(String),
    #[error("the server's database holds schema {found}, newer than this server ({supported}); upgrade the server")]
    NewerSchema { found: i64, supported: i64 },
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Backend(e.to_string())
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Backend(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, DbError>;

/// Wrong proofs after which an enrollment code is void.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// An enrolled desktop.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    pub device_id: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub enrolled_at: i64,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A one-time enrollment code as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// The code's public part: how the server finds it.
    pub lookup: String,
    /// The secret part, never sent by the desktop (it proves it knows it).
    pub secret: String,
    pub roles: Vec<Role>,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: String,
    pub name: String,
    pub token_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushOutcome {
    pub accepted: usize,
    pub duplicates: usize,
    pub head: i64,
}

/// A page of changes: `next` is where the following page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub changes: Vec<ServedChange>,
    pub next: i64,
    pub more: bool,
}

impl Page {
    /// A full page continues at its last change; a short one has reached
    /// `head` (changes to tables the device may not read are passed over).
    pub(crate) fn new(changes: Vec<ServedChange>, after: i64, head: i64, limit: usize) -> Page {
        let more = changes.len() >= limit && limit > 0;
        let next = if more {
            changes.last().map_or(after, |c| c.cursor)
        } else {
            head.max(after)
        };
        Page {
            changes,
            next,
            more,
        }
    }
}

/// Outcomes of a group whose newly stored change ids are `inserted`: a change
/// counts as accepted for the first push that holds it, a duplicate otherwise.
pub(crate) fn credit(
    pushes: &[&[ChangeEntry]],
    mut inserted: std::collections::HashSet<String>,
    head: i64,
) -> Vec<PushOutcome> {
    pushes
        .iter()
        .map(|changes| {
            let accepted = changes
                .iter()
                .filter(|c| inserted.remove(&c.change_id))
                .count();
            PushOutcome {
                accepted,
                duplicates: changes.len() - accepted,
                head,
            }
        })
        .collect()
}

/// A group's changes in order, as the rows both stores insert: change id,
/// clock stamp, device, user, table, record, op, and the fields as JSON
/// text (written straight from the map, never cloned).
pub(crate) fn rows(pushes: &[&[ChangeEntry]]) -> Result<Vec<[Option<String>; 8]>> {
    pushes
        .iter()
        .flat_map(|p| p.iter())
        .map(|ch| {
            let fields = serde_json::to_string(&ch.fields).map_err(|e| {
                DbError::Backend(format!(
                    "change {} has fields that cannot be stored: {e}",
                    ch.change_id
                ))
            })?;
            Ok([
                Some(ch.change_id.clone()),
                Some(ch.hlc.clone()),
                Some(ch.device_id.clone()),
                ch.user_id.clone(),
                Some(ch.table.clone()),
                Some(ch.record_id.clone()),
                Some(ch.op.as_str().to_string()),
                Some(fields),
            ])
        })
        .collect()
}

pub(crate) fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',').filter_map(|r| r.parse().ok()).collect()
}

pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The server's storage. Every method is one transaction.
pub trait Database: Clone + Send + Sync + 'static {
    /// Creates or upgrades the schema; refuses a newer one.
    fn migrate(&self) -> impl Future<Output = Result<()>> + Send;

    /// The clinic's id, made at the first start.
    fn clinic_id(&self) -> impl Future<Output = Result<String>> + Send;

    fn add_enrollment_code(&self, code: &EnrollmentCode)
        -> impl Future<Output = Result<()>> + Send;

    /// The unused, unexpired code with this lookup part. A wrong proof
    /// counts against it; after a few the code is void.
    fn enrollment_code(
        &self,
        lookup: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<EnrollmentCode>>> + Send;

    fn count_failed_attempt(&self, lookup: &str) -> impl Future<Output = Result<()>> + Send;

    /// Uses the code and enrolls (or re-enrolls) the device in one
    /// transaction; fails if the code was used meanwhile.
    fn redeem(
        &self,
        lookup: &str,
        device: &NewDevice,
        now: i64,
    ) -> impl Future<Output = Result<Device>> + Send;

    /// The device holding this token, unless revoked; notes it was seen.
    fn device_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<Device>>> + Send;

    fn devices(&self) -> impl Future<Output = Result<Vec<Device>>> + Send;

    /// False when there is no such device.
    fn revoke(&self, device_id: &str, now: i64) -> impl Future<Output = Result<bool>> + Send;

    /// Stores several pushes in one transaction, so one commit serves them
    /// all (group commit): each push's changes not stored yet (by change
    /// id), in order, pushes in the order given. One outcome per push; a
    /// change in two pushes counts as accepted for the first.
    fn push_group(
        &self,
        pushes: &[&[ChangeEntry]],
        now: i64,
    ) -> impl Future<Output = Result<Vec<PushOutcome>>> + Send;

    /// Stores one push on its own.
    fn push(
        &self,
        changes: &[ChangeEntry],
        now: i64,
    ) -> impl Future<Output = Result<PushOutcome>> + Send {
        async move {
            self.push_group(&[changes], now)
                .await?
                .pop()
                .ok_or_else(|| DbError::Backend("a push was stored without an outcome".into()))
        }
    }

    /// Changes after `after` to the given tables, oldest first.
    fn pull(
        &self,
        after: i64,
        limit: usize,
        tables: &[&str],
    ) -> impl Future<Output = Result<Page>> + Send;

    /// The newest cursor (0 when empty).
    fn head(&self) -> impl Future<Output = Result<i64>> + Send;
}
