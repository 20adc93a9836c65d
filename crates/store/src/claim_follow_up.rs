//! This desktop's bookkeeping for claim-status follow-ups: when it last
//! asked a payer about each sent claim and whether an answer came, and how
//! its last automatic follow-up went. Local (never synced): each desktop
//! asks over its own clearinghouse connection.

use crate::audit::Entry;
use crate::error::{Result, StoreError};
use crate::session::Session;
use crate::store::Store;
use crate::sync_state::{meta_report, set_meta};
use clinicdesk_domain::Permission;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

const ASKED_KEY: &str = "claim_status_asked";
const RUN_KEY: &str = "claim_follow_up";

/// The last question about one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAsked {
    /// Seconds since 1970.
    pub at: i64,
    /// The payer answered (else the question could not be asked or got
    /// no answer).
    pub answered: bool,
}

/// One automatic follow-up: what was asked and what came of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRun {
    pub at: i64,
    /// (claim id, the answer in words)
    #[serde(default)]
    pub answered: Vec<(String, String)>,
    /// (claim id, why it could not be asked or answered)
    #[serde(default)]
    pub failed: Vec<(String, String)>,
}

impl FollowUpRun {
    /// One line for the audit trail and the screens.
    pub fn summary(&self) -> String {
        match (self.answered.len(), self.failed.len()) {
            (0, 0) => "no sent claim was due for a status question".into(),
            (a, 0) => format!("{a} claims asked about and answered"),
            (0, f) => format!("{f} claims could not be asked about"),
            (a, f) => format!("{a} claims answered, {f} could not be asked about"),
        }
    }
}

fn to_json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(format!("cannot save: {e}")))
}

/// Notes questions about claims inside a write; claims no longer waiting
/// for an answer are forgotten on the way.
pub(crate) fn note_asked<'a>(
    conn: &Connection,
    asked: impl IntoIterator<Item = (&'a str, StatusAsked)>,
) -> Result<()> {
    let mut all: BTreeMap<String, StatusAsked> = meta_report(conn, ASKED_KEY)?;
    all.extend(asked.into_iter().map(|(id, a)| (id.to_string(), a)));
    let waiting: HashSet<String> = conn
        .prepare_cached("SELECT id FROM claims WHERE status IN ('submitted', 'accepted')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    all.retain(|id, _| waiting.contains(id));
    set_meta(conn, ASKED_KEY, &to_json(&all)?)
}

impl Store {
    /// The last question this desktop asked about each claim still waiting
    /// for an answer.
    pub fn status_questions_asked(&self) -> Result<BTreeMap<String, StatusAsked>> {
        meta_report(self.conn(), ASKED_KEY)
    }

    /// The last automatic follow-up, if any ran here.
    pub fn claim_follow_up(&self) -> Result<Option<FollowUpRun>> {
        meta_report(self.conn(), RUN_KEY)
    }

    /// Records an automatic follow-up: every claim it asked about, and the
    /// run itself (audited when it asked anything).
    pub fn record_claim_follow_up(&mut self, session: &Session, run: &FollowUpRun) -> Result<()> {
        session.require(Permission::Billing)?;
        let text = to_json(run)?;
        self.write(session, |tx| {
            let at = run.at;
            let answered = run.answered.iter().map(|(id, _)| (id, true));
            let failed = run.failed.iter().map(|(id, _)| (id, false));
            note_asked(
                tx.conn(),
                answered
                    .chain(failed)
                    .map(|(id, answered)| (id.as_str(), StatusAsked { at, answered })),
            )?;
            set_meta(tx.conn(), RUN_KEY, &text)?;
            if !run.answered.is_empty() || !run.failed.is_empty() {
                tx.audit(Entry::new("claim", "status-follow-up").detail(run.summary()))?;
            }
            Ok(())
        })
    }
}
