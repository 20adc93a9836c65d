//! Encounter ⇄ ClinicDesk encounter: status, patient, practitioner,
//! appointment, period, reason and location. ClinicDesk is an outpatient
//! system: only ambulatory (AMB) encounters are imported, and all are
//! exported as AMB.

use crate::bundle::{reference, Kind};
use crate::json::{concept_text, get_str, instant, quote, Reader};
use crate::refs::{self, Ctx, Ref, Resolver};
use crate::write::{check_missing, Fail, Written};
use crate::Mapped;
use clinicdesk_domain::{validate, ClinicZone};
use clinicdesk_store::interop::ImportedEncounter;
use clinicdesk_store::{Encounter, Tx};
use serde_json::{json, Value};

const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

pub(crate) struct EncounterData {
    pub status: &'static str,
    pub patient: Ref,
    pub practitioner: Ref,
    pub location: Option<Ref>,
    pub appointment: Option<Ref>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub reason: Option<String>,
}

pub(crate) fn map(r: &mut Reader, ctx: &Ctx) -> Option<Mapped<EncounterData>> {
    let status = match r.str("status") {
        Some("entered-in-error") => {
            return Some(Mapped::Skip("its status is entered-in-error".into()))
        }
        Some("in-progress") => Some("in-progress"),
        Some("finished") => Some("finished"),
        Some("cancelled") => Some("cancelled"),
        Some("planned") => {
            r.problem("its status is planned: it has not happened; ClinicDesk keeps planned visits as Appointments");
            None
        }
        Some(other) => {
            r.problem(format!(
                "status {} has no ClinicDesk equivalent (in-progress, finished or cancelled)",
                quote(other)
            ));
            None
        }
        None => {
            r.problem("no status");
            None
        }
    };
    match r.object("class") {
        Some(c) => {
            let code = c.get("code").and_then(Value::as_str).unwrap_or("");
            let system_ok = c
                .get("system")
                .and_then(Value::as_str)
                .is_none_or(|s| s == ACT_CODE);
            if code != "AMB" || !system_ok {
                let display = c
                    .get("display")
                    .and_then(Value::as_str)
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                r.problem(format!(
                    "class {}{display} is not ambulatory (AMB); ClinicDesk records outpatient encounters only",
                    quote(code)
                ));
            }
        }
        None if !r.has("class") => {
            r.problem("no class; ClinicDesk records ambulatory (AMB) encounters only")
        }
        None => {}
    }
    let patient = match r.take("subject") {
        Some(v) => refs::parse(v, "subject").map_err(|m| r.problem(m)).ok(),
        None => {
            r.problem("no subject; ClinicDesk needs the patient");
            None
        }
    };
    if let Some(t) = patient
        .as_ref()
        .and_then(|p| ctx.type_of(p))
        .filter(|t| *t != "Patient")
    {
        r.problem(format!("subject must be a Patient, not a {t}"));
    }
    let practitioner = practitioner(r, ctx);
    let appointment = first_ref(
        r,
        "appointment",
        None,
        "ClinicDesk links an encounter to one appointment",
    );
    let location = first_ref(
        r,
        "location",
        Some("location"),
        "ClinicDesk records one location per encounter",
    );
    let (started_at, ended_at) = period(r);
    let reasons: Vec<String> = r
        .array("reasonCode")
        .iter()
        .filter_map(concept_text)
        .collect();
    let reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    let reason = validate::text("reason", reason.as_deref(), 500).map_err(|m| r.problem(m));
    Some(Mapped::Data(EncounterData {
        status: status?,
        patient: patient?,
        practitioner: practitioner?,
        location: location.ok()?,
        appointment: appointment.ok()?,
        started_at: started_at?,
        ended_at: ended_at.ok()?,
        reason: reason.ok()?,
    }))
}

fn practitioner(r: &mut Reader, ctx: &Ctx) -> Option<Ref> {
    let mut chosen: Option<Ref> = None;
    for (i, p) in r.array("participant").iter().enumerate() {
        let element = format!("participant[{i}].individual");
        let Some(ind) = p.get("individual").filter(|i| i.get("reference").is_some()) else {
            r.ignore(
                format!("participant[{i}]"),
                "it refers to no record; ClinicDesk records the practitioner",
            );
            continue;
        };
        let rf = match refs::parse(ind, &element) {
            Ok(rf) => rf,
            Err(m) => {
                r.problem(m);
                continue;
            }
        };
        match ctx.type_of(&rf) {
            Some("Practitioner") if chosen.is_none() => chosen = Some(rf),
            Some("Practitioner") => r.ignore(
                format!("{element} ({})", quote(&rf.raw)),
                "ClinicDesk records one practitioner per encounter",
            ),
            Some(other) => r.ignore(
                format!("{element} ({})", quote(&rf.raw)),
                format!("ClinicDesk records the practitioner of an encounter, not a {other}"),
            ),
            None => r.problem(format!(
                "{element} {} is not in this import, so its type is unknown",
                quote(&rf.raw)
            )),
        }
    }
    if chosen.is_none() {
        r.problem(
            "no Practitioner participant; ClinicDesk needs the practitioner who saw the patient",
        );
    }
    chosen
}

/// The first reference of a list (under `inner` in each item), the rest
/// listed as ignored. `Err` when the first cannot be read.
fn first_ref(
    r: &mut Reader,
    key: &'static str,
    inner: Option<&str>,
    why: &str,
) -> Result<Option<Ref>, ()> {
    let list = r.array(key);
    for (i, item) in list.iter().enumerate().skip(1) {
        let v = inner.map_or(Some(item), |k| item.get(k));
        let shown = v
            .and_then(|v| get_str(v, "reference").or_else(|| get_str(v, "display")))
            .unwrap_or("");
        r.ignore(format!("{key}[{i}] ({})", quote(shown)), why);
    }
    let Some(item) = list.first() else {
        return Ok(None);
    };
    let element = match inner {
        Some(k) => format!("{key}[0].{k}"),
        None => format!("{key}[0]"),
    };
    let v = inner.map_or(Some(item), |k| item.get(k));
    match v.map(|v| refs::parse(v, &element)) {
        Some(Ok(rf)) => Ok(Some(rf)),
        Some(Err(m)) => {
            r.problem(m);
            Err(())
        }
        None => {
            r.problem(format!("{element} is missing"));
            Err(())
        }
    }
}

fn period(r: &mut Reader) -> (Option<i64>, Result<Option<i64>, ()>) {
    let Some(p) = r.object("period") else {
        if !r.has("period") {
            r.problem("no period; ClinicDesk needs when the encounter started");
        }
        return (None, Ok(None));
    };
    let at = |r: &mut Reader, k: &str| -> Result<Option<i64>, ()> {
        match p.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => instant(&format!("period.{k}"), s)
                .map(Some)
                .map_err(|m| r.problem(m)),
            Some(_) => {
                r.problem(format!("period.{k} must be a string"));
                Err(())
            }
        }
    };
    let start = match at(r, "start") {
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            r.problem("no period.start; ClinicDesk needs when the encounter started");
            None
        }
        Err(()) => None,
    };
    (start, at(r, "end"))
}

pub(crate) fn write(tx: &mut Tx, rs: &Resolver, d: &EncounterData) -> Result<Written, Fail> {
    let mut missing = Vec::new();
    let patient_id = rs.get(tx, &d.patient, Kind::Patient, &mut missing)?;
    let provider_id = rs.get(tx, &d.practitioner, Kind::Practitioner, &mut missing)?;
    let location_id = match &d.location {
        Some(l) => rs.get(tx, l, Kind::Location, &mut missing)?,
        None => None,
    };
    let appointment_id = match &d.appointment {
        Some(a) => rs.get(tx, a, Kind::Appointment, &mut missing)?,
        None => None,
    };
    check_missing(missing)?;
    let (Some(patient_id), Some(provider_id)) = (patient_id, provider_id) else {
        return Err(Fail::Problems(vec![
            "its subject or practitioner could not be found".into(),
        ]));
    };
    let id = tx.import_encounter(&ImportedEncounter {
        patient_id: patient_id.clone(),
        provider_id,
        location_id,
        appointment_id,
        status: d.status.to_string(),
        reason: d.reason.clone(),
        started_at: d.started_at,
        ended_at: d.ended_at,
    })?;
    Ok(Written {
        local_id: id,
        patient_id: Some(patient_id),
    })
}

pub(crate) fn export(e: &Encounter, zone: ClinicZone) -> Value {
    let mut period = json!({ "start": zone.rfc3339(e.started_at) });
    if let Some(end) = e.ended_at {
        period["end"] = json!(zone.rfc3339(end));
    }
    let mut r = json!({
        "resourceType": "Encounter",
        "id": e.id,
        "status": e.status,
        "class": { "system": ACT_CODE, "code": "AMB", "display": "ambulatory" },
        "subject": reference(&e.patient_id),
        "participant": [{ "individual": reference(&e.provider_id) }],
        "period": period,
    });
    if let Some(a) = &e.appointment_id {
        r["appointment"] = json!([reference(a)]);
    }
    if let Some(reason) = &e.reason {
        r["reasonCode"] = json!([{ "text": reason }]);
    }
    if let Some(l) = &e.location_id {
        r["location"] = json!([{ "location": reference(l) }]);
    }
    r
}
