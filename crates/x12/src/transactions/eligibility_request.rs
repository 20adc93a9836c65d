//! Builds a 270 eligibility inquiry (005010X279A1) from typed input: what
//! check-in sends to ask a payer about a patient's coverage.

use super::common::{check, is_date, required, InquiryHeader};
use crate::error::Error;
use crate::segment::Values;
use crate::syntax::Delimiters;
use crate::write::{to_x12, EnvelopeHeader};
use serde::{Deserialize, Serialize};

pub const VERSION: &str = "005010X279A1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EligibilityInquiry {
    /// BHT03: the clinic's reference for this inquiry.
    pub reference: String,
    /// CCYYMMDD and HHMM the inquiry was made.
    pub date: String,
    pub time: String,
    pub payer_name: String,
    /// The payer's id (NM109 with qualifier PI).
    pub payer_id: String,
    /// The provider's organization name, or last name with `provider_first_name`.
    pub provider_name: String,
    #[serde(default)]
    pub provider_first_name: Option<String>,
    pub provider_npi: String,
    /// TRN02: echoed back in the 271 to match the answer to this inquiry.
    pub trace_number: String,
    /// TRN03: `1` followed by the clinic's EIN, or `9` and an id of its own.
    pub trace_originator: String,
    pub member_id: String,
    pub last_name: String,
    pub first_name: String,
    /// CCYYMMDD.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// `F`, `M` or `U`.
    #[serde(default)]
    pub gender: Option<String>,
    /// CCYYMMDD; the payer assumes today without one.
    #[serde(default)]
    pub service_date: Option<String>,
    /// Service type codes, e.g. `30` (health benefit plan coverage), `98` (office visit).
    pub service_types: Vec<String>,
}

impl EligibilityInquiry {
    fn header(&self) -> InquiryHeader<'_> {
        InquiryHeader {
            reference: &self.reference,
            date: &self.date,
            time: &self.time,
            payer_name: &self.payer_name,
            payer_id: &self.payer_id,
            provider_name: &self.provider_name,
            provider_npi: &self.provider_npi,
        }
    }

    fn check(&self) -> Result<(), Error> {
        self.header().check()?;
        required("the trace number", &self.trace_number)?;
        check(
            self.trace_originator.len() == 10
                && matches!(
                    self.trace_originator.as_bytes().first(),
                    Some(b'1' | b'3' | b'9')
                ),
            "the trace originator",
            &self.trace_originator,
            "must be 10 characters starting with 1 (EIN), 3 (DUNS) or 9",
        )?;
        required("the member id", &self.member_id)?;
        required("the last name", &self.last_name)?;
        required("the first name", &self.first_name)?;
        for d in self.birth_date.iter().chain(self.service_date.iter()) {
            check(is_date(d), "the date", d, "must be CCYYMMDD")?;
        }
        if let Some(g) = &self.gender {
            check(
                matches!(g.as_str(), "F" | "M" | "U"),
                "the gender",
                g,
                "must be F, M or U",
            )?;
        }
        check(
            (1..=99).contains(&self.service_types.len()),
            "the service types",
            &self.service_types.join(","),
            "must list 1 to 99 codes",
        )?;
        for s in &self.service_types {
            check(
                (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()),
                "the service type",
                s,
                "must be a 1- or 2-character code",
            )?;
        }
        Ok(())
    }

    /// The segments between ST and SE.
    pub fn body(&self) -> Result<Vec<Values>, Error> {
        self.check()?;
        let (entity, first) = match &self.provider_first_name {
            Some(f) => ("1", f.as_str()),
            None => ("2", ""),
        };
        let mut out = self.header().opening("0022");
        out.extend([
            Values::new("HL").els(&["2", "1", "21", "1"]),
            Values::new("NM1").els(&[
                "1P",
                entity,
                &self.provider_name,
                first,
                "",
                "",
                "",
                "XX",
                &self.provider_npi,
            ]),
            Values::new("HL").els(&["3", "2", "22", "0"]),
            Values::new("TRN").els(&["1", &self.trace_number, &self.trace_originator]),
            Values::new("NM1").els(&[
                "IL",
                "1",
                &self.last_name,
                &self.first_name,
                "",
                "",
                "",
                "MI",
                &self.member_id,
            ]),
        ]);
        if let Some(dob) = &self.birth_date {
            out.push(
                Values::new("DMG")
                    .els(&["D8", dob])
                    .el(self.gender.clone().unwrap_or_default()),
            );
        }
        if let Some(d) = &self.service_date {
            out.push(Values::new("DTP").els(&["291", "D8", d]));
        }
        out.push(Values::new("EQ").reps(&self.service_types));
        Ok(out)
    }

    /// A complete interchange holding this inquiry.
    pub fn to_x12(&self, header: &EnvelopeHeader) -> Result<String, Error> {
        let segs = header.wrap("HS", "270", VERSION, vec![self.body()?])?;
        to_x12(&segs, Delimiters::default(), false)
    }
}
