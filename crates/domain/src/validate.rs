//! Field checks shared by every way data enters ClinicDesk (CLI, app, FHIR,
//! sync). Each returns the cleaned value or a sentence naming the problem.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub type Checked<T> = Result<T, String>;

/// A person's name part: trimmed, 1–100 characters, no control characters.
pub fn name(field: &str, s: &str) -> Checked<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{field} is required"));
    }
    if t.chars().count() > 100 {
        return Err(format!("{field} is longer than 100 characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(format!("{field} contains control characters"));
    }
    Ok(t.to_string())
}

/// Optional free text of bounded length.
pub fn text(field: &str, s: Option<&str>, max: usize) -> Checked<Option<String>> {
    match s.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if t.chars().count() > max => {
            Err(format!("{field} is longer than {max} characters"))
        }
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Err(format!("{field} contains control characters"))
        }
        Some(t) => Ok(Some(t.to_string())),
    }
}

/// Lower-case, letters and digits only: the form names are searched by.
pub fn search_key(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

pub fn birth_date(s: &str, today: NaiveDate) -> Checked<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("date of birth '{s}' is not a date; use YYYY-MM-DD"))?;
    if d > today {
        return Err(format!("date of birth {d} is in the future"));
    }
    if d < NaiveDate::from_ymd_opt(1800, 1, 1).unwrap_or(d) {
        return Err(format!("date of birth {d} is before 1800"));
    }
    Ok(d)
}

/// Phone numbers keep what was typed for display; `digits` is what is matched.
pub fn phone(s: &str) -> Checked<String> {
    let t = s.trim();
    let digits = phone_digits(t);
    if !(7..=15).contains(&digits.len())
        || t.chars()
            .any(|c| !(c.is_ascii_digit() || " +-().x".contains(c)))
    {
        return Err(format!(
            "phone '{s}' is not a phone number (7 to 15 digits)"
        ));
    }
    Ok(t.to_string())
}

pub fn phone_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub fn email(s: &str) -> Checked<String> {
    let t = s.trim();
    let ok = match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !t.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok && t.len() <= 254 {
        Ok(t.to_string())
    } else {
        Err(format!("email '{s}' is not an email address"))
    }
}

/// Medical record numbers: 1–20 letters, digits or dashes.
pub fn mrn(s: &str) -> Checked<String> {
    let t = s.trim().to_ascii_uppercase();
    if t.is_empty() || t.len() > 20 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "MRN '{s}' must be 1 to 20 letters, digits or dashes"
        ));
    }
    Ok(t)
}

/// A person's name as one string split into first and last:
/// "Ada King Lovelace" → ("Ada King", "Lovelace"); "Lovelace, Ada" too.
/// `None` without both parts.
pub fn split_name(name: &str) -> Option<(String, String)> {
    let name = name.trim();
    if let Some((last, first)) = name.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        return (!first.is_empty() && !last.is_empty())
            .then(|| (first.to_string(), last.to_string()));
    }
    let (first, last) = name.rsplit_once(char::is_whitespace)?;
    Some((first.trim().to_string(), last.trim().to_string()))
}

/// A National Provider Identifier: ten digits whose last is the Luhn check
/// digit computed over the prefix 80840 and the first nine.
pub fn npi(s: &str) -> Checked<String> {
    let t = s.trim();
    if t.len() != 10 || !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("NPI '{s}' must be exactly 10 digits"));
    }
    if npi_check_digit(&t[..9]) != t.as_bytes()[9] - b'0' {
        return Err(format!(
            "NPI '{s}' has a wrong check digit; please re-check the number"
        ));
    }
    Ok(t.to_string())
}

pub fn npi_check_digit(first_nine: &str) -> u8 {
    let mut sum = 24; // the Luhn contribution of the 80840 prefix
    for (i, c) in first_nine.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - sum % 10) % 10) as u8
}

/// `#rrggbb`, as appointment types are drawn.
pub fn color(s: &str) -> Checked<String> {
    let t = s.trim();
    if t.len() == 7 && t.starts_with('#') && t[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(t.to_ascii_lowercase())
    } else {
        Err(format!("colour '{s}' must look like #1e88e5"))
    }
}

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        // Serialized as the same words the text form uses, so JSON and CLI agree.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let norm = s.trim().to_ascii_lowercase();
                $name::ALL.iter().copied().find(|v| v.as_str() == norm).ok_or_else(|| {
                    let names: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("'{s}' is not a valid {}; use one of {}", stringify!($name).to_lowercase(), names.join(", "))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

word_enum!(
    /// Administrative sex, as FHIR's AdministrativeGender.
    Sex { Female = "female", Male = "male", Other = "other", Unknown = "unknown" }
);

word_enum!(
    /// The patient's relationship to the insurance subscriber.
    Relationship { SelfInsured = "self", Spouse = "spouse", Child = "child", Other = "other" }
);

word_enum!(
    /// Kinds of schedule exception.
    ExceptionKind { Holiday = "holiday", Leave = "leave", Blocked = "blocked" }
);

word_enum!(
    NoteFormat { Soap = "soap", Bullets = "bullets" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_first_and_last() {
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            split_name("Ada King Lovelace"),
            pair("Ada King", "Lovelace")
        );
        assert_eq!(split_name("Lovelace, Ada"), pair("Ada", "Lovelace"));
        assert_eq!(split_name("Cher"), None);
        assert_eq!(split_name(", Ada"), None);
    }

    #[test]
    fn npi_check_digit_matches_the_cms_example() {
        // CMS's worked example: 123456789 has check digit 3.
        assert_eq!(npi_check_digit("123456789"), 3);
        assert!(npi("1234567893").is_ok());
        assert!(npi("1234567890").unwrap_err().contains("check digit"));
        assert!(npi("12345").is_err());
    }

    #[test]
    fn contact_details_are_checked() {
        assert!(phone("(555) 010-2000").is_ok());
        assert!(phone("call me").is_err());
        assert_eq!(phone_digits("+1 (555) 010-2000"), "15550102000");
        assert!(email("ada@example.org").is_ok());
        assert!(email("ada@example").is_err());
        assert_eq!(mrn(" mrn-001 ").unwrap(), "MRN-001");
        assert!(mrn("a b").is_err());
    }

    #[test]
    fn words_parse_and_explain() {
        assert_eq!("Female".parse::<Sex>().unwrap(), Sex::Female);
        assert!("f".parse::<Sex>().unwrap_err().contains("female"));
        assert_eq!(
            "self".parse::<Relationship>().unwrap(),
            Relationship::SelfInsured
        );
        assert_eq!(search_key("O'Brien-Smith"), "obriensmith");
    }

    #[test]
    fn birth_dates_in_the_future_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(birth_date("2027-01-01", today).is_err());
        assert!(birth_date("1815-12-10", today).is_ok());
        assert!(birth_date("10/12/1815", today).is_err());
    }
}
