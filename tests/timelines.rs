//! The timeline editor (`/echeanciers`), through the real router on a real
//! PostgreSQL: who may use it, each rule refused with its message, the
//! preview's counts, saving as a version, restoring one, the version check,
//! and the member lists following the edited tables.
mod common;

use common::actions::log_in;
use common::catalogue::{
    assert_selections_agree, d, insert_members, insert_random_members, table_pairs, unescape,
};
use common::{PASSWORD, TestApp, location};
use renouvo::domain::formula::{Colour, Formula};
use renouvo::domain::timeline_edit::{StageRowForm, TableForm};
use renouvo::domain::user::Role;
use renouvo::store::timeline::{self, Timelines};
use renouvo::store::timeline_versions::{self, MoveCount};

const TODAY: &str = "2026-11-29";

async fn spawn_as_direction() -> (TestApp, i64) {
    let app = TestApp::spawn_at(d(TODAY)).await;
    let me = app.login_as(Role::Direction).await;
    (app, me)
}

async fn current(app: &TestApp) -> Timelines {
    timeline::load(&app.pool).await.unwrap()
}

async fn version_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM timeline_versions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The exclusive form as drawn now (version `version`).
async fn exclusive_form(app: &TestApp, version: i64) -> TableForm {
    TableForm::from_table(current(app).await.table(Formula::Exclusive), version)
}

fn row(form: &mut TableForm, key: &str) -> usize {
    form.rows.iter().position(|r| r.key == key).unwrap()
}

/// Fills the first blank row.
fn add_stage(form: &mut TableForm, label: &str, anchor: &str, months: i32, days: i32) {
    let i = form.rows.iter().position(|r| r.key.is_empty()).unwrap();
    form.rows[i] = StageRowForm {
        label: label.into(),
        anchor: anchor.into(),
        months: months.to_string(),
        days: days.to_string(),
        colour: "yellow".into(),
        action: "• Appeler le membre.".into(),
        ..StageRowForm::default()
    };
}

/// The edit used by several tests: `before_1m` ten days earlier, and a new
/// yellow stage at P + 2 months.
fn standard_edit(form: &mut TableForm) {
    let i = row(form, "before_1m");
    form.rows[i].days = "-10".into();
    add_stage(form, "Appel de courtoisie", "P", 2, 0);
}

async fn post(app: &TestApp, section: &str, form: &TableForm, intent: &str) -> reqwest::Response {
    let mut pairs = table_pairs(form);
    pairs.push(("intent".into(), intent.into()));
    app.post_pairs(&format!("/echeanciers/{section}"), &pairs)
        .await
}

/// The member's line in a list: from its link to the end of the row.
fn line_of(html: &str, member: i64) -> String {
    let link = format!("href=\"/membres/{member}");
    let start = html
        .find(&link)
        .unwrap_or_else(|| panic!("member {member} not listed"));
    let rest = &html[start..];
    rest[..rest
        .find("</tr>")
        .or_else(|| rest.find("</li>"))
        .unwrap_or(rest.len())]
        .to_string()
}

#[tokio::test]
async fn only_direction_may_use_the_timeline_editor() {
    let app = TestApp::spawn_at(d(TODAY)).await;
    let district = app.create_district("Montréal").await;
    for (email, role) in [
        ("rep@test.ca", Role::Representative),
        ("gest@test.ca", Role::DistrictManager),
        ("fact@test.ca", Role::Billing),
        ("dir@test.ca", Role::Direction),
    ] {
        app.create_user(email, role, role.needs_district().then_some(district))
            .await;
    }
    let gets = [
        "/echeanciers",
        "/echeanciers/exclusif",
        "/echeanciers/regional",
        "/echeanciers/partenaire",
        "/echeanciers/actions",
        "/echeanciers/versions",
        "/echeanciers/versions/1",
        "/echeanciers/autre",
        "/echeanciers/versions/999",
    ];
    let cases: [(&str, [u16; 11]); 4] = [
        ("rep@test.ca", [403; 11]),
        ("gest@test.ca", [403; 11]),
        ("fact@test.ca", [403; 11]),
        // The last two GETs are unknown pages; the POSTs are a form with
        // no version (400) and a restore of the current version (nothing
        // to do, redirected).
        (
            "dir@test.ca",
            [200, 200, 200, 200, 200, 200, 200, 404, 404, 400, 303],
        ),
    ];
    for (email, expected) in cases {
        let client = app.new_client();
        let origin = format!("http://{}", app.addr);
        client
            .post(app.url("/login"))
            .header("origin", &origin)
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let mut got = Vec::new();
        for path in gets {
            got.push(
                client
                    .get(app.url(path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        for (path, form) in [
            ("/echeanciers/exclusif", vec![("intent", "apercu")]),
            ("/echeanciers/versions/1", vec![("version", "1")]),
        ] {
            let resp = client
                .post(app.url(path))
                .header("origin", &origin)
                .form(&form)
                .send()
                .await
                .unwrap();
            got.push(resp.status().as_u16());
        }
        assert_eq!(got, expected.to_vec(), "{email}");
    }
    assert_eq!(version_count(&app).await, 1, "nothing was saved");
}

/// A change made to the exclusive form before posting it.
type Edit = Box<dyn Fn(&mut TableForm)>;

/// Each `(name, edit, message)` applied alone to the exclusive form is
/// refused by the preview and by the confirmation (422), with `message` by
/// the field (focused, unless the billing stage is missing); nothing is
/// saved.
async fn assert_each_refused(cases: Vec<(&str, Edit, &str)>) {
    let (app, _) = spawn_as_direction().await;
    let saved = current(&app).await;
    let base = exclusive_form(&app, 1).await;
    for (name, edit, message) in cases {
        let mut form = base.clone();
        edit(&mut form);
        let resp = post(&app, "exclusif", &form, "apercu").await;
        assert_eq!(resp.status(), 422, "{name}");
        let body = unescape(&resp.text().await.unwrap());
        assert!(body.contains(message), "{name}: {message}");
        assert!(body.contains("field-error"), "{name}");
        if name != "no billing stage" {
            assert_eq!(
                body.matches(" autofocus").count(),
                1,
                "{name}: the faulty field is focused"
            );
        }
        // Confirming the same data directly is refused the same way.
        let resp = post(&app, "exclusif", &form, "confirmer").await;
        assert_eq!(resp.status(), 422, "{name} (confirmer)");
    }
    assert_eq!(version_count(&app).await, 1, "nothing was saved");
    assert_eq!(
        current(&app).await.table(Formula::Exclusive),
        saved.table(Formula::Exclusive),
        "the table is as it was"
    );
}

#[tokio::test]
async fn a_stage_without_label_or_action_or_with_an_unknown_colour_is_refused() {
    assert_each_refused(vec![
        (
            "empty label",
            Box::new(|f: &mut TableForm| {
                let i = row(f, "after_1m");
                f.rows[i].label = " ".into();
            }),
            "Le libellé est obligatoire.",
        ),
        (
            "empty action",
            Box::new(|f: &mut TableForm| {
                let i = row(f, "before_2m");
                f.rows[i].action = String::new();
            }),
            "L'action est obligatoire.",
        ),
        (
            "bad colour",
            Box::new(|f: &mut TableForm| {
                let i = row(f, "before_2m");
                f.rows[i].colour = "bleu".into();
            }),
            "Choisissez une couleur.",
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_stage_repeating_another_ones_label_or_start_day_is_refused() {
    assert_each_refused(vec![
        (
            "duplicate label",
            Box::new(|f: &mut TableForm| add_stage(f, "1 MOIS avant", "R", 0, -35)),
            "Le libellé « 1 mois avant » est déjà celui d'une autre étape.",
        ),
        (
            "same day",
            Box::new(|f: &mut TableForm| add_stage(f, "Deux semaines", "R", 0, -14)),
            "commencerait le même jour que « 2 semaines avant »",
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_stage_out_of_order_for_a_term_or_outside_the_cycle_is_refused() {
    assert_each_refused(vec![
        (
            "order changes with the term",
            Box::new(|f: &mut TableForm| add_stage(f, "Mi-parcours", "P", 8, 0)),
            "les étapes doivent garder le même ordre pour toutes les durées de terme",
        ),
        (
            "before P for a 6-month term",
            Box::new(|f: &mut TableForm| add_stage(f, "Très tôt", "R", -7, 0)),
            "Avec un terme de 6 mois, cette étape commencerait avant le renouvellement précédent",
        ),
        (
            "after R",
            Box::new(|f: &mut TableForm| add_stage(f, "Trop tard", "R", 0, 2)),
            "elle doit commencer avant R",
        ),
    ])
    .await;
}

#[tokio::test]
async fn days_that_are_not_a_number_or_a_missing_billing_stage_are_refused() {
    assert_each_refused(vec![
        (
            "not a number",
            Box::new(|f: &mut TableForm| {
                add_stage(f, "Flou", "R", 0, 0);
                let last = f.rows.iter().rposition(|r| !r.label.is_empty()).unwrap();
                f.rows[last].days = "deux".into();
            }),
            "n'est pas un nombre entier de jours",
        ),
        (
            "no billing stage",
            Box::new(|f: &mut TableForm| f.billing = String::new()),
            "Choisissez l'étape qui demande la facturation",
        ),
    ])
    .await;
}

/// Known members: exclusive 12-month members moved by the standard edit,
/// and members it must leave alone.
async fn known_members(app: &TestApp) {
    let district = app.create_district("Laval").await;
    let ids = insert_members(
        &app.pool,
        district,
        &[
            // In « 2 mois avant » today; with before_1m at R − 1 month − 10
            // days they are in « 1 mois avant ».
            (Formula::Exclusive, 12, d("2027-01-05")),
            (Formula::Exclusive, 12, d("2027-01-05")),
            (Formula::Exclusive, 12, d("2027-01-09")), // starts today exactly
            (Formula::Exclusive, 24, d("2027-01-05")),
            // In « 1 mois après » today, in the new stage after the edit.
            (Formula::Exclusive, 12, d("2027-09-15")),
            (Formula::Exclusive, 12, d("2027-09-20")),
            // Unchanged: one day too late, another formula, a 24-month
            // term (the new stage is long past), and a lost member.
            (Formula::Exclusive, 12, d("2027-01-10")),
            (Formula::Regional, 12, d("2027-01-05")),
            (Formula::Exclusive, 24, d("2027-09-15")),
            (Formula::Exclusive, 12, d("2027-01-06")),
        ],
        None,
    )
    .await;
    let reason: i64 = sqlx::query_scalar("SELECT min(id) FROM reasons")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = '2026-11-01', lost_reason_id = $1 \
         WHERE id = $2",
    )
    .bind(reason)
    .bind(ids[9])
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_preview_counts_the_members_who_change_stage_today() {
    let (app, _) = spawn_as_direction().await;
    known_members(&app).await;
    let mut form = exclusive_form(&app, 1).await;
    standard_edit(&mut form);
    let resp = post(&app, "exclusif", &form, "apercu").await;
    assert_eq!(resp.status(), 200);
    let body = unescape(&resp.text().await.unwrap());
    assert!(
        body.contains("6 membres actifs changent d'étape aujourd'hui"),
        "{body}"
    );
    assert!(body.contains("« 1 mois avant » : début R − 1 mois → R − 1 mois − 10 jours."));
    assert!(body.contains("Nouvelle étape « Appel de courtoisie » : début P + 2 mois, jaune."));
    assert!(body.contains(r#"<td class="num" data-label="Membres">4</td>"#));
    assert!(body.contains(r#"<td class="num" data-label="Membres">2</td>"#));
    assert!(body.contains(r#"value="confirmer""#));
    // The « Confirmer » form carries the edited table again.
    assert!(body.contains(r#"name="s6_days" value="-10""#), "{body}");
    assert!(body.contains(r#"value="Appel de courtoisie""#));
    assert_eq!(version_count(&app).await, 1, "a preview writes nothing");

    // The same counts straight from the store.
    let old = current(&app).await;
    let taken = Default::default();
    let table = renouvo::domain::timeline_edit::parse_table(
        &form,
        old.table(Formula::Exclusive),
        &taken,
        d(TODAY),
    )
    .unwrap();
    let new = old.with_table(Formula::Exclusive, table);
    let moves = timeline_versions::count_moves(&app.pool, &old, &new, d(TODAY))
        .await
        .unwrap();
    let summary: Vec<(Formula, &str, &str, i64)> = moves
        .iter()
        .map(|m: &MoveCount| (m.formula, m.from_key.as_str(), m.to_key.as_str(), m.members))
        .collect();
    assert_eq!(
        summary,
        [
            (Formula::Exclusive, "before_2m", "before_1m", 4),
            (
                Formula::Exclusive,
                "after_1m",
                "etape_appel_de_courtoisie",
                2
            ),
        ]
    );
}

#[tokio::test]
async fn confirming_saves_a_version_and_the_member_lists_follow() {
    let (app, me) = spawn_as_direction().await;
    known_members(&app).await;
    let mut form = exclusive_form(&app, 1).await;
    standard_edit(&mut form);
    let resp = post(&app, "exclusif", &form, "confirmer").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/echeanciers?fait=enregistre");
    let saved = current(&app).await;
    let table = saved.table(Formula::Exclusive);
    assert_eq!(table.len(), 12);
    assert_eq!(table[2].key, "etape_appel_de_courtoisie");
    assert_eq!(table[2].colour, Colour::Yellow);
    assert_eq!(
        table.iter().map(|s| s.position).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    let (by, note): (Option<i64>, String) =
        sqlx::query_as("SELECT saved_by, note FROM timeline_versions WHERE id = 2")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((by, note.as_str()), (Some(me), ""));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM timeline_version_stages WHERE version_id = 2")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, 12 + 11 + 10, "the whole state is kept");
    let audit: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT field, old_value, new_value FROM audit_log WHERE entity = 'timeline' \
         AND entity_id = 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "Échéancier siège exclusif");
    assert_eq!(audit[0].1.as_deref(), Some("version 1"));
    assert!(
        audit[0]
            .2
            .as_deref()
            .unwrap()
            .contains("Appel de courtoisie")
    );

    // The member list's stage filter follows the new table at once.
    let list = app
        .get("/membres?etape=etape_appel_de_courtoisie")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Appel de courtoisie"));
    assert_eq!(
        list.matches(r#"<td data-label="Membre">"#).count(),
        2,
        "{list}"
    );
    let overview = app
        .get("/echeanciers?fait=enregistre")
        .await
        .text()
        .await
        .unwrap();
    assert!(overview.contains("Version 2."));
    assert!(overview.contains("P + 2 mois"));
}

#[tokio::test]
async fn pure_calculation_and_sql_selection_agree_after_an_edit() {
    let (app, _) = spawn_as_direction().await;
    let district = app.create_district("Montréal").await;
    let todays = [d(TODAY), d("2028-02-29"), d("2027-03-31")];
    insert_random_members(&app.pool, district, &todays, 3000, 42).await;
    // Exclusive: one stage moved, one added. Partner: one moved, one
    // removed, one added counted in days from R.
    let mut form = exclusive_form(&app, 1).await;
    standard_edit(&mut form);
    assert_eq!(
        post(&app, "exclusif", &form, "confirmer").await.status(),
        303
    );
    let mut partner = TableForm::from_table(current(&app).await.table(Formula::Partner), 2);
    let i = row(&mut partner, "growth");
    partner.rows[i].months = "4".into();
    let i = row(&mut partner, "before_2w");
    partner.rows[i].remove = true;
    add_stage(&mut partner, "Dix jours avant", "R", 0, -10);
    assert_eq!(
        post(&app, "partenaire", &partner, "confirmer")
            .await
            .status(),
        303
    );
    let edited = current(&app).await;
    assert!(
        edited
            .table(Formula::Partner)
            .iter()
            .all(|s| s.key != "before_2w")
    );
    assert!(
        edited
            .table(Formula::Exclusive)
            .iter()
            .any(|s| s.days == -10)
    );
    assert_selections_agree(&app.pool, &edited, &todays).await;
}

#[tokio::test]
async fn restoring_a_previous_version_goes_through_the_preview() {
    let (app, _) = spawn_as_direction().await;
    known_members(&app).await;
    let original = current(&app).await;
    let mut form = exclusive_form(&app, 1).await;
    standard_edit(&mut form);
    assert_eq!(
        post(&app, "exclusif", &form, "confirmer").await.status(),
        303
    );
    let list = app.get("/echeanciers/versions").await.text().await.unwrap();
    assert!(list.contains("Version initiale"));
    assert!(list.contains(r#"href="/echeanciers/versions/1""#));
    assert!(
        !list.contains(r#"href="/echeanciers/versions/2""#),
        "no restore of the current one"
    );

    let preview = app.get("/echeanciers/versions/1").await;
    assert_eq!(preview.status(), 200);
    let body = unescape(&preview.text().await.unwrap());
    assert!(body.contains("Étape retirée : « Appel de courtoisie »."));
    assert!(body.contains("6 membres actifs changent d'étape aujourd'hui"));
    assert!(body.contains(r#"name="version" value="2""#));
    assert_eq!(version_count(&app).await, 2, "a preview writes nothing");

    let resp = app
        .post_form("/echeanciers/versions/1", &[("version", "2")])
        .await;
    assert_eq!(location(&resp), "/echeanciers?fait=restaure");
    let restored = current(&app).await;
    for f in Formula::ALL {
        assert_eq!(restored.table(f), original.table(f), "{f:?}");
    }
    assert_eq!(restored.standing_actions, original.standing_actions);
    let (from, note): (Option<i64>, String) =
        sqlx::query_as("SELECT restored_from, note FROM timeline_versions WHERE id = 3")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(from, Some(1));
    assert_eq!(note, "Restauration de la version 1");
    // Restoring on an outdated preview is refused, and drawn again.
    let stale = app
        .post_form("/echeanciers/versions/2", &[("version", "2")])
        .await;
    assert_eq!(stale.status(), 409);
    let body = unescape(&stale.text().await.unwrap());
    assert!(body.contains("Quelqu'un a enregistré les échéanciers"));
    assert!(body.contains(r#"name="version" value="3""#));
    assert_eq!(version_count(&app).await, 3);
}

#[tokio::test]
async fn a_second_editor_on_an_old_version_is_refused_and_keeps_what_was_typed() {
    let (app, _) = spawn_as_direction().await;
    let other = app.sibling().await;
    other.login("direction@test.ca", PASSWORD).await;
    let mut mine = exclusive_form(&app, 1).await;
    standard_edit(&mut mine);
    let mut theirs = exclusive_form(&app, 1).await;
    let i = row(&mut theirs, "after_1m");
    theirs.rows[i].label = "Un mois après l'inscription".into();
    assert_eq!(
        post(&app, "exclusif", &mine, "confirmer").await.status(),
        303
    );
    let resp = post(&other, "exclusif", &theirs, "confirmer").await;
    assert_eq!(resp.status(), 409);
    let body = unescape(&resp.text().await.unwrap());
    assert!(body.contains(
        "Quelqu'un a enregistré les échéanciers pendant que vous les modifiiez (version 2)"
    ));
    assert!(
        body.contains("Un mois après l'inscription"),
        "what was typed is kept"
    );
    let saved = current(&app).await;
    let after_1m = saved
        .table(Formula::Exclusive)
        .iter()
        .find(|s| s.key == "after_1m")
        .unwrap();
    assert_eq!(after_1m.label, "1 mois après", "no lost update");
    assert_eq!(version_count(&app).await, 2);
    // The preview is refused the same way.
    let resp = post(&other, "exclusif", &theirs, "apercu").await;
    assert_eq!(resp.status(), 409);
}

/// Direction logged in (app's client); an exclusive member of « rep@ »
/// in « 3 à 6 mois après » today (P = 2026-07-15), with a follow-up that
/// stored that stage; the member list shows it. Returns the app, the
/// member and the representative's browser.
async fn member_followed_in_after_3m() -> (TestApp, i64, reqwest::Client) {
    let (app, me) = spawn_as_direction().await;
    let district = app.create_district("Gatineau").await;
    let rep = app
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    let rows = [(Formula::Exclusive, 12, d("2027-07-15"))];
    let member = insert_members(&app.pool, district, &rows, Some(rep)).await[0];
    sqlx::query(
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, \
         stage_label, stage_colour, state) \
         VALUES ($1, $2, '2026-11-02 15:00:00+00', 'call', 'Rencontre planifiée', 1, \
         'after_3m', '3 à 6 mois après', 'green', 'green')",
    )
    .bind(member)
    .bind(me)
    .execute(&app.pool)
    .await
    .unwrap();
    let repc = log_in(&app, "rep@test.ca").await.client;
    let before = page_of(&app, &repc, "/membres").await;
    assert!(line_of(&before, member).contains("3 à 6 mois après"));
    (app, member, repc)
}

async fn page_of(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let resp = client.get(app.url(path)).send().await.unwrap();
    resp.text().await.unwrap()
}

/// Direction removes « 3 à 6 mois après » from the exclusive timeline:
/// preview, then confirmation (303). Returns the preview.
async fn remove_after_3m(app: &TestApp) -> String {
    let mut form = exclusive_form(app, 1).await;
    let i = row(&mut form, "after_3m");
    form.rows[i].remove = true;
    let preview = post(app, "exclusif", &form, "apercu").await;
    let preview = unescape(&preview.text().await.unwrap());
    assert_eq!(
        post(app, "exclusif", &form, "confirmer").await.status(),
        303
    );
    preview
}

#[tokio::test]
async fn removing_a_stage_previews_the_members_who_change_stage_today() {
    let (app, _, _) = member_followed_in_after_3m().await;
    let preview = remove_after_3m(&app).await;
    assert!(preview.contains("Étape retirée : « 3 à 6 mois après »."));
    assert!(
        preview.contains("1 membre actif change d'étape aujourd'hui"),
        "{preview}"
    );
}

#[tokio::test]
async fn a_removed_stage_leaves_the_list_and_is_no_longer_a_task() {
    let (app, member, repc) = member_followed_in_after_3m().await;
    remove_after_3m(&app).await;
    let list = page_of(&app, &repc, "/membres").await;
    let line = line_of(&list, member);
    assert!(!line.contains("3 à 6 mois après"), "{line}");
    assert!(line.contains("1 mois après"), "{line}");
    // The to-do list asks for the stage the member is in now.
    let today = page_of(&app, &repc, "/aujourdhui").await;
    let task = line_of(&today, member);
    assert!(task.contains("1 mois après"), "{task}");
    assert!(
        !today.contains("3 à 6 mois après"),
        "the removed stage is no task any more"
    );
}

#[tokio::test]
async fn a_follow_up_keeps_the_stage_it_stored_once_that_stage_is_removed() {
    let (app, member, repc) = member_followed_in_after_3m().await;
    remove_after_3m(&app).await;
    let file = page_of(&app, &repc, &format!("/membres/{member}")).await;
    assert!(file.contains("Rencontre planifiée"));
    assert!(
        file.contains("3 à 6 mois après"),
        "the follow-up keeps the stage it stored"
    );
}

#[tokio::test]
async fn standing_actions_are_edited_previewed_and_saved() {
    let (app, _) = spawn_as_direction().await;
    let before = current(&app).await.standing_actions;
    let mut pairs: Vec<(String, String)> = vec![("version".into(), "1".into())];
    for (i, a) in before.iter().enumerate().skip(1) {
        pairs.push((format!("a{i}"), a.clone()));
    }
    pairs.push((
        "a9".into(),
        "Lui présenter les nouveaux membres du groupe.".into(),
    ));
    let mut preview = pairs.clone();
    preview.push(("intent".into(), "apercu".into()));
    let resp = app.post_pairs("/echeanciers/actions", &preview).await;
    assert_eq!(resp.status(), 200);
    let body = unescape(&resp.text().await.unwrap());
    assert!(body.contains(
        "Action ajoutée ou reformulée : « Lui présenter les nouveaux membres du groupe. »"
    ));
    assert!(body.contains("Action retirée ou reformulée"));
    // Back to the form: what was typed is there, nothing saved.
    let mut back = pairs.clone();
    back.push(("intent".into(), "retour".into()));
    let resp = app.post_pairs("/echeanciers/actions", &back).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Lui présenter les nouveaux membres")
    );
    let mut bad = pairs.clone();
    bad.push(("a10".into(), "x".repeat(1001)));
    bad.push(("intent".into(), "apercu".into()));
    let resp = app.post_pairs("/echeanciers/actions", &bad).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("trop long"));
    let mut confirm = pairs;
    confirm.push(("intent".into(), "confirmer".into()));
    let resp = app.post_pairs("/echeanciers/actions", &confirm).await;
    assert_eq!(location(&resp), "/echeanciers?fait=enregistre");
    let after = current(&app).await.standing_actions;
    assert_eq!(after.len(), before.len());
    assert_eq!(after[0], before[1]);
    assert_eq!(
        after.last().unwrap(),
        "Lui présenter les nouveaux membres du groupe."
    );
    let field: String = sqlx::query_scalar(
        "SELECT field FROM audit_log WHERE entity = 'timeline' AND entity_id = 2",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(field, "Actions en tout temps");
}

/// The tables are kept in memory between pages, but any write to them, by
/// whatever means (another app server, psql, a migration), is read at the
/// next call: never a stale stage.
#[tokio::test]
async fn timelines_kept_in_memory_follow_every_write_to_the_tables() {
    let (app, _) = spawn_as_direction().await;
    let label = |t: &Timelines| t.table(Formula::Exclusive)[0].label.clone();
    let first = current(&app).await;
    assert_eq!(label(&first), "Inscription (vérification)");
    // Read twice: the same tables, from memory.
    assert_eq!(label(&current(&app).await), label(&first));
    let revision = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT n FROM timeline_revision")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = revision(&app).await;
    sqlx::query(
        "UPDATE timeline_stages SET label = 'Accueil vérifié' \
         WHERE formula = 'exclusive' AND stage_key = 'welcome'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    assert!(revision(&app).await > before);
    assert_eq!(label(&current(&app).await), "Accueil vérifié");
    sqlx::query("DELETE FROM standing_actions")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(current(&app).await.standing_actions.is_empty());
    // A second pool on the same database (as a second app server) reads
    // the same revision.
    let other = sqlx::PgPool::connect_with(app.pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let seen = timeline::load(&other).await.unwrap();
    assert_eq!(label(&seen), "Accueil vérifié");
}
