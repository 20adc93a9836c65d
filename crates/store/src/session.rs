use crate::error::{Result, StoreError};
use clinicdesk_domain::{Permission, Role};
use serde::Serialize;

/// A logged-in user. Every store operation takes one and checks its role.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Set for physicians: the provider whose schedule is "my day".
    pub provider_id: Option<String>,
}

impl Session {
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(StoreError::Denied {
                role: self.role,
                permission,
            })
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}
