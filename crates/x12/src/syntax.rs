//! Delimiters and the tokenizer. An interchange says its own delimiters in
//! its ISA: the element separator is byte 3, the repetition separator is
//! ISA11, the component separator ISA16 and the segment terminator the byte
//! right after ISA16.

use crate::error::{At, Error, ErrorKind};
use crate::segment::Segment;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub element: u8,
    /// None before 5010 (ISA11 was then a standards identifier, `U`).
    pub repetition: Option<u8>,
    pub component: u8,
    pub segment: u8,
}

impl Default for Delimiters {
    /// The usual `*`, `^`, `:` and `~`.
    fn default() -> Self {
        Delimiters {
            element: b'*',
            repetition: Some(b'^'),
            component: b':',
            segment: b'~',
        }
    }
}

impl Delimiters {
    /// Delimiters must be distinct ASCII characters that cannot start data
    /// (not letters, digits or space), or values could not be told apart;
    /// only the segment terminator may be a line break.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            Some(self.element),
            self.repetition,
            Some(self.component),
            Some(self.segment),
        ];
        let names = [
            "element separator",
            "repetition separator",
            "component separator",
            "segment terminator",
        ];
        for (i, d) in all.iter().enumerate() {
            let Some(d) = *d else { continue };
            // Line breaks may stand between segments and are read past, so
            // only the segment terminator itself may be one.
            let line_break = matches!(d, b'\r' | b'\n') && names[i] != "segment terminator";
            if !d.is_ascii() || d.is_ascii_alphanumeric() || d == b' ' || line_break {
                return Err(format!(
                    "the {} {} cannot be a delimiter",
                    names[i],
                    show(d)
                ));
            }
            for (j, e) in all.iter().enumerate().skip(i + 1) {
                if *e == Some(d) {
                    return Err(format!(
                        "the {} and the {} are both {}",
                        names[i],
                        names[j],
                        show(d)
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn is_delimiter(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition
    }
}

/// A byte as people read it: `'*'`, or `0x1d` for control characters.
pub fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

impl Serialize for Delimiters {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let c = |b: u8| (b as char).to_string();
        let mut st = s.serialize_struct("Delimiters", 4)?;
        st.serialize_field("element", &c(self.element))?;
        st.serialize_field("repetition", &self.repetition.map(c))?;
        st.serialize_field("component", &c(self.component))?;
        st.serialize_field("segment", &c(self.segment))?;
        st.end()
    }
}

/// ISA is a fixed-length segment of 106 bytes; a generous bound keeps a
/// search for its 16 separators from running through a large bad file.
const ISA_MAX: usize = 512;

/// Reads the delimiters from the ISA starting at `start`.
pub fn detect(input: &str, start: usize) -> Result<Delimiters, Error> {
    let bytes = input.as_bytes();
    let at = || {
        Some(At {
            tag: "ISA".into(),
            position: 1,
            offset: start,
        })
    };
    let isa = bytes.get(start..).unwrap_or_default();
    if !isa.starts_with(b"ISA") {
        let shown: String = input
            .get(start..)
            .unwrap_or_default()
            .chars()
            .take(12)
            .collect();
        return Err(Error::new(
            ErrorKind::Isa,
            Some(At {
                tag: String::new(),
                position: 0,
                offset: start,
            }),
            format!("an interchange must start with an ISA segment, found {shown:?}"),
        ));
    }
    let Some(&element) = isa.get(3) else {
        return Err(Error::new(
            ErrorKind::Isa,
            at(),
            "the ISA segment is cut short",
        ));
    };
    // Byte offsets (within `isa`) of the 16 element separators.
    let mut seps = [0usize; 16];
    let mut n = 0;
    for (i, &b) in isa.iter().enumerate().take(ISA_MAX).skip(3) {
        if b == element {
            if let Some(slot) = seps.get_mut(n) {
                *slot = i;
            }
            n += 1;
            if n == 16 {
                break;
            }
        }
    }
    if n < 16 {
        return Err(Error::new(
            ErrorKind::Isa,
            at(),
            format!(
                "the ISA segment has {} elements separated by {}; it needs 16",
                n,
                show(element)
            ),
        ));
    }
    let last = seps[15];
    let (Some(&component), Some(&segment)) = (isa.get(last + 1), isa.get(last + 2)) else {
        return Err(Error::new(
            ErrorKind::Isa,
            at(),
            "the ISA segment ends before ISA16 and the segment terminator",
        ));
    };
    // ISA11 sits between the 11th and 12th separators; before 5010 it held
    // `U`, not a delimiter.
    let isa11 = isa.get(seps[10] + 1..seps[11]).unwrap_or_default();
    let repetition = match isa11 {
        [b] if !b.is_ascii_alphanumeric() && *b != b' ' => Some(*b),
        _ => None,
    };
    let d = Delimiters {
        element,
        repetition,
        component,
        segment,
    };
    d.check()
        .map_err(|m| Error::new(ErrorKind::Isa, at(), format!("ISA: {m}")))?;
    Ok(d)
}

/// The first `needle` in `hay`, read eight bytes at a time: segments are a
/// few dozen bytes, too short for a vectorised search to pay off and long
/// enough that a byte-at-a-time loop is most of the tokenizer's work.
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        // A byte of `x` is zero where the word holds `needle`; the lowest
        // flagged byte is always a true match (borrows only run upwards).
        let x = u64::from_le_bytes(bytes) ^ pattern;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    hay.get(at..)?
        .iter()
        .position(|&b| b == needle)
        .map(|i| at + i)
}

/// Yields the segments of one interchange and stops after its IEA, so the
/// next interchange (with delimiters of its own) can be detected.
pub struct Tokenizer<'a> {
    input: &'a str,
    pos: usize,
    delims: Delimiters,
    position: usize,
    done: bool,
}

impl<'a> Tokenizer<'a> {
    pub fn new(input: &'a str, start: usize, delims: Delimiters) -> Tokenizer<'a> {
        Tokenizer {
            input,
            pos: start,
            delims,
            position: 0,
            done: false,
        }
    }

    /// Byte offset just after the last segment read, or of the next ISA.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Result<Segment<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.input.as_bytes();
        loop {
            if self.done {
                return None;
            }
            // Line breaks between segments are not data.
            while let Some(b'\r' | b'\n') = bytes.get(self.pos) {
                self.pos += 1;
            }
            let rest = bytes.get(self.pos..)?;
            if rest.is_empty() {
                return None;
            }
            let start = self.pos;
            if self.position > 0 && rest.starts_with(b"ISA") {
                // The next interchange, perhaps with other delimiters: the
                // caller detects them and starts a new tokenizer here.
                self.done = true;
                return None;
            }
            let len = find_byte(rest, self.delims.segment).unwrap_or(rest.len());
            self.pos = start + len + 1;
            let mut end = start + len;
            // A terminator of '\n' with CRLF line ends leaves a '\r' behind.
            while end > start && matches!(bytes.get(end - 1), Some(b'\r' | b'\n')) {
                end -= 1;
            }
            let Some(text) = self.input.get(start..end) else {
                // Delimiters are ASCII, so this is a char boundary; never panic anyway.
                return Some(Err(Error::new(
                    ErrorKind::Encoding,
                    None,
                    format!("byte {start}: not a character boundary"),
                )));
            };
            if text.is_empty() {
                continue;
            }
            self.position += 1;
            let seg = Segment::split(text, self.position, start, self.delims);
            if let Ok(s) = &seg {
                if s.tag == "IEA" {
                    self.done = true;
                }
            }
            return Some(seg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{find_byte, Delimiters};

    #[test]
    fn bytes_are_found_as_by_a_plain_search() {
        let hay: Vec<u8> = (0..64u8)
            .map(|i| b"AB~*\x80\xff~~C"[usize::from(i % 9)])
            .collect();
        for start in 0..hay.len() {
            for end in start..=hay.len() {
                let h = &hay[start..end];
                for needle in [b'~', b'*', 0x80, 0xff, b'C', b'A', 0x00, 0x7f] {
                    let want = h.iter().position(|&b| b == needle);
                    assert_eq!(find_byte(h, needle), want, "{h:?} {needle}");
                }
            }
        }
    }

    #[test]
    fn only_the_segment_terminator_may_be_a_line_break() {
        let newline_terminated = Delimiters {
            segment: b'\n',
            ..Delimiters::default()
        };
        assert_eq!(newline_terminated.check(), Ok(()));
        let cr_components = Delimiters {
            component: b'\r',
            ..Delimiters::default()
        };
        let e = cr_components.check().unwrap_err();
        assert!(e.contains("component separator 0x0d"), "{e}");
        let letter = Delimiters {
            element: b'G',
            ..Delimiters::default()
        };
        assert!(letter.check().unwrap_err().contains("'G'"));
    }
}
