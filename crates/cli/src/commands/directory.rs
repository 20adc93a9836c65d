//! `provider`, `location`, `room`, `type`: the clinic's directory.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{opt, table_or, yes_no};
use clinicdesk_store::{NewAppointmentType, NewLocation, NewProvider};

#[derive(Debug, clap::Subcommand)]
pub enum ProviderCmd {
    /// Add a provider
    Add {
        #[arg(long)]
        given: String,
        #[arg(long)]
        family: String,
        /// National Provider Identifier (10 digits)
        #[arg(long)]
        npi: Option<String>,
        #[arg(long)]
        specialty: Option<String>,
        /// e.g. MD, DO, NP
        #[arg(long)]
        credentials: Option<String>,
    },
    /// List providers
    List,
}

#[derive(Debug, clap::Subcommand)]
pub enum LocationCmd {
    /// Add a location
    Add {
        #[arg(long)]
        name: String,
        /// IANA time zone [default: the clinic's]
        #[arg(long, value_name = "IANA")]
        timezone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// List locations
    List,
}

#[derive(Debug, clap::Subcommand)]
pub enum RoomCmd {
    /// Add an exam room to a location
    Add {
        /// Location id or name
        #[arg(long)]
        location: String,
        #[arg(long)]
        name: String,
    },
    /// List the rooms of a location
    List {
        /// Location id or name
        #[arg(long)]
        location: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TypeCmd {
    /// Add an appointment type
    Add {
        #[arg(long)]
        name: String,
        /// Length of the visit
        #[arg(long)]
        minutes: i64,
        /// Calendar colour, like '#1e88e5'
        #[arg(long)]
        color: String,
        /// Patients one slot takes (group visits)
        #[arg(long, default_value_t = 1)]
        capacity: i64,
    },
    /// List appointment types
    List,
}

pub fn provider(ctx: &mut Ctx, cmd: ProviderCmd) -> Result<()> {
    match cmd {
        ProviderCmd::Add {
            given,
            family,
            npi,
            specialty,
            credentials,
        } => {
            let p = ctx.store.add_provider(
                &ctx.session,
                NewProvider {
                    given_name: given,
                    family_name: family,
                    npi,
                    specialty,
                    credentials,
                },
            )?;
            ctx.out.show(&p, |p| {
                format!("Added provider {} ({}).\n", p.display_name(), p.id)
            })
        }
        ProviderCmd::List => {
            let list = ctx.store.providers()?;
            let rows: Vec<[String; 5]> = list
                .iter()
                .map(|p| {
                    [
                        p.id.clone(),
                        p.display_name(),
                        opt(&p.npi),
                        opt(&p.specialty),
                        yes_no(p.active),
                    ]
                })
                .collect();
            ctx.out.show(&list, |_| {
                table_or(
                    ["ID", "NAME", "NPI", "SPECIALTY", "ACTIVE"],
                    &rows,
                    "No providers yet.",
                )
            })
        }
    }
}

pub fn location(ctx: &mut Ctx, cmd: LocationCmd) -> Result<()> {
    match cmd {
        LocationCmd::Add {
            name,
            timezone,
            address,
            phone,
        } => {
            let l = ctx.store.add_location(
                &ctx.session,
                NewLocation {
                    name,
                    timezone,
                    address,
                    phone,
                },
            )?;
            ctx.out.show(&l, |l| {
                format!("Added location {} ({}, {}).\n", l.name, l.timezone, l.id)
            })
        }
        LocationCmd::List => {
            let list = ctx.store.locations()?;
            let rows: Vec<[String; 5]> = list
                .iter()
                .map(|l| {
                    [
                        l.id.clone(),
                        l.name.clone(),
                        l.timezone.clone(),
                        opt(&l.address),
                        yes_no(l.active),
                    ]
                })
                .collect();
            ctx.out.show(&list, |_| {
                table_or(
                    ["ID", "NAME", "TIME ZONE", "ADDRESS", "ACTIVE"],
                    &rows,
                    "No locations yet.",
                )
            })
        }
    }
}

pub fn room(ctx: &mut Ctx, cmd: RoomCmd) -> Result<()> {
    match cmd {
        RoomCmd::Add { location, name } => {
            let r = ctx.store.add_room(&ctx.session, &location, &name)?;
            ctx.out
                .show(&r, |r| format!("Added room {} ({}).\n", r.name, r.id))
        }
        RoomCmd::List { location } => {
            let loc = ctx.location(&location)?;
            let list = ctx.store.rooms(&loc.id)?;
            let rows: Vec<[String; 3]> = list
                .iter()
                .map(|r| [r.id.clone(), r.name.clone(), yes_no(r.active)])
                .collect();
            ctx.out.show(&list, |_| {
                table_or(
                    ["ID", "NAME", "ACTIVE"],
                    &rows,
                    &format!("{} has no rooms yet.", loc.name),
                )
            })
        }
    }
}

pub fn appointment_type(ctx: &mut Ctx, cmd: TypeCmd) -> Result<()> {
    match cmd {
        TypeCmd::Add {
            name,
            minutes,
            color,
            capacity,
        } => {
            let t = ctx.store.add_appointment_type(
                &ctx.session,
                NewAppointmentType {
                    name,
                    duration_minutes: minutes,
                    color,
                    capacity,
                },
            )?;
            ctx.out.show(&t, |t| {
                format!(
                    "Added appointment type {} ({} minutes, {}).\n",
                    t.name, t.duration_minutes, t.id
                )
            })
        }
        TypeCmd::List => {
            let list = ctx.store.appointment_types()?;
            let rows: Vec<[String; 6]> = list
                .iter()
                .map(|t| {
                    [
                        t.id.clone(),
                        t.name.clone(),
                        t.duration_minutes.to_string(),
                        t.color.clone(),
                        t.capacity.to_string(),
                        yes_no(t.active),
                    ]
                })
                .collect();
            ctx.out.show(&list, |_| {
                table_or(
                    ["ID", "NAME", "MINUTES", "COLOR", "CAPACITY", "ACTIVE"],
                    &rows,
                    "No appointment types yet.",
                )
            })
        }
    }
}
