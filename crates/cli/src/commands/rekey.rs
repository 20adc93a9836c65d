//! `rekey`: replace the store's encryption key without losing data.

use crate::commands::init::key_source_text;
use crate::context::Ctx;
use crate::error::Result;
use crate::secret::{self, Ask};
use clinicdesk_domain::Permission;
use clinicdesk_store::KeySource;
use serde::Serialize;

#[derive(Serialize)]
struct Rekeyed {
    rekeyed: bool,
    key_source: KeySource,
}

pub fn run(ctx: &mut Ctx) -> Result<()> {
    // Ask for nothing before the role is known to allow it.
    ctx.session.require(Permission::StoreAdmin)?;
    let passphrase = match ctx.store.key_source() {
        KeySource::Keychain => None,
        KeySource::KeyFile => Some(secret::read(&Ask {
            env: secret::NEW_KEY_PASSPHRASE_ENV,
            what: "new key-file passphrase",
            confirm: true,
        })?),
    };
    ctx.store
        .rekey(&ctx.session, passphrase.as_ref().map(|p| p.as_str()))?;
    let done = Rekeyed {
        rekeyed: true,
        key_source: ctx.store.key_source(),
    };
    ctx.out.show(&done, |d| {
        format!(
            "The store key was replaced; the new key is in the {}.\n",
            key_source_text(d.key_source)
        )
    })
}
