//! Who may open what: every route of `src/web/mod.rs` (read at compile
//! time, like tests/hostile.rs) × every role and the anonymous visitor,
//! against one table. A route added without a line here fails
//! `every_route_has_a_line_in_the_access_table`; a line whose guard is
//! missing in the handler fails `every_role_gets_the_answer_of_the_table`.
//!
//! Tried on purpose: a `/essai` route added to the table without a line
//! here; `require` removed from `renewals::record` (a representative then
//! recorded a renewal) and from `groups::create` (a representative and
//! billing got a 422 instead of a 403): each failed here.
mod common;

use std::collections::BTreeSet;

use common::accounts::{self, DIR, FACT, GEST_A, REP_A1, World};
use common::actions::{Browser, log_in};
use common::builders::{insert_billing_request, insert_follow_up, insert_group};
use common::location;
use renouvo::domain::user::Role;

/// Who gets through a route's guard.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Anyone, logged in or not (login, health, assets, one-time links).
    Public,
    /// Anyone logged in, whatever the role.
    LoggedIn,
    /// These roles; the others get a 403, the anonymous visitor the login.
    Only(&'static [Role]),
}

use Role::{Billing as B, Direction as D, DistrictManager as M, Representative as R};

const FOLLOWERS: Who = Who::Only(&[R, M, D]);
const MANAGERS: Who = Who::Only(&[M, D]);
const DIRECTION: Who = Who::Only(&[D]);
const INVOICERS: Who = Who::Only(&[B, D]);
const MANAGER: Who = Who::Only(&[M]);

/// Every route and method, and who may use it.
const TABLE: &[(&str, &str, Who)] = &[
    ("GET", "/", Who::LoggedIn),
    ("GET", "/aujourdhui", Who::Only(&[R])),
    ("GET", "/district", MANAGER),
    ("GET", "/district/activite", MANAGER),
    ("POST", "/district/reassigner", MANAGER),
    ("GET", "/direction", DIRECTION),
    ("GET", "/facturation", INVOICERS),
    ("POST", "/facturation/{id}/envoyee", INVOICERS),
    ("POST", "/facturation/{id}/payee", INVOICERS),
    ("POST", "/facturation/{id}/recue", FOLLOWERS),
    ("POST", "/facturation/{id}/annulee", FOLLOWERS),
    ("POST", "/facturation/{id}/depart", Who::Only(&[R, M, B, D])),
    ("POST", "/facturation/{id}/decision", FOLLOWERS),
    ("GET", "/membres", FOLLOWERS),
    ("GET", "/membres/export.csv", FOLLOWERS),
    ("GET", "/risque", FOLLOWERS),
    ("GET", "/risque/export.csv", FOLLOWERS),
    ("GET", "/risque/formule", FOLLOWERS),
    ("GET", "/membres/nouveau", MANAGERS),
    ("POST", "/membres/nouveau", MANAGERS),
    ("GET", "/membres/{id}", FOLLOWERS),
    ("POST", "/membres/{id}/suivis", FOLLOWERS),
    (
        "POST",
        "/membres/{id}/suivis/{follow_up_id}/correction",
        FOLLOWERS,
    ),
    ("POST", "/membres/{id}/relance", FOLLOWERS),
    ("POST", "/membres/{id}/facturation", FOLLOWERS),
    ("POST", "/membres/{id}/renouvellement", DIRECTION),
    ("POST", "/membres/{id}/renouvellement/annulation", DIRECTION),
    ("POST", "/membres/{id}/depart", FOLLOWERS),
    ("POST", "/membres/{id}/reactivation", MANAGERS),
    ("GET", "/membres/{id}/modifier", MANAGERS),
    ("POST", "/membres/{id}/modifier", MANAGERS),
    ("POST", "/membres/{id}/raisons", FOLLOWERS),
    ("POST", "/membres/{id}/escalades", FOLLOWERS),
    ("GET", "/escalades", FOLLOWERS),
    ("GET", "/escalades/{id}", FOLLOWERS),
    ("POST", "/escalades/{id}/prise-en-charge", MANAGERS),
    ("POST", "/escalades/{id}/resolution", MANAGERS),
    ("POST", "/escalades/{id}/escalade", MANAGERS),
    ("GET", "/districts", DIRECTION),
    ("GET", "/districts/nouveau", DIRECTION),
    ("POST", "/districts/nouveau", DIRECTION),
    ("GET", "/districts/{id}/modifier", DIRECTION),
    ("POST", "/districts/{id}/modifier", DIRECTION),
    ("POST", "/districts/{id}/activation", DIRECTION),
    ("GET", "/groupes", FOLLOWERS),
    ("GET", "/groupes/nouveau", MANAGERS),
    ("POST", "/groupes/nouveau", MANAGERS),
    ("GET", "/groupes/{id}", FOLLOWERS),
    ("GET", "/groupes/{id}/modifier", MANAGERS),
    ("POST", "/groupes/{id}/modifier", MANAGERS),
    ("POST", "/groupes/{id}/activation", MANAGERS),
    ("GET", "/groupes/{id}/rencontres", FOLLOWERS),
    ("POST", "/groupes/{id}/rencontres", MANAGERS),
    ("GET", "/groupes/{id}/rencontres/{date}", FOLLOWERS),
    ("POST", "/groupes/{id}/rencontres/{date}", FOLLOWERS),
    (
        "POST",
        "/groupes/{id}/rencontres/{date}/annulation",
        MANAGERS,
    ),
    ("GET", "/groupes/{id}/rencontres/import", FOLLOWERS),
    ("POST", "/groupes/{id}/rencontres/import", FOLLOWERS),
    ("GET", "/groupes/{id}/rencontres/import/{token}", FOLLOWERS),
    ("POST", "/groupes/{id}/rencontres/import/{token}", FOLLOWERS),
    (
        "GET",
        "/groupes/{id}/rencontres/import/{token}/rapport.csv",
        FOLLOWERS,
    ),
    ("GET", "/raisons", DIRECTION),
    ("GET", "/raisons/nouvelle", DIRECTION),
    ("POST", "/raisons/nouvelle", DIRECTION),
    ("GET", "/raisons/{id}/modifier", DIRECTION),
    ("POST", "/raisons/{id}/modifier", DIRECTION),
    ("POST", "/raisons/{id}/deplacer", DIRECTION),
    ("POST", "/raisons/{id}/activation", DIRECTION),
    ("POST", "/raisons/{id}/suppression", DIRECTION),
    ("GET", "/echeanciers", DIRECTION),
    ("GET", "/echeanciers/versions", DIRECTION),
    ("GET", "/echeanciers/versions/{id}", DIRECTION),
    ("POST", "/echeanciers/versions/{id}", DIRECTION),
    ("GET", "/echeanciers/{section}", DIRECTION),
    ("POST", "/echeanciers/{section}", DIRECTION),
    ("GET", "/seuils-engagement", DIRECTION),
    ("POST", "/seuils-engagement", DIRECTION),
    ("GET", "/membres/import", MANAGERS),
    ("POST", "/membres/import", MANAGERS),
    ("GET", "/membres/import/{token}", MANAGERS),
    ("POST", "/membres/import/{token}", MANAGERS),
    ("GET", "/membres/import/{token}/rapport.csv", MANAGERS),
    ("GET", "/rapports", FOLLOWERS),
    ("GET", "/rapports/retention", FOLLOWERS),
    ("GET", "/rapports/retention.csv", FOLLOWERS),
    ("GET", "/rapports/departs", FOLLOWERS),
    ("GET", "/rapports/departs.csv", FOLLOWERS),
    ("GET", "/rapports/a-venir", FOLLOWERS),
    ("GET", "/rapports/a-venir.csv", FOLLOWERS),
    ("GET", "/rapports/suivi", FOLLOWERS),
    ("GET", "/rapports/suivi.csv", FOLLOWERS),
    ("GET", "/rapports/equipe", FOLLOWERS),
    ("GET", "/rapports/equipe.csv", FOLLOWERS),
    ("GET", "/rapports/calibration", MANAGERS),
    ("GET", "/rapports/calibration.csv", MANAGERS),
    ("GET", "/escalades/export.csv", FOLLOWERS),
    ("GET", "/facturation/export.csv", INVOICERS),
    ("GET", "/district/activite/export.csv", MANAGER),
    ("GET", "/groupes/export.csv", FOLLOWERS),
    ("GET", "/districts/export.csv", DIRECTION),
    ("GET", "/utilisateurs", MANAGERS),
    ("GET", "/utilisateurs/export.csv", MANAGERS),
    ("GET", "/utilisateurs/nouveau", DIRECTION),
    ("POST", "/utilisateurs/nouveau", DIRECTION),
    ("GET", "/utilisateurs/{id}/modifier", DIRECTION),
    ("POST", "/utilisateurs/{id}/modifier", DIRECTION),
    ("GET", "/utilisateurs/{id}/desactivation", DIRECTION),
    ("POST", "/utilisateurs/{id}/desactivation", DIRECTION),
    ("POST", "/utilisateurs/{id}/reactivation", DIRECTION),
    ("POST", "/utilisateurs/{id}/mot-de-passe", DIRECTION),
    ("GET", "/mot-de-passe/{token}", Who::Public),
    ("POST", "/mot-de-passe/{token}", Who::Public),
    ("GET", "/compte", Who::LoggedIn),
    ("POST", "/compte/mot-de-passe", Who::LoggedIn),
    ("GET", "/portefeuilles", MANAGERS),
    ("POST", "/portefeuilles/tout", MANAGERS),
    ("POST", "/portefeuilles/selection", MANAGERS),
    ("GET", "/membres/{id}/coordonnees", FOLLOWERS),
    ("POST", "/membres/{id}/coordonnees", FOLLOWERS),
    ("GET", "/login", Who::Public),
    ("POST", "/login", Who::Public),
    ("GET", "/logout", Who::Public),
    ("POST", "/logout", Who::Public),
    ("GET", "/healthz", Who::Public),
    ("GET", "/static/app.css", Who::Public),
    ("GET", "/static/favicon.svg", Who::Public),
    ("GET", "/favicon.ico", Who::Public),
];

/// Every (method, path) of the route table, in order.
fn routes() -> Vec<(String, String)> {
    let table = include_str!("../src/web/mod.rs");
    let mut out = Vec::new();
    let chunks: Vec<&str> = table.split(".route(").skip(1).collect();
    for chunk in chunks {
        // The route's own text ends where the next builder call begins.
        let chunk = chunk.split(".fallback(").next().unwrap_or(chunk);
        let Some(open) = chunk.find('"') else {
            continue;
        };
        let after = &chunk[open + 1..];
        let Some(close) = after.find('"') else {
            continue;
        };
        let path = after[..close].to_string();
        let handlers = &after[close..];
        let code: String = handlers
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect();
        if code.contains("get(") {
            out.push(("GET".to_string(), path.clone()));
        }
        if code.contains("post(") {
            out.push(("POST".to_string(), path));
        }
    }
    out
}

#[test]
fn every_route_has_a_line_in_the_access_table() {
    let routes: BTreeSet<(String, String)> = routes().into_iter().collect();
    assert!(routes.len() > 100, "the route table was read: {routes:?}");
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes without a line in TABLE (say who may use them): {missing:?}"
    );
    let gone: Vec<_> = table.difference(&routes).collect();
    assert!(gone.is_empty(), "lines of TABLE no route has: {gone:?}");
}

/// Real ids for the path's parameters, so that an allowed role meets the
/// page and not a 404.
struct Ids {
    member: i64,
    request: i64,
    follow_up: i64,
    escalation: i64,
    district: i64,
    group: i64,
    reason: i64,
    user: i64,
    version: i64,
}

async fn ids(w: &World) -> Ids {
    let pool = &w.app.pool;
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .expect(sql)
    };
    Ids {
        member: w.m1,
        request: insert_billing_request(pool, w.m2, w.rep_a1, "requested").await,
        follow_up: insert_follow_up(pool, w.m1, w.rep_a1).await,
        escalation: accounts::insert_escalation(pool, w.m1, w.rep_a1, None).await,
        district: w.district_a,
        group: insert_group(pool, w.district_a, "Québec Affaires", "A").await,
        reason: one("SELECT max(id) FROM reasons").await,
        user: w.rep_a2,
        version: one("SELECT min(id) FROM timeline_versions").await,
    }
}

fn with_ids(path: &str, ids: &Ids) -> String {
    let id = if path.starts_with("/facturation/") {
        ids.request
    } else if path.starts_with("/membres/") {
        ids.member
    } else if path.starts_with("/escalades/") {
        ids.escalation
    } else if path.starts_with("/districts/") {
        ids.district
    } else if path.starts_with("/groupes/") {
        ids.group
    } else if path.starts_with("/raisons/") {
        ids.reason
    } else if path.starts_with("/utilisateurs/") {
        ids.user
    } else {
        ids.version
    };
    path.replace("{id}", &id.to_string())
        .replace("{follow_up_id}", &ids.follow_up.to_string())
        .replace("{section}", "regional")
        .replace("{token}", "jeton-inconnu")
        .replace("{date}", "2026-11-24") // a Tuesday, the test groups' day
}

/// How the answer reads against the table.
fn judge(who: Option<Role>, rule: Who, status: u16, to: &str) -> Result<(), String> {
    let to_login = status == 303 && to.starts_with("/login");
    let allowed = match (rule, who) {
        (Who::Public, _) => true,
        (Who::LoggedIn, role) => role.is_some(),
        (Who::Only(roles), Some(role)) => roles.contains(&role),
        (Who::Only(_), None) => false,
    };
    if status >= 500 {
        return Err(format!("{status}"));
    }
    match (allowed, who) {
        (true, _) if status == 403 || status == 401 || (who.is_some() && to_login) => {
            Err(format!("{status} {to} but allowed"))
        }
        (true, _) => Ok(()),
        (false, None) if to_login => Ok(()),
        (false, None) => Err(format!("{status} {to} instead of the login page")),
        (false, Some(_)) if status == 403 => Ok(()),
        (false, Some(_)) => Err(format!("{status} {to} instead of 403")),
    }
}

async fn send(b: &Browser<'_>, method: &str, path: &str) -> (u16, String) {
    let resp = if method == "GET" {
        b.get(path).await
    } else {
        b.post(path, &[]).await
    };
    (resp.status().as_u16(), location(&resp))
}

#[tokio::test]
async fn every_role_gets_the_answer_of_the_table() {
    let w = accounts::world().await;
    let ids = ids(&w).await;
    let anonymous = Browser {
        app: &w.app,
        client: w.app.new_client(),
    };
    // Least powerful first: what one role's POST changes cannot open a
    // door for the next.
    let people = [
        (None, anonymous),
        (Some(B), log_in(&w.app, FACT).await),
        (Some(R), log_in(&w.app, REP_A1).await),
        (Some(M), log_in(&w.app, GEST_A).await),
        (Some(D), log_in(&w.app, DIR).await),
    ];
    let mut wrong = Vec::new();
    for (who, browser) in &people {
        for (method, route, rule) in TABLE {
            // Logging out would end the rest of this person's walk.
            if *route == "/logout" && *method == "POST" {
                continue;
            }
            let path = with_ids(route, &ids);
            let (status, to) = send(browser, method, &path).await;
            if let Err(why) = judge(*who, *rule, status, &to) {
                let role = who.map(|r| r.as_str()).unwrap_or("anonyme");
                wrong.push(format!("{role:>16} {method:4} {path}: {why}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_judge_tells_a_missing_guard() {
    // A route for managers that lets a representative in.
    assert!(judge(Some(R), MANAGERS, 200, "").is_err());
    assert!(judge(Some(R), MANAGERS, 403, "").is_ok());
    // A guarded route that shows its page to the anonymous visitor.
    assert!(judge(None, FOLLOWERS, 200, "").is_err());
    assert!(judge(None, FOLLOWERS, 303, "/login?suivant=/membres").is_ok());
    // An allowed role sent to the login page or refused.
    assert!(judge(Some(D), DIRECTION, 303, "/login").is_err());
    assert!(judge(Some(D), DIRECTION, 403, "").is_err());
}
