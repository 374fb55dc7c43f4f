//! The message after an action says who it was about: « Facture d'Alice
//! Audet marquée comme envoyée. », not « Facture marquée comme envoyée. ».
mod common;

use common::accounts::{DIR, FACT, REP_A1, client_as, get, post, world};
use common::location;

#[tokio::test]
async fn billing_steps_and_follow_ups_name_the_member() {
    let w = world().await;
    let rep = client_as(&w.app, REP_A1).await;
    let fact = client_as(&w.app, FACT).await;

    // The representative asks for the invoice: the file names the member.
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/facturation", w.m1),
        &[("decision", "renew_same"), ("amount", "150")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = get(&w.app, &rep, &location(&r)).await.text().await.unwrap();
    assert!(
        page.replace("&#39;", "'")
            .contains("Demande de facturation d'Alice Audet envoyée."),
        "{page}"
    );

    // Billing sends it from the queue: the queue's message names her.
    let id: i64 = sqlx::query_scalar("SELECT id FROM billing_requests WHERE member_id = $1")
        .bind(w.m1)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    let r = post(&w.app, &fact, &format!("/facturation/{id}/envoyee"), &[]).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert_eq!(to, format!("/facturation?fait=envoyee&membre={}", w.m1));
    let queue = get(&w.app, &fact, &to).await.text().await.unwrap();
    assert!(
        queue
            .replace("&#39;", "'")
            .contains("Facture d'Alice Audet marquée comme envoyée."),
        "{queue}"
    );
    // A member named in the address but out of reach gives no message.
    let other = get(&w.app, &rep, "/aujourdhui?recue&membre=999999")
        .await
        .text()
        .await
        .unwrap();
    assert!(!other.contains("Réception de la facture"));

    // The representative confirms receipt from « Aujourd'hui ».
    let r = post(
        &w.app,
        &rep,
        &format!("/facturation/{id}/recue"),
        &[("retour", "/aujourdhui")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let today = get(&w.app, &rep, &location(&r)).await.text().await.unwrap();
    assert!(
        today.contains("Réception de la facture par Alice Audet confirmée."),
        "{today}"
    );

    // A follow-up logged from « Aujourd'hui » names the member too.
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/suivis", w.m2),
        &[
            ("channel", "call"),
            ("body", "Appel de courtoisie."),
            ("state", "green"),
            ("retour", "/aujourdhui"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let today = get(&w.app, &rep, &location(&r)).await.text().await.unwrap();
    assert!(
        today.contains("Suivi de Benoît Bouchard enregistré."),
        "{today}"
    );
}

#[tokio::test]
async fn a_renamed_district_is_named_in_the_message() {
    let w = world().await;
    let dir = client_as(&w.app, DIR).await;
    let edit = get(
        &w.app,
        &dir,
        &format!("/districts/{}/modifier", w.district_a),
    )
    .await
    .text()
    .await
    .unwrap();
    let version = common::accounts::version_in(&edit);
    let r = post(
        &w.app,
        &dir,
        &format!("/districts/{}/modifier", w.district_a),
        &[("name", "Capitale-Nationale"), ("version", &version)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let list = get(&w.app, &dir, &location(&r)).await.text().await.unwrap();
    assert!(
        list.contains("Le district a été renommé : Capitale-Nationale."),
        "{list}"
    );
}
