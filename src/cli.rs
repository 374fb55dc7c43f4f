//! The command line: `serve` (default), `migrate`, `user add`, `backup`,
//! `restore`.
use std::io::{BufRead, IsTerminal, Write};

use clap::{Parser, Subcommand};

use crate::config::{DbSettings, ServeSettings, WebConfig};
use crate::db::{self, Access, Database};
use crate::domain::user::{Email, Role, check_new_password, parse_display_name};
use crate::store::users::{self, NewUser};
use crate::{demo, password, startup};

#[derive(Parser)]
#[command(
    name = "renouvo",
    version,
    about = "Intranet de suivi des renouvellements"
)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the intranet (default command).
    Serve(ServeSettings),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent backup of the database (pg_dump custom format),
    /// while the intranet runs or not.
    Backup {
        /// File to write (default: renouvo-<date>-<time>.dump here).
        file: Option<std::path::PathBuf>,
    },
    /// Restore a backup into an empty data folder (or empty database).
    Restore {
        /// The file written by `renouvo backup`.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (or asked).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// representative, district_manager, direction or billing
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// District name (required for representatives and managers).
        #[arg(long)]
        district: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        "rôle inconnu : representative, district_manager, direction ou billing".to_string()
    })
}

/// Runs the command. The embedded PostgreSQL (if any) is started here, in
/// its supervising thread, and stopped when this returns.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeSettings::parse_from_defaults()));
    // The port first: a busy address fails before the database is touched.
    let listener = match &command {
        Command::Serve(settings) => Some(bind(settings.addr)?),
        _ => None,
    };
    // Serving and restoring need the folder to themselves; the other
    // commands can use the server of an instance already running there.
    let access = if listener.is_some() || matches!(command, Command::Restore { .. }) {
        Access::Exclusive
    } else {
        Access::Shared
    };
    let mut database = Database::open(&cli.db, access)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        match &command {
            Command::Backup { file } => return backup(&database, &cli.db, file.clone()).await,
            Command::Restore { file } => return restore(&database, &cli.db, file).await,
            _ => {}
        }
        let pool = database.pool().await?;
        let outcome = match command {
            Command::Serve(settings) => {
                let listener = match listener {
                    Some(l) => tokio::net::TcpListener::from_std(l)?,
                    None => anyhow::bail!("aucune adresse d'écoute"),
                };
                database.record_address(&format!("http://{}/", listener.local_addr()?));
                serve(pool.clone(), listener, settings, &database).await
            }
            Command::Migrate => {
                println!("Migrations appliquées.");
                Ok(())
            }
            Command::User(UserCommand::Add {
                email,
                name,
                role,
                district,
            }) => add_user(&pool, &email, &name, role, district.as_deref()).await,
            Command::Backup { .. } | Command::Restore { .. } => Ok(()),
        };
        pool.close().await;
        outcome
    });
    drop(runtime);
    drop(database); // stops the embedded server, then frees the folder
    result
}

async fn backup(
    database: &Database,
    settings: &DbSettings,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let target = database.backup_target(settings)?;
    let file = file.unwrap_or_else(|| db::backup::default_file(chrono::Local::now()));
    let path = file.clone();
    tokio::task::spawn_blocking(move || db::backup::backup(&target, &path)).await??;
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "Sauvegarde écrite : {} ({} Ko). Copiez ce fichier hors de cette machine \
         (un disque qui lâche emporte aussi les sauvegardes qui s'y trouvent).",
        file.display(),
        size.div_ceil(1024)
    );
    Ok(())
}

async fn restore(
    database: &Database,
    settings: &DbSettings,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    database.create_if_missing().await?;
    let pool = database.pool_as_is().await?;
    let occupied = db::backup::has_schema(&pool).await?;
    pool.close().await;
    if occupied {
        anyhow::bail!(
            "la base contient déjà des données : une sauvegarde se restaure dans un dossier \
             de données vide (choisissez-en un avec --data-dir). Rien n'a été touché."
        );
    }
    let target = database.backup_target(settings)?;
    let path = file.to_path_buf();
    tokio::task::spawn_blocking(move || db::backup::restore(&target, &path)).await??;
    // A backup from an older version gets this version's migrations.
    let pool = database.pool().await?;
    let (members, follow_ups): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM follow_ups)")
            .fetch_one(&pool)
            .await?;
    pool.close().await;
    println!("Sauvegarde restaurée : {members} membres, {follow_ups} suivis.");
    Ok(())
}

fn bind(addr: std::net::SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        anyhow::anyhow!(
            "impossible d'écouter sur {addr} : {e}. Une autre instance tourne peut-être \
             déjà à cette adresse ; choisissez-en une autre avec --addr."
        )
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

trait ParseFromDefaults {
    fn parse_from_defaults() -> Self;
}

impl ParseFromDefaults for ServeSettings {
    /// `renouvo` with no command means `renouvo serve` with its defaults
    /// (and its environment variables).
    fn parse_from_defaults() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            s: ServeSettings,
        }
        Only::parse_from(["renouvo"]).s
    }
}

async fn serve(
    pool: sqlx::PgPool,
    listener: tokio::net::TcpListener,
    settings: ServeSettings,
    database: &Database,
) -> anyhow::Result<()> {
    if settings.demo
        && let Some(logins) = demo::seed_for(
            &pool,
            settings.today.unwrap_or_else(|| {
                chrono::Utc::now()
                    .with_timezone(&settings.time_zone)
                    .date_naive()
            }),
        )
        .await?
    {
        println!(
            "Données de démonstration créées. Comptes (mot de passe « {} ») :",
            demo::DEMO_PASSWORD
        );
        for l in logins {
            println!("  {:<36} {}", l.email, l.role.label());
        }
    }
    let addr = listener.local_addr()?;
    // Signal handlers first: a SIGTERM right after the announcement must
    // stop the server cleanly, not kill it.
    let signal = startup::shutdown_signal();
    let gave_up = database.gave_up();
    let given_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = given_up.clone();
    let shutdown = async move {
        tokio::select! {
            () = signal => {}
            () = gave_up => flag.store(true, std::sync::atomic::Ordering::Release),
        }
    };
    println!("Renouvo écoute sur http://{addr}/ (Ctrl-C pour arrêter)");
    let config = WebConfig {
        database: database.health(),
        ..WebConfig::from_settings(&settings)
    };
    startup::serve(listener, pool, config, shutdown).await?;
    if given_up.load(std::sync::atomic::Ordering::Acquire) {
        anyhow::bail!(
            "PostgreSQL s'est arrêté trop souvent (5 fois en une minute) et n'a pas pu être \
             redémarré : renouvo s'arrête. Voir le journal du serveur (server.log dans le \
             dossier de données)."
        );
    }
    Ok(())
}

async fn add_user(
    pool: &sqlx::PgPool,
    email: &str,
    name: &str,
    role: Role,
    district: Option<&str>,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let display_name = parse_display_name(name).map_err(anyhow::Error::msg)?;
    let password = read_password()?;
    check_new_password(&password).map_err(anyhow::Error::msg)?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
    let mut tx = pool.begin().await?;
    let district_id = match district {
        Some(name) => Some(
            users::district_id_by_name(&mut tx, name)
                .await?
                .ok_or_else(|| anyhow::anyhow!("district inconnu : {name}"))?,
        ),
        None => None,
    };
    let new = NewUser {
        email,
        display_name,
        role,
        district_id,
        password_hash: hash,
    };
    let id = users::create(&mut tx, None, &new).await?;
    tx.commit().await?;
    println!(
        "Compte créé (n° {id}) : {} — {}",
        new.email.as_str(),
        role.label()
    );
    Ok(())
}

/// The password comes from standard input, or is asked without echo on a
/// terminal; never from the command line (it would show in `ps`).
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = prompt_hidden("Mot de passe : ")?;
        let second = prompt_hidden("Confirmez le mot de passe : ")?;
        if first != second {
            anyhow::bail!("les deux mots de passe diffèrent");
        }
        return Ok(first);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let _echo = EchoOff::new();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    eprintln!();
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns terminal echo off until dropped.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: termios calls on fd 0 with a zeroed struct we own.
        unsafe {
            let mut term: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut term) != 0 {
                return EchoOff(None);
            }
            let saved = term;
            term.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &term) != 0 {
                return EchoOff(None);
            }
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &saved);
            }
        }
    }
}
