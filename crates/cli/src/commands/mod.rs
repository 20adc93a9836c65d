//! One module per command group. `init`, `join`, `x12`, `dicom` and
//! `transcribe` work without a login; every other command opens the store and logs the
//! acting user in first.

mod appointment;
mod audit;
mod billing;
mod clinical;
mod demo;
mod dicom;
mod directory;
mod fhir;
mod flow;
mod imaging;
mod info;
mod init;
mod join;
mod patient;
mod payers;
mod prefs;
mod rekey;
mod schedule;
mod sync;
mod transcribe;
mod user;
mod x12;

use crate::context::{Ctx, Global};
use crate::error::Result;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a clinic and its first administrator in the data directory
    Init(init::InitArgs),
    /// Join a clinic that runs on a clinic server, with a one-time code
    /// from its administrator: its people and records arrive from there
    Join(join::JoinArgs),
    /// Show the clinic, its time zone and where its key is kept
    Info,
    /// The clinic's name and time zone, shared by all its desktops
    #[command(subcommand)]
    Clinic(info::ClinicCmd),
    /// Users and roles
    #[command(subcommand)]
    User(user::UserCmd),
    /// Providers
    #[command(subcommand)]
    Provider(directory::ProviderCmd),
    /// Locations
    #[command(subcommand)]
    Location(directory::LocationCmd),
    /// Exam rooms
    #[command(subcommand)]
    Room(directory::RoomCmd),
    /// Appointment types
    #[command(subcommand)]
    Type(directory::TypeCmd),
    /// Patients and their coverage
    #[command(subcommand)]
    Patient(patient::PatientCmd),
    /// Provider schedules and slots
    #[command(subcommand)]
    Schedule(schedule::ScheduleCmd),
    /// Booking and the visit lifecycle
    #[command(subcommand)]
    Appointment(appointment::AppointmentCmd),
    /// Today's visits and who is waiting
    FlowBoard(flow::FlowBoardArgs),
    /// Encounters
    #[command(subcommand)]
    Encounter(clinical::EncounterCmd),
    /// Clinical notes
    #[command(subcommand)]
    Note(clinical::NoteCmd),
    /// Your preferences
    #[command(subcommand)]
    Preferences(prefs::PrefsCmd),
    /// The audit trail
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Fill the clinic with a synthetic demo clinic (for first runs and trials)
    Demo(demo::DemoArgs),
    /// FHIR R4 import and export
    #[command(subcommand)]
    Fhir(fhir::FhirCmd),
    /// Replace the store's encryption key (administrators; key-file stores
    /// take the new passphrase from CLINICDESK_NEW_KEY_PASSPHRASE or a prompt)
    Rekey,
    /// Sync with the clinic server
    #[command(subcommand)]
    Sync(sync::SyncCmd),
    /// The ICD-10-CM code set claims are checked against
    #[command(subcommand)]
    Codes(billing::CodesCmd),
    /// The fee schedule (billers)
    #[command(subcommand)]
    Fee(billing::FeeCmd),
    /// Claims: draft, scrub, submit as 837P, acknowledgements, denials (billers)
    #[command(subcommand)]
    Claim(billing::ClaimCmd),
    /// How this desktop reaches payers: connections, SFTP drops, passwords (administrators)
    #[command(subcommand)]
    Payers(payers::PayersCmd),
    /// Post 835 remittances (billers)
    #[command(subcommand)]
    Remit(billing::RemitCmd),
    /// Accounts receivable (billers)
    #[command(subcommand)]
    Ar(billing::ArCmd),
    /// Read and check X12 5010 files (eligibility, claims, remittances);
    /// needs no clinic data directory
    #[command(subcommand)]
    X12(x12::X12Cmd),
    /// DICOM images: read files and render a frame to PNG (no clinic data
    /// directory needed), import files, folders and CDs into the clinic's
    /// store, list and confirm studies, and search and retrieve from the PACS
    #[command(subcommand)]
    Dicom(dicom::DicomCmd),
    /// Speech to text with the local Whisper model (models/obtain.sh);
    /// needs no clinic data directory and no network
    Transcribe(transcribe::TranscribeArgs),
}

pub fn run(g: &Global, cmd: Command) -> Result<()> {
    match cmd {
        Command::Init(a) => return init::run(g, a),
        Command::Join(a) => return join::run(g, a),
        Command::X12(c) => return x12::run(g.printer(), c),
        Command::Dicom(c) => return dicom::run(g, c),
        Command::Transcribe(a) => return transcribe::run(g.printer(), a),
        _ => {}
    }
    let mut ctx = Ctx::open(g)?;
    let ctx = &mut ctx;
    match cmd {
        Command::Init(_)
        | Command::Join(_)
        | Command::X12(_)
        | Command::Dicom(_)
        | Command::Transcribe(_) => {
            unreachable!("handled above")
        }
        Command::Info => info::run(ctx),
        Command::Clinic(c) => info::clinic(ctx, c),
        Command::User(c) => user::run(ctx, c),
        Command::Provider(c) => directory::provider(ctx, c),
        Command::Location(c) => directory::location(ctx, c),
        Command::Room(c) => directory::room(ctx, c),
        Command::Type(c) => directory::appointment_type(ctx, c),
        Command::Patient(c) => patient::run(ctx, c),
        Command::Schedule(c) => schedule::run(ctx, c),
        Command::Appointment(c) => appointment::run(ctx, c),
        Command::FlowBoard(a) => flow::run(ctx, a),
        Command::Encounter(c) => clinical::encounter(ctx, c),
        Command::Note(c) => clinical::note(ctx, c),
        Command::Preferences(c) => prefs::run(ctx, c),
        Command::Audit(c) => audit::run(ctx, c),
        Command::Demo(a) => demo::run(ctx, a),
        Command::Fhir(c) => fhir::run(ctx, c),
        Command::Rekey => rekey::run(ctx),
        Command::Sync(c) => sync::run(ctx, c),
        Command::Codes(c) => billing::codes(ctx, c),
        Command::Fee(c) => billing::fee(ctx, c),
        Command::Claim(c) => billing::claim(ctx, c),
        Command::Payers(c) => payers::run(ctx, c),
        Command::Remit(c) => billing::remit(ctx, c),
        Command::Ar(c) => billing::ar(ctx, c),
    }
}
