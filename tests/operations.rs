//! The binary as an operator runs it: one instance per data folder, a
//! supervised embedded PostgreSQL that comes back after a crash, backups.
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::PASSWORD;

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("renouvo-ops-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn renouvo(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_renouvo"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    cmd
}

/// A running `renouvo serve`, stopped (SIGTERM) on drop.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start(data: &Path, extra: &[&str]) -> Served {
        let mut child = renouvo(data, &["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep reading (and discarding) so the server never blocks on a
        // full pipe; send the address once announced.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or("").to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server announces its address");
        Served { child, addr }
    }

    fn stop(mut self) -> std::process::ExitStatus {
        terminate(&mut self.child)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child);
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    child.wait().unwrap()
}

/// One HTTP/1.1 request: (status, raw headers, body).
fn http(addr: &str, method: &str, path: &str, cookie: &str, form: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Origin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n",
            form.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn add_user(data: &Path, email: &str) -> Output {
    let mut child = renouvo(
        data,
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Direction",
            "--role",
            "direction",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    child.wait_with_output().unwrap()
}

/// Logs in through the form; returns the session cookie (`name=value`).
fn login(addr: &str, email: &str, password: &str) -> String {
    let form = format!("email={}&password={password}", email.replace('@', "%40"));
    let (status, head, body) = http(addr, "POST", "/login", "", &form);
    assert_eq!(status, 303, "{head}\n{body}");
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

#[test]
fn a_second_instance_on_a_folder_in_use_is_refused_and_the_first_keeps_serving() {
    let dir = scratch_dir("second");
    let data = dir.join("pg");
    let first = Served::start(&data, &[]);

    // Another port, same folder: refused at once, naming the first one.
    let started = Instant::now();
    let out = renouvo(&data, &["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("déjà utilisé"), "{err}");
    assert!(err.contains(&first.child.id().to_string()), "{err}");
    assert!(err.contains(&first.addr), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // The same port: the bind fails before the database is touched.
    let out = renouvo(&data, &["serve", "--addr", &first.addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("impossible d'écouter"), "{err}");

    // The first still serves, and `user add` uses its database meanwhile.
    let (status, _, _) = http(&first.addr, "GET", "/healthz", "", "");
    assert_eq!(status, 200);
    let added = add_user(&data, "dir@test.ca");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    login(&first.addr, "dir@test.ca", PASSWORD);
    assert!(first.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_embedded_postgres_is_restarted_and_no_acknowledged_write_is_lost() {
    let dir = scratch_dir("killed");
    let data = dir.join("pg");
    let served = Served::start(&data, &[]);
    assert!(add_user(&data, "dir@test.ca").status.success());
    let cookie = login(&served.addr, "dir@test.ca", PASSWORD);
    let form = "name=District+avant+la+panne";
    let (status, _, body) = http(&served.addr, "POST", "/districts/nouveau", &cookie, form);
    assert_eq!(status, 303, "{body}");

    let pid_file = std::fs::read_to_string(data.join("postmaster.pid")).unwrap();
    let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    // SAFETY: killing the test's own PostgreSQL server.
    unsafe {
        libc::kill(postmaster, libc::SIGKILL);
    }
    // Pages come back on their own, within seconds, without a restart of
    // renouvo; while the database is away they answer a French 503. (A
    // request right after the kill may still be served by a backend that
    // has not yet noticed: wait for the new server, then for the page.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let server_pid = || {
        std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()))
    };
    loop {
        let asked = Instant::now();
        let (status, _, body) = http(&served.addr, "GET", "/districts", &cookie, "");
        let restarted = server_pid().is_some_and(|pid| pid != postmaster);
        if status == 200 && restarted {
            assert!(body.contains("District avant la panne"), "{body}");
            break;
        }
        if status != 200 {
            assert_eq!(status, 503, "{body}");
            assert!(body.contains("momentanément indisponible"), "{body}");
            // A request already waiting for a connection when the server
            // died waits for it a few seconds; later ones are answered at once.
            assert!(asked.elapsed() < Duration::from_secs(8), "a timely answer");
        }
        assert!(Instant::now() < deadline, "not back after 10 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Writes work again, and a stop does not wait on the dead server.
    let (status, _, _) = http(
        &served.addr,
        "POST",
        "/districts/nouveau",
        &cookie,
        "name=District+après+la+panne",
    );
    assert_eq!(status, 303);
    let stopping = Instant::now();
    assert!(served.stop().success());
    assert!(stopping.elapsed() < Duration::from_secs(15));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_backup_restored_into_a_fresh_folder_has_the_same_data_and_sessions() {
    let dir = scratch_dir("backup");
    let data = dir.join("pg");
    let served = Served::start(&data, &["--demo"]);
    let cookie = login(&served.addr, "direction@demo.renouvo.ca", "demo-renouvo");
    let (status, _, before) = http(&served.addr, "GET", "/membres", &cookie, "");
    assert_eq!(status, 200);

    // Taken while the intranet serves.
    let file = dir.join("sauvegarde.dump");
    let out = renouvo(&data, &["backup"]).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hors de cette machine"));
    assert!(served.stop().success());

    // Into an occupied folder: refused, nothing touched.
    let out = renouvo(&data, &["restore"]).arg(&file).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dossier de données vide"));

    let fresh = dir.join("neuf");
    let out = renouvo(&fresh, &["restore"]).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("membres"));
    let restored = Served::start(&fresh, &[]);
    // The same session still opens the same list.
    let (status, _, after) = http(&restored.addr, "GET", "/membres", &cookie, "");
    assert_eq!(status, 200);
    // The list's count line (« 412 membres »), the same before and after.
    let count = |page: &str| {
        page.split("aria-live=\"polite\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .map(str::to_string)
    };
    assert!(
        count(&before).is_some_and(|c| c.contains("membre")),
        "{before}"
    );
    assert_eq!(count(&before), count(&after));
    assert!(restored.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}
