//! Practitioner ⇄ ClinicDesk provider: name, NPI and credentials (the
//! name's suffixes, such as MD).

use crate::json::{get_str, Reader};
use crate::person::{self, human_name};
use crate::write::{Fail, Written};
use clinicdesk_store::{NewProvider, Provider, Tx};
use serde_json::{json, Value};

pub(crate) const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";

pub(crate) struct PractitionerData {
    pub provider: NewProvider,
    pub active: bool,
}

pub(crate) fn map(r: &mut Reader) -> Option<PractitionerData> {
    let name = person::pick_name(r);
    let npi = person::pick_identifier(r, |i| get_str(i, "system") == Some(NPI_SYSTEM), "the NPI");
    let active = r.bool("active").unwrap_or(true);
    let name = name?;
    Some(PractitionerData {
        provider: NewProvider {
            given_name: name.given,
            family_name: name.family,
            npi,
            specialty: None,
            credentials: (!name.suffix.is_empty()).then(|| name.suffix.join(", ")),
        },
        active,
    })
}

pub(crate) fn write(tx: &mut Tx, d: &PractitionerData) -> Result<Written, Fail> {
    let id = tx.add_provider(&d.provider)?;
    if !d.active {
        tx.set_imported_active("Practitioner", &id, false)?;
    }
    Ok(Written::record(id))
}

/// The provider's specialty is not exported: FHIR R4 keeps specialties on
/// PractitionerRole, which ClinicDesk does not exchange.
pub(crate) fn export(p: &Provider) -> Value {
    let credentials: Vec<String> = p
        .credentials
        .iter()
        .flat_map(|c| c.split(','))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let mut r = json!({
        "resourceType": "Practitioner",
        "id": p.id,
        "active": p.active,
        "name": [human_name(&p.given_name, &p.family_name, &credentials)],
    });
    if let Some(npi) = &p.npi {
        r["identifier"] = json!([{ "system": NPI_SYSTEM, "value": npi }]);
    }
    r
}
