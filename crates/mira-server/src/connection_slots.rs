//! The cap on open client connections (MIRA_MAX_CONNECTIONS).
//!
//! Every descriptor the server holds for a client counts against the process's open-file
//! limit, which the database, the vector store and the watchers need too: with no cap, 1,100
//! idle connections at a 1,024 limit left the server unable to accept or open anything.
//! Each connection holds a [`Slot`] for as long as its socket is open, a WebSocket's
//! included (the slot travels with the socket into the upgrade).
//!
//! At the cap, a new connection first closes the oldest connection that has not sent a
//! complete request yet: that is what a flood of idle or half-sent connections looks
//! like, and a real client sends its request as soon as it connects. Only when every open
//! connection has sent a request does a new one wait, until one closes (MIRA_HEADER_TIMEOUT_SECS
//! bounds how long an idle keep-alive connection stays).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Descriptors kept out of the default cap for everything else the server opens.
const MIN_RESERVE: u64 = 128;
/// The largest cap MIRA_MAX_CONNECTIONS accepts, also when the open-file limit is higher.
const MAX_CAP: u64 = 1_000_000;

pub struct Slots {
    cap: usize,
    permits: Arc<Semaphore>,
    /// Connections that have not sent a complete request yet, by id; ids grow, so the
    /// first entry is the oldest. Cancelling a token closes its connection.
    waiting_for_request: Mutex<BTreeMap<u64, CancellationToken>>,
    next_id: AtomicU64,
}

/// One open connection's place under the cap; dropping it (when the socket closes) frees
/// the place.
pub struct Slot {
    id: u64,
    slots: Arc<Slots>,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    pub fn new(cap: usize) -> Arc<Self> {
        let cap = cap.max(1);
        Arc::new(Self {
            cap,
            permits: Arc::new(Semaphore::new(cap)),
            waiting_for_request: Mutex::default(),
            next_id: AtomicU64::new(0),
        })
    }

    /// A place for a connection just accepted, and the token that closes it if it is
    /// evicted before its first request. At the cap, evicts the oldest connection still
    /// waiting for its first request, or else waits for any connection to close.
    pub async fn take(self: &Arc<Self>) -> (Slot, CancellationToken) {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if let Some(id) = self.evict_oldest_waiting() {
                    tracing::debug!(
                        connection = id,
                        cap = self.cap,
                        "at the connection cap: closing the oldest connection that sent no request"
                    );
                }
                self.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let evict = CancellationToken::new();
        self.waiting().insert(id, evict.clone());
        let slot = Slot {
            id,
            slots: self.clone(),
            _permit: permit,
        };
        (slot, evict)
    }

    /// The connection has sent a complete request: it is a client, not evicted any more.
    pub fn sent_a_request(&self, slot_id: u64) {
        self.forget(slot_id);
    }

    fn forget(&self, slot_id: u64) {
        self.waiting().remove(&slot_id);
    }

    /// Resolves once every connection has closed.
    pub async fn all_closed(&self) {
        let cap = u32::try_from(self.cap).unwrap_or(u32::MAX);
        let _all = self.permits.acquire_many(cap).await;
    }

    fn evict_oldest_waiting(&self) -> Option<u64> {
        let (id, evict) = self.waiting().pop_first()?;
        evict.cancel();
        Some(id)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, CancellationToken>> {
        self.waiting_for_request.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Slot {
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.forget(self.id);
    }
}

/// The cap when MIRA_MAX_CONNECTIONS is unset: the process's open-file limit less a
/// quarter of it (at least [`MIN_RESERVE`]) for the stores, logs, watchers and git.
pub fn default_cap() -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    let reserve = (limit / 4).max(MIN_RESERVE);
    limit.saturating_sub(reserve).clamp(1, MAX_CAP) as usize
}

#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    // rlim_t is u64 on Linux but not on every unix.
    #[allow(clippy::unnecessary_cast)]
    ok.then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_oldest_connection_without_a_request_is_evicted() {
        let slots = Slots::new(2);
        let (first, first_evict) = slots.take().await;
        let (second, second_evict) = slots.take().await;
        slots.sent_a_request(first.id());
        // The third takes the place of the second (the only one without a request) as
        // soon as the second's connection closes on its eviction.
        let closer = tokio::spawn(async move {
            second_evict.cancelled().await;
            drop(second);
        });
        let (third, _) = tokio::time::timeout(Duration::from_secs(1), slots.take())
            .await
            .expect("a place freed by eviction");
        closer.await.unwrap();
        assert!(!first_evict.is_cancelled());
        // Every connection has sent a request or is the newest: the next one waits.
        slots.sent_a_request(third.id());
        let waiting = tokio::time::timeout(Duration::from_millis(100), slots.take()).await;
        assert!(waiting.is_err(), "no place and nothing to evict: it waits");
        drop(first);
        let (_fourth, _) = tokio::time::timeout(Duration::from_secs(1), slots.take())
            .await
            .expect("a place freed by a close");
    }

    #[test]
    fn the_default_cap_stays_below_the_open_file_limit() {
        let cap = default_cap() as u64;
        assert!(cap >= 1);
        if let Some(limit) = open_file_limit()
            && limit > 2 * MIN_RESERVE
        {
            assert!(
                cap + MIN_RESERVE <= limit,
                "cap {cap} at an open-file limit of {limit}"
            );
        }
    }
}
