//! Hostile input is normal input: every route of `src/web/mod.rs`, read at
//! compile time (so a new route is covered without editing this file), gets
//! ids that are not ids, NUL bytes and unreadable query strings, as GET and
//! as POST. None may answer 500, and none may answer in English.
mod common;

use common::TestApp;
use renouvo::domain::user::Role;

/// Every route path in the route table, in order.
fn routes() -> Vec<String> {
    let table = include_str!("../src/web/mod.rs");
    let mut out = Vec::new();
    let mut rest = table;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        out.push(after[..close].to_string());
        rest = &after[close..];
    }
    out
}

/// The path with each `{param}` replaced by `value`.
fn with_params(path: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Words of the plain-text rejections axum and serde write in English.
const ENGLISH: [&str; 6] = [
    "Invalid URL",
    "Failed to deserialize",
    "Cannot parse",
    "invalid digit",
    "Failed to parse",
    "missing field",
];

struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, what: &str, status: u16, body: &str) {
        if status >= 500 {
            self.0.push(format!("{what} → {status}"));
        }
        if let Some(word) = ENGLISH.iter().find(|w| body.contains(**w)) {
            self.0
                .push(format!("{what} → {status} en anglais ({word})"));
        }
        if status == 400 && !body.contains("lang=\"fr") {
            self.0.push(format!("{what} → 400 sans page française"));
        }
    }
}

async fn send(app: &TestApp, method: &str, path: &str, body: &str) -> (u16, String) {
    let url = app.url(path);
    let req = if method == "GET" {
        app.client.get(url)
    } else {
        app.client
            .post(url)
            .header("origin", format!("http://{}", app.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
    };
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, text)
}

#[tokio::test]
async fn hostile_input_on_every_route_gets_a_french_answer_and_never_a_500() {
    let app = TestApp::spawn_at(chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()).await;
    app.login_as(Role::Direction).await;
    let routes = routes();
    assert!(routes.len() > 30, "the route table was read: {routes:?}");
    let mut findings = Findings(Vec::new());

    for route in &routes {
        if route.starts_with("/static") || route == "/logout" {
            continue;
        }
        // Ids that are not ids: not numbers, decimals, too large, NUL.
        if route.contains('{') {
            for bad in ["abc", "1.5", "99999999999999999999", "-0", "%00"] {
                let path = with_params(route, bad);
                for method in ["GET", "POST"] {
                    let (status, body) = send(&app, method, &path, "a=b").await;
                    findings.check(&format!("{method} {path}"), status, &body);
                    if method == "GET" && ![404, 303].contains(&status) {
                        findings
                            .0
                            .push(format!("GET {path} → {status} au lieu de 404"));
                    }
                }
            }
        }
        // Query strings and form bodies no page of the intranet sends.
        let path = with_params(route, "1");
        for query in [
            "q=%00",
            "page=%00&tri=%00",
            "page=abc&confies=x&de=2026-13&a=zz",
            "%FF%FE=%C3%28",
            "q=a&q=b&q=c",
        ] {
            let url = format!("{path}?{query}");
            let (status, body) = send(&app, "GET", &url, "").await;
            findings.check(&format!("GET {url}"), status, &body);
        }
        for body in [
            "name=a%00b&email=x%00y",
            "%FF%FE=%C3%28",
            "version=zz&id=abc",
        ] {
            let (status, text) = send(&app, "POST", &path, body).await;
            findings.check(&format!("POST {path} [{body}]"), status, &text);
        }
    }
    assert!(
        findings.0.is_empty(),
        "{} hostile requests answered badly:\n{}",
        findings.0.len(),
        findings.0.join("\n")
    );
}

#[tokio::test]
async fn a_nul_byte_in_the_login_form_or_a_search_gets_a_french_400() {
    let app = TestApp::spawn().await;
    let (status, body) = send(&app, "POST", "/login", "email=a%00b%40x.ca&password=x").await;
    assert_eq!(status, 400);
    assert!(body.contains("caractère invisible"), "{body}");
    app.login_as(Role::Direction).await;
    for path in ["/membres?q=%00", "/membres/export.csv?q=%00"] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("paramètres illisibles"), "{body}");
        // The error page keeps the navigation of a logged-in user.
        assert!(
            body.contains("Déconnexion") || body.contains("deconnexion") || body.contains("logout"),
            "{body}"
        );
    }
    let (status, body) = send(&app, "GET", "/membres/abc", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("Page introuvable"), "{body}");
}

#[test]
fn the_route_table_is_read_with_its_parameters() {
    let routes = routes();
    assert!(routes.contains(&"/membres/{id}".to_string()));
    assert_eq!(
        with_params("/membres/{id}/suivis/{follow_up_id}/correction", "x"),
        "/membres/x/suivis/x/correction"
    );
}
