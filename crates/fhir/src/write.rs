//! What writing one resource gives: a record, or the reasons it could not be.

use clinicdesk_store::directory::NewAppointmentType;
use clinicdesk_store::{StoreError, Tx};

/// The record a resource became.
pub(crate) struct Written {
    pub local_id: String,
    /// The patient it concerns, for the audit trail.
    pub patient_id: Option<String>,
}

impl Written {
    pub fn record(local_id: String) -> Self {
        Written {
            local_id,
            patient_id: None,
        }
    }
}

pub(crate) enum Fail {
    /// The resource cannot be imported; the rest may go on.
    Problems(Vec<String>),
    /// Permission or database trouble: the whole import stops.
    Fatal(StoreError),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(_)
            | StoreError::Conflict(_)
            | StoreError::Transition(_)
            | StoreError::NotFound { .. } => Fail::Problems(vec![e.to_string()]),
            other => Fail::Fatal(other),
        }
    }
}

/// Unresolved references end the resource, all of them named at once.
pub(crate) fn check_missing(missing: Vec<String>) -> Result<(), Fail> {
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Fail::Problems(missing))
    }
}

/// New appointment types made by an import get this colour; staff can change it.
pub(crate) const IMPORTED_TYPE_COLOR: &str = "#607d8b";

/// The ClinicDesk appointment type called `name`, made on first use with
/// the length of the visit (or slot) that named it.
pub(crate) fn appointment_type(tx: &mut Tx, name: &str, seconds: i64) -> Result<String, Fail> {
    if let Some(t) = tx.appointment_type_named(name)? {
        return Ok(t.id);
    }
    let minutes = (seconds / 60).clamp(5, 480);
    Ok(tx.add_appointment_type(&NewAppointmentType {
        name: name.to_string(),
        duration_minutes: minutes,
        color: IMPORTED_TYPE_COLOR.into(),
        capacity: 1,
    })?)
}
