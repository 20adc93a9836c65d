//! Reading FHIR JSON without trusting it: every element a mapping reads is
//! marked, wrong shapes become problems, and whatever is left unread is
//! listed as ignored, so nothing disappears silently.

use chrono::DateTime;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Elements every resource may carry that say nothing about the record.
const HOUSEKEEPING: [&str; 3] = ["resourceType", "id", "language"];

pub(crate) const NO_FIELD: &str = "ClinicDesk has no field for it";

/// One resource being mapped.
pub(crate) struct Reader<'a> {
    obj: &'a Map<String, Value>,
    used: BTreeSet<&'a str>,
    pub problems: Vec<String>,
    /// (element, reason)
    pub ignored: Vec<(String, String)>,
}

impl<'a> Reader<'a> {
    pub fn new(obj: &'a Map<String, Value>) -> Self {
        let mut r = Reader {
            obj,
            used: BTreeSet::new(),
            problems: Vec::new(),
            ignored: Vec::new(),
        };
        for k in HOUSEKEEPING {
            r.used.insert(k);
        }
        r.check_modifiers();
        r.read_meta_and_text();
        r
    }

    /// Modifier elements change the meaning of everything else; FHIR forbids
    /// ignoring ones a system does not understand, and ClinicDesk knows none.
    fn check_modifiers(&mut self) {
        if self.obj.contains_key("implicitRules") {
            self.used.insert("implicitRules");
            self.problems.push(
                "it has implicitRules, which may change its meaning; ClinicDesk cannot follow them"
                    .into(),
            );
        }
        let mut paths = Vec::new();
        for (k, child) in self.obj {
            if k == "modifierExtension" {
                paths.push(k.clone());
            } else {
                find_modifier_extensions(child, k, 1, &mut paths);
            }
        }
        for p in paths.into_iter().take(5) {
            self.problems.push(format!(
                "it has a modifierExtension at {p}, which may change its meaning; ClinicDesk does not understand it"
            ));
        }
    }

    fn read_meta_and_text(&mut self) {
        if let Some(meta) = self.obj.get("meta") {
            self.used.insert("meta");
            for k in ["security", "tag"] {
                if meta.get(k).is_some() {
                    self.ignore(format!("meta.{k}"), NO_FIELD);
                }
            }
        }
        if let Some(text) = self.obj.get("text") {
            self.used.insert("text");
            // Generated narrative only restates the structured data.
            if text.get("status").and_then(Value::as_str) != Some("generated") {
                self.ignore(
                    "text",
                    "ClinicDesk keeps the structured data, not the narrative",
                );
            }
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.obj.contains_key(key)
    }

    /// The raw element, marked as read.
    pub fn take(&mut self, key: &'static str) -> Option<&'a Value> {
        let v = self.obj.get(key)?;
        self.used.insert(key);
        Some(v)
    }

    pub fn str(&mut self, key: &'static str) -> Option<&'a str> {
        match self.take(key)? {
            Value::String(s) if s.trim().is_empty() => {
                self.problem(format!("{key} is empty"));
                None
            }
            Value::String(s) => Some(s),
            other => {
                self.problem(format!("{key} must be a string, not {}", kind(other)));
                None
            }
        }
    }

    pub fn bool(&mut self, key: &'static str) -> Option<bool> {
        match self.take(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.problem(format!("{key} must be true or false, not {}", kind(other)));
                None
            }
        }
    }

    pub fn object(&mut self, key: &'static str) -> Option<&'a Map<String, Value>> {
        match self.take(key)? {
            Value::Object(o) => Some(o),
            other => {
                self.problem(format!("{key} must be an object, not {}", kind(other)));
                None
            }
        }
    }

    pub fn array(&mut self, key: &'static str) -> &'a [Value] {
        match self.take(key) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.problem(format!("{key} must be an array, not {}", kind(other)));
                &[]
            }
        }
    }

    pub fn problem(&mut self, msg: impl Into<String>) {
        self.problems.push(msg.into());
    }

    pub fn ignore(&mut self, element: impl Into<String>, reason: impl Into<String>) {
        self.ignored
            .push((shorten(&element.into(), 120), reason.into()));
    }

    /// Everything not read is listed as ignored.
    pub fn finish(mut self) -> (Vec<String>, Vec<(String, String)>) {
        let left: Vec<&str> = self
            .obj
            .keys()
            .map(String::as_str)
            .filter(|k| !self.used.contains(k))
            .collect();
        for k in left {
            let what = match k.strip_prefix('_') {
                Some(base) => format!("{base} (extension of the value)"),
                None => k.to_string(),
            };
            self.ignore(what, NO_FIELD);
        }
        (self.problems, self.ignored)
    }
}

fn find_modifier_extensions(v: &Value, path: &str, depth: usize, out: &mut Vec<String>) {
    if depth > 32 || out.len() >= 5 {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k == "modifierExtension" {
                    out.push(shorten(&p, 80));
                } else {
                    find_modifier_extensions(child, &p, depth + 1, out);
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                find_modifier_extensions(child, &format!("{path}[{i}]"), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// "a string", "an array", … for messages about wrong shapes.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// At most `max` characters, marked when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A value quoted in a message.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", shorten(s, 60))
}

/// A string member of a nested object; wrong shapes read as absent.
pub(crate) fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

pub(crate) fn get_array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The strings of a list such as HumanName.given; non-strings are refused.
pub(crate) fn strings(v: &Value, key: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    match v.get(key) {
        None => {}
        Some(Value::Array(a)) => {
            for item in a {
                match item.as_str() {
                    Some(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    Some(_) => {}
                    None => return Err(format!("{key} must hold strings, not {}", kind(item))),
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "{key} must be an array of strings, not {}",
                kind(other)
            ))
        }
    }
    Ok(out)
}

/// The words a CodeableConcept stands for: its text, else a coding's
/// display, else a coding's code.
pub(crate) fn concept_text(v: &Value) -> Option<String> {
    if let Some(t) = get_str(v, "text") {
        return Some(t.trim().to_string());
    }
    let codings = get_array(v, "coding");
    codings
        .iter()
        .find_map(|c| get_str(c, "display"))
        .or_else(|| codings.iter().find_map(|c| get_str(c, "code")))
        .map(|s| s.trim().to_string())
}

/// A FHIR instant or full dateTime: date, time and zone. Partial dates
/// are refused because ClinicDesk records the moment.
pub(crate) fn instant(element: &str, s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "{element} {} is not a date and time with a time zone (such as 2013-12-10T09:00:00Z); ClinicDesk records the exact time",
            quote(s)
        )
    };
    if s.len() > 40 || s.as_bytes().get(10) != Some(&b'T') {
        return Err(bad());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .map_err(|_| bad())
}

/// FHIR ids: 1 to 64 letters, digits, '-' and '.'.
pub(crate) fn is_fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instants_need_a_time_and_a_zone() {
        assert_eq!(instant("start", "2013-12-10T09:00:00Z"), Ok(1_386_666_000));
        assert_eq!(
            instant("start", "2013-12-10T10:00:00+01:00"),
            Ok(1_386_666_000)
        );
        for bad in [
            "2013-12-10",
            "2013",
            "2013-12-10T09:00:00",
            "2013-02-30T09:00:00Z",
            "2013-12-10 09:00:00Z",
            "x",
        ] {
            assert!(
                instant("start", bad)
                    .unwrap_err()
                    .contains("not a date and time"),
                "{bad}"
            );
        }
    }

    #[test]
    fn unread_elements_are_listed() {
        let v = json!({"resourceType": "Patient", "id": "a", "birthDate": "2000-01-01", "_birthDate": {}, "contact": []});
        let mut r = Reader::new(v.as_object().unwrap());
        assert_eq!(r.str("birthDate"), Some("2000-01-01"));
        let (problems, ignored) = r.finish();
        assert!(problems.is_empty());
        let names: Vec<_> = ignored.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(names, ["birthDate (extension of the value)", "contact"]);
    }

    #[test]
    fn modifier_extensions_are_refused() {
        let v = json!({"resourceType": "Patient", "name": [{"modifierExtension": [{"url": "x"}]}]});
        let r = Reader::new(v.as_object().unwrap());
        assert!(
            r.problems[0].contains("name[0].modifierExtension"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn messages_quote_at_most_sixty_characters() {
        let long = "x".repeat(10_000);
        assert_eq!(quote(&long).chars().count(), 63);
        assert!(is_fhir_id("example-1.2") && !is_fhir_id("a/b") && !is_fhir_id(&long));
    }
}
