//! Picking up what clearinghouses leave in SFTP drops (999s, 277CAs and
//! 835s) and applying it: used by `clinicdesk-cli claim fetch` and by the
//! desktop's clearinghouse worker, which does it every few minutes.

use crate::delivery::apply_payer_file;
use crate::send::sftp_session;
use clinicdesk_clearinghouse::sftp::fetch_inbound;
use clinicdesk_keys::Keychain;
use clinicdesk_store::{
    PayerConnection, PayerSettings, Session, SftpDrop, SftpPickup, Store, Transport,
};
use std::time::Duration;

/// How often the desktop looks for new files in each drop.
pub const PICKUP_EVERY: Duration = Duration::from_secs(5 * 60);

/// The connections with an SFTP drop, or only the one called `only`.
pub fn sftp_drops(
    settings: &PayerSettings,
    only: Option<&str>,
) -> Vec<(PayerConnection, SftpDrop)> {
    settings
        .connections
        .iter()
        .filter(|c| only.is_none_or(|n| n.eq_ignore_ascii_case(&c.name)))
        .filter_map(|c| match &c.transport {
            Transport::Sftp(d) => Some((c.clone(), d.clone())),
            Transport::Core => None,
        })
        .collect()
}

/// Picks up from one drop for this desktop and applies each file as
/// `session`, then records how it went (Billing → "Replies from the
/// clearinghouse" shows it). Files other desktops are applying are left
/// to them.
pub fn pick_up(
    store: &mut Store,
    session: &Session,
    keychain: &Keychain,
    conn: &PayerConnection,
    drop: &SftpDrop,
) -> clinicdesk_store::Result<SftpPickup> {
    let device = store.device_id().to_string();
    let result = sftp_session(conn, drop, keychain).and_then(|sftp| {
        fetch_inbound(&sftp, &device, |_, bytes| {
            apply_payer_file(store, session, bytes).map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())
    });
    let mut pickup = SftpPickup {
        connection: conn.name.clone(),
        at: clinicdesk_store::write::now_seconds(),
        ..SftpPickup::default()
    };
    match result {
        Ok(report) => {
            pickup.applied = report.applied;
            pickup.failed = report.failed;
        }
        Err(e) => pickup.error = Some(e),
    }
    store.record_sftp_pickup(session, pickup.clone())?;
    Ok(pickup)
}

/// Picks up from every drop whose last pick-up here is `PICKUP_EVERY`
/// old (or from all, when `now_asked`), as the automatic "clearinghouse"
/// user; `each` is called after every pick-up. Returns how many ran.
pub fn pick_up_due(
    store: &mut Store,
    keychain: &Keychain,
    now_asked: bool,
    mut each: impl FnMut(&SftpPickup),
) -> clinicdesk_store::Result<usize> {
    let drops = sftp_drops(&store.payer_settings()?, None);
    if drops.is_empty() {
        return Ok(0);
    }
    let last = store.sftp_pickups()?;
    let now = clinicdesk_store::write::now_seconds();
    let every = PICKUP_EVERY.as_secs() as i64;
    let session = clinicdesk_store::delivery_session();
    let mut ran = 0;
    for (conn, drop) in drops {
        let due = last
            .iter()
            .find(|p| p.connection == conn.name)
            .is_none_or(|p| now - p.at >= every || p.at > now);
        if now_asked || due {
            let pickup = pick_up(store, &session, keychain, &conn, &drop)?;
            each(&pickup);
            ran += 1;
        }
    }
    Ok(ran)
}
