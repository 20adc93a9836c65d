//! The clinic's stored images and its PACS: `dicom import`, `dicom
//! studies`, `dicom confirm` and `dicom pacs …`.

use crate::context::Ctx;
use crate::error::{CliError, Result};
use crate::output::{count, fields, opt, table_or};
use crate::secret::{self, Ask};
use clinicdesk_archive::{ImportReport, PacsClient, PacsError, Phase, Progress, StudyQuery};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{LinkState, PacsSettings, StudyFilter, StudySummary};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum ImagingCmd {
    /// Import DICOM files, folders (recursively) and DICOMDIR media into the
    /// clinic's encrypted store; instances already stored are left alone
    Import {
        /// Files, folders, or a CD's DICOMDIR
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// List the stored studies
    Studies {
        /// Only this patient's (by MRN) linked studies
        #[arg(long, value_name = "MRN")]
        patient: Option<String>,
        /// Only studies waiting for someone to confirm whose they are
        #[arg(long)]
        waiting: bool,
    },
    /// Link a study that waits for confirmation to a patient
    Confirm {
        /// The Study Instance UID
        study_uid: String,
        /// The patient's MRN
        #[arg(long, value_name = "MRN")]
        patient: String,
    },
    /// The clinic's PACS (DICOMweb)
    #[command(subcommand)]
    Pacs(PacsCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum PacsCmd {
    /// Set the PACS this computer searches and retrieves from (administrators)
    Set {
        /// The DICOMweb root, e.g. https://pacs.clinic.lan/dicom-web
        url: String,
        /// HTTP basic user name
        #[arg(long = "pacs-user", value_name = "NAME")]
        pacs_user: Option<String>,
        /// Keep the user's password in the OS keychain (from
        /// CLINICDESK_PACS_PASSWORD or a prompt)
        #[arg(long, requires = "pacs_user")]
        password: bool,
        /// Seconds to wait for a search; a retrieve may take 30 times longer
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        timeout: u64,
    },
    /// Show the PACS settings
    Show,
    /// Search the PACS for studies
    Search {
        #[arg(long = "patient-id", value_name = "ID")]
        patient_id: Option<String>,
        /// Patient name, DICOM style with wildcards: LOVELACE*
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// YYYYMMDD or a range YYYYMMDD-YYYYMMDD
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        #[arg(long, value_name = "CODE")]
        modality: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Retrieve a whole study from the PACS and import it
    Retrieve {
        /// The Study Instance UID
        study_uid: String,
    },
}

pub fn run(ctx: &mut Ctx, cmd: ImagingCmd) -> Result<()> {
    match cmd {
        ImagingCmd::Import { paths } => {
            let mut bar = ProgressLine::new();
            let report =
                clinicdesk_archive::import_paths(&mut ctx.store, &ctx.session, &paths, &mut |p| {
                    bar.show(p)
                })?;
            bar.clear();
            show_report(ctx, &report)
        }
        ImagingCmd::Studies { patient, waiting } => {
            let filter = StudyFilter {
                patient_mrn: patient,
                state: waiting.then_some(LinkState::NeedsConfirmation),
            };
            let studies = ctx.store.studies(&ctx.session, &filter)?;
            ctx.out.show(&studies, |s| studies_table(s))
        }
        ImagingCmd::Confirm { study_uid, patient } => {
            let s = ctx
                .store
                .confirm_study(&ctx.session, &study_uid, &patient)?;
            ctx.out.show(&s, |s| {
                format!(
                    "study {} is linked to {} (MRN {})\n",
                    s.study_uid,
                    opt(&s.patient_name),
                    opt(&s.mrn)
                )
            })
        }
        ImagingCmd::Pacs(c) => pacs(ctx, c),
    }
}

/// `done/total` on one line of stderr, when a person is watching.
struct ProgressLine {
    on: bool,
    shown: bool,
}

impl ProgressLine {
    fn new() -> ProgressLine {
        ProgressLine {
            on: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn show(&mut self, p: Progress) {
        if !self.on {
            return;
        }
        let what = match p.phase {
            Phase::Receiving => "receiving",
            Phase::Reading => "reading",
            Phase::Storing => "storing",
        };
        eprint!("\r{what} {}/{}   ", p.done, p.total);
        let _ = std::io::stderr().flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r{:40}\r", "");
        }
    }
}

fn show_report(ctx: &Ctx, r: &ImportReport) -> Result<()> {
    ctx.out.show(r, |r| {
        let waiting: Vec<_> = r.needs_confirmation().collect();
        let mut text = format!(
            "{} imported, {} already present, {} needing confirmation, {} failed{}\n",
            r.imported,
            r.already_present,
            if waiting.len() == 1 {
                "1 study".to_string()
            } else {
                format!("{} studies", waiting.len())
            },
            r.failed.len(),
            if r.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} not DICOM (skipped)", r.skipped.len())
            }
        );
        for s in waiting {
            text.push_str(&format!(
                "needs confirmation: study {}: {}\n",
                s.study_uid,
                s.link_issues.join("; ")
            ));
        }
        for f in &r.failed {
            text.push_str(&format!("failed: {}: {}\n", f.source, f.reason));
        }
        text
    })?;
    if r.failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "{} could not be imported (listed above); the rest was",
            count(r.failed.len(), "file")
        )))
    }
}

fn studies_table(studies: &[StudySummary]) -> String {
    let rows: Vec<[String; 7]> = studies
        .iter()
        .map(|s| {
            [
                s.study_uid.clone(),
                opt(&s.study_date),
                s.modalities.join(","),
                opt(&s.description),
                format!("{}/{}", s.series, s.instances),
                match s.link_state {
                    LinkState::Linked => format!("{} {}", opt(&s.mrn), opt(&s.patient_name)),
                    LinkState::NeedsConfirmation => format!(
                        "needs confirmation (images: {} {})",
                        opt(&s.dicom_patient_id),
                        opt(&s.dicom_patient_name)
                    ),
                },
                s.link_issues.join("; "),
            ]
        })
        .collect();
    table_or(
        [
            "STUDY",
            "DATE",
            "MODALITY",
            "DESCRIPTION",
            "SERIES/INST",
            "PATIENT",
            "DIFFERENCES",
        ],
        &rows,
        "no studies",
    )
}

fn pacs_error(e: PacsError) -> CliError {
    match e {
        PacsError::Store(s) => CliError::Store(s),
        e => CliError::failed(e.to_string()),
    }
}

fn pacs(ctx: &mut Ctx, cmd: PacsCmd) -> Result<()> {
    match cmd {
        PacsCmd::Set {
            url,
            pacs_user,
            password,
            timeout,
        } => {
            let settings = PacsSettings {
                url,
                username: pacs_user,
                timeout_secs: timeout,
            };
            let secret = if password {
                Some(secret::read(&Ask {
                    env: secret::PACS_PASSWORD_ENV,
                    what: "PACS password",
                    confirm: false,
                })?)
            } else {
                None
            };
            let saved = ctx.store.set_pacs_settings(&ctx.session, Some(settings))?;
            if let (Some(secret), Some(account)) =
                (secret, saved.as_ref().and_then(|s| s.keychain_account()))
            {
                Keychain::default().save_secret(&account, &secret)?;
            }
            ctx.out.show(&saved, |s| match s {
                Some(s) => format!(
                    "PACS set: {} ({})\n",
                    s.url,
                    s.username.as_deref().unwrap_or("no login")
                ),
                None => "no PACS set\n".into(),
            })
        }
        PacsCmd::Show => {
            let s = ctx.store.pacs_settings()?;
            ctx.out.show(&s, |s| match s {
                Some(s) => fields(&[
                    ("url", s.url.clone()),
                    ("user", opt(&s.username)),
                    ("timeout", format!("{} s", s.timeout_secs)),
                ]),
                None => "no PACS set\n".into(),
            })
        }
        PacsCmd::Search {
            patient_id,
            name,
            date,
            modality,
            limit,
        } => {
            let client =
                PacsClient::for_store(&ctx.store, &Keychain::default()).map_err(pacs_error)?;
            let query = StudyQuery {
                patient_id,
                patient_name: name,
                study_date: date,
                modality,
                limit: Some(limit),
            };
            let found = client
                .search(&mut ctx.store, &ctx.session, &query)
                .map_err(pacs_error)?;
            ctx.out.show(&found, |found| {
                let rows: Vec<[String; 6]> = found
                    .iter()
                    .map(|s| {
                        [
                            s.study_uid.clone(),
                            opt(&s.study_date),
                            s.modalities.join(","),
                            format!("{} {}", opt(&s.patient_id), opt(&s.patient_name)),
                            opt(&s.description),
                            s.instances.map(|n| n.to_string()).unwrap_or_default(),
                        ]
                    })
                    .collect();
                table_or(
                    [
                        "STUDY",
                        "DATE",
                        "MODALITY",
                        "PATIENT",
                        "DESCRIPTION",
                        "INSTANCES",
                    ],
                    &rows,
                    "no studies found",
                )
            })
        }
        PacsCmd::Retrieve { study_uid } => {
            let client =
                PacsClient::for_store(&ctx.store, &Keychain::default()).map_err(pacs_error)?;
            let mut bar = ProgressLine::new();
            let report = client
                .retrieve(&mut ctx.store, &ctx.session, &study_uid, &mut |p| {
                    bar.show(p)
                })
                .map_err(pacs_error)?;
            bar.clear();
            show_report(ctx, &report)
        }
    }
}
