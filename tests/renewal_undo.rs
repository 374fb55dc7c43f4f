//! Direction undoes a renewal recorded by mistake: the previous date,
//! formula and cycle come back, the billing request returns to its step
//! before the payment, the audit log says so; refused once anything was
//! recorded on the new cycle.
mod common;

use common::accounts::{DIR, FACT, REP_A1, World, audit_count, client_as, get, post, world};
use common::actions::{ask_and_send, confirm_received, log_in, mark_paid};
use common::location;
use sqlx::PgPool;

/// A member's renewal date, formula and cycle.
type Renewal = (String, String, i32);

async fn member(pool: &PgPool, id: i64) -> Renewal {
    let (renewal, formula, cycle): (chrono::NaiveDate, String, i32) =
        sqlx::query_as("SELECT renewal_date, formula, cycle FROM members WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    (renewal.to_string(), formula, cycle)
}

/// rep_a1 asks for Alice Audet's move to « partenaire », billing sends the
/// invoice, she confirms receipt and billing records the payment. Returns
/// the member before, the member after, and the request.
async fn paid_formula_change(w: &World) -> (Renewal, Renewal, i64) {
    let pool = &w.app.pool;
    let before = member(pool, w.m1).await;
    let rep = log_in(&w.app, REP_A1).await;
    let fact = log_in(&w.app, FACT).await;
    let fields = [("decision", "change_formula"), ("new_formula", "partner")];
    let id = ask_and_send(&rep, &fact, w.m1, &fields).await;
    assert_eq!(confirm_received(&rep, id, "").await.status(), 303);
    assert_eq!(mark_paid(&fact, id).await.status(), 303);
    let renewed = member(pool, w.m1).await;
    assert_eq!(
        renewed,
        (
            "2028-05-01".to_string(),
            "partner".to_string(),
            before.2 + 1
        )
    );
    (before, renewed, id)
}

fn undo_action(w: &World) -> String {
    format!("/membres/{}/renouvellement/annulation", w.m1)
}

#[tokio::test]
async fn undoing_a_renewal_first_asks_saying_what_comes_back() {
    let w = world().await;
    let (_, renewed, _) = paid_formula_change(&w).await;
    let dir = client_as(&w.app, DIR).await;
    // The file offers the undo to direction; the first POST only asks.
    let file = get(&w.app, &dir, &format!("/membres/{}", w.m1))
        .await
        .text()
        .await
        .unwrap();
    let action = undo_action(&w);
    assert!(file.contains(&format!("action=\"{action}\"")));
    let ask = post(&w.app, &dir, &action, &[]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(
        page.replace("&#39;", "'")
            .contains("Annuler le renouvellement d'Alice Audet"),
        "{page}"
    );
    assert!(
        page.replace("&#39;", "'").contains(
            "la date de renouvellement d'Alice Audet reviendra au 1 mai 2027 (au lieu du 1 mai 2028)"
        ),
        "{page}"
    );
    assert!(
        page.contains("Sa formule redeviendra « Siège régional »"),
        "{page}"
    );
    assert!(page.contains("« Facture reçue par le membre »"), "{page}");
    assert_eq!(member(&w.app.pool, w.m1).await, renewed, "rien n'a changé");
}

#[tokio::test]
async fn billing_may_not_undo_a_renewal() {
    let w = world().await;
    let (_, renewed, _) = paid_formula_change(&w).await;
    let fact = client_as(&w.app, FACT).await;
    assert_eq!(
        post(&w.app, &fact, &undo_action(&w), &[("confirme", "oui")])
            .await
            .status(),
        403
    );
    assert_eq!(member(&w.app.pool, w.m1).await, renewed, "rien n'a changé");
}

#[tokio::test]
async fn an_undone_renewal_restores_date_formula_cycle_and_the_request_step() {
    let w = world().await;
    let pool = &w.app.pool;
    let (before, _, id) = paid_formula_change(&w).await;
    let dir = client_as(&w.app, DIR).await;
    let done = post(&w.app, &dir, &undo_action(&w), &[("confirme", "oui")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(member(pool, w.m1).await, before);
    let status: String = sqlx::query_scalar("SELECT status FROM billing_requests WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "received");
    let renewals: i64 = sqlx::query_scalar("SELECT count(*) FROM renewals WHERE member_id = $1")
        .bind(w.m1)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(renewals, 0);
    assert_eq!(
        audit_count(pool, "member", w.m1, "Renouvellement annulé").await,
        1
    );
    let file = get(&w.app, &dir, &location(&done))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.replace("&#39;", "'")
            .contains("Renouvellement d'Alice Audet annulé"),
        "{file}"
    );
    // Billing sees the request waiting for its payment again.
    let fact = client_as(&w.app, FACT).await;
    let queue = get(&w.app, &fact, "/facturation")
        .await
        .text()
        .await
        .unwrap();
    assert!(queue.contains("Alice Audet"));
}

#[tokio::test]
async fn a_renewal_with_a_follow_up_on_the_new_cycle_cannot_be_undone() {
    let w = world().await;
    let pool = &w.app.pool;
    let dir = client_as(&w.app, DIR).await;
    let rep = client_as(&w.app, REP_A1).await;
    let r = post(
        &w.app,
        &dir,
        &format!("/membres/{}/renouvellement", w.m2),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let renewed = member(pool, w.m2).await;
    let r = post(
        &w.app,
        &rep,
        &format!("/membres/{}/suivis", w.m2),
        &[
            ("channel", "call"),
            ("body", "Bienvenue dans le nouveau cycle."),
            ("state", "green"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let refused = post(
        &w.app,
        &dir,
        &format!("/membres/{}/renouvellement/annulation", w.m2),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Ce renouvellement ne peut plus être annulé"),
        "{page}"
    );
    assert_eq!(member(pool, w.m2).await, renewed);
    assert_eq!(
        audit_count(pool, "member", w.m2, "Renouvellement annulé").await,
        0
    );
}
