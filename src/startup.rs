//! Build the state and the router, serve, shut down gracefully.
use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::WebConfig;
use crate::web::{self, AppState};

/// Serves the intranet on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    pool: PgPool,
    config: WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState {
        pool,
        config: Arc::new(config),
    };
    let upkeep = tokio::spawn(risk_upkeep(state.clone()));
    let app = web::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    upkeep.abort();
    served
}

/// How often the upkeep looks for renewal risks to recompute.
const RISK_UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Keeps the renewal risks of the day computed in the background: at
/// start, then every minute (a new day makes every score a day old; pages
/// would otherwise recompute them on first read). Several app servers
/// share the work (rows being recomputed are skipped). Each round also
/// computes a batch of the past scores that the calibration report opens
/// with (the network, its default period), so that on a large network the
/// report fills up even if nobody reloads it.
async fn risk_upkeep(state: AppState) {
    loop {
        let today = state.today();
        match crate::store::risk::refresh_all(&state.pool, today).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(recalculés = n, "risques de non-renouvellement à jour"),
            Err(e) => tracing::warn!(error = %e, "recalcul des risques impossible pour l'instant"),
        }
        let period = crate::domain::report::Period::default_for(today);
        let last = (period.end() - chrono::Days::new(1)).min(today);
        if period.start() <= last
            && let Err(e) =
                crate::store::risk::fill_past_scores(&state.pool, None, period.start(), last).await
        {
            tracing::warn!(error = %e, "calcul des scores passés impossible pour l'instant");
        }
        tokio::time::sleep(RISK_UPKEEP_EVERY).await;
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when
/// this is called, not when the future is first polled: call it before
/// announcing that the server listens, so an early SIGTERM is not fatal.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        let (mut term, mut int) = match (term, int) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "écoute des signaux d'arrêt impossible");
                std::future::pending::<()>().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        tracing::info!("arrêt demandé : fin des requêtes en cours");
    }
}
