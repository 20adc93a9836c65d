//! `user`: accounts and roles.

use crate::context::Ctx;
use crate::error::Result;
use crate::output::{table_or, yes_no};
use crate::secret::{self, Ask};
use clinicdesk_domain::{Permission, Role};
use clinicdesk_store::{NewUser, User};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum UserCmd {
    /// Add a user (password: CLINICDESK_NEW_PASSWORD or a prompt)
    Add {
        username: String,
        /// front-desk, physician, nurse, biller or admin
        #[arg(long, value_parser = crate::args::role)]
        role: Role,
        /// Display name
        #[arg(long)]
        name: String,
        /// The provider a physician sees patients as (id, NPI or name)
        #[arg(long, value_name = "PROVIDER")]
        provider: Option<String>,
    },
    /// List users
    List,
    /// Stop a user from logging in
    Deactivate { username: String },
    /// Let a deactivated user log in again
    Activate { username: String },
    /// Set a password: your own, or anyone's as an administrator
    /// (CLINICDESK_NEW_PASSWORD or a prompt)
    Passwd { username: String },
}

#[derive(Serialize)]
struct Done<'a> {
    username: &'a str,
    done: &'a str,
}

pub fn run(ctx: &mut Ctx, cmd: UserCmd) -> Result<()> {
    match cmd {
        UserCmd::Add {
            username,
            role,
            name,
            provider,
        } => {
            // Refuse before asking for a password the store would not take.
            ctx.session.require(Permission::UserManage)?;
            let provider_id = ctx.provider_id(provider.as_deref())?;
            let password = new_password(&username)?;
            let user = ctx.store.add_user(
                &ctx.session,
                NewUser {
                    username,
                    display_name: name,
                    role,
                    password: password.to_string(),
                    provider_id,
                },
            )?;
            ctx.out.show(&user, |u| {
                format!(
                    "Added user {} ({}) as {}.\n",
                    u.username,
                    u.display_name,
                    u.role.label()
                )
            })
        }
        UserCmd::List => {
            let users = ctx.store.list_users(&ctx.session)?;
            let rows: Vec<[String; 5]> = users
                .iter()
                .map(|u: &User| {
                    [
                        u.username.clone(),
                        u.display_name.clone(),
                        u.role.to_string(),
                        u.provider_id.clone().unwrap_or_default(),
                        yes_no(u.active),
                    ]
                })
                .collect();
            ctx.out.show(&users, |_| {
                table_or(
                    ["USER", "NAME", "ROLE", "PROVIDER", "ACTIVE"],
                    &rows,
                    "No users.",
                )
            })
        }
        UserCmd::Deactivate { username } => {
            ctx.store.set_user_active(&ctx.session, &username, false)?;
            let d = Done {
                username: &username,
                done: "deactivated",
            };
            ctx.out.show(&d, |d| {
                format!("User {} can no longer log in.\n", d.username)
            })
        }
        UserCmd::Activate { username } => {
            ctx.store.set_user_active(&ctx.session, &username, true)?;
            let d = Done {
                username: &username,
                done: "activated",
            };
            ctx.out
                .show(&d, |d| format!("User {} can log in again.\n", d.username))
        }
        UserCmd::Passwd { username } => {
            let own = username.trim().eq_ignore_ascii_case(&ctx.session.username);
            if !own {
                ctx.session.require(Permission::UserManage)?;
            }
            let password = new_password(&username)?;
            ctx.store.set_password(&ctx.session, &username, &password)?;
            let d = Done {
                username: &username,
                done: "password changed",
            };
            ctx.out.show(&d, |d| {
                format!("The password of {} was changed.\n", d.username)
            })
        }
    }
}

fn new_password(username: &str) -> Result<secret::Secret> {
    secret::read(&Ask {
        env: secret::NEW_PASSWORD_ENV,
        what: &format!("new password for {}", username.trim()),
        confirm: true,
    })
}
