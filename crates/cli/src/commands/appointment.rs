//! `appointment`: booking, rescheduling, and the visit lifecycle.

use crate::commands::schedule::Names;
use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::{count, fields, hhmm, local, opt, rfc3339_local, table, table_or};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_store::booking::AppointmentEvent;
use clinicdesk_store::{Appointment, BookingRequest, CalendarView, NextAvailableQuery};
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Placement {
    /// Book into this slot (from `schedule slots` or `next-available`)
    #[arg(long, conflicts_with = "start")]
    slot: Option<String>,
    /// Start time, 'YYYY-MM-DDTHH:MM' in the location's time
    #[arg(long, value_parser = crate::args::datetime, value_name = "DATETIME")]
    start: Option<NaiveDateTime>,
    /// Provider id, NPI or name
    #[arg(long)]
    provider: Option<String>,
    /// Location id or name
    #[arg(long)]
    location: Option<String>,
    /// Appointment type id or name [default: the slot's type]
    #[arg(long = "type", value_name = "TYPE")]
    appointment_type: Option<String>,
    /// Exam room id or name
    #[arg(long)]
    room: Option<String>,
    /// Reason for the visit
    #[arg(long)]
    reason: Option<String>,
    /// Book past capacity, availability or an exception, saying why
    #[arg(long, value_name = "REASON")]
    overbook: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum AppointmentCmd {
    /// Book an appointment: into a slot, or with a provider at a start time
    Book {
        /// Patient id or MRN
        #[arg(long)]
        patient: String,
        #[command(flatten)]
        place: Placement,
    },
    /// Move a booked appointment; the old one is cancelled and linked to the new
    Reschedule {
        id: String,
        #[command(flatten)]
        place: Placement,
    },
    /// Cancel an appointment
    Cancel {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Record that the patient did not come
    NoShow {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Record that the patient confirmed
    Confirm { id: String },
    /// Check the patient in (on the day of the appointment)
    CheckIn { id: String },
    /// Put the patient in an exam room
    Room {
        id: String,
        /// Room id or name at the appointment's location
        #[arg(long)]
        room: Option<String>,
    },
    /// The provider starts seeing the patient
    Start { id: String },
    /// The visit is over
    Complete { id: String },
    /// An appointment's status and history
    Status { id: String },
    /// The earliest open times for an appointment type
    NextAvailable {
        /// Appointment type id or name
        #[arg(long = "type", value_name = "TYPE")]
        appointment_type: String,
        /// Provider id, NPI or name
        #[arg(long)]
        provider: Option<String>,
        /// Location id or name
        #[arg(long)]
        location: Option<String>,
        /// [default: today]
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// [default: 30 days after --from]
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        to: Option<NaiveDate>,
        /// Not before this time of day, HH:MM
        #[arg(long, value_parser = crate::args::time, value_name = "HH:MM")]
        after: Option<NaiveTime>,
        /// Not after this time of day, HH:MM
        #[arg(long, value_parser = crate::args::time, value_name = "HH:MM")]
        before: Option<NaiveTime>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// A provider's week (Monday to Sunday) of slots and appointments
    Week {
        /// Provider id, NPI or name
        #[arg(long)]
        provider: String,
        /// Any day of the week [default: today]
        #[arg(long, value_parser = crate::args::date)]
        date: Option<NaiveDate>,
    },
}

#[derive(Serialize)]
struct StatusReport {
    appointment: Appointment,
    history: Vec<AppointmentEvent>,
}

pub fn run(ctx: &mut Ctx, cmd: AppointmentCmd) -> Result<()> {
    use AppointmentStatus::*;
    match cmd {
        AppointmentCmd::Book { patient, place } => {
            let patient_id = ctx.patient(&patient)?.id;
            let req = request(ctx, patient_id, place, None)?;
            let a = ctx.store.book(&ctx.session, &req)?;
            ctx.out.show(&a, |a| format!("Booked {}\n", line(a)))
        }
        AppointmentCmd::Reschedule { id, place } => {
            let old = ctx.store.appointment(&ctx.session, &id)?;
            let req = request(ctx, old.patient_id.clone(), place, Some(&old))?;
            let a = ctx.store.reschedule(&ctx.session, &id, &req)?;
            ctx.out.show(&a, |a| {
                format!(
                    "Rescheduled to {}\nThe old appointment {id} is cancelled as rescheduled.\n",
                    line(a)
                )
            })
        }
        AppointmentCmd::Cancel { id, reason } => set(ctx, &id, Cancelled, Some(&reason)),
        AppointmentCmd::NoShow { id, reason } => set(ctx, &id, NoShow, reason.as_deref()),
        AppointmentCmd::Confirm { id } => set(ctx, &id, Confirmed, None),
        AppointmentCmd::CheckIn { id } => set(ctx, &id, Arrived, None),
        AppointmentCmd::Start { id } => set(ctx, &id, WithProvider, None),
        AppointmentCmd::Complete { id } => set(ctx, &id, Completed, None),
        AppointmentCmd::Room { id, room } => {
            let room_id = match room {
                Some(r) => {
                    let a = ctx.store.appointment(&ctx.session, &id)?;
                    Some(ctx.store.find_room(&a.location_id, &r)?.id)
                }
                None => None,
            };
            let a = ctx.store.room(&ctx.session, &id, room_id.as_deref())?;
            ctx.out.show(&a, |a| format!("{}\n", line(a)))
        }
        AppointmentCmd::Status { id } => {
            let appointment = ctx.store.appointment(&ctx.session, &id)?;
            let history = ctx.store.appointment_history(&ctx.session, &id)?;
            let zone = ctx.location_zone(&appointment.location_id);
            let report = StatusReport {
                appointment,
                history,
            };
            ctx.out.show(&report, |r| status_text(r, zone))
        }
        AppointmentCmd::NextAvailable {
            appointment_type,
            provider,
            location,
            from,
            to,
            after,
            before,
            limit,
        } => {
            let from = from.unwrap_or_else(|| ctx.today());
            let q = NextAvailableQuery {
                appointment_type_id: ctx.appointment_type(&appointment_type)?.id,
                provider_id: ctx.provider_id(provider.as_deref())?,
                location_id: ctx.location_id(location.as_deref())?,
                from,
                to: to.unwrap_or(from + Duration::days(30)),
                earliest: after,
                latest: before,
                limit,
            };
            let found = ctx.store.next_available(&ctx.session, &q)?;
            let names = Names::load(ctx)?;
            let rows: Vec<[String; 4]> = found
                .iter()
                .map(|o| {
                    [
                        rfc3339_local(&o.local_start),
                        names.provider(&o.provider_id),
                        names.location(&o.location_id),
                        o.slot_id.clone(),
                    ]
                })
                .collect();
            ctx.out.show(&found, |_| {
                table_or(
                    ["START", "PROVIDER", "LOCATION", "SLOT"],
                    &rows,
                    "No open times in that range.",
                )
            })
        }
        AppointmentCmd::Week { provider, date } => {
            let p = ctx.provider(&provider)?;
            let day = date.unwrap_or_else(|| ctx.today());
            let week = ctx.store.week_view(&ctx.session, &p.id, day)?;
            let zone = ctx.zone();
            ctx.out
                .show(&week, |w| week_text(w, &p.display_name(), zone))
        }
    }
}

/// Resolves names to ids. `old` is the appointment being rescheduled.
fn request(
    ctx: &Ctx,
    patient_id: String,
    p: Placement,
    old: Option<&Appointment>,
) -> Result<BookingRequest> {
    let slot = p.slot.as_deref().map(|s| ctx.store.slot(s)).transpose()?;
    let provider_id = ctx.provider_id(p.provider.as_deref())?;
    let mut location_id = ctx.location_id(p.location.as_deref())?;
    if slot.is_none() && old.is_none() {
        if p.start.is_none() || provider_id.is_none() {
            return Err(CliError::usage("say where to book: --slot SLOT, or --provider and --start (with --location when the clinic has several)"));
        }
        if location_id.is_none() {
            location_id = Some(only_location(ctx)?);
        }
    }
    if old.is_some() && slot.is_none() && p.start.is_none() {
        return Err(CliError::usage(
            "say where to move the appointment: --slot SLOT or --start 'YYYY-MM-DDTHH:MM'",
        ));
    }
    let room_id = match &p.room {
        Some(r) => {
            let loc = slot
                .as_ref()
                .map(|s| s.location_id.clone())
                .or_else(|| location_id.clone())
                .or_else(|| old.map(|a| a.location_id.clone()))
                .ok_or_else(|| {
                    CliError::usage("say which location the room is at with --location")
                })?;
            Some(ctx.store.find_room(&loc, r)?.id)
        }
        None => None,
    };
    let mut appointment_type_id = ctx.type_id(p.appointment_type.as_deref())?;
    if appointment_type_id.is_none() && slot.is_none() && old.is_none() {
        appointment_type_id =
            default_type(ctx, provider_id.as_deref(), location_id.as_deref(), p.start)?;
        if appointment_type_id.is_none() {
            return Err(CliError::usage("say which appointment type with --type"));
        }
    }
    Ok(BookingRequest {
        patient_id,
        slot_id: slot.map(|s| s.id),
        start: p.start,
        provider_id,
        location_id,
        appointment_type_id,
        room_id,
        reason: p.reason,
        overbook_reason: p.overbook,
    })
}

/// Without `--type`, a booking by start time takes the type of the slot
/// that starts then, or the clinic's only appointment type.
fn default_type(
    ctx: &Ctx,
    provider_id: Option<&str>,
    location_id: Option<&str>,
    start: Option<NaiveDateTime>,
) -> Result<Option<String>> {
    if let (Some(provider), Some(location), Some(start)) = (provider_id, location_id, start) {
        if let Ok(at) = ctx
            .location_zone(location)
            .to_utc(start.date(), start.time())
        {
            let at = at.timestamp();
            let held = ctx
                .store
                .slots(provider, at, at + 1)?
                .into_iter()
                .find(|s| s.location_id == location);
            if let Some(t) = held.and_then(|s| s.appointment_type_id) {
                return Ok(Some(t));
            }
        }
    }
    let active: Vec<_> = ctx
        .store
        .appointment_types()?
        .into_iter()
        .filter(|t| t.active)
        .collect();
    Ok(match active.as_slice() {
        [one] => Some(one.id.clone()),
        _ => None,
    })
}

/// A clinic with one location needs no `--location`.
fn only_location(ctx: &Ctx) -> Result<String> {
    let active: Vec<_> = ctx
        .store
        .locations()?
        .into_iter()
        .filter(|l| l.active)
        .collect();
    match active.as_slice() {
        [one] => Ok(one.id.clone()),
        _ => Err(CliError::usage("say which location with --location")),
    }
}

fn set(ctx: &mut Ctx, id: &str, to: AppointmentStatus, reason: Option<&str>) -> Result<()> {
    let a = ctx.store.set_status(&ctx.session, id, to, reason)?;
    ctx.out.show(&a, |a| format!("{}\n", line(a)))
}

/// One line about an appointment, times in its location's zone.
pub fn line(a: &Appointment) -> String {
    let end = rfc3339_local(&a.local_end);
    format!(
        "{}: {} to {}, {} (MRN {}) with {} at {}, {}: {}",
        a.id,
        rfc3339_local(&a.local_start),
        end.get(11..).unwrap_or(&end),
        a.patient_name,
        a.mrn,
        a.provider_name,
        a.location_name,
        a.appointment_type,
        a.status.label()
    )
}

fn status_text(r: &StatusReport, zone: clinicdesk_domain::ClinicZone) -> String {
    let a = &r.appointment;
    let at = |t: Option<i64>| t.map(|t| local(zone, t)).unwrap_or_default();
    let mut s = fields(&[
        ("appointment", a.id.clone()),
        ("status", a.status.label().to_string()),
        ("patient", format!("{} (MRN {})", a.patient_name, a.mrn)),
        ("provider", a.provider_name.clone()),
        ("location", a.location_name.clone()),
        ("room", opt(&a.room_name)),
        ("type", a.appointment_type.clone()),
        ("starts", rfc3339_local(&a.local_start)),
        ("ends", rfc3339_local(&a.local_end)),
        ("reason", opt(&a.reason)),
        ("overbooked", opt(&a.overbook_reason)),
        ("cancelled", opt(&a.cancel_reason)),
        ("rescheduled from", opt(&a.rescheduled_from)),
        ("rescheduled to", opt(&a.rescheduled_to)),
        ("arrived", at(a.arrived_at)),
        ("roomed", at(a.roomed_at)),
        ("seen", at(a.seen_at)),
        ("completed", at(a.completed_at)),
    ]);
    s.push_str("\nhistory:\n");
    let rows: Vec<[String; 4]> = r
        .history
        .iter()
        .map(|e| {
            [
                local(zone, e.at),
                format!(
                    "{} -> {}",
                    e.from_status.as_deref().unwrap_or("new"),
                    e.to_status
                ),
                e.user_id.clone(),
                opt(&e.reason),
            ]
        })
        .collect();
    s.push_str(&table_or(
        ["WHEN", "CHANGE", "BY (USER ID)", "REASON"],
        &rows,
        "no changes recorded",
    ));
    s
}

fn week_text(w: &CalendarView, provider: &str, zone: clinicdesk_domain::ClinicZone) -> String {
    let mut s = format!("{provider}, week of {} to {}\n", w.from, w.to);
    let mut day = w.from;
    while day <= w.to {
        let open = w
            .slots
            .iter()
            .filter(|sl| {
                zone.local_date(sl.starts_at) == day
                    && sl.status == "open"
                    && sl.booked < sl.capacity
            })
            .count();
        let booked = w
            .appointments
            .iter()
            .filter(|a| zone.local_date(a.starts_at) == day)
            .count();
        if open > 0 || booked > 0 {
            s.push_str(&format!(
                "{} {day}: {}, {} open\n",
                day.weekday(),
                count(booked, "appointment"),
                count(open, "slot")
            ));
        }
        day += Duration::days(1);
    }
    if w.slots.is_empty() && w.appointments.is_empty() {
        s.push_str("No slots or appointments this week.\n");
        return s;
    }
    let rows: Vec<[String; 6]> = w
        .appointments
        .iter()
        .map(|a| {
            [
                rfc3339_local(&a.local_start),
                hhmm(zone, a.ends_at),
                format!("{} (MRN {})", a.patient_name, a.mrn),
                a.appointment_type.clone(),
                a.status.label().to_string(),
                a.id.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        s.push('\n');
        s.push_str(&table(
            ["START", "END", "PATIENT", "TYPE", "STATUS", "ID"],
            &rows,
        ));
    }
    s
}
