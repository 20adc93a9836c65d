//! Users, roles and Argon2id passwords.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::write::{int, new_id, opt_text, text};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use clinicdesk_domain::{Permission, Role};
use rusqlite::OptionalExtension;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub provider_id: Option<String>,
    pub active: bool,
}

pub(crate) fn check_password(p: &str) -> Result<()> {
    if p.chars().count() < 12 {
        return Err(StoreError::invalid(
            "a password must be at least 12 characters long",
        ));
    }
    Ok(())
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && u.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(u)
    } else {
        Err(StoreError::invalid(format!(
            "user name '{u}' must be 2 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit"
        )))
    }
}

fn hash_password(p: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(p.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid(format!("could not hash the password: {e}")))
}

fn verify_password(p: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(p.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

const USER_COLUMNS: &str = "id, username, display_name, role, provider_id, active";

fn read_user(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: role.parse().unwrap_or(Role::FrontDesk),
        provider_id: r.get(4)?,
        active: r.get(5)?,
    })
}

impl Store {
    pub(crate) fn bootstrap_admin(&mut self, admin: &NewUser) -> Result<Session> {
        let id = new_id();
        let session = Session {
            user_id: id.clone(),
            username: check_username(&admin.username)?,
            display_name: clinicdesk_domain::validate::name("display name", &admin.display_name)
                .map_err(StoreError::Invalid)?,
            role: Role::Admin,
            provider_id: None,
        };
        let hash = hash_password(&admin.password)?;
        self.write(&session, |tx| {
            tx.insert(
                "users",
                &id,
                vec![
                    ("username", text(&session.username)),
                    ("display_name", text(&session.display_name)),
                    ("role", text(Role::Admin.as_str())),
                    ("password_hash", text(hash)),
                    ("active", int(1)),
                    ("created_at", int(tx.now())),
                ],
            )?;
            tx.audit(
                Entry::new("user", "create")
                    .record(&id)
                    .detail("first administrator"),
            )
        })?;
        Ok(session)
    }

    /// Checks a password and returns the session. Failures are audited too.
    pub fn login(&mut self, username: &str, password: &str) -> Result<Session> {
        let name = username.trim().to_ascii_lowercase();
        let found: Option<(User, String)> = self
            .conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"),
                [&name],
                |r| Ok((read_user(r)?, r.get(6)?)),
            )
            .optional()?;
        let ok = match &found {
            Some((u, hash)) => u.active && verify_password(password, hash),
            None => {
                // Spend the same effort so timing does not reveal which names exist.
                let _ = verify_password(password, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wq4lhrWqxq1hYbQAvB5CWRXsXlFpRCWTrmh2lT1tgGs");
                false
            }
        };
        let actor = match &found {
            Some((u, _)) => Session {
                user_id: u.id.clone(),
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role: u.role,
                provider_id: u.provider_id.clone(),
            },
            None => Session {
                user_id: String::new(),
                username: name.clone(),
                display_name: String::new(),
                role: Role::FrontDesk,
                provider_id: None,
            },
        };
        let action = if ok { "login" } else { "login-failed" };
        self.write(&actor, |tx| tx.audit(Entry::new("security", action)))?;
        if ok {
            Ok(actor)
        } else {
            Err(StoreError::BadLogin)
        }
    }

    pub fn add_user(&mut self, session: &Session, user: NewUser) -> Result<User> {
        session.require(Permission::UserManage)?;
        let username = check_username(&user.username)?;
        let display_name = clinicdesk_domain::validate::name("display name", &user.display_name)
            .map_err(StoreError::Invalid)?;
        check_password(&user.password)?;
        if let Some(p) = &user.provider_id {
            self.provider(p)?;
        }
        let taken: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)",
            [&username],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StoreError::Conflict(format!(
                "the user name '{username}' is already taken"
            )));
        }
        let hash = hash_password(&user.password)?;
        let id = new_id();
        self.write(session, |tx| {
            tx.insert(
                "users",
                &id,
                vec![
                    ("username", text(&username)),
                    ("display_name", text(&display_name)),
                    ("role", text(user.role.as_str())),
                    ("password_hash", text(hash)),
                    ("provider_id", opt_text(user.provider_id.clone())),
                    ("active", int(1)),
                    ("created_at", int(tx.now())),
                ],
            )?;
            tx.audit(
                Entry::new("user", "create")
                    .record(&id)
                    .detail(format!("{username} as {}", user.role)),
            )
        })?;
        Ok(User {
            id,
            username,
            display_name,
            role: user.role,
            provider_id: user.provider_id,
            active: true,
        })
    }

    pub fn list_users(&self, session: &Session) -> Result<Vec<User>> {
        session.require(Permission::UserManage)?;
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))?;
        let users = stmt
            .query_map([], read_user)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(users)
    }

    /// The name a user signs with, for showing who signed or amended a note.
    /// Not PHI, so any logged-in user may read it.
    pub fn user_display_name(&self, user_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT display_name FROM users WHERE id = ?1")?
            .query_row([user_id], |r| r.get(0))
            .optional()?)
    }

    fn user_by_name(&self, username: &str) -> Result<User> {
        let name = username.trim().to_ascii_lowercase();
        self.conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [&name],
                read_user,
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("user", name))
    }

    pub fn set_user_active(
        &mut self,
        session: &Session,
        username: &str,
        active: bool,
    ) -> Result<()> {
        session.require(Permission::UserManage)?;
        let user = self.user_by_name(username)?;
        if user.id == session.user_id && !active {
            return Err(StoreError::invalid(
                "you cannot deactivate your own account",
            ));
        }
        self.write(session, |tx| {
            tx.update("users", &user.id, vec![("active", int(active as i64))])?;
            tx.audit(
                Entry::new("user", if active { "activate" } else { "deactivate" })
                    .record(&user.id)
                    .detail(&user.username),
            )
        })
    }

    /// Users change their own password; administrators can reset anyone's.
    pub fn set_password(
        &mut self,
        session: &Session,
        username: &str,
        new_password: &str,
    ) -> Result<()> {
        let user = self.user_by_name(username)?;
        if user.id != session.user_id {
            session.require(Permission::UserManage)?;
        }
        check_password(new_password)?;
        let hash = hash_password(new_password)?;
        self.write(session, |tx| {
            tx.update("users", &user.id, vec![("password_hash", text(hash))])?;
            tx.audit(
                Entry::new("security", "password-change")
                    .record(&user.id)
                    .detail(&user.username),
            )
        })
    }
}
