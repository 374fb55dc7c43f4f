//! A renewal recorded after its date: the new cycle's « Inscription
//! (vérification) » counts from the day it was recorded and stays a task
//! until followed up, instead of being missed at once.
mod common;

use common::accounts::{FACT, REP_A1, client_as, get, post, world};
use common::location;

/// The section of the member file drawing the cycle.
fn cycle_of(page: &str) -> &str {
    let start = page.find("Échéancier du cycle").expect("échéancier");
    &page[start..]
}

/// The « À faire : étapes sans suivi » section of « Aujourd'hui ».
fn todo_of(page: &str) -> &str {
    let start = page.find("À faire : étapes sans suivi").expect("à faire");
    let rest = &page[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_welcome_stage_after_a_late_payment_is_a_task_not_missed() {
    let w = world().await;
    let pool = &w.app.pool;
    // Due 2026-10-20, paid 2026-11-24 (today): five weeks late, so by the
    // dates alone the new cycle would already be at « 1 mois après ».
    sqlx::query("UPDATE members SET renewal_date = '2026-10-20' WHERE id = $1")
        .bind(w.m1)
        .execute(pool)
        .await
        .unwrap();
    let rep = client_as(&w.app, REP_A1).await;
    let fact = client_as(&w.app, FACT).await;
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/facturation", w.m1),
        &[("decision", "renew_same"), ("amount", "150")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id: i64 = sqlx::query_scalar("SELECT id FROM billing_requests WHERE member_id = $1")
        .bind(w.m1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        post(&w.app, &fact, &format!("/facturation/{id}/envoyee"), &[])
            .await
            .status(),
        303
    );
    let paid = post(
        &w.app,
        &fact,
        &format!("/facturation/{id}/payee"),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(paid.status(), 303, "{}", paid.text().await.unwrap());
    let (renewal, welcome_from): (chrono::NaiveDate, Option<chrono::NaiveDate>) =
        sqlx::query_as("SELECT renewal_date, welcome_from FROM members WHERE id = $1")
            .bind(w.m1)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(renewal.to_string(), "2027-10-20");
    assert_eq!(
        welcome_from.map(|d| d.to_string()).as_deref(),
        Some("2026-11-24")
    );

    // The member file: the welcome stage is current, from today, not missed.
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m1))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("À faire maintenant : Inscription (vérification)"),
        "{file}"
    );
    assert!(file.contains("Étape commencée le 24 nov. 2026"), "{file}");
    let cycle = cycle_of(&file);
    assert!(!cycle.contains("manquée"), "{cycle}");
    assert!(cycle.contains("current"));

    // « Aujourd'hui » lists it among the stages to do.
    let day = get(&w.app, &rep, "/aujourdhui").await.text().await.unwrap();
    let todo = todo_of(&day);
    assert!(todo.contains("Alice Audet"), "{todo}");
    assert!(todo.contains("Inscription (vérification)"), "{todo}");

    // Followed up: the follow-up counts for the welcome stage, which is done;
    // the dated stage takes over.
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/suivis", w.m1),
        &[
            ("channel", "call"),
            ("body", "Inscription vérifiée, profil complet."),
            ("state", "green"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let stage: Option<String> = sqlx::query_scalar(
        "SELECT stage_key FROM follow_ups WHERE member_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(w.m1)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(stage.as_deref(), Some("welcome"));
    let file = get(&w.app, &rep, &location(&r)).await.text().await.unwrap();
    assert!(file.contains("À faire maintenant : 1 mois après"), "{file}");
    let cycle = cycle_of(&file);
    assert!(cycle.contains("faite"));
    assert!(!cycle.contains("manquée"), "{cycle}");
}

#[tokio::test]
async fn a_renewal_recorded_on_time_keeps_the_dated_stages() {
    let w = world().await;
    let pool = &w.app.pool;
    // Due 2026-12-01, paid a week early: nothing moves.
    sqlx::query("UPDATE members SET renewal_date = '2026-12-01' WHERE id = $1")
        .bind(w.m2)
        .execute(pool)
        .await
        .unwrap();
    let fact = client_as(&w.app, FACT).await;
    let rep = client_as(&w.app, REP_A1).await;
    post(
        &w.app,
        &rep,
        &format!("/membres/{}/facturation", w.m2),
        &[("decision", "renew_same"), ("amount", "150")],
    )
    .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM billing_requests WHERE member_id = $1")
        .bind(w.m2)
        .fetch_one(pool)
        .await
        .unwrap();
    post(&w.app, &fact, &format!("/facturation/{id}/envoyee"), &[]).await;
    let paid = post(
        &w.app,
        &fact,
        &format!("/facturation/{id}/payee"),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(paid.status(), 303);
    let welcome_from: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT welcome_from FROM members WHERE id = $1")
            .bind(w.m2)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(welcome_from, None);
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m2))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("Le nouveau cycle commence le 1 déc. 2026"),
        "{file}"
    );
}
