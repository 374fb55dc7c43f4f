//! The billing queue: new work first, search and filters, amounts and the
//! tab's total, CSV, and pages through every row.
mod common;

use common::accounts::{FACT, World, client_as, get, insert_member, world};
use sqlx::PgPool;

/// A request asked `days_ago` days ago, in `status`, with `amount_cents`.
async fn request(
    pool: &PgPool,
    member: i64,
    by: i64,
    decision: &str,
    status: &str,
    days_ago: i32,
    amount_cents: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO billing_requests (member_id, cycle, requested_by, decision, status, \
         requested_at, amount_cents, invoice_sent_at, invoice_sent_by) \
         VALUES ($1, 0, $2, $3, $4, now() - make_interval(days => $5), $6, \
         CASE WHEN $4 = 'requested' THEN NULL ELSE now() END, \
         CASE WHEN $4 = 'requested' THEN NULL ELSE $2 END) RETURNING id",
    )
    .bind(member)
    .bind(by)
    .bind(decision)
    .bind(status)
    .bind(days_ago)
    .bind(amount_cents)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Where each name first appears in the page (panics if absent).
fn at(page: &str, name: &str) -> usize {
    page.find(name)
        .unwrap_or_else(|| panic!("{name} absent de la page"))
}

#[tokio::test]
async fn to_do_lists_invoices_to_send_first_oldest_first_then_awaiting_payment() {
    let w = world().await;
    let pool = &w.app.pool;
    // Created in this order, but not asked in this order: the oldest
    // request (Odile, five days ago) is not the first one created.
    request(
        pool,
        w.m1,
        w.rep_a1,
        "renew_same",
        "requested",
        1,
        Some(15000),
    )
    .await;
    request(
        pool,
        w.m2,
        w.rep_a1,
        "renew_same",
        "invoice_sent",
        10,
        Some(20000),
    )
    .await;
    request(
        pool,
        w.orphan_a,
        w.manager_a,
        "renew_same",
        "requested",
        5,
        None,
    )
    .await;
    request(pool, w.m_b, w.rep_b, "not_renewing", "requested", 20, None).await;

    let fact = client_as(&w.app, FACT).await;
    let page = get(&w.app, &fact, "/facturation")
        .await
        .text()
        .await
        .unwrap();
    let (odile, alice, benoit) = (
        at(&page, "Odile Orphelin"),
        at(&page, "Alice Audet"),
        at(&page, "Benoît Bouchard"),
    );
    assert!(
        odile < alice && alice < benoit,
        "ordre : {odile} {alice} {benoit}"
    );
    // Not renewing: not in « À traiter ».
    assert!(!page.contains("Bruno Brault"));
    // Amounts where known, in words where not, and the tab's figures.
    assert!(page.contains("150,00\u{a0}$"));
    assert!(page.contains("sans montant"));
    assert!(page.contains("3 demandes"), "{page}");
    assert!(
        page.contains("350,00\u{a0}$ au total, plus 1 demande sans montant"),
        "{page}"
    );
}

/// Four requests: Alice Audet (district A, asked a day ago) and Benoît
/// Bouchard (A, invoice sent, ten days ago) renewing; Bruno Brault (B) not
/// renewing; Carole Cyr (B) renewing. Returns the world and billing's
/// client.
async fn queue_of_four() -> (World, reqwest::Client) {
    let w = world().await;
    let pool = &w.app.pool;
    let (m1, m2, rep_a1) = (w.m1, w.m2, w.rep_a1);
    request(pool, m1, rep_a1, "renew_same", "requested", 1, Some(15000)).await;
    request(
        pool,
        m2,
        rep_a1,
        "renew_same",
        "invoice_sent",
        10,
        Some(20000),
    )
    .await;
    request(pool, w.m_b, w.rep_b, "not_renewing", "requested", 20, None).await;
    let other = insert_member(pool, "Carole", "Cyr", w.district_b, Some(w.rep_b)).await;
    request(
        pool,
        other,
        w.rep_b,
        "renew_same",
        "requested",
        3,
        Some(9900),
    )
    .await;
    let fact = client_as(&w.app, FACT).await;
    (w, fact)
}

async fn text(w: &World, client: &reqwest::Client, path: &str) -> String {
    get(&w.app, client, path).await.text().await.unwrap()
}

#[tokio::test]
async fn the_queue_is_searched_by_member_name() {
    let (w, fact) = queue_of_four().await;
    let found = text(&w, &fact, "/facturation?q=bouch").await;
    assert!(found.contains("Benoît Bouchard") && !found.contains("Alice Audet"));
    assert!(found.contains("1 demande"));
}

#[tokio::test]
async fn the_queue_is_filtered_by_district_and_by_decision() {
    let (w, fact) = queue_of_four().await;
    let district = text(
        &w,
        &fact,
        &format!("/facturation?district={}", w.district_b),
    )
    .await;
    assert!(district.contains("Carole Cyr") && !district.contains("Alice Audet"));
    let decision = text(
        &w,
        &fact,
        "/facturation?statut=toutes&decision=not_renewing",
    )
    .await;
    assert!(decision.contains("Bruno Brault") && !decision.contains("Carole Cyr"));
}

#[tokio::test]
async fn the_queue_csv_follows_the_search_in_the_same_order_and_the_links_keep_it() {
    let (w, fact) = queue_of_four().await;
    let path = format!("/facturation/export.csv?district={}", w.district_a);
    let csv = text(&w, &fact, &path).await;
    assert!(csv.contains("Alice Audet") && csv.contains("Bouchard"));
    assert!(!csv.contains("Carole"));
    assert!(at(&csv, "Alice Audet") < at(&csv, "Bouchard"));
    let page = text(&w, &fact, "/facturation?q=cyr").await;
    assert!(page.contains("/facturation/export.csv?q=cyr"));
}

#[tokio::test]
async fn every_open_request_can_be_reached_page_by_page() {
    let w = world().await;
    let pool = &w.app.pool;
    // 120 requests to send: three pages of 50.
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         formula, join_date, renewal_date) \
         SELECT 'Lot', 'Membre ' || lpad(n::text, 3, '0'), 'Comptable', 'comptable', $1, \
         'regional', '2024-01-01', '2027-01-01' FROM generate_series(1, 120) n RETURNING id",
    )
    .bind(w.district_a)
    .fetch_all(pool)
    .await
    .unwrap();
    for (i, id) in ids.iter().enumerate() {
        // The last one created is the oldest.
        request(
            pool,
            *id,
            w.direction,
            "renew_same",
            "requested",
            200 + i as i32,
            None,
        )
        .await;
    }
    let fact = client_as(&w.app, FACT).await;
    let first = get(&w.app, &fact, "/facturation")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("120 demandes"));
    assert!(first.contains("Membre 120") && !first.contains("Membre 001"));
    assert!(at(&first, "Membre 120") < at(&first, "Membre 119"));
    assert!(first.contains("/facturation?page=2"));
    let last = get(&w.app, &fact, "/facturation?page=3")
        .await
        .text()
        .await
        .unwrap();
    assert!(last.contains("Membre 001") && !last.contains("Membre 120"));
    assert!(!last.contains("/facturation?page=4"));
}

/// Rows of the tally kept per district, status and decision that differ
/// from the requests counted from scratch (kept, counted).
async fn tally_drift(pool: &PgPool) -> Vec<(i64, String, String, Vec<i64>, Vec<i64>)> {
    sqlx::query_as(
        "WITH kept AS (SELECT district_id, status, decision, \
           ARRAY[requests, priced, amount_cents]::bigint[] AS n FROM billing_tallies \
           WHERE (requests, priced, amount_cents) <> (0, 0, 0)), \
         counted AS (SELECT m.district_id, b.status, b.decision, \
           ARRAY[count(*), count(b.amount_cents), COALESCE(sum(b.amount_cents), 0)]::bigint[] AS n \
           FROM billing_requests b JOIN members m ON m.id = b.member_id GROUP BY 1, 2, 3) \
         SELECT district_id, status, decision, COALESCE(k.n, '{}'), COALESCE(c.n, '{}') \
         FROM kept k FULL JOIN counted c USING (district_id, status, decision) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The tab's figures come from a tally (migration 0030): it follows a
/// request asked, priced, moved along, its member moving district, and a
/// request removed; and the figures of a district's tab follow the move.
#[tokio::test]
async fn the_tabs_figures_follow_every_change_of_a_request_and_of_its_member() {
    let w = world().await;
    let pool = &w.app.pool;
    let r1 = request(pool, w.m1, w.rep_a1, "renew_same", "requested", 3, None).await;
    let r2 = request(
        pool,
        w.m2,
        w.rep_a1,
        "renew_same",
        "invoice_sent",
        2,
        Some(20000),
    )
    .await;
    request(pool, w.m_b, w.rep_b, "not_renewing", "requested", 1, None).await;
    assert!(tally_drift(pool).await.is_empty());
    let writes = [
        "UPDATE billing_requests SET amount_cents = 15000 WHERE id = $1",
        "UPDATE billing_requests SET status = 'invoice_sent' WHERE id = $1",
        "UPDATE billing_requests SET decision = 'change_formula', new_formula = 'exclusive' \
         WHERE id = $1",
        "UPDATE billing_requests SET amount_cents = NULL WHERE id = $1",
        "UPDATE billing_requests SET status = 'paid', amount_cents = 18000 WHERE id = $1",
    ];
    for sql in writes {
        sqlx::query(sql).bind(r1).execute(pool).await.unwrap();
        assert_eq!(tally_drift(pool).await, vec![], "after {sql}");
    }

    let fact = client_as(&w.app, FACT).await;
    let tab_of_b = format!("/facturation?district={}", w.district_b);
    let before = get(&w.app, &fact, &tab_of_b).await.text().await.unwrap();
    assert!(!before.contains("Benoît Bouchard"));
    assert!(!before.contains("200,00"), "{before}");
    // Benoît moves to the other district with his request.
    sqlx::query("UPDATE members SET district_id = $2 WHERE id = $1")
        .bind(w.m2)
        .bind(w.district_b)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(tally_drift(pool).await, vec![], "after the move");
    let after = get(&w.app, &fact, &tab_of_b).await.text().await.unwrap();
    assert!(after.contains("Benoît Bouchard"), "{after}");
    assert!(after.contains("1 demande"), "{after}");
    assert!(after.contains("200,00\u{a0}$ au total"), "{after}");

    sqlx::query("DELETE FROM billing_requests WHERE id = $1")
        .bind(r2)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(tally_drift(pool).await, vec![], "after the removal");
}
