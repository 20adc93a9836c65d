//! Patient ⇄ ClinicDesk patient: name, birth date, sex, phone, email,
//! address and medical record number.

use crate::json::{get_str, Reader, NO_FIELD};
use crate::person::{self, human_name};
use crate::write::{Fail, Written};
use clinicdesk_store::{Patient, PatientInput, Tx};
use serde_json::{json, Value};

const ANIMAL: &str = "http://hl7.org/fhir/StructureDefinition/patient-animal";
pub(crate) const MR_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

pub(crate) struct PatientData {
    pub input: PatientInput,
    pub active: bool,
}

pub(crate) fn map(r: &mut Reader) -> Option<PatientData> {
    for (i, ext) in r.array("extension").iter().enumerate() {
        match get_str(ext, "url") {
            Some(ANIMAL) => {
                r.problem("it is an animal (patient-animal extension); ClinicDesk records people")
            }
            url => r.ignore(
                format!("extension[{i}] ({})", url.unwrap_or("no url")),
                NO_FIELD,
            ),
        }
    }
    let name = person::pick_name(r);
    let birth_date = r.str("birthDate");
    if birth_date.is_none() && !r.has("birthDate") {
        r.problem("no birth date; ClinicDesk needs one");
    }
    let gender = r.str("gender");
    let mrn = person::pick_identifier(r, person::is_mrn, "the medical record number (type MR)");
    let contacts = person::pick_telecom(r, true, "patient");
    let address = person::pick_address(r);
    let active = r.bool("active").unwrap_or(true);
    if let Some(n) = &name {
        if !n.suffix.is_empty() {
            let shown = crate::json::quote(&n.suffix.join(" "));
            r.ignore(
                format!("{}.suffix ({shown})", n.element),
                "ClinicDesk keeps no name suffix for a patient",
            );
        }
    }
    let name = name?;
    Some(PatientData {
        input: PatientInput {
            mrn,
            given_name: name.given,
            family_name: name.family,
            birth_date: birth_date?.to_string(),
            sex: gender.map(str::to_string),
            phone: contacts.phone,
            email: contacts.email,
            address_line: address.line,
            city: address.city,
            state: address.state,
            postal_code: address.postal_code,
            country: address.country,
        },
        active,
    })
}

pub(crate) fn write(tx: &mut Tx, d: &PatientData) -> Result<Written, Fail> {
    let id = tx.add_patient(&d.input)?;
    if !d.active {
        tx.set_imported_active("Patient", &id, false)?;
    }
    Ok(Written {
        patient_id: Some(id.clone()),
        local_id: id,
    })
}

/// `mrn_system` names this store's record numbers, so another system can
/// tell them from its own.
pub(crate) fn export(p: &Patient, mrn_system: &str) -> Value {
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.id,
        "identifier": [{
            "use": "usual",
            "type": { "coding": [{ "system": MR_TYPE, "code": "MR", "display": "Medical record number" }] },
            "system": mrn_system,
            "value": p.mrn,
        }],
        "active": p.active,
        "name": [human_name(&p.given_name, &p.family_name, &[])],
        "gender": p.sex.as_str(),
        "birthDate": p.birth_date,
    });
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email }));
    }
    if !telecom.is_empty() {
        r["telecom"] = json!(telecom);
    }
    let mut address = serde_json::Map::new();
    if let Some(line) = &p.address_line {
        address.insert("line".into(), json!([line]));
    }
    for (k, v) in [
        ("city", &p.city),
        ("state", &p.state),
        ("postalCode", &p.postal_code),
        ("country", &p.country),
    ] {
        if let Some(v) = v {
            address.insert(k.into(), json!(v));
        }
    }
    if !address.is_empty() {
        r["address"] = json!([address]);
    }
    r
}
