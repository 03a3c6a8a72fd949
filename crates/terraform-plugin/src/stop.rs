//! Cancellation: Terraform's `StopProvider` (Ctrl-C) must end long waits
//! promptly.

use tokio::sync::watch;

/// Tripped once by `StopProvider`; long-running operations watch it.
#[derive(Clone, Debug)]
pub struct StopSignal {
    rx: watch::Receiver<bool>,
}

/// The sending half, held by the server.
#[derive(Debug)]
pub struct StopTrigger {
    tx: watch::Sender<bool>,
}

impl StopSignal {
    /// A new signal and its trigger.
    pub fn new() -> (StopTrigger, StopSignal) {
        let (tx, rx) = watch::channel(false);
        (StopTrigger { tx }, StopSignal { rx })
    }

    /// A signal that never fires (tests, one-off calls).
    pub fn never() -> StopSignal {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        StopSignal { rx }
    }

    /// True once stop was requested.
    pub fn is_stopped(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when stop is requested.
    pub async fn stopped(&self) {
        let mut rx = self.rx.clone();
        // An error means the trigger is gone: then stop never comes.
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl StopTrigger {
    /// Requests stop.
    pub fn stop(&self) {
        self.tx.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_wakes_waiters() {
        let (t, s) = StopSignal::new();
        assert!(!s.is_stopped());
        let w = tokio::spawn({
            let s = s.clone();
            async move { s.stopped().await }
        });
        t.stop();
        tokio::time::timeout(std::time::Duration::from_secs(2), w)
            .await
            .unwrap()
            .unwrap();
        assert!(s.is_stopped());
    }
}
