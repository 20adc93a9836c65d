//! `clinicdesk-cli`: ClinicDesk without a window, for administrators and
//! scripts. Results go to stdout (plain text, or JSON with `--json`);
//! errors go to stderr as `error: <sentence>` with a non-zero exit code:
//! 1 when an operation fails or is refused, 2 for usage errors, 3 when
//! `audit verify` finds the trail broken.

mod args;
mod commands;
mod context;
mod error;
mod output;
mod secret;

use clap::Parser;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "clinicdesk-cli",
    version,
    about = "ClinicDesk from the command line: set up a clinic, manage users, patients and schedules, book and run visits, check the audit trail",
    after_help = "Passwords are never taken on the command line: CLINICDESK_PASSWORD (the acting user's), \
                  CLINICDESK_NEW_PASSWORD (user add / user passwd), CLINICDESK_KEY_PASSPHRASE (key-file stores) \
                  and CLINICDESK_NEW_KEY_PASSPHRASE (rekey of a key-file store), or a prompt on the terminal."
)]
struct Cli {
    #[command(flatten)]
    global: context::Global,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(&cli.global, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
