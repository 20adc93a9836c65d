//! `info`: which clinic this is, its time zone and clock, and how it is kept.

use crate::commands::init::key_source_text;
use crate::context::Ctx;
use crate::error::Result;
use crate::output::fields;
use chrono::Datelike;
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
