//! Follow-ups, the member's state, planned follow-ups, the representative's
//! day and the district manager's activity view.
mod common;

use chrono::NaiveDate;
use common::builders::MemberBuilder;
use common::{PASSWORD, TestApp, location};
use renouvo::domain::user::Role;
use sqlx::PgPool;

const TODAY: &str = "2026-11-29";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// « Membre {name} », regional, a profession of their own, joined in 2015.
async fn member(pool: &PgPool, name: &str, district: i64, rep: Option<i64>, renewal: &str) -> i64 {
    let mut m = MemberBuilder::new(district)
        .name("Membre", name)
        .profession(&format!("Profession {name}"))
        .joined("2015-01-01")
        .renewing(renewal);
    if let Some(rep) = rep {
        m = m.rep(rep);
    }
    m.insert(pool).await
}

struct Team {
    app: TestApp,
    district: i64,
    other_district: i64,
    rep: i64,
    rep2: i64,
    other_rep: i64,
}

async fn team() -> Team {
    let app = TestApp::spawn_at(d(TODAY)).await;
    let district = app.create_district("Montréal").await;
    let other_district = app.create_district("Capitale-Nationale").await;
    app.create_user("gest@test.ca", Role::DistrictManager, Some(district))
        .await;
    let rep = app
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    let rep2 = app
        .create_user("rep2@test.ca", Role::Representative, Some(district))
        .await;
    let other_rep = app
        .create_user("autre@test.ca", Role::Representative, Some(other_district))
        .await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    Team {
        app,
        district,
        other_district,
        rep,
        rep2,
        other_rep,
    }
}

async fn log(app: &TestApp, member: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(&format!("/membres/{member}/suivis"), fields)
        .await
}

#[tokio::test]
async fn the_stage_stored_with_a_follow_up_survives_a_renewal_date_edit() {
    let t = team().await;
    // R = 2026-12-10: on 2026-11-29 the member is in « 2 semaines avant » (red).
    let m = member(
        &t.app.pool,
        "Tremblay",
        t.district,
        Some(t.rep),
        "2026-12-10",
    )
    .await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let r = log(
        &t.app,
        m,
        &[
            ("channel", "call"),
            ("body", "Facture reçue."),
            ("state", "flame"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    sqlx::query("UPDATE members SET renewal_date = '2027-10-01' WHERE id = $1")
        .bind(m)
        .execute(&t.app.pool)
        .await
        .unwrap();
    let (key, label, colour): (String, String, String) =
        sqlx::query_as("SELECT stage_key, stage_label, stage_colour FROM follow_ups")
            .fetch_one(&t.app.pool)
            .await
            .unwrap();
    assert_eq!(
        (key.as_str(), label.as_str(), colour.as_str()),
        ("before_2w", "2 semaines avant", "red")
    );
    let page = t
        .app
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Facture reçue."));
    assert!(
        page.contains("2 semaines avant"),
        "history keeps the stage of the moment"
    );
}

#[tokio::test]
async fn the_to_do_list_is_ordered_by_colour_then_days_and_a_follow_up_clears_it() {
    let t = team().await;
    let pool = &t.app.pool;
    // Regional timeline on 2026-11-29:
    let green = member(pool, "Vert", t.district, Some(t.rep), "2027-08-01").await; // after_3m
    let yellow = member(pool, "Jaune", t.district, Some(t.rep), "2027-02-15").await; // before_3m
    let orange = member(pool, "Orange", t.district, Some(t.rep), "2026-12-25").await; // before_1m
    let red_far = member(pool, "RougeLoin", t.district, Some(t.rep), "2026-12-12").await; // before_2w
    let red_overdue = member(pool, "RougeRetard", t.district, Some(t.rep), "2026-11-20").await;
    let not_mine = member(pool, "Autrui", t.district, Some(t.rep2), "2026-11-21").await;
    t.app.login("rep@test.ca", PASSWORD).await;

    let page = t.app.get("/aujourdhui").await.text().await.unwrap();
    let todo =
        &page[page.find("À faire").unwrap()..page.find("État du membre : rouge ou jaune").unwrap()];
    let pos = |id: i64| {
        todo.find(&format!("/membres/{id}?retour"))
            .unwrap_or_else(|| panic!("member {id} is in the to-do list"))
    };
    let order = [
        pos(red_overdue),
        pos(red_far),
        pos(orange),
        pos(yellow),
        pos(green),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(!page.contains(&format!("/membres/{not_mine}")));

    // The link carries the way back; logging returns to the day page.
    assert!(page.contains(&format!("/membres/{red_overdue}?retour=/aujourdhui\"")));
    let r = log(
        &t.app,
        red_overdue,
        &[
            ("channel", "visit"),
            ("body", "Renouvellement payé au comptoir."),
            ("state", "green"),
            ("retour", "/aujourdhui"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/aujourdhui?suivi=1&membre={red_overdue}")
    );
    let page = t.app.get("/aujourdhui").await.text().await.unwrap();
    let todo =
        &page[page.find("À faire").unwrap()..page.find("État du membre : rouge ou jaune").unwrap()];
    assert!(
        !todo.contains("Membre RougeRetard"),
        "done stage leaves the list"
    );
    assert!(todo.contains("Membre RougeLoin"));
    // And the member file marks the stage as done.
    let file = t
        .app
        .get(&format!("/membres/{red_overdue}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("Étape faite"));
}

/// A member of rep with a follow-up planned on 2026-12-07 (checked).
async fn planned(t: &Team) -> i64 {
    let m = member(
        &t.app.pool,
        "Relance",
        t.district,
        Some(t.rep),
        "2027-06-01",
    )
    .await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let r = log(
        &t.app,
        m,
        &[
            ("channel", "call"),
            ("body", "Rappeler lundi."),
            ("state", "yellow"),
            ("next_date", "2026-12-07"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    let plans: Vec<(String, NaiveDate)> =
        sqlx::query_as("SELECT status, due_date FROM planned_follow_ups WHERE member_id = $1")
            .bind(m)
            .fetch_all(&t.app.pool)
            .await
            .unwrap();
    assert_eq!(plans, vec![("open".to_string(), d("2026-12-07"))]);
    m
}

/// The « Relances prévues » section of the day page.
async fn due_section(t: &Team) -> String {
    let day = t.app.get("/aujourdhui").await.text().await.unwrap();
    day[day.find("Relances prévues").unwrap()..day.find("À faire").unwrap()].to_string()
}

#[tokio::test]
async fn a_planned_follow_up_shows_on_the_day_page_from_its_date_and_overdue_after() {
    let t = team().await;
    let m = planned(&t).await;
    assert!(
        !due_section(&t).await.contains("Membre Relance"),
        "not due before its date"
    );
    let file = t
        .app
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("Relance prévue le 7 déc. 2026"));

    // Its date passes: it is overdue on the day page.
    sqlx::query("UPDATE planned_follow_ups SET due_date = '2026-11-25'")
        .execute(&t.app.pool)
        .await
        .unwrap();
    let due = due_section(&t).await;
    assert!(due.contains("Membre Relance") && due.contains("en retard"));
}

#[tokio::test]
async fn rescheduling_refuses_a_past_date_and_moves_the_plan_to_a_future_one() {
    let t = team().await;
    let m = planned(&t).await;
    let bad = t
        .app
        .post_form(
            &format!("/membres/{m}/relance"),
            &[("next_date", "2026-11-01")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("La date de relance est passée")
    );
    let ok = t
        .app
        .post_form(
            &format!("/membres/{m}/relance"),
            &[("next_date", "2026-12-15")],
        )
        .await;
    assert_eq!(location(&ok), format!("/membres/{m}?relance=1#suivis"));
    let (open, rescheduled): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'open' AND due_date = '2026-12-15'), \
         count(*) FILTER (WHERE status = 'rescheduled') FROM planned_follow_ups",
    )
    .fetch_one(&t.app.pool)
    .await
    .unwrap();
    assert_eq!((open, rescheduled), (1, 1));
}

#[tokio::test]
async fn the_next_follow_up_closes_the_planned_one() {
    let t = team().await;
    let m = planned(&t).await;
    let r = log(
        &t.app,
        m,
        &[
            ("channel", "email"),
            ("body", "Réponse reçue."),
            ("state", "green"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    let plans: Vec<(String, bool)> = sqlx::query_as(
        "SELECT p.status, p.closed_by_follow_up_id = f.id FROM planned_follow_ups p \
         JOIN follow_ups f ON f.body = 'Réponse reçue.'",
    )
    .fetch_all(&t.app.pool)
    .await
    .unwrap();
    assert_eq!(plans, vec![("done".to_string(), true)]);
}

#[tokio::test]
async fn the_state_shown_is_the_latest_and_corrections_keep_the_original() {
    let t = team().await;
    let m = member(&t.app.pool, "Etat", t.district, Some(t.rep), "2027-06-01").await;
    t.app.login("rep@test.ca", PASSWORD).await;
    for (channel, body, state) in [
        ("call", "Hésite.", "yellow"),
        ("meeting", "Convaincu.", "flame"),
    ] {
        let r = log(
            &t.app,
            m,
            &[("channel", channel), ("body", body), ("state", state)],
        )
        .await;
        assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    }
    let list = t.app.get("/membres").await.text().await.unwrap();
    assert!(list.contains("badge state-flame") && !list.contains("badge state-yellow"));
    let state: String = sqlx::query_scalar("SELECT state FROM members WHERE id = $1")
        .bind(m)
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    assert_eq!(state, "flame");

    let first: i64 = sqlx::query_scalar("SELECT id FROM follow_ups WHERE body = 'Hésite.'")
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    let empty = t
        .app
        .post_form(
            &format!("/membres/{m}/suivis/{first}/correction"),
            &[("body", " ")],
        )
        .await;
    assert_eq!(empty.status(), 422);
    let r = t
        .app
        .post_form(
            &format!("/membres/{m}/suivis/{first}/correction"),
            &[("body", "Il hésitait à cause du prix.")],
        )
        .await;
    assert_eq!(location(&r), format!("/membres/{m}?correction=1#suivis"));
    let page = t
        .app
        .get(&format!("/membres/{m}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hésite.") && page.contains("Il hésitait à cause du prix."));
    assert!(page.contains("Correction du"));
    let state: String = sqlx::query_scalar("SELECT state FROM members WHERE id = $1")
        .bind(m)
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    assert_eq!(state, "flame", "a correction does not change the state");
}

#[tokio::test]
async fn bad_follow_up_input_gets_french_messages_and_keeps_the_form() {
    let t = team().await;
    let m = member(&t.app.pool, "Saisie", t.district, Some(t.rep), "2027-06-01").await;
    t.app.login("rep@test.ca", PASSWORD).await;
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("channel", "call".into()),
                ("body", "  ".into()),
                ("state", "green".into()),
            ],
            "Écrivez ce qui s&#39;est dit ou fait.",
        ),
        (
            vec![
                ("channel", "call".into()),
                ("body", "Texte gardé".into()),
                ("state", "green".into()),
                ("next_date", "2026-11-01".into()),
            ],
            "La date de relance est passée",
        ),
        (
            vec![
                ("channel", "pigeon".into()),
                ("body", "Texte gardé".into()),
                ("state", "green".into()),
            ],
            "Choisissez le moyen de contact dans la liste.",
        ),
        (
            vec![
                ("channel", "call".into()),
                ("body", "x".repeat(100 * 1024)),
                ("state", "green".into()),
            ],
            "trop long",
        ),
    ];
    for (fields, message) in cases {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = log(&t.app, m, &pairs).await;
        assert_eq!(r.status(), 422, "{message}");
        let body = r.text().await.unwrap();
        let found = body.contains(message) || body.contains(&message.replace("&#39;", "'"));
        assert!(found, "{message}");
        if fields.iter().any(|(_, v)| v == "Texte gardé") {
            assert!(body.contains(">Texte gardé</textarea>"), "typed text kept");
        }
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM follow_ups")
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing written");
}

#[tokio::test]
async fn follow_ups_are_logged_only_within_scope() {
    let t = team().await;
    let theirs = member(
        &t.app.pool,
        "Autre",
        t.other_district,
        Some(t.other_rep),
        "2027-06-01",
    )
    .await;
    let colleague = member(
        &t.app.pool,
        "Collegue",
        t.district,
        Some(t.rep2),
        "2027-06-01",
    )
    .await;
    let fields = [("channel", "call"), ("body", "x"), ("state", "green")];
    t.app.login("rep@test.ca", PASSWORD).await;
    assert_eq!(log(&t.app, theirs, &fields).await.status(), 404);
    assert_eq!(log(&t.app, colleague, &fields).await.status(), 404);
    let manager = t.app.sibling().await;
    manager.login("gest@test.ca", PASSWORD).await;
    let r = log(&manager, colleague, &fields).await;
    assert_eq!(location(&r), format!("/membres/{colleague}?suivi=1#suivis"));
    assert_eq!(log(&manager, theirs, &fields).await.status(), 404);
    let written: Vec<(i64, String)> = sqlx::query_as(
        "SELECT f.member_id, u.email FROM follow_ups f JOIN users u ON u.id = f.author_id",
    )
    .fetch_all(&t.app.pool)
    .await
    .unwrap();
    assert_eq!(
        written,
        vec![(colleague, "gest@test.ca".to_string())],
        "only the manager's follow-up, on their district's member"
    );
    let billing = t.app.sibling().await;
    billing.login("fact@test.ca", PASSWORD).await;
    assert_eq!(log(&billing, colleague, &fields).await.status(), 403);
}

/// The figures of `name`'s row of the activity table, digits only.
fn activity_row(page: &str, name: &str) -> Vec<String> {
    let start = page.find(&format!("Test {name}")).expect("rep row");
    let end = page[start..].find("</tr>").unwrap() + start;
    page[start..end]
        .split("<td class=\"num\"")
        .skip(1)
        .map(|c| {
            // The cell's text, tags removed.
            let mut text = String::new();
            let mut in_tag = false;
            for ch in c.split("</td>").next().unwrap_or("").chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    ch if !in_tag && ch.is_ascii_digit() => text.push(ch),
                    _ => {}
                }
            }
            text
        })
        .collect()
}

#[tokio::test]
async fn the_activity_figures_add_up_on_a_hand_built_team() {
    let t = team().await;
    let pool = &t.app.pool;
    let a1 = member(pool, "A1", t.district, Some(t.rep), "2027-06-01").await;
    let a2 = member(pool, "A2", t.district, Some(t.rep), "2027-06-02").await;
    let b1 = member(pool, "B1", t.district, Some(t.rep2), "2027-06-03").await;
    sqlx::query("UPDATE members SET state = 'red' WHERE id IN ($1, $2)")
        .bind(a1)
        .bind(b1)
        .execute(pool)
        .await
        .unwrap();
    // rep: 3 follow-ups in the window (one on a1's current stage), one too old,
    // one correction (not counted).
    let insert = |member: i64, author: i64, at: &'static str, stage: Option<&'static str>| async move {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, state) \
             VALUES ($1, $2, $3::timestamptz, 'call', 'x', 1, $4, 'green') RETURNING id",
        )
        .bind(member)
        .bind(author)
        .bind(at)
        .bind(stage)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    insert(a1, t.rep, "2026-11-20 15:00:00+00", Some("after_3m")).await;
    let f = insert(a2, t.rep, "2026-11-10 15:00:00+00", Some("before_6m")).await;
    insert(a2, t.rep, "2026-11-28 15:00:00+00", None).await;
    insert(a1, t.rep, "2026-09-01 15:00:00+00", Some("after_3m")).await;
    sqlx::query(
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, state, corrects_id) \
         VALUES ($1, $2, '2026-11-27 15:00:00+00', 'call', 'correction', 1, 'green', $3)",
    )
    .bind(a2)
    .bind(t.rep)
    .bind(f)
    .execute(pool)
    .await
    .unwrap();
    // Planned: one missed (open, past), one closed late (missed), one on time, one not due yet.
    for (by, due, status, closed) in [
        (t.rep, "2026-11-20", "open", None),
        (t.rep, "2026-11-15", "done", Some("2026-11-18")),
        (t.rep, "2026-11-16", "done", Some("2026-11-16")),
        (t.rep2, "2026-12-10", "open", None),
    ] {
        sqlx::query(
            "INSERT INTO planned_follow_ups (member_id, planned_by, due_date, status, closed_on) \
             VALUES ($1, $2, $3::date, $4, $5::date)",
        )
        .bind(if by == t.rep { a1 } else { b1 })
        .bind(by)
        .bind(due)
        .bind(status)
        .bind(closed)
        .execute(pool)
        .await
        .expect("relance prévue");
    }
    t.app.login("gest@test.ca", PASSWORD).await;
    let page = t.app.get("/district/activite").await.text().await.unwrap();
    let row = |name: &str| activity_row(&page, name);
    // active members, follow-ups, missed, undone stages, red state
    assert_eq!(row("rep@test.ca"), ["2", "3", "2", "1", "1"]);
    assert_eq!(row("rep2@test.ca"), ["1", "0", "0", "1", "1"]);
}

#[tokio::test]
async fn bulk_reassignment_moves_only_members_of_the_managers_district() {
    let t = team().await;
    let pool = &t.app.pool;
    let o1 = member(pool, "Orphelin1", t.district, None, "2027-03-01").await;
    let o2 = member(pool, "Orphelin2", t.district, None, "2027-04-01").await;
    let far = member(pool, "Lointain", t.other_district, None, "2027-04-01").await;
    t.app.login("gest@test.ca", PASSWORD).await;
    let page = t.app.get("/district/activite").await.text().await.unwrap();
    assert!(page.contains("Membre Orphelin1") && !page.contains("Membre Lointain"));

    // No representative chosen: refused, boxes kept.
    let o1s = o1.to_string();
    let refused = t
        .app
        .post_form(
            "/district/reassigner",
            &[("member_id", &o1s), ("representative_id", "")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Choisissez un·e représentant·e actif de votre district."));
    assert!(body.contains(&format!(
        "value=\"{o1}\" id=\"orphan-{o1}\" aria-label=\"Choisir Membre Orphelin1\" checked"
    )));

    // A representative of another district is refused too.
    let other = t.other_rep.to_string();
    let r = t
        .app
        .post_form(
            "/district/reassigner",
            &[("member_id", &o1s), ("representative_id", &other)],
        )
        .await;
    assert_eq!(r.status(), 422);

    let (o2s, fars, rep) = (o2.to_string(), far.to_string(), t.rep.to_string());
    let r = t
        .app
        .post_form(
            "/district/reassigner",
            &[
                ("member_id", &o1s),
                ("member_id", &o2s),
                ("member_id", &fars),
                ("representative_id", &rep),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/district/activite?confies=2");
    let reps: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, representative_id FROM members ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        reps,
        vec![(o1, Some(t.rep)), (o2, Some(t.rep)), (far, None)]
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE field = 'Représentant·e' AND entity = 'member'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn the_stage_summary_counts_follow_ups_per_cycle_and_stage_but_not_corrections() {
    let t = team().await;
    // R = 2027-06-01, regional: on 2026-11-29 (R − 6 months is 2026-12-01)
    // the member is still in « 3 à 6 mois après ».
    let m = member(&t.app.pool, "Resume", t.district, Some(t.rep), "2027-06-01").await;
    t.app.login("rep@test.ca", PASSWORD).await;
    for body in ["Premier appel.", "Deuxième appel."] {
        let r = log(
            &t.app,
            m,
            &[("channel", "call"), ("body", body), ("state", "green")],
        )
        .await;
        assert_eq!(location(&r), format!("/membres/{m}?suivi=1#suivis"));
    }
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM follow_ups WHERE member_id = $1")
        .bind(m)
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    let r = t
        .app
        .post_form(
            &format!("/membres/{m}/suivis/{first}/correction"),
            &[("body", "Premier appel, précisé.")],
        )
        .await;
    assert_eq!(location(&r), format!("/membres/{m}?correction=1#suivis"));
    let rows: Vec<(i32, String, i32)> = sqlx::query_as(
        "SELECT cycle, stage_key, follow_ups FROM stage_follow_ups WHERE member_id = $1",
    )
    .bind(m)
    .fetch_all(&t.app.pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![(1, "after_3m".to_string(), 2)]);

    // The member carries the stages done in its current cycle (migration
    // 0020): a new cycle starts empty, going back finds them again.
    let done = |cycle: Option<i32>| {
        let pool = t.app.pool.clone();
        async move {
            if let Some(c) = cycle {
                sqlx::query("UPDATE members SET cycle = $2 WHERE id = $1")
                    .bind(m)
                    .bind(c)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            sqlx::query_scalar::<_, Vec<String>>("SELECT stages_done FROM members WHERE id = $1")
                .bind(m)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(done(None).await, ["after_3m"]);
    assert!(done(Some(2)).await.is_empty());
    assert_eq!(done(Some(1)).await, ["after_3m"]);
}

/// A representative with no member yet is told so, not congratulated.
#[tokio::test]
async fn an_empty_portfolio_says_that_no_member_is_entrusted_yet() {
    let app = TestApp::spawn_at(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()).await;
    let district = app.create_district("Montréal").await;
    app.create_user("nouvelle@test.ca", Role::Representative, Some(district))
        .await;
    assert_eq!(app.login("nouvelle@test.ca", PASSWORD).await.status(), 303);
    let page = app.get("/aujourdhui").await.text().await.unwrap();
    assert!(
        page.contains("Aucun membre ne vous est encore confié"),
        "{page}"
    );
    assert!(!page.contains("Bravo"));
    assert!(!page.contains("Les 0 membres"));
    assert!(page.contains("Aucun membre pour l'instant."));
}

/// « Aujourd'hui » shows the 50 most urgent stages to do and says how many
/// others there are, with a link to all of them; the members in the red or
/// yellow state are counted in full, the first 30 listed (red first), the
/// rest reached through the member list filtered by state.
#[tokio::test]
async fn a_big_portfolio_shows_the_most_urgent_stages_and_links_to_the_others() {
    let t = team().await;
    let pool = &t.app.pool;
    let first = d("2026-12-01");
    let mut ids = Vec::new();
    for i in 0..55 {
        let renewal = (first + chrono::Days::new(i)).to_string();
        let id = member(pool, &format!("N{i:02}"), t.district, Some(t.rep), &renewal).await;
        let state = match i {
            0..32 => "red",
            32..35 => "yellow",
            _ => "green",
        };
        sqlx::query("UPDATE members SET state = $2 WHERE id = $1")
            .bind(id)
            .bind(state)
            .execute(pool)
            .await
            .unwrap();
        ids.push(id);
    }
    t.app.login("rep@test.ca", PASSWORD).await;
    let section = |page: &str, from: &str, to: &str| -> String {
        let start = page.find(from).expect(from);
        page[start..start + page[start..].find(to).expect(to)].to_string()
    };

    let page = t.app.get("/aujourdhui").await.text().await.unwrap();
    let todo = section(&page, "id=\"todo-title\"", "id=\"care-title\"");
    assert!(todo.contains("étapes sans suivi <span class=\"count-pill\">55</span>"));
    assert_eq!(todo.matches("?retour=/aujourdhui\"").count(), 50, "{todo}");
    assert!(todo.contains(&format!("/membres/{}?retour", ids[0])));
    assert!(!todo.contains(&format!("/membres/{}?retour", ids[54])));
    assert!(todo.contains(
        "<a href=\"/aujourdhui?tout=1#todo-title\">Afficher les 5 autres étapes sans suivi</a>"
    ));

    let all = t.app.get("/aujourdhui?tout=1").await.text().await.unwrap();
    let todo = section(&all, "id=\"todo-title\"", "id=\"care-title\"");
    assert_eq!(todo.matches("?retour=/aujourdhui\"").count(), 55);
    assert!(todo.contains("N'afficher que les 50 plus urgentes"));

    let care = section(&page, "id=\"care-title\"", "id=\"touch-title\"");
    assert!(care.contains("rouge ou jaune <span class=\"count-pill\">35</span>"));
    assert_eq!(care.matches("<li>").count(), 30);
    assert!(care.contains("<a href=\"/membres?etat=red\">32 à l'état rouge</a>"));
    assert!(care.contains("<a href=\"/membres?etat=yellow\">3 à l'état jaune</a>"));
    // Red first: no yellow member among the 30 listed.
    assert!(!care.contains(&format!("/membres/{}?retour", ids[33])));
}
