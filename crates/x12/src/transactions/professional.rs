//! 837P professional claim (005010X222A1): the typed claim, read from an
//! 837P and written to one. Both directions use the same types, so a claim
//! written and read back compares equal.

use super::common::{check, is_date, npi_is_valid, opt_text, req_amount, text, Address, Amount};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::{Elements, Segment, Values};
use crate::syntax::Delimiters;
use crate::write::{to_x12, EnvelopeHeader};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

pub const VERSION: &str = "005010X222A1";

/// One 837P transaction set: who sends it to whom, and the claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfessionalBatch {
    /// BHT03: the originator's reference for this batch.
    pub reference: CompactString,
    /// CCYYMMDD and HHMM the batch was made.
    pub date: CompactString,
    pub time: CompactString,
    pub submitter: Submitter,
    pub receiver: Receiver,
    pub claims: Vec<ProfessionalClaim>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitter {
    pub name: CompactString,
    /// The id the receiver knows the submitter by (NM109, qualifier 46).
    pub id: CompactString,
    pub contact_name: CompactString,
    pub phone: CompactString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receiver {
    pub name: CompactString,
    pub id: CompactString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingProvider {
    /// Organization name (NM1*85 with entity type 2).
    pub name: CompactString,
    pub npi: CompactString,
    /// Employer identification number (REF*EI), 9 digits.
    pub tax_id: CompactString,
    pub address: Address,
    #[serde(default)]
    pub taxonomy: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub last_name: CompactString,
    pub first_name: CompactString,
    #[serde(default)]
    pub address: Option<Address>,
    /// CCYYMMDD.
    #[serde(default)]
    pub birth_date: Option<CompactString>,
    /// `F`, `M` or `U`.
    #[serde(default)]
    pub gender: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payer {
    pub name: CompactString,
    /// Payer id (NM109, qualifier PI).
    pub id: CompactString,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub member_id: CompactString,
    pub person: Person,
    /// SBR01: `P` primary, `S` secondary, `T` tertiary …
    pub payer_responsibility: CompactString,
    #[serde(default)]
    pub group_number: Option<CompactString>,
    /// SBR09 claim filing indicator, e.g. `CI` commercial, `MB` Medicare part B.
    pub filing_indicator: CompactString,
    pub payer: Payer,
}

/// The patient, when not the subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// PAT01 relationship to the subscriber: `01` spouse, `19` child, `G8` other …
    pub relationship: CompactString,
    pub person: Person,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderingProvider {
    pub last_name: CompactString,
    pub first_name: CompactString,
    pub npi: CompactString,
    #[serde(default)]
    pub taxonomy: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLine {
    /// CPT/HCPCS code (SV101-2, qualifier HC).
    pub procedure_code: CompactString,
    #[serde(default)]
    pub modifiers: SmallVec<[CompactString; 2]>,
    pub charge: Amount,
    /// SV104 service units.
    pub units: CompactString,
    /// SV105, when it differs from the claim's.
    #[serde(default)]
    pub place_of_service: Option<CompactString>,
    /// SV107: 1-based positions in the claim's diagnoses, up to four.
    pub diagnosis_pointers: SmallVec<[u8; 4]>,
    /// DTP*472, CCYYMMDD.
    pub service_date: CompactString,
    /// REF*6R line item control number, echoed back in the 835.
    #[serde(default)]
    pub control_number: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfessionalClaim {
    pub billing_provider: BillingProvider,
    pub subscriber: Subscriber,
    #[serde(default)]
    pub patient: Option<Patient>,
    /// CLM01 patient control number: the clinic's claim id, echoed in the 835 CLP01.
    pub claim_id: CompactString,
    pub total_charge: Amount,
    /// CLM05-1 place of service, e.g. `11` office.
    pub place_of_service: CompactString,
    /// CLM05-3: `1` original, `7` replacement, `8` void.
    pub frequency: CompactString,
    /// ICD-10-CM codes without the dot; the first is the principal diagnosis.
    pub diagnoses: SmallVec<[CompactString; 4]>,
    #[serde(default)]
    pub rendering_provider: Option<RenderingProvider>,
    pub lines: Vec<ServiceLine>,
}

fn required(what: &str, v: &str) -> Result<(), Error> {
    check(!v.trim().is_empty(), what, v, "must not be empty")
}

fn npi(what: &str, v: &str) -> Result<(), Error> {
    check(
        npi_is_valid(v),
        what,
        v,
        "is not a valid NPI (10 digits with a check digit)",
    )
}

impl ProfessionalClaim {
    fn check(&self) -> Result<(), Error> {
        let c = &self.claim_id;
        required("the claim id", c)?;
        check(
            c.len() <= 38,
            "the claim id",
            c,
            "must be at most 38 characters",
        )?;
        let bp = &self.billing_provider;
        required("the billing provider's name", &bp.name)?;
        npi("the billing provider's NPI", &bp.npi)?;
        check(
            bp.tax_id.len() == 9 && bp.tax_id.bytes().all(|b| b.is_ascii_digit()),
            "the billing provider's tax id",
            &bp.tax_id,
            "must be 9 digits",
        )?;
        check(
            !bp.address.lines.is_empty() && !bp.address.city.is_empty(),
            "the billing provider's address",
            &bp.address.lines.join(" "),
            "needs a street line and a city",
        )?;
        required("the member id", &self.subscriber.member_id)?;
        required("the payer id", &self.subscriber.payer.id)?;
        required("the payer name", &self.subscriber.payer.name)?;
        required(
            "the claim filing indicator",
            &self.subscriber.filing_indicator,
        )?;
        let patient = self
            .patient
            .as_ref()
            .map_or(&self.subscriber.person, |p| &p.person);
        check(
            patient.address.is_some() && patient.birth_date.is_some() && patient.gender.is_some(),
            "the patient",
            &patient.last_name,
            "needs an address, a date of birth and a gender",
        )?;
        for p in [&self.subscriber.person, patient] {
            required("the last name", &p.last_name)?;
            if let Some(d) = &p.birth_date {
                check(is_date(d), "the date of birth", d, "must be CCYYMMDD")?;
            }
        }
        check(
            (1..=12).contains(&self.diagnoses.len()),
            "the diagnoses",
            &self.diagnoses.join(","),
            "must list 1 to 12 codes",
        )?;
        for d in &self.diagnoses {
            check(
                (3..=7).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_alphanumeric()),
                "the diagnosis",
                d,
                "must be an ICD-10-CM code without the dot",
            )?;
        }
        if let Some(r) = &self.rendering_provider {
            npi("the rendering provider's NPI", &r.npi)?;
        }
        check(
            (1..=50).contains(&self.lines.len()),
            "the service lines of claim",
            c,
            "must be 1 to 50",
        )?;
        let mut sum = 0i64;
        for l in &self.lines {
            required("the procedure code", &l.procedure_code)?;
            check(
                l.modifiers.len() <= 4,
                "the modifiers",
                &l.modifiers.join(","),
                "must be at most 4",
            )?;
            check(
                is_date(&l.service_date),
                "the service date",
                &l.service_date,
                "must be CCYYMMDD",
            )?;
            check(
                (1..=4).contains(&l.diagnosis_pointers.len())
                    && l.diagnosis_pointers
                        .iter()
                        .all(|&p| p >= 1 && usize::from(p) <= self.diagnoses.len()),
                "the diagnosis pointers of line",
                &l.procedure_code,
                "must be 1 to 4 positions in the claim's diagnoses",
            )?;
            sum += l.charge.cents().ok_or_else(|| {
                Error::new(
                    ErrorKind::Element,
                    None,
                    format!(
                        "the charge {:?} has more than two decimals",
                        l.charge.as_str()
                    ),
                )
            })?;
        }
        check(
            self.total_charge.cents() == Some(sum),
            "the total charge",
            self.total_charge.as_str(),
            &format!(
                "must be the sum of the lines' charges ({})",
                Amount::from_cents(sum).as_str()
            ),
        )
    }
}

fn person_segments(out: &mut Vec<Values>, p: &Person) {
    if let Some(a) = &p.address {
        address_segments(out, a);
    }
    if let Some(d) = &p.birth_date {
        out.push(
            Values::new("DMG")
                .els(&["D8", d])
                .el(p.gender.clone().unwrap_or_default()),
        );
    }
}

fn address_segments(out: &mut Vec<Values>, a: &Address) {
    out.push(Values::new("N3").els(&a.lines));
    out.push(
        Values::new("N4")
            .el(a.city.clone())
            .el(a.state.clone().unwrap_or_default())
            .el(a.postal_code.clone().unwrap_or_default())
            .el(a.country.clone().unwrap_or_default()),
    );
}

impl ProfessionalBatch {
    /// The segments between ST and SE, with the HL hierarchy: a billing
    /// provider level for each run of claims from the same provider, a
    /// subscriber level per claim, and a patient level when the patient is
    /// not the subscriber.
    pub fn body(&self) -> Result<Vec<Values>, Error> {
        required("the reference", &self.reference)?;
        check(
            is_date(&self.date),
            "the date",
            &self.date,
            "must be CCYYMMDD",
        )?;
        required("the submitter name", &self.submitter.name)?;
        required("the submitter id", &self.submitter.id)?;
        required("the receiver name", &self.receiver.name)?;
        required("the receiver id", &self.receiver.id)?;
        check(
            !self.claims.is_empty(),
            "the batch",
            &self.reference,
            "has no claims",
        )?;
        let mut out = vec![
            Values::new("BHT").els(&["0019", "00", &self.reference, &self.date, &self.time, "CH"]),
            Values::new("NM1").els(&[
                "41",
                "2",
                &self.submitter.name,
                "",
                "",
                "",
                "",
                "46",
                &self.submitter.id,
            ]),
            Values::new("PER").els(&[
                "IC",
                &self.submitter.contact_name,
                "TE",
                &self.submitter.phone,
            ]),
            Values::new("NM1").els(&[
                "40",
                "2",
                &self.receiver.name,
                "",
                "",
                "",
                "",
                "46",
                &self.receiver.id,
            ]),
        ];
        let mut hl = 0usize;
        let mut provider_hl = 0usize;
        let mut last_provider: Option<&BillingProvider> = None;
        for c in &self.claims {
            c.check()?;
            let bp = &c.billing_provider;
            if last_provider != Some(bp) {
                hl += 1;
                provider_hl = hl;
                out.push(Values::new("HL").els(&[&hl.to_string(), "", "20", "1"]));
                if let Some(t) = &bp.taxonomy {
                    out.push(Values::new("PRV").els(&["BI", "PXC", t]));
                }
                out.push(
                    Values::new("NM1").els(&["85", "2", &bp.name, "", "", "", "", "XX", &bp.npi]),
                );
                address_segments(&mut out, &bp.address);
                out.push(Values::new("REF").els(&["EI", &bp.tax_id]));
                last_provider = Some(bp);
            }
            hl += 1;
            let subscriber_hl = hl;
            let s = &c.subscriber;
            let child = if c.patient.is_some() { "1" } else { "0" };
            out.push(Values::new("HL").els(&[
                &subscriber_hl.to_string(),
                &provider_hl.to_string(),
                "22",
                child,
            ]));
            let relationship = if c.patient.is_some() { "" } else { "18" };
            out.push(
                Values::new("SBR")
                    .els(&[&s.payer_responsibility, relationship])
                    .el(s.group_number.clone().unwrap_or_default())
                    .els(&["", "", "", "", "", &s.filing_indicator]),
            );
            out.push(Values::new("NM1").els(&[
                "IL",
                "1",
                &s.person.last_name,
                &s.person.first_name,
                "",
                "",
                "",
                "MI",
                &s.member_id,
            ]));
            person_segments(&mut out, &s.person);
            out.push(Values::new("NM1").els(&[
                "PR",
                "2",
                &s.payer.name,
                "",
                "",
                "",
                "",
                "PI",
                &s.payer.id,
            ]));
            if let Some(p) = &c.patient {
                hl += 1;
                out.push(Values::new("HL").els(&[
                    &hl.to_string(),
                    &subscriber_hl.to_string(),
                    "23",
                    "0",
                ]));
                out.push(Values::new("PAT").el(p.relationship.clone()));
                out.push(Values::new("NM1").els(&[
                    "QC",
                    "1",
                    &p.person.last_name,
                    &p.person.first_name,
                ]));
                person_segments(&mut out, &p.person);
            }
            out.push(
                Values::new("CLM")
                    .els(&[c.claim_id.as_str(), c.total_charge.as_str(), "", ""])
                    .comp(&[c.place_of_service.as_str(), "B", c.frequency.as_str()])
                    .els(&["Y", "A", "Y", "Y"]),
            );
            let mut hi = Values::new("HI");
            for (i, d) in c.diagnoses.iter().enumerate() {
                hi = hi.comp(&[if i == 0 { "ABK" } else { "ABF" }, d.as_str()]);
            }
            out.push(hi);
            if let Some(r) = &c.rendering_provider {
                out.push(Values::new("NM1").els(&[
                    "82",
                    "1",
                    &r.last_name,
                    &r.first_name,
                    "",
                    "",
                    "",
                    "XX",
                    &r.npi,
                ]));
                if let Some(t) = &r.taxonomy {
                    out.push(Values::new("PRV").els(&["PE", "PXC", t]));
                }
            }
            for (i, l) in c.lines.iter().enumerate() {
                out.push(Values::new("LX").el((i + 1).to_string()));
                let mut proc = vec!["HC", l.procedure_code.as_str()];
                proc.extend(l.modifiers.iter().map(CompactString::as_str));
                let pointers: Vec<String> =
                    l.diagnosis_pointers.iter().map(u8::to_string).collect();
                out.push(
                    Values::new("SV1")
                        .comp(&proc)
                        .els(&[l.charge.as_str(), "UN", &l.units])
                        .el(l.place_of_service.clone().unwrap_or_default())
                        .el("")
                        .comp(&pointers),
                );
                out.push(Values::new("DTP").els(&["472", "D8", &l.service_date]));
                if let Some(n) = &l.control_number {
                    out.push(Values::new("REF").els(&["6R", n]));
                }
            }
        }
        Ok(out)
    }

    /// A complete interchange holding this batch as one 837P.
    pub fn to_x12(&self, header: &EnvelopeHeader) -> Result<String, Error> {
        let segs = header.wrap("HC", "837", VERSION, vec![self.body()?])?;
        to_x12(&segs, Delimiters::default(), false)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Sect {
    Header,
    Submitter,
    Receiver,
    Billing,
    Subscriber,
    Payer,
    Patient,
    Claim,
    ClaimParty,
    Rendering,
    Line,
}

fn person_from<'a>(seg: &impl Elements<'a>) -> Person {
    Person {
        last_name: text(seg, 3),
        first_name: text(seg, 4),
        address: None,
        birth_date: None,
        gender: None,
    }
}

fn structure(seg: &Segment<'_>, what: &str) -> Error {
    seg.error(ErrorKind::Structure, format!("{} {what}", seg.tag))
}

pub fn parse(tx: &Transaction<'_>) -> Result<ProfessionalBatch, Error> {
    let mut b = ProfessionalBatch {
        reference: CompactString::default(),
        date: CompactString::default(),
        time: CompactString::default(),
        submitter: Submitter {
            name: CompactString::default(),
            id: CompactString::default(),
            contact_name: CompactString::default(),
            phone: CompactString::default(),
        },
        receiver: Receiver {
            name: CompactString::default(),
            id: CompactString::default(),
        },
        claims: Vec::with_capacity(tx.body.iter().filter(|s| s.tag == "CLM").count()),
    };
    let mut sect = Sect::Header;
    let mut billing: Option<BillingProvider> = None;
    let mut subscriber: Option<Subscriber> = None;
    let mut patient: Option<Patient> = None;
    for seg in &tx.body {
        // The elements the model reads, split once (HI reads up to 12; the
        // rest come from the segment).
        let f = &seg.fields::<9>();
        match (seg.tag, f.el(1)) {
            ("BHT", _) => {
                b.reference = text(f, 3);
                b.date = text(f, 4);
                b.time = text(f, 5);
            }
            ("NM1", "41") => {
                sect = Sect::Submitter;
                b.submitter.name = text(f, 3);
                b.submitter.id = text(f, 9);
            }
            ("PER", _) if sect == Sect::Submitter => {
                b.submitter.contact_name = text(f, 2);
                if f.el(3) == "TE" {
                    b.submitter.phone = text(f, 4);
                }
            }
            ("NM1", "40") => {
                sect = Sect::Receiver;
                b.receiver.name = text(f, 3);
                b.receiver.id = text(f, 9);
            }
            ("HL", _) => match f.el(3) {
                "20" => {
                    sect = Sect::Billing;
                    billing = Some(BillingProvider {
                        name: CompactString::default(),
                        npi: CompactString::default(),
                        tax_id: CompactString::default(),
                        address: Address::default(),
                        taxonomy: None,
                    });
                    subscriber = None;
                    patient = None;
                }
                "22" => {
                    if billing.is_none() {
                        return Err(structure(
                            seg,
                            "subscriber level without a billing provider level",
                        ));
                    }
                    sect = Sect::Subscriber;
                    subscriber = Some(Subscriber {
                        member_id: CompactString::default(),
                        person: Person {
                            last_name: CompactString::default(),
                            first_name: CompactString::default(),
                            address: None,
                            birth_date: None,
                            gender: None,
                        },
                        payer_responsibility: CompactString::default(),
                        group_number: None,
                        filing_indicator: CompactString::default(),
                        payer: Payer {
                            name: CompactString::default(),
                            id: CompactString::default(),
                        },
                    });
                    patient = None;
                }
                "23" => {
                    if subscriber.is_none() {
                        return Err(structure(seg, "patient level without a subscriber level"));
                    }
                    sect = Sect::Patient;
                    patient = Some(Patient {
                        relationship: CompactString::default(),
                        person: person_from(f),
                    });
                }
                other => {
                    return Err(seg.error(
                        ErrorKind::Element,
                        format!("HL03 {other:?} is not a level of the 837P (20, 22 or 23)"),
                    ))
                }
            },
            ("PRV", _) => match (sect, billing.as_mut(), b.claims.last_mut()) {
                (Sect::Billing, Some(bp), _) => bp.taxonomy = opt_text(f, 3),
                (Sect::Rendering, _, Some(c)) => {
                    if let Some(r) = c.rendering_provider.as_mut() {
                        r.taxonomy = opt_text(f, 3);
                    }
                }
                _ => {}
            },
            ("NM1", "85") if sect == Sect::Billing => {
                let bp = billing
                    .as_mut()
                    .ok_or_else(|| structure(seg, "outside a billing provider level"))?;
                bp.name = text(f, 3);
                bp.npi = text(f, 9);
            }
            ("REF", "EI") if sect == Sect::Billing => {
                if let Some(bp) = billing.as_mut() {
                    bp.tax_id = text(f, 2);
                }
            }
            ("N3" | "N4", _) => {
                let a = match sect {
                    Sect::Billing => billing.as_mut().map(|bp| &mut bp.address),
                    Sect::Subscriber => subscriber
                        .as_mut()
                        .map(|s| s.person.address.get_or_insert_with(Address::default)),
                    Sect::Patient => patient
                        .as_mut()
                        .map(|p| p.person.address.get_or_insert_with(Address::default)),
                    _ => None,
                };
                if let Some(a) = a {
                    a.add(seg);
                }
            }
            ("SBR", _) => {
                let s = subscriber
                    .as_mut()
                    .ok_or_else(|| structure(seg, "outside a subscriber level"))?;
                s.payer_responsibility = text(f, 1);
                s.group_number = opt_text(f, 3);
                s.filing_indicator = text(f, 9);
            }
            ("NM1", "IL") if sect == Sect::Subscriber => {
                let s = subscriber
                    .as_mut()
                    .ok_or_else(|| structure(seg, "outside a subscriber level"))?;
                s.person = person_from(f);
                s.member_id = text(f, 9);
                sect = Sect::Subscriber;
            }
            ("NM1", "PR") if matches!(sect, Sect::Subscriber | Sect::Payer) => {
                if let Some(s) = subscriber.as_mut() {
                    s.payer = Payer {
                        name: text(f, 3),
                        id: text(f, 9),
                    };
                }
                sect = Sect::Payer;
            }
            ("DMG", _) => {
                let p = match sect {
                    Sect::Subscriber => subscriber.as_mut().map(|s| &mut s.person),
                    Sect::Patient => patient.as_mut().map(|p| &mut p.person),
                    _ => None,
                };
                if let Some(p) = p {
                    if f.el(1) == "D8" {
                        p.birth_date = opt_text(f, 2);
                    }
                    p.gender = opt_text(f, 3);
                }
            }
            ("PAT", _) => {
                if let Some(p) = patient.as_mut() {
                    p.relationship = text(f, 1);
                }
            }
            ("NM1", "QC") if sect == Sect::Patient => {
                if let Some(p) = patient.as_mut() {
                    p.person = person_from(f);
                }
                sect = Sect::Patient;
            }
            ("CLM", _) => {
                let (Some(bp), Some(s)) = (billing.clone(), subscriber.clone()) else {
                    return Err(structure(
                        seg,
                        "before the billing provider and subscriber levels",
                    ));
                };
                sect = Sect::Claim;
                b.claims.push(ProfessionalClaim {
                    billing_provider: bp,
                    subscriber: s,
                    patient: patient.clone(),
                    claim_id: CompactString::new(f.req(1)?),
                    total_charge: req_amount(f, 2)?,
                    place_of_service: CompactString::new(f.component(5, 1)),
                    frequency: CompactString::new(f.component(5, 3)),
                    diagnoses: SmallVec::new(),
                    rendering_provider: None,
                    lines: Vec::new(),
                });
            }
            ("HI", _) => {
                if let Some(c) = b.claims.last_mut() {
                    for n in 1..=12 {
                        if matches!(f.component(n, 1), "ABK" | "ABF" | "BK" | "BF") {
                            c.diagnoses.push(CompactString::new(f.component(n, 2)));
                        }
                    }
                }
            }
            ("NM1", "82") if sect != Sect::Line => {
                let c = b
                    .claims
                    .last_mut()
                    .ok_or_else(|| structure(seg, "before any CLM"))?;
                c.rendering_provider = Some(RenderingProvider {
                    last_name: text(f, 3),
                    first_name: text(f, 4),
                    npi: text(f, 9),
                    taxonomy: None,
                });
                sect = Sect::Rendering;
            }
            ("NM1", _) if matches!(sect, Sect::Claim | Sect::Rendering | Sect::ClaimParty) => {
                sect = Sect::ClaimParty;
            }
            ("LX", _) => {
                if b.claims.is_empty() {
                    return Err(structure(seg, "before any CLM"));
                }
                sect = Sect::Line;
            }
            ("SV1", _) => {
                let c = b
                    .claims
                    .last_mut()
                    .ok_or_else(|| structure(seg, "before any CLM"))?;
                let mut proc = f.components(1).skip(1);
                let procedure_code = CompactString::new(proc.next().unwrap_or(""));
                let modifiers = proc
                    .take(4)
                    .filter(|m| !m.is_empty())
                    .map(CompactString::new)
                    .collect();
                let mut diagnosis_pointers = SmallVec::new();
                for p in f.components(7).filter(|p| !p.is_empty()) {
                    diagnosis_pointers.push(p.parse::<u8>().map_err(|_| {
                        seg.error(
                            ErrorKind::Element,
                            format!("SV107 pointer {p:?} is not a number"),
                        )
                    })?);
                }
                c.lines.push(ServiceLine {
                    procedure_code,
                    modifiers,
                    charge: req_amount(f, 2)?,
                    units: text(f, 4),
                    place_of_service: opt_text(f, 5),
                    diagnosis_pointers,
                    service_date: CompactString::default(),
                    control_number: None,
                });
            }
            ("DTP", "472") if sect == Sect::Line => {
                if let Some(l) = b.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                    l.service_date = text(f, 3);
                }
            }
            ("REF", "6R") if sect == Sect::Line => {
                if let Some(l) = b.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                    l.control_number = opt_text(f, 2);
                }
            }
            _ => {}
        }
    }
    Ok(b)
}
