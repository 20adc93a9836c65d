//! Which SOAP section a dictated sentence belongs to. A spoken heading
//! ("Assessment:", "On exam") decides for the sentences after it; without
//! one, the sentence's own cue words do, leaning towards the section of the
//! sentence before (dictation runs in order more often than not).

use crate::text::words;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Subjective,
    Objective,
    Assessment,
    Plan,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Subjective,
        Section::Objective,
        Section::Assessment,
        Section::Plan,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Subjective => "Subjective",
            Section::Objective => "Objective",
            Section::Assessment => "Assessment",
            Section::Plan => "Plan",
        }
    }
}

/// Spoken headings, longest first so "assessment and plan" wins over
/// "assessment". `None` marks the combined heading, whose sentences are
/// sorted between assessment and plan by their cues.
const HEADINGS: &[(&str, Option<Section>)] = &[
    ("history of present illness", Some(Section::Subjective)),
    ("assessment and plan", None),
    ("physical examination", Some(Section::Objective)),
    ("physical exam", Some(Section::Objective)),
    ("chief complaint", Some(Section::Subjective)),
    ("vital signs", Some(Section::Objective)),
    ("subjective", Some(Section::Subjective)),
    ("objective", Some(Section::Objective)),
    ("examination", Some(Section::Objective)),
    ("on examination", Some(Section::Objective)),
    ("on exam", Some(Section::Objective)),
    ("exam", Some(Section::Objective)),
    ("vitals", Some(Section::Objective)),
    ("assessment", Some(Section::Assessment)),
    ("impression", Some(Section::Assessment)),
    ("diagnoses", Some(Section::Assessment)),
    ("diagnosis", Some(Section::Assessment)),
    ("plan", Some(Section::Plan)),
    ("hpi", Some(Section::Subjective)),
];

/// A heading at the start of a sentence: what it sets and the sentence
/// without it. Only a heading followed by a colon, a stop, or nothing else
/// counts, so "Plan to start lisinopril" stays a plan sentence with its
/// words, and "Exam shows" is not cut.
pub fn heading(sentence: &str) -> Option<(Option<Section>, String)> {
    let lower = sentence.to_ascii_lowercase();
    for (h, section) in HEADINGS {
        if let Some(rest) = lower.strip_prefix(h) {
            let rest_trim = rest.trim_start();
            let marked = rest_trim.starts_with(':')
                || rest_trim.starts_with('.')
                || rest_trim.starts_with(',')
                || rest_trim.is_empty();
            if marked {
                let cut = sentence.len() - rest_trim.len();
                let remainder = sentence[cut..]
                    .trim_start_matches([':', '.', ',', ' '])
                    .to_string();
                return Some((*section, remainder));
            }
        }
    }
    None
}

const SUBJECTIVE: &[&str] = &[
    "reports",
    "reported",
    "states",
    "complains",
    "complaining",
    "denies",
    "denied",
    "presents",
    "presenting",
    "here for",
    "history of",
    "has been",
    "have been",
    "for the past",
    "feels",
    "feeling",
    "noticed",
    "says",
    "year-old",
    "year old",
    "started having",
    "since",
    "ago",
    "symptoms",
    "worse",
    "better",
];

const OBJECTIVE: &[&str] = &[
    "blood pressure",
    "heart rate",
    "pulse",
    "temperature",
    "respiratory rate",
    "oxygen saturation",
    "saturation",
    "weight",
    "bmi",
    "exam",
    "examination",
    "auscultation",
    "lungs",
    "abdomen",
    "nontender",
    "non-tender",
    "tenderness",
    "murmur",
    "regular rate",
    "tympanic",
    "pharynx",
    "erythema",
    "edema",
    "mmhg",
    "beats per minute",
    "reveals",
    "alert and oriented",
    "labs show",
    "a1c is",
    "a1c was",
    "x-ray shows",
    "on inspection",
    "palpation",
];

const ASSESSMENT: &[&str] = &[
    "likely",
    "consistent with",
    "suggestive of",
    "diagnosis",
    "impression",
    "assessment",
    "probably",
    "probable",
    "suspect",
    "differential",
    "is stable",
    "are stable",
    "well controlled",
    "uncontrolled",
    "poorly controlled",
    "worsening",
    "improving",
    "i think",
    "rule out",
];

const PLAN: &[&str] = &[
    "start",
    "continue",
    "stop",
    "discontinue",
    "increase",
    "decrease",
    "prescribe",
    "prescribed",
    "refill",
    "order",
    "ordered",
    "check",
    "follow up",
    "follow-up",
    "return",
    "come back",
    "refer",
    "referral",
    "recommend",
    "recommended",
    "advised",
    "counsel",
    "counseled",
    "schedule",
    "we will",
    "we'll",
    "will",
    "recheck",
    "repeat",
    "plan",
];

fn score(lower_words: &str, cues: &[&str]) -> usize {
    cues.iter()
        .filter(|c| contains_phrase(lower_words, c))
        .count()
}

/// `phrase` as whole words of `text` (both lower case, single spaces).
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    let padded = format!(" {text} ");
    padded.contains(&format!(" {phrase} "))
}

/// Sorts sentences into sections, headings removed.
pub fn classify(sentences: &[String]) -> Vec<(Section, String)> {
    let mut out = Vec::with_capacity(sentences.len());
    // Set by a spoken heading; `Some(None)` is "assessment and plan".
    let mut fixed: Option<Option<Section>> = None;
    let mut previous = Section::Subjective;
    for s in sentences {
        let text = match heading(s) {
            Some((section, rest)) => {
                fixed = Some(section);
                if rest.trim().is_empty() {
                    continue;
                }
                crate::text::clean(&rest)
            }
            None => s.clone(),
        };
        let section = match fixed {
            Some(Some(section)) => section,
            Some(None) => by_cues(&text, previous, &[Section::Assessment, Section::Plan]),
            None => by_cues(&text, previous, &Section::ALL),
        };
        previous = section;
        out.push((section, text));
    }
    out
}

fn by_cues(sentence: &str, previous: Section, allowed: &[Section]) -> Section {
    let lower = words(sentence).join(" ");
    let mut best = (
        if allowed.contains(&previous) {
            previous
        } else {
            allowed[0]
        },
        0.5,
    );
    for &section in allowed {
        let cues = match section {
            Section::Subjective => SUBJECTIVE,
            Section::Objective => OBJECTIVE,
            Section::Assessment => ASSESSMENT,
            Section::Plan => PLAN,
        };
        let mut s = score(&lower, cues) as f64;
        if section == previous {
            s += 0.5;
        }
        if s > best.1 {
            best = (section, s);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(text: &str) -> Vec<(Section, String)> {
        classify(&crate::text::sentences(text))
    }

    #[test]
    fn spoken_headings_decide_and_are_removed() {
        let s = sorted("Subjective: cough for three days. Objective. Lungs are clear. Assessment: acute bronchitis. Plan: rest and fluids.");
        assert_eq!(
            s,
            [
                (Section::Subjective, "Cough for three days.".to_string()),
                (Section::Objective, "Lungs are clear.".to_string()),
                (Section::Assessment, "Acute bronchitis.".to_string()),
                (Section::Plan, "Rest and fluids.".to_string()),
            ]
        );
    }

    #[test]
    fn without_headings_cue_words_decide() {
        let s = sorted("The patient reports a dry cough for the past week. Blood pressure is 128 over 82 and lungs are clear to auscultation. This is likely a viral bronchitis. We will start benzonatate and follow up in two weeks.");
        let sections: Vec<Section> = s.iter().map(|(sec, _)| *sec).collect();
        assert_eq!(
            sections,
            [
                Section::Subjective,
                Section::Objective,
                Section::Assessment,
                Section::Plan
            ]
        );
    }

    #[test]
    fn a_plan_sentence_starting_with_plan_keeps_its_words() {
        assert_eq!(heading("Plan to start lisinopril."), None);
        assert_eq!(
            heading("Plan: start lisinopril."),
            Some((Some(Section::Plan), "start lisinopril.".to_string()))
        );
    }

    #[test]
    fn assessment_and_plan_sorts_between_the_two() {
        let s =
            sorted("Assessment and plan: hypertension is well controlled. Continue lisinopril.");
        assert_eq!(s[0].0, Section::Assessment);
        assert_eq!(s[1].0, Section::Plan);
    }
}
