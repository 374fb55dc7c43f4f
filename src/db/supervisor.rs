//! Keeps the embedded PostgreSQL running. A thread owns the server for the
//! life of the process: it notices within a quarter of a second when the
//! server exits (it is our child), marks the database unavailable (pages
//! answer a quick French 503), starts it again (PostgreSQL's own crash
//! recovery replays the journal), and marks it available. After too many
//! failures in a minute it gives up, and `serve` stops with a message
//! rather than serving errors.
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::embedded::{EmbeddedError, EmbeddedPostgres};

/// How often the thread looks at the server.
const TICK: Duration = Duration::from_millis(250);
/// Failures (exits or refused starts) within `WINDOW` before giving up.
pub const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(60);

/// Whether the database can be used right now; shared with the web layer
/// so that pages answer at once while the server restarts.
#[derive(Debug, Clone)]
pub struct DatabaseHealth(Arc<AtomicBool>);

impl Default for DatabaseHealth {
    fn default() -> Self {
        DatabaseHealth(Arc::new(AtomicBool::new(true)))
    }
}

impl DatabaseHealth {
    pub fn is_available(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub fn set_available(&self, available: bool) {
        self.0.store(available, Ordering::Release);
    }
}

/// The embedded server under watch; stopped on drop.
pub struct Supervisor {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    socket_dir: PathBuf,
    health: DatabaseHealth,
    gave_up: Arc<Notify>,
}

impl Supervisor {
    /// Starts `pg` in the supervising thread (the server's parent for its
    /// whole life, as PR_SET_PDEATHSIG wants) and returns once it is ready.
    pub fn start(mut pg: EmbeddedPostgres) -> Result<Supervisor, EmbeddedError> {
        let socket_dir = pg.socket_dir().to_path_buf();
        let health = DatabaseHealth::default();
        let gave_up = Arc::new(Notify::new());
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), EmbeddedError>>();
        let thread_health = health.clone();
        let thread_gave_up = gave_up.clone();
        let thread = std::thread::Builder::new()
            .name("postgres-supervision".into())
            .spawn(move || {
                let started = pg.start(&[]);
                let ok = started.is_ok();
                let _ = ready_tx.send(started);
                if ok {
                    watch(&mut pg, &stop_rx, &thread_health, &thread_gave_up);
                }
                pg.stop();
            })
            .map_err(|e| EmbeddedError::Start(format!("fil de supervision : {e}")))?;
        let started = ready_rx
            .recv()
            .map_err(|_| EmbeddedError::Start("le fil de supervision s'est arrêté".into()))?;
        let supervisor = Supervisor {
            stop: Some(stop_tx),
            thread: Some(thread),
            socket_dir,
            health,
            gave_up,
        };
        started.map(|()| supervisor)
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn health(&self) -> DatabaseHealth {
        self.health.clone()
    }

    /// Completes if the server could not be kept running.
    pub fn gave_up(&self) -> impl Future<Output = ()> + Send + 'static {
        let notify = self.gave_up.clone();
        async move { notify.notified().await }
    }

    /// Stops the server and waits for it.
    pub fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Failures within the last minute, to decide when to give up.
struct Failures(VecDeque<Instant>);

impl Failures {
    /// Records one; true when there were too many within the window.
    fn record(&mut self, now: Instant) -> bool {
        self.0.push_back(now);
        while self
            .0
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            self.0.pop_front();
        }
        self.0.len() >= MAX_FAILURES
    }
}

fn watch(
    pg: &mut EmbeddedPostgres,
    stop: &mpsc::Receiver<()>,
    health: &DatabaseHealth,
    gave_up: &Notify,
) {
    let mut failures = Failures(VecDeque::new());
    loop {
        match stop.recv_timeout(TICK) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let Some(status) = pg.exited() else {
            continue;
        };
        health.set_available(false);
        tracing::error!(%status, "PostgreSQL s'est arrêté : redémarrage");
        if failures.record(Instant::now()) {
            give_up(gave_up);
            return;
        }
        // Restart, waiting a little longer after each refused start (the
        // old server's processes may still hold its shared memory).
        let mut pause = Duration::from_millis(500);
        loop {
            match pg.start(&[]) {
                Ok(()) => {
                    health.set_available(true);
                    tracing::info!("PostgreSQL redémarré");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "redémarrage de PostgreSQL refusé");
                    if failures.record(Instant::now()) {
                        give_up(gave_up);
                        return;
                    }
                    if stop.recv_timeout(pause).is_ok() {
                        return;
                    }
                    pause = (pause * 2).min(Duration::from_secs(8));
                }
            }
        }
    }
}

fn give_up(gave_up: &Notify) {
    tracing::error!(
        "PostgreSQL n'a pas pu être maintenu en marche ({MAX_FAILURES} échecs en une minute) : arrêt"
    );
    gave_up.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_within_a_minute_give_up_but_spread_ones_do_not() {
        let t0 = Instant::now();
        let mut f = Failures(VecDeque::new());
        for i in 0..4 {
            assert!(!f.record(t0 + Duration::from_secs(i * 20)), "failure {i}");
        }
        // The first two are more than a minute old by now.
        assert!(!f.record(t0 + Duration::from_secs(90)));
        let mut burst = Failures(VecDeque::new());
        let gave_up = (0..5)
            .map(|i| burst.record(t0 + Duration::from_secs(i)))
            .collect::<Vec<_>>();
        assert_eq!(gave_up, vec![false, false, false, false, true]);
    }

    #[test]
    fn health_is_shared_between_clones() {
        let h = DatabaseHealth::default();
        let other = h.clone();
        assert!(other.is_available());
        h.set_available(false);
        assert!(!other.is_available());
    }
}
