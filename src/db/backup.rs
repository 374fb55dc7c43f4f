//! `renouvo backup` and `renouvo restore`: a consistent dump of the
//! application database (`pg_dump`'s custom format, taken in one snapshot
//! while the intranet keeps serving) and its return into an empty folder.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::PgPool;

/// How the PostgreSQL client programs reach the database.
pub struct Target {
    /// Folder of pg_dump and pg_restore (the server's own, same version).
    pub bin: PathBuf,
    pub connection: Connection,
}

pub enum Connection {
    /// The embedded cluster's socket folder.
    Socket(PathBuf),
    /// `DATABASE_URL`, as given.
    Url(String),
}

impl Target {
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        match &self.connection {
            Connection::Socket(dir) => {
                cmd.arg("--host")
                    .arg(dir)
                    .arg("--username")
                    .arg(super::embedded::SUPERUSER)
                    .arg("--dbname")
                    .arg(super::DATABASE_NAME);
            }
            Connection::Url(url) => {
                cmd.arg("--dbname").arg(url);
            }
        }
        cmd.arg("--no-password")
            .env_remove("PGDATA")
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null());
        cmd
    }
}

fn launch_error(target: &Target, program: &str, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{} : lancement impossible ({e})",
        target.bin.join(program).display()
    )
}

/// The default file name: `renouvo-2026-11-29-1704.dump` in the current folder.
pub fn default_file(now: chrono::DateTime<chrono::Local>) -> PathBuf {
    PathBuf::from(format!("renouvo-{}.dump", now.format("%Y-%m-%d-%H%M%S")))
}

/// Writes the dump to `file` (refusing to overwrite an existing file).
pub fn backup(target: &Target, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        anyhow::bail!(
            "le fichier {} existe déjà : choisissez un autre nom",
            file.display()
        );
    }
    let out = target
        .command("pg_dump")
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(file)
        .output()
        .map_err(|e| launch_error(target, "pg_dump", e))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(file);
        anyhow::bail!(
            "pg_dump a échoué : {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Whether the application database already holds a schema (restore only
/// goes into an empty one: it never mixes two networks).
pub async fn has_schema(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = 'public')",
    )
    .fetch_one(pool)
    .await
}

/// Puts `file` back into the (empty) application database.
pub fn restore(target: &Target, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        anyhow::bail!("fichier de sauvegarde introuvable : {}", file.display());
    }
    let out = target
        .command("pg_restore")
        .arg("--no-owner")
        .arg("--exit-on-error")
        .arg("--single-transaction")
        .arg(file)
        .output()
        .map_err(|e| launch_error(target, "pg_restore", e))?;
    if !out.status.success() {
        anyhow::bail!(
            "pg_restore a échoué (rien n'a été restauré) : {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_default_name_carries_the_date_and_time() {
        let at = chrono::Local
            .with_ymd_and_hms(2026, 11, 29, 17, 4, 9)
            .single()
            .unwrap();
        assert_eq!(
            default_file(at),
            PathBuf::from("renouvo-2026-11-29-170409.dump")
        );
    }
}
