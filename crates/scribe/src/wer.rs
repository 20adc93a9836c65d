//! Word error rate, to measure transcripts against reference texts.

/// Number words written as digits, and titles spelled out, as Whisper
/// writes the former and abbreviates the latter ("ten" → "10", "Mr." →
/// "mister"), so the same words in another spelling are not errors.
const SPELLINGS: &[(&str, &str)] = &[
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("hundred", "100"),
    ("mr", "mister"),
    ("mrs", "missus"),
    ("dr", "doctor"),
];

/// Lower-cases, keeps letters, digits and apostrophes inside words, and
/// applies [`SPELLINGS`], so "Blood-pressure, ten." and "blood pressure 10"
/// compare equal.
pub fn normalize(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .map(|w| {
            SPELLINGS
                .iter()
                .find(|(from, _)| *from == w)
                .map_or(w, |(_, to)| (*to).to_string())
        })
        .collect()
}

/// Word-level edit distance (substitutions, deletions, insertions).
pub fn edit_distance(reference: &[String], hypothesis: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    let mut cur = vec![0; hypothesis.len() + 1];
    for (i, r) in reference.iter().enumerate() {
        cur[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let sub = prev[j] + usize::from(r != h);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[hypothesis.len()]
}

/// Errors per reference word, after [`normalize`]. An empty reference
/// scores 0 for an empty hypothesis and 1 otherwise.
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

/// Errors and reference words over many utterances (corpus WER).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub errors: usize,
    pub words: usize,
}

impl Tally {
    pub fn add(&mut self, reference: &str, hypothesis: &str) {
        let r = normalize(reference);
        self.errors += edit_distance(&r, &normalize(hypothesis));
        self.words += r.len();
    }

    pub fn wer(&self) -> f64 {
        if self.words == 0 {
            0.0
        } else {
            self.errors as f64 / self.words as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_of_error() {
        assert_eq!(wer("the cat sat", "the cat sat"), 0.0);
        assert_eq!(wer("the cat sat", "the bat sat"), 1.0 / 3.0);
        assert_eq!(wer("the cat sat", "the sat"), 1.0 / 3.0);
        assert_eq!(wer("the cat sat", "the cat sat down"), 1.0 / 3.0);
        assert_eq!(wer("the cat sat", ""), 1.0);
        assert_eq!(wer("a b", "c d e f"), 2.0);
        assert_eq!(wer("", ""), 0.0);
        assert_eq!(wer("", "noise"), 1.0);
    }

    #[test]
    fn ignores_case_and_punctuation() {
        assert_eq!(wer("Blood-pressure, 120/80.", "blood pressure 120 80"), 0.0);
        assert_eq!(wer("The patient's knee", "the patient's knee"), 0.0);
        assert_eq!(normalize("'Hello,' she said."), ["hello", "she", "said"]);
        assert_eq!(wer("go forward ten meters", "Go forward 10 meters."), 0.0);
        assert_eq!(wer("and mister john", "And Mr. John"), 0.0);
    }

    #[test]
    fn tally_weights_by_reference_length() {
        let mut t = Tally::default();
        t.add("one two three four", "one two three four");
        t.add("five six", "five");
        assert_eq!((t.errors, t.words), (1, 6));
        assert!((t.wer() - 1.0 / 6.0).abs() < 1e-12);
    }
}
