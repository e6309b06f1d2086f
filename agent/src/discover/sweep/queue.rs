//! The queue between the target generator and the workers.
//!
//! Targets are produced lazily by [`super::sweep`] (which borrows the
//! scope) and handed to the workers through a short queue under a plain
//! mutex. Workers take one target at a time without waking anybody; the
//! generator is woken only when the queue has drained to half, and idle
//! workers only when it is refilled. A channel would cost a wake-up or two
//! per target, which on loopback is a good part of a connect's cost.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

#[derive(Debug)]
pub(super) struct Queue {
    inner: Mutex<Inner>,
    capacity: usize,
    /// The generator waits here for room.
    room: Notify,
    /// Idle workers wait here for targets.
    targets: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    queued: VecDeque<SocketAddr>,
    /// No more targets will come.
    closed: bool,
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Queue {
        Queue {
            inner: Mutex::new(Inner {
                queued: VecDeque::with_capacity(capacity.max(2)),
                closed: false,
            }),
            capacity: capacity.max(2),
            room: Notify::new(),
            targets: Notify::new(),
        }
    }

    /// Tops the queue up from `source`; closes it when `source` runs dry.
    /// Returns false once closed.
    pub(super) fn fill(&self, source: &mut impl Iterator<Item = SocketAddr>) -> bool {
        let room = self.capacity.saturating_sub(self.lock().queued.len());
        // Generated outside the lock: listing a scope with many
        // exclusions is not free, and the workers need the lock.
        let batch: Vec<SocketAddr> = source.take(room).collect();
        let dry = batch.len() < room;
        {
            let mut inner = self.lock();
            inner.queued.extend(batch);
            inner.closed |= dry;
        }
        self.targets.notify_waiters();
        !dry
    }

    /// Waits until the queue has drained to half (or at once if it already
    /// has: a notification is kept until awaited).
    pub(super) async fn wait_for_room(&self) {
        if self.lock().queued.len() > self.capacity / 2 {
            self.room.notified().await;
        }
    }

    /// The next target, waiting while the queue is empty but open; `None`
    /// once it is empty and closed.
    pub(super) async fn next(&self) -> Option<SocketAddr> {
        loop {
            if let Some(next) = self.try_next() {
                return next;
            }
            let notified = self.targets.notified();
            tokio::pin!(notified);
            // Registered before looking again, so a refill after the look
            // wakes this worker.
            notified.as_mut().enable();
            if let Some(next) = self.try_next() {
                return next;
            }
            // Empty but open: make sure the generator is refilling.
            self.room.notify_one();
            notified.await;
        }
    }

    /// `Some(Some(target))`, `Some(None)` when empty and closed, `None`
    /// when empty and open.
    fn try_next(&self) -> Option<Option<SocketAddr>> {
        let mut inner = self.lock();
        match inner.queued.pop_front() {
            Some(t) => {
                if inner.queued.len() == self.capacity / 2 {
                    self.room.notify_one();
                }
                Some(Some(t))
            }
            None if inner.closed => Some(None),
            None => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A queue of addresses stays consistent whatever panicked.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_target_is_taken_once_and_workers_end() {
        let queue = Arc::new(Queue::new(8));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..5 {
            let queue = queue.clone();
            workers.spawn(async move {
                let mut got = Vec::new();
                while let Some(t) = queue.next().await {
                    got.push(t.port());
                    if t.port() % 7 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                got
            });
        }
        let mut source = (1..=10_000u16).map(|p| SocketAddr::from(([127, 0, 0, 1], p)));
        while queue.fill(&mut source) {
            queue.wait_for_room().await;
        }
        let mut all = Vec::new();
        while let Some(got) = workers.join_next().await {
            all.extend(got.unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (1..=10_000).collect::<Vec<u16>>());
    }

    #[tokio::test]
    async fn an_empty_source_closes_at_once() {
        let queue = Queue::new(4);
        assert!(!queue.fill(&mut std::iter::empty()));
        assert_eq!(queue.next().await, None);
    }
}
