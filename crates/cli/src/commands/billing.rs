//! Billing from the command line: the ICD-10-CM code set, the fee
//! schedule, claims (create, scrub, submit as 837P), acknowledgements
//! (999, 277CA), claim status (276/277), batches sent through CORE or an
//! SFTP drop and answers picked up from it, remittances (835), the denials
//! worklist and A/R aging.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::table_or;
use clinicdesk_billing::claim_status::{self, StatusReport};
use clinicdesk_billing::send::{self, Attempt};
use clinicdesk_billing::BillingError;
use clinicdesk_clearinghouse::check_claim_status;
use clinicdesk_domain::money::dollars;
use clinicdesk_keys::Keychain;
use clinicdesk_store::claims::display_icd10;
use clinicdesk_store::{ClaimDraft, LineDraft};
use std::path::PathBuf;

impl From<BillingError> for CliError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::Store(s) => CliError::Store(s),
            other => CliError::failed(other.to_string()),
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum CodesCmd {
    /// Load a code set from the TSV scripts/fetch-code-sets.sh writes:
    /// `icd10cm` (code, billable 0/1, description) or `drugs` (spoken
    /// name, generic name, brand 0/1)
    Import {
        /// `icd10cm` or `drugs`
        set: String,
        file: PathBuf,
    },
    /// Look a diagnosis code up
    Show { code: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum FeeCmd {
    /// Set the charge for a procedure (and modifier)
    Set {
        /// CPT or HCPCS code
        code: String,
        /// In dollars, e.g. 125.00
        charge: String,
        #[arg(long)]
        description: String,
        #[arg(long)]
        modifier: Option<String>,
    },
    /// The fee schedule
    List,
}

#[derive(Debug, clap::Subcommand)]
pub enum ClaimCmd {
    /// Draft a claim for a finished encounter
    Create {
        #[arg(long)]
        encounter: String,
        /// ICD-10-CM, principal first (repeat)
        #[arg(long = "dx", required = true)]
        diagnoses: Vec<String>,
        /// CODE[:UNITS[:MOD,MOD[:POINTERS]]], e.g. 99213 or 99214:1:25:1,2 (repeat)
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
    },
    /// One claim, with its payments
    Show { id: String },
    /// Claims, newest first
    List {
        /// draft, submitted, accepted, rejected, paid, partial, denied
        #[arg(long)]
        status: Vec<String>,
    },
    /// What keeps a claim from being sent (exit 1 when anything does)
    Scrub { id: String },
    /// Send draft claims as 837P batches through each payer's connection
    /// (CORE or SFTP drop); a batch that cannot go now stays queued. With
    /// --out, write each batch's X12 to DIR instead, to hand over by hand
    Submit {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Send a batch again by its control number (delivered once however often it is sent)
    Resend { control_number: i64 },
    /// Send every queued batch that is due
    Send,
    /// Pick up 999, 277CA and 835 files from the SFTP drops and apply them
    Fetch {
        /// Only this connection
        #[arg(long)]
        connection: Option<String>,
    },
    /// Apply a file of 999 and 277CA acknowledgements
    Ack { file: PathBuf },
    /// Ask the payer where sent claims stand (276/277, real time) and record the answers
    Status {
        /// The claim to ask about
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every submitted or accepted claim still waiting for a final answer
        #[arg(long)]
        all: bool,
    },
    /// Denied and rejected claims with their reasons
    Denials,
    /// Ask about every sent claim due for a follow-up (open 14 days after
    /// sending, then weekly), as the app does every hour by itself
    FollowUp,
}

#[derive(Debug, clap::Subcommand)]
pub enum RemitCmd {
    /// Post the payments of an 835
    Post { file: PathBuf },
}

#[derive(Debug, clap::Subcommand)]
pub enum ArCmd {
    /// Outstanding payer balances by age
    Aging,
}

fn read(file: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(file)
        .map_err(|e| CliError::failed(format!("cannot read {}: {e}", file.display())))
}

fn cents(dollars: &str) -> Result<i64> {
    let t = dollars.trim().trim_start_matches('$');
    let (whole, frac) = t.split_once('.').unwrap_or((t, "0"));
    let frac = format!("{frac:0<2}");
    match (whole.parse::<i64>(), frac.len() == 2, frac.parse::<i64>()) {
        (Ok(w), true, Ok(f)) if w >= 0 => Ok(w * 100 + f),
        _ => Err(CliError::usage(format!(
            "\"{dollars}\" is not an amount in dollars, like 125.00"
        ))),
    }
}

/// `99214:1:25:1,2` → a line draft.
fn line(spec: &str) -> Result<LineDraft> {
    let mut parts = spec.split(':');
    let code = parts.next().unwrap_or_default().to_string();
    let units = match parts.next().filter(|u| !u.is_empty()) {
        Some(u) => u.parse().map_err(|_| {
            CliError::usage(format!("\"{u}\" in --line {spec} is not a number of units"))
        })?,
        None => 1,
    };
    let modifiers = parts
        .next()
        .map(|m| {
            m.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let pointers = match parts.next() {
        Some(p) => p
            .split(',')
            .map(|n| {
                n.parse::<u8>().map_err(|_| {
                    CliError::usage(format!(
                        "\"{n}\" in --line {spec} is not a diagnosis position"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(LineDraft {
        code,
        modifiers,
        units,
        pointers,
    })
}

pub fn codes(ctx: &mut Ctx, cmd: CodesCmd) -> Result<()> {
    match cmd {
        CodesCmd::Import { set, file } => {
            if set != "icd10cm" && set != "drugs" {
                return Err(CliError::usage(format!(
                    "unknown code set \"{set}\"; icd10cm or drugs can be imported"
                )));
            }
            let text = String::from_utf8(read(&file)?)
                .map_err(|_| CliError::failed(format!("{} is not UTF-8 text", file.display())))?;
            let source = file
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let bad = |e: String| CliError::failed(format!("{} {e}", file.display()));
            let (n, what) = if set == "drugs" {
                let rows =
                    clinicdesk_store::terminology::parse_drug_names_tsv(&text).map_err(bad)?;
                (
                    ctx.store.import_drug_names(&ctx.session, rows, &source)?,
                    "drug names",
                )
            } else {
                let rows = clinicdesk_store::claims::parse_icd10cm_tsv(&text).map_err(bad)?;
                (
                    ctx.store.import_icd10cm(&ctx.session, rows, &source)?,
                    "ICD-10-CM codes",
                )
            };
            let done = serde_json::json!({ "set": set, "codes": n });
            ctx.out.show(&done, |_| format!("Loaded {n} {what}.\n"))
        }
        CodesCmd::Show { code } => match ctx.store.icd10cm(&code)? {
            None => Err(CliError::failed(format!(
                "{} is not an ICD-10-CM code",
                code.trim()
            ))),
            Some((billable, description)) => {
                let v = serde_json::json!({ "code": display_icd10(&clinicdesk_store::claims::normalize_icd10(&code)), "billable": billable, "description": description });
                ctx.out.show(&v, |_| {
                    format!(
                        "{} {description}{}\n",
                        display_icd10(&clinicdesk_store::claims::normalize_icd10(&code)),
                        if billable {
                            ""
                        } else {
                            " (a category: not billable)"
                        }
                    )
                })
            }
        },
    }
}

pub fn fee(ctx: &mut Ctx, cmd: FeeCmd) -> Result<()> {
    match cmd {
        FeeCmd::Set {
            code,
            charge,
            description,
            modifier,
        } => {
            let f = ctx.store.set_fee(
                &ctx.session,
                &code,
                modifier.as_deref(),
                &description,
                cents(&charge)?,
            )?;
            ctx.out.show(&f, |f| {
                format!(
                    "{} {} = {}\n",
                    f.code,
                    f.description,
                    dollars(f.charge_cents)
                )
            })
        }
        FeeCmd::List => {
            let fees = ctx.store.fees(&ctx.session)?;
            ctx.out.show(&fees, |fees| {
                let rows: Vec<[String; 4]> = fees
                    .iter()
                    .map(|f| {
                        [
                            f.code.clone(),
                            f.modifier.clone(),
                            f.description.clone(),
                            dollars(f.charge_cents),
                        ]
                    })
                    .collect();
                table_or(
                    ["CODE", "MOD", "DESCRIPTION", "CHARGE"],
                    &rows,
                    "The fee schedule is empty.",
                )
            })
        }
    }
}

pub fn claim(ctx: &mut Ctx, cmd: ClaimCmd) -> Result<()> {
    let today = ctx.store.zone().today();
    match cmd {
        ClaimCmd::Create {
            encounter,
            diagnoses,
            lines,
        } => {
            let lines = lines.iter().map(|l| line(l)).collect::<Result<Vec<_>>>()?;
            let c = ctx.store.create_claim(
                &ctx.session,
                &ClaimDraft {
                    encounter_id: encounter,
                    diagnoses,
                    lines,
                },
            )?;
            ctx.out.show(&c, |c| {
                format!(
                    "Claim {} drafted: {} for {}.\n",
                    c.id,
                    dollars(c.total_charge_cents),
                    c.service_date
                )
            })
        }
        ClaimCmd::Show { id } => {
            let c = ctx.store.claim(&ctx.session, &id)?;
            let payments = ctx.store.payments_of(&ctx.session, &id)?;
            let v = serde_json::json!({ "claim": c, "payments": payments });
            ctx.out.show(&v, |_| {
                let mut s = format!(
                    "Claim {} · {} · {}\nservice {} · charge {} · paid {} · adjusted {} · patient {}\n",
                    c.id,
                    c.status,
                    c.status_detail.clone().unwrap_or_default(),
                    c.service_date,
                    dollars(c.total_charge_cents),
                    dollars(c.paid_cents),
                    dollars(c.adjusted_cents),
                    dollars(c.patient_resp_cents)
                );
                s.push_str(&format!("diagnoses: {}\n", c.diagnoses.iter().map(|d| display_icd10(d)).collect::<Vec<_>>().join(", ")));
                for l in &c.lines {
                    s.push_str(&format!("  {} {} x{} {}\n", l.code, l.modifiers.join(","), l.units, dollars(l.charge_cents)));
                }
                s
            })
        }
        ClaimCmd::List { status } => {
            let wanted: Vec<&str> = status.iter().map(String::as_str).collect();
            let claims = ctx.store.claims(&ctx.session, &wanted)?;
            ctx.out.show(&claims, |claims| {
                let rows: Vec<[String; 5]> = claims
                    .iter()
                    .map(|c| {
                        [
                            c.id.clone(),
                            c.service_date.clone(),
                            c.status.clone(),
                            dollars(c.total_charge_cents),
                            dollars(c.paid_cents),
                        ]
                    })
                    .collect();
                table_or(
                    ["CLAIM", "SERVICE", "STATUS", "CHARGE", "PAID"],
                    &rows,
                    "No claims.",
                )
            })
        }
        ClaimCmd::Scrub { id } => {
            let problems = clinicdesk_billing::scrub(&mut ctx.store, &ctx.session, &id, today)?;
            ctx.out.show(&problems, |p| {
                if p.is_empty() {
                    "The claim is clean and can be sent.\n".into()
                } else {
                    p.iter()
                        .map(|p| format!("{}: {}\n", p.field, p.message))
                        .collect()
                }
            })?;
            if problems.is_empty() {
                Ok(())
            } else {
                Err(CliError::failed(format!(
                    "{} problem{} to fix",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                )))
            }
        }
        ClaimCmd::Submit {
            ids,
            out: Some(out),
        } => {
            std::fs::create_dir_all(&out)
                .map_err(|e| CliError::failed(format!("cannot create {}: {e}", out.display())))?;
            let batches = clinicdesk_billing::submit(&mut ctx.store, &ctx.session, &ids, today)?;
            let mut files = Vec::new();
            for b in &batches {
                let f = out.join(format!("837p-{:09}.x12", b.control_number));
                std::fs::write(&f, &b.x12)
                    .map_err(|e| CliError::failed(format!("cannot write {}: {e}", f.display())))?;
                // Handed over as a file: the outbox must not send it too.
                ctx.store
                    .batch_delivered(&b.id, "file", &format!("written to {}", f.display()))?;
                files.push(f.display().to_string());
            }
            let v = serde_json::json!({ "batches": batches.iter().map(|b| serde_json::json!({"id": b.id, "control_number": b.control_number, "claims": b.claim_count, "total_cents": b.total_cents})).collect::<Vec<_>>(), "files": files });
            ctx.out.show(&v, |_| {
                files.iter().map(|f| format!("wrote {f}\n")).collect()
            })
        }
        ClaimCmd::Submit { ids, out: None } => {
            clinicdesk_billing::submit(&mut ctx.store, &ctx.session, &ids, today)?;
            send_due(ctx)
        }
        ClaimCmd::Resend { control_number } => {
            let batch = ctx
                .store
                .batch_by_control(control_number)?
                .ok_or_else(|| CliError::failed(format!("there is no batch {control_number}")))?;
            ctx.store.resend_batch(&ctx.session, &batch.id)?;
            send_due(ctx)
        }
        ClaimCmd::Send => send_due(ctx),
        ClaimCmd::Fetch { connection } => fetch(ctx, connection),
        ClaimCmd::Ack { file } => {
            let r = clinicdesk_billing::apply_acknowledgments(
                &mut ctx.store,
                &ctx.session,
                &read(&file)?,
            )?;
            ctx.out.show(&r, |r| {
                let mut s = String::new();
                for (control, status) in &r.batches {
                    s.push_str(&format!("batch {control}: 999 {status}\n"));
                }
                for (id, ok) in &r.claims {
                    s.push_str(&format!(
                        "claim {id}: {}\n",
                        if *ok { "accepted" } else { "rejected" }
                    ));
                }
                for u in &r.unknown {
                    s.push_str(&format!("not known here: {u}\n"));
                }
                s
            })
        }
        ClaimCmd::Status { id, all } => claim_status(ctx, id, all),
        ClaimCmd::FollowUp => follow_up(ctx),
        ClaimCmd::Denials => {
            let d = clinicdesk_billing::denials(&ctx.store, &ctx.session)?;
            ctx.out.show(&d, |d| {
                let rows: Vec<[String; 5]> = d
                    .iter()
                    .map(|x| {
                        [
                            x.claim_id.clone(),
                            x.service_date.clone(),
                            x.status.clone(),
                            dollars(x.total_charge_cents),
                            x.reasons.join("; "),
                        ]
                    })
                    .collect();
                table_or(
                    ["CLAIM", "SERVICE", "STATUS", "CHARGE", "WHY"],
                    &rows,
                    "No denied or rejected claims.",
                )
            })
        }
    }
}

/// One batch's delivery: how it went, or why it did not.
#[derive(serde::Serialize)]
struct Sent {
    control_number: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Still queued: sent again later (`claim send`) or now (`claim resend`).
    queued: bool,
}

/// Sends every batch of this computer that is due (the new ones first of
/// all). A batch that cannot go stays recorded, its claims submitted: one
/// that got no answer stays queued, one that needs fixing is marked failed.
fn send_due(ctx: &mut Ctx) -> Result<()> {
    let keychain = Keychain::default();
    let runtime = runtime()?;
    let mut sent = Vec::new();
    send::send_due(&mut ctx.store, &keychain, &runtime, |b, attempt| {
        let (result, error, queued) = match attempt {
            Attempt::Sent(note) => (Some(note.clone()), None, false),
            Attempt::PutOff(why) => (None, Some(why.clone()), true),
            Attempt::Failed(why) => (None, Some(why.clone()), false),
        };
        sent.push(Sent {
            control_number: b.control_number,
            result,
            error,
            queued,
        });
        true
    })?;
    let failed = sent.iter().filter(|s| s.error.is_some()).count();
    ctx.out.show(&sent, |sent| {
        if sent.is_empty() {
            return "No batch is waiting to be sent.\n".into();
        }
        sent.iter()
            .map(|s| match (&s.result, &s.error) {
                (Some(r), _) => format!("batch {}: {r}\n", s.control_number),
                (None, e) => format!(
                    "batch {}: not sent · {} {} `claim resend {}`.\n",
                    s.control_number,
                    e.as_deref().unwrap_or_default(),
                    if s.queued {
                        "It stays queued; to try now,"
                    } else {
                        "Fix that, then"
                    },
                    s.control_number
                ),
            })
            .collect()
    })?;
    if failed > 0 {
        return Err(CliError::failed(format!(
            "{failed} batch{} not sent",
            if failed == 1 { " was" } else { "es were" }
        )));
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the network runtime: {e}")))
}

fn fetch(ctx: &mut Ctx, only: Option<String>) -> Result<()> {
    use clinicdesk_billing::receive::{pick_up, sftp_drops};
    let drops = sftp_drops(&ctx.store.payer_settings()?, only.as_deref());
    if drops.is_empty() {
        return Err(CliError::failed(match only {
            Some(n) => format!("no SFTP connection is called {n}"),
            None => "no connection has an SFTP drop (Preferences → Insurance)".into(),
        }));
    }
    let keychain = Keychain::default();
    let mut out = Vec::new();
    for (conn, drop) in drops {
        out.push(pick_up(
            &mut ctx.store,
            &ctx.session,
            &keychain,
            &conn,
            &drop,
        )?);
    }
    let failed = out
        .iter()
        .filter(|p| p.error.is_some() || !p.failed.is_empty())
        .count();
    ctx.out.show(&out, |out| {
        out.iter().map(|p| format!("{}\n", p.summary())).collect()
    })?;
    if failed > 0 {
        return Err(CliError::failed(format!(
            "{failed} connection{} had files or errors to look at",
            if failed == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

fn follow_up(ctx: &mut Ctx) -> Result<()> {
    ctx.session
        .require(clinicdesk_domain::Permission::Billing)?;
    let runtime = runtime()?;
    let now = clinicdesk_store::write::now_seconds();
    let run = clinicdesk_billing::follow_up::follow_up_now(
        &mut ctx.store,
        &Keychain::default(),
        &runtime,
        now,
    )?;
    ctx.out.show(&run, |run| {
        let mut text = format!("{}\n", run.summary());
        for (id, words) in &run.answered {
            text.push_str(&format!("claim {id}: {words}\n"));
        }
        for (id, why) in &run.failed {
            text.push_str(&format!("claim {id}: not asked · {why}\n"));
        }
        text
    })?;
    if !run.failed.is_empty() {
        return Err(CliError::failed(format!(
            "{} claim{} could not be asked about",
            run.failed.len(),
            if run.failed.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// One claim's outcome: the payer's answer, or why there is none.
#[derive(serde::Serialize)]
struct StatusOutcome {
    claim_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<StatusReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn claim_status(ctx: &mut Ctx, id: Option<String>, all: bool) -> Result<()> {
    let ids: Vec<String> = match id {
        Some(id) if !all => vec![id],
        _ => claim_status::awaiting_answer(&ctx.store, &ctx.session)?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    };
    let runtime = runtime()?;
    let keychain = Keychain::default();
    let mut outcomes = Vec::new();
    for id in &ids {
        let result = ask_status(ctx, &runtime, &keychain, id);
        outcomes.push(match result {
            Ok(report) => StatusOutcome {
                claim_id: id.clone(),
                report: Some(report),
                error: None,
            },
            Err(e) => StatusOutcome {
                claim_id: id.clone(),
                report: None,
                error: Some(e),
            },
        });
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    ctx.out.show(&outcomes, |outcomes| {
        if outcomes.is_empty() {
            return "No sent claims are waiting for an answer.\n".into();
        }
        outcomes
            .iter()
            .map(|o| match (&o.report, &o.error) {
                (Some(r), _) => format!("claim {}: {} · {}\n", o.claim_id, r.status, r.summary),
                (None, e) => format!(
                    "claim {}: not asked · {}\n",
                    o.claim_id,
                    e.as_deref().unwrap_or_default()
                ),
            })
            .collect()
    })?;
    // One claim asked about and not answered is a failure; with --all the
    // answers that did come are kept and the rest reported.
    if failed > 0 && (!all || failed == outcomes.len()) {
        return Err(CliError::failed(format!(
            "{failed} claim{} not answered",
            if failed == 1 { " was" } else { "s were" }
        )));
    }
    Ok(())
}

fn ask_status(
    ctx: &mut Ctx,
    runtime: &tokio::runtime::Runtime,
    keychain: &Keychain,
    id: &str,
) -> std::result::Result<StatusReport, String> {
    let (inquiry, conn) = claim_status::status_inquiry(&mut ctx.store, &ctx.session, id)
        .map_err(|e| e.to_string())?;
    let client = send::core_client(&conn, keychain, 2).map_err(|e| e.to_string())?;
    let answer = runtime
        .block_on(check_claim_status(&client, &inquiry))
        .map_err(|e| e.to_string())?;
    claim_status::apply_claim_status(&mut ctx.store, &ctx.session, id, &answer.entry)
        .map_err(|e| e.to_string())
}

pub fn remit(ctx: &mut Ctx, cmd: RemitCmd) -> Result<()> {
    match cmd {
        RemitCmd::Post { file } => {
            let reports =
                clinicdesk_billing::post_remittance(&mut ctx.store, &ctx.session, &read(&file)?)?;
            ctx.out.show(&reports, |rs| {
                rs.iter()
                    .map(|r| {
                        format!(
                            "{} payment {} of {}: {} claim payments ({} not matched to a claim, {} already posted)\n",
                            r.payer,
                            r.trace_number,
                            dollars(r.payment_cents),
                            r.payments.len(),
                            r.unmatched,
                            r.already_posted
                        )
                    })
                    .collect()
            })
        }
    }
}

pub fn ar(ctx: &mut Ctx, cmd: ArCmd) -> Result<()> {
    match cmd {
        ArCmd::Aging => {
            let now = clinicdesk_store::write::now_seconds();
            let a = clinicdesk_billing::aging(&ctx.store, &ctx.session, now)?;
            ctx.out.show(&a, |a| {
                let mut rows: Vec<[String; 3]> = a
                    .buckets
                    .iter()
                    .map(|b| [b.label.to_string(), b.claims.to_string(), dollars(b.cents)])
                    .collect();
                rows.push(["total".into(), String::new(), dollars(a.total_cents)]);
                table_or(["AGE", "CLAIMS", "OUTSTANDING"], &rows, "")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_lines_parse() {
        assert_eq!(cents("125").unwrap(), 12_500);
        assert_eq!(cents("$99.5").unwrap(), 9_950);
        assert!(cents("12.345").is_err());
        assert!(cents("-1").is_err());
        let l = line("99214:2:25,59:1,2").unwrap();
        assert_eq!(
            (
                l.code.as_str(),
                l.units,
                l.modifiers.len(),
                l.pointers.clone()
            ),
            ("99214", 2, 2, vec![1, 2])
        );
        assert_eq!(line("99213").unwrap().units, 1);
        assert!(line("99213:x").is_err());
    }
}
