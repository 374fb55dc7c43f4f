//! The connection pool, migrations and the embedded PostgreSQL launcher.
pub mod backup;
pub mod embedded;
pub mod lock;
pub mod supervisor;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::config::DbSettings;
pub use embedded::{EmbeddedError, EmbeddedPostgres};
use lock::{FolderLock, LockOutcome};
pub use supervisor::{DatabaseHealth, Supervisor};

/// Name of the application database inside the embedded cluster.
pub const DATABASE_NAME: &str = "renouvo";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How a command uses the embedded data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `serve`: the folder must not be in use by another renouvo.
    Exclusive,
    /// Other commands: when a renouvo already runs the folder, use its
    /// server (through the socket) instead of starting one.
    Shared,
}

/// Where the application's database is, once any embedded server runs.
pub struct Database {
    pub options: PgConnectOptions,
    /// Kept alive (and stopped on drop) when we started the server.
    pub embedded: Option<Supervisor>,
    /// Held while we own the data folder (dropped after the server stops).
    lock: Option<FolderLock>,
    /// The embedded cluster's socket folder, started by us or by another renouvo.
    socket_dir: Option<PathBuf>,
}

impl Drop for Database {
    fn drop(&mut self) {
        // The server stops before the folder is released.
        if let Some(mut s) = self.embedded.take() {
            s.stop();
        }
        self.lock.take();
    }
}

impl Database {
    /// Uses `DATABASE_URL` when set, else the embedded cluster: started and
    /// supervised by us, or (`Access::Shared`) the one another renouvo runs.
    pub fn open(settings: &DbSettings, access: Access) -> anyhow::Result<Database> {
        if let Some(url) = &settings.database_url {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| anyhow::anyhow!("DATABASE_URL invalide : {e}"))?;
            return Ok(Database {
                options,
                embedded: None,
                lock: None,
                socket_dir: None,
            });
        }
        let pg = EmbeddedPostgres::prepare(&settings.data_dir, settings.pg_bin.as_deref(), true)?;
        let lock = match FolderLock::acquire(pg.data_dir()).map_err(|e| {
            anyhow::anyhow!(
                "verrou du dossier {} impossible : {e}",
                lock::lock_path(pg.data_dir()).display()
            )
        })? {
            LockOutcome::Acquired(lock) => lock,
            LockOutcome::Busy(holder) if access == Access::Shared => {
                let options = socket_dir_options(pg.socket_dir(), DATABASE_NAME);
                tracing::info!(
                    "dossier {} déjà servi par une autre instance ({}) : utilisation de son serveur",
                    pg.data_dir().display(),
                    holder.describe()
                );
                return Ok(Database {
                    options,
                    embedded: None,
                    lock: None,
                    socket_dir: Some(pg.socket_dir().to_path_buf()),
                });
            }
            LockOutcome::Busy(holder) => anyhow::bail!(
                "le dossier de données {} est déjà utilisé par une autre instance de renouvo \
                 ({}). Rien n'a été touché : arrêtez cette instance d'abord, ou choisissez \
                 un autre dossier avec --data-dir.",
                pg.data_dir().display(),
                holder.describe()
            ),
        };
        if let Some(from) = &pg.relocated_from {
            eprintln!(
                "Le dossier {} ne peut pas servir à PostgreSQL ; les données sont dans {} \
                 (autre choix : --data-dir).",
                from.display(),
                pg.data_dir().display()
            );
        }
        if pg.init()? {
            tracing::info!(
                "nouveau cluster PostgreSQL dans {}",
                pg.data_dir().display()
            );
        }
        let socket_dir = pg.socket_dir().to_path_buf();
        let supervisor = Supervisor::start(pg)?;
        let options = socket_dir_options(&socket_dir, DATABASE_NAME);
        Ok(Database {
            options,
            embedded: Some(supervisor),
            lock: Some(lock),
            socket_dir: Some(socket_dir),
        })
    }

    /// Whether the database is up (always, for a server we do not run).
    pub fn health(&self) -> DatabaseHealth {
        self.embedded
            .as_ref()
            .map(Supervisor::health)
            .unwrap_or_default()
    }

    /// Completes if our embedded server could not be kept running.
    pub fn gave_up(&self) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        match &self.embedded {
            Some(s) => Box::pin(s.gave_up()),
            None => Box::pin(std::future::pending()),
        }
    }

    /// Writes our listening address into the folder's lock file, so that a
    /// second instance can name us.
    pub fn record_address(&mut self, address: &str) {
        if let Some(lock) = self.lock.as_mut()
            && let Err(e) = lock.record(Some(address))
        {
            tracing::warn!(error = %e, "adresse non inscrite dans {}", lock.path().display());
        }
    }

    /// A pool on the application database, without creating or migrating
    /// anything (backups take the database as it is).
    pub async fn pool_as_is(&self) -> anyhow::Result<PgPool> {
        Ok(connect(self.options.clone()).await?)
    }

    /// Creates the embedded application database if it is missing.
    pub async fn create_if_missing(&self) -> anyhow::Result<()> {
        if self.embedded.is_some()
            && let Some(dir) = &self.socket_dir
        {
            create_database_if_missing(&socket_dir_options(dir, "postgres"), DATABASE_NAME).await?;
        }
        Ok(())
    }

    /// Where pg_dump and pg_restore find the database.
    pub fn backup_target(&self, settings: &DbSettings) -> anyhow::Result<backup::Target> {
        let bin = embedded::find_client_binaries(settings.pg_bin.as_deref())
            .ok_or(EmbeddedError::NoBinaries)?;
        let connection = match (&self.socket_dir, &settings.database_url) {
            (Some(dir), _) => backup::Connection::Socket(dir.clone()),
            (None, Some(url)) => backup::Connection::Url(url.clone()),
            (None, None) => anyhow::bail!("aucune base de données à sauvegarder"),
        };
        Ok(backup::Target { bin, connection })
    }

    /// The embedded cluster's socket folder, if the database is embedded.
    pub fn socket_dir(&self) -> Option<&std::path::Path> {
        self.socket_dir.as_deref()
    }

    /// Creates the embedded database if needed, runs migrations, returns a pool.
    pub async fn pool(&self) -> anyhow::Result<PgPool> {
        self.create_if_missing().await?;
        let pool = connect(self.options.clone()).await?;
        MIGRATOR.run(&pool).await?;
        Ok(pool)
    }
}

/// Connection options for a database of the embedded cluster.
pub fn socket_options(pg: &EmbeddedPostgres, database: &str) -> PgConnectOptions {
    socket_dir_options(pg.socket_dir(), database)
}

/// Connection options for a database of the cluster whose socket is in `dir`.
pub fn socket_dir_options(dir: &std::path::Path, database: &str) -> PgConnectOptions {
    PgConnectOptions::new()
        .socket(dir)
        .username(embedded::SUPERUSER)
        .database(database)
}

pub async fn connect(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // JIT compiling a report's aggregate (costed high over 100,000
        // members) took longer than running it: 1.2 s of a 3.4 s plan.
        .connect_with(options.options([("jit", "off")]))
        .await
}

pub async fn create_database_if_missing(
    admin: &PgConnectOptions,
    name: &str,
) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect_with(admin).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_none() {
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
