//! 270 eligibility inquiry and 271 eligibility response (005010X279A1):
//! information source (payer) → receiver (provider) → subscriber →
//! dependent, with the inquiries (EQ) or benefits (EB) and AAA rejections
//! at each level.

use super::aaa;
use super::common::{amount, opt_string, Amount, DateRef, Party, Procedure, Reference};
use crate::envelope::Transaction;
use crate::error::{Error, ErrorKind};
use crate::segment::Segment;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Eligibility {
    /// `270` or `271`.
    pub transaction: String,
    /// BHT03 submitter's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// BHT04 date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub sources: Vec<Source>,
}

/// Loop 2000A: the payer answering (or asked).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Source {
    pub party: Party,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
    pub receivers: Vec<Receiver>,
}

/// Loop 2000B: the provider asking.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Receiver {
    pub party: Party,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
    pub subscribers: Vec<Member>,
}

/// Loops 2000C/2000D: a subscriber or a dependent.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Member {
    pub party: Party,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<Trace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// INS02 relationship to the subscriber (`18` self).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    #[serde(skip_serializing_if = "Plan::is_empty")]
    pub plan: Plan,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inquiries: Vec<Inquiry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<Benefit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependents: Vec<Member>,
}

/// Plan and group from the member's REF segments (18 plan number, 6P group number).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        *self == Plan::default()
    }
}

/// TRN: a trace number (TRN01 `1` current, `2` referenced).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub kind: String,
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<String>,
}

/// AAA: why the payer could not answer at this level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// AAA01: `N` means the request was not valid as sent.
    pub valid_request: bool,
    pub reason_code: String,
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<&'static str>,
}

impl Rejection {
    fn from_aaa(seg: &Segment<'_>) -> Rejection {
        let reason_code = seg.el(3).to_string();
        let follow_up_code = opt_string(seg, 4);
        Rejection {
            valid_request: seg.el(1) == "Y",
            reason: aaa::reason_text(&reason_code),
            reason_code,
            follow_up: follow_up_code.as_deref().and_then(aaa::follow_up_text),
            follow_up_code,
        }
    }
}

/// EQ (270, loop 2110C/D): what the provider asks about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inquiry {
    pub service_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_level: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
}

/// EB12: whether a benefit applies in the plan's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    In,
    Out,
    /// `W`: the same in and out of network.
    Both,
    Unknown,
}

/// EB (271, loop 2110C/D) with what follows it in its loop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benefit {
    /// EB01 eligibility or benefit information code.
    pub code: String,
    pub meaning: Option<&'static str>,
    /// EB02, e.g. `IND` individual, `FAM` family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_level: Option<String>,
    /// EB03 (repeating), e.g. `30` health benefit plan coverage, `98` office visit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insurance_type: Option<String>,
    /// EB05 plan coverage description (often the plan's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_description: Option<String>,
    /// EB06 time period qualifier (`23` calendar year, `29` remaining …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// EB08 as a fraction: `.2` is 20 %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_qualifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_required: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
    /// EB07 when EB01 is `B`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copay: Option<Amount>,
    /// EB08 when EB01 is `A`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coinsurance: Option<String>,
    /// EB07 when EB01 is `C`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deductible: Option<Amount>,
    /// EB07 when EB01 is `G`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_pocket: Option<Amount>,
    /// EB06 is `29`: the amount is what remains, not the total.
    pub remaining: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<Rejection>,
    /// Loop 2120: entities named for this benefit (e.g. the primary care provider).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Party>,
}

/// What an EB01 code means.
pub fn benefit_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Active coverage",
        "2" => "Active - full risk capitation",
        "3" => "Active - services capitated",
        "4" => "Active - services capitated to primary care physician",
        "5" => "Active - pending investigation",
        "6" => "Inactive",
        "7" => "Inactive - pending eligibility update",
        "8" => "Inactive - pending investigation",
        "A" => "Co-insurance",
        "B" => "Co-payment",
        "C" => "Deductible",
        "CB" => "Coverage basis",
        "D" => "Benefit description",
        "E" => "Exclusions",
        "F" => "Limitations",
        "G" => "Out of pocket (stop loss)",
        "H" => "Unlimited",
        "I" => "Non-covered",
        "J" => "Cost containment",
        "K" => "Reserve",
        "L" => "Primary care provider",
        "M" => "Pre-existing condition",
        "MC" => "Managed care coordinator",
        "N" => "Services restricted to following provider",
        "O" => "Not deemed a medical necessity",
        "P" => "Benefit disclaimer",
        "Q" => "Second surgical opinion required",
        "R" => "Other or additional payer",
        "S" => "Prior year(s) history",
        "T" => "Card(s) reported lost/stolen",
        "U" => "Contact following entity for eligibility or benefit information",
        "V" => "Cannot process",
        "W" => "Other source of data",
        "X" => "Health care facility",
        "Y" => "Spend down",
        _ => return None,
    })
}

fn percent(seg: &Segment<'_>, n: usize) -> Result<Option<String>, Error> {
    Ok(amount(seg, n)?.map(|a| a.as_str().to_string()))
}

impl Benefit {
    fn from_eb(seg: &Segment<'_>) -> Result<Benefit, Error> {
        let code = seg.req(1)?.to_string();
        let amt = amount(seg, 7)?;
        let pct = percent(seg, 8)?;
        let time_period = opt_string(seg, 6);
        let network = match seg.el(12) {
            "Y" => Some(Network::In),
            "N" => Some(Network::Out),
            "W" => Some(Network::Both),
            "U" => Some(Network::Unknown),
            "" => None,
            other => {
                return Err(seg.error(
                    ErrorKind::Element,
                    format!("EB12 {other:?} is not Y, N, U or W"),
                ))
            }
        };
        let when = |c: &str| if code == c { amt.clone() } else { None };
        Ok(Benefit {
            meaning: benefit_meaning(&code),
            coverage_level: opt_string(seg, 2),
            service_types: seg.repetitions(3).into_iter().map(str::to_string).collect(),
            insurance_type: opt_string(seg, 4),
            plan_description: opt_string(seg, 5),
            remaining: time_period.as_deref() == Some("29"),
            time_period,
            copay: when("B"),
            deductible: when("C"),
            out_of_pocket: when("G"),
            coinsurance: if code == "A" { pct.clone() } else { None },
            amount: amt,
            percent: pct,
            quantity_qualifier: opt_string(seg, 9),
            quantity: opt_string(seg, 10),
            authorization_required: opt_string(seg, 11),
            network,
            procedure: Procedure::from_composite(seg, 13),
            code,
            dates: Vec::new(),
            references: Vec::new(),
            messages: Vec::new(),
            rejections: Vec::new(),
            related: Vec::new(),
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Source,
    Receiver,
    Subscriber,
    Dependent,
}

#[derive(Clone, Copy, PartialEq)]
enum Loop {
    Entity,
    Inquiry,
    Benefit,
    BenefitEntity,
}

struct State {
    model: Eligibility,
    level: Option<Level>,
    lp: Loop,
}

impl State {
    fn member(&mut self) -> Option<&mut Member> {
        let sub = self
            .model
            .sources
            .last_mut()?
            .receivers
            .last_mut()?
            .subscribers
            .last_mut()?;
        match self.level? {
            Level::Subscriber => Some(sub),
            Level::Dependent => sub.dependents.last_mut(),
            _ => None,
        }
    }

    fn party(&mut self) -> Option<&mut Party> {
        match self.level? {
            Level::Source => self.model.sources.last_mut().map(|s| &mut s.party),
            Level::Receiver => self
                .model
                .sources
                .last_mut()?
                .receivers
                .last_mut()
                .map(|r| &mut r.party),
            _ => self.member().map(|m| &mut m.party),
        }
    }

    fn benefit(&mut self) -> Option<&mut Benefit> {
        self.member()?.benefits.last_mut()
    }
}

fn out_of_place(seg: &Segment<'_>) -> Error {
    seg.error(
        ErrorKind::Structure,
        format!("{} before the HL level it belongs to", seg.tag),
    )
}

/// Reads a 270 or 271.
pub fn parse(tx: &Transaction<'_>) -> Result<Eligibility, Error> {
    let mut st = State {
        model: Eligibility {
            transaction: tx.id().to_string(),
            reference: None,
            date: None,
            sources: Vec::new(),
        },
        level: None,
        lp: Loop::Entity,
    };
    for seg in &tx.body {
        match seg.tag {
            "BHT" => {
                st.model.reference = opt_string(seg, 3);
                st.model.date = opt_string(seg, 4);
            }
            "HL" => {
                st.lp = Loop::Entity;
                let m = &mut st.model;
                let parentless = || {
                    seg.error(
                        ErrorKind::Structure,
                        format!("HL level {:?} has no parent level before it", seg.el(3)),
                    )
                };
                st.level = Some(match seg.el(3) {
                    "20" => {
                        m.sources.push(Source::default());
                        Level::Source
                    }
                    "21" => {
                        let s = m.sources.last_mut().ok_or_else(parentless)?;
                        s.receivers.push(Receiver::default());
                        Level::Receiver
                    }
                    "22" => {
                        let r = m
                            .sources
                            .last_mut()
                            .and_then(|s| s.receivers.last_mut())
                            .ok_or_else(parentless)?;
                        r.subscribers.push(Member::default());
                        Level::Subscriber
                    }
                    "23" => {
                        let sub = m
                            .sources
                            .last_mut()
                            .and_then(|s| s.receivers.last_mut())
                            .and_then(|r| r.subscribers.last_mut())
                            .ok_or_else(parentless)?;
                        sub.dependents.push(Member::default());
                        Level::Dependent
                    }
                    other => {
                        return Err(seg.error(
                            ErrorKind::Element,
                            format!(
                                "HL03 {other:?} is not a level of the 270/271 (20, 21, 22 or 23)"
                            ),
                        ))
                    }
                });
            }
            "NM1" if st.lp == Loop::BenefitEntity => {
                let b = st.benefit().ok_or_else(|| out_of_place(seg))?;
                b.related.push(Party::from_nm1(seg));
            }
            "NM1" => {
                let p = st.party().ok_or_else(|| out_of_place(seg))?;
                *p = Party::from_nm1(seg);
            }
            "N3" | "N4" if st.lp == Loop::BenefitEntity => {
                if let Some(p) = st.benefit().and_then(|b| b.related.last_mut()) {
                    p.add_address(seg);
                }
            }
            "N3" | "N4" => {
                if let Some(p) = st.party() {
                    p.add_address(seg);
                }
            }
            "REF" if st.lp == Loop::Benefit => {
                if let Some(b) = st.benefit() {
                    b.references.push(Reference::from_ref(seg));
                }
            }
            "REF" => {
                let r = Reference::from_ref(seg);
                if let Some(m) = st.member() {
                    match r.qualifier.as_str() {
                        "18" => {
                            m.plan.plan_number = Some(r.value.to_string());
                            m.plan.plan_name = r.description.as_deref().map(str::to_string);
                        }
                        "6P" => {
                            m.plan.group_number = Some(r.value.to_string());
                            m.plan.group_name = r.description.as_deref().map(str::to_string);
                        }
                        _ => {}
                    }
                    m.references.push(r);
                } else if st.level == Some(Level::Receiver) {
                    if let Some(rc) = st
                        .model
                        .sources
                        .last_mut()
                        .and_then(|s| s.receivers.last_mut())
                    {
                        rc.references.push(r);
                    }
                }
            }
            "TRN" => {
                let m = st.member().ok_or_else(|| out_of_place(seg))?;
                m.traces.push(Trace {
                    kind: seg.el(1).to_string(),
                    number: seg.req(2)?.to_string(),
                    originator: opt_string(seg, 3),
                });
            }
            "DMG" => {
                let m = st.member().ok_or_else(|| out_of_place(seg))?;
                if seg.el(1) == "D8" {
                    m.birth_date = opt_string(seg, 2);
                }
                m.gender = opt_string(seg, 3);
            }
            "INS" => {
                if let Some(m) = st.member() {
                    m.relationship = opt_string(seg, 2);
                }
            }
            "DTP" => {
                let d = DateRef::from_dtp(seg);
                match st.lp {
                    Loop::Benefit | Loop::BenefitEntity => {
                        if let Some(b) = st.benefit() {
                            b.dates.push(d);
                        }
                    }
                    Loop::Inquiry => {
                        if let Some(q) = st.member().and_then(|m| m.inquiries.last_mut()) {
                            q.dates.push(d);
                        }
                    }
                    Loop::Entity => {
                        if let Some(m) = st.member() {
                            m.dates.push(d);
                        }
                    }
                }
            }
            "AAA" => {
                let r = Rejection::from_aaa(seg);
                if matches!(st.lp, Loop::Benefit | Loop::BenefitEntity) {
                    if let Some(b) = st.benefit() {
                        b.rejections.push(r);
                        continue;
                    }
                }
                match st.level {
                    Some(Level::Source) => {
                        if let Some(s) = st.model.sources.last_mut() {
                            s.rejections.push(r);
                        }
                    }
                    Some(Level::Receiver) => {
                        if let Some(rc) = st
                            .model
                            .sources
                            .last_mut()
                            .and_then(|s| s.receivers.last_mut())
                        {
                            rc.rejections.push(r);
                        }
                    }
                    Some(_) => {
                        if let Some(m) = st.member() {
                            m.rejections.push(r);
                        }
                    }
                    None => return Err(out_of_place(seg)),
                }
            }
            "EQ" => {
                let m = st.member().ok_or_else(|| out_of_place(seg))?;
                m.inquiries.push(Inquiry {
                    service_types: seg.repetitions(1).into_iter().map(str::to_string).collect(),
                    procedure: Procedure::from_composite(seg, 2),
                    coverage_level: opt_string(seg, 3),
                    dates: Vec::new(),
                });
                st.lp = Loop::Inquiry;
            }
            "EB" => {
                let b = Benefit::from_eb(seg)?;
                let m = st.member().ok_or_else(|| out_of_place(seg))?;
                m.benefits.push(b);
                st.lp = Loop::Benefit;
            }
            "MSG" => {
                if let Some(b) = st.benefit() {
                    b.messages.push(seg.el(1).to_string());
                }
            }
            "LS" => st.lp = Loop::BenefitEntity,
            "LE" => st.lp = Loop::Benefit,
            _ => {}
        }
    }
    if st.model.sources.is_empty() {
        return Err(super::common::missing(
            tx,
            "information source (HL level 20)",
        ));
    }
    Ok(st.model)
}

impl Eligibility {
    /// Every subscriber and dependent, in order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.sources
            .iter()
            .flat_map(|s| s.receivers.iter())
            .flat_map(|r| r.subscribers.iter())
            .flat_map(|m| std::iter::once(m).chain(m.dependents.iter()))
    }

    /// Every rejection at any level.
    pub fn rejections(&self) -> impl Iterator<Item = &Rejection> {
        self.sources.iter().flat_map(|s| {
            s.rejections.iter().chain(s.receivers.iter().flat_map(|r| {
                r.rejections
                    .iter()
                    .chain(r.subscribers.iter().flat_map(|m| {
                        std::iter::once(m).chain(m.dependents.iter()).flat_map(|m| {
                            m.rejections
                                .iter()
                                .chain(m.benefits.iter().flat_map(|b| b.rejections.iter()))
                        })
                    }))
            }))
        })
    }
}
