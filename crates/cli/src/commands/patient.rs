//! `patient`: registration, search, demographics and insurance coverage.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{fields, opt, rfc3339_local, table_or};
use clinicdesk_store::{Coverage, CoverageInput, Patient, PatientInput, PatientSummary};

#[derive(Debug, Default, clap::Args)]
pub struct Demographics {
    /// Medical record number [default: assigned]
    #[arg(long)]
    mrn: Option<String>,
    /// female, male, other or unknown
    #[arg(long)]
    sex: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Street address
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    city: Option<String>,
    #[arg(long)]
    state: Option<String>,
    #[arg(long)]
    postal_code: Option<String>,
    #[arg(long)]
    country: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum PatientCmd {
    /// Register a patient
    Add {
        #[arg(long)]
        given: String,
        #[arg(long)]
        family: String,
        /// Date of birth, YYYY-MM-DD
        #[arg(long)]
        dob: String,
        #[command(flatten)]
        more: Demographics,
    },
    /// Find patients by name ("Lovelace", "Love, Ad", "Ada Love"), date of
    /// birth, MRN or phone number
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Show a patient's record
    Show {
        /// Patient id or MRN
        patient: String,
    },
    /// Change a patient's details; fields not given stay as they are, an
    /// empty value ('') clears an optional one
    Update {
        /// Patient id or MRN
        patient: String,
        #[arg(long)]
        given: Option<String>,
        #[arg(long)]
        family: Option<String>,
        /// Date of birth, YYYY-MM-DD
        #[arg(long)]
        dob: Option<String>,
        #[command(flatten)]
        more: Demographics,
    },
    /// A patient's appointments, newest first
    Appointments {
        /// Patient id or MRN
        patient: String,
    },
    /// Insurance coverage
    #[command(subcommand)]
    Coverage(CoverageCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum CoverageCmd {
    /// Add an insurance coverage to a patient
    Add {
        /// Patient id or MRN
        patient: String,
        #[arg(long)]
        payer_name: String,
        #[arg(long)]
        payer_id: String,
        #[arg(long)]
        member_id: String,
        #[arg(long)]
        group: Option<String>,
        /// 1 primary, 2 secondary, 3 tertiary
        #[arg(long, default_value_t = 1)]
        priority: i64,
        /// self, spouse, child or other
        #[arg(long, default_value = "self")]
        relationship: String,
        /// The subscriber's name when the patient is not the subscriber
        #[arg(long, value_name = "NAME")]
        subscriber: Option<String>,
    },
    /// End a coverage
    End { coverage_id: String },
}

pub fn run(ctx: &mut Ctx, cmd: PatientCmd) -> Result<()> {
    match cmd {
        PatientCmd::Add {
            given,
            family,
            dob,
            more,
        } => {
            let input = PatientInput {
                given_name: given,
                family_name: family,
                birth_date: dob,
                ..Default::default()
            };
            let p = ctx.store.add_patient(&ctx.session, &more.apply(input))?;
            ctx.out.show(&p, |p| {
                format!(
                    "Registered {} (MRN {}, id {}).\n",
                    p.display_name(),
                    p.mrn,
                    p.id
                )
            })
        }
        PatientCmd::Search { query, limit } => {
            let found = ctx.store.search_patients(&ctx.session, &query, limit)?;
            ctx.out.show(&found, |f| summaries(f))
        }
        PatientCmd::Show { patient } => {
            let p = ctx.patient(&patient)?;
            ctx.out.show(&p, show)
        }
        PatientCmd::Update {
            patient,
            given,
            family,
            dob,
            more,
        } => {
            let before = ctx.patient(&patient)?;
            let mut input = input_of(&before);
            if let Some(g) = given {
                input.given_name = g;
            }
            if let Some(f) = family {
                input.family_name = f;
            }
            if let Some(d) = dob {
                input.birth_date = d;
            }
            let p = ctx
                .store
                .update_patient(&ctx.session, &before.id, &more.apply(input))?;
            ctx.out.show(&p, |p| {
                format!("Updated {} (MRN {}).\n", p.display_name(), p.mrn)
            })
        }
        PatientCmd::Appointments { patient } => {
            let p = ctx.patient(&patient)?;
            let list = ctx.store.patient_appointments(&ctx.session, &p.id)?;
            ctx.out.show(&list, |list| {
                let rows: Vec<[String; 6]> = list
                    .iter()
                    .map(|a| {
                        [
                            a.id.clone(),
                            rfc3339_local(&a.local_start),
                            a.provider_name.clone(),
                            a.location_name.clone(),
                            a.appointment_type.clone(),
                            a.status.label().to_string(),
                        ]
                    })
                    .collect();
                table_or(
                    ["ID", "START", "PROVIDER", "LOCATION", "TYPE", "STATUS"],
                    &rows,
                    &format!("{} has no appointments.", p.display_name()),
                )
            })
        }
        PatientCmd::Coverage(CoverageCmd::Add {
            patient,
            payer_name,
            payer_id,
            member_id,
            group,
            priority,
            relationship,
            subscriber,
        }) => {
            let p = ctx.patient(&patient)?;
            let c = ctx.store.add_coverage(
                &ctx.session,
                &p.id,
                &CoverageInput {
                    priority,
                    payer_name,
                    payer_id,
                    member_id,
                    group_number: group,
                    subscriber_name: subscriber,
                    relationship: Some(relationship),
                },
            )?;
            ctx.out.show(&c, |c| {
                format!(
                    "Added coverage {} for {}: {}\n",
                    c.id,
                    p.display_name(),
                    coverage_line(c)
                )
            })
        }
        PatientCmd::Coverage(CoverageCmd::End { coverage_id }) => {
            ctx.store.end_coverage(&ctx.session, &coverage_id)?;
            let done = serde_json::json!({ "coverage_id": coverage_id, "active": false });
            ctx.out
                .show(&done, |_| format!("Coverage {coverage_id} ended.\n"))
        }
    }
}

impl Demographics {
    /// Lays the options given over `base`.
    fn apply(self, mut base: PatientInput) -> PatientInput {
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if v.is_some() {
                *slot = v;
            }
        };
        set(&mut base.mrn, self.mrn);
        set(&mut base.sex, self.sex);
        set(&mut base.phone, self.phone);
        set(&mut base.email, self.email);
        set(&mut base.address_line, self.address);
        set(&mut base.city, self.city);
        set(&mut base.state, self.state);
        set(&mut base.postal_code, self.postal_code);
        set(&mut base.country, self.country);
        base
    }
}

fn input_of(p: &Patient) -> PatientInput {
    PatientInput {
        mrn: Some(p.mrn.clone()),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        birth_date: p.birth_date.clone(),
        sex: Some(p.sex.as_str().to_string()),
        phone: p.phone.clone(),
        email: p.email.clone(),
        address_line: p.address_line.clone(),
        city: p.city.clone(),
        state: p.state.clone(),
        postal_code: p.postal_code.clone(),
        country: p.country.clone(),
    }
}

fn summaries(found: &[PatientSummary]) -> String {
    let rows: Vec<[String; 6]> = found
        .iter()
        .map(|p| {
            [
                p.mrn.clone(),
                format!("{}, {}", p.family_name, p.given_name),
                p.birth_date.clone(),
                p.sex.to_string(),
                opt(&p.phone),
                p.id.clone(),
            ]
        })
        .collect();
    table_or(
        ["MRN", "NAME", "BORN", "SEX", "PHONE", "ID"],
        &rows,
        "No patients found.",
    )
}

fn show(p: &Patient) -> String {
    let address: Vec<String> = [
        &p.address_line,
        &p.city,
        &p.state,
        &p.postal_code,
        &p.country,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let mut s = format!("{}\n", p.display_name());
    s.push_str(&fields(&[
        ("MRN", p.mrn.clone()),
        ("id", p.id.clone()),
        ("date of birth", p.birth_date.clone()),
        ("sex", p.sex.to_string()),
        ("phone", opt(&p.phone)),
        ("email", opt(&p.email)),
        ("address", address.join(", ")),
        (
            "status",
            if p.active {
                "active".into()
            } else {
                "inactive".into()
            },
        ),
    ]));
    if !p.coverages.is_empty() {
        s.push_str("coverage:\n");
        for c in &p.coverages {
            s.push_str(&format!("  {}\n", coverage_line(c)));
        }
    }
    s
}

fn coverage_line(c: &Coverage) -> String {
    let rank = match c.priority {
        1 => "primary",
        2 => "secondary",
        _ => "tertiary",
    };
    let mut s = format!(
        "{rank}: {} ({}), member {}",
        c.payer_name, c.payer_id, c.member_id
    );
    if let Some(g) = &c.group_number {
        s.push_str(&format!(", group {g}"));
    }
    s.push_str(&format!(
        ", subscriber {} ({})",
        c.subscriber_name, c.relationship
    ));
    if !c.active {
        s.push_str(" [ended]");
    }
    s
}
