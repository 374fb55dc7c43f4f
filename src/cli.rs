//! The command line: `serve` (default), `migrate`, `user add`.
use std::io::{BufRead, IsTerminal, Write};

use clap::{Parser, Subcommand};

use crate::config::{DbSettings, ServeSettings, WebConfig};
use crate::db::Database;
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
/// the main thread, and stopped when this returns.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeSettings::parse_from_defaults()));
    let database = Database::open(&cli.db)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let pool = database.pool().await?;
        let outcome = match command {
            Command::Serve(settings) => serve(pool.clone(), settings).await,
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
        };
        pool.close().await;
        outcome
    });
    drop(runtime);
    drop(database); // stops the embedded server
    result
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

async fn serve(pool: sqlx::PgPool, settings: ServeSettings) -> anyhow::Result<()> {
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
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| anyhow::anyhow!("impossible d'écouter sur {} : {e}", settings.addr))?;
    let addr = listener.local_addr()?;
    // Signal handlers first: a SIGTERM right after the announcement must
    // stop the server cleanly, not kill it.
    let shutdown = startup::shutdown_signal();
    println!("Renouvo écoute sur http://{addr}/ (Ctrl-C pour arrêter)");
    let config = WebConfig::from_settings(&settings);
    startup::serve(listener, pool, config, shutdown).await?;
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
