//! Settings from flags and environment variables.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Settings shared by every command that touches the database.
#[derive(Debug, Clone, Args)]
pub struct DbSettings {
    /// PostgreSQL URL. When absent, an embedded PostgreSQL is started.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder of the embedded PostgreSQL cluster (used without DATABASE_URL).
    #[arg(
        long,
        global = true,
        env = "RENOUVO_DATA_DIR",
        default_value = "data/postgres"
    )]
    pub data_dir: PathBuf,

    /// Folder holding initdb, pg_ctl and postgres (default: PATH, then the
    /// newest /usr/lib/postgresql/*/bin).
    #[arg(long, global = true, env = "RENOUVO_PG_BIN")]
    pub pg_bin: Option<PathBuf>,
}

/// Settings of the web server.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "RENOUVO_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Create demo data (users, network) when the database is empty.
    #[arg(long)]
    pub demo: bool,

    /// Mark cookies `Secure` (set when the site is served over HTTPS).
    #[arg(long, env = "RENOUVO_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Trust the `X-Forwarded-For` header for the client address (behind a proxy).
    #[arg(long, env = "RENOUVO_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Time zone of the organisation: decides what "today" is.
    #[arg(long, env = "RENOUVO_TIME_ZONE", default_value = "America/Toronto")]
    pub time_zone: chrono_tz::Tz,

    /// Pretend today is this date (AAAA-MM-JJ): for demonstrations and tests.
    #[arg(long, env = "RENOUVO_TODAY")]
    pub today: Option<chrono::NaiveDate>,

    /// Idle session lifetime, in minutes.
    #[arg(long, env = "RENOUVO_SESSION_IDLE_MINUTES", default_value_t = 8 * 60)]
    pub session_idle_minutes: u32,

    /// Absolute session lifetime, in hours.
    #[arg(long, env = "RENOUVO_SESSION_MAX_HOURS", default_value_t = 7 * 24)]
    pub session_max_hours: u32,
}

/// What the web layer needs at run time.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub time_zone: chrono_tz::Tz,
    /// A fixed "today" instead of the clock (demonstrations, tests).
    pub today: Option<chrono::NaiveDate>,
    pub session_idle: Duration,
    pub session_max: Duration,
    /// Whether the database answers (the embedded server may be restarting).
    pub database: crate::db::DatabaseHealth,
}

impl WebConfig {
    pub fn from_settings(s: &ServeSettings) -> Self {
        WebConfig {
            secure_cookies: s.secure_cookies,
            trust_proxy: s.trust_proxy,
            time_zone: s.time_zone,
            today: s.today,
            session_idle: Duration::from_secs(u64::from(s.session_idle_minutes) * 60),
            session_max: Duration::from_secs(u64::from(s.session_max_hours) * 3600),
            database: crate::db::DatabaseHealth::default(),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            trust_proxy: false,
            time_zone: chrono_tz::America::Toronto,
            today: None,
            session_idle: Duration::from_secs(8 * 3600),
            session_max: Duration::from_secs(7 * 24 * 3600),
            database: crate::db::DatabaseHealth::default(),
        }
    }
}
