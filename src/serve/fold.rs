//! The served state: the whole stream folded into one `Feed`, kept up to
//! date by one reader, and each event it applies passed on to the live
//! clients. Every `serve` on a stream folds the same events in the same
//! order, so all of them answer with the same lists and counts.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, oneshot};

use crate::app::Delivery;
use crate::bus::{BusError, Events, Session};
use crate::feed::Feed;

/// Events kept for live clients: a client further behind than this is
/// disconnected instead of holding memory or the reader up.
pub const LIVE_BUFFER: usize = 16_384;

/// How long start-up waits for the next stored event before serving what
/// it has (a stream whose last message was deleted never delivers it).
const CATCH_UP_STALL: Duration = Duration::from_secs(5);

/// One event as live clients get it: its place in the stream and its JSON.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub seq: u64,
    pub json: Utf8Bytes,
}

pub struct Fold {
    feed: RwLock<Feed>,
    /// The last stream sequence read, applied or skipped.
    folded: AtomicU64,
    /// Requests waiting for their own event to be folded, by its sequence:
    /// each is woken once, when its event is in, not at every event.
    waiters: Mutex<BTreeMap<u64, Vec<oneshot::Sender<()>>>>,
    live: broadcast::Sender<LiveEvent>,
    skipped: AtomicU64,
}

impl Fold {
    /// Reads the stream from its first event up to its last one now, then
    /// goes on folding new events in the background.
    pub async fn start(session: &Session) -> Result<Arc<Fold>, BusError> {
        let span = session.span().await?;
        let mut events = session.read(1);
        let fold = Arc::new(Fold {
            feed: RwLock::new(Feed::new()),
            folded: AtomicU64::new(0),
            waiters: Mutex::new(BTreeMap::new()),
            live: broadcast::channel(LIVE_BUFFER).0,
            skipped: AtomicU64::new(0),
        });
        if span.last > 0 && span.first <= span.last {
            tracing::info!("folding events {} to {}", span.first, span.last);
            loop {
                match tokio::time::timeout(CATCH_UP_STALL, events.next()).await {
                    Ok(Some(d)) => {
                        let seq = d.seq;
                        fold.apply(d);
                        if seq >= span.last {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        tracing::warn!(
                            "nothing read for {CATCH_UP_STALL:?} at event {}; serving what is folded",
                            fold.folded()
                        );
                        break;
                    }
                }
            }
        }
        tracing::info!(
            "folded {} tweets up to event {}",
            fold.feed().len(),
            fold.folded()
        );
        tokio::spawn(follow(fold.clone(), events));
        Ok(fold)
    }

    fn apply(&self, d: Delivery) {
        let seq = d.seq;
        if let Ok(event) = d.event {
            // Encoded only while someone listens: folding needs no JSON.
            let json = (self.live.receiver_count() > 0)
                .then(|| Utf8Bytes::from(String::from_utf8_lossy(&event.encode()).into_owned()));
            let applied = self
                .feed
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply_owned(seq, event, false);
            match applied {
                Ok(_) => {
                    if let Some(json) = json {
                        // Never waits: a slow client only loses its place.
                        let _ = self.live.send(LiveEvent { seq, json });
                    }
                }
                Err(skip) if skip.is_bad() => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(seq, "skipped event: {skip}");
                }
                Err(_) => {}
            }
        } else {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        self.folded.store(seq, Ordering::SeqCst);
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if waiters
            .first_key_value()
            .is_some_and(|(&first, _)| first <= seq)
        {
            let later = waiters.split_off(&(seq + 1));
            for tx in std::mem::replace(&mut *waiters, later)
                .into_values()
                .flatten()
            {
                let _ = tx.send(());
            }
        }
    }

    /// The feed as folded so far. Hold it briefly: the reader waits for it.
    pub fn feed(&self) -> RwLockReadGuard<'_, Feed> {
        self.feed.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The last stream sequence folded.
    pub fn folded(&self) -> u64 {
        self.folded.load(Ordering::SeqCst)
    }

    /// Waits until the event at `seq` is folded, at most `patience`.
    /// Whether it was.
    pub async fn wait_folded(&self, seq: u64, patience: Duration) -> bool {
        let rx = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            // Checked under the lock the reader takes after each event.
            if self.folded() >= seq {
                return true;
            }
            let (tx, rx) = oneshot::channel();
            waiters.entry(seq).or_default().push(tx);
            rx
        };
        tokio::time::timeout(patience, rx)
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Every event folded from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }
}

async fn follow(fold: Arc<Fold>, mut events: Events) {
    while let Some(d) = events.next().await {
        fold.apply(d);
    }
    tracing::error!("the stream reader stopped: the served feed no longer changes");
}
