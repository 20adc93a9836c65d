//! A segment borrows its text from the input and splits it on demand, so
//! reading allocates nothing per segment.

use crate::error::{At, Error, ErrorKind};
use crate::syntax::Delimiters;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Segment identifier, e.g. `CLP`.
    pub tag: &'a str,
    /// Everything after the tag and its separator (empty without elements).
    pub data: &'a str,
    /// Ordinal position in the interchange; the ISA is 1.
    pub position: usize,
    /// Byte offset in the input.
    pub offset: usize,
    pub delimiters: Delimiters,
}

/// Where a valid tag ends (its length) when `text` starts with one: a
/// capital, then a capital or digit, then maybe a third, then the element
/// separator or the end of the text. None sends the caller the long way.
fn tag_end(text: &[u8], sep: u8) -> Option<usize> {
    let ok = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    if ok(&sep) {
        return None;
    }
    match text {
        [a, b, rest @ ..] if a.is_ascii_uppercase() && ok(b) => match rest {
            [] => Some(2),
            [c, ..] if *c == sep => Some(2),
            [c] if ok(c) => Some(3),
            [c, d, ..] if ok(c) && *d == sep => Some(3),
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Segment<'a> {
    pub(crate) fn split(
        text: &'a str,
        position: usize,
        offset: usize,
        delimiters: Delimiters,
    ) -> Result<Segment<'a>, Error> {
        // Nearly every segment has a well-formed tag of 2 or 3 capitals and
        // digits: take it from the first bytes without searching.
        if let Some(at) = tag_end(text.as_bytes(), delimiters.element) {
            let (tag, data) = match text.get(..at).zip(text.get(at + 1..)) {
                Some(split) => split,
                None => (text, ""),
            };
            return Ok(Segment {
                tag,
                data,
                position,
                offset,
                delimiters,
            });
        }
        let sep = delimiters.element as char;
        let (tag, data) = text.split_once(sep).unwrap_or((text, ""));
        let ok = (2..=3).contains(&tag.len())
            && tag
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && tag.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
        if !ok {
            let shown: String = tag.chars().take(20).collect();
            return Err(Error::new(
                ErrorKind::Syntax,
                Some(At {
                    tag: shown.clone(),
                    position,
                    offset,
                }),
                format!(
                    "{shown:?} is not a segment identifier (2 or 3 capital letters and digits)"
                ),
            ));
        }
        Ok(Segment {
            tag,
            data,
            position,
            offset,
            delimiters,
        })
    }

    pub fn at(&self) -> At {
        At {
            tag: self.tag.to_string(),
            position: self.position,
            offset: self.offset,
        }
    }

    /// An error about this segment.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, Some(self.at()), message)
    }

    /// The elements, first one is element 01; a segment without elements has none.
    pub fn elements(&self) -> impl Iterator<Item = &'a str> {
        let data = self.data;
        let empty = data.is_empty();
        data.split(self.delimiters.element as char)
            .filter(move |_| !empty)
    }

    /// How many elements the segment has, counting empty ones before the last.
    pub fn element_count(&self) -> usize {
        if self.data.is_empty() {
            0
        } else {
            self.data
                .bytes()
                .filter(|&b| b == self.delimiters.element)
                .count()
                + 1
        }
    }

    /// Element `n` (1-based) as written, or "" when absent.
    pub fn el(&self, n: usize) -> &'a str {
        if n == 0 || self.data.is_empty() {
            return "";
        }
        field(self.data, self.delimiters.element, n - 1)
    }

    /// Element `n`, or None when absent or empty.
    pub fn opt(&self, n: usize) -> Option<&'a str> {
        Some(self.el(n)).filter(|s| !s.is_empty())
    }

    /// Element `n`, which the guide requires.
    pub fn req(&self, n: usize) -> Result<&'a str, Error> {
        self.opt(n).ok_or_else(|| required(self, n))
    }

    /// The components of element `n` (its first repetition).
    pub fn components(&self, n: usize) -> impl Iterator<Item = &'a str> {
        components_of(self.el(n), self.delimiters)
    }

    /// Component `k` (1-based) of element `n`, or "".
    pub fn component(&self, n: usize, k: usize) -> &'a str {
        component_of(self.el(n), self.delimiters, k)
    }

    /// The repetitions of element `n` (one when it does not repeat); none when empty.
    pub fn repetitions(&self, n: usize) -> Vec<&'a str> {
        let el = self.el(n);
        if el.is_empty() {
            return Vec::new();
        }
        match self.delimiters.repetition {
            Some(r) => el.split(r as char).collect(),
            None => vec![el],
        }
    }

    /// The segment as values, independent of delimiters.
    pub fn values(&self) -> Values {
        let d = self.delimiters;
        let elements = if self.data.is_empty() {
            Vec::new()
        } else {
            self.data
                .split(d.element as char)
                .enumerate()
                .map(|(i, e)| {
                    // ISA11 and ISA16 are delimiters themselves, not data.
                    if self.tag == "ISA" && (i == 10 || i == 15) {
                        return Element::simple(e);
                    }
                    let reps: Vec<&str> = match d.repetition {
                        Some(r) => e.split(r as char).collect(),
                        None => vec![e],
                    };
                    Element(
                        reps.into_iter()
                            .map(|r| r.split(d.component as char).map(str::to_string).collect())
                            .collect(),
                    )
                })
                .collect()
        };
        Values {
            tag: self.tag.to_string(),
            elements,
        }
        .normalized()
    }
}

/// Reading elements by number, from a [`Segment`] or from its [`Fields`].
/// The models' helpers take either, with the same errors.
pub trait Elements<'a> {
    /// The segment the elements are read from (for errors).
    fn segment(&self) -> &Segment<'a>;

    /// Element `n` (1-based) as written, or "" when absent.
    fn el(&self, n: usize) -> &'a str;

    /// Element `n`, or None when absent or empty.
    fn opt(&self, n: usize) -> Option<&'a str> {
        Some(self.el(n)).filter(|s| !s.is_empty())
    }

    /// Element `n`, which the guide requires.
    fn req(&self, n: usize) -> Result<&'a str, Error> {
        self.opt(n).ok_or_else(|| required(self.segment(), n))
    }

    /// The components of element `n` (its first repetition).
    fn components(&self, n: usize) -> impl Iterator<Item = &'a str> {
        components_of(self.el(n), self.segment().delimiters)
    }

    /// Component `k` (1-based) of element `n`, or "".
    fn component(&self, n: usize, k: usize) -> &'a str {
        component_of(self.el(n), self.segment().delimiters, k)
    }
}

fn components_of(el: &str, d: Delimiters) -> impl Iterator<Item = &str> {
    let el = match d.repetition {
        Some(r) => field(el, r, 0),
        None => el,
    };
    // Components are a few bytes long: a per-character test (a one-char
    // array pattern) beats the memchr search that splitting on a `char`
    // runs for each piece.
    el.split([d.component as char])
}

fn component_of(el: &str, d: Delimiters, k: usize) -> &str {
    if k == 0 {
        return "";
    }
    let first = match d.repetition {
        Some(r) => field(el, r, 0),
        None => el,
    };
    field(first, d.component, k - 1)
}

fn required(seg: &Segment<'_>, n: usize) -> Error {
    seg.error(
        ErrorKind::Element,
        format!("{}{:02} is required but empty", seg.tag, n),
    )
}

impl<'a> Elements<'a> for Segment<'a> {
    fn segment(&self) -> &Segment<'a> {
        self
    }

    fn el(&self, n: usize) -> &'a str {
        Segment::el(self, n)
    }
}

/// Elements 1 to `N` of a segment, split in one scan: a model that reads
/// several elements of a segment takes them from here instead of scanning
/// the segment from its start for each one. Elements past `N` are still
/// read, from the segment.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'s, 'a, const N: usize> {
    seg: &'s Segment<'a>,
    els: [&'a str; N],
}

impl<'a, const N: usize> Elements<'a> for Fields<'_, 'a, N> {
    fn segment(&self) -> &Segment<'a> {
        self.seg
    }

    fn el(&self, n: usize) -> &'a str {
        match n.checked_sub(1).and_then(|i| self.els.get(i)) {
            Some(e) => e,
            None => self.seg.el(n),
        }
    }
}

impl<'a> Segment<'a> {
    /// Elements 1 to `N` split in one scan (see [`Fields`]).
    pub fn fields<const N: usize>(&self) -> Fields<'_, 'a, N> {
        let mut els = [""; N];
        if !self.data.is_empty() && N > 0 {
            let sep = self.delimiters.element;
            let mut start = 0;
            let mut i = 0;
            for (at, &b) in self.data.as_bytes().iter().enumerate() {
                if b == sep {
                    // Separators are ASCII, so `at` is a char boundary.
                    if let Some(slot) = els.get_mut(i) {
                        *slot = self.data.get(start..at).unwrap_or("");
                    }
                    i += 1;
                    start = at + 1;
                    if i == N {
                        break;
                    }
                }
            }
            if let Some(slot) = els.get_mut(i) {
                *slot = self.data.get(start..).unwrap_or("");
            }
        }
        Fields { seg: self, els }
    }
}

/// The `i`-th (0-based) piece of `text` split at `sep`, or "" past the end.
/// Models read a handful of elements from every segment, so this scans
/// bytes instead of running a `char` searcher from the start each time.
fn field(text: &str, sep: u8, i: usize) -> &str {
    let mut start = 0;
    let mut seen = 0;
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if b == sep {
            if seen == i {
                // Separators are ASCII (Delimiters::check), so `at` is a
                // char boundary; `get` keeps even that from panicking.
                return text.get(start..at).unwrap_or("");
            }
            seen += 1;
            start = at + 1;
        }
    }
    if seen == i {
        text.get(start..).unwrap_or("")
    } else {
        ""
    }
}

/// One element: its repetitions, each a list of components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Element(pub Vec<Vec<String>>);

impl Element {
    pub fn simple(v: impl Into<String>) -> Element {
        Element(vec![vec![v.into()]])
    }

    pub fn composite<S: AsRef<str>>(parts: &[S]) -> Element {
        Element(vec![parts.iter().map(|p| p.as_ref().to_string()).collect()])
    }

    pub fn repeated<S: AsRef<str>>(reps: &[S]) -> Element {
        Element(reps.iter().map(|p| vec![p.as_ref().to_string()]).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|r| r.iter().all(String::is_empty))
    }
}

/// A segment held as values: what a writer writes and what two readings of
/// the same data compare equal on, whatever the delimiters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Values {
    pub tag: String,
    pub elements: Vec<Element>,
}

impl Values {
    pub fn new(tag: &str) -> Values {
        Values {
            tag: tag.to_string(),
            elements: Vec::new(),
        }
    }

    /// Appends a simple element.
    pub fn el(mut self, v: impl Into<String>) -> Values {
        self.elements.push(Element::simple(v));
        self
    }

    /// Appends simple elements.
    pub fn els<S: AsRef<str>>(mut self, vs: &[S]) -> Values {
        self.elements
            .extend(vs.iter().map(|v| Element::simple(v.as_ref())));
        self
    }

    /// Appends a composite element.
    pub fn comp<S: AsRef<str>>(mut self, parts: &[S]) -> Values {
        self.elements.push(Element::composite(parts));
        self
    }

    /// Appends a repeating element.
    pub fn reps<S: AsRef<str>>(mut self, reps: &[S]) -> Values {
        self.elements.push(Element::repeated(reps));
        self
    }

    /// Empty trailing components, repetitions and elements dropped: X12 does
    /// not write them, so they carry no meaning.
    pub fn normalized(mut self) -> Values {
        for e in &mut self.elements {
            for r in &mut e.0 {
                while r.last().is_some_and(String::is_empty) {
                    r.pop();
                }
            }
            while e.0.last().is_some_and(Vec::is_empty) {
                e.0.pop();
            }
        }
        while self.elements.last().is_some_and(Element::is_empty) {
            self.elements.pop();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{field, Elements, Segment};
    use crate::syntax::Delimiters;

    #[test]
    fn fields_match_splitting() {
        let texts = [
            "",
            "*",
            "a",
            "a*b",
            "*b*",
            "a**c*",
            "Zoë*Ünïcode*€5*",
            "HC:99213:25",
        ];
        for text in texts {
            for sep in [b'*', b':'] {
                for i in 0..6 {
                    let want = text.split(sep as char).nth(i).unwrap_or("");
                    assert_eq!(field(text, sep, i), want, "{text:?} {} {i}", sep as char);
                }
            }
        }
    }

    #[test]
    fn fields_match_elements() {
        let texts = [
            "",
            "a",
            "a*",
            "*b",
            "a*b",
            "*b*",
            "a**c*",
            "a*b*c*d*e*f*g",
            "Zoë*Ünïcode*€5*",
        ];
        for data in texts {
            let seg = Segment {
                tag: "REF",
                data,
                position: 1,
                offset: 0,
                delimiters: Delimiters::default(),
            };
            let (f0, f1, f3) = (seg.fields::<0>(), seg.fields::<1>(), seg.fields::<3>());
            for n in 0..10 {
                let want = seg.el(n);
                assert_eq!(f0.el(n), want, "{data:?} {n}");
                assert_eq!(f1.el(n), want, "{data:?} {n}");
                assert_eq!(f3.el(n), want, "{data:?} {n}");
                assert_eq!(f3.opt(n), seg.opt(n), "{data:?} {n}");
                assert_eq!(
                    f3.req(n).map_err(|e| e.to_string()),
                    seg.req(n).map_err(|e| e.to_string()),
                    "{data:?} {n}"
                );
            }
        }
    }

    #[test]
    fn tags_are_split_off_as_by_searching() {
        let texts = [
            "",
            "A",
            "AB",
            "ABC",
            "ABCD",
            "A1",
            "1A",
            "ab",
            "AB*",
            "AB**",
            "ABC*x",
            "ABCD*x",
            "A*B",
            "*AB",
            "N1*PR",
            "SV1*HC:1",
            "HL*1**20*1",
            "AB:C*x",
            "AÉ*x",
            "ÉA*x",
            "AB\u{301}*x",
        ];
        for text in texts {
            for sep in [b'*', b'|', b'A', b'1'] {
                let delimiters = Delimiters {
                    element: sep,
                    ..Delimiters::default()
                };
                let (tag, data) = text.split_once(sep as char).unwrap_or((text, ""));
                let valid = (2..=3).contains(&tag.len())
                    && tag
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    && tag.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
                match Segment::split(text, 1, 0, delimiters) {
                    Ok(s) => {
                        assert!(valid, "{text:?} {}", sep as char);
                        assert_eq!((s.tag, s.data), (tag, data), "{text:?} {}", sep as char);
                    }
                    Err(_) => assert!(!valid, "{text:?} {}", sep as char),
                }
            }
        }
    }
}
