//! Group meetings and the members' engagement: the sheet of a meeting
//! (one transaction, history, editing, bad input, scope), the list of
//! meetings (adding, cancelling), and the six-month figures on the member
//! file, worked out by hand.
mod common;

use common::accounts::{GEST_A, GEST_B, REP_A1, REP_A2, REP_B};
use common::actions::log_in;
use common::builders::count;
use common::engagement::{MEETING, club, insert_line, save_sheet, sheet};
use common::location;

#[tokio::test]
async fn saving_a_sheet_writes_every_line_and_its_history_in_one_go() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let gest = log_in(&c.w.app, GEST_A).await;
    let form = sheet(
        &[(c.anne, 0), (c.bruno, 0), (c.carl, 0)],
        &[("presence", c.bruno, "absent"), ("recues", c.anne, "2")],
    );
    let r = save_sheet(&gest, c.group, MEETING, &form).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert_eq!(
        to,
        format!("/groupes/{}/rencontres/{MEETING}?enregistre=3", c.group)
    );
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 3);
    assert_eq!(
        count(pool, "SELECT count(*) FROM meeting_line_history").await,
        3
    );
    let absent = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {} AND attendance = 'absent'",
        c.bruno
    );
    assert_eq!(count(pool, &absent).await, 1);
    let (status, body) = gest.page(&to).await;
    assert_eq!(status, 200);
    assert!(body.contains("Feuille enregistrée : 3 lignes mises à jour."));
    // Saving the same sheet again changes nothing and adds no history.
    let again = sheet(
        &[(c.anne, 1), (c.bruno, 1), (c.carl, 1)],
        &[("presence", c.bruno, "absent"), ("recues", c.anne, "2")],
    );
    let r = save_sheet(&gest, c.group, MEETING, &again).await;
    assert!(location(&r).ends_with("enregistre=0"));
    assert_eq!(
        count(pool, "SELECT count(*) FROM meeting_line_history").await,
        3
    );
}

#[tokio::test]
async fn editing_a_line_afterwards_keeps_who_changed_what_in_its_history() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let rep = log_in(&c.w.app, REP_A1).await;
    let first = sheet(&[(c.anne, 0), (c.bruno, 0)], &[]);
    assert_eq!(
        save_sheet(&rep, c.group, MEETING, &first).await.status(),
        303
    );
    let gest = log_in(&c.w.app, GEST_A).await;
    let edit = sheet(
        &[(c.anne, 1), (c.bruno, 1)],
        &[("presence", c.anne, "substitute"), ("donnees", c.anne, "3")],
    );
    let r = save_sheet(&gest, c.group, MEETING, &edit).await;
    assert!(location(&r).ends_with("enregistre=1"), "{}", location(&r));
    let history = format!(
        "SELECT count(*) FROM meeting_line_history WHERE member_id = {}",
        c.anne
    );
    assert_eq!(count(pool, &history).await, 2);
    let version = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {} AND version = 2 \
         AND attendance = 'substitute' AND referrals_given = 3",
        c.anne
    );
    assert_eq!(count(pool, &version).await, 1);
    let (_, body) = gest
        .page(&format!("/groupes/{}/rencontres/{MEETING}", c.group))
        .await;
    assert!(body.contains("Participation : Présence → Remplacement"));
    assert!(body.contains("Références données : 0 → 3"));
    assert!(body.contains("Première saisie : Présence"));
    assert!(body.contains("2 enregistrements"));
}

#[tokio::test]
async fn a_failure_midway_through_the_sheet_writes_nothing() {
    let c = club().await;
    let pool = &c.w.app.pool;
    // The second line's history fails: the first line must not stay.
    sqlx::raw_sql(
        "CREATE TABLE seen (n int); INSERT INTO seen VALUES (0); \
         CREATE FUNCTION fail_second() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           UPDATE seen SET n = n + 1; \
           IF (SELECT n FROM seen) = 2 THEN RAISE EXCEPTION 'panne simulée'; END IF; \
           RETURN NEW; END $$; \
         CREATE TRIGGER fail_second BEFORE INSERT ON meeting_line_history \
           FOR EACH ROW EXECUTE FUNCTION fail_second();",
    )
    .execute(pool)
    .await
    .expect("déclencheur");
    let gest = log_in(&c.w.app, GEST_A).await;
    let form = sheet(&[(c.anne, 0), (c.bruno, 0), (c.carl, 0)], &[]);
    let r = save_sheet(&gest, c.group, MEETING, &form).await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().await.expect("page").contains("panne simulée"));
    for table in ["meetings", "meeting_lines", "meeting_line_history"] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(count(pool, &sql).await, 0, "{table}");
    }
}

#[tokio::test]
async fn bad_input_gets_a_french_message_by_the_field_and_keeps_what_was_typed() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let gest = log_in(&c.w.app, GEST_A).await;
    let long = "x".repeat(501);
    let form = sheet(
        &[(c.anne, 0), (c.bruno, 0)],
        &[
            ("donnees", c.anne, "-2"),
            ("recues", c.anne, "deux"),
            ("visiteurs", c.bruno, "400"),
            ("merci", c.bruno, "2 500 000"),
            ("note", c.bruno, &long),
            ("presence", c.bruno, "parti"),
        ],
    );
    let r = save_sheet(&gest, c.group, MEETING, &form).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("page");
    assert!(body.contains("2 lignes à corriger"));
    assert!(body.contains("Ce nombre ne peut pas être négatif."));
    assert!(body.contains("Indiquez un nombre entier (0, 1, 2…)."));
    assert!(body.contains("400 visiteurs à une seule rencontre, c&#39;est beaucoup : 50 au plus."));
    assert!(body.contains("Ce montant est trop élevé pour une seule rencontre"));
    assert!(body.contains("Ce texte est trop long : 501 caractères pour 500 au plus."));
    assert!(body.contains("Choisissez la présence dans la liste."));
    // What was typed comes back in the boxes.
    assert!(body.contains(&format!("name=\"recues-{}\" value=\"deux\"", c.anne)));
    assert!(body.contains(&format!("name=\"merci-{}\" value=\"2 500 000\"", c.bruno)));
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM meetings").await, 0);
}

#[tokio::test]
async fn a_date_that_is_not_a_meeting_of_the_group_is_refused() {
    let c = club().await;
    let gest = log_in(&c.w.app, GEST_A).await;
    // A Wednesday: the group meets on Tuesdays.
    let wednesday = "2026-11-25";
    let page = format!("/groupes/{}/rencontres/{wednesday}", c.group);
    assert_eq!(gest.page(&page).await.0, 404);
    let form = sheet(&[(c.anne, 0)], &[]);
    let r = save_sheet(&gest, c.group, wednesday, &form).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("page");
    assert!(body.contains("Le 25 nov. 2026 n&#39;est pas une rencontre de ce groupe"));
    // A meeting not held yet cannot be filled in either.
    let next = "2026-12-01";
    let added = gest
        .post(
            &format!("/groupes/{}/rencontres", c.group),
            &[("date", next)],
        )
        .await;
    assert_eq!(added.status(), 303);
    let r = save_sheet(&gest, c.group, next, &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("page").contains("pas encore eu lieu"));
    assert_eq!(
        count(&c.w.app.pool, "SELECT count(*) FROM meeting_lines").await,
        0
    );
}

#[tokio::test]
async fn a_save_from_a_sheet_opened_before_another_save_is_refused() {
    let c = club().await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let rep = log_in(&c.w.app, REP_A1).await;
    let form = sheet(&[(c.anne, 0)], &[("recues", c.anne, "1")]);
    assert_eq!(
        save_sheet(&rep, c.group, MEETING, &form).await.status(),
        303
    );
    // The manager's sheet was opened before: version 0.
    let late = sheet(&[(c.anne, 0)], &[("recues", c.anne, "4")]);
    let r = save_sheet(&gest, c.group, MEETING, &late).await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.expect("page");
    assert!(body.contains("une ligne a été modifiée par quelqu&#39;un d&#39;autre"));
    assert!(body.contains(&format!("name=\"recues-{}\" value=\"4\"", c.anne)));
    let kept = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {} AND referrals_received = 1",
        c.anne
    );
    assert_eq!(count(&c.w.app.pool, &kept).await, 1);
}

#[tokio::test]
async fn a_representative_sees_and_fills_only_their_own_members_lines() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let rep = log_in(&c.w.app, REP_A1).await;
    let page = format!("/groupes/{}/rencontres/{MEETING}", c.group);
    let (status, body) = rep.page(&page).await;
    assert_eq!(status, 200);
    assert!(body.contains("Anne Test") && body.contains("Bruno Test"));
    assert!(!body.contains("Carl Test"), "rep_a2's member");
    let (_, group_page) = rep.page(&format!("/groupes/{}", c.group)).await;
    assert!(group_page.contains(&format!("href=\"/groupes/{}/rencontres\"", c.group)));
    // A line of another representative's member in the form: 404.
    let form = sheet(&[(c.anne, 0), (c.carl, 0)], &[]);
    assert_eq!(
        save_sheet(&rep, c.group, MEETING, &form).await.status(),
        404
    );
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 0);
    // Their own lines only are counted on the list.
    let gest = log_in(&c.w.app, GEST_A).await;
    let all = sheet(&[(c.anne, 0), (c.bruno, 0), (c.carl, 0)], &[]);
    assert_eq!(
        save_sheet(&gest, c.group, MEETING, &all).await.status(),
        303
    );
    let (_, list) = rep.page(&format!("/groupes/{}/rencontres", c.group)).await;
    assert!(list.contains("2 lignes saisies"));
    let (_, list) = gest.page(&format!("/groupes/{}/rencontres", c.group)).await;
    assert!(list.contains("3 lignes saisies"));
    // One meeting read alone counts them the same way (its lines' members
    // looked up by key, not as the list's hashed set).
    let day = chrono::NaiveDate::parse_from_str(MEETING, "%Y-%m-%d").expect("date");
    for (own, lines) in [(Some(c.w.rep_a1), 2), (None, 3)] {
        let meeting = renouvo::store::meetings::find(pool, c.group, day, own)
            .await
            .expect("lecture")
            .expect("rencontre");
        assert_eq!(meeting.lines, lines, "{own:?}");
    }
}

#[tokio::test]
async fn another_districts_people_and_a_representative_without_members_there_get_404() {
    let c = club().await;
    let sheet_page = format!("/groupes/{}/rencontres/{MEETING}", c.group);
    let list_page = format!("/groupes/{}/rencontres", c.group);
    for email in [GEST_B, REP_B] {
        let b = log_in(&c.w.app, email).await;
        assert_eq!(b.page(&list_page).await.0, 404, "{email}");
        assert_eq!(b.page(&sheet_page).await.0, 404, "{email}");
        let form = sheet(&[(c.anne, 0)], &[]);
        assert_eq!(save_sheet(&b, c.group, MEETING, &form).await.status(), 404);
    }
    // rep_a2 has Carl in the group but no member in district B's group.
    let rep_a2 = log_in(&c.w.app, REP_A2).await;
    assert_eq!(rep_a2.page(&list_page).await.0, 200);
    let other = format!("/groupes/{}/rencontres", c.group_b);
    assert_eq!(rep_a2.page(&other).await.0, 404);
    // A representative of the district without a member in the group.
    sqlx::query("UPDATE members SET representative_id = $1 WHERE id = $2")
        .bind(c.w.rep_a1)
        .bind(c.carl)
        .execute(&c.w.app.pool)
        .await
        .expect("réassignation");
    assert_eq!(rep_a2.page(&list_page).await.0, 404);
    assert_eq!(
        count(&c.w.app.pool, "SELECT count(*) FROM meetings").await,
        0
    );
}

#[tokio::test]
async fn a_meeting_is_added_on_another_day_and_cancelled_after_a_confirmation() {
    let c = club().await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let list = format!("/groupes/{}/rencontres", c.group);
    let r = gest.post(&list, &[("date", "2026-11-20")]).await;
    assert_eq!(location(&r), format!("{list}?fait=ajoutee&date=2026-11-20"));
    let (_, body) = gest.page(&location(&r)).await;
    assert!(body.contains("vendredi 20 nov. 2026"));
    assert!(body.contains("ajoutée"));
    assert_eq!(gest.page(&format!("{list}/2026-11-20")).await.0, 200);
    // A usual day, a bad date: a message by the field.
    let r = gest.post(&list, &[("date", "2026-11-17")]).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("se rencontre déjà le 17 nov. 2026")
    );
    let r = gest.post(&list, &[("date", "17 novembre")]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("page");
    assert!(body.contains("n&#39;est pas une date valide") && body.contains("17 novembre"));
    // Cancelling asks first; the representative may not.
    let cancel = format!("{list}/2026-11-17/annulation");
    let r = gest.post(&cancel, &[]).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("Oui, annuler la rencontre")
    );
    assert_eq!(
        count(
            &c.w.app.pool,
            "SELECT count(*) FROM meetings WHERE cancelled_at IS NOT NULL"
        )
        .await,
        0
    );
    let rep = log_in(&c.w.app, REP_A1).await;
    assert_eq!(
        rep.post(&cancel, &[("confirme", "oui")]).await.status(),
        403
    );
    let r = gest.post(&cancel, &[("confirme", "oui")]).await;
    assert_eq!(r.status(), 303);
    let (_, body) = gest.page(&location(&r)).await;
    assert!(body.contains("Annulée"));
    let form = sheet(&[(c.anne, 0)], &[]);
    let r = save_sheet(&gest, c.group, "2026-11-17", &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("page").contains("a été annulée"));
}

/// The figure of a block as the page writes it.
fn figure(value: &str, what: &str) -> String {
    format!("<span class=\"figure\">{value}</span><span class=\"what\">{what}</span>")
}

#[tokio::test]
async fn the_member_file_shows_six_months_against_the_six_before_worked_out_by_hand() {
    let c = club().await;
    let pool = &c.w.app.pool;
    // Today is 2026-11-24: the last six months are (2026-05-24, 2026-11-24].
    for (day, attendance, received) in [
        ("2026-11-17", "present", 2),
        ("2026-10-06", "present", 1),
        ("2026-09-01", "absent", 0),
        ("2026-06-02", "excused", 0), // not counted in the rate
        ("2026-05-24", "present", 5), // the edge: the six months before
        ("2026-05-19", "present", 0),
        ("2026-03-03", "present", 0),
        ("2025-12-02", "present", 0),
        ("2025-11-24", "absent", 9), // twelve months ago: left out
    ] {
        insert_line(pool, c.group, c.anne, day, attendance, received).await;
    }
    let rep = log_in(&c.w.app, REP_A1).await;
    let (status, body) = rep.page(&format!("/membres/{}", c.anne)).await;
    assert_eq!(status, 200);
    // Present 2 of 3 counted meetings; 100 % before (4 of 4).
    assert!(body.contains(&figure("67 %", "présence")), "{body}");
    assert!(body.contains("en baisse (de 100 % à 67 %)"));
    assert!(body.contains(&figure("3", "références reçues")));
    assert!(body.contains("en baisse (de 5 à 3)"));
    // One referral given at every line: 4 and 4.
    assert!(body.contains(&figure("4", "références données")));
    assert!(body.contains("stable (de 4 à 4)"));
    assert!(body.contains("Six derniers mois (4 rencontres consignées)"));
    // The member is at « 3 mois avant »: the block is in the action plan.
    let plan = body.split("id=\"id-title\"").next().expect("page");
    assert!(plan.contains("À faire maintenant : 3 mois avant"));
    assert!(plan.contains("<h3 id=\"engagement-title\">"));
    assert!(body.contains("Présence aux rencontres par mois"));
    assert!(body.contains("<svg class=\"chart-svg\""));
}

#[tokio::test]
async fn a_cancelled_meeting_no_longer_counts_in_the_members_figures() {
    let c = club().await;
    let pool = &c.w.app.pool;
    insert_line(pool, c.group, c.bruno, "2026-11-17", "present", 0).await;
    insert_line(pool, c.group, c.bruno, "2026-11-10", "absent", 0).await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let member = format!("/membres/{}", c.bruno);
    let (_, body) = gest.page(&member).await;
    assert!(body.contains(&figure("50 %", "présence")));
    let cancel = format!("/groupes/{}/rencontres/2026-11-10/annulation", c.group);
    let r = gest.post(&cancel, &[("confirme", "oui")]).await;
    assert_eq!(r.status(), 303);
    let (_, body) = gest.page(&member).await;
    assert!(body.contains(&figure("100 %", "présence")));
    assert!(body.contains("Six derniers mois (1 rencontre consignée)"));
    // The line itself is kept.
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 2);
}

#[tokio::test]
async fn a_member_without_a_group_says_that_nothing_is_recorded() {
    let c = club().await;
    let rep = log_in(&c.w.app, REP_A1).await;
    let (status, body) = rep.page(&format!("/membres/{}", c.w.m1)).await;
    assert_eq!(status, 200);
    assert!(body.contains(
        "Ce membre n&#39;a pas de groupe (siège régional) : aucune participation à une \
         rencontre n&#39;est consignée."
    ));
    let (_, body) = rep.page(&format!("/membres/{}", c.bruno)).await;
    assert!(body.contains("Aucune rencontre consignée pour ce membre depuis 12 mois."));
    assert!(body.contains(&format!("href=\"/groupes/{}/rencontres\"", c.group)));
}

#[tokio::test]
async fn in_the_demo_members_who_later_left_came_less_and_received_fewer_referrals() {
    let (pool, _) = common::fresh_database().await;
    let today = common::builders::date("2026-11-24");
    renouvo::demo::seed_for(&pool, today).await.expect("démo");
    // Per meeting over the 4 months before leaving, against active members'
    // last 4 months.
    let rates = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (f64, f64)>(sql)
                .fetch_one(&pool)
                .await
                .expect(sql)
        }
    };
    let (left_attended, left_received) = rates(
        "SELECT avg((l.attendance IN ('present', 'substitute'))::int)::float8, \
           avg(l.referrals_received)::float8 \
         FROM meeting_lines l JOIN members m ON m.id = l.member_id \
         WHERE m.status = 'lost' AND l.held_on > m.lost_on - 120",
    )
    .await;
    let (stayed_attended, stayed_received) = rates(
        "SELECT avg((l.attendance IN ('present', 'substitute'))::int)::float8, \
           avg(l.referrals_received)::float8 \
         FROM meeting_lines l JOIN members m ON m.id = l.member_id \
         WHERE m.status = 'active' AND m.state IN ('green', 'flame') \
           AND l.held_on > date '2026-11-24' - 120",
    )
    .await;
    eprintln!(
        "présence {left_attended:.2} / {stayed_attended:.2}, reçues {left_received:.2} / {stayed_received:.2}"
    );
    assert!(
        left_attended + 0.2 < stayed_attended,
        "{left_attended} vs {stayed_attended}"
    );
    assert!(
        left_received * 2.0 < stayed_received,
        "{left_received} vs {stayed_received}"
    );
    let cancelled = count(
        &pool,
        "SELECT count(*) FROM meetings WHERE cancelled_at IS NOT NULL",
    )
    .await;
    assert!(cancelled > 0, "the holiday week is cancelled");
}
