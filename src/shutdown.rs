//! The shutdown signal every worker is handed (mini-redis style): it finishes its current unit
//! of work, then returns.

use tokio::sync::watch;

/// A worker's view of the shutdown signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// The side that asks for shutdown.
#[derive(Debug)]
pub struct Trigger {
    tx: watch::Sender<bool>,
}

impl Shutdown {
    /// A new signal and its trigger.
    pub fn new() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger { tx }, Shutdown { rx })
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once shutdown is asked for (or its trigger is gone).
    pub async fn recv(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// Sleeps `d`; false if shutdown came first.
    pub async fn sleep(&mut self, d: std::time::Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.recv() => false,
        }
    }
}

impl Trigger {
    /// Asks every worker to stop.
    pub fn fire(&self) {
        let _ = self.tx.send(true);
    }
}

/// Capped exponential backoff with jitter: 1 s, 2 s, 4 s … up to `max`, each ±25 %.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    max: std::time::Duration,
}

impl Backoff {
    /// Starts at one second.
    pub fn new(max: std::time::Duration) -> Backoff {
        Backoff { attempt: 0, max }
    }

    /// The next delay.
    pub fn next_delay(&mut self) -> std::time::Duration {
        let base = std::time::Duration::from_secs(1u64 << self.attempt.min(16)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        base.mul_f64(0.75 + fastrand::f64() * 0.5)
            .max(std::time::Duration::from_millis(100))
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// After a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_secs(8));
        let d: Vec<f64> = (0..6).map(|_| b.next_delay().as_secs_f64()).collect();
        assert!((0.75..=1.25).contains(&d[0]) && (1.5..=2.5).contains(&d[1]));
        assert!(d[5] <= 10.0 && d[5] >= 6.0);
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1250));
    }

    #[tokio::test]
    async fn a_fired_trigger_wakes_a_sleeping_worker() {
        let (trigger, mut shutdown) = Shutdown::new();
        trigger.fire();
        assert!(!shutdown.sleep(Duration::from_secs(60)).await);
        assert!(shutdown.is_shutdown());
    }
}
