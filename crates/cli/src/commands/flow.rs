//! `flow-board`: the day's visits at a location and who is waiting.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{count, opt, rfc3339_local, table};
use chrono::NaiveDate;
use clinicdesk_domain::AppointmentStatus;
use clinicdesk_store::FlowRow;

#[derive(Debug, clap::Args)]
pub struct FlowBoardArgs {
    /// Location id or name [default: every location]
    #[arg(long)]
    location: Option<String>,
    /// [default: today at the location]
    #[arg(long, value_parser = crate::args::date)]
    date: Option<NaiveDate>,
}

pub fn run(ctx: &mut Ctx, a: FlowBoardArgs) -> Result<()> {
    let location = a.location.as_deref().map(|l| ctx.location(l)).transpose()?;
    let zone = location
        .as_ref()
        .map_or(ctx.zone(), |l| ctx.location_zone(&l.id));
    let date = a.date.unwrap_or_else(|| zone.today());
    let board = ctx.store.flow_board(
        &ctx.session,
        location.as_ref().map(|l| l.id.as_str()),
        Some(date),
    )?;
    let place = location
        .as_ref()
        .map_or("all locations".to_string(), |l| l.name.clone());
    ctx.out.show(&board, |b| text(b, &place, date))
}

fn text(board: &[FlowRow], place: &str, date: NaiveDate) -> String {
    let waiting = board
        .iter()
        .filter(|r| r.appointment.status == AppointmentStatus::Arrived)
        .count();
    let mut s = format!(
        "Flow board, {place}, {date}: {}, {waiting} waiting\n",
        count(board.len(), "visit")
    );
    if board.is_empty() {
        return s;
    }
    let rows: Vec<[String; 8]> = board
        .iter()
        .map(|r| {
            let a = &r.appointment;
            let mut status = a.status.label().to_string();
            if a.status == AppointmentStatus::Arrived {
                status.push_str(", waiting");
            }
            if r.late {
                status.push_str(", late");
            }
            [
                rfc3339_local(&a.local_start)
                    .get(11..)
                    .unwrap_or_default()
                    .to_string(),
                format!("{} ({})", a.patient_name, a.mrn),
                a.provider_name.clone(),
                a.appointment_type.clone(),
                status,
                opt(&a.room_name),
                r.waiting_minutes
                    .map(|m| format!("{m} min"))
                    .unwrap_or_default(),
                a.id.clone(),
            ]
        })
        .collect();
    s.push('\n');
    s.push_str(&table(
        [
            "TIME", "PATIENT", "PROVIDER", "TYPE", "STATUS", "ROOM", "WAITED", "ID",
        ],
        &rows,
    ));
    s
}
