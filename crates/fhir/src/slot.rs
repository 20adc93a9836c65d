//! Slot ⇄ ClinicDesk slot: schedule, time, open or blocked, and the
//! appointment type it is kept for.

use crate::bundle::{reference, Kind};
use crate::json::{concept_text, instant, quote, Reader};
use crate::refs::{self, Ref, Resolver};
use crate::write::{appointment_type, check_missing, Fail, Written};
use crate::Mapped;
use clinicdesk_domain::ClinicZone;
use clinicdesk_store::schedule::RecordedSlot;
use clinicdesk_store::{Slot, Tx};
use serde_json::{json, Value};

pub(crate) struct SlotData {
    pub schedule: Ref,
    /// "open" or "blocked".
    pub status: &'static str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub type_name: Option<String>,
}

pub(crate) fn map(r: &mut Reader) -> Option<Mapped<SlotData>> {
    let status = match r.str("status") {
        Some("entered-in-error") => {
            return Some(Mapped::Skip("its status is entered-in-error".into()))
        }
        Some("free") => Some("open"),
        Some("busy") => {
            r.ignore(
                "status (busy)",
                "recorded as an open slot; ClinicDesk counts a slot busy from the appointments booked in it",
            );
            Some("open")
        }
        Some("busy-unavailable") => Some("blocked"),
        Some("busy-tentative") => {
            r.problem("its status is busy-tentative; ClinicDesk has no tentative slots");
            None
        }
        Some(other) => {
            r.problem(format!("status {} is not a Slot status", quote(other)));
            None
        }
        None => {
            r.problem("no status; ClinicDesk needs to know whether the slot is free");
            None
        }
    };
    let schedule = match r.take("schedule") {
        Some(v) => refs::parse(v, "schedule").map_err(|m| r.problem(m)).ok(),
        None => {
            r.problem(
                "no schedule; ClinicDesk needs the practitioner and location the slot is for",
            );
            None
        }
    };
    let starts_at = time(r, "start");
    let ends_at = time(r, "end");
    let type_name = r.take("appointmentType").and_then(concept_text);
    Some(Mapped::Data(SlotData {
        schedule: schedule?,
        status: status?,
        starts_at: starts_at?,
        ends_at: ends_at?,
        type_name,
    }))
}

fn time(r: &mut Reader, key: &'static str) -> Option<i64> {
    let Some(s) = r.str(key) else {
        if !r.has(key) {
            r.problem(format!("no {key}; ClinicDesk needs the slot's time"));
        }
        return None;
    };
    instant(key, s).map_err(|m| r.problem(m)).ok()
}

pub(crate) fn write(tx: &mut Tx, rs: &Resolver, d: &SlotData) -> Result<Written, Fail> {
    let mut missing = Vec::new();
    let schedule_id = rs.get(tx, &d.schedule, Kind::Schedule, &mut missing)?;
    check_missing(missing)?;
    let Some(schedule_id) = schedule_id else {
        return Err(Fail::Problems(vec![
            "its schedule could not be found".into()
        ]));
    };
    if d.ends_at <= d.starts_at {
        return Err(Fail::Problems(vec!["it must end after it starts".into()]));
    }
    let type_id = match &d.type_name {
        Some(name) => Some(appointment_type(tx, name, d.ends_at - d.starts_at)?),
        None => None,
    };
    let id = tx.record_slot(&RecordedSlot {
        schedule_id,
        appointment_type_id: type_id,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        capacity: 1,
        status: d.status.to_string(),
    })?;
    Ok(Written::record(id))
}

/// A full slot is busy; a blocked one is busy-unavailable. FHIR has no
/// capacity, so a group slot's capacity is not exported.
pub(crate) fn export(s: &Slot, zone: ClinicZone, type_name: Option<&str>) -> Value {
    let status = match s.status.as_str() {
        "blocked" => "busy-unavailable",
        _ if s.booked >= s.capacity => "busy",
        _ => "free",
    };
    let mut r = json!({
        "resourceType": "Slot",
        "id": s.id,
        "schedule": reference(&s.schedule_id),
        "status": status,
        "start": zone.rfc3339(s.starts_at),
        "end": zone.rfc3339(s.ends_at),
    });
    if let Some(t) = type_name {
        r["appointmentType"] = json!({ "text": t });
    }
    r
}
