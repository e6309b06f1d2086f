//! Shutdown signalling between tasks: a `watch` channel of "stop now".

use tokio::sync::watch;

/// Resolves once `rx` reads true, or its sender is gone (nobody can ask us
/// to keep running any more).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, so callers can hold this
    // future across awaits in Send tasks.
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Resolves once the counter in `rx` reaches `n` (or its sender is gone).
pub async fn reached(rx: &mut watch::Receiver<u64>, n: u64) {
    let _ = rx.wait_for(|v| *v >= n).await;
}
