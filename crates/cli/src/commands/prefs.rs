//! `preferences`: the logged-in user's own settings.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::table;
use clinicdesk_domain::prefs::PREFERENCES;

#[derive(Debug, clap::Subcommand)]
pub enum PrefsCmd {
    /// Show your preferences, defaults filled in
    Show,
    /// Set one of your preferences
    Set { key: String, value: String },
}

pub fn run(ctx: &mut Ctx, cmd: PrefsCmd) -> Result<()> {
    match cmd {
        PrefsCmd::Show => {
            let prefs = ctx.store.preferences(&ctx.session)?;
            ctx.out.show(&prefs, |p| {
                let rows: Vec<[String; 3]> = p
                    .iter()
                    .map(|(k, v)| {
                        let about = PREFERENCES
                            .iter()
                            .find(|s| s.key == k)
                            .map_or("", |s| s.description);
                        [k.clone(), v.clone(), about.to_string()]
                    })
                    .collect();
                table(["KEY", "VALUE", "MEANING"], &rows)
            })
        }
        PrefsCmd::Set { key, value } => {
            let v = ctx.store.set_preference(&ctx.session, &key, &value)?;
            let done = serde_json::json!({ "key": key, "value": v });
            ctx.out.show(&done, |_| format!("{key} = {v}\n"))
        }
    }
}
