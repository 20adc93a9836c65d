//! Where a batch goes and what a payer's file does: the connection that
//! serves a batch's claims, and one entry point for a file picked up from
//! a clearinghouse (an 835 is posted, 999s and 277CAs are applied). Both
//! posting and acknowledgements are idempotent, so a file applied again
//! after an interrupted pick-up changes nothing twice.

use crate::{
    apply_acknowledgments, context, holds_remittance, post_remittance, BillingError, Result,
};
use clinicdesk_domain::money::dollars;
use clinicdesk_store::{Batch, PayerConnection, Session, Store};

/// The connection a batch was made for: the one serving its claims' payer.
pub fn batch_connection(
    store: &mut Store,
    session: &Session,
    batch: &Batch,
) -> Result<PayerConnection> {
    let claim = store
        .claims(session, &[])?
        .into_iter()
        .find(|c| c.batch_id.as_deref() == Some(batch.id.as_str()))
        .ok_or_else(|| {
            BillingError::Invalid(format!("batch {} holds no claim", batch.control_number))
        })?;
    let cx = context(store, session, claim)?;
    cx.connection.ok_or_else(|| {
        BillingError::Invalid(format!(
            "no clearinghouse connection serves the payer of batch {} (Preferences → Insurance)",
            batch.control_number
        ))
    })
}

/// Applies one payer file and says what it did in a sentence.
pub fn apply_payer_file(store: &mut Store, session: &Session, x12: &[u8]) -> Result<String> {
    if holds_remittance(x12)? {
        let reports = post_remittance(store, session, x12)?;
        let parts: Vec<String> = reports
            .iter()
            .map(|r| {
                let mut s = format!(
                    "835 {} from {}: {} payment{} of {}",
                    r.trace_number,
                    r.payer,
                    r.payments.len(),
                    if r.payments.len() == 1 { "" } else { "s" },
                    dollars(r.payment_cents)
                );
                if r.already_posted > 0 {
                    s.push_str(&format!(", {} already posted", r.already_posted));
                }
                if r.unmatched > 0 {
                    s.push_str(&format!(", {} for claims not sent from here", r.unmatched));
                }
                s
            })
            .collect();
        return Ok(parts.join("; "));
    }
    let r = apply_acknowledgments(store, session, x12)?;
    let mut parts: Vec<String> = r
        .batches
        .iter()
        .map(|(control, status)| format!("999 for batch {control}: {status}"))
        .collect();
    let accepted = r.claims.iter().filter(|(_, ok)| *ok).count();
    let rejected = r.claims.len() - accepted;
    if !r.claims.is_empty() {
        parts.push(format!("277CA: {accepted} accepted, {rejected} rejected"));
    }
    if !r.unknown.is_empty() {
        parts.push(format!("not known here: {}", r.unknown.join(", ")));
    }
    Ok(parts.join("; "))
}
