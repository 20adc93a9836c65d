//! References between resources: parsed while mapping, resolved while
//! writing, to records of this import or of earlier ones.

use crate::bundle::{Entry, Index, Kind};
use crate::json::{is_fhir_id, quote};
use clinicdesk_store::{StoreError, Tx};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `Patient/example` (a `_history` suffix is dropped).
    Relative { rtype: String, id: String },
    /// `urn:uuid:…`, `urn:oid:…` or an absolute URL: found through fullUrls.
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    /// Where it was, for messages: `participant[0].actor`.
    pub element: String,
    pub target: Target,
    pub raw: String,
}

/// Parses a Reference; contained and logical references are refused.
pub(crate) fn parse(v: &Value, element: &str) -> Result<Ref, String> {
    let Some(obj) = v.as_object() else {
        return Err(format!("{element} must be a Reference object"));
    };
    let raw = match obj.get("reference") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
        Some(_) => return Err(format!("{element}.reference must be a string")),
        None => {
            let shown = obj
                .get("display")
                .and_then(Value::as_str)
                .map(|d| format!(" ({})", quote(d)));
            return Err(format!(
                "{element} has no reference{}, only a description; ClinicDesk needs to know which record it is",
                shown.unwrap_or_default()
            ));
        }
    };
    let target = if raw.starts_with('#') {
        return Err(format!(
            "{element} points to a contained resource ({}); contained resources are not supported",
            quote(raw)
        ));
    } else if ["urn:uuid:", "urn:oid:", "http://", "https://"]
        .iter()
        .any(|p| raw.starts_with(p))
    {
        Target::Url(raw.to_string())
    } else {
        let parts: Vec<&str> = raw.split('/').collect();
        match parts.as_slice() {
            [t, id] | [t, id, "_history", _] if is_type_name(t) && is_fhir_id(id) => {
                Target::Relative {
                    rtype: (*t).to_string(),
                    id: (*id).to_string(),
                }
            }
            _ => {
                return Err(format!(
                    "{element} reference {} is not Type/id, a urn:uuid or a URL",
                    quote(raw)
                ))
            }
        }
    };
    Ok(Ref {
        element: element.to_string(),
        target,
        raw: raw.to_string(),
    })
}

fn is_type_name(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// What mapping may know about the other resources of the import, and
/// the types of urn references to earlier imports (a urn names no type).
pub(crate) struct Ctx<'a> {
    pub index: &'a Index,
    pub entries: &'a [Entry],
    pub linked: &'a HashMap<String, Kind>,
}

impl Ctx<'_> {
    /// The resource type a reference points to, where it can be told.
    pub fn type_of<'r>(&self, r: &'r Ref) -> Option<&'r str> {
        if let Some(i) = lookup(r, self.index) {
            return self.entries.get(i).map(|e| e.kind.as_str());
        }
        match &r.target {
            Target::Relative { rtype, .. } => Some(rtype.as_str()),
            Target::Url(u) if u.starts_with("urn:") => self.linked.get(u).map(|k| k.as_str()),
            // `http://server/fhir/Patient/1` names its type.
            Target::Url(u) => {
                let mut it = u.rsplit('/');
                let (_id, t) = (it.next()?, it.next()?);
                is_type_name(t).then_some(t)
            }
        }
    }
}

/// The urn references that point outside the import: they may name
/// resources of an earlier import.
pub(crate) fn external_urns(entries: &[Entry], index: &Index) -> BTreeSet<String> {
    fn walk(v: &Value, depth: usize, index: &Index, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) if depth < 32 => {
                if let Some(Value::String(r)) = o.get("reference") {
                    if r.starts_with("urn:") && index.get(r).is_none() && out.len() < 100_000 {
                        out.insert(r.clone());
                    }
                }
                o.values().for_each(|c| walk(c, depth + 1, index, out));
            }
            Value::Array(a) if depth < 32 => a.iter().for_each(|c| walk(c, depth + 1, index, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for e in entries {
        e.resource
            .values()
            .for_each(|v| walk(v, 1, index, &mut out));
    }
    out
}

fn lookup(r: &Ref, index: &Index) -> Option<usize> {
    match &r.target {
        Target::Relative { rtype, id } => index.get(&format!("{rtype}/{id}")),
        Target::Url(u) => index.get(u),
    }
}

/// How far an import got with one resource in the current pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    /// Written now, or found from an earlier import.
    Done(String),
    Skipped(String),
    Failed,
}

/// Resolves references against the resources of this import and earlier ones.
pub(crate) struct Resolver<'a> {
    pub index: &'a Index,
    pub entries: &'a [Entry],
    pub states: Vec<State>,
}

impl Resolver<'_> {
    /// The local id `r` stands for. An unresolvable reference adds a
    /// sentence to `missing` and gives `None`; store trouble is an error.
    pub fn get(
        &self,
        tx: &Tx,
        r: &Ref,
        want: Kind,
        missing: &mut Vec<String>,
    ) -> Result<Option<String>, StoreError> {
        let found = lookup(r, self.index);
        if let Some(i) = found {
            let Some(e) = self.entries.get(i) else {
                missing.push(format!("{} {} cannot be found", r.element, quote(&r.raw)));
                return Ok(None);
            };
            if e.kind != want {
                missing.push(format!(
                    "{} must refer to a {}, not to {}",
                    r.element,
                    want.as_str(),
                    e.name
                ));
                return Ok(None);
            }
            return Ok(match self.states.get(i) {
                Some(State::Done(id)) => Some(id.clone()),
                Some(State::Skipped(why)) => {
                    missing.push(format!(
                        "{} refers to {}, which was not imported ({why})",
                        r.element, e.name
                    ));
                    None
                }
                _ => {
                    missing.push(format!(
                        "{} refers to {}, which could not be imported",
                        r.element, e.name
                    ));
                    None
                }
            });
        }
        let fhir_id = match &r.target {
            Target::Relative { rtype, id } => {
                if rtype != want.as_str() {
                    missing.push(format!(
                        "{} must refer to a {}, not to {}",
                        r.element,
                        want.as_str(),
                        quote(&r.raw)
                    ));
                    return Ok(None);
                }
                id.as_str()
            }
            Target::Url(u) if u.starts_with("urn:") => u.as_str(),
            Target::Url(_) => {
                missing.push(format!(
                    "{} {} points outside this import; include the resource in the import",
                    r.element,
                    quote(&r.raw)
                ));
                return Ok(None);
            }
        };
        let linked = tx.fhir_link(want.as_str(), fhir_id)?;
        if linked.is_none() {
            missing.push(format!(
                "{} {} is neither in this import nor imported before",
                r.element,
                quote(&r.raw)
            ));
        }
        Ok(linked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_parse_or_explain() {
        let r = parse(
            &json!({"reference": "Patient/example/_history/2"}),
            "subject",
        )
        .unwrap();
        assert_eq!(
            r.target,
            Target::Relative {
                rtype: "Patient".into(),
                id: "example".into()
            }
        );
        let r = parse(
            &json!({"reference": "urn:uuid:0190a1b2-0000-7000-8000-000000000000"}),
            "subject",
        )
        .unwrap();
        assert!(matches!(r.target, Target::Url(_)));
        assert!(parse(&json!({"reference": "#home"}), "location")
            .unwrap_err()
            .contains("contained"));
        assert!(parse(&json!({"display": "Phone Call"}), "actor")
            .unwrap_err()
            .contains("'Phone Call'"));
        assert!(parse(&json!({"reference": "patient example"}), "subject")
            .unwrap_err()
            .contains("not Type/id"));
        assert!(parse(&json!("Patient/1"), "subject")
            .unwrap_err()
            .contains("Reference object"));
    }
}
