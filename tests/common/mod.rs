//! Test harness: one PostgreSQL per test binary (embedded, or the server of
//! `DATABASE_URL` if set), a migrated template database, and for each test
//! a fresh database cloned from it plus the real app on a random port.
#![allow(dead_code)]

pub mod import;
pub mod reports;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use renouvo::config::WebConfig;
use renouvo::db::{self, EmbeddedPostgres};
use renouvo::domain::user::{Email, Role};
use renouvo::store::users::{self, NewUser};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::oneshot;

pub mod accounts;
pub mod actions;
pub mod builders;
pub mod calibration;
pub mod catalogue;
pub mod engagement;
pub mod risk;

pub const PASSWORD: &str = "mot-de-passe-de-test";

struct Cluster {
    admin: PgConnectOptions,
    template: String,
    socket_dir: Option<PathBuf>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

fn cluster() -> &'static Cluster {
    let c = CLUSTER.get_or_init(|| start_cluster().map_err(|e| format!("{e:#}")));
    match c {
        Ok(c) => c,
        Err(e) => panic!("PostgreSQL de test indisponible : {e}"),
    }
}

fn start_cluster() -> anyhow::Result<Cluster> {
    let (admin, socket_dir) = match std::env::var("DATABASE_URL") {
        Ok(url) => (PgConnectOptions::from_str(&url)?, None),
        Err(_) => {
            let dir = start_embedded()?;
            let admin = PgConnectOptions::new()
                .socket(&dir)
                .username(db::embedded::SUPERUSER)
                .database("postgres");
            (admin, Some(dir))
        }
    };
    let template = format!("renouvo_tpl_{}", std::process::id());
    let admin2 = admin.clone();
    let tpl = template.clone();
    // Migrate the template on a runtime of its own (the caller may be
    // inside a test's runtime).
    std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let mut conn = PgConnection::connect_with(&admin2).await?;
            let q = db::quote_ident(&tpl);
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {q}")))
                .execute(&mut conn)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {q}")))
                .execute(&mut conn)
                .await?;
            let pool = db::connect(admin2.clone().database(&tpl)).await?;
            db::MIGRATOR.run(&pool).await?;
            pool.close().await;
            conn.close().await?;
            anyhow::Ok(())
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("la migration du modèle a paniqué"))??;
    Ok(Cluster {
        admin,
        template,
        socket_dir,
    })
}

/// Starts a throw-away cluster in a short folder under the temporary
/// folder, from a thread that lives as long as the test process (the server
/// stops when the process ends).
fn start_embedded() -> anyhow::Result<PathBuf> {
    remove_stale_clusters();
    let suffix: u32 = rand_u32();
    let dir = std::env::temp_dir().join(format!("renouvo-test-{}-{suffix:x}", std::process::id()));
    let (tx, rx) = std::sync::mpsc::channel::<Result<PathBuf, String>>();
    std::thread::Builder::new()
        .name("postgres-de-test".into())
        .spawn(move || {
            let started = (|| -> anyhow::Result<EmbeddedPostgres> {
                let mut pg = EmbeddedPostgres::prepare(&dir, None, false)?;
                pg.init()?;
                pg.start(&[
                    ("fsync", "off"),
                    ("synchronous_commit", "off"),
                    ("full_page_writes", "off"),
                    ("max_connections", "200"),
                    ("shared_buffers", "64MB"),
                ])?;
                Ok(pg)
            })();
            match started {
                Ok(pg) => {
                    let _ = tx.send(Ok(pg.socket_dir().to_path_buf()));
                    let _keep = pg;
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                }
            }
        })?;
    rx.recv()?.map_err(anyhow::Error::msg)
}

/// Folders of earlier test runs whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix("renouvo-test-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !PathBuf::from(format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn rand_u32() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

/// A fresh database cloned from the migrated template.
pub async fn fresh_database() -> (PgPool, PgConnectOptions) {
    let c = cluster();
    let n = DB_COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("renouvo_t{}_{n}", std::process::id());
    let mut conn = PgConnection::connect_with(&c.admin)
        .await
        .expect("connexion au serveur de test");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {} TEMPLATE {}",
        db::quote_ident(&name),
        db::quote_ident(&c.template)
    )))
    .execute(&mut conn)
    .await
    .expect("création de la base de test");
    conn.close().await.ok();
    let options = c.admin.clone().database(&name);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.clone())
        .await
        .expect("connexion à la base de test");
    (pool, options)
}

/// A new database with nothing in it (not even the migrations), on the
/// test server: for servers that must migrate it themselves.
pub async fn empty_database() -> PgConnectOptions {
    let c = cluster();
    let n = DB_COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("renouvo_e{}_{n}", std::process::id());
    let mut conn = PgConnection::connect_with(&c.admin)
        .await
        .expect("connexion au serveur de test");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {} TEMPLATE template0",
        db::quote_ident(&name)
    )))
    .execute(&mut conn)
    .await
    .expect("création d'une base vide");
    conn.close().await.ok();
    c.admin.clone().database(&name)
}

/// A `DATABASE_URL` that reaches the given test database (for the CLI).
pub fn database_url(options: &PgConnectOptions) -> String {
    let c = cluster();
    let db = options.get_database().unwrap_or("postgres");
    match &c.socket_dir {
        Some(dir) => format!(
            "postgres://{}@localhost/{db}?host={}",
            db::embedded::SUPERUSER,
            dir.display()
        ),
        None => {
            let url = std::env::var("DATABASE_URL").unwrap_or_default();
            match url.rfind('/') {
                Some(i) => {
                    let (base, tail) = url.split_at(i);
                    let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
                    format!("{base}/{db}{query}")
                }
                None => url,
            }
        }
    }
}

/// The app running on a fresh database, and a browser-like client that
/// keeps cookies and does not follow redirects.
pub struct TestApp {
    pub addr: String,
    pub config: WebConfig,
    pub pool: PgPool,
    pub options: PgConnectOptions,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let (pool, options) = fresh_database().await;
        TestApp::spawn_on(pool, options).await
    }

    /// The app on a fresh database, with "today" fixed at `today`.
    pub async fn spawn_at(today: chrono::NaiveDate) -> TestApp {
        let (pool, options) = fresh_database().await;
        let config = WebConfig {
            today: Some(today),
            ..test_config()
        };
        TestApp::start(pool, options, config).await
    }

    /// The app on this database with this configuration.
    pub async fn spawn_with(pool: PgPool, options: PgConnectOptions, config: WebConfig) -> TestApp {
        TestApp::start(pool, options, config).await
    }

    pub async fn spawn_on(pool: PgPool, options: PgConnectOptions) -> TestApp {
        TestApp::start(pool, options, test_config()).await
    }

    /// Another server (another browser) on this app's database and date.
    pub async fn sibling(&self) -> TestApp {
        TestApp::start(self.pool.clone(), self.options.clone(), self.config.clone()).await
    }

    async fn start(pool: PgPool, options: PgConnectOptions, config: WebConfig) -> TestApp {
        let (addr, stop, server) = start_server(pool.clone(), config.clone()).await;
        TestApp {
            config,
            addr,
            pool,
            options,
            client: new_client(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Stops the server (waiting for it) and starts a new one on the same
    /// database; the client keeps its cookies.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let pool = db::connect(self.options.clone())
            .await
            .expect("nouvelle connexion");
        let (addr, stop, server) = start_server(pool.clone(), self.config.clone()).await;
        self.addr = addr;
        self.pool = pool;
        self.stop = Some(stop);
        self.server = Some(server);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", format!("http://{}", self.addr))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Creates a user with the test password; returns its id.
    pub async fn create_user(&self, email: &str, role: Role, district_id: Option<i64>) -> i64 {
        let mut tx = self.pool.begin().await.expect("transaction");
        let new = NewUser {
            email: Email::parse(email).expect("courriel de test"),
            display_name: format!("Test {email}"),
            role,
            district_id,
            password_hash: test_password_hash(),
        };
        let id = users::create(&mut tx, None, &new).await.expect("création");
        tx.commit().await.expect("commit");
        id
    }

    pub async fn create_district(&self, name: &str) -> i64 {
        sqlx::query_scalar("INSERT INTO districts (name) VALUES ($1) RETURNING id")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .expect("district")
    }

    /// Logs in through the login form; returns the response (303 on success).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates a user of `role` (in a new district if needed) and logs in.
    pub async fn login_as(&self, role: Role) -> i64 {
        let district = if role.needs_district() {
            Some(
                self.create_district(&format!("District {}", role.as_str()))
                    .await,
            )
        } else {
            None
        };
        let email = format!("{}@test.ca", role.as_str());
        let id = self.create_user(&email, role, district).await;
        let resp = self.login(&email, PASSWORD).await;
        assert_eq!(resp.status(), 303, "connexion de {email}");
        id
    }

    /// A second client without cookies (another browser).
    pub fn new_client(&self) -> reqwest::Client {
        new_client()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn test_config() -> WebConfig {
    WebConfig {
        session_idle: Duration::from_secs(3600),
        session_max: Duration::from_secs(24 * 3600),
        ..WebConfig::default()
    }
}

async fn start_server(
    pool: PgPool,
    config: WebConfig,
) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port libre");
    let addr = listener.local_addr().expect("adresse").to_string();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.await;
        };
        if let Err(e) = renouvo::startup::serve(listener, pool, config, shutdown).await {
            eprintln!("serveur de test : {e}");
        }
    });
    (addr, tx, server)
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client HTTP")
}

/// Hashing is slow on purpose: hash the test password once per binary.
pub fn test_password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| renouvo::password::hash(PASSWORD).expect("hachage"))
        .clone()
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}
