//! Builds a 276 claim status request (005010X212) from typed input: what
//! billing sends to ask a payer where a claim it was sent stands.

use super::common::{check, is_date, required, Amount, InquiryHeader};
use crate::error::Error;
use crate::segment::Values;
use crate::syntax::Delimiters;
use crate::write::{to_x12, EnvelopeHeader};
use serde::{Deserialize, Serialize};

pub const VERSION: &str = "005010X212";

/// The patient when the patient is not the subscriber (loops 2000E/2100E).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDependent {
    pub last_name: String,
    pub first_name: String,
    /// CCYYMMDD.
    pub birth_date: String,
    /// `F`, `M` or `U`.
    #[serde(default)]
    pub gender: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimStatusInquiry {
    /// BHT03: the clinic's reference for this request.
    pub reference: String,
    /// CCYYMMDD and HHMM the request was made.
    pub date: String,
    pub time: String,
    pub payer_name: String,
    /// The payer's id (NM109 with qualifier PI).
    pub payer_id: String,
    /// The information receiver (the clinic) and its id with the
    /// clearinghouse (NM109 with qualifier 46, electronic transmitter id).
    pub receiver_name: String,
    pub receiver_id: String,
    /// The billing provider's organization name and NPI.
    pub provider_name: String,
    pub provider_npi: String,
    pub member_id: String,
    pub subscriber_last_name: String,
    pub subscriber_first_name: String,
    /// CCYYMMDD; required when the subscriber is the patient.
    #[serde(default)]
    pub subscriber_birth_date: Option<String>,
    #[serde(default)]
    pub subscriber_gender: Option<String>,
    #[serde(default)]
    pub dependent: Option<StatusDependent>,
    /// TRN02: echoed back in the 277 to match the answer to this request.
    pub trace_number: String,
    /// REF*EJ: the patient control number sent as CLM01 (the claim's id).
    pub patient_control_number: String,
    /// REF*1K: the payer's claim number, once the payer has given one.
    #[serde(default)]
    pub payer_claim_number: Option<String>,
    /// AMT*T3: the claim's total charge.
    pub total_charge: Amount,
    /// CCYYMMDD: the first and last date of service (DTP*472).
    pub service_from: String,
    pub service_to: String,
}

fn gender_ok(g: &Option<String>) -> Result<(), Error> {
    match g {
        Some(g) => check(
            matches!(g.as_str(), "F" | "M" | "U"),
            "the gender",
            g,
            "must be F, M or U",
        ),
        None => Ok(()),
    }
}

impl ClaimStatusInquiry {
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
        required("the information receiver's name", &self.receiver_name)?;
        required("the information receiver's id", &self.receiver_id)?;
        required("the member id", &self.member_id)?;
        required("the subscriber's last name", &self.subscriber_last_name)?;
        required("the trace number", &self.trace_number)?;
        required("the patient control number", &self.patient_control_number)?;
        check(
            self.total_charge.cents().is_some_and(|c| c > 0),
            "the total charge",
            self.total_charge.as_str(),
            "must be more than zero",
        )?;
        for d in [&self.service_from, &self.service_to] {
            check(is_date(d), "the service date", d, "must be CCYYMMDD")?;
        }
        check(
            self.service_from <= self.service_to,
            "the service dates",
            &format!("{}-{}", self.service_from, self.service_to),
            "must not end before they start",
        )?;
        match &self.dependent {
            None => {
                let dob = self.subscriber_birth_date.as_deref().unwrap_or_default();
                check(
                    is_date(dob),
                    "the subscriber's date of birth",
                    dob,
                    "must be CCYYMMDD (it is required when the subscriber is the patient)",
                )?;
                gender_ok(&self.subscriber_gender)?;
            }
            Some(d) => {
                required("the patient's last name", &d.last_name)?;
                required("the patient's first name", &d.first_name)?;
                check(
                    is_date(&d.birth_date),
                    "the patient's date of birth",
                    &d.birth_date,
                    "must be CCYYMMDD",
                )?;
                gender_ok(&d.gender)?;
            }
        }
        Ok(())
    }

    /// The claim's own loop (2200D or 2200E): trace, references, charge,
    /// dates of service.
    fn claim_segments(&self, out: &mut Vec<Values>) {
        out.push(Values::new("TRN").els(&["1", &self.trace_number]));
        if let Some(n) = &self.payer_claim_number {
            out.push(Values::new("REF").els(&["1K", n]));
        }
        out.push(Values::new("REF").els(&["EJ", &self.patient_control_number]));
        out.push(Values::new("AMT").els(&["T3", self.total_charge.as_str()]));
        let dates = if self.service_from == self.service_to {
            ("D8", self.service_from.clone())
        } else {
            ("RD8", format!("{}-{}", self.service_from, self.service_to))
        };
        out.push(Values::new("DTP").els(&["472", dates.0, &dates.1]));
    }

    /// The segments between ST and SE.
    pub fn body(&self) -> Result<Vec<Values>, Error> {
        self.check()?;
        let dependent = self.dependent.is_some();
        let mut out = self.header().opening("0010");
        out.extend([
            Values::new("HL").els(&["2", "1", "21", "1"]),
            Values::new("NM1").els(&[
                "41",
                "2",
                &self.receiver_name,
                "",
                "",
                "",
                "",
                "46",
                &self.receiver_id,
            ]),
            Values::new("HL").els(&["3", "2", "19", "1"]),
            Values::new("NM1").els(&[
                "1P",
                "2",
                &self.provider_name,
                "",
                "",
                "",
                "",
                "XX",
                &self.provider_npi,
            ]),
            Values::new("HL").els(&["4", "3", "22", if dependent { "1" } else { "0" }]),
        ]);
        if !dependent {
            out.push(
                Values::new("DMG")
                    .els(&[
                        "D8",
                        self.subscriber_birth_date.as_deref().unwrap_or_default(),
                    ])
                    .el(self.subscriber_gender.clone().unwrap_or_default()),
            );
        }
        out.push(Values::new("NM1").els(&[
            "IL",
            "1",
            &self.subscriber_last_name,
            &self.subscriber_first_name,
            "",
            "",
            "",
            "MI",
            &self.member_id,
        ]));
        if let Some(d) = &self.dependent {
            out.push(Values::new("HL").els(&["5", "4", "23"]));
            out.push(
                Values::new("DMG")
                    .els(&["D8", &d.birth_date])
                    .el(d.gender.clone().unwrap_or_default()),
            );
            out.push(Values::new("NM1").els(&["QC", "1", &d.last_name, &d.first_name]));
        }
        self.claim_segments(&mut out);
        Ok(out)
    }

    /// A complete interchange holding this request.
    pub fn to_x12(&self, header: &EnvelopeHeader) -> Result<String, Error> {
        let segs = header.wrap("HR", "276", VERSION, vec![self.body()?])?;
        to_x12(&segs, Delimiters::default(), false)
    }
}
