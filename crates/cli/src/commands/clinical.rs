//! `encounter` and `note`: the clinical record of a visit.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{fields, local, opt, table_or};
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_store::{Encounter, Note, NoteContent};

#[derive(Debug, clap::Subcommand)]
pub enum EncounterCmd {
    /// Open the encounter of a checked-in appointment (or show the open one)
    Open { appointment_id: String },
    /// Show an encounter
    Show { id: String },
    /// Finish an encounter
    Finish { id: String },
    /// The notes of an encounter
    Notes { id: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum NoteCmd {
    /// Write a draft note, or change your draft with --note; sections not
    /// given keep what the draft had
    Draft {
        encounter_id: String,
        /// The draft to change [default: start a new note]
        #[arg(long, value_name = "NOTE_ID")]
        note: Option<String>,
        /// soap or bullets [default: the draft's, else bullets for --body only, else your preference]
        #[arg(long, value_parser = crate::args::note_format)]
        format: Option<NoteFormat>,
        #[arg(long)]
        subjective: Option<String>,
        #[arg(long)]
        objective: Option<String>,
        #[arg(long)]
        assessment: Option<String>,
        #[arg(long)]
        plan: Option<String>,
        /// The text of a bullet note
        #[arg(long)]
        body: Option<String>,
    },
    /// Sign a note; it can no longer change afterwards
    Sign { note_id: String },
    /// Add an addendum to a signed note
    Addendum {
        note_id: String,
        #[arg(long)]
        text: String,
    },
    /// Show a note and its addenda
    Show { note_id: String },
}

pub fn encounter(ctx: &mut Ctx, cmd: EncounterCmd) -> Result<()> {
    match cmd {
        EncounterCmd::Open { appointment_id } => {
            let e = ctx.store.open_encounter(&ctx.session, &appointment_id)?;
            let zone = ctx.zone();
            ctx.out.show(&e, |e| encounter_text(e, zone))
        }
        EncounterCmd::Show { id } => {
            let e = ctx.store.encounter(&ctx.session, &id)?;
            let zone = ctx.zone();
            ctx.out.show(&e, |e| encounter_text(e, zone))
        }
        EncounterCmd::Finish { id } => {
            let e = ctx.store.finish_encounter(&ctx.session, &id)?;
            let zone = ctx.zone();
            ctx.out.show(&e, |e| encounter_text(e, zone))
        }
        EncounterCmd::Notes { id } => {
            let notes = ctx.store.encounter_notes(&ctx.session, &id)?;
            let zone = ctx.zone();
            let rows: Vec<[String; 5]> = notes
                .iter()
                .map(|n| {
                    [
                        n.id.clone(),
                        n.format.to_string(),
                        n.status.clone(),
                        local(zone, n.updated_at),
                        n.addenda.len().to_string(),
                    ]
                })
                .collect();
            ctx.out.show(&notes, |_| {
                table_or(
                    ["ID", "FORMAT", "STATUS", "UPDATED", "ADDENDA"],
                    &rows,
                    "The encounter has no notes.",
                )
            })
        }
    }
}

pub fn note(ctx: &mut Ctx, cmd: NoteCmd) -> Result<()> {
    let zone = ctx.zone();
    match cmd {
        NoteCmd::Draft {
            encounter_id,
            note,
            format,
            subjective,
            objective,
            assessment,
            plan,
            body,
        } => {
            let existing = note
                .as_deref()
                .map(|id| ctx.store.note(&ctx.session, id))
                .transpose()?;
            let soap_given = [&subjective, &objective, &assessment, &plan]
                .iter()
                .any(|s| s.is_some());
            let format = match (format, &existing) {
                (Some(f), _) => f,
                (None, Some(n)) => n.format,
                (None, None) if body.is_some() && !soap_given => NoteFormat::Bullets,
                (None, None) if soap_given => NoteFormat::Soap,
                (None, None) => preferred_format(ctx)?,
            };
            let mut content = existing.map(|n| n.content).unwrap_or_default();
            for (slot, v) in [
                (&mut content.subjective, subjective),
                (&mut content.objective, objective),
                (&mut content.assessment, assessment),
                (&mut content.plan, plan),
                (&mut content.body, body),
            ] {
                if let Some(v) = v {
                    *slot = v;
                }
            }
            let n = ctx.store.save_draft(
                &ctx.session,
                &encounter_id,
                note.as_deref(),
                format,
                &content,
            )?;
            ctx.out
                .show(&n, |n| format!("Saved draft note {}.\n", n.id))
        }
        NoteCmd::Sign { note_id } => {
            let n = ctx.store.sign_note(&ctx.session, &note_id)?;
            ctx.out.show(&n, |n| {
                format!(
                    "Signed note {} at {}; content hash {}.\n",
                    n.id,
                    n.signed_at.map(|t| local(zone, t)).unwrap_or_default(),
                    opt(&n.content_hash)
                )
            })
        }
        NoteCmd::Addendum { note_id, text } => {
            let n = ctx.store.add_addendum(&ctx.session, &note_id, &text)?;
            ctx.out.show(&n, |n| {
                format!(
                    "Added an addendum to note {} ({} in all).\n",
                    n.id,
                    n.addenda.len()
                )
            })
        }
        NoteCmd::Show { note_id } => {
            let n = ctx.store.note(&ctx.session, &note_id)?;
            ctx.out.show(&n, |n| note_text(n, zone))
        }
    }
}

fn preferred_format(ctx: &Ctx) -> Result<NoteFormat> {
    let prefs = ctx.store.preferences(&ctx.session)?;
    Ok(prefs
        .get("note-format")
        .and_then(|f| f.parse().ok())
        .unwrap_or(NoteFormat::Soap))
}

fn encounter_text(e: &Encounter, zone: clinicdesk_domain::ClinicZone) -> String {
    fields(&[
        ("encounter", e.id.clone()),
        ("status", e.status.clone()),
        ("patient", e.patient_id.clone()),
        ("provider", e.provider_id.clone()),
        ("appointment", opt(&e.appointment_id)),
        ("reason", opt(&e.reason)),
        ("started", local(zone, e.started_at)),
        (
            "ended",
            e.ended_at.map(|t| local(zone, t)).unwrap_or_default(),
        ),
    ])
}

fn note_text(n: &Note, zone: clinicdesk_domain::ClinicZone) -> String {
    let mut s = fields(&[
        ("note", n.id.clone()),
        ("status", n.status.clone()),
        ("format", n.format.to_string()),
        ("encounter", n.encounter_id.clone()),
        ("patient", n.patient_id.clone()),
        ("author", n.author_id.clone()),
        ("updated", local(zone, n.updated_at)),
        (
            "signed",
            n.signed_at.map(|t| local(zone, t)).unwrap_or_default(),
        ),
        ("signed by", opt(&n.signed_by)),
        ("content hash", opt(&n.content_hash)),
    ]);
    let NoteContent {
        subjective,
        objective,
        assessment,
        plan,
        body,
    } = &n.content;
    for (title, text) in [
        ("Subjective", subjective),
        ("Objective", objective),
        ("Assessment", assessment),
        ("Plan", plan),
        ("Note", body),
    ] {
        if !text.trim().is_empty() {
            s.push_str(&format!("\n{title}:\n{}\n", indent(text)));
        }
    }
    for a in &n.addenda {
        s.push_str(&format!(
            "\nAddendum {} by {}:\n{}\n",
            local(zone, a.created_at),
            a.author_id,
            indent(&a.body)
        ));
    }
    s
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
