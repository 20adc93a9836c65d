//! Problems named in the dictation and their ICD-10-CM candidates.
//!
//! A problem is a short phrase after a cue ("complains of", "history of",
//! "consistent with", "for" in a plan), before a status ("... is well
//! controlled"), or a clause of the assessment. Each is looked up in the
//! code set; the candidates are ranked so that the general code for what
//! was said comes first (a short code, "unspecified", "without
//! complications"), and the physician chooses.

use crate::sections::{contains_phrase, Section};
use crate::text::{clause_words, words};
use crate::Terminology;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeCandidate {
    /// Without the dot, as the code set stores it ("E119").
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// As said ("high blood pressure").
    pub phrase: String,
    /// The words looked up ("hypertension").
    pub searched: String,
    /// Best first; never empty.
    pub candidates: Vec<CodeCandidate>,
}

/// How many candidates a problem offers.
pub const CANDIDATES: usize = 5;
/// At most this many problems from one dictation.
pub const MAX_PROBLEMS: usize = 12;

/// Lay and shorthand terms the code set words differently.
const SYNONYMS: &[(&str, &str)] = &[
    ("high blood pressure", "hypertension"),
    ("elevated blood pressure", "elevated blood-pressure reading"),
    ("htn", "hypertension"),
    ("high cholesterol", "hyperlipidemia"),
    ("cholesterol", "hyperlipidemia"),
    ("type 2 diabetes mellitus", "type 2 diabetes mellitus"),
    ("type two diabetes", "type 2 diabetes mellitus"),
    ("type 2 diabetes", "type 2 diabetes mellitus"),
    ("type ii diabetes", "type 2 diabetes mellitus"),
    ("type 1 diabetes", "type 1 diabetes mellitus"),
    ("type one diabetes", "type 1 diabetes mellitus"),
    ("diabetes", "type 2 diabetes mellitus"),
    ("heart attack", "myocardial infarction"),
    ("sore throat", "pharyngitis"),
    ("strep throat", "streptococcal pharyngitis"),
    ("stomach pain", "abdominal pain"),
    ("belly pain", "abdominal pain"),
    ("tummy ache", "abdominal pain"),
    ("heartburn", "heartburn"),
    ("acid reflux", "gastro-esophageal reflux disease"),
    ("reflux", "gastro-esophageal reflux disease"),
    ("gerd", "gastro-esophageal reflux disease"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("uti", "urinary tract infection"),
    ("bladder infection", "cystitis"),
    ("afib", "atrial fibrillation"),
    ("a fib", "atrial fibrillation"),
    ("a-fib", "atrial fibrillation"),
    ("flu", "influenza"),
    ("the flu", "influenza"),
    ("common cold", "acute nasopharyngitis"),
    ("a cold", "acute nasopharyngitis"),
    ("head cold", "acute nasopharyngitis"),
    (
        "upper respiratory infection",
        "acute upper respiratory infection",
    ),
    ("uri", "acute upper respiratory infection"),
    ("runny nose", "rhinorrhea"),
    ("stuffy nose", "nasal congestion"),
    ("ear infection", "otitis media"),
    ("pink eye", "conjunctivitis"),
    ("sinus infection", "sinusitis"),
    ("short of breath", "shortness of breath"),
    ("dizziness", "dizziness"),
    ("dizzy", "dizziness"),
    ("tired", "fatigue"),
    ("tiredness", "fatigue"),
    ("low back pain", "low back pain"),
    ("lower back pain", "low back pain"),
    ("back pain", "low back pain"),
    ("knee pain", "pain in knee"),
    ("shoulder pain", "pain in shoulder"),
    ("hip pain", "pain in hip"),
    ("joint pain", "pain in joint"),
    ("neck pain", "cervicalgia"),
    ("depression", "major depressive disorder, single episode"),
    ("anxiety", "anxiety disorder"),
    ("insomnia", "insomnia"),
    ("trouble sleeping", "insomnia"),
    ("obesity", "obesity"),
    ("overweight", "overweight"),
    ("migraines", "migraine"),
    ("asthma", "asthma"),
    ("underactive thyroid", "hypothyroidism"),
    ("overactive thyroid", "hyperthyroidism"),
    ("kidney stone", "calculus of kidney"),
    ("kidney stones", "calculus of kidney"),
    ("chronic kidney disease", "chronic kidney disease"),
    ("ckd", "chronic kidney disease"),
    ("rash", "rash"),
    ("fever", "fever"),
    ("vomiting", "vomiting"),
    ("nausea", "nausea"),
    ("diarrhea", "diarrhea"),
    ("constipation", "constipation"),
];

/// Phrases after which a problem is named.
const LEAD_INS: &[&str] = &[
    "complains of",
    "complaining of",
    "complaint of",
    "presents with",
    "presenting with",
    "presented with",
    "here for",
    "seen for",
    "here today for",
    "follow up for",
    "follow up of",
    "follow-up for",
    "follow up on",
    "history of",
    "diagnosed with",
    "diagnosis of",
    "diagnosis is",
    "assessment is",
    "impression is",
    "consistent with",
    "suggestive of",
    "likely",
    "probable",
    "suspect",
    "suspected",
    "rule out",
    "treated for",
    "symptoms of",
    "suffers from",
    "reports",
    "has",
];

/// Words that end a problem phrase.
const STOPS: &[&str] = &[
    "which",
    "that",
    "since",
    "for",
    "and",
    "but",
    "or",
    "because",
    "so",
    "who",
    "x",
    "times",
    "when",
    "while",
    "after",
    "before",
    "in",
    "on",
    "at",
    "over",
    "per",
    "today",
    "yesterday",
    "now",
    "currently",
    "again",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "we",
    "he",
    "she",
    "they",
    "i",
    "it",
    "to",
    "as",
    "also",
    "who",
    "from",
    "than",
    "starting",
    "started",
    "lasting",
    "last",
    "past",
    "this",
    "these",
    "those",
    "with",
];

/// Status words after a problem ("hypertension is well controlled").
const STATUSES: &[&str] = &[
    "is stable",
    "are stable",
    "is well controlled",
    "is controlled",
    "is uncontrolled",
    "is poorly controlled",
    "is worsening",
    "is improving",
    "is resolved",
    "has resolved",
    "is better",
    "is worse",
];

/// Words that carry no meaning of their own in a phrase or a code search.
const LEADING_FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "his",
    "her",
    "their",
    "some",
    "any",
    "of",
    "likely",
    "probable",
    "possible",
    "new",
    "known",
    "ongoing",
    "recurrent",
    "persistent",
    "significant",
    "mild",
    "moderate",
    "severe",
    "worsening",
    "intermittent",
    "occasional",
    "bad",
    "bit",
    "little",
    "lot",
    "very",
    "really",
    "patient's",
    "patients",
    "follow",
    "up",
    "follow-up",
    "routine",
    "recheck",
];

/// Phrases that look like problems but are not: visit business, people,
/// body parts alone.
const NOT_PROBLEMS: &[&str] = &[
    "follow up",
    "follow-up",
    "visit",
    "check",
    "checkup",
    "check-up",
    "physical",
    "refill",
    "refills",
    "medication",
    "medications",
    "labs",
    "lab work",
    "blood work",
    "appointment",
    "patient",
    "no",
    "none",
    "nothing",
    "been",
    "well",
    "good",
    "fine",
    "allergies",
    "allergy",
    "assessment",
    "impression",
    "diagnosis",
    "plan",
    "exam",
    "examination",
    "work",
    "physician",
    "doctor",
    "clinic",
    "symptoms",
    "viral",
    "bacterial",
    "acute",
    "chronic",
    "stable",
    "controlled",
    "better",
    "worse",
];

/// Words left out of a code search: too common to narrow it, or matching
/// inside other words ("with" in "without").
const SEARCH_SKIP: &[&str] = &[
    "of", "the", "a", "an", "with", "and", "in", "to", "on", "at",
];

/// Finds the problems in sorted sentences and their code candidates.
/// `is_drug` keeps drug names out ("for lisinopril").
pub fn find(
    sentences: &[(Section, String)],
    terms: &dyn Terminology,
    is_drug: &dyn Fn(&str) -> bool,
) -> Vec<Problem> {
    let mut phrases: Vec<String> = Vec::new();
    for (section, sentence) in sentences {
        // "Denies chest pain, shortness of breath, or swelling": a negation
        // reaches over the whole list, so the whole sentence is left out.
        if is_negated(&words(sentence).join(" ")) {
            continue;
        }
        for clause in clause_words(sentence) {
            phrases.extend(after_lead_ins(&clause));
            phrases.extend(before_status(&clause));
            if *section == Section::Assessment {
                phrases.extend(whole_clause(&clause));
            }
            if *section == Section::Plan {
                phrases.extend(after_for(&clause));
            }
        }
    }
    let mut problems: Vec<Problem> = Vec::new();
    for phrase in phrases {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let phrase = trim_filler(&phrase);
        let not_a_problem = NOT_PROBLEMS
            .iter()
            .any(|n| phrase == *n || phrase.ends_with(&format!(" {n}")));
        if phrase.is_empty() || not_a_problem || is_drug(&phrase) {
            continue;
        }
        if problems.iter().any(|p| p.phrase == phrase) {
            continue;
        }
        if let Some(p) = look_up(&phrase, terms) {
            // One problem per code: "cough" and "dry cough" said twice.
            let first = &p.candidates[0].code;
            if problems.iter().any(|q| &q.candidates[0].code == first) {
                continue;
            }
            problems.push(p);
        }
    }
    problems
}

/// "Denies chest pain": a pertinent negative, not a problem. ("Without"
/// and "not" are not among them: "diabetes without complications" and
/// "hypertension is not controlled" name problems.)
fn is_negated(sentence: &str) -> bool {
    [
        "denies",
        "denied",
        "deny",
        "no",
        "negative for",
        "never",
        "free of",
        "ruled out",
    ]
    .iter()
    .any(|n| contains_phrase(sentence, n))
}

fn take_phrase(words: &[String]) -> Option<String> {
    let taken: Vec<&str> = words
        .iter()
        .take_while(|w| !STOPS.contains(&w.as_str()))
        .take(6)
        .map(String::as_str)
        .collect();
    (!taken.is_empty()).then(|| taken.join(" "))
}

/// Phrases joined by "and"/"or" ("a sore throat and a cough"), from the
/// start of `words` up to the first other stop.
fn take_list(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = words;
    while out.len() < 4 {
        let Some(p) = take_phrase(rest) else { break };
        let used = p.split(' ').count();
        out.push(p);
        match rest.get(used).map(String::as_str) {
            Some("and" | "or") => rest = &rest[used + 1..],
            _ => break,
        }
    }
    out
}

fn after_lead_ins(clause: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for lead in LEAD_INS {
        let lead_words: Vec<&str> = lead.split(' ').collect();
        for i in 0..clause.len() {
            let matches = lead_words
                .iter()
                .enumerate()
                .all(|(k, w)| clause.get(i + k).is_some_and(|c| c == w));
            if matches {
                out.extend(take_list(&clause[i + lead_words.len()..]));
            }
        }
    }
    out
}

fn before_status(clause: &[String]) -> Vec<String> {
    let joined = clause.join(" ");
    let mut out = Vec::new();
    for status in STATUSES {
        if let Some(at) = format!(" {joined} ").find(&format!(" {status} ")) {
            let before: Vec<String> = words(&joined[..at.min(joined.len())]);
            // The phrase is the run of words just before the status.
            let tail: Vec<&str> = before
                .iter()
                .rev()
                .take_while(|w| !STOPS.contains(&w.as_str()))
                .take(6)
                .map(String::as_str)
                .collect();
            if !tail.is_empty() {
                out.push(tail.into_iter().rev().collect::<Vec<_>>().join(" "));
            }
        }
    }
    out
}

fn whole_clause(clause: &[String]) -> Vec<String> {
    // "hypertension and hyperlipidemia": one problem each side of "and".
    clause
        .split(|w| w == "and")
        .filter_map(take_phrase)
        .collect()
}

fn after_for(clause: &[String]) -> Vec<String> {
    clause
        .iter()
        .enumerate()
        .filter(|(_, w)| *w == "for")
        .filter_map(|(i, _)| take_phrase(&clause[i + 1..]))
        .collect()
}

fn trim_filler(phrase: &str) -> String {
    let words: Vec<&str> = phrase.split(' ').collect();
    let start = words
        .iter()
        .position(|w| !LEADING_FILLER.contains(w))
        .unwrap_or(words.len());
    let end = words
        .iter()
        .rposition(|w| !SEARCH_SKIP.contains(w))
        .map_or(start, |e| e + 1);
    if start >= end {
        return String::new();
    }
    words[start..end].join(" ")
}

/// What to search for: a synonym's code-set wording, or the phrase.
fn search_terms(phrase: &str) -> String {
    for (said, coded) in SYNONYMS {
        if phrase == *said {
            return coded.to_string();
        }
    }
    // A synonym inside a longer phrase ("uncontrolled type 2 diabetes").
    for (said, coded) in SYNONYMS {
        if said.len() > 3 && contains_phrase(phrase, said) {
            return format!(" {phrase} ")
                .replace(&format!(" {said} "), &format!(" {coded} "))
                .trim()
                .to_string();
        }
    }
    phrase.to_string()
}

/// Looks a phrase up, dropping words from the front until the code set
/// knows it ("persistent dry cough" → "dry cough" → "cough"). The last word
/// names the thing, so it is never dropped.
fn look_up(phrase: &str, terms: &dyn Terminology) -> Option<Problem> {
    let searched = search_terms(phrase);
    let all: Vec<&str> = searched
        .split(' ')
        .filter(|w| !SEARCH_SKIP.contains(w))
        .collect();
    let mut tries: Vec<Vec<&str>> = Vec::new();
    for start in 0..all.len() {
        tries.push(all[start..].to_vec());
    }
    for words in tries {
        // One short word alone ("leg", "arm") finds too much to mean anything.
        if words.len() == 1 && words[0].len() < 4 {
            continue;
        }
        let found = terms.diagnoses(&words, 60);
        if found.is_empty() {
            continue;
        }
        let query = words.join(" ");
        let mut ranked: Vec<(f64, (String, String))> = found
            .into_iter()
            .map(|c| (rank(&query, &c.0, &c.1), c))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1 .0.cmp(&b.1 .0)));
        return Some(Problem {
            phrase: phrase.to_string(),
            searched: query,
            candidates: ranked
                .into_iter()
                .take(CANDIDATES)
                .map(|(_, (code, description))| CodeCandidate { code, description })
                .collect(),
        });
    }
    None
}

/// Higher is a better first guess for what was said: the most general
/// code (short; a three-character code that is billable has no
/// subdivisions at all), worded like the phrase with little else, and the
/// code set's own default for an unqualified problem ("unspecified",
/// "without complications").
pub fn rank(query: &str, code: &str, description: &str) -> f64 {
    let d = description.to_ascii_lowercase();
    let d_words = words(&d);
    let mut score = -2.0 * code.len() as f64;
    if code.len() == 3 {
        score += 3.0;
    }
    if contains_phrase(&d_words.join(" "), query) {
        score += 2.0;
    }
    let qualified = |w: &str| query.contains(w);
    if d.contains("unspecified") && !qualified("unspecified") {
        score += 2.0;
    }
    if (d.contains("without complications") || d.contains("uncomplicated"))
        && !qualified("complicat")
    {
        score += 2.5;
    }
    // Every further word narrows the code to something not said.
    const NEUTRAL: &[&str] = &[
        "unspecified",
        "without",
        "with",
        "complications",
        "uncomplicated",
        "of",
        "the",
        "and",
        "to",
        "in",
        "or",
        "a",
        "an",
    ];
    let query_words: Vec<&str> = query.split(' ').collect();
    let extra = d_words
        .iter()
        .filter(|w| !NEUTRAL.contains(&w.as_str()) && !query_words.contains(&w.as_str()))
        .count();
    score - 0.75 * extra as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrugName;

    /// A few codes as the real code set words them.
    struct Codes;
    const CODES: &[(&str, &str)] = &[
        ("I10", "Essential (primary) hypertension"),
        ("I159", "Secondary hypertension, unspecified"),
        ("I270", "Primary pulmonary hypertension"),
        ("E119", "Type 2 diabetes mellitus without complications"),
        (
            "E118",
            "Type 2 diabetes mellitus with unspecified complications",
        ),
        ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
        ("R059", "Cough, unspecified"),
        ("R051", "Acute cough"),
        ("R0789", "Other chest pain"),
        ("R079", "Chest pain, unspecified"),
        ("J029", "Acute pharyngitis, unspecified"),
    ];

    impl Terminology for Codes {
        fn diagnoses(&self, words: &[&str], limit: usize) -> Vec<(String, String)> {
            CODES
                .iter()
                .filter(|(_, d)| {
                    let d = d.to_ascii_lowercase();
                    words.iter().all(|w| d.contains(w))
                })
                .take(limit)
                .map(|(c, d)| (c.to_string(), d.to_string()))
                .collect()
        }
        fn drug(&self, _: &str) -> Option<DrugName> {
            None
        }
    }

    fn problems(text: &str) -> Vec<(String, String)> {
        let sorted = crate::sections::classify(&crate::text::sentences(text));
        find(&sorted, &Codes, &|p| p == "lisinopril")
            .into_iter()
            .map(|p| (p.phrase, p.candidates[0].code.clone()))
            .collect()
    }

    #[test]
    fn the_general_code_comes_first() {
        assert_eq!(
            problems("History of high blood pressure."),
            [("high blood pressure".into(), "I10".into())]
        );
        assert_eq!(
            problems("Assessment: type 2 diabetes."),
            [("type 2 diabetes".into(), "E119".into())]
        );
        assert_eq!(
            problems("She complains of a persistent cough."),
            [("cough".into(), "R059".into())]
        );
    }

    #[test]
    fn pertinent_negatives_are_not_problems() {
        assert!(problems("He denies chest pain.").is_empty());
        assert!(problems("No cough.").is_empty());
    }

    #[test]
    fn statuses_and_plans_name_problems_but_not_drugs() {
        assert_eq!(
            problems("Hypertension is well controlled. Continue lisinopril for hypertension."),
            [("hypertension".into(), "I10".into())]
        );
        assert!(problems("Plan: refill for lisinopril.").is_empty());
    }

    #[test]
    fn words_are_dropped_until_the_code_set_knows_the_phrase() {
        assert_eq!(
            problems("Presents with nagging chest pain."),
            [("nagging chest pain".into(), "R079".into())]
        );
    }
}
