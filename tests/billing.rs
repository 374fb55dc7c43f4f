//! Billing requests, renewals, departures and reactivations.
mod common;

use chrono::NaiveDate;
use common::actions::{self, Browser, billing_of, log_in, member_form, reason_named};
use common::builders::{MemberBuilder, count, date as d, insert_group};
use common::{TestApp, location};
use renouvo::domain::user::Role;
use sqlx::PgPool;

/// One database: a district with an A group, one person per role; today
/// 2026-11-29.
struct Setup {
    app: TestApp,
    district: i64,
    group: i64,
    rep_id: i64,
}

/// The four people, each logged in in their own browser.
struct People<'a> {
    rep: Browser<'a>,
    billing: Browser<'a>,
    direction: Browser<'a>,
    manager: Browser<'a>,
}

async fn setup() -> Setup {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let district = app.create_district("Montréal").await;
    let rep_id = app
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    app.create_user("gest@test.ca", Role::DistrictManager, Some(district))
        .await;
    let group = insert_group(&app.pool, district, "Montréal Affaires", "A").await;
    Setup {
        app,
        district,
        group,
        rep_id,
    }
}

impl Setup {
    async fn people(&self) -> People<'_> {
        People {
            rep: log_in(&self.app, "rep@test.ca").await,
            billing: log_in(&self.app, "fact@test.ca").await,
            direction: log_in(&self.app, "dir@test.ca").await,
            manager: log_in(&self.app, "gest@test.ca").await,
        }
    }
}

/// « Membre {name} », exclusive in the setup's A group, the rep's, joined
/// 2018-04-01, with 50 $ of GR credits.
async fn exclusive_member(
    s: &Setup,
    name: &str,
    profession: &str,
    renewal: &str,
    term: i32,
) -> i64 {
    MemberBuilder::new(s.district)
        .name("Membre", name)
        .profession(profession)
        .exclusive_in(s.group, "A")
        .rep(s.rep_id)
        .joined("2018-04-01")
        .renewing(renewal)
        .term(term)
        .credits(5000)
        .insert(&s.app.pool)
        .await
}

async fn request_id(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT max(id) FROM billing_requests")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn request_status(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM billing_requests WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn member_dates(pool: &PgPool, id: i64) -> (NaiveDate, String, i32, Option<i64>) {
    sqlx::query_as("SELECT renewal_date, formula, cycle, group_id FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The rep's request « Renouvelle tel quel, 1 200,00 $, Rabais CA » for
/// the member (checked: where it goes, what it wrote).
async fn request_1200(s: &Setup, p: &People<'_>, m: i64) -> i64 {
    let r = actions::request_billing(
        &p.rep,
        m,
        &[
            ("decision", "renew_same"),
            ("amount", "1 200,00"),
            ("note", "Rabais CA"),
        ],
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/membres/{m}?facturation=1#facturation")
    );
    let rid = request_id(&s.app.pool).await;
    let (member, status, cents): (i64, String, Option<i64>) = sqlx::query_as(
        "SELECT member_id, status, amount_cents FROM billing_requests WHERE id = $1",
    )
    .bind(rid)
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    assert_eq!(
        (member, status.as_str(), cents),
        (m, "requested", Some(120_000))
    );
    rid
}

#[tokio::test]
async fn a_billing_request_goes_from_requested_to_paid_and_opens_a_new_cycle() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    // R = 2026-12-15: on 2026-11-29 the member is in « 3 semaines avant ».
    let m = exclusive_member(&s, "Cycle", "Notaire", "2026-12-15", 12).await;
    let (_, day) = p.rep.page("/aujourdhui").await;
    assert!(day.contains("Demandes de facturation à envoyer"));
    let (_, file) = p.rep.page(&format!("/membres/{m}")).await;
    assert!(
        file.contains("L&#39;étape en cours demande d&#39;envoyer la demande")
            || file.contains("L'étape en cours demande d'envoyer la demande")
    );
    let rid = request_1200(&s, &p, m).await;
    let (_, day) = p.rep.page("/aujourdhui").await;
    assert!(
        !day.contains("Demandes de facturation à envoyer"),
        "sent: no longer asked"
    );
    // Billing sees it in the queue, without any follow-up text.
    let (_, queue) = p.billing.page("/facturation").await;
    assert!(queue.contains("Membre Cycle") && queue.contains("Renouvelle tel quel"));
    assert!(queue.contains("1\u{a0}200,00"));

    let sent = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(
        location(&sent),
        format!("/facturation?fait=envoyee&membre={m}")
    );
    let confirm = actions::confirm_received(&p.rep, rid, "/aujourdhui").await;
    assert_eq!(location(&confirm), format!("/aujourdhui?recue&membre={m}"));
    let paid = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(
        location(&paid),
        format!("/facturation?fait=payee&membre={m}")
    );

    let (renewal, formula, cycle, _) = member_dates(pool, m).await;
    assert_eq!(renewal, d("2027-12-15"));
    assert_eq!(formula, "exclusive");
    assert_eq!(cycle, 2);
    let steps: (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT invoice_sent_by, received_by, paid_by FROM billing_requests \
         WHERE id = $1 AND invoice_sent_at IS NOT NULL AND received_at IS NOT NULL \
         AND paid_at IS NOT NULL",
    )
    .bind(rid)
    .fetch_one(pool)
    .await
    .expect("each step dated");
    let billing_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'fact@test.ca'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        steps,
        (Some(billing_id), Some(s.rep_id), Some(billing_id)),
        "each step signed"
    );
    let (_, file) = p.rep.page(&format!("/membres/{m}")).await;
    assert!(
        file.contains("À faire maintenant : Inscription (vérification)"),
        "new cycle starts at welcome"
    );
    assert!(file.contains("15 déc. 2026 → 15 déc. 2027"));
    let audited = count(
        pool,
        &format!(
            "SELECT count(*) FROM audit_log WHERE entity_id = {m} \
             AND field = 'Demande de facturation'"
        ),
    )
    .await;
    assert_eq!(audited, 4, "created, sent, received, paid");
}

#[tokio::test]
async fn billing_steps_out_of_order_or_by_the_wrong_role_are_refused() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Ordre", "Notaire", "2026-12-15", 12).await;
    let rid = request_1200(&s, &p, m).await;
    // Refused steps answer a message, never a 500.
    let early = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(early.status(), 409);
    assert!(
        early
            .text()
            .await
            .unwrap()
            .contains("elle ne peut pas être payée")
    );
    let early_confirm = actions::confirm_received(&p.rep, rid, &billing_of(m)).await;
    assert_eq!(early_confirm.status(), 409);
    assert_eq!(request_status(pool, rid).await, "requested");

    let sent = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(
        location(&sent),
        format!("/facturation?fait=envoyee&membre={m}")
    );
    let twice = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(twice.status(), 409);
    assert!(
        twice
            .text()
            .await
            .unwrap()
            .contains("La facture a déjà été envoyée.")
    );
    // Representatives do not invoice; billing does not confirm receipt.
    assert_eq!(actions::mark_paid(&p.rep, rid).await.status(), 403);
    assert_eq!(
        actions::confirm_received(&p.billing, rid, &billing_of(m))
            .await
            .status(),
        403
    );
    assert_eq!(request_status(pool, rid).await, "invoice_sent");

    // Once paid, it cannot be paid again (a new cycle has its own request).
    let paid = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(
        location(&paid),
        format!("/facturation?fait=payee&membre={m}")
    );
    let again = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(again.status(), 409);
    let (_, _, cycle, _) = member_dates(pool, m).await;
    assert_eq!(cycle, 2, "renewed once");
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_message() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Refus", "Dentiste", "2026-12-15", 12).await;
    let no_decision = actions::request_billing(&p.rep, m, &[("note", "gardée")]).await;
    assert_eq!(no_decision.status(), 422);
    let body = no_decision.text().await.unwrap();
    assert!(body.contains("Indiquez la décision du membre."));
    assert!(body.contains(">gardée</textarea>"));
    let same = actions::request_billing(
        &p.rep,
        m,
        &[("decision", "change_formula"), ("new_formula", "exclusive")],
    )
    .await;
    assert_eq!(same.status(), 422);
    assert_eq!(
        count(pool, "SELECT count(*) FROM billing_requests").await,
        0
    );
    let not_renewing = actions::request_billing(&p.rep, m, &[("decision", "not_renewing")]).await;
    assert_eq!(
        location(&not_renewing),
        format!("/membres/{m}?facturation=1#facturation")
    );
    let dup = actions::request_renewal_as_is(&p.rep, m).await;
    assert_eq!(dup.status(), 422);
    assert!(dup.text().await.unwrap().contains("existe déjà"));
    // « Ne renouvelle pas »: nothing to invoice.
    let rid = request_id(pool).await;
    let send = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(send.status(), 409);
    assert!(
        send.text()
            .await
            .unwrap()
            .contains("pas de facture à envoyer")
    );
    assert_eq!(request_status(pool, rid).await, "requested");
    assert_eq!(
        count(pool, "SELECT count(*) FROM billing_requests").await,
        1
    );
}

#[tokio::test]
async fn a_lost_member_gets_no_billing_request() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let lost = exclusive_member(&s, "Perdu", "Avocat", "2027-01-10", 12).await;
    let reason = actions::some_reason(pool).await;
    let r = actions::depart(&p.rep, lost, "2026-11-28", &reason).await;
    assert_eq!(location(&r), format!("/membres/{lost}?perdu=1"));
    let r = actions::request_renewal_as_is(&p.rep, lost).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Ce membre est perdu"));
    assert_eq!(
        count(pool, "SELECT count(*) FROM billing_requests").await,
        0
    );
}

#[tokio::test]
async fn a_renewal_moves_the_date_by_the_term_across_month_ends() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let cases = [
        ("MoisLong", "Notaire", "2027-03-31", 12, "2028-03-31"),
        ("Bissextile", "Dentiste", "2028-02-29", 12, "2029-02-28"),
        ("SixMois", "Avocat", "2026-08-31", 6, "2027-02-28"),
        ("DeuxAns", "Fleuriste", "2027-01-31", 24, "2029-01-31"),
    ];
    for (name, profession, renewal, term, expected) in cases {
        let m = exclusive_member(&s, name, profession, renewal, term).await;
        let r = actions::record_renewal(&p.direction, m).await;
        assert_eq!(location(&r), format!("/membres/{m}?renouvele=1"), "{name}");
        let (date, _, cycle, _) = member_dates(pool, m).await;
        assert_eq!(date, d(expected), "{name}");
        assert_eq!(cycle, 2);
        let kept: NaiveDate =
            sqlx::query_scalar("SELECT previous_renewal FROM renewals WHERE member_id = $1")
                .bind(m)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(kept, d(renewal), "previous date kept in the history");
    }
    // Only direction records a renewal by hand.
    let m = exclusive_member(&s, "Autre", "Plombier", "2027-05-01", 12).await;
    assert_eq!(actions::record_renewal(&p.manager, m).await.status(), 403);
    assert_eq!(member_dates(pool, m).await.0, d("2027-05-01"));
}

#[tokio::test]
async fn a_formula_change_applies_at_payment_and_keeps_seniority_and_credits() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Change", "Notaire", "2026-12-15", 12).await;
    let r = actions::request_billing(
        &p.rep,
        m,
        &[("decision", "change_formula"), ("new_formula", "regional")],
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/membres/{m}?facturation=1#facturation")
    );
    let rid = request_id(pool).await;
    let sent = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(
        location(&sent),
        format!("/facturation?fait=envoyee&membre={m}")
    );
    let paid = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(
        location(&paid),
        format!("/facturation?fait=payee&membre={m}")
    );
    let (renewal, formula, _, group): (NaiveDate, String, i32, Option<i64>) =
        member_dates(pool, m).await;
    assert_eq!(
        (renewal, formula.as_str(), group),
        (d("2027-12-15"), "regional", None)
    );
    let (join, credits): (NaiveDate, i64) =
        sqlx::query_as("SELECT join_date, gr_credits_cents FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((join, credits), (d("2018-04-01"), 5000));
    // The seat is free again: the manager gives it to someone else.
    let form = member_form(
        s.district,
        &[
            ("last_name", "Successeur"),
            ("profession", "notaire"),
            ("formula", "exclusive"),
            ("group_id", &s.group.to_string()),
        ],
    );
    let r = actions::create_member(&p.manager, &form).await;
    let successor: i64 =
        sqlx::query_scalar("SELECT id FROM members WHERE last_name = 'Successeur'")
            .fetch_one(pool)
            .await
            .expect("the seat was free");
    assert_eq!(location(&r), format!("/membres/{successor}?enregistre=1"));
}

#[tokio::test]
async fn a_departure_needs_a_reason_and_a_past_date_and_leaves_the_to_do_lists() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Depart", "Notaire", "2027-02-01", 12).await;
    // The reason is mandatory; the date may not be in the future.
    let r = actions::depart(&p.rep, m, "2026-12-25", "").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("La raison principale est obligatoire."));
    assert!(body.contains("La date de départ ne peut pas être dans le futur."));
    assert_eq!(
        count(pool, "SELECT count(*) FROM members WHERE status = 'lost'").await,
        0
    );
    let reason = reason_named(pool, "Manque de temps").await;
    let r = actions::depart(&p.rep, m, "2026-11-28", &reason).await;
    assert_eq!(location(&r), format!("/membres/{m}?perdu=1"));
    let (status, lost_on): (String, Option<NaiveDate>) =
        sqlx::query_as("SELECT status, lost_on FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), lost_on), ("lost", Some(d("2026-11-28"))));
    let (_, day) = p.rep.page("/aujourdhui").await;
    assert!(
        !day.contains("Membre Depart"),
        "lost members leave every to-do list"
    );
    let (_, file) = p.rep.page(&format!("/membres/{m}")).await;
    assert!(file.contains("Manque de temps"));
}

#[tokio::test]
async fn a_reactivation_waits_for_the_exclusive_seat_to_be_free() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Depart", "Notaire", "2027-02-01", 12).await;
    let reason = reason_named(pool, "Manque de temps").await;
    let r = actions::depart(&p.rep, m, "2026-11-28", &reason).await;
    assert_eq!(location(&r), format!("/membres/{m}?perdu=1"));

    // Another member takes the profession in the same group, through the form.
    let form = member_form(
        s.district,
        &[
            ("first_name", "Nouvelle"),
            ("last_name", "Notaire"),
            ("profession", "Notaire"),
            ("formula", "exclusive"),
            ("group_id", &s.group.to_string()),
            ("join_date", "2026-11-01"),
            ("renewal_date", "2027-11-01"),
        ],
    );
    let r = actions::create_member(&p.manager, &form).await;
    let holder: i64 = sqlx::query_scalar(
        "SELECT id FROM members WHERE first_name = 'Nouvelle' AND status = 'active'",
    )
    .fetch_one(pool)
    .await
    .expect("the seat is free");
    assert_eq!(location(&r), format!("/membres/{holder}?enregistre=1"));

    // Reactivating the first one is refused: the seat is taken now.
    let r = actions::reactivate(&p.manager, m, "2027-06-01").await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("est déjà occupée dans ce groupe par Nouvelle Notaire")
    );
    // Representatives do not reactivate.
    assert_eq!(
        actions::reactivate(&p.rep, m, "2027-06-01").await.status(),
        403
    );
    assert_eq!(
        count(pool, "SELECT count(*) FROM members WHERE status = 'lost'").await,
        1
    );
    // Once the profession differs, it works and is audited.
    sqlx::query(
        "UPDATE members SET profession = 'Notaire (droit familial)', \
         profession_key = 'notaire (droit familial)' WHERE id = $1",
    )
    .bind(m)
    .execute(pool)
    .await
    .unwrap();
    let r = actions::reactivate(&p.manager, m, "2027-06-01").await;
    assert_eq!(location(&r), format!("/membres/{m}?reactive=1"));
    let (status, renewal): (String, NaiveDate) =
        sqlx::query_as("SELECT status, renewal_date FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), renewal), ("active", d("2027-06-01")));
    let audited = count(
        pool,
        &format!(
            "SELECT count(*) FROM audit_log WHERE entity_id = {m} \
             AND field IN ('Membre perdu', 'Membre réactivé')"
        ),
    )
    .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn billing_cannot_read_follow_up_texts() {
    let s = setup().await;
    let p = s.people().await;
    let m = exclusive_member(&s, "Secret", "Notaire", "2026-12-15", 12).await;
    let secret = "Confidentiel : difficultés familiales.";
    let r = actions::log_follow_up(&p.rep, m, secret, "yellow").await;
    assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    let r = actions::request_renewal_as_is(&p.rep, m).await;
    assert_eq!(
        location(&r),
        format!("/membres/{m}?facturation=1#facturation")
    );
    assert_eq!(p.billing.get(&format!("/membres/{m}")).await.status(), 403);
    assert_eq!(p.billing.get("/membres").await.status(), 403);
    assert_eq!(p.billing.get("/membres/export.csv").await.status(), 403);
    let (_, queue) = p.billing.page("/facturation").await;
    assert!(queue.contains("Membre Secret"));
    assert!(!queue.contains("Confidentiel"));
    assert!(
        !queue.contains(&format!("href=\"/membres/{m}\"")),
        "no link billing could not follow"
    );
}

#[tokio::test]
async fn a_payment_that_fails_midway_leaves_nothing_written() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    let m = exclusive_member(&s, "Panne", "Notaire", "2026-12-15", 12).await;
    let rid = request_1200(&s, &p, m).await;
    let sent = actions::send_invoice(&p.billing, rid).await;
    assert_eq!(
        location(&sent),
        format!("/facturation?fait=envoyee&membre={m}")
    );
    // The renewal insert fails after the request was marked paid and the
    // member's date moved: the whole action must roll back.
    sqlx::raw_sql(
        "CREATE FUNCTION fail_renewal() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'panne simulée'; END $$; \
         CREATE TRIGGER fail_renewal BEFORE INSERT ON renewals FOR EACH ROW EXECUTE FUNCTION fail_renewal();",
    )
    .execute(pool)
    .await
    .unwrap();
    let r = actions::mark_paid(&p.billing, rid).await;
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("rien n&#39;a été enregistré") || body.contains("rien n'a été enregistré"),
        "{body}"
    );
    assert_eq!(request_status(pool, rid).await, "invoice_sent");
    let (renewal, _, cycle, _) = member_dates(pool, m).await;
    assert_eq!((renewal, cycle), (d("2026-12-15"), 1));
    let audits = count(
        pool,
        "SELECT count(*) FROM audit_log WHERE new_value = 'Payée'",
    )
    .await;
    assert_eq!(audits, 0);
}

/// The queue pages through every open request, oldest first, 50 a page.
#[tokio::test]
async fn the_queue_pages_through_every_open_request() {
    let s = setup().await;
    let p = s.people().await;
    // 60 partners, each with a request made a day apart (the oldest first).
    sqlx::query(
        "WITH m AS (INSERT INTO members (first_name, last_name, profession, profession_key, \
           district_id, formula, join_date, renewal_date, term_months, representative_id) \
           SELECT 'Membre', 'Demande' || lpad(i::text, 2, '0'), 'Conseil', 'conseil', $1, \
             'partner', DATE '2020-01-01', DATE '2027-01-01', 12, $2 \
           FROM generate_series(1, 60) AS i RETURNING id, last_name) \
         INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision) \
         SELECT m.id, 1, $2, TIMESTAMPTZ '2026-09-01 12:00-04' \
           + make_interval(days => substr(m.last_name, 8)::int), 'renew_same' FROM m",
    )
    .bind(s.district)
    .bind(s.rep_id)
    .execute(&s.app.pool)
    .await
    .unwrap();
    let first = p.billing.page("/facturation").await.1;
    assert!(first.contains("60 demandes"), "{first}");
    assert!(first.contains("Page 1 sur 2"));
    assert!(first.contains("Demande01") && first.contains("Demande50"));
    assert!(!first.contains("Demande51"));
    assert!(first.contains("href=\"/facturation?page=2\""));
    let (_, second) = p.billing.page("/facturation?page=2").await;
    assert!(second.contains("Demande51") && second.contains("Demande60"));
    assert!(!second.contains("Demande50"));
    // The tab is kept from page to page.
    let (_, paid) = p.billing.page("/facturation?statut=payees&page=2").await;
    assert!(paid.contains("Aucune demande"), "{paid}");
}

/// A departure cannot be dated before the member joined: told by the date
/// field, with what was typed kept, and nothing written.
#[tokio::test]
async fn a_departure_before_the_member_joined_is_refused_by_the_date() {
    let s = setup().await;
    let p = s.people().await;
    let pool = &s.app.pool;
    // Joined on 2018-04-01 (see `exclusive_member`).
    let m = exclusive_member(&s, "Ancien", "Notaire", "2027-02-01", 12).await;
    let reason = reason_named(pool, "Manque de temps").await;
    let r = actions::depart(&p.rep, m, "1990-01-01", &reason).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "La date de départ ne peut pas précéder l&#39;adhésion du membre (1 avr. 2018)."
        ),
        "{body}"
    );
    assert!(
        body.contains("value=\"1990-01-01\""),
        "the typed date is kept"
    );
    let lost = |m: i64| async move {
        sqlx::query_as::<_, (String, Option<NaiveDate>)>(
            "SELECT status, lost_on FROM members WHERE id = $1",
        )
        .bind(m)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    assert_eq!(lost(m).await, ("active".to_string(), None));
    // The day they joined is accepted.
    let r = actions::depart(&p.rep, m, "2018-04-01", &reason).await;
    assert_eq!(location(&r), format!("/membres/{m}?perdu=1"));
    assert_eq!(lost(m).await, ("lost".to_string(), Some(d("2018-04-01"))));
}
