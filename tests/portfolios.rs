//! Portfolios moved inside a district (whole or a selection), in and out
//! of scope; representatives correcting their members' contact details.
mod common;

use common::accounts::*;
use common::location;

/// The district manager moves all of rep_a1's members to rep_a2, coming
/// back to the list filtered by `statut=tous`.
async fn move_whole_portfolio(w: &World, gest: &reqwest::Client) -> reqwest::Response {
    let (from, to) = (w.rep_a1.to_string(), w.rep_a2.to_string());
    post(
        &w.app,
        gest,
        "/portefeuilles/tout",
        &[
            ("from_id", &from),
            ("representative_id", &to),
            ("retour", "statut=tous"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_manager_sees_the_portfolios_of_their_own_district_only() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    let page = get(&w.app, &gest, "/portefeuilles")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Alice Audet") && !page.contains("Bruno Brault"),
        "own district only"
    );
}

#[tokio::test]
async fn a_whole_portfolio_moves_with_its_planned_follow_ups_and_the_audit_names_the_manager() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    let r = move_whole_portfolio(&w, &gest).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/portefeuilles?statut=tous&deplaces=2&vers={}", w.rep_a2)
    );
    for m in [w.m1, w.m2] {
        assert_eq!(representative_of(&w.app.pool, m).await, Some(w.rep_a2));
        assert_eq!(
            planner_of(&w.app.pool, m).await,
            w.rep_a2,
            "planned follow-up follows"
        );
        let by: Option<i64> = sqlx::query_scalar(
            "SELECT actor_id FROM audit_log WHERE entity = 'member' AND entity_id = $1 \
             AND field = 'Représentant·e' AND new_value = 'Test rep.a2@test.ca'",
        )
        .bind(m)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
        assert_eq!(by, Some(w.manager_a));
    }
    let notice = get(&w.app, &gest, &location(&r))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        notice.contains(
            "2 membres ont été confiés à Test rep.a2@test.ca, qui les voit dès maintenant"
        ),
        "{notice}"
    );
}

#[tokio::test]
async fn the_new_representative_sees_a_moved_portfolio_today_and_the_former_one_no_longer() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    assert_eq!(move_whole_portfolio(&w, &gest).await.status(), 303);
    let rep2 = client_as(&w.app, REP_A2).await;
    let today = get(&w.app, &rep2, "/aujourdhui")
        .await
        .text()
        .await
        .unwrap();
    assert!(today.contains("Alice Audet") && today.contains("Benoît Bouchard"));
    let rep1 = client_as(&w.app, REP_A1).await;
    assert_eq!(
        get(&w.app, &rep1, &format!("/membres/{}", w.m1))
            .await
            .status(),
        404,
        "no longer theirs"
    );
}

#[tokio::test]
async fn moving_a_portfolio_emptied_meanwhile_is_refused_by_the_form() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    assert_eq!(move_whole_portfolio(&w, &gest).await.status(), 303);
    let (from, to) = (w.rep_a1.to_string(), w.rep_a2.to_string());
    let r = post(
        &w.app,
        &gest,
        "/portefeuilles/tout",
        &[("from_id", &from), ("representative_id", &to)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("aucun membre"));
}

#[tokio::test]
async fn direction_moves_a_selection_from_the_filtered_list() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let page = get(
        &w.app,
        &dir,
        &format!("/portefeuilles?representant={}", w.rep_a1),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("Alice Audet") && page.contains("Benoît Bouchard"));
    assert!(!page.contains("Odile Orphelin"), "filtered like /membres");
    let (m1, orphan, to) = (
        w.m1.to_string(),
        w.orphan_a.to_string(),
        w.rep_a2.to_string(),
    );
    let r = post(
        &w.app,
        &dir,
        "/portefeuilles/selection",
        &[
            ("member_id", &m1),
            ("member_id", &orphan),
            ("representative_id", &to),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/portefeuilles?deplaces=2&vers={to}"));
    assert_eq!(representative_of(&w.app.pool, w.m1).await, Some(w.rep_a2));
    assert_eq!(
        representative_of(&w.app.pool, w.orphan_a).await,
        Some(w.rep_a2)
    );
    assert_eq!(
        representative_of(&w.app.pool, w.m2).await,
        Some(w.rep_a1),
        "not checked"
    );
    assert_eq!(planner_of(&w.app.pool, w.m1).await, w.rep_a2);
    assert_eq!(planner_of(&w.app.pool, w.m2).await, w.rep_a1);
    // Nothing checked: said by the form.
    let r = post(
        &w.app,
        &dir,
        "/portefeuilles/selection",
        &[("representative_id", &to)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Cochez au moins un membre")
    );
}

#[tokio::test]
async fn a_representative_of_another_district_is_refused_with_a_message() {
    let w = world().await;
    let (m1, foreign) = (w.m1.to_string(), w.rep_b.to_string());
    for email in [DIR, GEST_A] {
        let client = client_as(&w.app, email).await;
        let r = post(
            &w.app,
            &client,
            "/portefeuilles/selection",
            &[("member_id", &m1), ("representative_id", &foreign)],
        )
        .await;
        assert_eq!(r.status(), 422, "{email}");
        let body = r.text().await.unwrap();
        assert!(body.contains("autre district"), "{email}: {body}");
        assert!(body.contains("checked"), "the checked box is kept");
        let from = w.rep_a1.to_string();
        let r = post(
            &w.app,
            &client,
            "/portefeuilles/tout",
            &[("from_id", &from), ("representative_id", &foreign)],
        )
        .await;
        assert_eq!(r.status(), 422, "{email}");
    }
    // A deactivated representative cannot receive members either.
    sqlx::query("UPDATE users SET active = false WHERE id = $1")
        .bind(w.rep_a2)
        .execute(&w.app.pool)
        .await
        .unwrap();
    let dir = client_as(&w.app, DIR).await;
    let to = w.rep_a2.to_string();
    let r = post(
        &w.app,
        &dir,
        "/portefeuilles/selection",
        &[("member_id", &m1), ("representative_id", &to)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        representative_of(&w.app.pool, w.m1).await,
        Some(w.rep_a1),
        "nothing moved"
    );
    let moved: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE entity = 'member'")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(moved, 0);
}

#[tokio::test]
async fn members_outside_the_managers_district_cannot_be_moved() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    let (mb, m1, to) = (w.m_b.to_string(), w.m1.to_string(), w.rep_a2.to_string());
    // One foreign member among the checked ones: 404, nothing moved.
    let r = post(
        &w.app,
        &gest,
        "/portefeuilles/selection",
        &[
            ("member_id", &m1),
            ("member_id", &mb),
            ("representative_id", &to),
        ],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(representative_of(&w.app.pool, w.m1).await, Some(w.rep_a1));
    assert_eq!(representative_of(&w.app.pool, w.m_b).await, Some(w.rep_b));
    // Another district's portfolio is not theirs to empty.
    let from = w.rep_b.to_string();
    let r = post(
        &w.app,
        &gest,
        "/portefeuilles/tout",
        &[("from_id", &from), ("representative_id", &to)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(representative_of(&w.app.pool, w.m_b).await, Some(w.rep_b));
    let page = get(
        &w.app,
        &gest,
        &format!("/portefeuilles?representant={}", w.rep_b),
    )
    .await;
    assert!(!page.text().await.unwrap().contains("Bruno Brault"));
}

#[tokio::test]
async fn the_member_list_links_to_the_portfolio_page_with_its_filters() {
    let w = world().await;
    let gest = client_as(&w.app, GEST_A).await;
    let body = get(&w.app, &gest, "/membres?q=audet")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("href=\"/portefeuilles?q=audet\""), "{body}");
    let rep = client_as(&w.app, REP_A1).await;
    let body = get(&w.app, &rep, "/membres").await.text().await.unwrap();
    assert!(!body.contains("/portefeuilles"));
}

/// The contact form of `w.m1`.
fn contacts_path(w: &World) -> String {
    format!("/membres/{}/coordonnees", w.m1)
}

/// The version the contact form of `path` is opened on by `client`.
async fn contacts_version(w: &World, client: &reqwest::Client, path: &str) -> String {
    version_in(&get(&w.app, client, path).await.text().await.unwrap())
}

#[tokio::test]
async fn the_member_file_links_to_the_contact_form_of_a_representative() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m1))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains(&contacts_path(&w)),
        "the member file links to the form"
    );
}

/// rep_a1 saves Alice Audet's contact form with new details, plus fields
/// that are not part of the form (formula, dates, representative,
/// district, first name) forged into the post.
async fn save_contacts_with_forged_fields(w: &World) -> reqwest::Response {
    let rep = client_as(&w.app, REP_A1).await;
    let path = contacts_path(w);
    let version = contacts_version(w, &rep, &path).await;
    let (district_b, rep_b) = (w.district_b.to_string(), w.rep_b.to_string());
    post(
        &w.app,
        &rep,
        &path,
        &[
            ("business_name", "Audet CPA inc."),
            ("email", "alice@audet.ca"),
            ("phone", "418 555-0199"),
            ("city", "Lévis"),
            ("notes", "Joindre le matin."),
            ("version", &version),
            ("formula", "exclusive"),
            ("renewal_date", "2030-01-01"),
            ("join_date", "2020-01-01"),
            ("representative_id", &rep_b),
            ("district_id", &district_b),
            ("first_name", "Pirate"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_representative_saves_the_contact_details_and_each_change_is_audited() {
    let w = world().await;
    let r = save_contacts_with_forged_fields(&w).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/membres/{}?enregistre=1", w.m1));
    let row: (String, String, String, String, String) = sqlx::query_as(
        "SELECT business_name, email, phone, city, notes FROM members WHERE id = $1",
    )
    .bind(w.m1)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "Audet CPA inc.".into(),
            "alice@audet.ca".into(),
            "418 555-0199".into(),
            "Lévis".into(),
            "Joindre le matin.".into(),
        )
    );
    for field in ["Entreprise", "Courriel", "Téléphone", "Ville", "Notes"] {
        assert_eq!(
            audit_count(&w.app.pool, "member", w.m1, field).await,
            1,
            "{field}"
        );
    }
}

#[tokio::test]
async fn fields_forged_into_the_contact_form_change_nothing() {
    let w = world().await;
    let r = save_contacts_with_forged_fields(&w).await;
    assert_eq!(r.status(), 303);
    let row: (String, String, Option<i64>, i64, String) = sqlx::query_as(
        "SELECT formula, renewal_date::text, representative_id, district_id, first_name \
         FROM members WHERE id = $1",
    )
    .bind(w.m1)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "regional".into(),
            "2027-05-01".into(),
            Some(w.rep_a1),
            w.district_a,
            "Alice".into()
        )
    );
    assert_eq!(audit_count(&w.app.pool, "member", w.m1, "Formule").await, 0);
}

#[tokio::test]
async fn a_contact_form_saved_meanwhile_is_refused() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    let path = contacts_path(&w);
    let version = contacts_version(&w, &rep, &path).await;
    let first = [("email", "alice@audet.ca"), ("version", &version)];
    assert_eq!(post(&w.app, &rep, &path, &first).await.status(), 303);
    // The same version again: someone saved meanwhile.
    let r = post(
        &w.app,
        &rep,
        &path,
        &[("email", "x@audet.ca"), ("version", &version)],
    )
    .await;
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn bad_contact_details_get_a_message_by_the_field_and_keep_what_was_typed() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    let path = contacts_path(&w);
    let version = contacts_version(&w, &rep, &path).await;
    let r = post(
        &w.app,
        &rep,
        &path,
        &[
            ("email", "alice@"),
            ("phone", "pas un numéro"),
            ("version", &version),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"alice@\""));
    assert!(body.contains("caractères inattendus"));
}

#[tokio::test]
async fn a_representative_reaches_neither_another_members_contacts_nor_the_full_form() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/coordonnees", w.m_b),
        &[("version", "1")],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        get(&w.app, &rep, &format!("/membres/{}/modifier", w.m1))
            .await
            .status(),
        403
    );
    // Posting the managers' full form directly changes nothing either.
    let version = contacts_version(&w, &rep, &contacts_path(&w)).await;
    let (district_b, rep_b) = (w.district_b.to_string(), w.rep_b.to_string());
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/modifier", w.m1),
        &[
            ("first_name", "Alice"),
            ("last_name", "Audet"),
            ("profession", "Comptable"),
            ("district_id", &district_b),
            ("formula", "partner"),
            ("join_date", "2024-05-01"),
            ("renewal_date", "2030-01-01"),
            ("term_months", "12"),
            ("representative_id", &rep_b),
            ("version", &version),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let (formula, renewal, rep_id, version_after): (String, String, Option<i64>, i32) =
        sqlx::query_as(
            "SELECT formula, renewal_date::text, representative_id, version FROM members \
             WHERE id = $1",
        )
        .bind(w.m1)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(
        (formula.as_str(), renewal.as_str(), rep_id),
        ("regional", "2027-05-01", Some(w.rep_a1))
    );
    assert_eq!(version_after.to_string(), version);
}

#[tokio::test]
async fn managers_and_direction_correct_contact_details_in_their_scope_only() {
    let w = world().await;
    let path = contacts_path(&w);
    for email in [GEST_A, DIR] {
        let client = client_as(&w.app, email).await;
        let version = contacts_version(&w, &client, &path).await;
        let r = post(
            &w.app,
            &client,
            &path,
            &[("city", "Québec"), ("version", &version)],
        )
        .await;
        assert_eq!(r.status(), 303, "{email}");
    }
    let gest_b = client_as(&w.app, GEST_B).await;
    let r = post(
        &w.app,
        &gest_b,
        &path,
        &[("city", "Ailleurs"), ("version", "99")],
    )
    .await;
    assert_eq!(r.status(), 404, "another district's member");
    let city: String = sqlx::query_scalar("SELECT city FROM members WHERE id = $1")
        .bind(w.m1)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(city, "Québec");
}
