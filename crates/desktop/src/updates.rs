//! Where updates come from on this desktop, and who may change that.

use crate::desk::Desk;
use crate::Result;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateSourceInput {
    /// `None` or blank clears it: the address built into the app applies.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateSettings {
    /// Set by an administrator on this desktop.
    pub source: Option<String>,
    pub can_change: bool,
}

impl Desk {
    /// The administrator's update address, for the background check. It
    /// needs nobody logged in: the address is not patient data, and a
    /// desktop left at the lock screen should still learn of updates.
    pub fn update_source(&mut self) -> Option<String> {
        self.store_mut()?.update_source().ok().flatten()
    }

    pub fn update_settings(&mut self) -> Result<UpdateSettings> {
        let (store, session) = self.session()?;
        Ok(UpdateSettings {
            source: store.update_source()?,
            can_change: session
                .role
                .allows(clinicdesk_domain::Permission::StoreAdmin),
        })
    }

    pub fn set_update_source(&mut self, input: &UpdateSourceInput) -> Result<UpdateSettings> {
        let (store, session) = self.session()?;
        store.set_update_source(&session, input.url.as_deref())?;
        self.update_settings()
    }
}
