//! A « ne renouvelle pas » request has an end: the member's departure,
//! recorded from the request, or another decision; it then leaves the
//! lists of work.
mod common;

use common::accounts::{FACT, REP_A1, REP_B, client_as, get, post, world};
use common::location;
use sqlx::PgPool;

async fn not_renewing(w: &common::accounts::World, rep: &reqwest::Client, member: i64) -> i64 {
    let r = post(
        &w.app,
        rep,
        &format!("/membres/{member}/facturation"),
        &[
            ("decision", "not_renewing"),
            ("note", "Part à la retraite."),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    sqlx::query_scalar("SELECT id FROM billing_requests WHERE member_id = $1")
        .bind(member)
        .fetch_one(&w.app.pool)
        .await
        .unwrap()
}

async fn request(pool: &PgPool, id: i64) -> (String, String) {
    sqlx::query_as("SELECT status, decision FROM billing_requests WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn billing_closes_a_not_renewing_request_by_recording_the_departure() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = client_as(&w.app, REP_A1).await;
    let fact = client_as(&w.app, FACT).await;
    let id = not_renewing(&w, &rep, w.m1).await;
    let reason: i64 = sqlx::query_scalar("SELECT id FROM reasons WHERE active ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    let reason = reason.to_string();

    let tab = get(&w.app, &fact, "/facturation?statut=sans-facture")
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("Alice Audet"));
    let action = format!("/facturation/{id}/depart");
    assert!(tab.contains(&format!("action=\"{action}\"")), "{tab}");

    let form = [("lost_on", "2026-11-23"), ("reason_id", reason.as_str())];
    let ask = post(&w.app, &fact, &action, &form).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(page.contains("Alice Audet ne sera plus membre à compter du 23 nov. 2026"));
    assert_eq!(request(pool, id).await.0, "requested");

    let done = post(
        &w.app,
        &fact,
        &action,
        &[
            ("lost_on", "2026-11-23"),
            ("reason_id", reason.as_str()),
            ("confirme", "oui"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(request(pool, id).await.0, "cancelled");
    let status: String = sqlx::query_scalar("SELECT status FROM members WHERE id = $1")
        .bind(w.m1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "lost");
    let tab = get(&w.app, &fact, &location(&done))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        tab.replace("&#39;", "'")
            .contains("Départ d'Alice Audet enregistré"),
        "{tab}"
    );
    assert!(!tab.contains(&format!("action=\"{action}\"")));
    // A second closing is refused with a message, nothing else changes.
    let again = post(
        &w.app,
        &fact,
        &action,
        &[
            ("lost_on", "2026-11-23"),
            ("reason_id", reason.as_str()),
            ("confirme", "oui"),
        ],
    )
    .await;
    assert_eq!(again.status(), 422);
}

#[tokio::test]
async fn the_representative_changes_the_decision_and_the_invoice_is_to_send() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = client_as(&w.app, REP_A1).await;
    let fact = client_as(&w.app, FACT).await;
    let id = not_renewing(&w, &rep, w.m2).await;
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m2))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains(&format!("/facturation/{id}/decision")));
    assert!(file.contains("Cette demande attend sa fin"));

    // Someone else's representative: not found.
    let other = client_as(&w.app, REP_B).await;
    let r = post(
        &w.app,
        &other,
        &format!("/facturation/{id}/decision"),
        &[("decision", "renew_same")],
    )
    .await;
    assert_eq!(r.status(), 404);

    let r = post(
        &w.app,
        &rep,
        &format!("/facturation/{id}/decision"),
        &[("decision", "renew_same")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        request(pool, id).await,
        ("requested".to_string(), "renew_same".to_string())
    );
    let file = get(&w.app, &rep, &location(&r)).await.text().await.unwrap();
    assert!(
        file.contains("Décision de Benoît Bouchard changée"),
        "{file}"
    );
    let queue = get(&w.app, &fact, "/facturation")
        .await
        .text()
        .await
        .unwrap();
    assert!(queue.contains("Benoît Bouchard"));
    let tab = get(&w.app, &fact, "/facturation?statut=sans-facture")
        .await
        .text()
        .await
        .unwrap();
    assert!(!tab.contains("Benoît Bouchard"));
}
