//! Medications mentioned in the dictation: the drug (generic name, from the
//! lexicon), the dose, route and frequency said after it, and what is being
//! done with it ("start", "continue", "allergic to").

use crate::text::{format_number, number_at, words};
use crate::Terminology;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MedicationAction {
    Start,
    Continue,
    Stop,
    Change,
    /// The patient takes it now.
    Taking,
    /// An allergy or intolerance, never something to give.
    Allergy,
    Mentioned,
}

impl MedicationAction {
    pub fn label(self) -> &'static str {
        match self {
            MedicationAction::Start => "start",
            MedicationAction::Continue => "continue",
            MedicationAction::Stop => "stop",
            MedicationAction::Change => "change dose",
            MedicationAction::Taking => "taking",
            MedicationAction::Allergy => "allergy",
            MedicationAction::Mentioned => "mentioned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Medication {
    /// Generic name ("Acetaminophen").
    pub name: String,
    /// As said, when it was a brand ("tylenol").
    pub said: Option<String>,
    pub dose: Option<String>,
    pub route: Option<String>,
    pub frequency: Option<String>,
    pub action: MedicationAction,
}

impl Medication {
    /// "Lisinopril 10 mg by mouth daily (continue)".
    pub fn line(&self) -> String {
        let mut parts = vec![self.name.clone()];
        if let Some(said) = &self.said {
            parts[0] = format!("{} ({said})", self.name);
        }
        parts.extend(self.dose.clone());
        parts.extend(self.route.clone());
        parts.extend(self.frequency.clone());
        format!("{} ({})", parts.join(" "), self.action.label())
    }
}

/// The longest drug name this many words long is looked for first.
const MAX_NAME_WORDS: usize = 4;

const UNITS: &[(&str, &str)] = &[
    ("mg", "mg"),
    ("milligram", "mg"),
    ("milligrams", "mg"),
    ("mcg", "mcg"),
    ("microgram", "mcg"),
    ("micrograms", "mcg"),
    ("g", "g"),
    ("gram", "g"),
    ("grams", "g"),
    ("ml", "mL"),
    ("milliliter", "mL"),
    ("milliliters", "mL"),
    ("unit", "units"),
    ("units", "units"),
    ("iu", "units"),
    ("puff", "puffs"),
    ("puffs", "puffs"),
    ("tablet", "tablets"),
    ("tablets", "tablets"),
    ("capsule", "capsules"),
    ("capsules", "capsules"),
    ("drop", "drops"),
    ("drops", "drops"),
    ("percent", "%"),
];

const ROUTES: &[(&str, &str)] = &[
    ("by mouth", "by mouth"),
    ("orally", "by mouth"),
    ("po", "by mouth"),
    ("inhaled", "inhaled"),
    ("inhaler", "inhaled"),
    ("topically", "topical"),
    ("topical", "topical"),
    ("subcutaneously", "subcutaneous"),
    ("subcutaneous", "subcutaneous"),
    ("intramuscularly", "intramuscular"),
    ("intramuscular", "intramuscular"),
    ("intravenously", "intravenous"),
    ("iv", "intravenous"),
    ("nasal spray", "nasal"),
    ("eye drops", "ophthalmic"),
];

const FREQUENCIES: &[(&str, &str)] = &[
    ("once a day", "daily"),
    ("once daily", "daily"),
    ("every day", "daily"),
    ("each day", "daily"),
    ("daily", "daily"),
    ("twice a day", "twice daily"),
    ("twice daily", "twice daily"),
    ("two times a day", "twice daily"),
    ("bid", "twice daily"),
    ("three times a day", "three times daily"),
    ("three times daily", "three times daily"),
    ("tid", "three times daily"),
    ("four times a day", "four times daily"),
    ("qid", "four times daily"),
    ("every morning", "every morning"),
    ("in the morning", "every morning"),
    ("every evening", "every evening"),
    ("at bedtime", "at bedtime"),
    ("at night", "at bedtime"),
    ("nightly", "at bedtime"),
    ("qhs", "at bedtime"),
    ("as needed", "as needed"),
    ("prn", "as needed"),
    ("every other day", "every other day"),
    ("once a week", "weekly"),
    ("weekly", "weekly"),
    ("once a month", "monthly"),
    ("monthly", "monthly"),
];

/// Words before a drug that say what is done with it, nearest first wins.
const ACTIONS: &[(&str, MedicationAction)] = &[
    ("allergic to", MedicationAction::Allergy),
    ("allergy to", MedicationAction::Allergy),
    ("allergies to", MedicationAction::Allergy),
    ("intolerant of", MedicationAction::Allergy),
    ("reaction to", MedicationAction::Allergy),
    ("start", MedicationAction::Start),
    ("starting", MedicationAction::Start),
    ("begin", MedicationAction::Start),
    ("prescribe", MedicationAction::Start),
    ("prescribed", MedicationAction::Start),
    ("prescribing", MedicationAction::Start),
    ("add", MedicationAction::Start),
    ("trial of", MedicationAction::Start),
    ("continue", MedicationAction::Continue),
    ("continuing", MedicationAction::Continue),
    ("refill", MedicationAction::Continue),
    ("stay on", MedicationAction::Continue),
    ("remain on", MedicationAction::Continue),
    ("stop", MedicationAction::Stop),
    ("stopped", MedicationAction::Stop),
    ("discontinue", MedicationAction::Stop),
    ("discontinued", MedicationAction::Stop),
    ("hold", MedicationAction::Stop),
    ("quit", MedicationAction::Stop),
    ("increase", MedicationAction::Change),
    ("increased", MedicationAction::Change),
    ("decrease", MedicationAction::Change),
    ("decreased", MedicationAction::Change),
    ("reduce", MedicationAction::Change),
    ("adjust", MedicationAction::Change),
    ("titrate", MedicationAction::Change),
    ("change", MedicationAction::Change),
    ("takes", MedicationAction::Taking),
    ("taking", MedicationAction::Taking),
    ("take", MedicationAction::Taking),
    ("on", MedicationAction::Taking),
    ("uses", MedicationAction::Taking),
    ("using", MedicationAction::Taking),
];

/// Drug names are at least this long: the lexicon's two- and three-letter
/// abbreviations collide with ordinary speech.
const MIN_NAME_LEN: usize = 4;

/// Medications in the order first mentioned, one per drug; a later mention
/// fills in what an earlier one left out.
pub fn find(sentences: &[String], terms: &dyn Terminology) -> Vec<Medication> {
    let mut out: Vec<Medication> = Vec::new();
    for sentence in sentences {
        let w = words(sentence);
        let mut i = 0;
        while i < w.len() {
            let Some((len, drug)) = name_at(&w, i, terms) else {
                i += 1;
                continue;
            };
            let said = w[i..i + len].join(" ");
            let mut m = Medication {
                said: (drug.brand || said != drug.name.to_ascii_lowercase()).then_some(said),
                name: drug.name,
                dose: None,
                route: None,
                frequency: None,
                action: action_before(&w[..i]),
            };
            details_after(&w[i + len..], terms, &mut m);
            merge(&mut out, m);
            i += len;
        }
    }
    out
}

/// The longest drug name starting at word `i`.
fn name_at(w: &[String], i: usize, terms: &dyn Terminology) -> Option<(usize, crate::DrugName)> {
    for len in (1..=MAX_NAME_WORDS.min(w.len() - i)).rev() {
        let spoken = w[i..i + len].join(" ");
        if spoken.len() < MIN_NAME_LEN || spoken.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Some(d) = terms.drug(&spoken) {
            return Some((len, d));
        }
    }
    None
}

fn action_before(before: &[String]) -> MedicationAction {
    // Only the few words before the name, not the whole sentence's start.
    let from = before.len().saturating_sub(5);
    let window = &before[from..];
    let mut best: Option<(usize, MedicationAction)> = None;
    for (phrase, action) in ACTIONS {
        let p: Vec<&str> = phrase.split(' ').collect();
        for start in 0..window.len() {
            let hit = p
                .iter()
                .enumerate()
                .all(|(k, x)| window.get(start + k).is_some_and(|y| y == x));
            if hit {
                let end = start + p.len();
                // Nearest to the name wins; an allergy beats anything.
                let better = match best {
                    None => true,
                    Some((_, MedicationAction::Allergy)) => false,
                    Some((e, _)) => *action == MedicationAction::Allergy || end > e,
                };
                if better {
                    best = Some((end, *action));
                }
            }
        }
    }
    best.map_or(MedicationAction::Mentioned, |(_, a)| a)
}

fn details_after(after: &[String], terms: &dyn Terminology, m: &mut Medication) {
    let window = &after[..after.len().min(10)];
    let mut k = 0;
    while k < window.len() {
        // The next drug's details are its own.
        if k > 0 && name_at(window, k, terms).is_some() {
            break;
        }
        if m.dose.is_none() {
            if let Some((n, used)) = number_at(window, k) {
                if let Some(unit) = window.get(k + used).and_then(|u| lookup(UNITS, u)) {
                    m.dose = Some(format!("{} {unit}", format_number(n)));
                    k += used + 1;
                    continue;
                }
            }
        }
        if let Some((len, v)) = phrase_at(window, k, ROUTES) {
            m.route.get_or_insert(v.to_string());
            k += len;
            continue;
        }
        if let Some((len, v)) = phrase_at(window, k, FREQUENCIES) {
            m.frequency.get_or_insert(v.to_string());
            k += len;
            continue;
        }
        // "every 6 hours", "every four to six hours".
        if window[k] == "every" {
            if let Some((n, used)) = number_at(window, k + 1) {
                if window.get(k + 1 + used).is_some_and(|h| h == "hours") {
                    m.frequency
                        .get_or_insert(format!("every {} hours", format_number(n)));
                    k += used + 2;
                    continue;
                }
            }
        }
        k += 1;
    }
}

fn lookup(table: &[(&str, &'static str)], word: &str) -> Option<&'static str> {
    table.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

fn phrase_at(
    w: &[String],
    at: usize,
    table: &[(&str, &'static str)],
) -> Option<(usize, &'static str)> {
    table
        .iter()
        .filter_map(|(phrase, value)| {
            let p: Vec<&str> = phrase.split(' ').collect();
            let hit = p
                .iter()
                .enumerate()
                .all(|(k, x)| w.get(at + k).is_some_and(|y| y == x));
            hit.then_some((p.len(), *value))
        })
        .max_by_key(|(len, _)| *len)
}

fn merge(out: &mut Vec<Medication>, m: Medication) {
    match out.iter_mut().find(|o| o.name == m.name) {
        Some(o) => {
            if o.dose.is_none() {
                o.dose = m.dose;
            }
            if o.route.is_none() {
                o.route = m.route;
            }
            if o.frequency.is_none() {
                o.frequency = m.frequency;
            }
            // What the physician decided outranks what was only mentioned;
            // an allergy is never overwritten.
            let decided = o.action != MedicationAction::Allergy
                && m.action != MedicationAction::Mentioned
                && m.action != MedicationAction::Taking;
            if decided || o.action == MedicationAction::Mentioned {
                o.action = m.action;
            }
        }
        None => out.push(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrugName;

    struct Drugs;
    impl Terminology for Drugs {
        fn diagnoses(&self, _: &[&str], _: usize) -> Vec<(String, String)> {
            Vec::new()
        }
        fn drug(&self, spoken: &str) -> Option<DrugName> {
            let (name, brand) = match spoken {
                "lisinopril" => ("Lisinopril", false),
                "tylenol" => ("Acetaminophen", true),
                "metformin" => ("Metformin", false),
                "penicillin" => ("Penicillin", false),
                "albuterol" => ("Albuterol", false),
                "vitamin d" => ("Ergocalciferol", false),
                _ => return None,
            };
            Some(DrugName {
                name: name.into(),
                brand,
            })
        }
    }

    fn meds(text: &str) -> Vec<Medication> {
        find(&crate::text::sentences(text), &Drugs)
    }

    #[test]
    fn dose_route_frequency_and_action_are_read() {
        let m = meds("Continue lisinopril 10 mg by mouth once a day. Start metformin five hundred milligrams twice a day with meals.");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].line(), "Lisinopril 10 mg by mouth daily (continue)");
        assert_eq!(m[1].line(), "Metformin 500 mg twice daily (start)");
    }

    #[test]
    fn allergies_are_never_something_to_give() {
        let m = meds("She is allergic to penicillin. We will not start penicillin.");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].action, MedicationAction::Allergy);
    }

    #[test]
    fn brands_and_multi_word_names_resolve_to_the_generic() {
        let m = meds("Takes Tylenol as needed and vitamin D 1000 units daily. Albuterol 2 puffs every 4 hours as needed.");
        assert_eq!(m[0].line(), "Acetaminophen (tylenol) as needed (taking)");
        assert_eq!(m[1].name, "Ergocalciferol");
        assert_eq!(m[1].dose.as_deref(), Some("1000 units"));
        assert_eq!(m[2].dose.as_deref(), Some("2 puffs"));
        assert_eq!(m[2].frequency.as_deref(), Some("every 4 hours"));
    }
}
