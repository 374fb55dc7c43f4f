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
    assert_eq!(empty.status(), 200);
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
    // The test configuration allows one hour of inactivity.
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '61 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let resp = app.get("/direction").await;
    assert_eq!(resp.status(), 303);
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
    assert_eq!(ok.status(), 303);
}

#[tokio::test]
async fn throttling_also_counts_per_address() {
    let app = TestApp::spawn().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    for i in 0..20 {
        let r = app.login(&format!("inconnu{i}@test.ca"), "mauvais").await;
        assert_eq!(r.status(), 401);
    }
    let blocked = app.login("dir@test.ca", PASSWORD).await;
    assert_eq!(blocked.status(), 429);
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    let forged = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://pirate.example")
        .form(&[("email", "dir@test.ca"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("Formulaire refusé"));

    let ok = app.login("dir@test.ca", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    let forged_logout = app
        .client
        .post(app.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_logout.status(), 403);
    assert_eq!(app.get("/direction").await.status(), 200, "still logged in");
}

#[tokio::test]
async fn an_anonymous_visit_redirects_to_login_with_next() {
    let app = TestApp::spawn().await;
    let d = app.create_district("Montérégie").await;
    app.create_user("gest@test.ca", Role::DistrictManager, Some(d))
        .await;

    let resp = app.get("/district?onglet=activite").await;
    assert_eq!(resp.status(), 303);
    let to = location(&resp);
    assert_eq!(to, "/login?next=/district%3Fonglet%3Dactivite");

    let page = app.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("name=\"next\" value=\"/district?onglet=activite\""),
        "{page}"
    );
    let login = app
        .post_form(
            "/login",
            &[
                ("email", "gest@test.ca"),
                ("password", PASSWORD),
                ("next", "/district?onglet=activite"),
            ],
        )
        .await;
    assert_eq!(location(&login), "/district?onglet=activite");

    // A foreign `next` is ignored.
    let other = app.new_client();
    let r = other
        .post(app.url("/login"))
        .form(&[
            ("email", "gest@test.ca"),
            ("password", PASSWORD),
            ("next", "//pirate.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/district");
}

#[tokio::test]
async fn each_role_reaches_its_home_and_is_refused_the_others() {
    let homes = [
        (Role::Representative, "/aujourdhui"),
        (Role::DistrictManager, "/district"),
        (Role::Direction, "/direction"),
        (Role::Billing, "/facturation"),
    ];
    for (role, home) in homes {
        let app = TestApp::spawn().await;
        app.login_as(role).await;
        let root = app.get("/").await;
        assert_eq!(location(&root), home, "{role:?} lands on its home");
        for (_, page) in homes {
            let status = app.get(page).await.status();
            // Direction also works the billing queue.
            let shared = role == Role::Direction && page == "/facturation";
            if page == home || shared {
                assert_eq!(status, 200, "{role:?} reaches {page}");
            } else {
                assert_eq!(status, 403, "{role:?} is refused {page}");
            }
        }
    }
}

#[tokio::test]
async fn the_navigation_shows_only_what_the_role_may_use() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Billing).await;
    let body = app.get("/facturation").await.text().await.unwrap();
    assert!(body.contains("href=\"/facturation\""));
    assert!(!body.contains("href=\"/direction\""));
    assert!(!body.contains("href=\"/district\""));
}

#[tokio::test]
async fn a_deactivated_user_cannot_log_in_and_loses_their_session() {
    let app = TestApp::spawn().await;
    let id = app.login_as(Role::Direction).await;
    let mut tx = app.pool.begin().await.unwrap();
    renouvo::store::users::set_active(&mut tx, None, id, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let resp = app.get("/direction").await;
    assert_eq!(resp.status(), 303, "session ended");
    let again = app.login("direction@test.ca", PASSWORD).await;
    assert_eq!(again.status(), 401);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Courriel ou mot de passe incorrect.")
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity = 'user' AND field = 'active'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
