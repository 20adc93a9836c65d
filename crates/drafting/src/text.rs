//! Sentences and words of a transcript, cleaned of what speech adds and a
//! note does not want ("um", "uh", doubled words).

/// The transcript cut into sentences, each cleaned and ending in a stop.
pub fn sentences(transcript: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = transcript.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' || c == '\r' {
            push_sentence(&mut out, &current);
            current.clear();
            continue;
        }
        current.push(c);
        let ends = matches!(c, '.' | '?' | '!')
            // "2.5 mg" and "Dr." keep going: a stop ends a sentence only
            // when a space or the end follows it.
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            && !(c == '.' && ends_with_abbreviation(&current));
        if ends {
            push_sentence(&mut out, &current);
            current.clear();
        }
    }
    push_sentence(&mut out, &current);
    out
}

fn ends_with_abbreviation(s: &str) -> bool {
    let last = s
        .trim_end_matches('.')
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        last.as_str(),
        "dr" | "mr" | "mrs" | "ms" | "vs" | "e.g" | "i.e"
    )
}

fn push_sentence(out: &mut Vec<String>, raw: &str) {
    let cleaned = clean(raw);
    if cleaned.chars().any(char::is_alphanumeric) {
        out.push(cleaned);
    }
}

const FILLERS: &[&str] = &["um", "uh", "umm", "uhh", "er", "erm", "ah", "hmm", "mm"];

/// Removes fillers and stutters, tidies spaces, capitalises, adds a stop.
pub fn clean(raw: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in raw.split_whitespace() {
        let bare = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_ascii_lowercase();
        if FILLERS.contains(&bare.as_str()) {
            continue;
        }
        if let Some(prev) = words.last() {
            let prev_bare = prev
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase();
            // "the the" from a speaker restarting; numbers may repeat ("1 1").
            if prev_bare == bare && !bare.is_empty() && !bare.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
        }
        words.push(w);
    }
    let mut s = words.join(" ");
    s = s.replace(" ,", ",").replace(",,", ",");
    let s = s.trim_start_matches([',', ';', ' ']).trim().to_string();
    if s.is_empty() {
        return s;
    }
    let mut chars = s.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
    let mut s = first.unwrap_or_default() + chars.as_str();
    if s.ends_with(',') || s.ends_with(';') {
        s.pop();
    }
    if !s.ends_with(['.', '?', '!']) {
        s.push('.');
    }
    s
}

/// Lower-case words with the punctuation around them removed; decimals
/// ("2.5") and hyphenated words stay whole.
pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words up to the first clause break (a comma, semicolon or colon), for
/// phrases that must not run into the next clause.
pub fn clause_words(s: &str) -> Vec<Vec<String>> {
    s.split([',', ';', ':'])
        .map(words)
        .filter(|w| !w.is_empty())
        .collect()
}

/// A number said as digits or words: "10", "2.5", "ten", "twenty five",
/// "five hundred". Returns the value and how many words it took.
pub fn number_at(words: &[String], at: usize) -> Option<(f64, usize)> {
    let first = words.get(at)?;
    if let Ok(n) = first.replace(',', "").parse::<f64>() {
        if n.is_finite() {
            return Some((n, 1));
        }
    }
    let mut total = 0u64;
    let mut current = 0u64;
    let mut used = 0;
    while let Some(w) = words.get(at + used) {
        match small_number(w) {
            Some(n) if n < 10 && current.is_multiple_of(10) && current >= 20 => current += n,
            Some(n) if used == 0 || current == 0 => current = n,
            Some(_) => break,
            None => match w.as_str() {
                "hundred" if used > 0 => current *= 100,
                "thousand" if used > 0 => {
                    total += current * 1000;
                    current = 0;
                }
                "and" if used > 0 && current >= 100 => {}
                _ => break,
            },
        }
        used += 1;
    }
    if used == 0 {
        return None;
    }
    // A trailing "and" was not part of the number.
    if words.get(at + used - 1).is_some_and(|w| w == "and") {
        used -= 1;
    }
    Some(((total + current) as f64, used))
}

fn small_number(w: &str) -> Option<u64> {
    const UNITS: &[&str] = &[
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: &[&str] = &[
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = UNITS.iter().position(|u| *u == w) {
        return Some(i as u64);
    }
    TENS.iter()
        .position(|t| *t == w)
        .map(|i| (i as u64 + 2) * 10)
}

/// "10" for 10.0, "2.5" for 2.5.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn sentences_split_at_stops_but_not_in_numbers() {
        let s = sentences(
            "Um, the patient takes 2.5 mg of amlodipine. She is seen by Dr. Lee today? Yes\nno",
        );
        assert_eq!(
            s,
            [
                "The patient takes 2.5 mg of amlodipine.",
                "She is seen by Dr. Lee today?",
                "Yes.",
                "No."
            ]
        );
    }

    #[test]
    fn fillers_and_restarts_are_removed() {
        assert_eq!(clean("uh the the cough is uh worse"), "The cough is worse.");
        assert_eq!(clean("count 1 1 2"), "Count 1 1 2.");
    }

    #[test]
    fn numbers_are_read_from_digits_and_words() {
        assert_eq!(number_at(&w("10 mg"), 0), Some((10.0, 1)));
        assert_eq!(number_at(&w("twenty five mg"), 0), Some((25.0, 2)));
        assert_eq!(
            number_at(&w("five hundred milligrams"), 0),
            Some((500.0, 2))
        );
        assert_eq!(number_at(&w("one thousand units"), 0), Some((1000.0, 2)));
        assert_eq!(number_at(&w("two and"), 0), Some((2.0, 1)));
        assert_eq!(number_at(&w("daily"), 0), None);
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(10.0), "10");
    }
}
