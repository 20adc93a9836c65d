//! `fhir import FILE…` and `fhir export`: FHIR R4 JSON in and out.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::{emit, table_or};
use clinicdesk_fhir::{ExportSelection, FhirError, ImportOptions};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum FhirCmd {
    /// Import resources or Bundles from JSON files (all or nothing by default)
    Import {
        /// JSON files, each one resource or one Bundle
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Import what can be imported and report the rest
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export the clinic as a FHIR R4 collection Bundle
    Export {
        /// Write to this file instead of standard output
        #[arg(long)]
        out: Option<PathBuf>,
        /// Export only these patients (id or MRN) and what they refer to
        #[arg(long = "patient")]
        patients: Vec<String>,
    },
}

fn fhir_error(e: FhirError) -> CliError {
    match e {
        FhirError::Store(s) => CliError::Store(s),
        other => CliError::failed(other.to_string()),
    }
}

pub fn run(ctx: &mut Ctx, cmd: FhirCmd) -> Result<()> {
    match cmd {
        FhirCmd::Import {
            files,
            skip_invalid,
        } => {
            let mut resources = Vec::with_capacity(files.len());
            for f in &files {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    CliError::failed(format!("could not read {}: {e}", f.display()))
                })?;
                let value: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| CliError::failed(format!("{} is not JSON: {e}", f.display())))?;
                resources.push(value);
            }
            let report = clinicdesk_fhir::import_with(
                &mut ctx.store,
                &ctx.session,
                resources,
                ImportOptions { skip_invalid },
            )
            .map_err(fhir_error)?;
            ctx.out.show(&report, |r| {
                let mut text = format!(
                    "{} imported, {} skipped, {} not imported, {} elements ignored\n",
                    r.imported.len(),
                    r.skipped.len(),
                    r.invalid.len(),
                    r.ignored.len()
                );
                let rows: Vec<[String; 2]> = r
                    .skipped
                    .iter()
                    .map(|s| [s.resource.clone(), s.reason.clone()])
                    .chain(
                        r.invalid
                            .iter()
                            .map(|p| [p.resource.clone(), p.message.clone()]),
                    )
                    .chain(
                        r.ignored
                            .iter()
                            .map(|i| [format!("{} {}", i.resource, i.element), i.reason.clone()]),
                    )
                    .collect();
                text.push_str(&table_or(["resource", "why"], &rows, ""));
                text
            })
        }
        FhirCmd::Export { out, patients } => {
            let selection = if patients.is_empty() {
                ExportSelection::All
            } else {
                let mut ids = Vec::new();
                for p in &patients {
                    ids.push(ctx.patient(p)?.id);
                }
                ExportSelection::Patients(ids)
            };
            let bundle = clinicdesk_fhir::export(&mut ctx.store, &ctx.session, selection)
                .map_err(fhir_error)?;
            let mut text = serde_json::to_string_pretty(&bundle)
                .map_err(|e| CliError::failed(format!("could not write the bundle: {e}")))?;
            text.push('\n');
            let entries = bundle["entry"].as_array().map_or(0, Vec::len);
            match out {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| {
                        CliError::failed(format!("could not write {}: {e}", path.display()))
                    })?;
                    emit(&format!(
                        "Exported {entries} resources to {}\n",
                        path.display()
                    ))
                }
                None => emit(&text),
            }
        }
    }
}
