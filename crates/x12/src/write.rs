//! Writing X12: segments held as values, written with chosen delimiters, and
//! the envelope (ISA/GS/ST … SE/GE/IEA) with its counts and control numbers
//! made for the transaction sets a builder produces.

use crate::envelope::Document;
use crate::error::{Error, ErrorKind};
use crate::segment::Values;
use crate::syntax::{show, Delimiters};

#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Delimiters to write with; each interchange's own when None.
    pub delimiters: Option<Delimiters>,
    /// A line break after each segment terminator, for people reading it.
    pub line_breaks: bool,
}

fn value_error(tag: &str, n: usize, v: &str, what: &str, d: u8) -> Error {
    Error::new(
        ErrorKind::Write,
        None,
        format!(
            "{tag}{n:02} {v:?} contains {}, the {what}; it cannot be written with these delimiters",
            show(d)
        ),
    )
}

/// Appends one segment, terminator included.
pub fn write_values(out: &mut String, v: &Values, d: Delimiters) -> Result<(), Error> {
    d.check()
        .map_err(|m| Error::new(ErrorKind::Write, None, m))?;
    out.push_str(&v.tag);
    // Trailing empty elements are not written: X12 forbids the separators.
    let used = if v.tag == "ISA" {
        v.elements.len()
    } else {
        v.elements
            .iter()
            .rposition(|e| !e.is_empty())
            .map_or(0, |i| i + 1)
    };
    for (i, e) in v.elements.iter().take(used).enumerate() {
        out.push(d.element as char);
        if v.tag == "ISA" && (i == 10 || i == 15) {
            // ISA11 and ISA16 name the delimiters in use.
            let c = if i == 10 {
                d.repetition.unwrap_or(b'U')
            } else {
                d.component
            };
            out.push(c as char);
            continue;
        }
        if e.0.len() > 1 && d.repetition.is_none() {
            return Err(value_error(&v.tag, i + 1, "", "repetition", b'^'));
        }
        let reps =
            e.0.iter()
                .rposition(|r| r.iter().any(|c| !c.is_empty()))
                .map_or(0, |i| i + 1);
        for (r, rep) in e.0.iter().take(reps).enumerate() {
            let rep = &rep[..rep.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1)];
            if r > 0 {
                if let Some(rs) = d.repetition {
                    out.push(rs as char);
                }
            }
            for (c, comp) in rep.iter().enumerate() {
                if c > 0 {
                    out.push(d.component as char);
                }
                if let Some(b) = comp.bytes().find(|&b| d.is_delimiter(b)) {
                    let what = if b == d.element {
                        "element separator"
                    } else if b == d.component {
                        "component separator"
                    } else if b == d.segment {
                        "segment terminator"
                    } else {
                        "repetition separator"
                    };
                    return Err(value_error(&v.tag, i + 1, comp, what, b));
                }
                out.push_str(comp);
            }
        }
    }
    out.push(d.segment as char);
    Ok(())
}

/// Writes segments with delimiters `d`.
pub fn to_x12(segments: &[Values], d: Delimiters, line_breaks: bool) -> Result<String, Error> {
    let mut out = String::with_capacity(segments.len() * 48);
    for s in segments {
        write_values(&mut out, s, d)?;
        if line_breaks {
            out.push('\n');
        }
    }
    Ok(out)
}

/// Writes a document back out. With its own delimiters the segments are
/// copied as read; with others every value is re-encoded (and refused if it
/// contains one of the new delimiters).
pub fn write_document(doc: &Document<'_>, opts: WriteOptions) -> Result<String, Error> {
    let mut out = String::new();
    for i in &doc.interchanges {
        let d = opts.delimiters.unwrap_or(i.delimiters);
        for s in i.segments() {
            if d == s.delimiters {
                out.push_str(s.tag);
                if !s.data.is_empty() {
                    out.push(d.element as char);
                    out.push_str(s.data);
                }
                out.push(d.segment as char);
            } else {
                write_values(&mut out, &s.values(), d).map_err(|mut e| {
                    e.at = Some(s.at());
                    e
                })?;
            }
            if opts.line_breaks {
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// Test or production data (ISA15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Usage {
    Test,
    Production,
}

/// Who sends to whom, when, and the control numbers: the envelope of an
/// interchange holding one functional group.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeHeader {
    /// ISA05/ISA07 interchange ID qualifiers, e.g. `ZZ` (mutually defined) or `30`.
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// GS02/GS03 application sender's and receiver's codes.
    pub application_sender: String,
    pub application_receiver: String,
    /// CCYYMMDD.
    pub date: String,
    /// HHMM.
    pub time: String,
    /// ISA13 (up to 9 digits).
    pub interchange_control: u32,
    /// GS06.
    pub group_control: u32,
    pub usage: Usage,
    /// ISA14: ask the receiver for a TA1.
    pub ack_requested: bool,
}

fn pad(v: &str, width: usize) -> String {
    format!("{v:<width$}")
}

fn check_len(field: &str, v: &str, min: usize, max: usize) -> Result<(), Error> {
    if v.len() < min || v.len() > max {
        return Err(Error::new(
            ErrorKind::Element,
            None,
            format!("{field} {v:?} must be {min} to {max} characters"),
        ));
    }
    Ok(())
}

impl EnvelopeHeader {
    fn check(&self) -> Result<(), Error> {
        check_len("the sender id", &self.sender_id, 1, 15)?;
        check_len("the receiver id", &self.receiver_id, 1, 15)?;
        check_len("the sender qualifier", &self.sender_qualifier, 2, 2)?;
        check_len("the receiver qualifier", &self.receiver_qualifier, 2, 2)?;
        check_len("the application sender", &self.application_sender, 2, 15)?;
        check_len(
            "the application receiver",
            &self.application_receiver,
            2,
            15,
        )?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if self.date.len() != 8 || !digits(&self.date) {
            return Err(Error::new(
                ErrorKind::Element,
                None,
                format!("the date {:?} must be CCYYMMDD", self.date),
            ));
        }
        if self.time.len() != 4 || !digits(&self.time) {
            return Err(Error::new(
                ErrorKind::Element,
                None,
                format!("the time {:?} must be HHMM", self.time),
            ));
        }
        if self.interchange_control > 999_999_999
            || self.interchange_control == 0
            || self.group_control == 0
        {
            return Err(Error::new(
                ErrorKind::Element,
                None,
                "control numbers must be from 1 to 999999999",
            ));
        }
        Ok(())
    }

    /// ISA, GS, the transaction sets each wrapped in ST … SE (ST02 numbered
    /// from 0001), GE and IEA, with every count and control number filled in.
    /// `bodies` are the segments between ST and SE.
    pub fn wrap(
        &self,
        functional_id: &str,
        transaction_id: &str,
        version: &str,
        bodies: Vec<Vec<Values>>,
    ) -> Result<Vec<Values>, Error> {
        self.check()?;
        let isa_ctl = format!("{:09}", self.interchange_control);
        let gs_ctl = self.group_control.to_string();
        let d = Delimiters::default();
        let mut out =
            Vec::with_capacity(bodies.iter().map(Vec::len).sum::<usize>() + 4 + 2 * bodies.len());
        out.push(Values::new("ISA").els(&[
            "00",
            &pad("", 10),
            "00",
            &pad("", 10),
            &self.sender_qualifier,
            &pad(&self.sender_id, 15),
            &self.receiver_qualifier,
            &pad(&self.receiver_id, 15),
            self.date.get(2..).unwrap_or_default(),
            &self.time,
            &((d.repetition.unwrap_or(b'^')) as char).to_string(),
            "00501",
            &isa_ctl,
            if self.ack_requested { "1" } else { "0" },
            match self.usage {
                Usage::Test => "T",
                Usage::Production => "P",
            },
            &(d.component as char).to_string(),
        ]));
        out.push(Values::new("GS").els(&[
            functional_id,
            &self.application_sender,
            &self.application_receiver,
            &self.date,
            &self.time,
            &gs_ctl,
            "X",
            version,
        ]));
        let n = bodies.len();
        for (i, body) in bodies.into_iter().enumerate() {
            let st_ctl = format!("{:04}", i + 1);
            let count = body.len() + 2;
            out.push(Values::new("ST").els(&[transaction_id, &st_ctl, version]));
            out.extend(body);
            out.push(Values::new("SE").el(count.to_string()).el(st_ctl));
        }
        out.push(Values::new("GE").el(n.to_string()).el(gs_ctl));
        out.push(Values::new("IEA").el("1").el(isa_ctl));
        Ok(out)
    }
}
