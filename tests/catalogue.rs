//! The reasons catalogue (`/raisons`), through the real router on a real
//! PostgreSQL: who may use it, adding, editing with the version check,
//! ordering, retiring (kept in history, gone from the forms), deleting.
mod common;

use common::actions::log_in;
use common::catalogue::{d, insert_members, unescape};
use common::{PASSWORD, TestApp, location};
use renouvo::domain::formula::Formula;
use renouvo::domain::user::Role;

async fn reason_id(app: &TestApp, label: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM reasons WHERE label = $1")
        .bind(label)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// (label, position) of a category, in order.
async fn category(app: &TestApp, category: &str) -> Vec<(String, i32)> {
    sqlx::query_as("SELECT label, position FROM reasons WHERE category = $1 ORDER BY position")
        .bind(category)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn audit_fields(app: &TestApp, id: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT field FROM audit_log WHERE entity = 'reason' AND entity_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn status_of(app: &TestApp, client: &reqwest::Client, method: &str, path: &str) -> u16 {
    let req = match method {
        "GET" => client.get(app.url(path)),
        _ => client
            .post(app.url(path))
            .header("origin", format!("http://{}", app.addr))
            .form(&[("active", "non"), ("sens", "bas"), ("label", "x")]),
    };
    req.send().await.unwrap().status().as_u16()
}

/// The four roles of district « Montréal » (rep@, gest@, fact@, dir@),
/// and the id of a reason no member uses (« Groupe fermé »).
async fn catalogue_app() -> (TestApp, i64) {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let district = app.create_district("Montréal").await;
    for (email, role) in [
        ("rep@test.ca", Role::Representative),
        ("gest@test.ca", Role::DistrictManager),
        ("fact@test.ca", Role::Billing),
        ("dir@test.ca", Role::Direction),
    ] {
        let district = role.needs_district().then_some(district);
        app.create_user(email, role, district).await;
    }
    let unused = reason_id(&app, "Groupe fermé").await;
    (app, unused)
}

#[tokio::test]
async fn the_catalogue_refuses_every_role_but_direction_by_role() {
    let (app, unused) = catalogue_app().await;
    let routes: Vec<(&str, String)> = vec![
        ("GET", "/raisons".into()),
        ("GET", "/raisons/nouvelle".into()),
        ("GET", format!("/raisons/{unused}/modifier")),
        ("POST", "/raisons/nouvelle".into()),
        ("POST", format!("/raisons/{unused}/modifier")),
        ("POST", format!("/raisons/{unused}/deplacer")),
        ("POST", format!("/raisons/{unused}/activation")),
        ("GET", "/raisons/999999/modifier".into()),
        ("GET", "/raisons/abc/modifier".into()),
    ];
    // Other roles are refused by role (403, as every direction page);
    // direction gets the pages, its forms (a bad one: 422) and actions.
    let refused = [403; 9];
    let cases: [(&str, [u16; 9]); 4] = [
        ("rep@test.ca", refused),
        ("gest@test.ca", refused),
        ("fact@test.ca", refused),
        ("dir@test.ca", [200, 200, 200, 422, 422, 303, 303, 404, 404]),
    ];
    for (email, expected) in cases {
        let browser = log_in(&app, email).await;
        let mut got = Vec::new();
        for (method, path) in &routes {
            got.push(status_of(&app, &browser.client, method, path).await);
        }
        assert_eq!(got, expected.to_vec(), "{email}");
    }
}

#[tokio::test]
async fn a_manager_may_not_delete_a_reason_and_visitors_go_to_the_login_page() {
    let (app, unused) = catalogue_app().await;
    let gest = log_in(&app, "gest@test.ca").await;
    let path = format!("/raisons/{unused}/suppression");
    assert_eq!(status_of(&app, &gest.client, "POST", &path).await, 403);
    assert_eq!(reason_id(&app, "Groupe fermé").await, unused, "still there");
    let anonymous = app
        .new_client()
        .get(app.url("/raisons"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        303,
        "anonymous visitors go to the login page"
    );
}

#[tokio::test]
async fn only_the_navigation_of_direction_shows_reasons_and_timelines() {
    let (app, _) = catalogue_app().await;
    let (_, home) = log_in(&app, "dir@test.ca").await.page("/raisons").await;
    assert!(home.contains(r#"href="/raisons" aria-current="page">Raisons"#));
    assert!(home.contains(r#"href="/echeanciers">Échéanciers"#));
    let (_, rep_home) = log_in(&app, "rep@test.ca").await.page("/membres").await;
    assert!(!rep_home.contains("/raisons\"") && !rep_home.contains("/echeanciers\""));
}

#[tokio::test]
async fn direction_adds_a_reason_at_a_chosen_rank() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let resp = app
        .post_form(
            "/raisons/nouvelle",
            &[
                ("category", "irrecoverable"),
                ("label", "Retraite"),
                (
                    "answer",
                    "Le remercier et lui demander qui pourrait prendre sa place.",
                ),
                ("escalation_level", "direction"),
                ("position", "2"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/raisons?fait=ajoutee");
    let cat = category(&app, "irrecoverable").await;
    assert_eq!(cat[0].0, "Décès ou maladie grave");
    assert_eq!(cat[1], ("Retraite".to_string(), 2));
    assert_eq!(
        cat.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
    let id = reason_id(&app, "Retraite").await;
    let level: Option<String> =
        sqlx::query_scalar("SELECT escalation_level FROM reasons WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(level.as_deref(), Some("direction"));
    assert_eq!(audit_fields(&app, id).await, ["Raison ajoutée"]);
    let page = app.get("/raisons?fait=ajoutee").await.text().await.unwrap();
    assert!(page.contains("La raison a été ajoutée au catalogue."));
    assert!(page.contains("Retraite"));
}

#[tokio::test]
async fn a_refused_reason_form_answers_422_and_keeps_what_was_typed() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM reasons")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let resp = app
        .post_form(
            "/raisons/nouvelle",
            &[
                ("category", "recoverable"),
                ("label", "   "),
                ("answer", "Une réponse à garder"),
                ("escalation_level", "lune"),
                ("position", "premier"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = unescape(&resp.text().await.unwrap());
    assert!(body.contains("Le libellé est obligatoire."));
    assert!(body.contains("Ce niveau d'escalade n'existe pas."));
    assert!(body.contains("« premier » n'est pas un rang valide"));
    assert!(body.contains("Une réponse à garder"));
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM reasons")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn editing_a_reason_changes_every_field_and_moves_it_between_categories() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let id = reason_id(&app, "Manque de temps").await; // recoverable, 5th
    let resp = app
        .post_form(
            &format!("/raisons/{id}/modifier"),
            &[
                ("category", "recoverable_followed"),
                ("label", "Manque de temps chronique"),
                ("answer", "Proposer le régional pour l'instant."),
                ("escalation_level", "district"),
                ("position", "1"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let followed = category(&app, "recoverable_followed").await;
    assert_eq!(followed[0], ("Manque de temps chronique".to_string(), 1));
    assert_eq!(followed.len(), 6);
    let recoverable = category(&app, "recoverable").await;
    assert_eq!(recoverable.len(), 8);
    assert_eq!(
        recoverable.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>(),
        "the category it left is numbered again"
    );
    assert_eq!(
        audit_fields(&app, id).await,
        [
            "Libellé",
            "Réponse suggérée",
            "Catégorie",
            "Niveau d'escalade",
            "Rang"
        ]
    );
    let version: i32 = sqlx::query_scalar("SELECT version FROM reasons WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(version, 2);
}

#[tokio::test]
async fn a_second_editor_on_an_old_version_is_refused_and_nothing_is_lost() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let other = app.sibling().await;
    other.login("direction@test.ca", PASSWORD).await;
    let id = reason_id(&app, "Conflit d'horaire").await;
    let form = |label: &'static str| {
        vec![
            ("category", "recoverable"),
            ("label", label),
            ("answer", "Chercher une autre heure."),
            ("escalation_level", ""),
            ("position", "6"),
            ("version", "1"),
        ]
    };
    let first = app
        .post_form(
            &format!("/raisons/{id}/modifier"),
            &form("Horaire impossible"),
        )
        .await;
    assert_eq!(first.status(), 303);
    let second = other
        .post_form(
            &format!("/raisons/{id}/modifier"),
            &form("Horaire incompatible"),
        )
        .await;
    assert_eq!(second.status(), 409);
    let body = unescape(&second.text().await.unwrap());
    assert!(body.contains("Quelqu'un a enregistré cette raison"));
    assert!(
        body.contains("Horaire incompatible"),
        "what was typed is kept"
    );
    assert!(
        body.contains("Horaire impossible"),
        "what is saved is shown"
    );
    let label: String = sqlx::query_scalar("SELECT label FROM reasons WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(label, "Horaire impossible");
    // Having seen it, the second editor may save on the new version.
    let mut again = form("Horaire incompatible");
    again[5] = ("version", "2");
    let third = other
        .post_form(&format!("/raisons/{id}/modifier"), &again)
        .await;
    assert_eq!(third.status(), 303);
}

#[tokio::test]
async fn moving_a_reason_up_and_down_keeps_the_category_numbered() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let id = reason_id(&app, "Groupe fermé").await; // irrecoverable, 4th
    let up = app
        .post_form(&format!("/raisons/{id}/deplacer"), &[("sens", "haut")])
        .await;
    assert_eq!(up.status(), 303);
    let cat = category(&app, "irrecoverable").await;
    assert_eq!(cat[2], ("Groupe fermé".to_string(), 3));
    assert_eq!(cat[3], ("Entreprise fermée".to_string(), 4));
    // The first one cannot go higher: nothing changes, nothing audited.
    let first = reason_id(&app, "Décès ou maladie grave").await;
    app.post_form(&format!("/raisons/{first}/deplacer"), &[("sens", "haut")])
        .await;
    assert_eq!(
        category(&app, "irrecoverable").await[0].0,
        "Décès ou maladie grave"
    );
    assert!(audit_fields(&app, first).await.is_empty());
    let down = app
        .post_form(&format!("/raisons/{id}/deplacer"), &[("sens", "bas")])
        .await;
    assert_eq!(down.status(), 303);
    assert_eq!(category(&app, "irrecoverable").await[3].0, "Groupe fermé");
    let forged = app
        .post_form(&format!("/raisons/{id}/deplacer"), &[("sens", "loin")])
        .await;
    assert_eq!(forged.status(), 400);
}

/// Direction logged in; a member who recorded « Manque de temps » (with
/// « Régional proposé » tried) and another who left for it last month.
struct Retired {
    app: TestApp,
    member: i64,
    departed: i64,
    reason: i64,
    /// The reason's `<option>` in the member file's forms.
    option: String,
}

/// The situation above, then « Manque de temps » retired by direction.
async fn a_retired_reason() -> Retired {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    let district = app.create_district("Laval").await;
    let rows = [
        (Formula::Regional, 12, d("2027-01-10")),
        (Formula::Regional, 12, d("2026-10-15")),
    ];
    let members = insert_members(&app.pool, district, &rows, None).await;
    let (member, departed) = (members[0], members[1]);
    let reason = reason_id(&app, "Manque de temps").await;
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = '2026-10-15', lost_reason_id = $1 \
         WHERE id = $2",
    )
    .bind(reason)
    .bind(departed)
    .execute(&app.pool)
    .await
    .unwrap();
    let id = reason.to_string();
    let form = [
        ("reason_id", id.as_str()),
        ("answer_tried", "Régional proposé"),
    ];
    let recorded = app
        .post_form(&format!("/membres/{member}/raisons"), &form)
        .await;
    assert_eq!(recorded.status(), 303);
    let option = format!("<option value=\"{reason}\"");
    assert!(file_of(&app, member).await.contains(&option));
    let retired = app
        .post_form(
            &format!("/raisons/{reason}/activation"),
            &[("active", "non")],
        )
        .await;
    assert_eq!(location(&retired), "/raisons?fait=retiree");
    Retired {
        app,
        member,
        departed,
        reason,
        option,
    }
}

async fn file_of(app: &TestApp, member: i64) -> String {
    app.get(&format!("/membres/{member}"))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retired_reason_leaves_the_forms_and_stays_in_the_members_history() {
    let r = a_retired_reason().await;
    let page = file_of(&r.app, r.member).await;
    assert!(!page.contains(&r.option), "no form offers it any more");
    assert!(page.contains("Manque de temps"), "the history keeps it");
    assert!(page.contains("Régional proposé"));
}

#[tokio::test]
async fn a_retired_reason_posted_anyway_is_refused_and_so_is_a_departure() {
    let r = a_retired_reason().await;
    let (app, member, id) = (&r.app, r.member, r.reason.to_string());
    let again = app
        .post_form(
            &format!("/membres/{member}/raisons"),
            &[("reason_id", &id), ("answer_tried", "")],
        )
        .await;
    assert_eq!(again.status(), 422);
    let departure = app
        .post_form(
            &format!("/membres/{member}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "2026-11-28"),
                ("reason_id", &id),
            ],
        )
        .await;
    assert_eq!(departure.status(), 422);
    assert!(
        departure
            .text()
            .await
            .unwrap()
            .contains("Choisissez la raison principale dans la liste.")
    );
    let status: String = sqlx::query_scalar("SELECT status FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "active", "the departure was not recorded");
}

#[tokio::test]
async fn a_departure_recorded_before_keeps_its_retired_reason_which_cannot_be_deleted() {
    let r = a_retired_reason().await;
    let app = &r.app;
    // On the file and in the departures report.
    assert!(file_of(app, r.departed).await.contains("Manque de temps"));
    let report = app.get("/rapports/departs").await.text().await.unwrap();
    assert!(report.contains("Manque de temps"), "{report}");
    let list = app.get("/raisons").await.text().await.unwrap();
    assert!(list.contains("Retirée"));
    assert!(list.contains("Réactiver la raison Manque de temps"));
    assert!(
        !list.contains("Supprimer la raison Manque de temps"),
        "used: no delete button"
    );
}

#[tokio::test]
async fn a_reactivated_reason_comes_back_to_the_forms_and_both_changes_are_audited() {
    let r = a_retired_reason().await;
    let back = r
        .app
        .post_form(
            &format!("/raisons/{}/activation", r.reason),
            &[("active", "oui")],
        )
        .await;
    assert_eq!(location(&back), "/raisons?fait=reactivee");
    assert!(file_of(&r.app, r.member).await.contains(&r.option));
    assert_eq!(audit_fields(&r.app, r.reason).await, ["Active", "Active"]);
}

#[tokio::test]
async fn a_used_reason_cannot_be_deleted_and_an_unused_one_can() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let me = app.login_as(Role::Direction).await;
    let district = app.create_district("Québec").await;
    let member = insert_members(
        &app.pool,
        district,
        &[(Formula::Partner, 12, d("2027-03-01"))],
        None,
    )
    .await[0];
    // Used as a departure's reason only.
    let departed = reason_id(&app, "Entreprise fermée").await;
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = '2026-11-01', lost_reason_id = $1 \
         WHERE id = $2",
    )
    .bind(departed)
    .bind(member)
    .execute(&app.pool)
    .await
    .unwrap();
    // Used behind an escalation only.
    let escalated = reason_id(&app, "Personnes négatives dans le groupe").await;
    sqlx::query(
        "INSERT INTO escalations (member_id, raised_by, level, reason_id, body, due_on) \
         VALUES ($1, $2, 'district', $3, 'Texte', '2026-12-06')",
    )
    .bind(member)
    .bind(me)
    .bind(escalated)
    .execute(&app.pool)
    .await
    .unwrap();
    for id in [departed, escalated] {
        let resp = app
            .post_form(&format!("/raisons/{id}/suppression"), &[])
            .await;
        assert_eq!(resp.status(), 409);
        let body = resp.text().await.unwrap();
        assert!(body.contains("elle ne peut pas être supprimée"), "{body}");
        let still: i64 = sqlx::query_scalar("SELECT count(*) FROM reasons WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(still, 1);
    }
    // The departure still names its reason on the member's page.
    let page = app
        .get(&format!("/membres/{member}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Entreprise fermée"));

    let unused = reason_id(&app, "Groupe fermé").await;
    let resp = app
        .post_form(&format!("/raisons/{unused}/suppression"), &[])
        .await;
    assert_eq!(location(&resp), "/raisons?fait=supprimee");
    let cat = category(&app, "irrecoverable").await;
    assert!(!cat.iter().any(|(l, _)| l == "Groupe fermé"));
    assert_eq!(
        cat.iter().map(|(_, p)| *p).collect::<Vec<_>>(),
        (1..=4).collect::<Vec<_>>()
    );
    assert_eq!(audit_fields(&app, unused).await, ["Raison supprimée"]);
}
