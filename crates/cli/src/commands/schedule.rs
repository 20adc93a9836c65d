//! `schedule`: weekly templates, exceptions, materialized slots.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{hhmm, local, opt, table_or, yes_no};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use clinicdesk_store::schedule::ScheduleException;
use clinicdesk_store::{ExceptionInput, Slot, Template, TemplateInput};
use std::collections::HashMap;

#[derive(Debug, clap::Subcommand)]
pub enum ScheduleCmd {
    /// Recurring weekly blocks of a provider at a location
    #[command(subcommand)]
    Template(TemplateCmd),
    /// Holidays, leave and blocked time
    #[command(subcommand)]
    Exception(ExceptionCmd),
    /// Build the bookable slots of a date range from the templates
    Materialize {
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        from: NaiveDate,
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        to: NaiveDate,
    },
    /// A provider's slots on a day
    Slots {
        /// Provider id, NPI or name
        #[arg(long)]
        provider: String,
        /// [default: today]
        #[arg(long, value_parser = crate::args::date)]
        date: Option<NaiveDate>,
        /// Number of days to show
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TemplateCmd {
    /// Add a weekly block
    Add {
        /// Provider id, NPI or name
        #[arg(long)]
        provider: String,
        /// Location id or name
        #[arg(long)]
        location: String,
        /// mon … sun, or 1 (Monday) … 7 (Sunday)
        #[arg(long, value_parser = crate::args::weekday)]
        weekday: u32,
        /// Block start, HH:MM clinic-local
        #[arg(long, value_parser = crate::args::time)]
        start: NaiveTime,
        /// Block end, HH:MM clinic-local
        #[arg(long, value_parser = crate::args::time)]
        end: NaiveTime,
        #[arg(long)]
        slot_minutes: i64,
        /// Keep the slots for one appointment type (id or name)
        #[arg(long = "type", value_name = "TYPE")]
        appointment_type: Option<String>,
        /// First day the block applies [default: today]
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Last day the block applies [default: open-ended]
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        to: Option<NaiveDate>,
    },
    /// List templates
    List {
        /// Only this provider's (id, NPI or name)
        #[arg(long)]
        provider: Option<String>,
    },
    /// End a template after a last day
    End {
        id: String,
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        last_day: NaiveDate,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ExceptionCmd {
    /// Make a provider, a location, or the whole clinic unavailable
    Add {
        /// Only this provider (id, NPI or name)
        #[arg(long)]
        provider: Option<String>,
        /// Only this location (id or name)
        #[arg(long)]
        location: Option<String>,
        /// holiday, leave or blocked
        #[arg(long)]
        kind: String,
        /// Start, 'YYYY-MM-DDTHH:MM' clinic-local
        #[arg(long, value_parser = crate::args::datetime, value_name = "DATETIME")]
        from: NaiveDateTime,
        /// End, 'YYYY-MM-DDTHH:MM' clinic-local
        #[arg(long, value_parser = crate::args::datetime, value_name = "DATETIME")]
        to: NaiveDateTime,
        #[arg(long)]
        reason: String,
    },
}

pub fn run(ctx: &mut Ctx, cmd: ScheduleCmd) -> Result<()> {
    match cmd {
        ScheduleCmd::Template(TemplateCmd::Add {
            provider,
            location,
            weekday,
            start,
            end,
            slot_minutes,
            appointment_type,
            from,
            to,
        }) => {
            let input = TemplateInput {
                provider_id: ctx.provider(&provider)?.id,
                location_id: ctx.location(&location)?.id,
                weekday,
                start_time: start.format("%H:%M").to_string(),
                end_time: end.format("%H:%M").to_string(),
                slot_minutes,
                appointment_type_id: ctx.type_id(appointment_type.as_deref())?,
                effective_from: from.unwrap_or_else(|| ctx.today()).to_string(),
                effective_to: to.map(|d| d.to_string()),
            };
            let t = ctx.store.add_template(&ctx.session, &input)?;
            let names = Names::load(ctx)?;
            ctx.out.show(&t, |t| {
                format!("Added template {}: {}\n", t.id, names.template(t))
            })
        }
        ScheduleCmd::Template(TemplateCmd::List { provider }) => {
            let pid = ctx.provider_id(provider.as_deref())?;
            let list = ctx.store.templates(pid.as_deref())?;
            let names = Names::load(ctx)?;
            let rows: Vec<[String; 9]> = list
                .iter()
                .map(|t| {
                    [
                        t.id.clone(),
                        names.provider(&t.provider_id),
                        names.location(&t.location_id),
                        weekday_name(t.weekday).to_string(),
                        format!("{}-{}", t.start_time, t.end_time),
                        t.slot_minutes.to_string(),
                        t.appointment_type_id
                            .as_deref()
                            .map(|x| names.kind(x))
                            .unwrap_or_default(),
                        format!(
                            "{} to {}",
                            t.effective_from,
                            t.effective_to.as_deref().unwrap_or("open")
                        ),
                        yes_no(t.active),
                    ]
                })
                .collect();
            ctx.out.show(&list, |_| {
                table_or(
                    [
                        "ID",
                        "PROVIDER",
                        "LOCATION",
                        "DAY",
                        "HOURS",
                        "SLOT MIN",
                        "TYPE",
                        "EFFECTIVE",
                        "ACTIVE",
                    ],
                    &rows,
                    "No schedule templates.",
                )
            })
        }
        ScheduleCmd::Template(TemplateCmd::End { id, last_day }) => {
            let t = ctx.store.end_template(&ctx.session, &id, last_day)?;
            ctx.out.show(&t, |t| {
                if t.active {
                    format!("Template {} now ends on {last_day}; materialize again to drop later slots.\n", t.id)
                } else {
                    format!("Template {} was switched off; materialize again to drop its slots.\n", t.id)
                }
            })
        }
        ScheduleCmd::Exception(ExceptionCmd::Add {
            provider,
            location,
            kind,
            from,
            to,
            reason,
        }) => {
            let input = ExceptionInput {
                provider_id: ctx.provider_id(provider.as_deref())?,
                location_id: ctx.location_id(location.as_deref())?,
                kind,
                starts: from.format("%Y-%m-%dT%H:%M").to_string(),
                ends: to.format("%Y-%m-%dT%H:%M").to_string(),
                reason,
            };
            let e = ctx.store.add_exception(&ctx.session, &input)?;
            let zone = input
                .location_id
                .as_deref()
                .map_or(ctx.zone(), |l| ctx.location_zone(l));
            ctx.out.show(&e, |e| exception_text(e, zone))
        }
        ScheduleCmd::Materialize { from, to } => {
            let r = ctx.store.materialize(&ctx.session, from, to)?;
            ctx.out.show(&r, |r| {
                format!(
                    "Materialized {from} to {to} ({} days): {} slots created, {} updated, {} removed, {} unchanged, {} kept for booked patients.\n",
                    r.days, r.created, r.updated, r.removed, r.unchanged, r.kept_booked
                )
            })
        }
        ScheduleCmd::Slots {
            provider,
            date,
            days,
        } => {
            let p = ctx.provider(&provider)?;
            let zone = ctx.zone();
            let first = date.unwrap_or_else(|| ctx.today());
            let last = first + Duration::days(i64::from(days) - 1);
            let (start, _) = zone.day_bounds(first);
            let (_, end) = zone.day_bounds(last);
            let slots = ctx.store.slots(&p.id, start, end)?;
            let names = Names::load(ctx)?;
            let rows: Vec<[String; 6]> = slots.iter().map(|s| names.slot_row(ctx, s)).collect();
            ctx.out.show(&slots, |_| {
                table_or(
                    ["ID", "START", "END", "LOCATION", "TYPE", "STATUS"],
                    &rows,
                    &format!(
                        "{} has no slots from {first} to {last}; add a template and materialize.",
                        p.display_name()
                    ),
                )
            })
        }
    }
}

fn exception_text(e: &ScheduleException, zone: clinicdesk_domain::ClinicZone) -> String {
    let mut s = format!(
        "Added {} {} from {} to {} ({}).\n",
        e.kind,
        e.id,
        local(zone, e.starts_at),
        local(zone, e.ends_at),
        e.reason
    );
    if !e.affected_appointments.is_empty() {
        s.push_str("These booked appointments fall inside it and need to be moved:\n");
        for a in &e.affected_appointments {
            s.push_str(&format!("  {a}\n"));
        }
    }
    s
}

pub fn weekday_name(n: u32) -> &'static str {
    ["?", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .get(n as usize)
        .copied()
        .unwrap_or("?")
}

/// Directory names for showing ids; the directory is small and not PHI.
pub struct Names {
    providers: HashMap<String, String>,
    locations: HashMap<String, String>,
    types: HashMap<String, String>,
}

impl Names {
    pub fn load(ctx: &Ctx) -> Result<Names> {
        Ok(Names {
            providers: ctx
                .store
                .providers()?
                .into_iter()
                .map(|p| (p.id.clone(), p.display_name()))
                .collect(),
            locations: ctx
                .store
                .locations()?
                .into_iter()
                .map(|l| (l.id, l.name))
                .collect(),
            types: ctx
                .store
                .appointment_types()?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
        })
    }

    pub fn provider(&self, id: &str) -> String {
        self.providers
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    pub fn location(&self, id: &str) -> String {
        self.locations
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    pub fn kind(&self, id: &str) -> String {
        self.types
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn template(&self, t: &Template) -> String {
        let mut s = format!(
            "{} at {}, {} {}-{} in {}-minute slots",
            self.provider(&t.provider_id),
            self.location(&t.location_id),
            weekday_name(t.weekday),
            t.start_time,
            t.end_time,
            t.slot_minutes
        );
        if let Some(ty) = &t.appointment_type_id {
            s.push_str(&format!(" for {}", self.kind(ty)));
        }
        s.push_str(&format!(
            ", from {}{}",
            t.effective_from,
            t.effective_to
                .as_deref()
                .map(|d| format!(" to {d}"))
                .unwrap_or_default()
        ));
        s
    }

    pub fn slot_row(&self, ctx: &Ctx, s: &Slot) -> [String; 6] {
        let zone = ctx.location_zone(&s.location_id);
        let status = if s.status == "open" && s.booked > 0 {
            format!("{} of {} booked", s.booked, s.capacity)
        } else {
            s.status.clone()
        };
        [
            s.id.clone(),
            local(zone, s.starts_at),
            hhmm(zone, s.ends_at),
            self.location(&s.location_id),
            opt(&s.appointment_type_id.as_deref().map(|t| self.kind(t))),
            status,
        ]
    }
}
