//! Pieces most transaction sets share: amounts, names (NM1), addresses
//! (N3/N4), references (REF), dates (DTP/DTM) and procedure composites.

use crate::error::{Error, ErrorKind};
use crate::segment::Segment;
use serde::{Deserialize, Serialize};

/// A monetary amount as sent (X12 type R: sign, digits, optional decimals),
/// checked to be a number; kept as text so no cent is lost to floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(String);

impl Amount {
    pub fn new(v: &str) -> Option<Amount> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !(int.is_empty() && frac.is_empty())
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && digits.len() <= 18;
        ok.then(|| Amount(v.to_string()))
    }

    /// From whole cents, written without needless zeros (`12.5`, `100`).
    pub fn from_cents(cents: i64) -> Amount {
        let sign = if cents < 0 { "-" } else { "" };
        let c = cents.unsigned_abs();
        let (whole, frac) = (c / 100, c % 100);
        Amount(match frac {
            0 => format!("{sign}{whole}"),
            f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
            f => format!("{sign}{whole}.{f:02}"),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
pub fn amount(seg: &Segment<'_>, n: usize) -> Result<Option<Amount>, Error> {
    match seg.opt(n) {
        None => Ok(None),
        Some(v) => Amount::new(v).map(Some).ok_or_else(|| {
            seg.error(
                ErrorKind::Element,
                format!("{}{:02} {v:?} is not an amount", seg.tag, n),
            )
        }),
    }
}

/// A required amount.
pub fn req_amount(seg: &Segment<'_>, n: usize) -> Result<Amount, Error> {
    amount(seg, n)?.ok_or_else(|| {
        seg.error(
            ErrorKind::Element,
            format!("{}{:02} (an amount) is required but empty", seg.tag, n),
        )
    })
}

pub fn opt_string(seg: &Segment<'_>, n: usize) -> Option<String> {
    seg.opt(n).map(str::to_string)
}

/// An entity named in an NM1 segment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    /// NM101 entity identifier code, e.g. `PR` payer, `IL` insured, `85` billing provider.
    pub role: String,
    /// Organization name or person's last name (NM103).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// NM108 identification code qualifier, e.g. `XX` (NPI), `MI` (member id), `PI` (payer id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

impl Party {
    pub fn from_nm1(seg: &Segment<'_>) -> Party {
        Party {
            role: seg.el(1).to_string(),
            name: seg.el(3).to_string(),
            first_name: opt_string(seg, 4),
            middle_name: opt_string(seg, 5),
            id_qualifier: opt_string(seg, 8),
            id: opt_string(seg, 9),
            address: None,
        }
    }

    /// From N1 (835): name, qualifier and id.
    pub fn from_n1(seg: &Segment<'_>) -> Party {
        Party {
            role: seg.el(1).to_string(),
            name: seg.el(2).to_string(),
            id_qualifier: opt_string(seg, 3),
            id: opt_string(seg, 4),
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
    pub lines: Vec<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    pub fn add(&mut self, seg: &Segment<'_>) {
        match seg.tag {
            "N3" => self
                .lines
                .extend(seg.elements().filter(|e| !e.is_empty()).map(str::to_string)),
            "N4" => {
                self.city = seg.el(1).to_string();
                self.state = opt_string(seg, 2);
                self.postal_code = opt_string(seg, 3);
                self.country = opt_string(seg, 4);
            }
            _ => {}
        }
    }
}

/// REF: a qualified reference number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Reference {
    pub fn from_ref(seg: &Segment<'_>) -> Reference {
        Reference {
            qualifier: seg.el(1).to_string(),
            value: seg.el(2).to_string(),
            description: opt_string(seg, 3),
        }
    }
}

/// DTP (qualifier, format, value) or DTM (qualifier, date): a qualified date
/// or range, as sent (`CCYYMMDD` or `CCYYMMDD-CCYYMMDD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRef {
    pub qualifier: String,
    pub value: String,
}

impl DateRef {
    pub fn from_dtp(seg: &Segment<'_>) -> DateRef {
        DateRef {
            qualifier: seg.el(1).to_string(),
            value: seg.el(3).to_string(),
        }
    }

    pub fn from_dtm(seg: &Segment<'_>) -> DateRef {
        DateRef {
            qualifier: seg.el(1).to_string(),
            value: seg.el(2).to_string(),
        }
    }
}

/// A composite medical procedure: qualifier (`HC` for CPT/HCPCS), code, modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub qualifier: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<String>,
}

impl Procedure {
    /// Element `n` of `seg` as a procedure composite (qualifier, code, up to
    /// four modifiers; a description in component 7 is left out).
    pub fn from_composite(seg: &Segment<'_>, n: usize) -> Option<Procedure> {
        let mut c = seg.components(n);
        let qualifier = c.next().unwrap_or("").to_string();
        let code = c.next().unwrap_or("").to_string();
        if code.is_empty() {
            return None;
        }
        let modifiers = c
            .take(4)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect();
        Some(Procedure {
            qualifier,
            code,
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
