//! Login, sessions, throttling, cross-site posts and role guards, through
//! the real router on a real PostgreSQL.
mod common;

use common::{PASSWORD, TestApp, location};
use renouvo::domain::user::Role;

#[tokio::test]
async fn login_success_lands_on_the_role_home() {
    let app = TestApp::spawn().await;
    let d = app.create_district("Montréal").await;
    app.create_user("rep@test.ca", Role::Representative, Some(d))
        .await;

    let resp = app.login("REP@test.ca", PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/aujourdhui");
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");

    let home = app.get("/aujourdhui").await;
    assert_eq!(home.status(), 200);
    let body = home.text().await.unwrap();
    assert!(body.contains("Aujourd&#39;hui") || body.contains("Aujourd'hui"));
    assert!(body.contains("Se déconnecter"));

    // Only the hash of the token is stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!cookie.contains(&hex_of(&stored)));
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn login_failure_says_the_same_for_unknown_email_and_wrong_password() {
    let app = TestApp::spawn().await;
    app.create_user("direction@test.ca", Role::Direction, None)
        .await;

    let wrong = app.login("direction@test.ca", "pas le bon").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let wrong_body = wrong.text().await.unwrap();
    assert!(wrong_body.contains("Courriel ou mot de passe incorrect."));
    assert!(
        wrong_body.contains("value=\"direction@test.ca\""),
        "email kept"
    );

    let unknown = app.login("personne@test.ca", "pas le bon").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body = unknown.text().await.unwrap();
    assert!(unknown_body.contains("Courriel ou mot de passe incorrect."));

    let empty = app.login("", "").await;
    assert_eq!(empty.status(), 422);
    let body = empty.text().await.unwrap();
    assert!(body.contains("Indiquez votre courriel."));
    assert!(body.contains("Indiquez votre mot de passe."));
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, 1);

    let resp = app.post_form("/logout", &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/login?deconnecte=1");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the session row is deleted");
    let after = app.get("/direction").await;
    assert_eq!(after.status(), 303);
    assert!(location(&after).starts_with("/login"));
}

#[tokio::test]
async fn an_old_cookie_is_useless_after_logout() {
    let app = TestApp::spawn().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    let resp = app.login("dir@test.ca", PASSWORD).await;
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let pair = set_cookie.split(';').next().unwrap().to_string();
    app.post_form("/logout", &[]).await;

    let replay = app
        .new_client()
        .get(app.url("/direction"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    assert!(location(&replay).starts_with("/login"));
}

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let mut app = TestApp::spawn().await;
    app.login_as(Role::Billing).await;
    assert_eq!(app.get("/facturation").await.status(), 200);
    app.restart().await;
    let resp = app.get("/facturation").await;
    assert_eq!(resp.status(), 200, "still logged in after restart");
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let resp = app.get("/direction").await;
    assert_eq!(resp.status(), 303);
    assert!(location(&resp).starts_with("/login"));
}

#[tokio::test]
async fn an_idle_session_is_refused() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    // The test configuration allows one hour of inactivity: 59 minutes pass.
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '59 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/direction").await.status(), 200);
    // Seen just now; then 61 minutes without a request.
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '61 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let resp = app.get("/direction").await;
    assert_eq!(location(&resp), "/login?next=/direction");
    // The next login makes a new session; the idle one is not revived.
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE last_seen_at > now() - interval '1 hour'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test]
async fn throttling_kicks_in_then_releases() {
    let app = TestApp::spawn().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    for _ in 0..5 {
        let r = app.login("dir@test.ca", "mauvais").await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused while throttled.
    let blocked = app.login("dir@test.ca", PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    let body = blocked.text().await.unwrap();
    assert!(body.contains("Trop de tentatives"), "{body}");

    // Fifteen minutes later the account is released.
    sqlx::query("UPDATE login_attempts SET attempted_at = attempted_at - interval '16 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let ok = app.login("dir@test.ca", PASSWORD).await;
    assert_eq!(location(&ok), "/direction");
}

#[tokio::test]
async fn throttling_also_counts_per_address() {
    let app = TestApp::spawn().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    for i in 0..50 {
        let r = app.login(&format!("inconnu{i}@test.ca"), "mauvais").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let blocked = app.login("dir@test.ca", PASSWORD).await;
    assert_eq!(blocked.status(), 429);
}

/// An app that takes the client's address from `X-Forwarded-For`, as
/// behind a proxy, so that a test can speak from several addresses.
async fn behind_proxy() -> TestApp {
    let (pool, options) = common::fresh_database().await;
    let config = renouvo::config::WebConfig {
        trust_proxy: true,
        ..common::test_config()
    };
    TestApp::spawn_with(pool, options, config).await
}

async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> u16 {
    app.new_client()
        .post(app.url("/login"))
        .header("origin", format!("http://{}", app.addr))
        .header("x-forwarded-for", address)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_burst_of_concurrent_wrong_passwords_lets_at_most_the_limit_through() {
    let app = behind_proxy().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let client = app.new_client();
        let url = app.url("/login");
        let origin = format!("http://{}", app.addr);
        burst.spawn(async move {
            client
                .post(url)
                .header("origin", origin)
                .header("x-forwarded-for", "203.0.113.9")
                .form(&[("email", "dir@test.ca"), ("password", "mauvais")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses: Vec<u16> = burst.join_all().await;
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(evaluated + refused, 100, "{statuses:?}");
    assert!(evaluated <= 5, "{evaluated} passwords were checked");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(recorded as usize, evaluated);
}

#[tokio::test]
async fn the_owner_logs_in_from_another_address_while_one_address_is_throttled() {
    let app = behind_proxy().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, "198.51.100.7", "dir@test.ca", "mauvais").await,
            401
        );
    }
    // The guessing address is refused, even with the right password…
    assert_eq!(
        login_from(&app, "198.51.100.7", "dir@test.ca", PASSWORD).await,
        429
    );
    // …but the owner, from the office, gets in.
    assert_eq!(
        login_from(&app, "192.0.2.44", "dir@test.ca", PASSWORD).await,
        303
    );
}

#[tokio::test]
async fn an_office_behind_one_address_is_not_locked_out_by_a_few_mistakes() {
    let app = behind_proxy().await;
    for i in 0..12 {
        app.create_user(&format!("rep{i}@test.ca"), Role::Direction, None)
            .await;
    }
    // Twelve colleagues each mistype their password twice…
    for i in 0..12 {
        for _ in 0..2 {
            let email = format!("rep{i}@test.ca");
            assert_eq!(login_from(&app, "192.0.2.1", &email, "oups").await, 401);
        }
    }
    // …and all still log in from the same router.
    for i in 0..12 {
        let email = format!("rep{i}@test.ca");
        assert_eq!(login_from(&app, "192.0.2.1", &email, PASSWORD).await, 303);
    }
}
