//! Per-user preferences. Every key has a closed set of values or a numeric
//! range: no free text is accepted, so no PHI can ever land in preferences.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrefSpec {
    pub key: &'static str,
    pub description: &'static str,
    pub default: &'static str,
    #[serde(skip)]
    pub rule: PrefRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefRule {
    OneOf(&'static [&'static str]),
    Range(i64, i64),
}

pub const PREFERENCES: &[PrefSpec] = &[
    PrefSpec {
        key: "theme",
        description: "Colour theme",
        default: "system",
        rule: PrefRule::OneOf(&["light", "dark", "system"]),
    },
    PrefSpec {
        key: "font-size",
        description: "Base font size in pixels",
        default: "16",
        rule: PrefRule::Range(12, 28),
    },
    PrefSpec {
        key: "note-format",
        description: "Clinical note layout",
        default: "soap",
        rule: PrefRule::OneOf(&["soap", "bullets"]),
    },
    PrefSpec {
        key: "summary-style",
        description: "How drafted summaries are written",
        default: "concise",
        rule: PrefRule::OneOf(&["concise", "detailed"]),
    },
    PrefSpec {
        key: "calendar-view",
        description: "Default calendar view",
        default: "day",
        rule: PrefRule::OneOf(&["day", "week"]),
    },
    PrefSpec {
        key: "home-view",
        description: "Screen shown after login",
        default: "role-default",
        rule: PrefRule::OneOf(&[
            "role-default",
            "calendar",
            "flow-board",
            "my-day",
            "audit",
            "billing",
        ]),
    },
    PrefSpec {
        key: "idle-lock-minutes",
        description: "Minutes of inactivity before the screen locks",
        default: "5",
        rule: PrefRule::Range(1, 30),
    },
];

pub fn spec(key: &str) -> Option<&'static PrefSpec> {
    PREFERENCES.iter().find(|p| p.key == key)
}

/// Returns the canonical value, or a sentence saying what is allowed.
pub fn check(key: &str, value: &str) -> Result<String, String> {
    let spec = spec(key).ok_or_else(|| {
        let known: Vec<_> = PREFERENCES.iter().map(|p| p.key).collect();
        format!(
            "'{key}' is not a preference; known preferences: {}",
            known.join(", ")
        )
    })?;
    let v = value.trim();
    match spec.rule {
        PrefRule::OneOf(allowed) => {
            let lower = v.to_ascii_lowercase();
            if allowed.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(format!(
                    "{} must be one of: {}",
                    spec.key,
                    allowed.join(", ")
                ))
            }
        }
        PrefRule::Range(lo, hi) => match v.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
            _ => Err(format!(
                "{} must be a whole number from {lo} to {hi}",
                spec.key
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_refused_everywhere() {
        for p in PREFERENCES {
            assert!(
                check(p.key, "Ada Lovelace, DOB 1815-12-10").is_err(),
                "{}",
                p.key
            );
            assert!(check(p.key, p.default).is_ok(), "{}", p.key);
        }
        assert!(check("patient-name", "x").is_err());
    }

    #[test]
    fn values_are_canonicalised() {
        assert_eq!(check("theme", " Dark ").unwrap(), "dark");
        assert_eq!(check("font-size", "018").unwrap(), "18");
        assert!(check("font-size", "40").is_err());
    }
}
