//! Two people edit the same member: the second save is refused, but the
//! page shows the other person's version next to what was typed, keeps the
//! typed values in the form, and saves on top of the new version.
mod common;

use common::accounts::{DIR, GEST_A, client_as, get, post, version_in, world};

fn member_form<'a>(
    w: &'a common::accounts::World,
    district: &'a str,
    rep: &'a str,
    phone: &'a str,
    notes: &'a str,
    version: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let _ = w;
    vec![
        ("first_name", "Alice"),
        ("last_name", "Audet"),
        ("business_name", ""),
        ("profession", "Comptable"),
        ("email", "avant@exemple.ca"),
        ("phone", phone),
        ("city", "Québec"),
        ("district_id", district),
        ("group_id", ""),
        ("formula", "regional"),
        ("representative_id", rep),
        ("join_date", "2024-05-01"),
        ("renewal_date", "2027-05-01"),
        ("term_months", "12"),
        ("gr_credits", "0"),
        ("notes", notes),
        ("version", version),
    ]
}

#[tokio::test]
async fn the_conflict_page_keeps_my_values_and_saves_on_the_new_version() {
    let w = world().await;
    let pool = &w.app.pool;
    let dir = client_as(&w.app, DIR).await;
    let gest = client_as(&w.app, GEST_A).await;
    let path = format!("/membres/{}/modifier", w.m1);
    let district = w.district_a.to_string();
    let rep = w.rep_a1.to_string();
    // Both open the form on the same version.
    let opened = version_in(&get(&w.app, &dir, &path).await.text().await.unwrap());
    assert_eq!(
        version_in(&get(&w.app, &gest, &path).await.text().await.unwrap()),
        opened
    );

    // The manager saves first: a note.
    let first = post(
        &w.app,
        &gest,
        &path,
        &member_form(&w, &district, &rep, "", "Rappeler en janvier.", &opened),
    )
    .await;
    assert_eq!(first.status(), 303);

    // Direction saves on the old version: refused, with both versions shown.
    let mine = member_form(&w, &district, &rep, "418 555-0101", "", &opened);
    let refused = post(&w.app, &dir, &path, &mine).await;
    assert_eq!(refused.status(), 409);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Test gest.a@test.ca a enregistré cette fiche pendant que vous la modifiiez"),
        "{page}"
    );
    let table = &page[page.find("conflict-table").expect("tableau")..];
    assert!(
        table.contains("Notes") && table.contains("Rappeler en janvier."),
        "{table}"
    );
    assert!(table.contains("Téléphone") && table.contains("418 555-0101"));
    // What was typed stays in the form; the form now carries their version.
    assert!(page.contains("value=\"418 555-0101\""), "{page}");
    let newer = version_in(&page);
    assert_ne!(newer, opened);
    let phone: String = sqlx::query_scalar("SELECT phone FROM members WHERE id = $1")
        .bind(w.m1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(!phone.contains("555"), "rien d'enregistré");

    // Saving again from that page goes on top of the new version, keeping
    // their note when it is kept in the form.
    let again = post(
        &w.app,
        &dir,
        &path,
        &member_form(
            &w,
            &district,
            &rep,
            "418 555-0101",
            "Rappeler en janvier.",
            &newer,
        ),
    )
    .await;
    assert_eq!(again.status(), 303);
    let (phone, notes): (String, String) =
        sqlx::query_as("SELECT phone, notes FROM members WHERE id = $1")
            .bind(w.m1)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(phone.contains("555"));
    assert_eq!(notes, "Rappeler en janvier.");
}

/// The same on the contact details form (the one representatives use).
#[tokio::test]
async fn the_contact_form_conflict_shows_both_versions_and_saves_again() {
    let w = world().await;
    let pool = &w.app.pool;
    let dir = client_as(&w.app, DIR).await;
    let gest = client_as(&w.app, GEST_A).await;
    let path = format!("/membres/{}/coordonnees", w.m1);
    let opened = version_in(&get(&w.app, &dir, &path).await.text().await.unwrap());
    let form = |phone: &'static str, city: &'static str, version: String| {
        vec![
            ("business_name", "".to_string()),
            ("email", "avant@exemple.ca".to_string()),
            ("phone", phone.to_string()),
            ("city", city.to_string()),
            ("notes", "".to_string()),
            ("version", version),
        ]
    };
    let first = form("", "Lévis", opened.clone());
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(post(&w.app, &gest, &path, &first).await.status(), 303);

    let mine = form("418 555-0199", "Québec", opened.clone());
    let mine: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = post(&w.app, &dir, &path, &mine).await;
    assert_eq!(refused.status(), 409);
    let page = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(
        page.contains(
            "Test gest.a@test.ca a enregistré ces coordonnées pendant que vous les modifiiez"
        ),
        "{page}"
    );
    let table = &page[page.find("conflict-table").expect("tableau")..];
    assert!(table.contains("Ville") && table.contains("Lévis") && table.contains("Québec"));
    assert!(page.contains("value=\"418 555-0199\""), "{page}");
    assert!(!page.contains("autre onglet"));
    let newer = version_in(&page);
    assert_ne!(newer, opened);
    let city: String = sqlx::query_scalar("SELECT city FROM members WHERE id = $1")
        .bind(w.m1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(city, "Lévis", "rien d'enregistré");

    let again = form("418 555-0199", "Québec", newer);
    let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(post(&w.app, &dir, &path, &again).await.status(), 303);
    let (phone, city): (String, String) =
        sqlx::query_as("SELECT phone, city FROM members WHERE id = $1")
            .bind(w.m1)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(phone.contains("555"));
    assert_eq!(city, "Québec");
}
