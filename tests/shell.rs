//! The shell shared by every page: errors, headers, assets, limits, demo.
mod common;

use common::TestApp;
use renouvo::domain::user::Role;

#[tokio::test]
async fn healthz_checks_the_database() {
    let app = TestApp::spawn().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn an_unknown_page_answers_a_french_404() {
    let app = TestApp::spawn().await;
    let resp = app.get("/nulle-part").await;
    assert_eq!(resp.status(), 404);
    let body = resp.text().await.unwrap();
    assert!(body.contains("lang=\"fr-CA\""));
    assert!(body.contains("Page introuvable"));
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/nulle-part", "/static/app.css"] {
        let resp = app.get(path).await;
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        let cache = h["cache-control"].to_str().unwrap();
        if path.starts_with("/static/") {
            assert!(cache.contains("max-age"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path}: pages are never cached");
        }
    }
}

#[tokio::test]
async fn the_stylesheet_is_versioned_and_cached() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await.text().await.unwrap();
    let href = page
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/static/app.css?v="))
        .and_then(|s| s.split('"').next())
        .expect("stylesheet link");
    let css = app.get(&format!("/static/app.css?v={href}")).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
}

#[tokio::test]
async fn an_oversized_body_gets_a_french_page_not_a_crash() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(5 * 1024 * 1024);
    let resp = app
        .post_form("/login", &[("email", &huge), ("password", "x")])
        .await;
    assert_eq!(resp.status(), 413);
    assert!(resp.text().await.unwrap().contains("trop volumineuses"));
}

#[tokio::test]
async fn a_garbled_form_gets_a_french_page() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/login"))
        .header("content-type", "text/plain")
        .body("n'importe quoi")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("Requête invalide"));
}

#[tokio::test]
async fn demo_data_is_created_once_and_its_users_can_log_in() {
    let app = TestApp::spawn().await;
    let logins = renouvo::demo::seed(&app.pool)
        .await
        .unwrap()
        .expect("seeded");
    let roles: Vec<Role> = logins.iter().map(|l| l.role).collect();
    for role in Role::ALL {
        assert!(roles.contains(&role), "a demo user for {role:?}");
    }
    assert!(renouvo::demo::seed(&app.pool).await.unwrap().is_none());
    for l in &logins {
        let client = app.new_client();
        let resp = client
            .post(app.url("/login"))
            .form(&[
                ("email", l.email.as_str()),
                ("password", renouvo::demo::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{}", l.email);
    }
}

#[tokio::test]
async fn a_form_address_opened_as_a_page_leads_back_to_its_page() {
    let app = TestApp::spawn().await;
    let resp = app.get("/membres/5/suivis").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(common::location(&resp), "/membres/5");
    let other = app.client.delete(app.url("/login")).send().await.unwrap();
    assert_eq!(other.status(), 405);
    assert!(other.text().await.unwrap().contains("Action impossible"));
}

#[tokio::test]
async fn error_pages_keep_the_navigation_for_a_logged_in_user() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Representative).await;
    for (path, status, title) in [
        ("/nulle-part", 404, "Page introuvable"),
        ("/membres/999999", 404, "Page introuvable"),
        ("/direction", 403, "Accès refusé"),
    ] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), status, "{path}");
        let body = resp.text().await.unwrap();
        assert!(body.contains(title), "{path}");
        assert!(body.contains("Se déconnecter"), "{path}: navigation kept");
        assert!(body.contains("href=\"/aujourdhui\""), "{path}");
    }
}
