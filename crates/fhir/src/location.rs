//! Location ⇄ ClinicDesk location: name, address (as one line), phone and
//! status. Imported locations keep the clinic's time zone: FHIR R4 has no
//! element for a location's zone.

use crate::json::{quote, Reader};
use crate::person::{self, address_text};
use crate::write::{Fail, Written};
use clinicdesk_store::{Location, NewLocation, Tx};
use serde_json::{json, Value};

pub(crate) struct LocationData {
    pub location: NewLocation,
    pub active: bool,
}

pub(crate) fn map(r: &mut Reader) -> Option<LocationData> {
    let name = r.str("name");
    if name.is_none() && !r.has("name") {
        r.problem("no name; ClinicDesk needs one for every location");
    }
    let active = match r.str("status") {
        None | Some("active") => true,
        Some("inactive") => false,
        Some("suspended") => {
            r.ignore(
                "status (suspended)",
                "recorded as inactive; ClinicDesk has no suspended locations",
            );
            false
        }
        Some(other) => {
            r.problem(format!(
                "status {} is not active, suspended or inactive",
                quote(other)
            ));
            true
        }
    };
    match r.str("mode") {
        None | Some("instance") => {}
        Some("kind") => r.problem(
            "its mode is 'kind': it describes a kind of place, not one site; ClinicDesk locations are sites",
        ),
        Some(other) => r.problem(format!("mode {} is not instance or kind", quote(other))),
    }
    let address = match r.take("address") {
        None => None,
        Some(a) if a.is_object() => Some(address_text(a)).filter(|t| !t.is_empty()),
        Some(_) => {
            r.problem("address must be an Address object");
            None
        }
    };
    let contacts = person::pick_telecom(r, false, "location");
    Some(LocationData {
        location: NewLocation {
            name: name?.to_string(),
            timezone: None,
            address,
            phone: contacts.phone,
        },
        active,
    })
}

pub(crate) fn write(tx: &mut Tx, d: &LocationData) -> Result<Written, Fail> {
    let id = tx.add_location(&d.location)?;
    if !d.active {
        tx.set_imported_active("Location", &id, false)?;
    }
    Ok(Written::record(id))
}

pub(crate) fn export(l: &Location) -> Value {
    let mut r = json!({
        "resourceType": "Location",
        "id": l.id,
        "status": if l.active { "active" } else { "inactive" },
        "name": l.name,
        "mode": "instance",
    });
    if let Some(phone) = &l.phone {
        r["telecom"] = json!([{ "system": "phone", "value": phone }]);
    }
    if let Some(a) = &l.address {
        r["address"] = json!({ "text": a });
    }
    r
}
