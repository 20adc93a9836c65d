//! The ISA/GS/ST envelope: segments grouped into interchanges, functional
//! groups and transaction sets, with every trailer checked against its
//! header (counts and control numbers). Reading goes on past a problem so
//! one pass reports all of them.

use crate::error::{Error, ErrorKind};
use crate::segment::Segment;
use crate::syntax::{detect, Delimiters, Tokenizer};

#[derive(Debug, Clone, Default)]
pub struct Document<'a> {
    pub interchanges: Vec<Interchange<'a>>,
}

#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    pub delimiters: Delimiters,
    pub isa: Segment<'a>,
    pub groups: Vec<Group<'a>>,
    pub iea: Option<Segment<'a>>,
    /// Segments read, ISA and IEA included.
    pub segment_count: usize,
}

#[derive(Debug, Clone)]
pub struct Group<'a> {
    pub gs: Segment<'a>,
    pub transactions: Vec<Transaction<'a>>,
    pub ge: Option<Segment<'a>>,
}

#[derive(Debug, Clone)]
pub struct Transaction<'a> {
    pub st: Segment<'a>,
    /// The segments between ST and SE.
    pub body: Vec<Segment<'a>>,
    pub se: Option<Segment<'a>>,
    /// The implementation guide: ST03, or the group's GS08 without one.
    pub version: &'a str,
}

impl<'a> Transaction<'a> {
    /// ST01, e.g. `835`.
    pub fn id(&self) -> &'a str {
        self.st.el(1)
    }

    /// ST02.
    pub fn control_number(&self) -> &'a str {
        self.st.el(2)
    }

    /// ST to SE inclusive.
    pub fn segment_count(&self) -> usize {
        self.body.len() + 1 + usize::from(self.se.is_some())
    }

    /// Every segment from ST to SE.
    pub fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        std::iter::once(&self.st)
            .chain(self.body.iter())
            .chain(self.se.iter())
    }
}

impl<'a> Interchange<'a> {
    /// Every segment in order, ISA to IEA.
    pub fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        std::iter::once(&self.isa)
            .chain(self.groups.iter().flat_map(|g| {
                std::iter::once(&g.gs)
                    .chain(g.transactions.iter().flat_map(Transaction::segments))
                    .chain(g.ge.iter())
            }))
            .chain(self.iea.iter())
    }
}

impl<'a> Document<'a> {
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction<'a>> {
        self.interchanges
            .iter()
            .flat_map(|i| i.groups.iter())
            .flat_map(|g| g.transactions.iter())
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment<'a>> {
        self.interchanges.iter().flat_map(Interchange::segments)
    }
}

/// What reading found: the envelope as far as it could be made out, and
/// every problem on the way.
#[derive(Debug, Clone, Default)]
pub struct Parsed<'a> {
    pub document: Document<'a>,
    pub errors: Vec<Error>,
}

/// Reads every interchange in `input`. Never fails outright: what cannot be
/// read is reported in `errors`.
pub fn read(input: &[u8]) -> Parsed<'_> {
    let mut parsed = Parsed::default();
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            parsed.errors.push(Error::new(
                ErrorKind::Encoding,
                Some(crate::error::At {
                    tag: String::new(),
                    position: 0,
                    offset: e.valid_up_to(),
                }),
                "the input is not UTF-8 text",
            ));
            return parsed;
        }
    };
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    loop {
        while let Some(b'\r' | b'\n' | b' ' | b'\t') = text.as_bytes().get(pos) {
            pos += 1;
        }
        if pos >= text.len() {
            break;
        }
        let delims = match detect(text, pos) {
            Ok(d) => d,
            Err(e) => {
                parsed.errors.push(e);
                break;
            }
        };
        let mut tokens = Tokenizer::new(text, pos, delims);
        let mut b = Builder::new(delims, text.len());
        for item in tokens.by_ref() {
            match item {
                Err(e) => parsed.errors.push(e),
                Ok(seg) => b.push(seg, &mut parsed.errors),
            }
        }
        if let Some(i) = b.finish(&mut parsed.errors) {
            parsed.document.interchanges.push(i);
        }
        let next = tokens.offset();
        if next <= pos {
            break;
        }
        pos = next;
    }
    if parsed.document.interchanges.is_empty() && parsed.errors.is_empty() {
        parsed.errors.push(Error::new(
            ErrorKind::Isa,
            None,
            "the input holds no interchange (no ISA segment)",
        ));
    }
    parsed
}

/// Reads `input` and fails with every problem unless it is all valid.
pub fn parse(input: &[u8]) -> Result<Document<'_>, Vec<Error>> {
    let p = read(input);
    if p.errors.is_empty() {
        Ok(p.document)
    } else {
        Err(p.errors)
    }
}

struct Builder<'a> {
    delims: Delimiters,
    isa: Option<Segment<'a>>,
    groups: Vec<Group<'a>>,
    group: Option<Group<'a>>,
    tx: Option<Transaction<'a>>,
    /// An ST outside any group: read to its SE and dropped.
    orphan: bool,
    iea: Option<Segment<'a>>,
    count: usize,
    /// Bytes in the input, to size a transaction set's body at its ST.
    input_len: usize,
}

/// Room for the segments a transaction set may hold in the `rest` bytes of
/// the input: segments are rarely shorter than 16 bytes, so a body is
/// allocated once instead of being copied as it doubles (a large 835 spent
/// a tenth of its reading time there). What is left over goes back at SE.
fn body_estimate(rest: usize) -> usize {
    (rest / 16).min(1 << 20)
}

fn count_of(seg: &Segment<'_>, n: usize, what: &str, actual: usize, errors: &mut Vec<Error>) {
    let v = seg.el(n);
    match v.trim().parse::<usize>() {
        Ok(c) if c == actual => {}
        Ok(c) => errors.push(seg.error(
            ErrorKind::Count,
            format!(
                "{}{:02} says {c} {what}, but there are {actual}",
                seg.tag, n
            ),
        )),
        Err(_) => errors.push(seg.error(
            ErrorKind::Count,
            format!("{}{:02} {v:?} is not a count of {what}", seg.tag, n),
        )),
    }
}

fn control_of(
    trailer: &Segment<'_>,
    n: usize,
    header: &Segment<'_>,
    m: usize,
    errors: &mut Vec<Error>,
) {
    let (t, h) = (trailer.el(n), header.el(m));
    if t != h {
        errors.push(trailer.error(
            ErrorKind::ControlNumber,
            format!(
                "{}{:02} control number {t:?} does not match {}{:02} {h:?} (segment {})",
                trailer.tag, n, header.tag, m, header.position
            ),
        ));
    }
}

impl<'a> Builder<'a> {
    fn new(delims: Delimiters, input_len: usize) -> Builder<'a> {
        Builder {
            input_len,
            delims,
            isa: None,
            groups: Vec::new(),
            group: None,
            tx: None,
            orphan: false,
            iea: None,
            count: 0,
        }
    }

    fn close_tx(&mut self, errors: &mut Vec<Error>) {
        if let Some(mut tx) = self.tx.take() {
            tx.body.shrink_to_fit();
            errors.push(tx.st.error(
                ErrorKind::Structure,
                format!(
                    "transaction set {} {:?} has no SE trailer",
                    tx.id(),
                    tx.control_number()
                ),
            ));
            if let Some(g) = self.group.as_mut() {
                g.transactions.push(tx);
            }
        }
        self.orphan = false;
    }

    fn close_group(&mut self, errors: &mut Vec<Error>) {
        self.close_tx(errors);
        if let Some(g) = self.group.take() {
            errors.push(g.gs.error(
                ErrorKind::Structure,
                format!("functional group {:?} has no GE trailer", g.gs.el(6)),
            ));
            self.groups.push(g);
        }
    }

    fn push(&mut self, seg: Segment<'a>, errors: &mut Vec<Error>) {
        self.count += 1;
        if self.iea.is_some() {
            errors.push(seg.error(ErrorKind::Structure, "segment after the IEA trailer"));
            return;
        }
        // Envelope tags start with I, G or S: most segments go straight
        // into the open transaction set.
        if !matches!(seg.tag.as_bytes().first(), Some(b'I' | b'G' | b'S')) {
            if let Some(tx) = self.tx.as_mut() {
                tx.body.push(seg);
                return;
            }
        }
        match seg.tag {
            "ISA" => {
                let n = seg.element_count();
                if n != 16 {
                    errors.push(seg.error(
                        ErrorKind::Isa,
                        format!("ISA has {n} elements; it must have 16"),
                    ));
                }
                let ctl = seg.el(13);
                if ctl.len() != 9 || !ctl.bytes().all(|b| b.is_ascii_digit()) {
                    errors.push(seg.error(
                        ErrorKind::Isa,
                        format!("ISA13 {ctl:?} must be a 9-digit control number"),
                    ));
                }
                self.isa = Some(seg);
            }
            "IEA" => {
                self.close_group(errors);
                count_of(&seg, 1, "functional groups", self.groups.len(), errors);
                if let Some(isa) = &self.isa {
                    control_of(&seg, 2, isa, 13, errors);
                }
                self.iea = Some(seg);
            }
            "GS" => {
                self.close_group(errors);
                self.group = Some(Group {
                    gs: seg,
                    transactions: Vec::new(),
                    ge: None,
                });
            }
            "GE" => {
                self.close_tx(errors);
                match self.group.take() {
                    Some(mut g) => {
                        count_of(&seg, 1, "transaction sets", g.transactions.len(), errors);
                        control_of(&seg, 2, &g.gs, 6, errors);
                        g.ge = Some(seg);
                        self.groups.push(g);
                    }
                    None => errors.push(seg.error(ErrorKind::Structure, "GE without a GS header")),
                }
            }
            "ST" => {
                self.close_tx(errors);
                let version = match seg.opt(3) {
                    Some(v) => v,
                    None => self.group.as_ref().map(|g| g.gs.el(8)).unwrap_or(""),
                };
                if self.group.is_none() {
                    errors.push(seg.error(
                        ErrorKind::Structure,
                        "ST outside a functional group (no GS before it)",
                    ));
                    self.orphan = true;
                }
                self.tx = Some(Transaction {
                    st: seg,
                    body: Vec::with_capacity(body_estimate(
                        self.input_len.saturating_sub(seg.offset),
                    )),
                    se: None,
                    version,
                });
            }
            "SE" => match self.tx.take() {
                Some(mut tx) => {
                    count_of(&seg, 1, "segments", tx.body.len() + 2, errors);
                    control_of(&seg, 2, &tx.st, 2, errors);
                    tx.body.shrink_to_fit();
                    tx.se = Some(seg);
                    if !self.orphan {
                        if let Some(g) = self.group.as_mut() {
                            g.transactions.push(tx);
                        }
                    }
                    self.orphan = false;
                }
                None => errors.push(seg.error(ErrorKind::Structure, "SE without an ST header")),
            },
            _ => match self.tx.as_mut() {
                Some(tx) => tx.body.push(seg),
                None => errors.push(seg.error(
                    ErrorKind::Structure,
                    "segment outside a transaction set (not between ST and SE)",
                )),
            },
        }
    }

    fn finish(mut self, errors: &mut Vec<Error>) -> Option<Interchange<'a>> {
        let isa = self.isa?;
        if self.iea.is_none() {
            self.close_group(errors);
            errors.push(isa.error(
                ErrorKind::Structure,
                format!("interchange {:?} has no IEA trailer", isa.el(13)),
            ));
        }
        Some(Interchange {
            delimiters: self.delims,
            isa,
            groups: self.groups,
            iea: self.iea,
            segment_count: self.count,
        })
    }
}
