//! Billing requests, renewals, departures and reactivations.
mod common;

use chrono::NaiveDate;
use common::{PASSWORD, TestApp, location};
use renouvo::domain::member::profession_key;
use renouvo::domain::user::Role;
use sqlx::PgPool;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Setup {
    rep: TestApp,
    billing: TestApp,
    direction: TestApp,
    manager: TestApp,
    district: i64,
    group: i64,
    rep_id: i64,
}

/// One database, four people each in their own browser, today 2026-11-29.
async fn setup() -> Setup {
    let rep = TestApp::spawn_at(d("2026-11-29")).await;
    let district = rep.create_district("Montréal").await;
    let rep_id = rep
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    rep.create_user("fact@test.ca", Role::Billing, None).await;
    rep.create_user("dir@test.ca", Role::Direction, None).await;
    rep.create_user("gest@test.ca", Role::DistrictManager, Some(district))
        .await;
    let group: i64 = sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind) VALUES ($1, 'Montréal Affaires', 'A') RETURNING id",
    )
    .bind(district)
    .fetch_one(&rep.pool)
    .await
    .unwrap();
    let other = |email: &'static str| {
        let rep = &rep;
        async move {
            let app = rep.sibling().await;
            assert_eq!(app.login(email, PASSWORD).await.status(), 303);
            app
        }
    };
    let billing = other("fact@test.ca").await;
    let direction = other("dir@test.ca").await;
    let manager = other("gest@test.ca").await;
    assert_eq!(rep.login("rep@test.ca", PASSWORD).await.status(), 303);
    Setup {
        rep,
        billing,
        direction,
        manager,
        district,
        group,
        rep_id,
    }
}

async fn exclusive_member(
    s: &Setup,
    name: &str,
    profession: &str,
    renewal: &str,
    term: i32,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         group_id, group_kind, formula, representative_id, join_date, renewal_date, term_months, \
         gr_credits_cents) \
         VALUES ('Membre', $1, $2, $3, $4, $5, 'A', 'exclusive', $6, '2018-04-01', $7, $8, 5000) \
         RETURNING id",
    )
    .bind(name)
    .bind(profession)
    .bind(profession_key(profession))
    .bind(s.district)
    .bind(s.group)
    .bind(s.rep_id)
    .bind(d(renewal))
    .bind(term)
    .fetch_one(&s.rep.pool)
    .await
    .unwrap()
}

async fn request_id(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT max(id) FROM billing_requests")
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

#[tokio::test]
async fn a_member_goes_from_billing_request_to_a_new_cycle() {
    let s = setup().await;
    // R = 2026-12-15: on 2026-11-29 the member is in « 3 semaines avant ».
    let m = exclusive_member(&s, "Cycle", "Notaire", "2026-12-15", 12).await;
    let day = s.rep.get("/aujourdhui").await.text().await.unwrap();
    assert!(day.contains("Demandes de facturation à envoyer"));
    let file = s
        .rep
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("L&#39;étape en cours demande d&#39;envoyer la demande")
            || file.contains("L'étape en cours demande d'envoyer la demande")
    );

    let r = s
        .rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[
                ("decision", "renew_same"),
                ("amount", "1 200,00"),
                ("note", "Rabais CA"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let rid = request_id(&s.rep.pool).await;
    let day = s.rep.get("/aujourdhui").await.text().await.unwrap();
    assert!(
        !day.contains("Demandes de facturation à envoyer"),
        "sent: no longer asked"
    );

    // Billing sees it in the queue, without any follow-up text.
    let queue = s.billing.get("/facturation").await.text().await.unwrap();
    assert!(queue.contains("Membre Cycle") && queue.contains("Renouvelle tel quel"));
    assert!(queue.contains("1\u{a0}200,00"));
    // Refused steps answer a message, never a 500.
    let early = s
        .billing
        .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
        .await;
    assert_eq!(early.status(), 409);
    assert!(
        early
            .text()
            .await
            .unwrap()
            .contains("elle ne peut pas être payée")
    );
    let early_confirm = s
        .rep
        .post_form(&format!("/facturation/{rid}/recue"), &[])
        .await;
    assert_eq!(early_confirm.status(), 409);

    assert_eq!(
        s.billing
            .post_form(&format!("/facturation/{rid}/envoyee"), &[])
            .await
            .status(),
        303
    );
    let twice = s
        .billing
        .post_form(&format!("/facturation/{rid}/envoyee"), &[])
        .await;
    assert_eq!(twice.status(), 409);
    assert!(
        twice
            .text()
            .await
            .unwrap()
            .contains("La facture a déjà été envoyée.")
    );
    // Representatives do not invoice; billing does not confirm receipt.
    assert_eq!(
        s.rep
            .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
            .await
            .status(),
        403
    );
    assert_eq!(
        s.billing
            .post_form(&format!("/facturation/{rid}/recue"), &[])
            .await
            .status(),
        403
    );

    let confirm = s
        .rep
        .post_form(
            &format!("/facturation/{rid}/recue"),
            &[("retour", "/aujourdhui")],
        )
        .await;
    assert_eq!(location(&confirm), format!("/aujourdhui?recue&membre={m}"));
    assert_eq!(
        s.billing
            .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
            .await
            .status(),
        303
    );

    let (renewal, formula, cycle, _) = member_dates(&s.rep.pool, m).await;
    assert_eq!(renewal, d("2027-12-15"));
    assert_eq!(formula, "exclusive");
    assert_eq!(cycle, 2);
    let steps: (bool, bool, bool) = sqlx::query_as(
        "SELECT invoice_sent_at IS NOT NULL, received_at IS NOT NULL, paid_at IS NOT NULL \
         FROM billing_requests WHERE id = $1",
    )
    .bind(rid)
    .fetch_one(&s.rep.pool)
    .await
    .unwrap();
    assert_eq!(steps, (true, true, true), "each step dated");
    let file = s
        .rep
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("À faire maintenant : Inscription (vérification)"),
        "new cycle starts at welcome"
    );
    assert!(file.contains("15 déc. 2026 → 15 déc. 2027"));
    // A new cycle can have its own request later; this one is paid.
    let again = s
        .billing
        .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
        .await;
    assert_eq!(again.status(), 409);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND field = 'Demande de facturation'",
    )
    .bind(m)
    .fetch_one(&s.rep.pool)
    .await
    .unwrap();
    assert_eq!(audited, 4, "created, sent, received, paid");
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_message() {
    let s = setup().await;
    let m = exclusive_member(&s, "Refus", "Dentiste", "2026-12-15", 12).await;
    let no_decision = s
        .rep
        .post_form(&format!("/membres/{m}/facturation"), &[("note", "gardée")])
        .await;
    assert_eq!(no_decision.status(), 422);
    let body = no_decision.text().await.unwrap();
    assert!(body.contains("Indiquez la décision du membre."));
    assert!(body.contains(">gardée</textarea>"));
    let same = s
        .rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[("decision", "change_formula"), ("new_formula", "exclusive")],
        )
        .await;
    assert_eq!(same.status(), 422);
    assert_eq!(
        s.rep
            .post_form(
                &format!("/membres/{m}/facturation"),
                &[("decision", "not_renewing")]
            )
            .await
            .status(),
        303
    );
    let dup = s
        .rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[("decision", "renew_same")],
        )
        .await;
    assert_eq!(dup.status(), 422);
    assert!(dup.text().await.unwrap().contains("existe déjà"));
    // « Ne renouvelle pas »: nothing to invoice.
    let rid = request_id(&s.rep.pool).await;
    let send = s
        .billing
        .post_form(&format!("/facturation/{rid}/envoyee"), &[])
        .await;
    assert_eq!(send.status(), 409);
    assert!(
        send.text()
            .await
            .unwrap()
            .contains("pas de facture à envoyer")
    );

    // A lost member gets no request.
    let lost = exclusive_member(&s, "Perdu", "Avocat", "2027-01-10", 12).await;
    let reason: i64 = sqlx::query_scalar("SELECT min(id) FROM reasons")
        .fetch_one(&s.rep.pool)
        .await
        .unwrap();
    let r = s
        .rep
        .post_form(
            &format!("/membres/{lost}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "2026-11-28"),
                ("reason_id", &reason.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = s
        .rep
        .post_form(
            &format!("/membres/{lost}/facturation"),
            &[("decision", "renew_same")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Ce membre est perdu"));
}

#[tokio::test]
async fn a_renewal_moves_the_date_by_the_term_across_month_ends() {
    let s = setup().await;
    let cases = [
        ("MoisLong", "Notaire", "2027-03-31", 12, "2028-03-31"),
        ("Bissextile", "Dentiste", "2028-02-29", 12, "2029-02-28"),
        ("SixMois", "Avocat", "2026-08-31", 6, "2027-02-28"),
        ("DeuxAns", "Fleuriste", "2027-01-31", 24, "2029-01-31"),
    ];
    for (name, profession, renewal, term, expected) in cases {
        let m = exclusive_member(&s, name, profession, renewal, term).await;
        let r = s
            .direction
            .post_form(
                &format!("/membres/{m}/renouvellement"),
                &[("confirme", "oui")],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        let (date, _, cycle, _) = member_dates(&s.rep.pool, m).await;
        assert_eq!(date, d(expected), "{name}");
        assert_eq!(cycle, 2);
        let kept: NaiveDate =
            sqlx::query_scalar("SELECT previous_renewal FROM renewals WHERE member_id = $1")
                .bind(m)
                .fetch_one(&s.rep.pool)
                .await
                .unwrap();
        assert_eq!(kept, d(renewal), "previous date kept in the history");
    }
    // Only direction records a renewal by hand.
    let m = exclusive_member(&s, "Autre", "Plombier", "2027-05-01", 12).await;
    assert_eq!(
        s.manager
            .post_form(
                &format!("/membres/{m}/renouvellement"),
                &[("confirme", "oui")]
            )
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_formula_change_applies_at_payment_and_keeps_seniority_and_credits() {
    let s = setup().await;
    let m = exclusive_member(&s, "Change", "Notaire", "2026-12-15", 12).await;
    s.rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[("decision", "change_formula"), ("new_formula", "regional")],
        )
        .await;
    let rid = request_id(&s.rep.pool).await;
    s.billing
        .post_form(&format!("/facturation/{rid}/envoyee"), &[])
        .await;
    assert_eq!(
        s.billing
            .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
            .await
            .status(),
        303
    );
    let (renewal, formula, _, group): (NaiveDate, String, i32, Option<i64>) =
        member_dates(&s.rep.pool, m).await;
    assert_eq!(
        (renewal, formula.as_str(), group),
        (d("2027-12-15"), "regional", None)
    );
    let (join, credits): (NaiveDate, i64) =
        sqlx::query_as("SELECT join_date, gr_credits_cents FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(&s.rep.pool)
            .await
            .unwrap();
    assert_eq!((join, credits), (d("2018-04-01"), 5000));
    // The seat is free again for someone else.
    let other = exclusive_member(&s, "Successeur", "notaire", "2027-09-01", 12).await;
    assert!(other > 0);
}

#[tokio::test]
async fn a_departure_frees_the_seat_and_a_reactivation_checks_it() {
    let s = setup().await;
    let m = exclusive_member(&s, "Depart", "Notaire", "2027-02-01", 12).await;
    // The reason is mandatory; the date may not be in the future.
    let r = s
        .rep
        .post_form(
            &format!("/membres/{m}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "2026-12-25"),
                ("reason_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("La raison principale est obligatoire."));
    assert!(body.contains("La date de départ ne peut pas être dans le futur."));
    let reason: i64 = sqlx::query_scalar("SELECT id FROM reasons WHERE label = 'Manque de temps'")
        .fetch_one(&s.rep.pool)
        .await
        .unwrap();
    let r = s
        .rep
        .post_form(
            &format!("/membres/{m}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "2026-11-28"),
                ("reason_id", &reason.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let day = s.rep.get("/aujourdhui").await.text().await.unwrap();
    assert!(
        !day.contains("Membre Depart"),
        "lost members leave every to-do list"
    );
    let file = s
        .rep
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("Manque de temps"));

    // Another member takes the profession in the same group, through the form.
    let form = [
        ("first_name", "Nouvelle"),
        ("last_name", "Notaire"),
        ("profession", "Notaire"),
        ("district_id", &s.district.to_string()),
        ("group_id", &s.group.to_string()),
        ("formula", "exclusive"),
        ("join_date", "2026-11-01"),
        ("renewal_date", "2027-11-01"),
        ("term_months", "12"),
    ];
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, *v)).collect();
    let r = s.manager.post_form("/membres/nouveau", &pairs).await;
    assert_eq!(r.status(), 303, "the seat is free");

    // Reactivating the first one is refused: the seat is taken now.
    let r = s
        .manager
        .post_form(
            &format!("/membres/{m}/reactivation"),
            &[("confirme", "oui"), ("renewal_date", "2027-06-01")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("est déjà occupée dans ce groupe par Nouvelle Notaire")
    );
    // Representatives do not reactivate.
    assert_eq!(
        s.rep
            .post_form(
                &format!("/membres/{m}/reactivation"),
                &[("confirme", "oui"), ("renewal_date", "2027-06-01")]
            )
            .await
            .status(),
        403
    );
    // Once the profession differs, it works and is audited.
    sqlx::query("UPDATE members SET profession = 'Notaire (droit familial)', profession_key = 'notaire (droit familial)' WHERE id = $1")
        .bind(m)
        .execute(&s.rep.pool)
        .await
        .unwrap();
    let r = s
        .manager
        .post_form(
            &format!("/membres/{m}/reactivation"),
            &[("confirme", "oui"), ("renewal_date", "2027-06-01")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, renewal): (String, NaiveDate) =
        sqlx::query_as("SELECT status, renewal_date FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(&s.rep.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), renewal), ("active", d("2027-06-01")));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity_id = $1 AND field IN ('Membre perdu', 'Membre réactivé')",
    )
    .bind(m)
    .fetch_one(&s.rep.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn billing_cannot_read_follow_up_texts() {
    let s = setup().await;
    let m = exclusive_member(&s, "Secret", "Notaire", "2026-12-15", 12).await;
    s.rep
        .post_form(
            &format!("/membres/{m}/suivis"),
            &[
                ("channel", "call"),
                ("body", "Confidentiel : difficultés familiales."),
                ("state", "yellow"),
            ],
        )
        .await;
    s.rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[("decision", "renew_same")],
        )
        .await;
    assert_eq!(s.billing.get(&format!("/membres/{m}")).await.status(), 403);
    assert_eq!(s.billing.get("/membres").await.status(), 403);
    assert_eq!(s.billing.get("/membres/export.csv").await.status(), 403);
    let queue = s.billing.get("/facturation").await.text().await.unwrap();
    assert!(queue.contains("Membre Secret"));
    assert!(!queue.contains("Confidentiel"));
    assert!(
        !queue.contains(&format!("href=\"/membres/{m}\"")),
        "no link billing could not follow"
    );
}

#[tokio::test]
async fn a_failure_midway_leaves_nothing_written() {
    let s = setup().await;
    let m = exclusive_member(&s, "Panne", "Notaire", "2026-12-15", 12).await;
    s.rep
        .post_form(
            &format!("/membres/{m}/facturation"),
            &[("decision", "renew_same")],
        )
        .await;
    let rid = request_id(&s.rep.pool).await;
    s.billing
        .post_form(&format!("/facturation/{rid}/envoyee"), &[])
        .await;
    // The renewal insert fails after the request was marked paid and the
    // member's date moved: the whole action must roll back.
    sqlx::raw_sql(
        "CREATE FUNCTION fail_renewal() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'panne simulée'; END $$; \
         CREATE TRIGGER fail_renewal BEFORE INSERT ON renewals FOR EACH ROW EXECUTE FUNCTION fail_renewal();",
    )
    .execute(&s.rep.pool)
    .await
    .unwrap();
    let r = s
        .billing
        .post_form(&format!("/facturation/{rid}/payee"), &[("confirme", "oui")])
        .await;
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("rien n&#39;a été enregistré") || body.contains("rien n'a été enregistré"),
        "{body}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM billing_requests WHERE id = $1")
        .bind(rid)
        .fetch_one(&s.rep.pool)
        .await
        .unwrap();
    assert_eq!(status, "invoice_sent");
    let (renewal, _, cycle, _) = member_dates(&s.rep.pool, m).await;
    assert_eq!((renewal, cycle), (d("2026-12-15"), 1));
    let audits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE new_value = 'Payée'")
            .fetch_one(&s.rep.pool)
            .await
            .unwrap();
    assert_eq!(audits, 0);
}

/// The queue pages through every open request, oldest first, 50 a page.
#[tokio::test]
async fn the_queue_pages_through_every_open_request() {
    let s = setup().await;
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
    .execute(&s.rep.pool)
    .await
    .unwrap();
    let first = s.billing.get("/facturation").await.text().await.unwrap();
    assert!(first.contains("60 demandes"), "{first}");
    assert!(first.contains("Page 1 sur 2"));
    assert!(first.contains("Demande01") && first.contains("Demande50"));
    assert!(!first.contains("Demande51"));
    assert!(first.contains("href=\"/facturation?page=2\""));
    let second = s
        .billing
        .get("/facturation?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(second.contains("Demande51") && second.contains("Demande60"));
    assert!(!second.contains("Demande50"));
    // The tab is kept from page to page.
    let paid = s
        .billing
        .get("/facturation?statut=payees&page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(paid.contains("Aucune demande"), "{paid}");
}

/// A departure cannot be dated before the member joined: told by the date
/// field, with what was typed kept, and nothing written.
#[tokio::test]
async fn a_departure_before_the_member_joined_is_refused_by_the_date() {
    let s = setup().await;
    // Joined on 2018-04-01 (see `exclusive_member`).
    let m = exclusive_member(&s, "Ancien", "Notaire", "2027-02-01", 12).await;
    let reason: i64 = sqlx::query_scalar("SELECT id FROM reasons WHERE label = 'Manque de temps'")
        .fetch_one(&s.rep.pool)
        .await
        .unwrap();
    let r = s
        .rep
        .post_form(
            &format!("/membres/{m}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "1990-01-01"),
                ("reason_id", &reason.to_string()),
            ],
        )
        .await;
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
    let (status, lost_on): (String, Option<NaiveDate>) =
        sqlx::query_as("SELECT status, lost_on FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(&s.rep.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), lost_on), ("active", None));
    // The day they joined is accepted.
    let r = s
        .rep
        .post_form(
            &format!("/membres/{m}/depart"),
            &[
                ("confirme", "oui"),
                ("lost_on", "2018-04-01"),
                ("reason_id", &reason.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
}
