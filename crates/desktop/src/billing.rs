//! The biller's screen: visits to bill, claims with what the scrubber
//! says, submission (837P batches queued for the clearinghouse worker),
//! posting of 835/999/277CA files, claim status asked of the payer
//! (276/277), the denials worklist and A/R aging.

use crate::desk::Desk;
use crate::error::DeskError;
use crate::Result;
use clinicdesk_billing::{follow_up, Aging, BillingError, Denial, Problem};
use clinicdesk_clearinghouse::Client;
use clinicdesk_domain::money::dollars;
use clinicdesk_domain::Permission;
use clinicdesk_store::{ClaimDraft, ClaimRow, Fee, LineDraft, UnbilledVisit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct BillingOverview {
    pub to_bill: Vec<UnbilledVisit>,
    pub claims: Vec<ClaimRow>,
    pub denials: Vec<Denial>,
    pub aging: Aging,
    pub fees: Vec<Fee>,
    /// How many ICD-10-CM codes are loaded (0: diagnoses cannot be checked).
    pub codes_loaded: i64,
    /// The SFTP drops this computer picks up 999s, 277CAs and 835s from.
    pub replies: Vec<ReplyDrop>,
    /// The automatic claim-status follow-up on this computer.
    pub follow_up: FollowUpView,
}

/// How sent claims are followed up here: the rule, the last run, and how
/// many claims the next run will ask about.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpView {
    pub first_ask_after_days: i64,
    pub ask_again_after_days: i64,
    pub last: Option<clinicdesk_store::claim_follow_up::FollowUpRun>,
    pub due: usize,
}

/// One SFTP drop: how its last pick-up here went, and when the next is.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyDrop {
    pub connection: String,
    pub last: Option<clinicdesk_store::SftpPickup>,
    /// About when the clearinghouse worker looks again (seconds since 1970).
    pub next_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClaimInput {
    /// Set to change a draft; empty to draft a new claim.
    #[serde(default)]
    pub claim_id: Option<String>,
    pub encounter_id: String,
    pub diagnoses: Vec<String>,
    pub lines: Vec<LineDraft>,
}

/// A claim and what keeps it from being sent.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    pub claim: clinicdesk_store::Claim,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClaimIdsInput {
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmitReport {
    /// The control numbers of the batches queued to send.
    pub batches: Vec<i64>,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BillingFileInput {
    /// The file's name, for messages.
    pub name: String,
    /// Its content: an 835, or 999 and 277CA acknowledgements.
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FeeInput {
    pub code: String,
    #[serde(default)]
    pub modifier: Option<String>,
    pub description: String,
    pub charge_cents: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CodeSearchInput {
    pub query: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeMatch {
    /// With the dot: J20.9.
    pub code: String,
    pub billable: bool,
    pub description: String,
}

type Inquiry = clinicdesk_x12::transactions::claim_status_request::ClaimStatusInquiry;
type Entry = clinicdesk_x12::transactions::claim_status::ClaimEntry;
/// A claim's 276, ready to ask, or why it cannot be asked.
type Question = std::result::Result<(Client, Inquiry), String>;

/// The 276s of one "Check status", made ready under the desk and asked
/// without it ([`StatusQuestions::ask`]), so the app stays usable while the
/// payers answer.
pub struct StatusQuestions {
    /// Per claim.
    questions: Vec<(String, Question)>,
}

/// The payers' answers, to record with [`Desk::record_claim_status`].
pub struct StatusAnswers {
    answers: Vec<(String, std::result::Result<Entry, String>)>,
}

impl StatusQuestions {
    /// Asks every payer in turn, on a thread and runtime of its own, so it
    /// never nests in the app's runtime.
    pub fn ask(self) -> StatusAnswers {
        let ids: Vec<String> = self.questions.iter().map(|(id, _)| id.clone()).collect();
        let asked = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("The network could not be started: {e}."))?;
            Ok::<_, String>(
                self.questions
                    .into_iter()
                    .map(|(id, q)| {
                        let answer = q.and_then(|(client, inquiry)| {
                            runtime
                                .block_on(clinicdesk_clearinghouse::check_claim_status(
                                    &client, &inquiry,
                                ))
                                .map(|a| a.entry)
                                .map_err(|e| e.to_string())
                        });
                        (id, answer)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .join()
        .unwrap_or_else(|_| Err("The claim status request stopped unexpectedly.".into()));
        StatusAnswers {
            answers: match asked {
                Ok(answers) => answers,
                Err(why) => ids.into_iter().map(|id| (id, Err(why.clone()))).collect(),
            },
        }
    }
}

fn billing_error(e: BillingError) -> DeskError {
    match e {
        BillingError::Store(s) => s.into(),
        other => DeskError::invalid(other.to_string()),
    }
}

impl Desk {
    pub fn billing_overview(&mut self) -> Result<BillingOverview> {
        let now = self.now_seconds();
        let (store, session) = self.session()?;
        Ok(BillingOverview {
            to_bill: store.unbilled_visits(&session, 200)?,
            claims: store.claim_rows(&session, 500)?,
            denials: clinicdesk_billing::denials(store, &session).map_err(billing_error)?,
            aging: clinicdesk_billing::aging(store, &session, now).map_err(billing_error)?,
            fees: store.fees(&session)?,
            codes_loaded: store.icd10cm_count()?,
            replies: reply_drops(store, now)?,
            follow_up: FollowUpView {
                first_ask_after_days: follow_up::FIRST_ASK_AFTER_DAYS,
                ask_again_after_days: follow_up::ASK_AGAIN_AFTER_DAYS,
                last: store.claim_follow_up()?,
                due: follow_up::follow_ups_due(store, &session, now)
                    .map_err(billing_error)?
                    .len(),
            },
        })
    }

    /// "Look for replies now": wakes the clearinghouse worker to pick up
    /// from every SFTP drop at once; the Billing screen refreshes as each
    /// pick-up is recorded.
    pub fn pick_up_replies(&mut self) -> Result<String> {
        let now = self.now_seconds();
        let (store, session) = self.session()?;
        session.require(Permission::Billing)?;
        let drops = reply_drops(store, now)?.len();
        if drops == 0 {
            return Err(DeskError::invalid(
                "No connection has an SFTP drop on this computer (Preferences → Insurance).",
            ));
        }
        self.outbox_bell().ring_pick_up();
        Ok(format!(
            "Looking for replies in {drops} SFTP drop{}…",
            if drops == 1 { "" } else { "s" }
        ))
    }

    /// Drafts a claim, or rewrites a draft, and scrubs it.
    pub fn save_claim(&mut self, input: &ClaimInput) -> Result<ClaimView> {
        let (store, session) = self.session()?;
        let draft = ClaimDraft {
            encounter_id: input.encounter_id.clone(),
            diagnoses: input.diagnoses.clone(),
            lines: input.lines.clone(),
        };
        let claim = match crate::inputs::filled(&input.claim_id) {
            Some(id) => store.update_claim(&session, &id, &draft)?,
            None => store.create_claim(&session, &draft)?,
        };
        let today = store.zone().today();
        let problems =
            clinicdesk_billing::scrub(store, &session, &claim.id, today).map_err(billing_error)?;
        Ok(ClaimView { claim, problems })
    }

    pub fn claim_view(&mut self, input: &crate::IdInput) -> Result<ClaimView> {
        let (store, session) = self.session()?;
        let claim = store.claim(&session, &input.id)?;
        let problems = if claim.status == "draft" {
            let today = store.zone().today();
            clinicdesk_billing::scrub(store, &session, &claim.id, today).map_err(billing_error)?
        } else {
            Vec::new()
        };
        Ok(ClaimView { claim, problems })
    }

    /// Sends clean drafts: one 837P batch per clearinghouse connection,
    /// queued in the outbox with its claims marked submitted, in one
    /// transaction each. The clearinghouse worker sends them at once when
    /// the connection answers, and later when it does not; the claims list
    /// shows how each batch stands.
    pub fn submit_claims(&mut self, input: &ClaimIdsInput) -> Result<SubmitReport> {
        let (store, session) = self.session()?;
        let today = store.zone().today();
        let batches = clinicdesk_billing::submit(store, &session, &input.ids, today)
            .map_err(billing_error)?;
        self.nudge_outbox();
        let claims: i64 = batches.iter().map(|b| b.claim_count).sum();
        let total: i64 = batches.iter().map(|b| b.total_cents).sum();
        let message = format!(
            "{claims} claim{} ({}) in {} batch{}, being sent to the clearinghouse.",
            if claims == 1 { "" } else { "s" },
            dollars(total),
            batches.len(),
            if batches.len() == 1 { "" } else { "es" },
        );
        Ok(SubmitReport {
            batches: batches.iter().map(|b| b.control_number).collect(),
            message,
        })
    }

    /// Queues a batch again after what kept it from going was fixed (or
    /// to try now one that waits for its next try).
    pub fn resend_batch(&mut self, input: &crate::IdInput) -> Result<String> {
        let (store, session) = self.session()?;
        let batch = store.resend_batch(&session, &input.id)?;
        self.nudge_outbox();
        Ok(format!(
            "Batch {} is being sent again.",
            batch.control_number
        ))
    }

    /// Asks the payer where each claim stands (a 276 through the claim's
    /// CORE connection, answered in real time by a 277) and records the
    /// answers; with no ids, every sent claim still waiting for one. Says
    /// what each payer answered, one sentence per claim. The app asks in
    /// three steps instead, leaving the desk free while payers answer.
    pub fn check_claim_status(&mut self, input: &ClaimIdsInput) -> Result<String> {
        let questions = self.claim_status_questions(input)?;
        self.record_claim_status(questions.ask())
    }

    /// The 276s for these claims (none: every sent claim still waiting for
    /// an answer), each with the client of its connection.
    pub fn claim_status_questions(&mut self, input: &ClaimIdsInput) -> Result<StatusQuestions> {
        let keychain = self.keychain().clone();
        let (store, session) = self.session()?;
        let ids: Vec<String> = if input.ids.is_empty() {
            clinicdesk_billing::claim_status::awaiting_answer(store, &session)
                .map_err(billing_error)?
                .into_iter()
                .map(|c| c.id)
                .collect()
        } else {
            input.ids.clone()
        };
        let questions = ids
            .into_iter()
            .map(|id| {
                let q = clinicdesk_billing::claim_status::status_inquiry(store, &session, &id)
                    .map_err(|e| e.to_string())
                    .and_then(|(inquiry, conn)| {
                        let client = clinicdesk_billing::send::core_client(&conn, &keychain, 1)
                            .map_err(|e| e.to_string())?;
                        Ok((client, inquiry))
                    });
                (id, q)
            })
            .collect();
        Ok(StatusQuestions { questions })
    }

    /// Records the payers' answers and says what each answered.
    pub fn record_claim_status(&mut self, answers: StatusAnswers) -> Result<String> {
        if answers.answers.is_empty() {
            return Ok("No sent claims are waiting for an answer.".into());
        }
        let (store, session) = self.session()?;
        let mut lines = Vec::new();
        for (id, answer) in answers.answers {
            let recorded = answer.and_then(|entry| {
                clinicdesk_billing::claim_status::apply_claim_status(store, &session, &id, &entry)
                    .map_err(|e| e.to_string())
            });
            let short: String = id.chars().take(8).collect();
            lines.push(match recorded {
                Ok(r) => format!("Claim {short}…: {} · {}", r.status, r.summary),
                Err(e) => format!("Claim {short}…: not asked · {e}"),
            });
        }
        Ok(lines.join("\n"))
    }

    /// Posts an 835, or applies 999/277CA acknowledgements.
    pub fn post_billing_file(&mut self, input: &BillingFileInput) -> Result<String> {
        let (store, session) = self.session()?;
        let bytes = input.text.as_bytes();
        if clinicdesk_billing::holds_remittance(bytes).map_err(billing_error)? {
            let reports = clinicdesk_billing::post_remittance(store, &session, bytes)
                .map_err(billing_error)?;
            Ok(reports
                .iter()
                .map(|r| {
                    format!(
                        "{}: payment {} of {} posted to {} claim{}{}{}.",
                        r.payer,
                        r.trace_number,
                        dollars(r.payment_cents),
                        r.payments.len() - r.unmatched,
                        if r.payments.len() - r.unmatched == 1 {
                            ""
                        } else {
                            "s"
                        },
                        if r.unmatched > 0 {
                            format!("; {} not matched to a claim", r.unmatched)
                        } else {
                            String::new()
                        },
                        if r.already_posted > 0 {
                            format!("; {} already posted before", r.already_posted)
                        } else {
                            String::new()
                        },
                    )
                })
                .collect::<Vec<_>>()
                .join(" "))
        } else {
            let r = clinicdesk_billing::apply_acknowledgments(store, &session, bytes)
                .map_err(billing_error)?;
            let accepted = r.claims.iter().filter(|(_, ok)| *ok).count();
            let mut parts = Vec::new();
            for (control, status) in &r.batches {
                parts.push(format!(
                    "batch {control} {}",
                    match status.as_str() {
                        "A" => "accepted",
                        "E" => "accepted with errors",
                        "P" => "partly accepted",
                        _ => "rejected",
                    }
                ));
            }
            if !r.claims.is_empty() {
                parts.push(format!(
                    "{accepted} claim(s) accepted, {} rejected",
                    r.claims.len() - accepted
                ));
            }
            if !r.unknown.is_empty() {
                parts.push(format!("not known here: {}", r.unknown.join(", ")));
            }
            Ok(format!("{}: {}.", input.name, parts.join("; ")))
        }
    }

    pub fn set_fee(&mut self, input: &FeeInput) -> Result<Fee> {
        let (store, session) = self.session()?;
        Ok(store.set_fee(
            &session,
            &input.code,
            input.modifier.as_deref(),
            &input.description,
            input.charge_cents,
        )?)
    }

    pub fn search_codes(&mut self, input: &CodeSearchInput) -> Result<Vec<CodeMatch>> {
        let (store, _) = self.session()?;
        Ok(store
            .search_icd10cm(&input.query, 20)?
            .into_iter()
            .map(|(code, billable, description)| CodeMatch {
                code: clinicdesk_store::claims::display_icd10(&code),
                billable,
                description,
            })
            .collect())
    }
}

fn reply_drops(store: &clinicdesk_store::Store, now: i64) -> Result<Vec<ReplyDrop>> {
    let every = clinicdesk_billing::receive::PICKUP_EVERY.as_secs() as i64;
    let pickups = store.sftp_pickups()?;
    Ok(
        clinicdesk_billing::receive::sftp_drops(&store.payer_settings()?, None)
            .into_iter()
            .map(|(conn, _)| {
                let last = pickups.iter().find(|p| p.connection == conn.name).cloned();
                let next_at = last.as_ref().map_or(now, |p| (p.at + every).max(now));
                ReplyDrop {
                    connection: conn.name,
                    last,
                    next_at,
                }
            })
            .collect(),
    )
}
