//! Districts and groups: direction manages districts; groups are managed
//! by direction and by district managers in their district, and read by
//! representatives of the district. Through the real router, each test on
//! its own database.
mod common;

use common::actions::log_in;
use common::builders::{MemberBuilder, insert_group};
use common::{TestApp, location};
use renouvo::domain::user::Role;

async fn district_of(app: &TestApp, user_id: i64) -> i64 {
    sqlx::query_scalar("SELECT district_id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn audit_rows(
    app: &TestApp,
    entity: &str,
    id: i64,
) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT field, old_value, new_value FROM audit_log \
         WHERE entity = $1 AND entity_id = $2 ORDER BY id",
    )
    .bind(entity)
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn group_row(app: &TestApp, id: i64) -> (String, String, bool, i32) {
    sqlx::query_as("SELECT name, kind::text, active, version FROM groups WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn group_form<'a>(
    district: &'a str,
    name: &'a str,
    kind: &'a str,
    day: &'a str,
    time: &'a str,
    version: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("district_id", district),
        ("name", name),
        ("kind", kind),
        ("meeting_day", day),
        ("meeting_time", time),
        ("active", "on"),
        ("version", version),
    ]
}

// ------------------------------------------------------------ districts

#[tokio::test]
async fn direction_creates_renames_and_deactivates_a_district_and_each_step_is_audited() {
    let app = TestApp::spawn().await;
    let director = app.login_as(Role::Direction).await;

    assert_eq!(app.get("/districts/nouveau").await.status(), 200);
    let created = app
        .post_form("/districts/nouveau", &[("name", "  Laurentides ")])
        .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM districts WHERE name = 'Laurentides'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        location(&created),
        format!("/districts?fait=cree&district={id}")
    );
    let list = app.get(&location(&created)).await.text().await.unwrap();
    assert!(list.contains("Laurentides"));
    assert!(list.contains("Le district Laurentides a été créé."));

    assert_eq!(
        app.get(&format!("/districts/{id}/modifier")).await.status(),
        200
    );
    let renamed = app
        .post_form(
            &format!("/districts/{id}/modifier"),
            &[("name", "Laurentides-Nord"), ("version", "1")],
        )
        .await;
    assert_eq!(
        location(&renamed),
        format!("/districts?fait=modifie&district={id}")
    );

    // Deactivate, then reactivate.
    let off = app
        .post_form(
            &format!("/districts/{id}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(
        location(&off),
        format!("/districts?fait=desactive&district={id}")
    );
    let active: bool = sqlx::query_scalar("SELECT active FROM districts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!active);
    let on = app
        .post_form(
            &format!("/districts/{id}/activation"),
            &[("confirme", "oui"), ("active", "oui")],
        )
        .await;
    assert_eq!(
        location(&on),
        format!("/districts?fait=active&district={id}")
    );

    // Every write is audited with its actor.
    let rows = audit_rows(&app, "district", id).await;
    let fields: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(fields, ["created", "name", "active", "active"]);
    assert_eq!(rows[1].1.as_deref(), Some("Laurentides"));
    assert_eq!(rows[1].2.as_deref(), Some("Laurentides-Nord"));
    assert_eq!(rows[2].2.as_deref(), Some("false"));
    let actors: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity = 'district' AND actor_id = $1",
    )
    .bind(director)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actors, 4);
}

#[tokio::test]
async fn a_district_name_taken_empty_or_too_long_is_refused_by_the_field() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let laurentides = app.create_district("Laurentides").await;
    let other = app.create_district("Outaouais").await;

    // Same name, other case: refused by the field, value kept.
    let dup = app
        .post_form("/districts/nouveau", &[("name", "LAURENTIDES")])
        .await;
    assert_eq!(dup.status(), 422);
    let body = dup.text().await.unwrap();
    assert!(body.contains("Un district porte déjà ce nom."), "{body}");
    assert!(body.contains("value=\"LAURENTIDES\""));

    let empty = app.post_form("/districts/nouveau", &[("name", "  ")]).await;
    let body = empty.text().await.unwrap();
    assert!(body.contains("Le nom du district est obligatoire."));
    let long = "x".repeat(121);
    let too_long = app
        .post_form("/districts/nouveau", &[("name", &long)])
        .await;
    assert!(too_long.text().await.unwrap().contains("trop long"));

    // Renaming to another district's name is refused.
    let clash = app
        .post_form(
            &format!("/districts/{other}/modifier"),
            &[("name", "laurentides"), ("version", "1")],
        )
        .await;
    assert_eq!(clash.status(), 422);
    assert!(
        clash
            .text()
            .await
            .unwrap()
            .contains("Un district porte déjà ce nom.")
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM districts ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(names, ["Laurentides", "Outaouais"], "nothing written");
    assert!(audit_rows(&app, "district", laurentides).await.is_empty());

    // Forged ids.
    assert_eq!(app.get("/districts/abc/modifier").await.status(), 404);
    assert_eq!(app.get("/districts/999999/modifier").await.status(), 404);
}

#[tokio::test]
async fn a_district_with_active_groups_cannot_be_deactivated() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Mauricie").await;
    insert_group(&app.pool, d, "Trois-Rivières Matin", "A").await;
    insert_group(&app.pool, d, "Shawinigan", "B").await;

    // The first click is refused at once rather than asking a question
    // whose « Oui » could only be refused in turn.
    let resp = app
        .post_form(&format!("/districts/{d}/activation"), &[("active", "non")])
        .await;
    assert_eq!(resp.status(), 409);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Le district Mauricie compte encore 2 groupes actifs"),
        "{body}"
    );
    assert!(!body.contains("Oui, désactiver le district"), "{body}");

    let resp = app
        .post_form(
            &format!("/districts/{d}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Le district Mauricie compte encore 2 groupes actifs"),
        "{body}"
    );
    let active: bool = sqlx::query_scalar("SELECT active FROM districts WHERE id = $1")
        .bind(d)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(active);
    assert!(audit_rows(&app, "district", d).await.is_empty());

    // The list shows the counts: two groups, both active, no one yet.
    let list = app.get("/districts").await.text().await.unwrap();
    let start = list.find(">Mauricie</a>").expect("Mauricie's row");
    let row = &list[start..start + list[start..].find("</tr>").expect("end of row")];
    for (column, n) in [
        ("Groupes", "2"),
        ("Membres actifs", "0"),
        ("Gestionnaires", "0"),
    ] {
        assert!(
            row.contains(&format!("data-label=\"{column}\">{n}</td>")),
            "{column} {n}: {row}"
        );
    }
}

#[tokio::test]
async fn only_direction_reaches_the_districts() {
    let app = TestApp::spawn().await;
    app.login_as(Role::DistrictManager).await;
    assert_eq!(app.get("/districts").await.status(), 403);
    assert_eq!(app.get("/districts/nouveau").await.status(), 403);
    let post = app
        .post_form("/districts/nouveau", &[("name", "Pirate")])
        .await;
    assert_eq!(post.status(), 403);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM districts WHERE name = 'Pirate'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let d = app.create_district("Estrie").await;
    app.create_user("rep@test.ca", Role::Representative, Some(d))
        .await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    let rep = log_in(&app, "rep@test.ca").await;
    assert_eq!(rep.get("/districts").await.status(), 403);
    let billing = log_in(&app, "fact@test.ca").await;
    assert_eq!(billing.get("/districts").await.status(), 403);
    assert_eq!(billing.get("/groupes").await.status(), 403);
}

// ------------------------------------------------------------ groups

#[tokio::test]
async fn group_form_with_bad_input_shows_messages_and_keeps_values() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Laval").await;
    let ds = d.to_string();

    assert_eq!(app.get("/groupes/nouveau").await.status(), 200);
    let resp = app
        .post_form(
            "/groupes/nouveau",
            &group_form(&ds, "  ", "A", "9", "25:99", ""),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Le nom du groupe est obligatoire."), "{body}");
    assert!(
        body.contains("« 25:99 » n&#39;est pas une heure valide")
            || body.contains("« 25:99 » n'est pas une heure valide"),
        "{body}"
    );
    assert!(
        body.contains("Ce jour n&#39;est pas valide") || body.contains("Ce jour n'est pas valide")
    );
    assert!(body.contains("value=\"25:99\""), "typed time kept");
    assert!(
        body.contains(&format!("<option value=\"{d}\" selected>")),
        "district kept"
    );

    // Too long a name, an unknown district, a forged kind: messages, no 500.
    let long = "n".repeat(121);
    let resp = app
        .post_form(
            "/groupes/nouveau",
            &group_form("999999", &long, "Z", "3", "", ""),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("trop long"), "{body}");
    assert!(body.contains("Choisissez le type de groupe"));
    let resp = app
        .post_form(
            "/groupes/nouveau",
            &group_form("999999", "Laval Midi", "A", "3", "", ""),
        )
        .await;
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Ce district n&#39;existe pas.")
            || body.contains("Ce district n'existe pas."),
        "{body}"
    );
    assert!(body.contains("value=\"Laval Midi\""));
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM groups")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(none, 0, "nothing written");
}

#[tokio::test]
async fn a_group_is_created_with_its_meeting_in_french_and_its_name_once_per_district() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Laval").await;
    let ds = d.to_string();
    let ok = app
        .post_form(
            "/groupes/nouveau",
            &group_form(&ds, "Laval Matin", "A", "2", "07:00", ""),
        )
        .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM groups WHERE name = 'Laval Matin'")
        .fetch_one(&app.pool)
        .await
        .expect("the new group");
    let to = location(&ok);
    assert_eq!(to, format!("/groupes/{id}?fait=cree"));
    let page = app.get(&to).await.text().await.unwrap();
    assert!(page.contains("Laval Matin"));
    assert!(page.contains("mardi, 7 h 00"), "{page}");
    assert!(page.contains("Groupe A (sièges exclusifs)"));

    // Same name in the same district: refused by the field.
    let dup = app
        .post_form(
            "/groupes/nouveau",
            &group_form(&ds, "laval matin", "B", "4", "", ""),
        )
        .await;
    assert_eq!(dup.status(), 422);
    assert!(
        dup.text()
            .await
            .unwrap()
            .contains("Un groupe de ce district porte déjà ce nom.")
    );

    // Forged path ids.
    assert_eq!(app.get("/groupes/abc").await.status(), 404);
    assert_eq!(app.get("/groupes/999999").await.status(), 404);
    assert_eq!(app.get("/groupes/-1/modifier").await.status(), 404);
}

#[tokio::test]
async fn a_manager_creates_groups_in_their_district_only() {
    let app = TestApp::spawn().await;
    let manager = app.login_as(Role::DistrictManager).await;
    let own = district_of(&app, manager).await;
    let other = app.create_district("Saguenay").await;
    let foreign = insert_group(&app.pool, other, "Chicoutimi", "A").await;

    let form = app.get("/groupes/nouveau").await.text().await.unwrap();
    assert!(!form.contains("name=\"district_id\""), "no district choice");

    // A forged district is ignored: the group lands in the manager's district.
    let created = app
        .post_form(
            "/groupes/nouveau",
            &group_form(&other.to_string(), "Mon groupe", "B", "5", "12:00", ""),
        )
        .await;
    let (id, district): (i64, i64) =
        sqlx::query_as("SELECT id, district_id FROM groups WHERE name = 'Mon groupe'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(location(&created), format!("/groupes/{id}?fait=cree"));
    assert_eq!(district, own);
    let list = app.get("/groupes").await.text().await.unwrap();
    assert!(list.contains("Mon groupe"));
    assert!(list.contains("vendredi, 12 h 00"));
    assert!(!list.contains("Chicoutimi"), "other district hidden");

    // Another district's group: not found, for reading and writing.
    assert_eq!(app.get(&format!("/groupes/{foreign}")).await.status(), 404);
    assert_eq!(
        app.get(&format!("/groupes/{foreign}/modifier"))
            .await
            .status(),
        404
    );
    let forged = app
        .post_form(
            &format!("/groupes/{foreign}/modifier"),
            &group_form("", "Volé", "B", "1", "", "1"),
        )
        .await;
    assert_eq!(forged.status(), 404);
    let forged = app
        .post_form(
            &format!("/groupes/{foreign}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(forged.status(), 404);
    assert_eq!(
        group_row(&app, foreign).await,
        ("Chicoutimi".into(), "A".into(), true, 1)
    );
}

#[tokio::test]
async fn a_representative_reads_the_groups_of_their_district() {
    let app = TestApp::spawn().await;
    let rep = app.login_as(Role::Representative).await;
    let own = district_of(&app, rep).await;
    let other = app.create_district("Gaspésie").await;
    let mine = insert_group(&app.pool, own, "Groupe du port", "A").await;
    let foreign = insert_group(&app.pool, other, "Percé", "A").await;

    let list = app.get("/groupes").await;
    assert_eq!(list.status(), 200);
    let body = list.text().await.unwrap();
    assert!(body.contains("Groupe du port"));
    assert!(body.contains("mardi, 7 h 00"));
    assert!(!body.contains("Percé"));
    assert!(!body.contains("Nouveau groupe"), "read-only");
    // The district filter is direction's: a representative cannot widen.
    let widened = app.get(&format!("/groupes?district={other}")).await;
    assert!(!widened.text().await.unwrap().contains("Percé"));

    assert_eq!(app.get(&format!("/groupes/{mine}")).await.status(), 200);
    assert_eq!(app.get(&format!("/groupes/{foreign}")).await.status(), 404);
    assert_eq!(app.get("/groupes/nouveau").await.status(), 403);
    assert_eq!(
        app.get(&format!("/groupes/{mine}/modifier")).await.status(),
        403
    );
    let post = app
        .post_form(
            &format!("/groupes/{mine}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(post.status(), 403);
}

#[tokio::test]
async fn direction_filters_groups_by_district() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let a = app.create_district("Abitibi").await;
    let b = app.create_district("Beauce").await;
    insert_group(&app.pool, a, "Rouyn", "A").await;
    insert_group(&app.pool, b, "Saint-Georges", "B").await;

    let all = app.get("/groupes").await.text().await.unwrap();
    assert!(all.contains("Rouyn") && all.contains("Saint-Georges"));
    let only_b = app
        .get(&format!("/groupes?district={b}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!only_b.contains("Rouyn"));
    assert!(only_b.contains("Saint-Georges"));
    assert!(only_b.contains("Groupe B"));
    // A garbled filter is ignored, not an error.
    assert_eq!(app.get("/groupes?district=%27x").await.status(), 200);
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_keeps_the_typed_values() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Montérégie").await;
    let ds = d.to_string();
    let g = insert_group(&app.pool, d, "Longueuil", "B").await;

    let form = app
        .get(&format!("/groupes/{g}/modifier"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"version\" value=\"1\""), "{form}");

    // Someone else saves first.
    let first = app
        .post_form(
            &format!("/groupes/{g}/modifier"),
            &group_form(&ds, "Longueuil Centre", "B", "3", "08:00", "1"),
        )
        .await;
    assert_eq!(first.status(), 303);
    assert_eq!(location(&first), format!("/groupes/{g}?fait=modifie"));

    // The second save, on version 1, is refused.
    let second = app
        .post_form(
            &format!("/groupes/{g}/modifier"),
            &group_form(&ds, "Longueuil Sud", "B", "4", "09:15", "1"),
        )
        .await;
    assert_eq!(second.status(), 409);
    let body = second.text().await.unwrap();
    assert!(
        body.contains("il s&#39;appelle maintenant « Longueuil Centre »")
            || body.contains("il s'appelle maintenant « Longueuil Centre »"),
        "{body}"
    );
    assert!(body.contains("value=\"Longueuil Sud\""));
    assert!(body.contains("value=\"09:15\""));
    assert_eq!(
        group_row(&app, g).await,
        ("Longueuil Centre".into(), "B".into(), true, 2)
    );

    // One audit row per changed field, with old and new values.
    let rows = audit_rows(&app, "group", g).await;
    assert_eq!(
        rows,
        vec![
            (
                "name".into(),
                Some("Longueuil".into()),
                Some("Longueuil Centre".into())
            ),
            ("meeting_day".into(), Some("2".into()), Some("3".into())),
            (
                "meeting_time".into(),
                Some("07:00".into()),
                Some("08:00".into())
            ),
        ]
    );
}

#[tokio::test]
async fn kind_b_to_a_is_refused_when_two_exclusive_members_share_a_profession() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Lanaudière").await;
    let ds = d.to_string();
    let g = insert_group(&app.pool, d, "Joliette", "B").await;
    MemberBuilder::new(d)
        .name("Marie", "Tremblay")
        .profession("Notaire")
        .exclusive_in(g, "B")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    let roy = MemberBuilder::new(d)
        .name("Jean", "Roy")
        .profession("Notaire")
        .exclusive_in(g, "B")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    MemberBuilder::new(d)
        .name("Ana", "Gagnon")
        .profession("Comptable")
        .exclusive_in(g, "B")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;

    let resp = app
        .post_form(
            &format!("/groupes/{g}/modifier"),
            &group_form(&ds, "Joliette", "A", "2", "07:00", "1"),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("ne peut pas devenir un groupe A"), "{body}");
    assert!(
        body.contains("« Notaire » (Jean Roy, Marie Tremblay)"),
        "{body}"
    );
    assert_eq!(group_row(&app, g).await.1, "B");
    assert!(audit_rows(&app, "group", g).await.is_empty());

    // Once one of them leaves, the change goes through and follows to members.
    sqlx::query("UPDATE members SET status = 'lost', lost_on = '2026-11-01', lost_reason_id = (SELECT min(id) FROM reasons) WHERE id = $1")
        .bind(roy)
        .execute(&app.pool)
        .await
        .unwrap();
    let ok = app
        .post_form(
            &format!("/groupes/{g}/modifier"),
            &group_form(&ds, "Joliette", "A", "2", "07:00", "1"),
        )
        .await;
    assert_eq!(location(&ok), format!("/groupes/{g}?fait=modifie"));
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT group_kind::text FROM members WHERE group_id = $1")
            .bind(g)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["A"]);
    assert_eq!(
        audit_rows(&app, "group", g).await,
        vec![("kind".into(), Some("B".into()), Some("A".into()))]
    );
}

#[tokio::test]
async fn the_group_page_lists_the_professions_held() {
    let app = TestApp::spawn().await;
    let manager = app.login_as(Role::DistrictManager).await;
    let d = district_of(&app, manager).await;
    let rep = app
        .create_user("rep@test.ca", Role::Representative, Some(d))
        .await;
    let g = insert_group(&app.pool, d, "Sherbrooke Midi", "A").await;
    MemberBuilder::new(d)
        .name("Zoé", "Lavoie")
        .profession("Plombier")
        .exclusive_in(g, "A")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .rep(rep)
        .insert(&app.pool)
        .await;
    MemberBuilder::new(d)
        .name("Luc", "Bélanger")
        .profession("Avocate")
        .exclusive_in(g, "A")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    let lost = MemberBuilder::new(d)
        .name("Paul", "Côté")
        .profession("Dentiste")
        .exclusive_in(g, "A")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    sqlx::query("UPDATE members SET status = 'lost', lost_on = '2026-11-01', lost_reason_id = (SELECT min(id) FROM reasons) WHERE id = $1")
        .bind(lost)
        .execute(&app.pool)
        .await
        .unwrap();

    let page = app
        .get(&format!("/groupes/{g}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Professions occupées"));
    let avocate = page.find("<li>Avocate").expect("Avocate listée");
    let plombier = page.find("<li>Plombier").expect("Plombier listé");
    assert!(avocate < plombier, "sorted");
    assert!(!page.contains("Dentiste"), "lost members hold no seat");
    assert!(page.contains("Zoé Lavoie") && page.contains("Luc Bélanger"));

    // A representative sees every profession but only their own members.
    let r = log_in(&app, "rep@test.ca").await;
    let page = r.get(&format!("/groupes/{g}")).await.text().await.unwrap();
    assert!(page.contains("<li>Avocate") && page.contains("<li>Plombier"));
    assert!(page.contains("Zoé Lavoie"));
    assert!(!page.contains("Luc Bélanger"));
}

#[tokio::test]
async fn a_group_with_active_members_cannot_be_deactivated() {
    let app = TestApp::spawn().await;
    let manager = app.login_as(Role::DistrictManager).await;
    let d = district_of(&app, manager).await;
    let ds = d.to_string();
    let busy = insert_group(&app.pool, d, "Granby", "A").await;
    MemberBuilder::new(d)
        .name("Eve", "Ouellet")
        .profession("Fleuriste")
        .exclusive_in(busy, "A")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    let empty = insert_group(&app.pool, d, "Bromont", "B").await;

    let resp = app
        .post_form(
            &format!("/groupes/{busy}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Ce groupe compte encore 1 membre actif"),
        "{body}"
    );
    assert!(group_row(&app, busy).await.2);

    // Through the edit form too.
    let mut form = group_form(&ds, "Granby", "A", "2", "07:00", "1");
    form.retain(|(k, _)| *k != "active");
    let resp = app
        .post_form(&format!("/groupes/{busy}/modifier"), &form)
        .await;
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("il ne peut pas être désactivé")
    );
    assert!(group_row(&app, busy).await.2);
    assert!(audit_rows(&app, "group", busy).await.is_empty());

    // An empty group can be deactivated, and reactivated.
    let off = app
        .post_form(
            &format!("/groupes/{empty}/activation"),
            &[("confirme", "oui"), ("active", "non")],
        )
        .await;
    assert_eq!(off.status(), 303);
    assert_eq!(location(&off), format!("/groupes/{empty}?fait=desactive"));
    assert_eq!(
        group_row(&app, empty).await,
        ("Bromont".into(), "B".into(), false, 2)
    );
    let on = app
        .post_form(
            &format!("/groupes/{empty}/activation"),
            &[("confirme", "oui"), ("active", "oui")],
        )
        .await;
    assert_eq!(location(&on), format!("/groupes/{empty}?fait=active"));
    assert_eq!(
        group_row(&app, empty).await,
        ("Bromont".into(), "B".into(), true, 3)
    );
    assert_eq!(
        audit_rows(&app, "group", empty).await,
        vec![
            ("active".into(), Some("true".into()), Some("false".into())),
            ("active".into(), Some("false".into()), Some("true".into())),
        ]
    );
}

#[tokio::test]
async fn creating_a_group_is_audited_in_its_transaction() {
    let app = TestApp::spawn().await;
    let director = app.login_as(Role::Direction).await;
    let d = app.create_district("Côte-Nord").await;
    let resp = app
        .post_form(
            "/groupes/nouveau",
            &group_form(&d.to_string(), "Baie-Comeau", "B", "1", "", ""),
        )
        .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM groups WHERE name = 'Baie-Comeau'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(location(&resp), format!("/groupes/{id}?fait=cree"));
    let (actor, field, new_value): (Option<i64>, String, Option<String>) = sqlx::query_as(
        "SELECT actor_id, field, new_value FROM audit_log WHERE entity = 'group' AND entity_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, Some(director));
    assert_eq!(field, "created");
    assert!(new_value.unwrap().contains("name=Baie-Comeau"));

    // A group of an inactive district cannot be reactivated.
    app.post_form(
        &format!("/groupes/{id}/activation"),
        &[("confirme", "oui"), ("active", "non")],
    )
    .await;
    app.post_form(
        &format!("/districts/{d}/activation"),
        &[("confirme", "oui"), ("active", "non")],
    )
    .await;
    let refused = app
        .post_form(
            &format!("/groupes/{id}/activation"),
            &[("confirme", "oui"), ("active", "oui")],
        )
        .await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("réactivez d&#39;abord le district")
    );
}

#[tokio::test]
async fn the_seat_index_is_mapped_when_the_pre_check_is_bypassed() {
    use renouvo::store::groups::{self, GroupDraft, GroupError, GroupKind};
    let app = TestApp::spawn().await;
    let d = app.create_district("Charlevoix").await;
    let g = insert_group(&app.pool, d, "Baie-Saint-Paul", "B").await;
    MemberBuilder::new(d)
        .name("Léa", "Simard")
        .profession("Notaire")
        .exclusive_in(g, "B")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;
    MemberBuilder::new(d)
        .name("Max", "Simard")
        .profession("Notaire")
        .exclusive_in(g, "B")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;

    // As if another save had added the second notary after the pre-check.
    let mut tx = app.pool.begin().await.unwrap();
    let before = groups::find_for_update(&mut tx, g, None)
        .await
        .unwrap()
        .unwrap();
    let draft = GroupDraft {
        district_id: d,
        name: before.name.clone(),
        kind: GroupKind::A,
        meeting_day: 2,
        meeting_time: None,
        active: true,
    };
    let err = groups::update(&mut tx, None, &before, &draft)
        .await
        .unwrap_err();
    assert!(matches!(err, GroupError::SeatClash), "{err:?}");
}

#[tokio::test]
async fn a_group_with_members_keeps_its_district() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let d = app.create_district("Bas-Saint-Laurent").await;
    let other = app.create_district("Rimouski").await;
    let g = insert_group(&app.pool, d, "Matane", "A").await;
    MemberBuilder::new(d)
        .name("Noé", "Pelletier")
        .profession("Courtier")
        .exclusive_in(g, "A")
        .joined("2024-01-15")
        .renewing("2027-01-15")
        .insert(&app.pool)
        .await;

    let resp = app
        .post_form(
            &format!("/groupes/{g}/modifier"),
            &group_form(&other.to_string(), "Matane", "A", "2", "07:00", "1"),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Ce groupe a des membres : il ne peut pas changer de district.")
    );
    let district: i64 = sqlx::query_scalar("SELECT district_id FROM groups WHERE id = $1")
        .bind(g)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(district, d);
}

#[tokio::test]
async fn a_district_renamed_meanwhile_refuses_the_second_save_and_keeps_its_text() {
    let app = TestApp::spawn().await;
    app.login_as(Role::Direction).await;
    let id = app.create_district("Laurentides").await;
    let other = app.sibling().await;
    let login = other.login("direction@test.ca", common::PASSWORD).await;
    assert_eq!(login.status(), 303);
    // Both opened the form on version 1; the first saves.
    let first = app
        .post_form(
            &format!("/districts/{id}/modifier"),
            &[("name", "Laurentides-Nord"), ("version", "1")],
        )
        .await;
    assert_eq!(
        location(&first),
        format!("/districts?fait=modifie&district={id}")
    );
    // The second is refused with the other person's name and their own kept.
    let second = other
        .post_form(
            &format!("/districts/{id}/modifier"),
            &[("name", "Hautes-Laurentides"), ("version", "1")],
        )
        .await;
    assert_eq!(second.status(), 409);
    let body = second.text().await.unwrap();
    assert!(body.contains("Laurentides-Nord"), "{body}");
    assert!(body.contains("value=\"Hautes-Laurentides\""), "{body}");
    assert!(body.contains("name=\"version\" value=\"2\""), "{body}");
    let name: String = sqlx::query_scalar("SELECT name FROM districts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "Laurentides-Nord", "no lost update");
    // Saving again, on the new version, goes through.
    let again = other
        .post_form(
            &format!("/districts/{id}/modifier"),
            &[("name", "Hautes-Laurentides"), ("version", "2")],
        )
        .await;
    assert_eq!(
        location(&again),
        format!("/districts?fait=modifie&district={id}")
    );
    let name: String = sqlx::query_scalar("SELECT name FROM districts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "Hautes-Laurentides");
}
