//! The draft itself, in the physician's preferred layout and detail.

use crate::medications::{self, Medication, MedicationAction};
use crate::problems::{self, Problem};
use crate::sections::{classify, Section};
use crate::text::sentences;
use crate::Terminology;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Subjective, objective, assessment and plan sections.
    Soap,
    /// One text of headed bullet points.
    Bullets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detail {
    /// Short lines: lead-ins and small talk left out.
    Concise,
    /// Every clinical sentence as said, cleaned of fillers.
    Detailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Style {
    pub layout: Layout,
    pub detail: Detail,
}

impl Style {
    /// From the `note-format` and `summary-style` preferences.
    pub fn from_preferences(note_format: &str, summary_style: &str) -> Style {
        Style {
            layout: if note_format == "bullets" {
                Layout::Bullets
            } else {
                Layout::Soap
            },
            detail: if summary_style == "detailed" {
                Detail::Detailed
            } else {
                Detail::Concise
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub style: Style,
    /// SOAP sections (empty for bullets).
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// The bulleted note (empty for SOAP).
    pub body: String,
    pub problems: Vec<Problem>,
    pub medications: Vec<Medication>,
}

impl Draft {
    pub fn is_empty(&self) -> bool {
        [
            &self.subjective,
            &self.objective,
            &self.assessment,
            &self.plan,
            &self.body,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// Drafts a note from a transcript.
pub fn draft(transcript: &str, style: Style, terms: &dyn Terminology) -> Draft {
    let sorted: Vec<(Section, String)> = classify(&sentences(transcript))
        .into_iter()
        .filter_map(|(section, s)| match style.detail {
            Detail::Detailed => (!is_small_talk(&s)).then_some((section, s)),
            Detail::Concise => shorten(&s).map(|s| (section, s)),
        })
        .collect();
    let all: Vec<String> = sorted.iter().map(|(_, s)| s.clone()).collect();
    let medications = medications::find(&all, terms);
    let is_drug = |phrase: &str| terms.drug(phrase).is_some();
    let problems = problems::find(&sorted, terms, &is_drug);

    let lines = |section: Section| -> Vec<String> {
        sorted
            .iter()
            .filter(|(s, _)| *s == section)
            .map(|(_, t)| t.clone())
            .collect()
    };
    let problem_lines: Vec<String> = problems
        .iter()
        .map(|p| {
            let c = &p.candidates[0];
            format!(
                "{} — {} {}",
                capitalise(&p.phrase),
                dotted(&c.code),
                c.description
            )
        })
        .collect();
    let medication_lines: Vec<String> = medications.iter().map(Medication::line).collect();
    let allergies: Vec<String> = medications
        .iter()
        .filter(|m| m.action == MedicationAction::Allergy)
        .map(|m| m.name.clone())
        .collect();

    let mut d = Draft {
        style,
        subjective: String::new(),
        objective: String::new(),
        assessment: String::new(),
        plan: String::new(),
        body: String::new(),
        problems,
        medications,
    };
    match style.layout {
        Layout::Soap => {
            let join = |v: Vec<String>| match style.detail {
                Detail::Detailed => v.join(" "),
                Detail::Concise => bulleted(&v),
            };
            d.subjective = join(lines(Section::Subjective));
            d.objective = join(lines(Section::Objective));
            d.assessment = join(lines(Section::Assessment));
            if !problem_lines.is_empty() {
                d.assessment = append_block(&d.assessment, "Problems", &numbered(&problem_lines));
            }
            d.plan = join(lines(Section::Plan));
            if !medication_lines.is_empty() {
                d.plan = append_block(&d.plan, "Medications", &bulleted(&medication_lines));
            }
            if !allergies.is_empty() {
                d.subjective = append_block(&d.subjective, "Allergies", &allergies.join(", "));
            }
        }
        Layout::Bullets => {
            let mut blocks = Vec::new();
            for section in Section::ALL {
                let l = lines(section);
                if !l.is_empty() {
                    blocks.push(format!("{}\n{}", section.title(), bulleted(&l)));
                }
            }
            if !problem_lines.is_empty() {
                blocks.push(format!("Problems\n{}", numbered(&problem_lines)));
            }
            if !medication_lines.is_empty() {
                blocks.push(format!("Medications\n{}", bulleted(&medication_lines)));
            }
            if !allergies.is_empty() {
                blocks.push(format!("Allergies\n- {}", allergies.join(", ")));
            }
            d.body = blocks.join("\n\n");
        }
    }
    d
}

/// "E119" → "E11.9", the way codes are read on paper.
pub fn dotted(code: &str) -> String {
    if code.len() > 3 {
        format!("{}.{}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn bulleted(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("- {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn numbered(lines: &[String]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}. {l}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

fn append_block(text: &str, title: &str, block: &str) -> String {
    if text.trim().is_empty() {
        format!("{title}:\n{block}")
    } else {
        format!("{text}\n\n{title}:\n{block}")
    }
}

/// Greetings and chat that belong in no note.
fn is_small_talk(sentence: &str) -> bool {
    let w = crate::text::words(sentence);
    let joined = w.join(" ");
    const CHAT: &[&str] = &[
        "okay",
        "ok",
        "alright",
        "all right",
        "thank you",
        "thanks",
        "hello",
        "hi",
        "good morning",
        "good afternoon",
        "bye",
        "goodbye",
        "see you",
        "yes",
        "no",
        "yeah",
        "sure",
        "great",
        "any questions",
        "let me see",
        "let's see",
        "so",
        "well",
        "right",
    ];
    w.len() <= 4
        && CHAT
            .iter()
            .any(|c| joined == *c || joined.starts_with(&format!("{c} ")))
        || CHAT.contains(&joined.as_str())
}

/// Lead-ins a concise note leaves out, longest first.
const LEAD_INS: &[&str] = &[
    "the patient states that ",
    "the patient says that ",
    "the patient reports that ",
    "the patient tells me that ",
    "patient states that ",
    "patient says that ",
    "she states that ",
    "he states that ",
    "she says that ",
    "he says that ",
    "she tells me that ",
    "he tells me that ",
    "i think that ",
    "i think ",
    "it looks like ",
    "so ",
    "okay so ",
    "okay ",
    "alright ",
    "well ",
    "and ",
    "also ",
    "basically ",
];

/// A sentence for a concise note, or `None` for small talk.
fn shorten(sentence: &str) -> Option<String> {
    if is_small_talk(sentence) {
        return None;
    }
    let mut s = sentence.trim().to_string();
    loop {
        let lower = s.to_ascii_lowercase();
        let Some(lead) = LEAD_INS.iter().find(|l| lower.starts_with(*l)) else {
            break;
        };
        s = s[lead.len()..].to_string();
    }
    s = s.trim_start_matches([',', ' ']).to_string();
    let cleaned = crate::text::clean(&s);
    cleaned
        .chars()
        .any(char::is_alphanumeric)
        .then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DrugName;

    struct Terms;
    impl Terminology for Terms {
        fn diagnoses(&self, words: &[&str], _: usize) -> Vec<(String, String)> {
            if words == ["hypertension"] {
                vec![("I10".into(), "Essential (primary) hypertension".into())]
            } else {
                Vec::new()
            }
        }
        fn drug(&self, spoken: &str) -> Option<DrugName> {
            (spoken == "lisinopril").then(|| DrugName {
                name: "Lisinopril".into(),
                brand: false,
            })
        }
    }

    const VISIT: &str = "Okay. The patient states that she has been feeling well. \
        Blood pressure is 132 over 84. Hypertension is well controlled. \
        Continue lisinopril 10 mg daily and follow up in three months. Thank you.";

    #[test]
    fn a_concise_soap_draft_lists_problems_and_medications() {
        let d = draft(VISIT, Style::from_preferences("soap", "concise"), &Terms);
        assert_eq!(d.subjective, "- She has been feeling well.");
        assert_eq!(d.objective, "- Blood pressure is 132 over 84.");
        assert_eq!(
            d.assessment,
            "- Hypertension is well controlled.\n\nProblems:\n1. Hypertension — I10 Essential (primary) hypertension"
        );
        assert!(
            d.plan.starts_with("- Continue lisinopril 10 mg daily"),
            "{}",
            d.plan
        );
        assert!(
            d.plan
                .ends_with("Medications:\n- Lisinopril 10 mg daily (continue)"),
            "{}",
            d.plan
        );
        assert!(d.body.is_empty());
    }

    #[test]
    fn a_detailed_draft_keeps_the_sentences_whole() {
        let d = draft(VISIT, Style::from_preferences("soap", "detailed"), &Terms);
        assert_eq!(
            d.subjective,
            "The patient states that she has been feeling well."
        );
    }

    #[test]
    fn a_bulleted_draft_is_one_text() {
        let d = draft(VISIT, Style::from_preferences("bullets", "concise"), &Terms);
        assert!(d.subjective.is_empty());
        assert!(
            d.body
                .starts_with("Subjective\n- She has been feeling well.\n\nObjective\n"),
            "{}",
            d.body
        );
        assert!(
            d.body.contains("Problems\n1. Hypertension — I10"),
            "{}",
            d.body
        );
    }

    #[test]
    fn silence_drafts_nothing() {
        let d = draft("  ", Style::from_preferences("soap", "concise"), &Terms);
        assert!(d.is_empty());
        assert!(d.problems.is_empty());
    }
}
