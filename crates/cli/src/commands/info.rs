//! `info`: which clinic this is, its time zone and clock, and how it is
//! kept; `clinic set`: renaming it or changing its time zone.

use crate::commands::init::key_source_text;
use crate::context::Ctx;
use crate::error::Result;
use crate::output::fields;
use chrono::Datelike;
use clinicdesk_domain::ClinicZone;
use clinicdesk_store::clinic::ClinicChange;
use serde::Serialize;

#[derive(Serialize)]
struct Info {
    clinic_name: String,
    data_dir: String,
    timezone: String,
    /// Now, clinic-local, RFC 3339.
    local_now: String,
    today: String,
    weekday: String,
    key_source: clinicdesk_store::KeySource,
    schema_version: i64,
    device_id: String,
    user: clinicdesk_store::Session,
}

pub fn run(ctx: &mut Ctx) -> Result<()> {
    let zone = ctx.zone();
    let now = chrono::Utc::now().timestamp();
    let today = zone.local_date(now);
    let info = Info {
        clinic_name: ctx.store.clinic_name()?,
        data_dir: ctx.store.dir().display().to_string(),
        timezone: zone.name().to_string(),
        local_now: zone.rfc3339(now),
        today: today.to_string(),
        weekday: today.weekday().to_string().to_lowercase(),
        key_source: ctx.store.key_source(),
        schema_version: ctx.store.schema_version()?,
        device_id: ctx.store.device_id().to_string(),
        user: ctx.session.clone(),
    };
    ctx.out.show(&info, |i| {
        fields(&[
            ("clinic", i.clinic_name.clone()),
            ("data directory", i.data_dir.clone()),
            ("time zone", i.timezone.clone()),
            ("local time", crate::output::rfc3339_local(&i.local_now)),
            ("store key", key_source_text(i.key_source).to_string()),
            ("schema version", i.schema_version.to_string()),
            ("device", i.device_id.clone()),
            (
                "logged in as",
                format!(
                    "{} ({}, {})",
                    i.user.username,
                    i.user.display_name,
                    i.user.role.label()
                ),
            ),
        ])
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum ClinicCmd {
    /// Rename the clinic or move it to another time zone (administrators);
    /// every desktop of the clinic follows once it syncs
    Set {
        /// The clinic's new name
        #[arg(long)]
        name: Option<String>,
        /// The clinic's new time zone, an IANA name such as America/Chicago
        #[arg(long, value_parser = crate::args::zone)]
        timezone: Option<ClinicZone>,
    },
}

pub fn clinic(ctx: &mut Ctx, cmd: ClinicCmd) -> Result<()> {
    match cmd {
        ClinicCmd::Set { name, timezone } => {
            let s = ctx
                .store
                .set_clinic_settings(&ctx.session, &ClinicChange { name, timezone })?;
            ctx.out.show(&s, |s| {
                fields(&[
                    ("clinic", s.name.clone()),
                    ("time zone", s.timezone.clone()),
                ])
            })
        }
    }
}
