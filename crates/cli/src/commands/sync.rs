//! `sync`: enroll with the clinic server, sync now, and see how sync is
//! going and what needs staff attention.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::{count, fields, local, table_or};
use clinicdesk_domain::Permission;
use clinicdesk_store::{Conflict, Refusal, SyncProgress, SyncSettings};
use clinicdesk_sync::SyncError;
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum SyncCmd {
    /// Enroll this desktop with the clinic server (administrators), using a
    /// one-time code from `clinicdesk-server enroll-code`
    Enroll {
        /// The server's address, https://HOST:PORT
        url: String,
        /// The one-time enrollment code, like K7QP-M2XD-9TRW-4HCF
        code: String,
        /// How administrators will see this desktop [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Send queued changes and merge everyone else's now
    Now,
    /// Keep syncing until stopped (Ctrl-C): at once, whenever the server
    /// announces changes, and every --every seconds
    Watch {
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        every: u64,
    },
    /// Where this desktop syncs, what is queued and how the last sync went
    Status,
    /// Double bookings and duplicate MRNs found when merging, for staff to
    /// resolve
    Conflicts,
    /// Changes that could not be applied or were refused by the server
    Refusals,
    /// A fingerprint of this desktop's synced records (administrators): two
    /// desktops that have merged the same changes show the same one
    Digest,
}

impl From<SyncError> for CliError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(s) => CliError::Store(s),
            other => CliError::failed(other.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Status {
    enrolled: bool,
    settings: Option<SyncSettings>,
    queued_changes: i64,
    cursor: i64,
    open_conflicts: usize,
    refusals: usize,
    progress: SyncProgress,
}

pub fn run(ctx: &mut Ctx, cmd: SyncCmd) -> Result<()> {
    match cmd {
        SyncCmd::Enroll { url, code, name } => {
            ctx.session.require(Permission::StoreAdmin)?;
            let name = name.unwrap_or_else(host_name);
            let s = clinicdesk_sync::enroll(&mut ctx.store, &ctx.session, &url, &code, &name)?;
            ctx.out.show(&s, |s| {
                let roles: Vec<&str> = s.roles.iter().map(|r| r.label()).collect();
                format!(
                    "Enrolled as \"{}\" with {}.\nServer certificate: {}\nThis desktop receives what these roles may see: {}.\n",
                    s.device_name,
                    s.url,
                    if s.fingerprint.is_empty() { "none (plain HTTP on this machine)" } else { &s.fingerprint },
                    roles.join(", ")
                )
            })
        }
        SyncCmd::Now => {
            ctx.session.require(Permission::AppointmentRead)?;
            let out = clinicdesk_sync::sync_now(&mut ctx.store)?;
            ctx.out.show(&out, |o| {
                let mut s = format!(
                    "Synced: {} sent, {} received ({} applied).\n",
                    count(o.pushed, "change"),
                    count(o.pulled, "change"),
                    o.merge.applied
                );
                if o.rejected + o.merge.refused > 0 {
                    s.push_str(&format!(
                        "{} could not be applied; see `sync refusals`.\n",
                        count(o.rejected + o.merge.refused, "change")
                    ));
                }
                if o.merge.conflicts > 0 {
                    s.push_str(&format!(
                        "{} found; see `sync conflicts`.\n",
                        count(o.merge.conflicts, "conflict")
                    ));
                }
                s
            })
        }
        SyncCmd::Watch { every } => {
            ctx.session.require(Permission::AppointmentRead)?;
            let control = clinicdesk_sync::WatchControl::default();
            let zone = ctx.zone();
            clinicdesk_sync::watch(
                &mut ctx.store,
                std::time::Duration::from_secs(every),
                &control,
                |e| {
                    let now = local(zone, clinicdesk_store::write::now_seconds());
                    let line = match e {
                        clinicdesk_sync::WatchEvent::Synced(o) => format!(
                            "{now}  synced: {} sent, {} received\n",
                            count(o.pushed, "change"),
                            count(o.pulled, "change")
                        ),
                        clinicdesk_sync::WatchEvent::Failed(err) => {
                            format!("{now}  offline, will retry: {err}\n")
                        }
                    };
                    let _ = crate::output::emit(&line);
                },
            )?;
            Ok(())
        }
        SyncCmd::Status => {
            ctx.session.require(Permission::AppointmentRead)?;
            let settings = ctx.store.sync_settings()?;
            let status = Status {
                enrolled: settings.is_some(),
                settings,
                queued_changes: ctx.store.queued_changes()?,
                cursor: ctx.store.sync_cursor()?,
                open_conflicts: ctx.store.sync_conflicts(&ctx.session)?.len(),
                refusals: ctx.store.sync_refusals()?.len(),
                progress: ctx.store.sync_progress()?,
            };
            let zone = ctx.zone();
            ctx.out.show(&status, |s| {
                let when = |t: Option<i64>| t.map_or("never".to_string(), |t| local(zone, t));
                let mut pairs = vec![(
                    "Server",
                    s.settings
                        .as_ref()
                        .map_or("not enrolled".to_string(), |x| x.url.clone()),
                )];
                pairs.push(("Queued changes", s.queued_changes.to_string()));
                pairs.push(("Last successful sync", when(s.progress.last_success_at)));
                if let Some(e) = &s.progress.last_error {
                    pairs.push(("Last attempt failed", e.clone()));
                }
                pairs.push(("Open conflicts", s.open_conflicts.to_string()));
                pairs.push(("Refused changes", s.refusals.to_string()));
                fields(&pairs)
            })
        }
        SyncCmd::Conflicts => {
            let list = ctx.store.sync_conflicts(&ctx.session)?;
            let zone = ctx.zone();
            ctx.out.show(&list, |l: &Vec<Conflict>| {
                let rows: Vec<[String; 3]> = l
                    .iter()
                    .map(|c| {
                        [
                            local(zone, c.raised_at),
                            c.detail.clone(),
                            if c.patient_ids.is_empty() {
                                c.appointment_ids.join(", ")
                            } else {
                                c.patient_ids.join(", ")
                            },
                        ]
                    })
                    .collect();
                table_or(
                    ["found", "conflict", "appointments or patients"],
                    &rows,
                    "No open conflicts.\n",
                )
            })
        }
        SyncCmd::Refusals => {
            ctx.session.require(Permission::StoreAdmin)?;
            let list = ctx.store.sync_refusals()?;
            let zone = ctx.zone();
            ctx.out.show(&list, |l: &Vec<Refusal>| {
                let rows: Vec<[String; 4]> = l
                    .iter()
                    .map(|r| {
                        [
                            local(zone, r.at),
                            r.table.clone(),
                            r.record_id.clone(),
                            r.reason.clone(),
                        ]
                    })
                    .collect();
                table_or(
                    ["when", "table", "record", "reason"],
                    &rows,
                    "No refused changes.\n",
                )
            })
        }
        SyncCmd::Digest => {
            ctx.session.require(Permission::StoreAdmin)?;
            let d = Digest {
                digest: ctx.store.sync_digest()?,
                queued_changes: ctx.store.queued_changes()?,
            };
            ctx.out.show(&d, |d| {
                let mut s = format!("{}\n", d.digest);
                if d.queued_changes > 0 {
                    s.push_str(&format!(
                        "{} not yet sent: sync before comparing with another desktop.\n",
                        count(d.queued_changes.max(0) as usize, "change")
                    ));
                }
                s
            })
        }
    }
}

#[derive(Serialize)]
struct Digest {
    digest: String,
    queued_changes: i64,
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "ClinicDesk desktop".into())
}
