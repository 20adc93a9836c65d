//! `audit`: check the tamper-evident trail and report on it.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::{emit, local, opt, table_or};
use chrono::NaiveDate;
use clinicdesk_domain::ClinicZone;
use clinicdesk_store::{AuditFilter, AuditRow, Verification};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// Check every entry of the audit trail; exit code 3 when it is broken
    Verify,
    /// List audit entries, oldest first
    Report {
        /// Only this user's actions (--user is the acting user)
        #[arg(long, visible_alias = "by", value_name = "USERNAME")]
        username: Option<String>,
        /// Only entries about this patient (id)
        #[arg(long, value_name = "PATIENT_ID")]
        patient: Option<String>,
        /// Only this action (login, read, book, sign...)
        #[arg(long)]
        action: Option<String>,
        /// Only this category (security, demographics, appointment, note...)
        #[arg(long)]
        category: Option<String>,
        /// From this clinic-local day
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Through this clinic-local day
        #[arg(long, value_parser = crate::args::date, value_name = "DATE")]
        to: Option<NaiveDate>,
        #[arg(long)]
        limit: Option<usize>,
        /// Print CSV instead of a table
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Serialize)]
struct VerifyReport {
    #[serde(flatten)]
    verification: Verification,
    /// The first entry that does not verify, when it still exists.
    first_broken_entry: Option<AuditRow>,
}

pub fn run(ctx: &mut Ctx, cmd: AuditCmd) -> Result<()> {
    let zone = ctx.zone();
    match cmd {
        AuditCmd::Verify => {
            let verification = ctx.store.verify_audit(&ctx.session)?;
            let first_broken_entry = match verification.first_broken {
                Some(seq) => ctx
                    .store
                    .audit_report(&ctx.session, &AuditFilter::default())?
                    .into_iter()
                    .find(|r| r.seq == seq),
                None => None,
            };
            let report = VerifyReport {
                verification,
                first_broken_entry,
            };
            ctx.out.show(&report, |r| verify_text(r, zone))?;
            let v = &report.verification;
            if v.intact {
                Ok(())
            } else {
                Err(CliError::AuditBroken(format!(
                    "the audit trail is broken at entry {}: {}",
                    v.first_broken.unwrap_or(0),
                    v.problem.as_deref().unwrap_or("unknown problem")
                )))
            }
        }
        AuditCmd::Report {
            username,
            patient,
            action,
            category,
            from,
            to,
            limit,
            csv,
        } => {
            if csv && ctx.out.json {
                return Err(CliError::usage("choose one of --csv and --json"));
            }
            let filter = AuditFilter {
                username: username.map(|u| u.trim().to_ascii_lowercase()),
                patient_id: patient,
                action,
                category,
                from: from.map(|d| zone.day_bounds(d).0),
                to: to.map(|d| zone.day_bounds(d).1),
                limit,
            };
            let rows = ctx.store.audit_report(&ctx.session, &filter)?;
            if csv {
                return emit(&clinicdesk_store::audit::to_csv(&rows, zone));
            }
            ctx.out.show(&rows, |rows| report_text(rows, zone))
        }
    }
}

fn verify_text(r: &VerifyReport, zone: ClinicZone) -> String {
    let v = &r.verification;
    if v.intact {
        return format!(
            "The audit trail is intact: {} entries verified.\n",
            v.entries
        );
    }
    let mut s = format!(
        "The audit trail is BROKEN at entry {}: {}\n{} entries before it verify.\n",
        v.first_broken.unwrap_or(0),
        v.problem.as_deref().unwrap_or("unknown problem"),
        v.entries
    );
    if let Some(e) = &r.first_broken_entry {
        s.push_str(&format!(
            "Entry {} as stored: {} {} {}/{} {}\n",
            e.seq,
            local(zone, e.at),
            e.username,
            e.category,
            e.action,
            e.detail
        ));
    }
    s
}

fn report_text(rows: &[AuditRow], zone: ClinicZone) -> String {
    let table_rows: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.seq.to_string(),
                local(zone, r.at),
                r.username.clone(),
                format!("{}/{}", r.category, r.action),
                opt(&r.patient_id),
                opt(&r.record_id),
                r.detail.clone(),
            ]
        })
        .collect();
    table_or(
        [
            "SEQ", "WHEN", "USER", "ACTION", "PATIENT", "RECORD", "DETAIL",
        ],
        &table_rows,
        "No audit entries match.",
    )
}
