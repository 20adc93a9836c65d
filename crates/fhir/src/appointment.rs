//! Appointment ⇄ ClinicDesk appointment: status, patient, practitioner,
//! location, time, slot, type, reason and cancellation reason.
//!
//! Proposed, pending and waitlisted appointments are requests, not
//! bookings: they are skipped and reported, as are entered-in-error ones.

use crate::bundle::{reference, Kind};
use crate::json::{concept_text, get_str, instant, quote, Reader};
use crate::refs::{self, Ctx, Ref, Resolver};
use crate::write::{appointment_type, check_missing, Fail, Written};
use crate::Mapped;
use clinicdesk_domain::{validate, AppointmentStatus};
use clinicdesk_store::{Appointment, RecordedAppointment, Tx};
use serde_json::{json, Value};

pub(crate) struct AppointmentData {
    pub status: AppointmentStatus,
    pub patient: Ref,
    pub practitioner: Ref,
    pub location: Ref,
    pub slot: Option<Ref>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub type_name: Option<String>,
    pub reason: Option<String>,
    pub cancel_reason: Option<String>,
}

fn status(r: &mut Reader) -> Result<Option<AppointmentStatus>, String> {
    use AppointmentStatus::*;
    Ok(match r.str("status") {
        Some("booked") => Some(Booked),
        Some("arrived" | "checked-in") => Some(Arrived),
        Some("fulfilled") => Some(Completed),
        Some("cancelled") => Some(Cancelled),
        Some("noshow") => Some(NoShow),
        Some(s @ ("proposed" | "pending" | "waitlist")) => {
            return Err(format!(
                "its status is {s}: it is a request, not a booked appointment, and ClinicDesk keeps booked appointments only"
            ))
        }
        Some("entered-in-error") => return Err("its status is entered-in-error".into()),
        Some(other) => {
            r.problem(format!("status {} is not an Appointment status", quote(other)));
            None
        }
        None => {
            r.problem("no status");
            None
        }
    })
}

pub(crate) fn map(r: &mut Reader, ctx: &Ctx) -> Option<Mapped<AppointmentData>> {
    let status = match status(r) {
        Ok(s) => s,
        Err(skip) => return Some(Mapped::Skip(skip)),
    };
    let (starts_at, ends_at) = times(r);
    let (patient, practitioner, location) = participants(r, ctx);
    let slots = r.array("slot");
    let slot = slots
        .first()
        .and_then(|s| refs::parse(s, "slot[0]").map_err(|m| r.problem(m)).ok());
    for (i, s) in slots.iter().enumerate().skip(1) {
        let shown = get_str(s, "reference").unwrap_or("");
        r.ignore(
            format!("slot[{i}] ({})", quote(shown)),
            "ClinicDesk books an appointment into one slot",
        );
    }
    let type_name = visit_type(r);
    let reasons: Vec<String> = r
        .array("reasonCode")
        .iter()
        .filter_map(concept_text)
        .collect();
    let mut reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    if let Some(d) = r.str("description") {
        if reason.is_none() {
            reason = Some(d.to_string());
        } else {
            r.ignore("description", "the visit reason is taken from reasonCode");
        }
    }
    let reason = validate::text("visit reason", reason.as_deref(), 500).map_err(|m| r.problem(m));
    let cancel = r.take("cancelationReason").and_then(concept_text);
    let cancel_reason =
        validate::text("cancellation reason", cancel.as_deref(), 500).map_err(|m| r.problem(m));
    Some(Mapped::Data(AppointmentData {
        status: status?,
        patient: patient?,
        practitioner: practitioner?,
        location: location?,
        slot,
        starts_at: starts_at?,
        ends_at: ends_at?,
        type_name,
        reason: reason.ok()?,
        cancel_reason: cancel_reason.ok()?,
    }))
}

/// Start, and end or minutesDuration.
fn times(r: &mut Reader) -> (Option<i64>, Option<i64>) {
    let start = match r.str("start") {
        Some(s) => instant("start", s).map_err(|m| r.problem(m)).ok(),
        None if !r.has("start") => {
            r.problem("no start; ClinicDesk needs the appointment's time");
            None
        }
        None => None,
    };
    let end = match r.str("end") {
        Some(s) => {
            if r.has("minutesDuration") {
                r.take("minutesDuration");
                r.ignore("minutesDuration", "the end time is kept");
            }
            instant("end", s).map_err(|m| r.problem(m)).ok()
        }
        None if r.has("end") => None,
        None => match r.take("minutesDuration").map(Value::as_u64) {
            Some(Some(m)) if (1..=480).contains(&m) => start.map(|s| s + m as i64 * 60),
            Some(_) => {
                r.problem("minutesDuration must be a whole number of minutes from 1 to 480");
                None
            }
            None => {
                r.problem(
                    "no end or minutesDuration; ClinicDesk needs how long the appointment is",
                );
                None
            }
        },
    };
    (start, end)
}

/// The patient, the first practitioner and the first location.
fn participants(r: &mut Reader, ctx: &Ctx) -> (Option<Ref>, Option<Ref>, Option<Ref>) {
    let mut found: [Vec<(usize, Ref)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (i, p) in r.array("participant").iter().enumerate() {
        let element = format!("participant[{i}].actor");
        let Some(actor) = p.get("actor") else {
            r.ignore(
                format!("participant[{i}]"),
                "it names no one; ClinicDesk records named participants",
            );
            continue;
        };
        if actor.get("reference").is_none() {
            let shown = get_str(actor, "display").unwrap_or("");
            r.ignore(
                format!("{element} ({})", quote(shown)),
                "it refers to no record; ClinicDesk records named participants",
            );
            continue;
        }
        let rf = match refs::parse(actor, &element) {
            Ok(rf) => rf,
            Err(m) => {
                r.problem(m);
                continue;
            }
        };
        match ctx.type_of(&rf) {
            Some("Patient") => found[0].push((i, rf)),
            Some("Practitioner") => found[1].push((i, rf)),
            Some("Location") => found[2].push((i, rf)),
            Some(other) => r.ignore(
                format!("{element} ({})", quote(&rf.raw)),
                format!("ClinicDesk records the patient, practitioner and location of an appointment, not a {other}"),
            ),
            None => r.problem(format!("{element} {} is not in this import, so its type is unknown", quote(&rf.raw))),
        }
    }
    let [patients, practitioners, locations] = found;
    let patient = match patients.len() {
        0 => {
            r.problem("no Patient participant; a ClinicDesk appointment is for one patient");
            None
        }
        1 => patients.into_iter().next().map(|(_, rf)| rf),
        n => {
            r.problem(format!(
                "{n} Patient participants; a ClinicDesk appointment is for one patient"
            ));
            None
        }
    };
    let mut first = |list: Vec<(usize, Ref)>, what: &str, why: &str| -> Option<Ref> {
        let mut it = list.into_iter();
        let Some((_, chosen)) = it.next() else {
            r.problem(format!("no {what} participant; {why}"));
            return None;
        };
        for (i, rf) in it {
            r.ignore(
                format!("participant[{i}].actor ({})", quote(&rf.raw)),
                format!(
                    "ClinicDesk records one {} per appointment",
                    what.to_lowercase()
                ),
            );
        }
        Some(chosen)
    };
    let practitioner = first(
        practitioners,
        "Practitioner",
        "ClinicDesk needs the practitioner the appointment is with",
    );
    let location = first(
        locations,
        "Location",
        "ClinicDesk books every appointment at a location",
    );
    (patient, practitioner, location)
}

/// appointmentType, else the first serviceType: matched by name.
fn visit_type(r: &mut Reader) -> Option<String> {
    let from_type = r.take("appointmentType").and_then(concept_text);
    let services = r.array("serviceType");
    let mut chosen = from_type.clone();
    for (i, s) in services.iter().enumerate() {
        let text = concept_text(s).unwrap_or_default();
        if chosen.is_none() {
            chosen = Some(text);
        } else {
            let why = if from_type.is_some() {
                "the appointment type is taken from appointmentType"
            } else {
                "ClinicDesk keeps one appointment type"
            };
            r.ignore(format!("serviceType[{i}] ({})", quote(&text)), why);
        }
    }
    chosen.filter(|c| !c.is_empty())
}

pub(crate) fn write(tx: &mut Tx, rs: &Resolver, d: &AppointmentData) -> Result<Written, Fail> {
    let mut missing = Vec::new();
    let patient_id = rs.get(tx, &d.patient, Kind::Patient, &mut missing)?;
    let provider_id = rs.get(tx, &d.practitioner, Kind::Practitioner, &mut missing)?;
    let location_id = rs.get(tx, &d.location, Kind::Location, &mut missing)?;
    let slot_id = match &d.slot {
        Some(s) => rs.get(tx, s, Kind::Slot, &mut missing)?,
        None => None,
    };
    check_missing(missing)?;
    let (Some(patient_id), Some(provider_id), Some(location_id)) =
        (patient_id, provider_id, location_id)
    else {
        return Err(Fail::Problems(vec![
            "its participants could not be found".into()
        ]));
    };
    let slot = slot_id
        .as_deref()
        .map(|id| tx.slot_record(id))
        .transpose()?;
    if let Some(s) = &slot {
        if s.provider_id != provider_id || s.location_id != location_id {
            return Err(Fail::Problems(vec![
                "its slot is another practitioner's or at another location".into(),
            ]));
        }
    }
    let type_id = match (&d.type_name, slot.as_ref().and_then(|s| s.appointment_type_id.clone())) {
        (Some(name), _) => appointment_type(tx, name, d.ends_at - d.starts_at)?,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(Fail::Problems(vec![
                "no appointmentType or serviceType (nor a typed slot); ClinicDesk needs the kind of visit".into(),
            ]))
        }
    };
    let id = tx.record_appointment(&RecordedAppointment {
        patient_id: patient_id.clone(),
        provider_id,
        location_id,
        appointment_type_id: type_id,
        slot_id,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        status: d.status,
        reason: d.reason.clone(),
        cancel_reason: d.cancel_reason.clone(),
    })?;
    Ok(Written {
        local_id: id,
        patient_id: Some(patient_id),
    })
}

pub(crate) fn fhir_status(s: AppointmentStatus) -> &'static str {
    use AppointmentStatus::*;
    match s {
        Booked | Confirmed => "booked",
        Arrived | Roomed | WithProvider => "arrived",
        Completed => "fulfilled",
        Cancelled => "cancelled",
        NoShow => "noshow",
    }
}

/// Times are in the location's zone, as the front desk sees them.
pub(crate) fn export(a: &Appointment) -> Value {
    let mut r = json!({
        "resourceType": "Appointment",
        "id": a.id,
        "status": fhir_status(a.status),
        "appointmentType": { "text": a.appointment_type },
        "start": a.local_start,
        "end": a.local_end,
        "participant": [
            { "actor": reference(&a.patient_id), "status": "accepted" },
            { "actor": reference(&a.provider_id), "status": "accepted" },
            { "actor": reference(&a.location_id), "status": "accepted" },
        ],
    });
    if let Some(reason) = &a.reason {
        r["reasonCode"] = json!([{ "text": reason }]);
    }
    if let Some(c) = &a.cancel_reason {
        r["cancelationReason"] = json!({ "text": c });
    }
    if let Some(s) = &a.slot_id {
        r["slot"] = json!([reference(s)]);
    }
    r
}
