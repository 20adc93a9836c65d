//! Schedule ⇄ ClinicDesk schedule: one practitioner at one location, with
//! its comment and active flag.

use crate::bundle::Kind;
use crate::json::{quote, Reader};
use crate::refs::{self, Ctx, Ref, Resolver};
use crate::write::{check_missing, Fail, Written};
use clinicdesk_store::interop::{ImportedSchedule, ScheduleRecord};
use clinicdesk_store::Tx;
use serde_json::{json, Value};

pub(crate) struct ScheduleData {
    pub practitioner: Ref,
    pub location: Ref,
    pub comment: Option<String>,
    pub active: bool,
}

pub(crate) fn map(r: &mut Reader, ctx: &Ctx) -> Option<ScheduleData> {
    let mut practitioners = Vec::new();
    let mut locations = Vec::new();
    for (i, a) in r.array("actor").iter().enumerate() {
        let element = format!("actor[{i}]");
        let rf = match refs::parse(a, &element) {
            Ok(rf) => rf,
            Err(m) => {
                r.problem(m);
                continue;
            }
        };
        match ctx.type_of(&rf) {
            Some("Practitioner") => practitioners.push(rf),
            Some("Location") => locations.push(rf),
            Some(other) => r.ignore(
                format!("{element} ({})", quote(&rf.raw)),
                format!("a ClinicDesk schedule belongs to a practitioner at a location, not to a {other}"),
            ),
            None => r.problem(format!("{element} {} is not in this import, so its type is unknown", quote(&rf.raw))),
        }
    }
    let one = |r: &mut Reader, found: Vec<Ref>, what: &str| -> Option<Ref> {
        match found.len() {
            0 => {
                r.problem(format!(
                    "no {what} among its actors; a ClinicDesk schedule is one practitioner's at one location"
                ));
                None
            }
            1 => found.into_iter().next(),
            n => {
                r.problem(format!(
                    "{n} {what} actors; a ClinicDesk schedule is one practitioner's at one location"
                ));
                None
            }
        }
    };
    let practitioner = one(r, practitioners, "Practitioner");
    let location = one(r, locations, "Location");
    let comment = r.str("comment").map(str::to_string);
    let active = r.bool("active").unwrap_or(true);
    Some(ScheduleData {
        practitioner: practitioner?,
        location: location?,
        comment,
        active,
    })
}

pub(crate) fn write(tx: &mut Tx, rs: &Resolver, d: &ScheduleData) -> Result<Written, Fail> {
    let mut missing = Vec::new();
    let provider_id = rs.get(tx, &d.practitioner, Kind::Practitioner, &mut missing)?;
    let location_id = rs.get(tx, &d.location, Kind::Location, &mut missing)?;
    check_missing(missing)?;
    let (Some(provider_id), Some(location_id)) = (provider_id, location_id) else {
        return Err(Fail::Problems(vec!["its actors could not be found".into()]));
    };
    let id = tx.import_schedule(&ImportedSchedule {
        provider_id,
        location_id,
        comment: d.comment.clone(),
        active: d.active,
    })?;
    Ok(Written::record(id))
}

pub(crate) fn export(s: &ScheduleRecord) -> Value {
    let mut r = json!({
        "resourceType": "Schedule",
        "id": s.id,
        "active": s.active,
        "actor": [crate::bundle::reference(&s.provider_id), crate::bundle::reference(&s.location_id)],
    });
    if let Some(c) = &s.comment {
        r["comment"] = json!(c);
    }
    r
}
