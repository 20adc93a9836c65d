//! The sync protocol between ClinicDesk desktops and the clinic server,
//! version [`PROTOCOL_VERSION`]. Described in `docs/sync-protocol.md`.
//!
//! Desktops push their change-log entries and pull everyone's, in the
//! server's order, from a cursor. Everything here is plain data plus the
//! checks both ends apply to it, so a malformed entry is refused with the
//! same words wherever it is met.

use clinicdesk_domain::{sync_scope, Hlc, Role};
use serde::{Deserialize, Serialize};

/// Sent in every request's `ClinicDesk-Protocol` header; the server refuses
/// versions it does not speak.
pub mod enrollment;

pub const PROTOCOL_VERSION: u32 = 1;
pub const PROTOCOL_HEADER: &str = "clinicdesk-protocol";

/// At most this many changes in one push, and per pulled page.
pub const MAX_BATCH: usize = 5_000;
/// A change's `fields` object, serialized, is at most this large.
pub const MAX_FIELDS_BYTES: usize = 256 * 1024;

/// One row change, as the desktop's change log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// Unique across all devices (UUID); pushing it twice stores it once.
    pub change_id: String,
    /// Hybrid logical clock stamp of the write: the order of last-writer-wins.
    pub hlc: String,
    pub device_id: String,
    pub user_id: Option<String>,
    pub table: String,
    pub record_id: String,
    pub op: Op,
    /// The fields written, by column name (empty for deletions).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "insert" => Some(Op::Insert),
            "update" => Some(Op::Update),
            "delete" => Some(Op::Delete),
            _ => None,
        }
    }
}

impl ChangeEntry {
    /// Checks what the server stores and a desktop applies. `pusher` is the
    /// device sending it: a device pushes only its own changes.
    pub fn check(&self, pusher: &str) -> Result<(), String> {
        let who = || format!("change {}", self.change_id);
        if uuid::Uuid::parse_str(&self.change_id).is_err() {
            return Err(format!("change id '{}' is not a UUID", self.change_id));
        }
        let hlc: Hlc = self.hlc.parse().map_err(|e| format!("{}: {e}", who()))?;
        if self.device_id != pusher || hlc.device != pusher {
            return Err(format!(
                "{}: a device may push only its own changes (it names device '{}')",
                who(),
                self.device_id
            ));
        }
        if !sync_scope::is_synced(&self.table) {
            return Err(format!("{}: '{}' is not a synced table", who(), self.table));
        }
        if !is_plain_id(&self.record_id) {
            return Err(format!(
                "{}: the record id is empty, too long or holds control characters",
                who()
            ));
        }
        if self.user_id.as_deref().is_some_and(|u| !is_plain_id(u)) {
            return Err(format!(
                "{}: the user id is empty, too long or holds control characters",
                who()
            ));
        }
        if let Some(bad) = self.fields.keys().find(|k| !is_column_name(k)) {
            return Err(format!("{}: '{bad}' is not a column name", who()));
        }
        if self.op == Op::Delete && !self.fields.is_empty() {
            return Err(format!("{}: a deletion carries no fields", who()));
        }
        let size = json_size(&self.fields);
        if size > MAX_FIELDS_BYTES {
            return Err(format!(
                "{}: its fields are {size} bytes, more than {MAX_FIELDS_BYTES}",
                who()
            ));
        }
        Ok(())
    }
}

/// Bytes of `v` as JSON, counted without keeping them (every pushed and
/// merged change is measured).
fn json_size(v: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    serde_json::to_writer(&mut n, v).map_or(usize::MAX, |()| n.0)
}

/// An identifier every store can keep: 1 to 200 bytes, no control characters
/// (PostgreSQL refuses a NUL in text, SQLite would keep it).
fn is_plain_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && !s.chars().any(char::is_control)
}

/// Lower-case letters, digits and underscores, starting with a letter: all
/// a column name needs, and nothing that could be read as SQL.
pub fn is_column_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 64
}

/// `POST /v1/changes`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub changes: Vec<ChangeEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Stored now.
    pub accepted: usize,
    /// Already stored by an earlier push (a retry): nothing changed.
    pub duplicates: usize,
    /// Refused, each with the reason; the rest of the batch is stored.
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    /// The server's newest cursor after this push.
    pub head: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub change_id: String,
    pub reason: String,
}

/// A change as the server serves it: with its place in the server's order.
/// On the wire `cursor` sits beside the change's own fields, one flat
/// object; it is read and written through `FlatServed` rather than
/// `#[serde(flatten)]`, which buffers every value before reading it (a
/// pulled page holds thousands).
#[derive(Debug, Clone, PartialEq)]
pub struct ServedChange {
    pub cursor: i64,
    pub change: ChangeEntry,
}

#[derive(Serialize, Deserialize)]
struct FlatServed<S, F> {
    cursor: i64,
    change_id: S,
    hlc: S,
    device_id: S,
    user_id: Option<S>,
    table: S,
    record_id: S,
    op: Op,
    fields: F,
}

impl Serialize for ServedChange {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        let c = &self.change;
        FlatServed {
            cursor: self.cursor,
            change_id: &c.change_id,
            hlc: &c.hlc,
            device_id: &c.device_id,
            user_id: c.user_id.as_ref(),
            table: &c.table,
            record_id: &c.record_id,
            op: c.op,
            fields: &c.fields,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ServedChange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = FlatServed::<String, serde_json::Map<String, serde_json::Value>>::deserialize(d)?;
        Ok(ServedChange {
            cursor: f.cursor,
            change: ChangeEntry {
                change_id: f.change_id,
                hlc: f.hlc,
                device_id: f.device_id,
                user_id: f.user_id,
                table: f.table,
                record_id: f.record_id,
                op: f.op,
                fields: f.fields,
            },
        })
    }
}

/// `GET /v1/changes?after=CURSOR&limit=N`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<ServedChange>,
    /// Pass as `after` next time (the last change's cursor, or `after` itself).
    pub next: i64,
    /// More changes wait beyond this page.
    pub more: bool,
}

/// `POST /v1/enroll` (the only request without a device token).
///
/// The desktop never sends the code's secret part. It proves it knows it
/// with an HMAC over the server certificate fingerprint it sees, and the
/// server answers with its own: a machine in the middle, which shows another
/// certificate, can neither enroll nor pass for the server. See
/// `docs/sync-protocol.md`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The code's first group: which code this is.
    pub lookup: String,
    /// `enroll_proof(secret, "client", fingerprint, device_id)`, hex.
    pub proof: String,
    /// The desktop's store device id: its changes carry it.
    pub device_id: String,
    /// Shown to administrators, for example "Front desk 2".
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub clinic_id: String,
    /// The device's credential: sent as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// What the device may receive and send.
    pub roles: Vec<Role>,
    /// `enroll_proof(secret, "server", fingerprint, device_id)`, hex.
    pub server_proof: String,
}

/// Server-sent event on `GET /v1/events`: the newest cursor after a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadEvent {
    pub head: i64,
}

/// Every error response's body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable, machine-readable word, for example `unauthorized`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(device: &str) -> ChangeEntry {
        let mut fields = serde_json::Map::new();
        fields.insert("given_name".into(), "Ada".into());
        ChangeEntry {
            change_id: "0190f5c4-7a3e-7000-8000-000000000001".into(),
            hlc: format!("000001730000000-000000-{device}"),
            device_id: device.into(),
            user_id: Some("u1".into()),
            table: "patients".into(),
            record_id: "p1".into(),
            op: Op::Insert,
            fields,
        }
    }

    #[test]
    fn a_well_formed_change_passes() {
        change("d1").check("d1").unwrap();
    }

    #[test]
    fn malformed_changes_are_refused_with_the_reason() {
        let mut c = change("d1");
        c.change_id = "nope".into();
        assert!(c.check("d1").unwrap_err().contains("not a UUID"));

        assert!(change("d1")
            .check("d2")
            .unwrap_err()
            .contains("only its own"));

        let mut c = change("d1");
        c.table = "audit_log".into();
        assert!(c.check("d1").unwrap_err().contains("not a synced table"));

        let mut c = change("d1");
        c.fields.insert("x; DROP TABLE patients".into(), 1.into());
        assert!(c.check("d1").unwrap_err().contains("not a column name"));

        let mut c = change("d1");
        c.hlc = "yesterday".into();
        assert!(c.check("d1").unwrap_err().contains("hybrid logical clock"));

        let mut c = change("d1");
        c.op = Op::Delete;
        assert!(c.check("d1").unwrap_err().contains("no fields"));

        let mut c = change("d1");
        c.record_id = "p\u{0}1".into();
        assert!(c.check("d1").unwrap_err().contains("record id"));

        let mut c = change("d1");
        c.user_id = Some(String::new());
        assert!(c.check("d1").unwrap_err().contains("user id"));
    }

    #[test]
    fn served_changes_read_back_flat() {
        let s = ServedChange {
            cursor: 7,
            change: change("d1"),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["cursor"], 7);
        assert_eq!(json["table"], "patients");
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.len(),
            9,
            "cursor and the change's eight fields, side by side: {keys:?}"
        );
        let back: ServedChange = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, s);

        // A newer server's extra field is passed over; no user id is none.
        let mut newer = json;
        newer["origin"] = "elsewhere".into();
        newer.as_object_mut().unwrap().remove("user_id");
        let read: ServedChange = serde_json::from_value(newer).unwrap();
        assert_eq!(read.change.user_id, None);
        assert_eq!(read.change.fields, s.change.fields);
        let missing = serde_json::json!({ "cursor": 1, "change_id": "x" });
        assert!(serde_json::from_value::<ServedChange>(missing).is_err());
    }
}
