//! An embedded PostgreSQL cluster started from the server binaries already
//! installed on the machine: `initdb` once, then `postgres` listening only on
//! a Unix socket inside the data folder (no TCP port).
//!
//! The server is a child process of the thread that starts it and receives
//! SIGINT (fast shutdown) if that thread dies, so a crashed or killed process
//! does not leave a server behind. Start it from a thread that lives as long
//! as the cluster is needed (the main thread).
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// PostgreSQL refuses socket paths longer than this (sun_path is 108 bytes).
const MAX_SOCKET_PATH: usize = 103;
const SOCKET_FILE: &str = ".s.PGSQL.5432";
/// The superuser created by `initdb`, whatever the account running it.
pub const SUPERUSER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "Aucun serveur PostgreSQL trouvé (initdb, pg_ctl et postgres). Installez-le avec \
         « apt-get install postgresql », indiquez son dossier avec --pg-bin (RENOUVO_PG_BIN), \
         ou utilisez un serveur existant avec DATABASE_URL."
    )]
    NoBinaries,
    #[error(
        "Le programme tourne en root mais le compte système « postgres » n'existe pas : \
         PostgreSQL refuse de tourner en root. Installez le paquet postgresql ou lancez \
         renouvo sous un autre compte."
    )]
    NoPostgresAccount,
    #[error(
        "Le dossier de données {path} ne convient pas : {why}. Choisissez-en un autre avec \
         --data-dir (RENOUVO_DATA_DIR)."
    )]
    DataDir { path: PathBuf, why: String },
    #[error("{program} a échoué : {detail}")]
    Program { program: String, detail: String },
    #[error("PostgreSQL n'a pas démarré : {0}")]
    Start(String),
    #[error("erreur d'entrée-sortie sur {path} : {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Unix account the PostgreSQL programs run as (only when we are root).
#[derive(Debug, Clone, Copy)]
struct Account {
    uid: u32,
    gid: u32,
}

/// A cluster on disk, and its server once started.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    bin: PathBuf,
    run_as: Option<Account>,
    child: Option<Child>,
    /// Set when the requested folder could not be used and another was chosen.
    pub relocated_from: Option<PathBuf>,
}

impl EmbeddedPostgres {
    /// Finds the binaries and settles the data folder. When `relocate` is
    /// true and the folder cannot be used (unreachable by the `postgres`
    /// account, or a socket path too long), a folder under /var/tmp derived
    /// from the requested path is used instead, so data still survives.
    pub fn prepare(
        data_dir: &Path,
        pg_bin: Option<&Path>,
        relocate: bool,
    ) -> Result<Self, EmbeddedError> {
        let bin = find_binaries(pg_bin).ok_or(EmbeddedError::NoBinaries)?;
        let run_as = if is_root() {
            Some(postgres_account().ok_or(EmbeddedError::NoPostgresAccount)?)
        } else {
            None
        };
        let requested = absolute(data_dir)?;
        let mut pg = EmbeddedPostgres {
            data_dir: requested.clone(),
            bin,
            run_as,
            child: None,
            relocated_from: None,
        };
        match pg.check_folder(&requested) {
            Ok(()) => Ok(pg),
            Err(why) if relocate => {
                let fallback = fallback_folder(&requested);
                pg.check_folder(&fallback)
                    .map_err(|why2| EmbeddedError::DataDir {
                        path: fallback.clone(),
                        why: why2,
                    })?;
                tracing::warn!(
                    "dossier {} inutilisable ({why}) : les données PostgreSQL sont dans {}",
                    requested.display(),
                    fallback.display()
                );
                pg.data_dir = fallback;
                pg.relocated_from = Some(requested);
                Ok(pg)
            }
            Err(why) => Err(EmbeddedError::DataDir {
                path: requested,
                why,
            }),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Folder holding the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Creates the folder if needed and checks the server could use it.
    fn check_folder(&self, dir: &Path) -> Result<(), String> {
        let socket_len = dir.as_os_str().len() + 1 + SOCKET_FILE.len();
        if socket_len > MAX_SOCKET_PATH {
            return Err(format!(
                "le chemin du socket serait trop long ({socket_len} octets, {MAX_SOCKET_PATH} au plus)"
            ));
        }
        let existed = dir.exists();
        fs::create_dir_all(dir).map_err(|e| format!("création impossible ({e})"))?;
        let result = self.give_to_server_account(dir);
        if result.is_err() && !existed {
            // Leave no empty folder behind when we move elsewhere.
            let _ = fs::remove_dir(dir);
        }
        result
    }

    fn give_to_server_account(&self, dir: &Path) -> Result<(), String> {
        if let Some(acc) = self.run_as {
            std::os::unix::fs::chown(dir, Some(acc.uid), Some(acc.gid))
                .map_err(|e| format!("impossible de le donner au compte postgres ({e})"))?;
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("droits impossibles à régler ({e})"))?;
        let reachable = self
            .command(Path::new("/usr/bin/test"))
            .arg("-w")
            .arg(dir)
            .stdin(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if reachable {
            Ok(())
        } else {
            Err("le compte postgres ne peut pas y accéder (un dossier parent lui est fermé)".into())
        }
    }

    /// A command that runs as the server account when we are root.
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let Some(acc) = self.run_as {
            cmd.uid(acc.uid).gid(acc.gid);
        }
        cmd.env_remove("PGDATA").env("LC_ALL", "C.UTF-8");
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), EmbeddedError> {
        let path = self.bin.join(program);
        let out = self
            .command(&path)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| EmbeddedError::Program {
                program: program.into(),
                detail: e.to_string(),
            })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(EmbeddedError::Program {
                program: program.into(),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// Runs `initdb` unless the folder already holds a cluster.
    pub fn init(&self) -> Result<bool, EmbeddedError> {
        if self.data_dir.join("PG_VERSION").exists() {
            return Ok(false);
        }
        let dir = self.data_dir.to_string_lossy().to_string();
        let base = [
            "-D",
            dir.as_str(),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ];
        // French collation through ICU where the server has it, else C.UTF-8.
        let icu = [
            "--locale-provider=icu",
            "--icu-locale=fr-CA",
            "--locale=C.UTF-8",
        ];
        let plain = ["--locale=C.UTF-8"];
        let first = self.run("initdb", &[&base[..], &icu[..]].concat());
        if first.is_err() {
            self.clear_failed_init()?;
            self.run("initdb", &[&base[..], &plain[..]].concat())?;
        }
        Ok(true)
    }

    fn clear_failed_init(&self) -> Result<(), EmbeddedError> {
        let entries = fs::read_dir(&self.data_dir).map_err(io_err(&self.data_dir))?;
        for entry in entries.flatten() {
            let p = entry.path();
            let res = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            res.map_err(io_err(&p))?;
        }
        Ok(())
    }

    /// Starts the server and waits until it accepts connections. Extra
    /// settings (`-c name=value`) tune it, e.g. `fsync=off` for tests.
    pub fn start(&mut self, extra: &[(&str, &str)]) -> Result<(), EmbeddedError> {
        self.clear_stale_pid_file()?;
        let log_path = self.data_dir.join("server.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(&log_path))?;
        if let Some(acc) = self.run_as {
            std::os::unix::fs::chown(&log_path, Some(acc.uid), Some(acc.gid))
                .map_err(io_err(&log_path))?;
        }
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let log_err = log.try_clone().map_err(io_err(&log_path))?;
        let mut cmd = self.command(&self.bin.join("postgres"));
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.data_dir.display()
            ))
            .arg("-c")
            .arg("unix_socket_permissions=0700");
        for (k, v) in extra {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            // Own process group: a Ctrl-C in the terminal reaches us, and we
            // stop the server ourselves after the last request.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| EmbeddedError::Program {
            program: "postgres".into(),
            detail: e.to_string(),
        })?;
        self.child = Some(child);
        self.wait_ready(&log_path, log_start)
    }

    fn wait_ready(&mut self, log_path: &Path, log_start: u64) -> Result<(), EmbeddedError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid_file = self.data_dir.join("postmaster.pid");
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(EmbeddedError::Start(format!(
                    "le serveur s'est arrêté ({status}) : {}",
                    log_tail(log_path, log_start)
                )));
            }
            let ready = fs::read_to_string(&pid_file)
                .map(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(EmbeddedError::Start(format!(
                    "toujours pas prêt après 60 s : {}",
                    log_tail(log_path, log_start)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A `postmaster.pid` left by a crash must not block the next start: if
    /// its process is not a server on this folder, the file is removed; if
    /// an orphan server of ours still runs there, it is stopped first.
    fn clear_stale_pid_file(&self) -> Result<(), EmbeddedError> {
        let pid_file = self.data_dir.join("postmaster.pid");
        let Ok(content) = fs::read_to_string(&pid_file) else {
            return Ok(());
        };
        let pid = content
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<i32>().ok());
        if let Some(pid) = pid
            && is_our_server(pid, &self.data_dir)
        {
            tracing::warn!("un serveur PostgreSQL orphelin (pid {pid}) tourne encore : arrêt");
            let dir = self.data_dir.to_string_lossy().to_string();
            self.run("pg_ctl", &["stop", "-D", &dir, "-m", "fast", "-w"])?;
            return Ok(());
        }
        tracing::warn!(
            "fichier postmaster.pid périmé retiré ({})",
            pid_file.display()
        );
        fs::remove_file(&pid_file).map_err(io_err(&pid_file))
    }

    /// Whether the server we started has exited (it is reaped if so).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok().flatten()?;
        self.child = None;
        Some(status)
    }

    /// Stops the server with a fast shutdown (`pg_ctl stop -m fast`). A
    /// server that already died is only reaped: `pg_ctl -w` would wait a
    /// minute on its pid file.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let dir = self.data_dir.to_string_lossy().to_string();
        if let Err(e) = self.run("pg_ctl", &["stop", "-D", &dir, "-m", "fast", "-w"]) {
            tracing::warn!("pg_ctl stop a échoué ({e}) : signal d'arrêt envoyé");
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: plain syscall on our own child's pid.
                unsafe {
                    libc::kill(pid, libc::SIGINT);
                }
            }
        }
        let _ = child.wait();
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn postgres_account() -> Option<Account> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4 && f[0] == "postgres" {
            Some(Account {
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
            })
        } else {
            None
        }
    })
}

fn absolute(p: &Path) -> Result<PathBuf, EmbeddedError> {
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(io_err(p))?;
    Ok(cwd.join(p))
}

/// A stable place under /var/tmp for a folder that cannot be used.
fn fallback_folder(requested: &Path) -> PathBuf {
    let digest = Sha256::digest(requested.as_os_str().as_encoded_bytes());
    let short = hex::encode(&digest[..6]);
    PathBuf::from(format!("/var/tmp/renouvo-{short}/postgres"))
}

/// Is `pid` a running `postgres` whose command line names `data_dir`?
fn is_our_server(pid: i32, data_dir: &Path) -> bool {
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != "postgres" {
        return false;
    }
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let wanted = data_dir.as_os_str().as_encoded_bytes();
    cmdline.split(|b| *b == 0).any(|arg| arg == wanted)
}

fn has_server_programs(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|p| {
        dir.join(p)
            .metadata()
            .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
    })
}

/// The folder of `pg_dump` and `pg_restore` matching the server: beside
/// the real `postgres` program (PATH may hold links to it from elsewhere),
/// else on PATH.
pub fn find_client_binaries(explicit: Option<&Path>) -> Option<PathBuf> {
    let has_clients = |dir: &Path| {
        ["pg_dump", "pg_restore"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(server) = find_binaries(explicit)
        && let Ok(real) = fs::canonicalize(server.join("postgres"))
        && let Some(dir) = real.parent()
        && has_clients(dir)
    {
        return Some(dir.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|dir| has_clients(dir))
}

/// `--pg-bin`, else the folder on PATH holding `initdb`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn find_binaries(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return has_server_programs(dir).then(|| dir.to_path_buf());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server_programs(&dir) {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_server_programs(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.seek(SeekFrom::Start(from));
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().rev().take(8).collect();
    let tail: Vec<&str> = lines.into_iter().rev().collect();
    if tail.is_empty() {
        format!("voir {}", path.display())
    } else {
        tail.join(" | ")
    }
}
