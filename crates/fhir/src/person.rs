//! Names, contact points, addresses and identifiers, shared by Patient,
//! Practitioner and Location. ClinicDesk keeps one of each; the others are
//! listed as ignored, never dropped silently.

use crate::json::{get_array, get_str, kind, quote, strings, Reader};
use serde_json::{json, Value};

/// The name ClinicDesk keeps: given names joined by spaces.
pub(crate) struct Name {
    pub given: String,
    pub family: String,
    pub suffix: Vec<String>,
    /// Where it was, such as `name[0]`.
    pub element: String,
}

/// Official, then usual, then unlabelled names; old and maiden names last.
fn name_rank(n: &Value) -> u8 {
    match get_str(n, "use") {
        Some("official") => 0,
        Some("usual") => 1,
        None => 2,
        Some(_) => 3,
    }
}

fn name_shown(n: &Value) -> String {
    let given = strings(n, "given").unwrap_or_default().join(" ");
    let text = [given.as_str(), get_str(n, "family").unwrap_or("")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let text = if text.is_empty() {
        get_str(n, "text").unwrap_or("").to_string()
    } else {
        text
    };
    match get_str(n, "use") {
        Some(u) => format!("{}, {u}", quote(&text)),
        None => quote(&text),
    }
}

/// Picks the name ClinicDesk keeps. Suffixes are returned for the caller
/// to keep (credentials) or list as ignored.
pub(crate) fn pick_name(r: &mut Reader) -> Option<Name> {
    let names = r.array("name");
    if names.is_empty() {
        r.problem("no name; ClinicDesk needs a given and a family name");
        return None;
    }
    if let Some(bad) = names.iter().find(|n| !n.is_object()) {
        r.problem(format!(
            "each name must be a HumanName object, not {}",
            kind(bad)
        ));
        return None;
    }
    let (at, chosen) = names.iter().enumerate().min_by_key(|(_, n)| name_rank(n))?;
    let element = format!("name[{at}]");
    for (i, n) in names.iter().enumerate().filter(|(i, _)| *i != at) {
        r.ignore(
            format!("name[{i}] ({})", name_shown(n)),
            "ClinicDesk keeps one name per person",
        );
    }
    let given = match strings(chosen, "given") {
        Ok(g) => g.join(" "),
        Err(e) => {
            r.problem(format!("{element}.{e}"));
            return None;
        }
    };
    let family = get_str(chosen, "family")
        .map(|f| f.trim().to_string())
        .unwrap_or_default();
    let missing = match (given.is_empty(), family.is_empty()) {
        (false, false) => None,
        (true, true) => Some(match get_str(chosen, "text") {
            Some(t) => format!(
                "{element} is only text ({}); ClinicDesk needs the given and family names as separate parts",
                quote(t)
            ),
            None => format!("{element} has no given or family name; ClinicDesk needs both"),
        }),
        (true, false) => Some(format!("{element} has no given name; ClinicDesk needs given and family names")),
        (false, true) => Some(format!("{element} has no family name; ClinicDesk needs given and family names")),
    };
    if let Some(m) = missing {
        r.problem(m);
        return None;
    }
    let prefix = strings(chosen, "prefix").unwrap_or_default();
    if !prefix.is_empty() {
        r.ignore(
            format!("{element}.prefix ({})", quote(&prefix.join(" "))),
            "ClinicDesk keeps no name prefix",
        );
    }
    let suffix = match strings(chosen, "suffix") {
        Ok(s) => s,
        Err(e) => {
            r.problem(format!("{element}.{e}"));
            return None;
        }
    };
    Some(Name {
        given,
        family,
        suffix,
        element,
    })
}

/// The phone (and email) ClinicDesk keeps: the best ranked current one.
pub(crate) struct Contacts {
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub(crate) fn pick_telecom(r: &mut Reader, keep_email: bool, owner: &str) -> Contacts {
    let list = r.array("telecom");
    let mut best: [Option<(u64, usize)>; 2] = [None, None];
    for (i, t) in list.iter().enumerate() {
        let slot = match get_str(t, "system") {
            Some("phone") => 0,
            Some("email") if keep_email => 1,
            _ => continue,
        };
        let Some(value) = get_str(t, "value") else {
            continue;
        };
        if get_str(t, "use") == Some("old") || !storable(slot, value) {
            continue;
        }
        // Rank 1 is the preferred one; unranked come after ranked.
        let rank = t.get("rank").and_then(Value::as_u64).unwrap_or(u64::MAX);
        if best[slot].is_none_or(|(b, _)| rank < b) {
            best[slot] = Some((rank, i));
        }
    }
    let chosen: Vec<usize> = best.iter().flatten().map(|(_, i)| *i).collect();
    for (i, t) in list.iter().enumerate() {
        if chosen.contains(&i) {
            continue;
        }
        // A contact point without a value holds nothing to keep.
        let Some(value) = get_str(t, "value") else {
            continue;
        };
        let system = get_str(t, "system").unwrap_or("contact");
        let reason = match system {
            "phone" if !storable(0, value) => {
                "not a phone number ClinicDesk can keep (7 to 15 digits)".to_string()
            }
            "email" if keep_email && !storable(1, value) => "not an email address".to_string(),
            "phone" => "ClinicDesk keeps one phone number".to_string(),
            "email" if keep_email => "ClinicDesk keeps one email address".to_string(),
            other => format!("ClinicDesk keeps no {other} for a {owner}"),
        };
        r.ignore(format!("telecom[{i}] ({system} {})", quote(value)), reason);
    }
    let value = |slot: usize| {
        best[slot]
            .and_then(|(_, i)| list.get(i))
            .and_then(|t| get_str(t, "value"))
            .map(str::to_string)
    };
    Contacts {
        phone: value(0),
        email: value(1),
    }
}

/// Values the store would refuse (an extension number, a malformed address)
/// are reported as ignored instead of failing the whole resource.
fn storable(slot: usize, value: &str) -> bool {
    match slot {
        0 => clinicdesk_domain::validate::phone(value).is_ok(),
        _ => clinicdesk_domain::validate::email(value).is_ok(),
    }
}

/// The parts of an address ClinicDesk keeps for a patient.
#[derive(Default)]
pub(crate) struct Address {
    pub line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A patient's current address: home first. Address.text restates the
/// parts (FHIR requires it to add nothing), so it is used only without parts.
pub(crate) fn pick_address(r: &mut Reader) -> Address {
    let list = r.array("address");
    let usable = |a: &Value| a.is_object() && get_str(a, "use") != Some("old");
    let chosen = list
        .iter()
        .position(|a| usable(a) && get_str(a, "use") == Some("home"))
        .or_else(|| list.iter().position(usable));
    for (i, a) in list.iter().enumerate() {
        if Some(i) != chosen {
            r.ignore(
                format!("address[{i}] ({})", quote(&address_text(a))),
                "ClinicDesk keeps one address",
            );
        }
    }
    let Some(a) = chosen.and_then(|i| list.get(i)) else {
        return Address::default();
    };
    let at = chosen.unwrap_or_default();
    let lines = strings(a, "line").unwrap_or_else(|e| {
        r.problem(format!("address[{at}].{e}"));
        Vec::new()
    });
    let part = |k: &str| get_str(a, k).map(|s| s.trim().to_string());
    let mut out = Address {
        line: (!lines.is_empty()).then(|| lines.join(", ")),
        city: part("city"),
        state: part("state"),
        postal_code: part("postalCode"),
        country: part("country"),
    };
    if let Some(d) = get_str(a, "district") {
        r.ignore(
            format!("address[{at}].district ({})", quote(d)),
            "ClinicDesk keeps no district",
        );
    }
    let no_parts = out.line.is_none()
        && out.city.is_none()
        && out.state.is_none()
        && out.postal_code.is_none()
        && out.country.is_none();
    if no_parts {
        out.line = part("text");
    }
    out
}

/// An address as one line of text: its text, else its parts joined.
pub(crate) fn address_text(a: &Value) -> String {
    let mut parts = strings(a, "line").unwrap_or_default();
    for k in ["city", "district"] {
        parts.extend(get_str(a, k).map(str::to_string));
    }
    let state_zip = [get_str(a, "state"), get_str(a, "postalCode")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !state_zip.is_empty() {
        parts.push(state_zip);
    }
    parts.extend(get_str(a, "country").map(str::to_string));
    if parts.is_empty() {
        get_str(a, "text").unwrap_or_default().trim().to_string()
    } else {
        parts.join(", ")
    }
}

/// Is this identifier a medical record number (v2-0203 code MR)?
pub(crate) fn is_mrn(ident: &Value) -> bool {
    ident.get("type").is_some_and(|t| {
        get_array(t, "coding").iter().any(|c| {
            get_str(c, "code") == Some("MR")
                && get_str(c, "system")
                    .is_none_or(|s| s == "http://terminology.hl7.org/CodeSystem/v2-0203")
        })
    })
}

/// Picks the first current identifier that `wanted` accepts; lists the rest.
pub(crate) fn pick_identifier(
    r: &mut Reader,
    wanted: impl Fn(&Value) -> bool,
    keeps: &str,
) -> Option<String> {
    let list = r.array("identifier");
    let chosen = list.iter().position(|i| {
        wanted(i) && get_str(i, "value").is_some() && get_str(i, "use") != Some("old")
    });
    for (i, ident) in list.iter().enumerate() {
        if Some(i) == chosen {
            continue;
        }
        let Some(value) = get_str(ident, "value") else {
            continue;
        };
        let system = get_str(ident, "system").unwrap_or("no system");
        r.ignore(
            format!("identifier[{i}] ({system} {})", quote(value)),
            format!("ClinicDesk keeps only {keeps}"),
        );
    }
    chosen
        .and_then(|i| list.get(i))
        .and_then(|i| get_str(i, "value"))
        .map(|v| v.trim().to_string())
}

/// A HumanName for export; several given names are several `given`.
pub(crate) fn human_name(given: &str, family: &str, suffix: &[String]) -> Value {
    let mut n = json!({
        "use": "official",
        "family": family,
        "given": given.split_whitespace().collect::<Vec<_>>(),
    });
    if !suffix.is_empty() {
        n["suffix"] = json!(suffix);
    }
    n
}
