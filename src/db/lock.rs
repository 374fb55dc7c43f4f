//! One renouvo per data folder: an exclusive `flock` on a file beside the
//! folder, held for the life of the process (the kernel drops it when the
//! process dies, however it dies). The file says who holds it, so a second
//! instance can name the first one instead of touching its database.
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock of one data folder, released on drop.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

/// What a refused lock knows about the instance holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub address: Option<String>,
}

impl Holder {
    /// « pid 1234, http://127.0.0.1:8080/ » (or what is known of it).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(pid) = self.pid {
            parts.push(format!("processus {pid}"));
        }
        if let Some(addr) = &self.address {
            parts.push(format!("adresse {addr}"));
        }
        if parts.is_empty() {
            "instance inconnue".to_string()
        } else {
            parts.join(", ")
        }
    }

    fn parse(text: &str) -> Holder {
        let mut holder = Holder {
            pid: None,
            address: None,
        };
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("pid=") {
                holder.pid = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("adresse=") {
                let v = v.trim();
                if !v.is_empty() {
                    holder.address = Some(v.to_string());
                }
            }
        }
        holder
    }
}

#[derive(Debug)]
pub enum LockOutcome {
    Acquired(FolderLock),
    Busy(Holder),
}

/// The lock file of a data folder: `<folder>.lock`, beside it (the folder
/// itself belongs to PostgreSQL and must stay empty for `initdb`).
pub fn lock_path(data_dir: &Path) -> PathBuf {
    let mut name = data_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "donnees".into());
    name.push(".lock");
    data_dir.with_file_name(name)
}

impl FolderLock {
    /// Takes the lock without waiting, or says who holds it.
    pub fn acquire(data_dir: &Path) -> std::io::Result<LockOutcome> {
        let path = lock_path(data_dir);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        // SAFETY: flock on a descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Ok(LockOutcome::Busy(Holder::parse(&text)));
            }
            return Err(err);
        }
        let mut lock = FolderLock { file, path };
        lock.record(None)?;
        Ok(LockOutcome::Acquired(lock))
    }

    /// Writes who holds the lock (our pid, and the address once bound).
    pub fn record(&mut self, address: Option<&str>) -> std::io::Result<()> {
        let text = format!(
            "pid={}\nadresse={}\n",
            std::process::id(),
            address.unwrap_or("")
        );
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_folder() {
        assert_eq!(
            lock_path(Path::new("/srv/data/postgres")),
            PathBuf::from("/srv/data/postgres.lock")
        );
    }

    #[test]
    fn a_second_lock_on_the_same_folder_names_the_holder() {
        let dir = std::env::temp_dir().join(format!("renouvo-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let data = dir.join("pg");
        let LockOutcome::Acquired(mut first) = FolderLock::acquire(&data).unwrap() else {
            panic!("first lock refused");
        };
        first.record(Some("http://127.0.0.1:8080/")).unwrap();
        // flock locks belong to the open file: a second open in the same
        // process is refused like another process would be.
        match FolderLock::acquire(&data).unwrap() {
            LockOutcome::Busy(holder) => {
                assert_eq!(holder.pid, Some(std::process::id()));
                assert_eq!(holder.address.as_deref(), Some("http://127.0.0.1:8080/"));
                assert!(holder.describe().contains("http://127.0.0.1:8080/"));
            }
            LockOutcome::Acquired(_) => panic!("second lock granted"),
        }
        drop(first);
        assert!(matches!(
            FolderLock::acquire(&data).unwrap(),
            LockOutcome::Acquired(_)
        ));
        let _ = fs::remove_dir_all(&dir);
    }
}
