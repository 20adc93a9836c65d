//! Pieces most transaction sets share: amounts, names (NM1), addresses
//! (N3/N4), references (REF), dates (DTP/DTM) and procedure composites.

use crate::error::{Error, ErrorKind};
use crate::segment::{Elements, Segment};
use compact_str::{format_compact, CompactString};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// A monetary amount as sent (X12 type R: sign, digits, optional decimals),
/// checked to be a number; kept as text so no cent is lost to floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(CompactString);

impl Amount {
    pub fn new(v: &str) -> Option<Amount> {
        // Digits with at most one decimal point, not the point alone, in one
        // pass over the bytes.
        let digits = v.strip_prefix('-').unwrap_or(v);
        let mut points = 0;
        let ok = digits.len() <= 18
            && !matches!(digits, "" | ".")
            && digits.bytes().all(|b| {
                points += usize::from(b == b'.');
                b.is_ascii_digit() || (b == b'.' && points == 1)
            });
        ok.then(|| Amount(CompactString::new(v)))
    }

    /// From whole cents, written without needless zeros (`12.5`, `100`).
    pub fn from_cents(cents: i64) -> Amount {
        let sign = if cents < 0 { "-" } else { "" };
        let c = cents.unsigned_abs();
        let (whole, frac) = (c / 100, c % 100);
        Amount(match frac {
            0 => format_compact!("{sign}{whole}"),
            f if f % 10 == 0 => format_compact!("{sign}{whole}.{}", f / 10),
            f => format_compact!("{sign}{whole}.{f:02}"),
        })
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The amount in cents, when it has at most two decimals.
    pub fn cents(&self) -> Option<i64> {
        let neg = self.0.starts_with('-');
        let digits = self.0.trim_start_matches('-');
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if frac.len() > 2 {
            return None;
        }
        let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let f: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().ok()?
        };
        let c = whole.checked_mul(100)?.checked_add(f)?;
        Some(if neg { -c } else { c })
    }
}

/// Element `n` of `seg` as an amount; empty is None, anything else must be a number.
pub fn amount<'a>(seg: &impl Elements<'a>, n: usize) -> Result<Option<Amount>, Error> {
    match seg.opt(n) {
        None => Ok(None),
        Some(v) => Amount::new(v).map(Some).ok_or_else(|| {
            let seg = seg.segment();
            seg.error(
                ErrorKind::Element,
                format!("{}{:02} {v:?} is not an amount", seg.tag, n),
            )
        }),
    }
}

/// A required amount.
pub fn req_amount<'a>(seg: &impl Elements<'a>, n: usize) -> Result<Amount, Error> {
    amount(seg, n)?.ok_or_else(|| {
        let seg = seg.segment();
        seg.error(
            ErrorKind::Element,
            format!("{}{:02} (an amount) is required but empty", seg.tag, n),
        )
    })
}

pub fn opt_string<'a>(seg: &impl Elements<'a>, n: usize) -> Option<String> {
    seg.opt(n).map(str::to_string)
}

/// Element `n` as model text: short values (codes, dates, ids) are stored
/// inline, without a heap allocation.
pub fn text<'a>(seg: &impl Elements<'a>, n: usize) -> CompactString {
    CompactString::new(seg.el(n))
}

/// Element `n` as model text, or None when absent or empty.
pub fn opt_text<'a>(seg: &impl Elements<'a>, n: usize) -> Option<CompactString> {
    seg.opt(n).map(CompactString::new)
}

/// An entity named in an NM1 segment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    /// NM101 entity identifier code, e.g. `PR` payer, `IL` insured, `85` billing provider.
    pub role: CompactString,
    /// Organization name or person's last name (NM103).
    pub name: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<CompactString>,
    /// NM108 identification code qualifier, e.g. `XX` (NPI), `MI` (member id), `PI` (payer id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl Party {
    pub fn from_nm1(seg: &Segment<'_>) -> Party {
        let seg = &seg.fields::<9>();
        Party {
            role: text(seg, 1),
            name: text(seg, 3),
            first_name: opt_text(seg, 4),
            middle_name: opt_text(seg, 5),
            id_qualifier: opt_text(seg, 8),
            id: opt_text(seg, 9),
            address: None,
        }
    }

    /// From N1 (835): name, qualifier and id.
    pub fn from_n1(seg: &Segment<'_>) -> Party {
        let seg = &seg.fields::<4>();
        Party {
            role: text(seg, 1),
            name: text(seg, 2),
            id_qualifier: opt_text(seg, 3),
            id: opt_text(seg, 4),
            ..Party::default()
        }
    }

    /// Adds N3 or N4 to the address.
    pub fn add_address(&mut self, seg: &Segment<'_>) {
        let a = self.address.get_or_insert_with(Address::default);
        a.add(seg);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub lines: SmallVec<[CompactString; 2]>,
    pub city: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CompactString>,
}

impl Address {
    pub fn add(&mut self, seg: &Segment<'_>) {
        match seg.tag {
            "N3" => self.lines.extend(
                seg.elements()
                    .filter(|e| !e.is_empty())
                    .map(CompactString::new),
            ),
            "N4" => {
                let seg = &seg.fields::<4>();
                self.city = text(seg, 1);
                self.state = opt_text(seg, 2);
                self.postal_code = opt_text(seg, 3);
                self.country = opt_text(seg, 4);
            }
            _ => {}
        }
    }
}

/// REF: a qualified reference number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: CompactString,
    pub value: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
}

impl Reference {
    pub fn from_ref(seg: &Segment<'_>) -> Reference {
        let seg = &seg.fields::<3>();
        Reference {
            qualifier: text(seg, 1),
            value: text(seg, 2),
            description: opt_text(seg, 3),
        }
    }
}

/// DTP (qualifier, format, value) or DTM (qualifier, date): a qualified date
/// or range, as sent (`CCYYMMDD` or `CCYYMMDD-CCYYMMDD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRef {
    pub qualifier: CompactString,
    pub value: CompactString,
}

impl DateRef {
    pub fn from_dtp(seg: &Segment<'_>) -> DateRef {
        let seg = &seg.fields::<3>();
        DateRef {
            qualifier: text(seg, 1),
            value: text(seg, 3),
        }
    }

    pub fn from_dtm(seg: &Segment<'_>) -> DateRef {
        let seg = &seg.fields::<2>();
        DateRef {
            qualifier: text(seg, 1),
            value: text(seg, 2),
        }
    }
}

/// A composite medical procedure: qualifier (`HC` for CPT/HCPCS), code, modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub qualifier: CompactString,
    pub code: CompactString,
    #[serde(default, skip_serializing_if = "SmallVec::is_empty")]
    pub modifiers: SmallVec<[CompactString; 2]>,
}

impl Procedure {
    /// Element `n` of `seg` as a procedure composite (qualifier, code, up to
    /// four modifiers; a description in component 7 is left out).
    pub fn from_composite<'a>(seg: &impl Elements<'a>, n: usize) -> Option<Procedure> {
        let mut c = seg.components(n);
        let qualifier = c.next().unwrap_or("");
        let code = c.next().unwrap_or("");
        if code.is_empty() {
            return None;
        }
        let modifiers = c
            .take(4)
            .filter(|m| !m.is_empty())
            .map(CompactString::new)
            .collect();
        Some(Procedure {
            qualifier: CompactString::new(qualifier),
            code: CompactString::new(code),
            modifiers,
        })
    }
}

/// The first segment with `tag` is required in a transaction set.
pub fn missing(tx: &crate::Transaction<'_>, what: &str) -> Error {
    tx.st.error(
        ErrorKind::MissingSegment,
        format!(
            "transaction set {} {:?} has no {what}",
            tx.id(),
            tx.control_number()
        ),
    )
}

/// An NPI is 10 digits whose last is a Luhn check digit over `80840` and
/// the first nine: a mistyped NPI is refused before a payer rejects it.
pub fn npi_is_valid(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = "80840"
        .bytes()
        .chain(npi.bytes())
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

/// A value a builder was given, checked before it is written.
pub fn check(ok: bool, what: &str, value: &str, rule: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Element,
            None,
            format!("{what} {value:?} {rule}"),
        ))
    }
}

pub fn is_date(v: &str) -> bool {
    v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())
}

pub fn required(what: &str, v: &str) -> Result<(), Error> {
    check(!v.trim().is_empty(), what, v, "must not be empty")
}

/// What every real-time inquiry (270, 276) starts with: its reference
/// (BHT03), date and time, the payer, and the provider asking.
pub struct InquiryHeader<'a> {
    pub reference: &'a str,
    pub date: &'a str,
    pub time: &'a str,
    pub payer_name: &'a str,
    pub payer_id: &'a str,
    pub provider_name: &'a str,
    pub provider_npi: &'a str,
}

impl InquiryHeader<'_> {
    /// BHT (with its structure code, "0022" for a 270, "0010" for a 276),
    /// then the payer's level: HL*1**20*1 and NM1*PR.
    pub fn opening(&self, structure: &str) -> Vec<crate::segment::Values> {
        use crate::segment::Values;
        vec![
            Values::new("BHT").els(&[structure, "13", self.reference, self.date, self.time]),
            Values::new("HL").els(&["1", "", "20", "1"]),
            Values::new("NM1").els(&[
                "PR",
                "2",
                self.payer_name,
                "",
                "",
                "",
                "",
                "PI",
                self.payer_id,
            ]),
        ]
    }

    pub fn check(&self) -> Result<(), Error> {
        required("the reference", self.reference)?;
        check(
            is_date(self.date),
            "the date",
            self.date,
            "must be CCYYMMDD",
        )?;
        check(
            self.time.len() == 4 && self.time.bytes().all(|b| b.is_ascii_digit()),
            "the time",
            self.time,
            "must be HHMM",
        )?;
        required("the payer name", self.payer_name)?;
        required("the payer id", self.payer_id)?;
        required("the provider name", self.provider_name)?;
        check(
            npi_is_valid(self.provider_npi),
            "the provider NPI",
            self.provider_npi,
            "is not a valid NPI (10 digits with a check digit)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Amount;

    #[test]
    fn amounts_are_digits_with_at_most_one_point() {
        let reference = |v: &str| {
            let digits = v.strip_prefix('-').unwrap_or(v);
            let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
            !(int.is_empty() && frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && digits.len() <= 18
        };
        let values = [
            "",
            "-",
            ".",
            "-.",
            "0",
            "-0",
            "1.",
            ".5",
            "-.5",
            "12.50",
            "1.2.3",
            "..",
            "1..",
            "--1",
            "+1",
            "1e5",
            " 1",
            "1 ",
            "١",
            "12345678901234567.8",
            "123456789012345678",
            "1234567890123456789",
            "-123456789012345678",
            "9.99999999999999999",
        ];
        for v in values {
            assert_eq!(Amount::new(v).is_some(), reference(v), "{v:?}");
        }
    }
}
