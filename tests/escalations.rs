//! Reasons a member gives and escalations: recording a reason (its
//! follow-up, its escalation), raising one, the queue and its overdue
//! rule, the receivers' moves along the chain, response times, bad input
//! and all-or-nothing writes.
mod common;

use chrono::NaiveDate;
use common::builders::{MemberBuilder, count};
use common::{PASSWORD, TestApp, location};
use renouvo::domain::user::Role;
use sqlx::PgPool;

const TODAY: &str = "2026-11-29";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A text as the templates escape it.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// « Membre {name} », regional, renewing 2027-01-15 (« 2 mois avant »).
async fn member(pool: &PgPool, name: &str, district: i64, rep: Option<i64>) -> i64 {
    let mut m = MemberBuilder::new(district)
        .name("Membre", name)
        .profession(&format!("Profession {name}"))
        .joined("2015-01-01")
        .renewing("2027-01-15");
    if let Some(rep) = rep {
        m = m.rep(rep);
    }
    m.insert(pool).await
}

struct Team {
    app: TestApp,
    district: i64,
    other_district: i64,
    manager: i64,
    other_manager: i64,
    rep: i64,
    other_rep: i64,
    direction: i64,
}

async fn team() -> Team {
    let app = TestApp::spawn_at(d(TODAY)).await;
    let district = app.create_district("Montréal").await;
    let other_district = app.create_district("Capitale-Nationale").await;
    let manager = app
        .create_user("gest@test.ca", Role::DistrictManager, Some(district))
        .await;
    let other_manager = app
        .create_user("gest2@test.ca", Role::DistrictManager, Some(other_district))
        .await;
    let rep = app
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    let other_rep = app
        .create_user("autre@test.ca", Role::Representative, Some(district))
        .await;
    let direction = app.create_user("dir@test.ca", Role::Direction, None).await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    Team {
        app,
        district,
        other_district,
        manager,
        other_manager,
        rep,
        other_rep,
        direction,
    }
}

async fn reason_id(pool: &PgPool, label_start: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM reasons WHERE label LIKE $1 || '%'")
        .bind(label_start)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn record(app: &TestApp, member: i64, reason: &str, tried: &str) -> reqwest::Response {
    app.post_form(
        &format!("/membres/{member}/raisons"),
        &[("reason_id", reason), ("answer_tried", tried)],
    )
    .await
}

async fn raise(app: &TestApp, member: i64, level: &str, body: &str) -> reqwest::Response {
    app.post_form(
        &format!("/membres/{member}/escalades"),
        &[("level", level), ("body", body)],
    )
    .await
}

/// Raises an escalation (checked: where it goes) and returns its id.
async fn raised(app: &TestApp, member: i64, level: &str, body: &str) -> i64 {
    let r = raise(app, member, level, body).await;
    assert_eq!(
        location(&r),
        format!("/membres/{member}?escalade=1#escalades")
    );
    let (id, about): (i64, i64) =
        sqlx::query_as("SELECT id, member_id FROM escalations ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(about, member);
    id
}

/// The last escalation opened.
async fn last_escalation(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT max(id) FROM escalations")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn status_of(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM escalations WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The table row (`<tr …</tr>`) mentioning `needle`.
fn row_with<'a>(html: &'a str, needle: &str) -> &'a str {
    html.split("<tr")
        .find(|row| row.contains(needle))
        .unwrap_or_else(|| panic!("pas de ligne avec {needle}"))
}

#[tokio::test]
async fn a_reason_opens_the_escalation_its_catalogue_entry_asks_for() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Tremblay", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;

    let unhappy = reason_id(pool, "Insatisfait de notre service").await;
    let r = record(
        &t.app,
        m,
        &unhappy.to_string(),
        "Formulaire rempli avec lui.",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/membres/{m}?raison=1#raisons"));
    let (level, raised_by, reason, due, status, body): (
        String,
        i64,
        Option<i64>,
        NaiveDate,
        String,
        String,
    ) = sqlx::query_as("SELECT level, raised_by, reason_id, due_on, status, body FROM escalations")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(level, "customer_service");
    assert_eq!((raised_by, reason), (t.rep, Some(unhappy)));
    assert_eq!(due, d("2026-12-06"), "due 7 days after it was raised");
    assert_eq!(status, "open");
    assert!(body.contains("Insatisfait de notre service") && body.contains("Formulaire rempli"));

    let negative = reason_id(pool, "Personnes négatives").await;
    let r = record(&t.app, m, &negative.to_string(), "").await;
    assert_eq!(location(&r), format!("/membres/{m}?raison=1#raisons"));
    let level: String =
        sqlx::query_scalar("SELECT level FROM escalations ORDER BY id DESC LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(level, "district");

    let no_time = reason_id(pool, "Manque de temps").await;
    let r = record(&t.app, m, &no_time.to_string(), "").await;
    assert_eq!(location(&r), format!("/membres/{m}?raison=1#raisons"));
    assert_eq!(count(pool, "SELECT count(*) FROM escalations").await, 2);
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM member_reasons WHERE follow_up_id IS NOT NULL"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE entity = 'escalation' AND field = 'Escalade ouverte'"
        )
        .await,
        2
    );

    // The district manager finds the district-level one in the queue; the
    // customer-service one is direction's.
    t.app.login("gest@test.ca", PASSWORD).await;
    let (status, queue) = page(&t.app, "/escalades").await;
    assert_eq!(status, 200);
    assert!(queue.contains("Membre Tremblay"));
    assert!(queue.contains("Personnes négatives"));
    assert!(!queue.contains("Insatisfait"));
    t.app.login("dir@test.ca", PASSWORD).await;
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(queue.contains("Insatisfait") && queue.contains("Service à la clientèle"));
}

#[tokio::test]
async fn a_reason_goes_into_the_follow_up_history_with_its_answer() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Gagnon", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let no_time = reason_id(pool, "Manque de temps").await;
    let answer: String = sqlx::query_scalar("SELECT answer FROM reasons WHERE id = $1")
        .bind(no_time)
        .fetch_one(pool)
        .await
        .unwrap();
    let r = record(&t.app, m, &no_time.to_string(), "Proposé le groupe B.").await;
    assert_eq!(location(&r), format!("/membres/{m}?raison=1#raisons"));

    let (channel, body, state, stage, about): (String, String, String, Option<String>, Vec<i64>) =
        sqlx::query_as(
            "SELECT f.channel, f.body, f.state, f.stage_key, \
             ARRAY[f.member_id, mr.member_id, f.author_id, mr.reason_id] FROM follow_ups f \
             JOIN member_reasons mr ON mr.follow_up_id = f.id",
        )
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(channel, "other");
    assert!(body.starts_with("Raison évoquée : Manque de temps. Réponse suggérée : "));
    assert!(body.contains(&answer));
    assert!(body.contains("Réponse essayée : Proposé le groupe B."));
    assert_eq!(state, "yellow", "a member without a state is hesitant");
    assert_eq!(
        stage.as_deref(),
        Some("before_2m"),
        "the stage of the moment is kept"
    );
    assert_eq!(
        about,
        vec![m, m, t.rep, no_time],
        "the follow-up and the reason are the member's, by the rep"
    );
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE entity = 'member' AND field = 'Raison évoquée' \
             AND new_value = 'Manque de temps'"
        )
        .await,
        1
    );

    // The member file's history shows it with the suggested answer.
    let (status, file) = page(&t.app, &format!("/membres/{m}")).await;
    assert_eq!(status, 200);
    assert!(file.contains("Raison évoquée : Manque de temps"));
    assert!(file.contains(&esc(&answer)));

    // The reasons panel lists it with its suggested answer (seen here on
    // the page of a refused form, which shows the panel again).
    let r = record(&t.app, m, "", "").await;
    assert_eq!(r.status(), 422);
    let panel = r.text().await.unwrap();
    let recorded =
        &panel[panel.find("id=\"raisons\"").unwrap()..panel.find("id=\"raison-form\"").unwrap()];
    assert!(recorded.contains("Manque de temps"));
    assert!(recorded.contains("Réponse suggérée"));
    assert!(recorded.contains(&esc(&answer)));
    assert!(recorded.contains("Proposé le groupe B."));
}

#[tokio::test]
async fn an_unanswered_escalation_is_overdue_after_seven_days_and_comes_first() {
    let t = team().await;
    let pool = &t.app.pool;
    let alpha = member(pool, "Alpha", t.district, Some(t.rep)).await;
    let beta = member(pool, "Beta", t.district, Some(t.rep)).await;
    let gamma = member(pool, "Gamma", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    raised(&t.app, alpha, "district", "Alpha hésite.").await;
    let r = raise(&t.app, beta, "district", "Beta veut partir.").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/membres/{beta}?escalade=1#escalades")
    );
    let beta_esc = last_escalation(pool).await;
    let gamma_esc = raised(&t.app, gamma, "district", "Gamma réglé.").await;
    sqlx::query(
        "UPDATE escalations SET raised_at = raised_at - interval '8 days', due_on = due_on - 8 \
         WHERE id = $1",
    )
    .bind(beta_esc)
    .execute(pool)
    .await
    .unwrap();
    // Gamma's is older still, but resolved: never overdue.
    sqlx::query(
        "UPDATE escalations SET raised_at = raised_at - interval '20 days', due_on = due_on - 20, \
         status = 'resolved', resolution = 'Réglé.', resolved_at = now(), resolved_by = $2 \
         WHERE id = $1",
    )
    .bind(gamma_esc)
    .bind(t.manager)
    .execute(pool)
    .await
    .unwrap();

    t.app.login("gest@test.ca", PASSWORD).await;
    let (status, queue) = page(&t.app, "/escalades").await;
    assert_eq!(status, 200);
    let (a, b) = (
        queue.find("Membre Alpha").unwrap(),
        queue.find("Membre Beta").unwrap(),
    );
    assert!(b < a, "the overdue one comes first");
    assert!(row_with(&queue, "Membre Beta").contains("En retard"));
    assert!(!row_with(&queue, "Membre Alpha").contains("En retard"));
    assert!(
        !queue.contains("Membre Gamma"),
        "resolved ones are not to do"
    );

    // All of them: overdue first even before an older, resolved one.
    let (_, all) = page(&t.app, "/escalades?statut=all").await;
    let pos = |n: &str| all.find(n).unwrap();
    assert!(pos("Membre Beta") < pos("Membre Gamma"));
    assert!(pos("Membre Gamma") < pos("Membre Alpha"));
    assert!(!row_with(&all, "Membre Gamma").contains("En retard"));
    // Only the overdue ones.
    let (_, overdue) = page(&t.app, "/escalades?statut=overdue").await;
    assert!(overdue.contains("Membre Beta") && !overdue.contains("Membre Alpha"));

    // Direction sees it overdue too, and so does the escalation page.
    t.app.login("dir@test.ca", PASSWORD).await;
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(row_with(&queue, "Membre Beta").contains("En retard"));
    let (_, show) = page(&t.app, &format!("/escalades/{beta_esc}")).await;
    assert!(show.contains("En retard"));
}

/// The rep raises a district escalation about Roy; the manager, logged in
/// on `t.app`, takes it in charge. Returns its id.
async fn acknowledged_by_the_manager(t: &Team) -> i64 {
    let m = member(&t.app.pool, "Roy", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let first = raised(&t.app, m, "district", "Malaise avec le CA du groupe.").await;
    t.app.login("gest@test.ca", PASSWORD).await;
    let (_, show) = page(&t.app, &format!("/escalades/{first}")).await;
    assert!(show.contains("Prendre en charge") && show.contains("Escalader au niveau supérieur"));
    let r = t
        .app
        .post_form(&format!("/escalades/{first}/prise-en-charge"), &[])
        .await;
    assert_eq!(
        location(&r),
        format!("/escalades/{first}?fait=prise-en-charge")
    );
    assert_eq!(status_of(&t.app.pool, first).await, "acknowledged");
    first
}

/// The manager escalates `first` to direction; returns the new one's id.
async fn escalated_to_direction(t: &Team, first: i64) -> i64 {
    let r = t
        .app
        .post_form(
            &format!("/escalades/{first}/escalade"),
            &[("body", "Rencontre faite, le malaise persiste.")],
        )
        .await;
    let second = last_escalation(&t.app.pool).await;
    assert_eq!(location(&r), format!("/escalades/{second}?fait=escaladee"));
    second
}

#[tokio::test]
async fn escalating_up_needs_a_text_and_opens_a_direction_escalation_in_the_chain() {
    let t = team().await;
    let pool = &t.app.pool;
    let first = acknowledged_by_the_manager(&t).await;
    // Escalating needs a text.
    let r = t
        .app
        .post_form(&format!("/escalades/{first}/escalade"), &[("body", "  ")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Expliquez au niveau supérieur")
    );
    assert_eq!(last_escalation(pool).await, first, "nothing opened");
    let second = escalated_to_direction(&t, first).await;
    let (level, parent, raised_by, due): (String, Option<i64>, i64, NaiveDate) =
        sqlx::query_as("SELECT level, parent_id, raised_by, due_on FROM escalations WHERE id = $1")
            .bind(second)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(level, "direction");
    assert_eq!(parent, Some(first));
    assert_eq!(raised_by, t.manager);
    assert_eq!(due, d("2026-12-06"));
    assert_eq!(status_of(pool, first).await, "escalated");
    // The first one is answered: nothing more to do on it.
    let r = t
        .app
        .post_form(
            &format!("/escalades/{first}/resolution"),
            &[("resolution", "Trop tard.")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("déjà été escaladée"));
    // The manager reads the direction-level one but does not receive it.
    let (status, show) = page(&t.app, &format!("/escalades/{second}")).await;
    assert_eq!(status, 200);
    assert!(!show.contains("Prendre en charge"));
    let r = t
        .app
        .post_form(&format!("/escalades/{second}/prise-en-charge"), &[])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(status_of(pool, second).await, "open");

    // Both are visible on either page, in order.
    for id in [first, second] {
        let (_, show) = page(&t.app, &format!("/escalades/{id}")).await;
        let chain = &show[show.find("Chaîne d'escalade").expect("chaîne affichée")..];
        let a = chain.find("Malaise avec le CA du groupe.").unwrap();
        let b = chain.find("Rencontre faite, le malaise persiste.").unwrap();
        assert!(a < b);
    }
}

#[tokio::test]
async fn direction_resolves_the_escalated_one_and_has_no_level_above() {
    let t = team().await;
    let pool = &t.app.pool;
    let first = acknowledged_by_the_manager(&t).await;
    let second = escalated_to_direction(&t, first).await;
    t.app.login("dir@test.ca", PASSWORD).await;
    let r = t
        .app
        .post_form(
            &format!("/escalades/{second}/escalade"),
            &[("body", "Plus haut?")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("pas de niveau supérieur"));
    assert_eq!(last_escalation(pool).await, second, "nothing opened");
    let r = t
        .app
        .post_form(
            &format!("/escalades/{second}/resolution"),
            &[("resolution", "Appel au membre et au président du CA.")],
        )
        .await;
    assert_eq!(location(&r), format!("/escalades/{second}?fait=resolue"));
    let (status, resolved_by): (String, Option<i64>) =
        sqlx::query_as("SELECT status, resolved_by FROM escalations WHERE id = $1")
            .bind(second)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), resolved_by),
        ("resolved", Some(t.direction))
    );
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE entity = 'escalation' AND field = 'Statut'"
        )
        .await,
        3,
        "taken in charge, escalated, resolved"
    );
}

#[tokio::test]
async fn resolving_needs_the_actions_taken_and_happens_once() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Côté", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let id = raised(&t.app, m, "district", "À voir.").await;

    t.app.login("gest@test.ca", PASSWORD).await;
    let r = t
        .app
        .post_form(
            &format!("/escalades/{id}/resolution"),
            &[("resolution", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Décrivez les actions prises")
    );
    let long = "x".repeat(5000);
    let r = t
        .app
        .post_form(
            &format!("/escalades/{id}/resolution"),
            &[("resolution", long.as_str())],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("trop long"));
    assert!(body.contains(&long), "the text typed is kept");
    assert_eq!(status_of(pool, id).await, "open");

    let r = t
        .app
        .post_form(
            &format!("/escalades/{id}/resolution"),
            &[("resolution", "Transfert gratuit offert et accepté.")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/escalades/{id}?fait=resolue"));
    let (_, show) = page(&t.app, &location(&r)).await;
    assert!(
        show.contains("Escalade de Membre Côté résolue.")
            && show.contains("Transfert gratuit offert")
    );
    let r = t
        .app
        .post_form(
            &format!("/escalades/{id}/resolution"),
            &[("resolution", "Encore.")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("déjà résolue"));
    let r = t
        .app
        .post_form(&format!("/escalades/{id}/prise-en-charge"), &[])
        .await;
    assert_eq!(r.status(), 409);
    let (resolution, by): (String, i64) =
        sqlx::query_as("SELECT resolution, resolved_by FROM escalations WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        (resolution.as_str(), by),
        ("Transfert gratuit offert et accepté.", t.manager)
    );
}

#[tokio::test]
async fn outside_the_scope_an_escalation_does_not_exist() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Lavoie", t.district, Some(t.rep)).await;
    let elsewhere = member(pool, "Ailleurs", t.other_district, None).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let id = raised(&t.app, m, "district", "À voir.").await;
    // Nor may one write about a member outside one's scope.
    let no_time = reason_id(pool, "Manque de temps").await.to_string();
    assert_eq!(record(&t.app, elsewhere, &no_time, "").await.status(), 404);
    assert_eq!(
        raise(&t.app, elsewhere, "district", "x").await.status(),
        404
    );

    t.app.login("gest2@test.ca", PASSWORD).await;
    assert_eq!(page(&t.app, &format!("/escalades/{id}")).await.0, 404);
    for action in ["prise-en-charge", "resolution", "escalade"] {
        let r = t
            .app
            .post_form(
                &format!("/escalades/{id}/{action}"),
                &[("resolution", "x"), ("body", "x")],
            )
            .await;
        assert_eq!(r.status(), 404, "{action}");
    }
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(!queue.contains("Membre Lavoie"));
    assert_eq!(record(&t.app, m, &no_time, "").await.status(), 404);
    assert_eq!(status_of(pool, id).await, "open");
}

#[tokio::test]
async fn a_representative_reads_escalations_but_cannot_act() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Morin", t.district, Some(t.rep)).await;
    let not_mine = member(pool, "Pasamoi", t.district, Some(t.other_rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let id = raised(&t.app, m, "district", "Le membre demande un rabais.").await;

    let (status, queue) = page(&t.app, "/escalades").await;
    assert_eq!(status, 200);
    assert!(queue.contains("Membre Morin"));
    let (status, show) = page(&t.app, &format!("/escalades/{id}")).await;
    assert_eq!(status, 200);
    assert!(show.contains("Le membre demande un rabais."));
    assert!(!show.contains("Prendre en charge"));
    assert!(!show.contains("action=\"/escalades/"));
    for action in ["prise-en-charge", "resolution", "escalade"] {
        let r = t
            .app
            .post_form(
                &format!("/escalades/{id}/{action}"),
                &[("resolution", "Fait."), ("body", "Plus haut.")],
            )
            .await;
        assert_eq!(r.status(), 403, "{action}");
    }
    assert_eq!(status_of(pool, id).await, "open");
    assert_eq!(count(pool, "SELECT count(*) FROM escalations").await, 1);

    // Another representative's member is out of sight.
    t.app.login("autre@test.ca", PASSWORD).await;
    assert_eq!(page(&t.app, &format!("/escalades/{id}")).await.0, 404);
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(!queue.contains("Membre Morin"));
    let _ = not_mine;
}

#[tokio::test]
async fn billing_is_refused_the_escalations() {
    let t = team().await;
    let m = member(&t.app.pool, "Fortin", t.district, Some(t.rep)).await;
    t.app.login("fact@test.ca", PASSWORD).await;
    let (status, body) = page(&t.app, "/escalades").await;
    assert_eq!(status, 403);
    assert!(body.contains("Accès refusé"));
    assert_eq!(raise(&t.app, m, "district", "x").await.status(), 403);
    assert_eq!(record(&t.app, m, "1", "").await.status(), 403);
}

#[tokio::test]
async fn direction_sees_the_median_response_time_per_receiver() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Pelletier", t.district, Some(t.rep)).await;
    // (receiver, hours to the first response, acknowledged or resolved, raised at)
    let set: [(i64, i64, bool, &str); 7] = [
        (t.manager, 2, true, "2026-11-01 14:00:00+00"),
        (t.manager, 4, true, "2026-11-02 14:00:00+00"),
        (t.manager, 30, false, "2026-11-03 14:00:00+00"),
        // Raised more than 90 days ago: left out.
        (t.manager, 100, true, "2026-06-01 14:00:00+00"),
        (t.direction, 24, false, "2026-11-05 14:00:00+00"),
        (t.direction, 72, true, "2026-11-06 14:00:00+00"),
        // Answered after its due date.
        (t.other_manager, 9 * 24, true, "2026-11-01 14:00:00+00"),
    ];
    for (receiver, hours, acknowledged, raised) in set {
        let sql = if acknowledged {
            "INSERT INTO escalations (member_id, raised_by, level, body, raised_at, due_on, \
             status, acknowledged_at, acknowledged_by) \
             VALUES ($1, $2, 'district', 'x', $3::timestamptz, ($3::timestamptz)::date + 7, \
             'acknowledged', $3::timestamptz + $4 * interval '1 hour', $5)"
        } else {
            "INSERT INTO escalations (member_id, raised_by, level, body, raised_at, due_on, \
             status, resolution, resolved_at, resolved_by) \
             VALUES ($1, $2, 'district', 'x', $3::timestamptz, ($3::timestamptz)::date + 7, \
             'resolved', 'Réglé.', $3::timestamptz + $4 * interval '1 hour', $5)"
        };
        sqlx::query(sql)
            .bind(m)
            .bind(t.rep)
            .bind(raised)
            .bind(hours as f64)
            .bind(receiver)
            .execute(pool)
            .await
            .unwrap();
    }
    // Never answered: no receiver to count.
    sqlx::query(
        "INSERT INTO escalations (member_id, raised_by, level, body, raised_at, due_on) \
         VALUES ($1, $2, 'district', 'x', '2026-11-20 14:00:00+00', '2026-11-27')",
    )
    .bind(m)
    .bind(t.rep)
    .execute(pool)
    .await
    .unwrap();

    t.app.login("dir@test.ca", PASSWORD).await;
    let (status, queue) = page(&t.app, "/escalades").await;
    assert_eq!(status, 200);
    let table = &queue[queue.find("Délai de réponse médian par personne").unwrap()..];
    assert!(table.contains("depuis le 31 août 2026"));
    assert!(table.contains(
        "<tr><td>Test gest@test.ca</td><td class=\"num\">3</td><td class=\"num\">4 h</td><td class=\"num\">0</td></tr>"
    ));
    assert!(table.contains(
        "<tr><td>Test dir@test.ca</td><td class=\"num\">2</td><td class=\"num\">2 j</td><td class=\"num\">0</td></tr>"
    ));
    assert!(table.contains(
        "<tr><td>Test gest2@test.ca</td><td class=\"num\">1</td><td class=\"num\">9 j</td><td class=\"num\"><strong class=\"overdue\">1</strong></td></tr>"
    ));
    let dir = table.find("Test dir@test.ca").unwrap();
    let gest = table.find("Test gest@test.ca").unwrap();
    assert!(dir < gest, "by name");

    // Managers do not see the table.
    t.app.login("gest@test.ca", PASSWORD).await;
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(!queue.contains("Délai de réponse médian"));
}

#[tokio::test]
async fn bad_reason_and_escalation_forms_are_refused_in_french_with_the_values_kept() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Bouchard", t.district, Some(t.rep)).await;
    t.app.login("rep@test.ca", PASSWORD).await;

    // No reason chosen.
    let r = record(&t.app, m, "", "J'ai proposé le régional.").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("La raison n&#39;a pas été enregistrée"));
    assert!(body.contains("Choisissez la raison évoquée dans la liste."));
    assert!(
        body.contains("J&#39;ai proposé le régional."),
        "typed text kept"
    );
    assert!(body.contains("Membre Bouchard"));
    assert!(body.contains(&format!("action=\"/membres/{m}/raisons#raison-form\"")));
    assert!(body.contains("Réponses suggérées"), "the answers to read");
    assert!(body.contains(&esc("Offrir un transfert gratuit vers un autre groupe.")));

    // A reason that is not in the catalogue; the choice is kept otherwise.
    let r = record(&t.app, m, "999999", "").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("pas au catalogue"));
    let no_time = reason_id(pool, "Manque de temps").await;
    let long = "é".repeat(5000);
    let r = record(&t.app, m, &no_time.to_string(), &long).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Ce texte est trop long : 5000 caractères pour 4000 au plus."));
    assert!(body.contains(&long));
    assert!(body.contains(&format!("<option value=\"{no_time}\" selected>")));

    // Escalation: empty text, too long, unknown level.
    let r = raise(&t.app, m, "customer_service", "   ").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("L&#39;escalade n&#39;a pas été enregistrée"));
    assert!(body.contains("Décrivez la situation et ce qui est attendu."));
    assert!(body.contains("<option value=\"customer_service\" selected>"));
    assert!(body.contains(&format!("action=\"/membres/{m}/escalades#escalade-form\"")));
    let r = raise(&t.app, m, "direction", &"x".repeat(5000)).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("trop long"));
    assert!(body.contains(&"x".repeat(5000)));
    let r = raise(&t.app, m, "ciel", "Texte gardé.").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Choisissez à qui escalader"));
    assert!(body.contains("Texte gardé."));

    for table in [
        "SELECT count(*) FROM member_reasons",
        "SELECT count(*) FROM follow_ups",
        "SELECT count(*) FROM escalations",
    ] {
        assert_eq!(count(pool, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_failing_escalation_leaves_the_reason_unwritten() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Gauthier", t.district, Some(t.rep)).await;
    sqlx::query(
        "CREATE FUNCTION refuse_escalation() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'escalade refusée par le test'; END $$",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_escalation BEFORE INSERT ON escalations \
         FOR EACH ROW EXECUTE FUNCTION refuse_escalation()",
    )
    .execute(pool)
    .await
    .unwrap();
    t.app.login("rep@test.ca", PASSWORD).await;
    let negative = reason_id(pool, "Personnes négatives").await;
    let r = record(&t.app, m, &negative.to_string(), "Parlé au CA.").await;
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(body.contains("Erreur du serveur"));
    assert!(body.contains("rien n&#39;a été enregistré"));
    assert!(
        !body.contains("escalade refusée par le test"),
        "no raw error"
    );
    for table in [
        "SELECT count(*) FROM member_reasons",
        "SELECT count(*) FROM follow_ups",
        "SELECT count(*) FROM audit_log WHERE field = 'Raison évoquée'",
    ] {
        assert_eq!(count(pool, table).await, 0, "{table}");
    }
    let contact: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_contact_at FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(contact, None);

    // A reason without escalation still goes through.
    let no_time = reason_id(pool, "Manque de temps").await;
    assert_eq!(
        record(&t.app, m, &no_time.to_string(), "").await.status(),
        303
    );
    assert_eq!(count(pool, "SELECT count(*) FROM member_reasons").await, 1);
}

/// Rows of the tally of escalations per district, level, status and due
/// date that differ from the escalations counted from scratch (kept,
/// counted).
async fn escalation_tally_drift(pool: &PgPool) -> Vec<(i64, String, String, NaiveDate, i64, i64)> {
    sqlx::query_as(
        "WITH kept AS (SELECT district_id, level, status, due_on, escalations::bigint AS n \
           FROM escalation_days WHERE escalations <> 0), \
         counted AS (SELECT m.district_id, e.level, e.status, e.due_on, count(*) AS n \
           FROM escalations e JOIN members m ON m.id = e.member_id GROUP BY 1, 2, 3, 4) \
         SELECT district_id, level, status, due_on, COALESCE(k.n, 0), COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, level, status, due_on) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The homes' columns of waiting and late escalations per district, and
/// the queues' counts, come from a tally (migration 0030): it follows an
/// escalation raised, taken in charge, escalated, resolved, its member
/// moving district, and one removed.
#[tokio::test]
async fn the_waiting_counts_follow_every_change_of_an_escalation_and_of_its_member() {
    let t = team().await;
    let pool = &t.app.pool;
    let m = member(pool, "Tally", t.district, Some(t.rep)).await;
    let insert = "INSERT INTO escalations (member_id, raised_by, level, body, raised_at, due_on) \
                  VALUES ($1, $2, 'district', 'x', now(), $3::date) RETURNING id";
    let late: i64 = sqlx::query_scalar(insert)
        .bind(m)
        .bind(t.rep)
        .bind("2026-11-20")
        .fetch_one(pool)
        .await
        .unwrap();
    let on_time: i64 = sqlx::query_scalar(insert)
        .bind(m)
        .bind(t.rep)
        .bind("2026-12-04")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(escalation_tally_drift(pool).await, vec![]);
    t.app.login("dir@test.ca", PASSWORD).await;
    let (_, home) = page(&t.app, "/direction").await;
    assert!(
        home.contains("<td class=\"num\">2</td><td class=\"num overdue\">1</td></tr>"),
        "{home}"
    );

    let writes = [
        "UPDATE escalations SET status = 'acknowledged', acknowledged_at = now(), \
         acknowledged_by = raised_by WHERE id = $1",
        "UPDATE escalations SET due_on = due_on + 30 WHERE id = $1",
        "UPDATE escalations SET level = 'direction' WHERE id = $1",
        "UPDATE escalations SET status = 'resolved', resolved_at = now(), resolved_by = raised_by, \
         resolution = 'Réglé.' WHERE id = $1",
    ];
    for sql in writes {
        sqlx::query(sql).bind(late).execute(pool).await.unwrap();
        assert_eq!(escalation_tally_drift(pool).await, vec![], "after {sql}");
    }
    sqlx::query("UPDATE members SET district_id = $2 WHERE id = $1")
        .bind(m)
        .bind(t.other_district)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(escalation_tally_drift(pool).await, vec![], "after the move");
    // The manager of the new district now has the waiting one in their queue.
    t.app.login("gest2@test.ca", PASSWORD).await;
    let (_, queue) = page(&t.app, "/escalades").await;
    assert!(queue.contains("Membre Tally"), "{queue}");
    assert!(
        queue.contains("Escalades <span class=\"count-pill\">1</span>"),
        "{queue}"
    );
    sqlx::query("DELETE FROM escalations WHERE id = $1")
        .bind(on_time)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        escalation_tally_drift(pool).await,
        vec![],
        "after the removal"
    );
}
