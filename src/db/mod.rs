//! The connection pool, migrations and the embedded PostgreSQL launcher.
pub mod embedded;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::config::DbSettings;
pub use embedded::{EmbeddedError, EmbeddedPostgres};

/// Name of the application database inside the embedded cluster.
pub const DATABASE_NAME: &str = "renouvo";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Where the application's database is, once any embedded server runs.
pub struct Database {
    pub options: PgConnectOptions,
    /// Kept alive (and stopped on drop) when we started the server.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Uses `DATABASE_URL` when set, else starts the embedded cluster (in the
    /// calling thread, which must outlive the database use: the main thread).
    pub fn open(settings: &DbSettings) -> anyhow::Result<Database> {
        if let Some(url) = &settings.database_url {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| anyhow::anyhow!("DATABASE_URL invalide : {e}"))?;
            return Ok(Database {
                options,
                embedded: None,
            });
        }
        let mut pg =
            EmbeddedPostgres::prepare(&settings.data_dir, settings.pg_bin.as_deref(), true)?;
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
        pg.start(&[])?;
        let options = socket_options(&pg, DATABASE_NAME);
        Ok(Database {
            options,
            embedded: Some(pg),
        })
    }

    /// Creates the embedded database if needed, runs migrations, returns a pool.
    pub async fn pool(&self) -> anyhow::Result<PgPool> {
        if let Some(pg) = &self.embedded {
            create_database_if_missing(&socket_options(pg, "postgres"), DATABASE_NAME).await?;
        }
        let pool = connect(self.options.clone()).await?;
        MIGRATOR.run(&pool).await?;
        Ok(pool)
    }
}

/// Connection options for a database of the embedded cluster.
pub fn socket_options(pg: &EmbeddedPostgres, database: &str) -> PgConnectOptions {
    PgConnectOptions::new()
        .socket(pg.socket_dir())
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
