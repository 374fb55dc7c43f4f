//! Irreversible actions ask first: the first POST shows what will happen
//! (who, which dates) and changes nothing; only the second, with
//! `confirme=oui`, acts. Plain forms, no JavaScript.
mod common;

use common::accounts::{DIR, FACT, REP_A1, client_as, get, post, world};
use common::actions::{ask_and_send, log_in};
use common::location;
use sqlx::PgPool;

async fn reason(pool: &PgPool) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM reasons WHERE active ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    id.to_string()
}

async fn member_status(pool: &PgPool, id: i64) -> (String, String) {
    let (status, renewal): (String, chrono::NaiveDate) =
        sqlx::query_as("SELECT status, renewal_date FROM members WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    (status, renewal.to_string())
}

/// The page of a first POST: a confirmation form posting back with
/// `confirme=oui`.
fn assert_asks(page: &str, action: &str) {
    assert!(
        page.contains(&format!("action=\"{action}\"")),
        "pas de formulaire vers {action} : {page}"
    );
    assert!(page.contains("name=\"confirme\" value=\"oui\""), "{page}");
}

#[tokio::test]
async fn recording_a_renewal_asks_first_with_the_name_and_dates() {
    let w = world().await;
    let pool = &w.app.pool;
    let dir = client_as(&w.app, DIR).await;
    let action = format!("/membres/{}/renouvellement", w.m1);
    let ask = post(&w.app, &dir, &action, &[]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(
        page.replace("&#39;", "'")
            .contains("Le renouvellement d'Alice Audet passera du 1 mai 2027 au 1 mai 2028"),
        "{page}"
    );
    assert_asks(&page, &action);
    assert_eq!(
        member_status(pool, w.m1).await.1,
        "2027-05-01",
        "rien n'a changé"
    );

    let done = post(&w.app, &dir, &action, &[("confirme", "oui")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(member_status(pool, w.m1).await.1, "2028-05-01");
}

#[tokio::test]
async fn payment_received_asks_first_then_renews() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = log_in(&w.app, REP_A1).await;
    let billing = log_in(&w.app, FACT).await;
    let fields = [
        ("decision", "change_formula"),
        ("new_formula", "partner"),
        ("amount", "150"),
    ];
    let id = ask_and_send(&rep, &billing, w.m1, &fields).await;
    let fact = billing.client;
    let action = format!("/facturation/{id}/payee");
    let ask = post(&w.app, &fact, &action, &[]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(
        page.replace("&#39;", "'")
            .contains("Enregistrer le paiement d'Alice Audet"),
        "{page}"
    );
    assert!(page.contains("passera du 1 mai 2027 au 1 mai 2028"));
    assert!(
        page.contains("Sa formule passera de « Siège régional » à « Partenaire »"),
        "{page}"
    );
    assert_asks(&page, &action);
    let status: String = sqlx::query_scalar("SELECT status FROM billing_requests WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "invoice_sent");
    assert_eq!(member_status(pool, w.m1).await.1, "2027-05-01");

    let done = post(&w.app, &fact, &action, &[("confirme", "oui")]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(member_status(pool, w.m1).await.1, "2028-05-01");
}

#[tokio::test]
async fn a_departure_and_a_reactivation_ask_first() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = client_as(&w.app, REP_A1).await;
    let reason = reason(pool).await;
    let action = format!("/membres/{}/depart", w.m1);
    let form = [("lost_on", "2026-11-20"), ("reason_id", reason.as_str())];
    let ask = post(&w.app, &rep, &action, &form).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(
        page.contains("Alice Audet ne sera plus membre à compter du 20 nov. 2026"),
        "{page}"
    );
    assert_asks(&page, &action);
    // The typed values go with the confirmation.
    assert!(page.contains("name=\"lost_on\" value=\"2026-11-20\""));
    assert_eq!(member_status(pool, w.m1).await.0, "active");

    let done = post(
        &w.app,
        &rep,
        &action,
        &[
            ("lost_on", "2026-11-20"),
            ("reason_id", reason.as_str()),
            ("confirme", "oui"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(member_status(pool, w.m1).await.0, "lost");

    // Bringing her back asks too.
    let dir = client_as(&w.app, DIR).await;
    let action = format!("/membres/{}/reactivation", w.m1);
    let ask = post(&w.app, &dir, &action, &[("renewal_date", "2027-09-01")]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(
        page.contains("Alice Audet redeviendra membre actif"),
        "{page}"
    );
    assert!(page.contains("1 sept. 2027"));
    assert_asks(&page, &action);
    assert_eq!(member_status(pool, w.m1).await.0, "lost");
    let done = post(
        &w.app,
        &dir,
        &action,
        &[("renewal_date", "2027-09-01"), ("confirme", "oui")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        member_status(pool, w.m1).await,
        ("active".to_string(), "2027-09-01".to_string())
    );
}

#[tokio::test]
async fn deactivating_a_group_a_district_or_a_user_asks_first() {
    let w = world().await;
    let pool = &w.app.pool;
    let dir = client_as(&w.app, DIR).await;

    let group: i64 = sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind) VALUES ($1, 'Lévis Midi', 'A') RETURNING id",
    )
    .bind(w.district_a)
    .fetch_one(pool)
    .await
    .unwrap();
    let action = format!("/groupes/{group}/activation");
    let ask = post(&w.app, &dir, &action, &[("active", "non")]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(page.contains("Désactiver le groupe Lévis Midi"), "{page}");
    assert_asks(&page, &action);
    let active = |sql: &'static str, id: i64| async move {
        sqlx::query_scalar::<_, bool>(sql)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    assert!(active("SELECT active FROM groups WHERE id = $1", group).await);
    let done = post(
        &w.app,
        &dir,
        &action,
        &[("active", "non"), ("confirme", "oui")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(!active("SELECT active FROM groups WHERE id = $1", group).await);

    let district = w.app.create_district("Gaspésie").await;
    let action = format!("/districts/{district}/activation");
    let ask = post(&w.app, &dir, &action, &[("active", "non")]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert!(page.contains("Désactiver le district Gaspésie"), "{page}");
    assert_asks(&page, &action);
    assert!(active("SELECT active FROM districts WHERE id = $1", district).await);
    let done = post(
        &w.app,
        &dir,
        &action,
        &[("active", "non"), ("confirme", "oui")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(!active("SELECT active FROM districts WHERE id = $1", district).await);

    let action = format!("/utilisateurs/{}/desactivation", w.rep_a2);
    let ask = post(&w.app, &dir, &action, &[("representative_id", "")]).await;
    assert_eq!(ask.status(), 200);
    let page = ask.text().await.unwrap();
    assert_asks(&page, &action);
    assert!(active("SELECT active FROM users WHERE id = $1", w.rep_a2).await);
    let done = post(
        &w.app,
        &dir,
        &action,
        &[("representative_id", ""), ("confirme", "oui")],
    )
    .await;
    assert_eq!(done.status(), 303, "{}", location(&done));
    assert!(!active("SELECT active FROM users WHERE id = $1", w.rep_a2).await);
    // The list names the account.
    let list = get(&w.app, &dir, &location(&done))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Le compte de "), "{list}");
}

/// A request whose cycle was renewed another way (direction recorded the
/// renewal while the invoice was out) cannot renew the member a second
/// time: its payment is noted without a question (no date moves) and
/// without a second renewal.
#[tokio::test]
async fn a_payment_never_renews_a_cycle_twice() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = log_in(&w.app, REP_A1).await;
    let billing = log_in(&w.app, FACT).await;
    let fields = [("decision", "renew_same"), ("amount", "150")];
    let id = ask_and_send(&rep, &billing, w.m1, &fields).await;
    let fact = billing.client;
    let dir = client_as(&w.app, DIR).await;
    let renewed = post(
        &w.app,
        &dir,
        &format!("/membres/{}/renouvellement", w.m1),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(renewed.status(), 303);
    assert_eq!(member_status(pool, w.m1).await.1, "2028-05-01");

    // No question page (nothing would move): the payment is noted at once.
    let paid = post(&w.app, &fact, &format!("/facturation/{id}/payee"), &[]).await;
    assert_eq!(paid.status(), 303);
    assert_eq!(member_status(pool, w.m1).await.1, "2028-05-01");
    let (status, renewals): (String, i64) = sqlx::query_as(
        "SELECT b.status, (SELECT count(*) FROM renewals r WHERE r.member_id = b.member_id) \
         FROM billing_requests b WHERE b.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), renewals), ("paid", 1));
}

/// A member who left cannot be renewed by a payment: reactivation first.
#[tokio::test]
async fn a_payment_for_a_member_who_left_is_refused() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep = log_in(&w.app, REP_A1).await;
    let billing = log_in(&w.app, FACT).await;
    let fields = [("decision", "renew_same"), ("amount", "150")];
    let id = ask_and_send(&rep, &billing, w.m1, &fields).await;
    let fact = billing.client;
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = '2026-11-20', \
         lost_reason_id = (SELECT id FROM reasons ORDER BY id LIMIT 1) WHERE id = $1",
    )
    .bind(w.m1)
    .execute(pool)
    .await
    .unwrap();
    let refused = post(
        &w.app,
        &fact,
        &format!("/facturation/{id}/payee"),
        &[("confirme", "oui")],
    )
    .await;
    assert_eq!(refused.status(), 409);
    let page = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(page.contains("Ce membre a quitté le réseau"), "{page}");
    assert_eq!(
        member_status(pool, w.m1).await,
        ("lost".into(), "2027-05-01".into())
    );
    let status: String = sqlx::query_scalar("SELECT status FROM billing_requests WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "invoice_sent");
}
