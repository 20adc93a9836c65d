//! `x12 parse FILE` and `x12 validate FILE`: read X12 5010 files without a
//! store, to look inside them or check them before sending.

use crate::error::{CliError, Result};
use crate::output::Printer;
use clinicdesk_x12::{model, read, Error, Model, Transaction};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum X12Cmd {
    /// Show the interchanges, transaction sets, segment counts and typed
    /// models of a file (the models in full with --json)
    Parse {
        /// An X12 file
        file: PathBuf,
    },
    /// Check the syntax, the envelope and the typed models; problems go to
    /// stderr, one per line, and the exit code is 1
    Validate {
        /// An X12 file
        file: PathBuf,
    },
}

#[derive(Serialize)]
struct Report {
    file: String,
    interchanges: Vec<InterchangeReport>,
    errors: Vec<Error>,
}

#[derive(Serialize)]
struct InterchangeReport {
    control_number: String,
    sender: String,
    receiver: String,
    delimiters: clinicdesk_x12::Delimiters,
    segment_count: usize,
    groups: Vec<GroupReport>,
}

#[derive(Serialize)]
struct GroupReport {
    functional_id: String,
    control_number: String,
    version: String,
    transactions: Vec<TransactionReport>,
}

#[derive(Serialize)]
struct TransactionReport {
    id: String,
    control_number: String,
    version: String,
    segment_count: usize,
    segments_by_tag: BTreeMap<String, usize>,
    /// Null for transaction sets without a typed model.
    model: Option<Model>,
}

fn load(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file)
        .map_err(|e| CliError::failed(format!("could not read {}: {e}", file.display())))
}

fn transaction(tx: &Transaction<'_>, errors: &mut Vec<Error>) -> TransactionReport {
    let mut by_tag = BTreeMap::new();
    for s in tx.segments() {
        *by_tag.entry(s.tag.to_string()).or_insert(0) += 1;
    }
    let model = match model(tx) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    TransactionReport {
        id: tx.id().to_string(),
        control_number: tx.control_number().to_string(),
        version: tx.version.to_string(),
        segment_count: tx.segment_count(),
        segments_by_tag: by_tag,
        model,
    }
}

fn report(file: &Path, bytes: &[u8]) -> Report {
    let parsed = read(bytes);
    let mut errors = parsed.errors;
    let interchanges = parsed
        .document
        .interchanges
        .iter()
        .map(|i| InterchangeReport {
            control_number: i.isa.el(13).to_string(),
            sender: i.isa.el(6).trim().to_string(),
            receiver: i.isa.el(8).trim().to_string(),
            delimiters: i.delimiters,
            segment_count: i.segment_count,
            groups: i
                .groups
                .iter()
                .map(|g| GroupReport {
                    functional_id: g.gs.el(1).to_string(),
                    control_number: g.gs.el(6).to_string(),
                    version: g.gs.el(8).to_string(),
                    transactions: g
                        .transactions
                        .iter()
                        .map(|t| transaction(t, &mut errors))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Report {
        file: file.display().to_string(),
        interchanges,
        errors,
    }
}

fn text(r: &Report) -> String {
    let mut out = String::new();
    for i in &r.interchanges {
        out.push_str(&format!(
            "interchange {} from {} to {}: {} segments\n",
            i.control_number, i.sender, i.receiver, i.segment_count
        ));
        for g in &i.groups {
            for t in &g.transactions {
                let model = match &t.model {
                    Some(m) => serde_json::to_value(m)
                        .ok()
                        .and_then(|v| v["model"].as_str().map(str::to_string))
                        .unwrap_or_default(),
                    None => "not modelled".into(),
                };
                out.push_str(&format!(
                    "  {} {} {}: {} segments, {model}\n",
                    t.id, t.control_number, t.version, t.segment_count
                ));
            }
        }
    }
    for e in &r.errors {
        out.push_str(&format!("problem: {e}\n"));
    }
    out
}

fn problems(r: &Report) -> CliError {
    CliError::failed(format!(
        "{} has {} problem{}",
        r.file,
        r.errors.len(),
        if r.errors.len() == 1 { "" } else { "s" }
    ))
}

pub fn run(out: Printer, cmd: X12Cmd) -> Result<()> {
    match cmd {
        X12Cmd::Parse { file } => {
            let bytes = load(&file)?;
            let r = report(&file, &bytes);
            out.show(&r, text)?;
            if r.errors.is_empty() {
                Ok(())
            } else {
                Err(problems(&r))
            }
        }
        X12Cmd::Validate { file } => {
            let bytes = load(&file)?;
            let r = report(&file, &bytes);
            if r.errors.is_empty() {
                let txs: usize = r
                    .interchanges
                    .iter()
                    .flat_map(|i| &i.groups)
                    .map(|g| g.transactions.len())
                    .sum();
                let segs: usize = r.interchanges.iter().map(|i| i.segment_count).sum();
                out.show(
                    &serde_json::json!({ "file": r.file, "valid": true, "transaction_sets": txs, "segments": segs }),
                    |_| format!("{}: valid, {txs} transaction sets, {segs} segments\n", r.file),
                )
            } else {
                for e in &r.errors {
                    eprintln!("error: {e}");
                }
                Err(problems(&r))
            }
        }
    }
}
