//! The import: map every resource (the store only says what earlier
//! imports made of urn references), then write them in dependency order in
//! ONE store transaction.
//!
//! A resource that fails leaves nothing behind: a pass with any failure is
//! rolled back as a whole. With `skip_invalid` the failed resources are set
//! aside and the pass is run again, until one pass writes everything it
//! tries; only that pass is committed. So a record is never half-written,
//! and the store's own checks decide, with no copy of them here.

use crate::appointment::{self, AppointmentData};
use crate::bundle::{self, Entry, Index, Kind};
use crate::encounter::{self, EncounterData};
use crate::error::{FhirError, Problem};
use crate::json::{shorten, Reader};
use crate::location::{self, LocationData};
use crate::patient::{self, PatientData};
use crate::practitioner::{self, PractitionerData};
use crate::refs::{self, Ctx, Resolver, State};
use crate::report::{
    IgnoredElement, ImportOptions, ImportReport, ImportedResource, SkippedResource,
};
use crate::schedule::{self, ScheduleData};
use crate::slot::{self, SlotData};
use crate::write::{Fail, Written};
use clinicdesk_domain::Permission;
use clinicdesk_store::audit::Entry as AuditEntry;
use clinicdesk_store::{Session, Store, StoreError, Tx};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A mapped resource, or one deliberately left out (with why).
pub(crate) enum Mapped<T> {
    Data(T),
    Skip(String),
}

impl<T> Mapped<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Mapped<U> {
        match self {
            Mapped::Data(d) => Mapped::Data(f(d)),
            Mapped::Skip(why) => Mapped::Skip(why),
        }
    }
}

enum Data {
    Location(LocationData),
    Practitioner(PractitionerData),
    Patient(PatientData),
    Schedule(ScheduleData),
    Slot(SlotData),
    Appointment(AppointmentData),
    Encounter(EncounterData),
}

enum Prepared {
    /// Ready to write, with the elements that will not be kept.
    Data(Box<Data>, Vec<(String, String)>),
    Skip(String),
    Invalid,
}

fn prepare(e: &Entry, ctx: &Ctx) -> (Prepared, Vec<String>) {
    let mut r = Reader::new(&e.resource);
    let mapped: Option<Mapped<Data>> = match e.kind {
        Kind::Location => location::map(&mut r).map(|d| Mapped::Data(Data::Location(d))),
        Kind::Practitioner => {
            practitioner::map(&mut r).map(|d| Mapped::Data(Data::Practitioner(d)))
        }
        Kind::Patient => patient::map(&mut r).map(|d| Mapped::Data(Data::Patient(d))),
        Kind::Schedule => schedule::map(&mut r, ctx).map(|d| Mapped::Data(Data::Schedule(d))),
        Kind::Slot => slot::map(&mut r).map(|m| m.map(Data::Slot)),
        Kind::Appointment => appointment::map(&mut r, ctx).map(|m| m.map(Data::Appointment)),
        Kind::Encounter => encounter::map(&mut r, ctx).map(|m| m.map(Data::Encounter)),
    };
    if let Some(Mapped::Skip(why)) = mapped {
        return (Prepared::Skip(why), Vec::new());
    }
    let (mut problems, ignored) = r.finish();
    match mapped {
        Some(Mapped::Data(d)) if problems.is_empty() => {
            (Prepared::Data(Box::new(d), ignored), problems)
        }
        _ => {
            if problems.is_empty() {
                problems.push("it could not be read".into());
            }
            (Prepared::Invalid, problems)
        }
    }
}

fn write_data(tx: &mut Tx, rs: &Resolver, d: &Data) -> Result<Written, Fail> {
    match d {
        Data::Location(d) => location::write(tx, d),
        Data::Practitioner(d) => practitioner::write(tx, d),
        Data::Patient(d) => patient::write(tx, d),
        Data::Schedule(d) => schedule::write(tx, rs, d),
        Data::Slot(d) => slot::write(tx, rs, d),
        Data::Appointment(d) => appointment::write(tx, rs, d),
        Data::Encounter(d) => encounter::write(tx, rs, d),
    }
}

#[derive(Default)]
struct Pass {
    failed: Vec<(usize, Vec<String>)>,
    written: Vec<(usize, Written)>,
    skipped: Vec<(usize, String, Option<String>)>,
}

fn run_pass(
    tx: &mut Tx,
    entries: &[Entry],
    index: &Index,
    prepared: &[Prepared],
    order: &[usize],
    excluded: &BTreeSet<usize>,
) -> Result<Pass, StoreError> {
    let mut rs = Resolver {
        index,
        entries,
        states: vec![State::Pending; entries.len()],
    };
    let mut pass = Pass::default();
    for &i in order {
        let (Some(e), Some(p)) = (entries.get(i), prepared.get(i)) else {
            continue;
        };
        let state = match p {
            _ if excluded.contains(&i) => State::Failed,
            Prepared::Invalid => State::Failed,
            Prepared::Skip(why) => {
                pass.skipped.push((i, why.clone(), None));
                State::Skipped(why.clone())
            }
            Prepared::Data(d, _) => match tx.fhir_link(e.kind.as_str(), &e.fhir_id)? {
                // Re-imports are recognised, not duplicated; references resolve to the record.
                Some(local) => {
                    let why = if local == e.fhir_id {
                        "already in this store: its id is a ClinicDesk id"
                    } else {
                        "already imported; skipped"
                    };
                    pass.skipped.push((i, why.into(), Some(local.clone())));
                    State::Done(local)
                }
                None => match write_data(tx, &rs, d) {
                    Ok(w) => {
                        tx.set_fhir_link(e.kind.as_str(), &e.fhir_id, &w.local_id)?;
                        let id = w.local_id.clone();
                        pass.written.push((i, w));
                        State::Done(id)
                    }
                    Err(Fail::Problems(p)) => {
                        pass.failed.push((i, p));
                        State::Failed
                    }
                    Err(Fail::Fatal(err)) => return Err(err),
                },
            },
        };
        if let Some(s) = rs.states.get_mut(i) {
            *s = state;
        }
    }
    Ok(pass)
}

fn audit(
    tx: &mut Tx,
    entries: &[Entry],
    pass: &Pass,
    not_imported: usize,
) -> Result<(), StoreError> {
    let mut by_patient: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, w) in &pass.written {
        if let (Some(pid), Some(e)) = (&w.patient_id, entries.get(*i)) {
            by_patient.entry(pid).or_default().push(&e.name);
        }
    }
    for (pid, names) in by_patient {
        tx.audit(
            AuditEntry::new("fhir", "import")
                .patient(pid)
                .record(pid)
                .detail(shorten(&names.join(", "), 1000)),
        )?;
    }
    tx.audit(AuditEntry::new("fhir", "import").detail(format!(
        "{} resources imported, {} skipped, {} not imported",
        pass.written.len(),
        pass.skipped.len(),
        not_imported
    )))
}

fn report(
    entries: &[Entry],
    prepared: &[Prepared],
    pass: Pass,
    invalid: Vec<Problem>,
) -> ImportReport {
    let name = |i: usize| entries.get(i).map(|e| e.name.clone()).unwrap_or_default();
    let mut ignored = Vec::new();
    for (i, _) in &pass.written {
        if let Some(Prepared::Data(_, list)) = prepared.get(*i) {
            ignored.extend(list.iter().map(|(element, reason)| IgnoredElement {
                resource: name(*i),
                element: element.clone(),
                reason: reason.clone(),
            }));
        }
    }
    ImportReport {
        imported: pass
            .written
            .into_iter()
            .map(|(i, w)| ImportedResource {
                resource: name(i),
                local_id: w.local_id,
            })
            .collect(),
        skipped: pass
            .skipped
            .into_iter()
            .map(|(i, reason, local_id)| SkippedResource {
                resource: name(i),
                reason,
                local_id,
            })
            .collect(),
        invalid,
        ignored,
    }
}

/// What earlier imports made of the urns this one refers to (read only).
fn linked_types(
    store: &mut Store,
    session: &Session,
    urns: &BTreeSet<String>,
) -> Result<HashMap<String, Kind>, FhirError> {
    if urns.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store.write(session, |tx| {
        let mut found = HashMap::new();
        for urn in urns {
            for kind in Kind::ALL {
                if tx.fhir_link(kind.as_str(), urn)?.is_some() {
                    found.insert(urn.clone(), kind);
                    break;
                }
            }
        }
        Ok(found)
    })?)
}

const ROLLED_BACK: &str = "the FHIR import pass was rolled back";

pub(crate) fn import_with(
    store: &mut Store,
    session: &Session,
    resources: Vec<Value>,
    options: ImportOptions,
) -> Result<ImportReport, FhirError> {
    session.require(Permission::FhirImport)?;
    let (entries, index, mut invalid) = bundle::flatten(resources);
    let linked = linked_types(store, session, &refs::external_urns(&entries, &index))?;
    let ctx = Ctx {
        index: &index,
        entries: &entries,
        linked: &linked,
    };
    let mut prepared = Vec::with_capacity(entries.len());
    let mut excluded = BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        let (p, problems) = prepare(e, &ctx);
        if matches!(p, Prepared::Invalid) {
            excluded.insert(i);
            invalid.extend(problems.into_iter().map(|m| Problem::new(&e.name, m)));
        }
        prepared.push(p);
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| (entries.get(i).map(|e| e.kind), i));
    // Each failed pass sets at least one more resource aside, so this ends.
    for _ in 0..entries.len() + 2 {
        let commit_ok = options.skip_invalid || invalid.is_empty();
        let mut outcome: Option<Pass> = None;
        let res = store.write(session, |tx| {
            let pass = run_pass(tx, &entries, &index, &prepared, &order, &excluded)?;
            let clean = commit_ok && pass.failed.is_empty();
            if clean {
                audit(tx, &entries, &pass, invalid.len())?;
            }
            outcome = Some(pass);
            if clean {
                Ok(())
            } else {
                Err(StoreError::invalid(ROLLED_BACK))
            }
        });
        let pass = match (res, outcome) {
            (Ok(()), Some(pass)) => return Ok(report(&entries, &prepared, pass, invalid)),
            (Err(_), Some(pass)) if !commit_ok || !pass.failed.is_empty() => pass,
            (Err(e), _) => return Err(FhirError::Store(e)),
            (Ok(()), None) => return Err(FhirError::Store(StoreError::invalid(ROLLED_BACK))),
        };
        for (i, messages) in pass.failed {
            excluded.insert(i);
            let name = entries.get(i).map(|e| e.name.as_str()).unwrap_or_default();
            invalid.extend(messages.into_iter().map(|m| Problem::new(name, m)));
        }
        if !options.skip_invalid {
            return Err(FhirError::Rejected { problems: invalid });
        }
    }
    Err(FhirError::Rejected { problems: invalid })
}
