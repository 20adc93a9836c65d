//! `demo`: fill the clinic with a synthetic demo clinic, showing progress.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::fields;
use clinicdesk_demo::{DemoSpec, Progress};
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of providers
    #[arg(long, default_value_t = 12)]
    providers: u32,
    /// Number of patients
    #[arg(long, default_value_t = 2000)]
    patients: u32,
    /// Days of appointments, most in the past and about three months ahead
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Seed of the generator: the same seed makes the same clinic
    #[arg(long)]
    seed: Option<u64>,
}

pub fn run(ctx: &mut Ctx, a: DemoArgs) -> Result<()> {
    let mut spec = DemoSpec::new(a.providers, a.patients, a.days, ctx.today());
    if let Some(seed) = a.seed {
        spec.seed = seed;
    }
    let mut last = ("", u64::MAX);
    let mut progress = |p: Progress| {
        // Progress goes to stderr so --json output stays one document.
        let pct = (p.done * 100).checked_div(p.total).unwrap_or(100);
        if (p.phase, pct) != last {
            last = (p.phase, pct);
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:<24} {pct:>3}%", p.phase);
            if p.done >= p.total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    };
    let report = clinicdesk_demo::generate(&mut ctx.store, &ctx.session, &spec, &mut progress)?;
    ctx.out.show(&report, |r| {
        let mut text = String::from("The demo clinic is ready.\n");
        text.push_str(&fields(&[
            ("Days", format!("{} to {}", r.first_day, r.last_day)),
            ("Locations", r.locations.to_string()),
            ("Providers", r.providers.to_string()),
            ("Patients", r.patients.to_string()),
            ("Slots", r.slots.to_string()),
            ("Appointments", r.appointments.to_string()),
            ("Today", r.today_appointments.to_string()),
        ]));
        text
    })
}
