//! The message after an action says who it was about: « Facture d'Alice
//! Audet marquée comme envoyée. », not « Facture marquée comme envoyée. ».
mod common;

use common::accounts::{DIR, FACT, REP_A1, client_as, get, post, world};
use common::actions::{
    ask_and_send, confirm_received, latest_request, log_in, request_billing, send_invoice,
};
use common::location;

#[tokio::test]
async fn asking_for_an_invoice_names_the_member_on_the_file() {
    let w = world().await;
    let rep = log_in(&w.app, REP_A1).await;
    let r = request_billing(&rep, w.m1, &[("decision", "renew_same"), ("amount", "150")]).await;
    assert_eq!(r.status(), 303);
    let (_, page) = rep.page(&location(&r)).await;
    assert!(
        page.replace("&#39;", "'")
            .contains("Demande de facturation d'Alice Audet envoyée."),
        "{page}"
    );
}

#[tokio::test]
async fn sending_an_invoice_from_the_queue_names_the_member() {
    let w = world().await;
    let rep = log_in(&w.app, REP_A1).await;
    let fact = log_in(&w.app, FACT).await;
    let r = request_billing(&rep, w.m1, &[("decision", "renew_same"), ("amount", "150")]).await;
    assert_eq!(r.status(), 303);
    let id = latest_request(&w.app.pool, w.m1).await;
    let r = send_invoice(&fact, id).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert_eq!(to, format!("/facturation?fait=envoyee&membre={}", w.m1));
    let (_, queue) = fact.page(&to).await;
    assert!(
        queue
            .replace("&#39;", "'")
            .contains("Facture d'Alice Audet marquée comme envoyée."),
        "{queue}"
    );
}

#[tokio::test]
async fn a_member_out_of_reach_named_in_the_address_gives_no_message() {
    let w = world().await;
    let rep = log_in(&w.app, REP_A1).await;
    // The same address naming a member of theirs does give it.
    let (_, own) = rep
        .page(&format!("/aujourdhui?recue&membre={}", w.m1))
        .await;
    assert!(own.contains("Réception de la facture"), "{own}");
    let (_, other) = rep.page("/aujourdhui?recue&membre=999999").await;
    assert!(!other.contains("Réception de la facture"));
}

#[tokio::test]
async fn confirming_receipt_from_today_names_the_member() {
    let w = world().await;
    let rep = log_in(&w.app, REP_A1).await;
    let fact = log_in(&w.app, FACT).await;
    let fields = [("decision", "renew_same"), ("amount", "150")];
    let id = ask_and_send(&rep, &fact, w.m1, &fields).await;
    let r = confirm_received(&rep, id, "/aujourdhui").await;
    assert_eq!(r.status(), 303);
    let (_, today) = rep.page(&location(&r)).await;
    assert!(
        today.contains("Réception de la facture par Alice Audet confirmée."),
        "{today}"
    );
}

#[tokio::test]
async fn a_follow_up_logged_from_today_names_the_member() {
    let w = world().await;
    let rep = log_in(&w.app, REP_A1).await;
    let r = rep
        .post(
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
    let (_, today) = rep.page(&location(&r)).await;
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
