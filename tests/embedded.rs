//! The embedded PostgreSQL and the binary's commands, as a user runs them.
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASSWORD, TestApp, database_url, fresh_database, location};
use renouvo::db::{self, EmbeddedPostgres};

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("renouvo-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn query_count(pg: &EmbeddedPostgres) -> i64 {
    let pool = db::connect(db::socket_options(pg, "postgres"))
        .await
        .unwrap();
    let n = sqlx::query_scalar("SELECT count(*) FROM kept")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

#[test]
fn the_embedded_database_keeps_data_and_recovers_from_a_stale_pid_file() {
    let dir = scratch_dir("kept").join("pg");
    let mut pg = EmbeddedPostgres::prepare(&dir, None, false).unwrap();
    assert!(pg.init().unwrap(), "first start creates the cluster");
    pg.start(&[]).unwrap();
    // Only a Unix socket, inside the data folder.
    assert!(dir.join(".s.PGSQL.5432").exists());
    let conf = std::fs::read_to_string(dir.join("postmaster.pid")).unwrap();
    assert!(conf.contains(dir.to_str().unwrap()));
    block_on(async {
        let pool = db::connect(db::socket_options(&pg, "postgres"))
            .await
            .unwrap();
        let listen: String = sqlx::query_scalar("SHOW listen_addresses")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(listen, "", "no TCP port");
        sqlx::raw_sql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1), (2)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    pg.stop();
    assert!(!dir.join("postmaster.pid").exists(), "clean stop");

    // A crash leaves a pid file naming a process that is not our server.
    let mut impostor = Command::new("sleep").arg("30").spawn().unwrap();
    std::fs::write(
        dir.join("postmaster.pid"),
        format!("{}\n{}\n", impostor.id(), dir.display()),
    )
    .unwrap();

    let mut again = EmbeddedPostgres::prepare(&dir, None, false).unwrap();
    assert!(!again.init().unwrap(), "existing cluster reused");
    again.start(&[]).unwrap();
    assert_eq!(block_on(query_count(&again)), 2, "data survived");
    again.stop();
    let _ = impostor.kill();
    let _ = impostor.wait();
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_data_folder_with_a_socket_path_too_long_is_refused_with_the_flag_named() {
    let long = std::env::temp_dir().join("x".repeat(120));
    let err = EmbeddedPostgres::prepare(&long, None, false).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("--data-dir"), "{msg}");
    assert!(msg.contains("trop long"), "{msg}");
}

#[test]
fn missing_server_binaries_give_a_clear_message() {
    let err = EmbeddedPostgres::prepare(Path::new("/tmp/x"), Some(Path::new("/nulle-part")), false)
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("apt-get install postgresql"), "{msg}");
    assert!(msg.contains("DATABASE_URL"), "{msg}");
}

#[tokio::test]
async fn user_add_creates_a_user_who_can_log_in() {
    let (pool, options) = fresh_database().await;
    sqlx::query("INSERT INTO districts (name) VALUES ('Montérégie')")
        .execute(&pool)
        .await
        .unwrap();
    let url = database_url(&options);
    let mut child = Command::new(env!("CARGO_BIN_EXE_renouvo"))
        .args([
            "user",
            "add",
            "--email",
            "Nouvelle@Test.ca",
            "--name",
            "Nadia Roy",
            "--role",
            "representative",
            "--district",
            "montérégie",
        ])
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));

    let app = TestApp::spawn_on(pool, options).await;
    let resp = app.login("nouvelle@test.ca", PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/aujourdhui");
}

#[tokio::test]
async fn user_add_refuses_a_short_password_and_an_unknown_district() {
    let (_pool, options) = fresh_database().await;
    let url = database_url(&options);
    let run = |pw: &str, district: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_renouvo"))
            .args([
                "user",
                "add",
                "--email",
                "a@test.ca",
                "--name",
                "A",
                "--role",
            ])
            .args(["district_manager", "--district", district])
            .env("DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, err) = run("court", "Nulle part");
    assert!(!ok);
    assert!(err.contains("12 caractères"), "{err}");
    let (ok, err) = run(PASSWORD, "Nulle part");
    assert!(!ok);
    assert!(err.contains("district inconnu"), "{err}");
}

/// `renouvo serve --demo` on its own embedded PostgreSQL: starts, answers,
/// seeds demo users once, and stops its server cleanly on SIGTERM.
#[test]
fn serve_runs_on_its_embedded_database_and_stops_cleanly() {
    let dir = scratch_dir("serve").join("data");
    let start = |demo: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_renouvo"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            let line = lines.next().expect("server output").unwrap();
            printed.push(line.clone());
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split('/').next().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "server did not start");
        };
        (child, addr, printed)
    };

    let (mut child, addr, printed) = start(true);
    assert!(
        printed
            .iter()
            .any(|l| l.contains("direction@demo.renouvo.ca")),
        "{printed:?}"
    );
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    stop(&mut child);
    assert!(
        !dir.join("postmaster.pid").exists(),
        "PostgreSQL stopped cleanly"
    );

    let (mut child, addr, printed) = start(true);
    assert!(
        !printed
            .iter()
            .any(|l| l.contains("direction@demo.renouvo.ca")),
        "demo data is created only once"
    );
    assert!(http_get(&addr, "/login").contains("Connexion"));
    stop(&mut child);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

fn stop(child: &mut std::process::Child) {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
