//! Turning what the caller handed over (resources and Bundles) into a flat
//! list of resources, and wrapping an export into a Bundle.

use crate::error::Problem;
use crate::json::{is_fhir_id, kind, quote, shorten};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The resource types ClinicDesk exchanges, in the order an import writes
/// them: everything a resource refers to comes before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Location,
    Practitioner,
    Patient,
    Schedule,
    Slot,
    Appointment,
    Encounter,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Location,
        Kind::Practitioner,
        Kind::Patient,
        Kind::Schedule,
        Kind::Slot,
        Kind::Appointment,
        Kind::Encounter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Location => "Location",
            Kind::Practitioner => "Practitioner",
            Kind::Patient => "Patient",
            Kind::Schedule => "Schedule",
            Kind::Slot => "Slot",
            Kind::Appointment => "Appointment",
            Kind::Encounter => "Encounter",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One resource to import.
#[derive(Debug)]
pub(crate) struct Entry {
    pub kind: Kind,
    /// `Patient/example`, or the fullUrl of a resource without an id.
    pub name: String,
    /// What `fhir_links` remembers it by: its id, else its fullUrl.
    pub fhir_id: String,
    pub resource: Map<String, Value>,
}

/// Where each resource can be found by reference.
#[derive(Debug, Default)]
pub(crate) struct Index {
    by_key: HashMap<String, usize>,
}

impl Index {
    pub fn get(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }
}

const BUNDLE_TYPES: [&str; 4] = ["collection", "transaction", "batch", "searchset"];

/// Flattens the input; items that are not importable resources become problems.
pub(crate) fn flatten(input: Vec<Value>) -> (Vec<Entry>, Index, Vec<Problem>) {
    let mut f = Flattener::default();
    for (i, item) in input.into_iter().enumerate() {
        let at = format!("input[{i}]");
        match item {
            Value::Object(obj)
                if obj.get("resourceType").and_then(Value::as_str) == Some("Bundle") =>
            {
                f.bundle(obj, &at)
            }
            Value::Object(obj) => f.resource(obj, None, &at),
            other => f.problems.push(Problem::new(
                at,
                format!(
                    "not a FHIR resource: expected a JSON object, found {}",
                    kind(&other)
                ),
            )),
        }
    }
    (f.entries, f.index, f.problems)
}

#[derive(Default)]
struct Flattener {
    entries: Vec<Entry>,
    index: Index,
    problems: Vec<Problem>,
}

impl Flattener {
    fn bundle(&mut self, mut obj: Map<String, Value>, at: &str) {
        let name = match obj.get("id").and_then(Value::as_str) {
            Some(id) if is_fhir_id(id) => format!("Bundle/{id}"),
            _ => at.to_string(),
        };
        let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
        if !BUNDLE_TYPES.contains(&ty) {
            let what = if ty.is_empty() {
                "no type".to_string()
            } else {
                format!("type {}", quote(ty))
            };
            self.problems.push(Problem::new(
                name,
                format!("a Bundle of {what} cannot be imported; use a collection, transaction, batch or searchset"),
            ));
            return;
        }
        let entries = match obj.remove("entry") {
            None => return,
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.problems.push(Problem::new(
                    name,
                    format!("entry must be an array, not {}", kind(&other)),
                ));
                return;
            }
        };
        for (j, entry) in entries.into_iter().enumerate() {
            let at = format!("{name} entry[{j}]");
            let Value::Object(mut entry) = entry else {
                self.problems
                    .push(Problem::new(at, "a Bundle entry must be a JSON object"));
                continue;
            };
            if let Some(method) = entry.get("request").and_then(|r| r.get("method")) {
                let m = method.as_str().unwrap_or("");
                if !matches!(m, "POST" | "PUT") {
                    self.problems.push(Problem::new(
                        at,
                        format!("request method {} is not a create or update; only POST and PUT entries are imported", quote(m)),
                    ));
                    continue;
                }
            }
            let full_url = match entry.get("fullUrl") {
                None => None,
                Some(Value::String(u))
                    if !u.is_empty() && u.len() <= 4096 && !u.contains(char::is_whitespace) =>
                {
                    Some(u.clone())
                }
                Some(_) => {
                    self.problems
                        .push(Problem::new(at, "fullUrl must be a URI without spaces"));
                    continue;
                }
            };
            match entry.remove("resource") {
                Some(Value::Object(res))
                    if res.get("resourceType").and_then(Value::as_str) == Some("Bundle") =>
                {
                    self.problems.push(Problem::new(
                        at,
                        "a Bundle inside a Bundle cannot be imported",
                    ));
                }
                Some(Value::Object(res)) => self.resource(res, full_url, &at),
                Some(other) => self.problems.push(Problem::new(
                    at,
                    format!(
                        "the entry's resource must be a JSON object, not {}",
                        kind(&other)
                    ),
                )),
                None => self
                    .problems
                    .push(Problem::new(at, "the entry has no resource")),
            }
        }
    }

    fn resource(&mut self, obj: Map<String, Value>, full_url: Option<String>, at: &str) {
        let ty = match obj.get("resourceType") {
            Some(Value::String(t)) => t.clone(),
            _ => {
                self.problems.push(Problem::new(
                    at,
                    "not a FHIR resource: it has no resourceType",
                ));
                return;
            }
        };
        let id = match obj.get("id") {
            None => None,
            Some(Value::String(id)) if is_fhir_id(id) => Some(id.clone()),
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| kind(other).to_string(), quote);
                self.problems.push(Problem::new(
                    format!("{} {at}", shorten(&ty, 40)),
                    format!("id {shown} is not a FHIR id (1 to 64 letters, digits, '-' or '.')"),
                ));
                return;
            }
        };
        let name = match (&id, &full_url) {
            (Some(id), _) => format!("{}/{id}", shorten(&ty, 40)),
            (None, Some(u)) => u.clone(),
            (None, None) => format!("{} {at}", shorten(&ty, 40)),
        };
        let Some(kind) = Kind::parse(&ty) else {
            self.problems.push(Problem::new(
                name,
                format!(
                    "ClinicDesk does not import {} resources (only Patient, Practitioner, Location, Schedule, Slot, Appointment and Encounter)",
                    quote(&ty)
                ),
            ));
            return;
        };
        let Some(fhir_id) = id.clone().or_else(|| full_url.clone()) else {
            self.problems.push(Problem::new(
                name,
                "it has neither an id nor a fullUrl, so it could not be recognised if imported again",
            ));
            return;
        };
        for key in [Some(&name), full_url.as_ref()].into_iter().flatten() {
            if self.index.by_key.contains_key(key) {
                self.problems.push(Problem::new(
                    &name,
                    "it appears more than once in this import",
                ));
                return;
            }
        }
        let n = self.entries.len();
        self.index.by_key.insert(name.clone(), n);
        if let Some(u) = full_url {
            self.index.by_key.insert(u, n);
        }
        self.entries.push(Entry {
            kind,
            name,
            fhir_id,
            resource: obj,
        });
    }
}

/// An export Bundle: each resource under `urn:uuid:<its id>`, which is also
/// how the others refer to it (ClinicDesk ids are UUIDs).
pub(crate) fn collection(id: &str, timestamp: &str, resources: Vec<Value>) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let id = r
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            json!({ "fullUrl": format!("urn:uuid:{id}"), "resource": r })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": id,
        "type": "collection",
        "timestamp": timestamp,
        "entry": entry,
    })
}

/// A reference to an exported record.
pub(crate) fn reference(id: &str) -> Value {
    json!({ "reference": format!("urn:uuid:{id}") })
}
