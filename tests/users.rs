//! Users managed from the browser: the list, creating a person who sets
//! their password with a one-time link, editing, deactivating (in one
//! transaction), reactivating, resetting a password, and `/compte`.
mod common;

use common::accounts::*;
use common::{PASSWORD, location};
use renouvo::domain::user::Role;

/// The set-password address shown on the page after creating or resetting.
fn link_in(body: &str) -> String {
    let start = body.find("/mot-de-passe/").expect("lien dans la page");
    body[start..start + "/mot-de-passe/".len() + 64].to_string()
}

const NEW_PASSWORD: &str = "une phrase de passe solide";

#[tokio::test]
async fn every_user_page_answers_by_role() {
    let w = world().await;
    let (r, m1, mb) = (w.rep_a1, w.m1, w.m_b);
    let paths: Vec<String> = vec![
        "/utilisateurs".into(),
        "/utilisateurs/export.csv".into(),
        "/utilisateurs/nouveau".into(),
        format!("/utilisateurs/{r}/modifier"),
        format!("/utilisateurs/{r}/desactivation"),
        "/compte".into(),
        "/portefeuilles".into(),
        format!("/membres/{m1}/coordonnees"),
        format!("/membres/{mb}/coordonnees"),
        "/utilisateurs/999999/modifier".into(),
    ];
    let cases: [(&str, [u16; 10]); 7] = [
        (REP_A1, [403, 403, 403, 403, 403, 200, 403, 200, 404, 403]),
        (REP_B, [403, 403, 403, 403, 403, 200, 403, 404, 200, 403]),
        (GEST_A, [200, 200, 403, 403, 403, 200, 200, 200, 404, 403]),
        (GEST_B, [200, 200, 403, 403, 403, 200, 200, 404, 200, 403]),
        (DIR, [200, 200, 200, 200, 200, 200, 200, 200, 200, 404]),
        (FACT, [403, 403, 403, 403, 403, 200, 403, 403, 403, 403]),
        ("", [303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ];
    for (email, expected) in cases {
        let client = if email.is_empty() {
            w.app.new_client()
        } else {
            client_as(&w.app, email).await
        };
        let mut got = Vec::new();
        for p in &paths {
            got.push(get(&w.app, &client, p).await.status().as_u16());
        }
        assert_eq!(got, expected.to_vec(), "{email}");
    }
}

#[tokio::test]
async fn every_user_action_is_refused_to_those_who_may_not_take_it() {
    let w = world().await;
    let r = w.rep_a2;
    let actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/utilisateurs/nouveau".into(),
            vec![
                ("email", "x@test.ca"),
                ("display_name", "X"),
                ("role", "billing"),
            ],
        ),
        (
            format!("/utilisateurs/{r}/modifier"),
            vec![
                ("display_name", "X"),
                ("role", "representative"),
                ("version", "1"),
            ],
        ),
        (format!("/utilisateurs/{r}/desactivation"), vec![]),
        (format!("/utilisateurs/{r}/reactivation"), vec![]),
        (format!("/utilisateurs/{r}/mot-de-passe"), vec![]),
        (
            "/portefeuilles/tout".into(),
            vec![("from_id", "1"), ("representative_id", "2")],
        ),
        // Nothing checked: a manager is told so by the form.
        (
            "/portefeuilles/selection".into(),
            vec![("representative_id", "2")],
        ),
    ];
    // Managers may move portfolios; nobody but direction changes accounts.
    let cases: [(&str, [u16; 7]); 4] = [
        (REP_A1, [403, 403, 403, 403, 403, 403, 403]),
        (GEST_A, [403, 403, 403, 403, 403, 422, 422]),
        (FACT, [403, 403, 403, 403, 403, 403, 403]),
        ("", [303, 303, 303, 303, 303, 303, 303]),
    ];
    for (email, expected) in cases {
        let client = if email.is_empty() {
            w.app.new_client()
        } else {
            client_as(&w.app, email).await
        };
        let mut got = Vec::new();
        for (path, form) in &actions {
            got.push(post(&w.app, &client, path, form).await.status().as_u16());
        }
        assert_eq!(got, expected.to_vec(), "{email}");
    }
    let active: bool = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(r)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert!(active, "nothing changed");
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'x@test.ca'")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(created, 0);
}

#[tokio::test]
async fn navigation_offers_users_to_direction_and_managers_and_the_account_to_everyone() {
    let w = world().await;
    for (email, users_link) in [(DIR, true), (GEST_A, true), (REP_A1, false), (FACT, false)] {
        let client = client_as(&w.app, email).await;
        let body = get(&w.app, &client, "/compte").await.text().await.unwrap();
        assert_eq!(
            body.contains("href=\"/utilisateurs\""),
            users_link,
            "{email}"
        );
        assert!(body.contains("href=\"/compte\""), "{email}");
    }
}

/// Direction creates Nadia Roy, representative of district A (her email
/// typed with spaces and capitals); returns her id and the page's
/// set-password link.
async fn create_nadia(w: &World) -> (i64, String) {
    let dir = client_as(&w.app, DIR).await;
    let district = w.district_a.to_string();
    let resp = post(
        &w.app,
        &dir,
        "/utilisateurs/nouveau",
        &[
            ("email", "  Nadia.Roy@Test.ca "),
            ("display_name", "Nadia Roy"),
            ("role", "representative"),
            ("district_id", &district),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Compte créé pour Nadia Roy"), "{body}");
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'nadia.roy@test.ca'")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    (id, link_in(&body))
}

/// Chooses `password` (typed twice) with the link, in `client`.
async fn choose_password(
    w: &World,
    client: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let form = [("password", password), ("confirmation", password)];
    post(&w.app, client, link, &form).await
}

#[tokio::test]
async fn a_new_persons_link_is_stored_only_as_a_hash_valid_72_hours_and_no_password_works_yet() {
    let w = world().await;
    let (id, link) = create_nadia(&w).await;
    let token = link.trim_start_matches("/mot-de-passe/");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_links WHERE user_id = $1 AND token_hash = sha256($2::bytea) \
         AND expires_at BETWEEN now() + interval '71 hours' AND now() + interval '73 hours'",
    )
    .bind(id)
    .bind(token.as_bytes())
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "hashed, valid 72 hours");
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_links WHERE encode(token_hash, 'hex') = $1",
    )
    .bind(token)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);
    assert_eq!(w.app.login("nadia.roy@test.ca", "!").await.status(), 401);
}

#[tokio::test]
async fn the_link_refuses_a_short_password_the_email_or_a_wrong_confirmation_by_the_field() {
    let w = world().await;
    let (_, link) = create_nadia(&w).await;
    let nadia = w.app.new_client();
    let page = get(&w.app, &nadia, &link).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("nadia.roy@test.ca"));
    for (password, confirmation, field_message) in [
        ("court", "court", "au moins 12 caractères"),
        ("nadia.roy@test.ca", "nadia.roy@test.ca", "votre courriel"),
        (NEW_PASSWORD, "une autre phrase", "pas identiques"),
    ] {
        let r = post(
            &w.app,
            &nadia,
            &link,
            &[("password", password), ("confirmation", confirmation)],
        )
        .await;
        assert_eq!(r.status(), 422, "{password}");
        let body = r.text().await.unwrap();
        assert!(body.contains(field_message), "{field_message}: {body}");
    }
}

#[tokio::test]
async fn a_new_person_who_chooses_a_password_is_logged_in_at_once_and_audited() {
    let w = world().await;
    let (id, link) = create_nadia(&w).await;
    let nadia = w.app.new_client();
    let r = choose_password(&w, &nadia, &link, NEW_PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let today = get(&w.app, &nadia, "/aujourdhui").await;
    assert_eq!(today.status(), 200, "logged in at once");
    assert_eq!(audit_count(&w.app.pool, "user", id, "created").await, 1);
    for field in ["Lien de mot de passe", "Mot de passe"] {
        assert_eq!(
            audit_count(&w.app.pool, "user", id, field).await,
            1,
            "{field}"
        );
    }
    let last_login: bool =
        sqlx::query_scalar("SELECT last_login_at IS NOT NULL FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&w.app.pool)
            .await
            .unwrap();
    assert!(last_login);
}

#[tokio::test]
async fn a_used_password_link_is_refused_and_the_chosen_password_works() {
    let w = world().await;
    let (_, link) = create_nadia(&w).await;
    let nadia = w.app.new_client();
    let r = choose_password(&w, &nadia, &link, NEW_PASSWORD).await;
    assert_eq!(r.status(), 303);
    let again = get(&w.app, &nadia, &link).await;
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("ne fonctionne plus"));
    let reuse = choose_password(&w, &w.app.new_client(), &link, "encore une autre phrase").await;
    assert_eq!(reuse.status(), 410);
    client_with(&w.app, "nadia.roy@test.ca", NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_set_password_link_is_refused_after_72_hours() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let body = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/mot-de-passe", w.rep_a2),
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    let link = link_in(&body);
    // A minute before the 72 hours are up, the link still opens.
    sqlx::query(
        "UPDATE password_links SET created_at = now() - interval '71 hours 59 minutes', \
         expires_at = now() + interval '1 minute' WHERE user_id = $1",
    )
    .bind(w.rep_a2)
    .execute(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(get(&w.app, &w.app.new_client(), &link).await.status(), 200);
    // 72 hours and a minute later.
    sqlx::query(
        "UPDATE password_links SET created_at = now() - interval '72 hours 1 minute', \
         expires_at = now() - interval '1 minute' WHERE user_id = $1",
    )
    .bind(w.rep_a2)
    .execute(&w.app.pool)
    .await
    .unwrap();
    let client = w.app.new_client();
    assert_eq!(get(&w.app, &client, &link).await.status(), 410);
    let r = post(
        &w.app,
        &client,
        &link,
        &[("password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 410);
    assert_eq!(w.app.login(REP_A2, NEW_PASSWORD).await.status(), 401);
    // A made-up token is refused the same way; a malformed one is no page.
    let made_up = format!("/mot-de-passe/{}", "ab".repeat(32));
    assert_eq!(get(&w.app, &client, &made_up).await.status(), 410);
    assert_eq!(
        get(&w.app, &client, "/mot-de-passe/abc").await.status(),
        404
    );
}

#[tokio::test]
async fn a_duplicate_email_and_a_missing_district_are_refused_by_their_field() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let r = post(
        &w.app,
        &dir,
        "/utilisateurs/nouveau",
        &[
            ("email", "REP.A1@test.ca"),
            ("display_name", "Doublon"),
            ("role", "billing"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Un compte existe déjà avec ce courriel"),
        "{body}"
    );
    assert!(
        body.contains("value=\"REP.A1@test.ca\""),
        "typed value kept"
    );
    let r = post(
        &w.app,
        &dir,
        "/utilisateurs/nouveau",
        &[
            ("email", "sans.district@test.ca"),
            ("display_name", "Sans district"),
            ("role", "district_manager"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Choisissez le district"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(n, 7, "nobody created");
}

#[tokio::test]
async fn the_cli_user_add_still_creates_a_user_who_can_log_in() {
    // The command line shares `store::users::create` with the form.
    let w = world().await;
    let mut tx = w.app.pool.begin().await.unwrap();
    let new = renouvo::store::users::NewUser {
        email: renouvo::domain::user::Email::parse("cli@test.ca").unwrap(),
        display_name: "Par la console".into(),
        role: Role::Billing,
        district_id: None,
        password_hash: common::test_password_hash(),
    };
    renouvo::store::users::create(&mut tx, None, &new)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    client_as(&w.app, "cli@test.ca").await;
}

/// Posts the user form of `path` with this name, role and district, on
/// `version`.
async fn edit_user(
    w: &World,
    client: &reqwest::Client,
    path: &str,
    fields: [&str; 4],
) -> reqwest::Response {
    let [name, role, district, version] = fields;
    let form = [
        ("display_name", name),
        ("role", role),
        ("district_id", district),
        ("version", version),
    ];
    post(&w.app, client, path, &form).await
}

/// Two directors open rep_a2's form; the other one saves « Rep Deux »,
/// then this one « Autre nom » on the same version: refused (409).
/// Returns the conflict page and the version both opened.
async fn conflicting_edit(w: &World, dir: &reqwest::Client) -> (String, String) {
    let other = client_as(&w.app, DIR).await;
    let path = format!("/utilisateurs/{}/modifier", w.rep_a2);
    let version = version_in(&get(&w.app, dir, &path).await.text().await.unwrap());
    let district = w.district_a.to_string();
    let fields = ["Rep Deux", "representative", &district, &version];
    assert_eq!(edit_user(w, &other, &path, fields).await.status(), 303);
    let fields = ["Autre nom", "representative", &district, &version];
    let late = edit_user(w, dir, &path, fields).await;
    assert_eq!(late.status(), 409);
    (late.text().await.unwrap().replace("&#39;", "'"), version)
}

async fn display_name(w: &World, user: i64) -> String {
    sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&w.app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_edit_saved_meanwhile_is_refused_with_both_versions_and_the_typed_values() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let (body, _) = conflicting_edit(&w, &dir).await;
    // The other person's version next to the typed one, no « other tab ».
    assert!(
        body.contains("a enregistré ce compte pendant que vous le modifiiez"),
        "{body}"
    );
    let table = &body[body.find("conflict-table").expect("tableau")..];
    assert!(
        table.contains("Rep Deux") && table.contains("Autre nom"),
        "{table}"
    );
    assert!(!body.contains("autre onglet"));
    assert!(body.contains("value=\"Autre nom\""), "typed value kept");
    assert_eq!(display_name(&w, w.rep_a2).await, "Rep Deux");
    assert_eq!(audit_count(&w.app.pool, "user", w.rep_a2, "Nom").await, 1);
}

#[tokio::test]
async fn saving_again_from_the_user_conflict_page_goes_on_top_of_the_newer_version() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let (body, version) = conflicting_edit(&w, &dir).await;
    let newer = version_in(&body);
    assert_ne!(newer, version);
    let path = format!("/utilisateurs/{}/modifier", w.rep_a2);
    let district = w.district_a.to_string();
    let fields = ["Autre nom", "representative", &district, &newer];
    assert_eq!(edit_user(&w, &dir, &path, fields).await.status(), 303);
    assert_eq!(display_name(&w, w.rep_a2).await, "Autre nom");
}

#[tokio::test]
async fn a_representative_holding_members_keeps_their_role_and_district() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let path = format!("/utilisateurs/{}/modifier", w.rep_a1);
    let version = version_in(&get(&w.app, &dir, &path).await.text().await.unwrap());
    let other_district = w.district_b.to_string();
    for (role, district) in [("billing", ""), ("representative", other_district.as_str())] {
        let r = edit_user(&w, &dir, &path, ["Rep Un", role, district, &version]).await;
        assert_eq!(r.status(), 422, "{role}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("déplacez d&#39;abord son portefeuille")
        );
    }
}

/// Direction deactivates rep_a1, handing their members to rep_a2.
async fn deactivate_rep_a1(w: &World, dir: &reqwest::Client) -> reqwest::Response {
    let target = w.rep_a2.to_string();
    post(
        &w.app,
        dir,
        &format!("/utilisateurs/{}/desactivation", w.rep_a1),
        &[("confirme", "oui"), ("representative_id", &target)],
    )
    .await
}

#[tokio::test]
async fn deactivation_offers_the_districts_other_representatives_only() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let path = format!("/utilisateurs/{}/desactivation", w.rep_a1);
    let page = get(&w.app, &dir, &path).await.text().await.unwrap();
    assert!(page.contains(&format!("value=\"{}\"", w.rep_a2)));
    assert!(!page.contains(&format!("value=\"{}\"", w.rep_b)));
}

#[tokio::test]
async fn deactivation_ends_the_sessions_at_once_and_refuses_the_login() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    assert_eq!(get(&w.app, &rep, "/aujourdhui").await.status(), 200);
    let dir = client_as(&w.app, DIR).await;
    assert_eq!(deactivate_rep_a1(&w, &dir).await.status(), 303);
    let after = get(&w.app, &rep, "/aujourdhui").await;
    assert_eq!(after.status(), 303);
    assert!(location(&after).starts_with("/login"));
    assert_eq!(w.app.login(REP_A1, PASSWORD).await.status(), 401);
    for field in ["active", "Désactivation"] {
        assert_eq!(
            audit_count(&w.app.pool, "user", w.rep_a1, field).await,
            1,
            "{field}"
        );
    }
}

#[tokio::test]
async fn deactivation_moves_the_members_with_their_planned_follow_ups_and_says_so() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let r = deactivate_rep_a1(&w, &dir).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!(
            "/utilisateurs?fait=desactive&membres=2&vers={}&compte={}",
            w.rep_a2, w.rep_a1
        )
    );
    let notice = get(&w.app, &dir, &location(&r)).await.text().await.unwrap();
    assert!(
        notice.contains(
            "Ses 2 membres (anciens membres compris) sont confiés à Test rep.a2@test.ca."
        ),
        "{notice}"
    );
    for m in [w.m1, w.m2] {
        assert_eq!(representative_of(&w.app.pool, m).await, Some(w.rep_a2));
        assert_eq!(planner_of(&w.app.pool, m).await, w.rep_a2);
        assert_eq!(
            audit_count(&w.app.pool, "member", m, "Représentant·e").await,
            1
        );
    }
    // The new representative sees them in « Aujourd'hui » (planned, due today).
    let rep2 = client_as(&w.app, REP_A2).await;
    let today = get(&w.app, &rep2, "/aujourdhui")
        .await
        .text()
        .await
        .unwrap();
    assert!(today.contains("Alice Audet") && today.contains("Benoît Bouchard"));
}

#[tokio::test]
async fn a_deactivated_person_is_listed_as_such_and_reactivated_logs_in_again() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    assert_eq!(deactivate_rep_a1(&w, &dir).await.status(), 303);
    let list = get(&w.app, &dir, "/utilisateurs?actif=non")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(REP_A1));
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/reactivation", w.rep_a1),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    client_as(&w.app, REP_A1).await;
}

#[tokio::test]
async fn deactivation_without_a_choice_leaves_orphans_and_refuses_another_district() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let path = format!("/utilisateurs/{}/desactivation", w.rep_a1);
    let foreign = w.rep_b.to_string();
    let r = post(
        &w.app,
        &dir,
        &path,
        &[("confirme", "oui"), ("representative_id", &foreign)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("représentant·e actif"));
    let active: bool = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(w.rep_a1)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert!(active, "refused: nothing done");
    let r = post(
        &w.app,
        &dir,
        &path,
        &[("confirme", "oui"), ("representative_id", "")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let notice = get(&w.app, &dir, &location(&r)).await.text().await.unwrap();
    assert!(notice.contains("sont désormais orphelins"), "{notice}");
    for m in [w.m1, w.m2] {
        assert_eq!(representative_of(&w.app.pool, m).await, None);
    }
    // The district manager finds them among the orphans.
    let gest = client_as(&w.app, GEST_A).await;
    let orphans = get(&w.app, &gest, "/portefeuilles?representant=aucun")
        .await
        .text()
        .await
        .unwrap();
    assert!(orphans.contains("Alice Audet") && orphans.contains("Odile Orphelin"));
}

#[tokio::test]
async fn deactivating_the_last_manager_sends_the_district_escalations_up_to_direction() {
    let w = world().await;
    let taken = insert_escalation(&w.app.pool, w.m1, w.rep_a1, Some(w.manager_a)).await;
    let waiting = insert_escalation(&w.app.pool, w.m2, w.rep_a1, None).await;
    let elsewhere = insert_escalation(&w.app.pool, w.m_b, w.rep_b, Some(w.manager_b)).await;
    let gest = client_as(&w.app, GEST_A).await;
    let dir = client_as(&w.app, DIR).await;
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/desactivation", w.manager_a),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        get(&w.app, &gest, "/district").await.status(),
        303,
        "session ended"
    );
    for e in [taken, waiting] {
        let status: String = sqlx::query_scalar("SELECT status FROM escalations WHERE id = $1")
            .bind(e)
            .fetch_one(&w.app.pool)
            .await
            .unwrap();
        assert_eq!(status, "escalated");
        let child: (String, String, i64) =
            sqlx::query_as("SELECT level, status, raised_by FROM escalations WHERE parent_id = $1")
                .bind(e)
                .fetch_one(&w.app.pool)
                .await
                .unwrap();
        assert_eq!(
            child,
            ("direction".to_string(), "open".to_string(), w.direction)
        );
        assert_eq!(audit_count(&w.app.pool, "escalation", e, "Statut").await, 1);
    }
    let other: String = sqlx::query_scalar("SELECT status FROM escalations WHERE id = $1")
        .bind(elsewhere)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(other, "acknowledged", "another district is untouched");
    let queue = get(&w.app, &dir, "/escalades").await.text().await.unwrap();
    assert!(queue.contains("Alice Audet") && queue.contains("Benoît Bouchard"));
}

#[tokio::test]
async fn a_manager_who_leaves_a_colleague_releases_what_they_took_in_charge() {
    let w = world().await;
    w.app
        .create_user("gest.a2@test.ca", Role::DistrictManager, Some(w.district_a))
        .await;
    let taken = insert_escalation(&w.app.pool, w.m1, w.rep_a1, Some(w.manager_a)).await;
    let dir = client_as(&w.app, DIR).await;
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/desactivation", w.manager_a),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (status, by): (String, Option<i64>) =
        sqlx::query_as("SELECT status, acknowledged_by FROM escalations WHERE id = $1")
            .bind(taken)
            .fetch_one(&w.app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), by), ("open", None));
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM escalations WHERE parent_id = $1")
        .bind(taken)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(children, 0, "the other manager receives it");
}

#[tokio::test]
async fn a_failure_midway_through_a_deactivation_leaves_nothing_moved() {
    let w = world().await;
    let taken = insert_escalation(&w.app.pool, w.m1, w.rep_a1, Some(w.manager_a)).await;
    let rep = client_as(&w.app, REP_A1).await;
    let gest = client_as(&w.app, GEST_A).await;
    let dir = client_as(&w.app, DIR).await;
    // The summary audit row is written last: failing there must undo the
    // sessions, the members, the planned follow-ups and the escalations.
    sqlx::raw_sql(
        "CREATE FUNCTION fail_deactivation() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'panne simulée'; END $$; \
         CREATE TRIGGER fail_deactivation BEFORE INSERT ON audit_log FOR EACH ROW \
         WHEN (NEW.field = 'Désactivation') EXECUTE FUNCTION fail_deactivation();",
    )
    .execute(&w.app.pool)
    .await
    .unwrap();
    let target = w.rep_a2.to_string();
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/desactivation", w.rep_a1),
        &[("confirme", "oui"), ("representative_id", &target)],
    )
    .await;
    assert_eq!(r.status(), 500);
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/desactivation", w.manager_a),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        get(&w.app, &rep, "/aujourdhui").await.status(),
        200,
        "session kept"
    );
    assert_eq!(
        get(&w.app, &gest, "/district").await.status(),
        200,
        "session kept"
    );
    for m in [w.m1, w.m2] {
        assert_eq!(representative_of(&w.app.pool, m).await, Some(w.rep_a1));
        assert_eq!(planner_of(&w.app.pool, m).await, w.rep_a1);
    }
    let (status, children): (String, i64) = sqlx::query_as(
        "SELECT status, (SELECT count(*) FROM escalations c WHERE c.parent_id = e.id) \
         FROM escalations e WHERE id = $1",
    )
    .bind(taken)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), children), ("acknowledged", 0));
    let (inactive, audits): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users WHERE NOT active), \
                (SELECT count(*) FROM audit_log WHERE actor_id = $1)",
    )
    .bind(w.direction)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!((inactive, audits), (0, 0));
}

#[tokio::test]
async fn nobody_deactivates_their_own_account() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let path = format!("/utilisateurs/{}/desactivation", w.direction);
    let page = get(&w.app, &dir, &path).await.text().await.unwrap();
    assert!(page.contains("propre compte"));
    let r = post(&w.app, &dir, &path, &[("confirme", "oui")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(get(&w.app, &dir, "/direction").await.status(), 200);
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_the_old_password() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A2).await;
    let dir = client_as(&w.app, DIR).await;
    let r = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/mot-de-passe", w.rep_a2),
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let first = link_in(&body);
    assert_eq!(get(&w.app, &rep, "/aujourdhui").await.status(), 303);
    assert_eq!(w.app.login(REP_A2, PASSWORD).await.status(), 401);
    // A second reset replaces the first link.
    let body = post(
        &w.app,
        &dir,
        &format!("/utilisateurs/{}/mot-de-passe", w.rep_a2),
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    let second = link_in(&body);
    let client = w.app.new_client();
    assert_eq!(get(&w.app, &client, &first).await.status(), 410);
    let r = post(
        &w.app,
        &client,
        &second,
        &[("password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 303);
    client_with(&w.app, REP_A2, NEW_PASSWORD).await;
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_and_keeps_this_one() {
    let w = world().await;
    let here = client_as(&w.app, REP_A1).await;
    let elsewhere = client_as(&w.app, REP_A1).await;
    let refused = [
        (("pas le bon", NEW_PASSWORD, NEW_PASSWORD), "actuel"),
        ((PASSWORD, "court", "court"), "12 caractères"),
        ((PASSWORD, REP_A1, REP_A1), "courriel"),
        ((PASSWORD, NEW_PASSWORD, "autre chose"), "pas identiques"),
    ];
    for ((current, new, confirmation), message) in refused {
        let r = post(
            &w.app,
            &here,
            "/compte/mot-de-passe",
            &[
                ("current", current),
                ("password", new),
                ("confirmation", confirmation),
            ],
        )
        .await;
        assert_eq!(r.status(), 422, "{message}");
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(get(&w.app, &elsewhere, "/aujourdhui").await.status(), 200);
    let r = post(
        &w.app,
        &here,
        "/compte/mot-de-passe",
        &[
            ("current", PASSWORD),
            ("password", NEW_PASSWORD),
            ("confirmation", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/compte?fait=mot-de-passe");
    assert_eq!(
        get(&w.app, &here, "/aujourdhui").await.status(),
        200,
        "this session kept"
    );
    assert_eq!(
        get(&w.app, &elsewhere, "/aujourdhui").await.status(),
        303,
        "other ended"
    );
    assert_eq!(w.app.login(REP_A1, PASSWORD).await.status(), 401);
    client_with(&w.app, REP_A1, NEW_PASSWORD).await;
    assert_eq!(
        audit_count(&w.app.pool, "user", w.rep_a1, "Mot de passe").await,
        1
    );
}

#[tokio::test]
async fn the_list_filters_shows_last_login_and_portfolio_and_exports_csv() {
    let w = world().await;
    client_as(&w.app, REP_A1).await;
    let dir = client_as(&w.app, DIR).await;
    let body = get(&w.app, &dir, "/utilisateurs?role=representative")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(REP_A1) && body.contains(REP_B));
    assert!(!body.contains(GEST_A));
    assert!(body.contains("3 personnes"), "{body}");
    assert!(body.contains("jamais"), "rep_a2 never logged in");
    let district = w.district_b.to_string();
    let body = get(
        &w.app,
        &dir,
        &format!("/utilisateurs?district={district}&q=rep"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains(REP_B) && !body.contains(REP_A1));
    let csv = get(&w.app, &dir, "/utilisateurs/export.csv?role=representative").await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "Excel dialect");
    let line = text.lines().find(|l| l.contains(REP_A1)).unwrap();
    assert!(
        line.contains(";Capitale;oui;2026-") || line.contains(";Capitale;oui;20"),
        "{line}"
    );
    assert!(line.ends_with(";2"), "two members: {line}");
    let comma = get(&w.app, &dir, "/utilisateurs/export.csv?format=virgule")
        .await
        .text()
        .await
        .unwrap();
    assert!(comma.starts_with("Nom,Courriel,"));
    // A manager reads only their district.
    let gest = client_as(&w.app, GEST_B).await;
    let body = get(&w.app, &gest, "/utilisateurs")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(REP_B) && !body.contains(REP_A1) && !body.contains(DIR));
    assert!(!body.contains("/modifier"), "read-only");
    let csv = get(&w.app, &gest, "/utilisateurs/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(REP_B) && !csv.contains(REP_A1));
}
