//! Hand-built renewals for the calibration report (today is 2026-11-29,
//! the default period 2025-11 to 2026-10). Every member is a partner
//! (no group, so no attendance factor) who joined on 2015-01-01 (senior,
//! −10) with a 12-month term. Sixty days before the due date, the stages
//! « Inscription », « 1 mois après » and « 11 à 6 mois avant » are over,
//! and « 3 mois avant » too unless the due date is in March or April
//! (February makes two months shorter than 60 days); missed stages count
//! 5 points each, 15 at most. The score as it was then:
//!
//! | member | district | due | outcome | history before due − 60 | score |
//! |---|---|---|---|---|---|
//! | Aube | A | 2026-03-16 | renewed | flame follow-up (growth) at due − 70 | 15 − 10 − 15 + 10 (2 stages missed) = 0 |
//! | Bois | A | 2026-04-10 | renewed | the same | 0 |
//! | Cyr | A | 2026-05-12 | renewed | nothing | 15 − 10 + 15 (3 stages) + 10 (no contact) = 30 |
//! | Drouin | A | 2026-06-15 | lost | nothing | 30 |
//! | Émond | A | 2026-07-15 | lost | red follow-up (growth) and an irrecoverable reason at due − 70 | 15 − 10 + 25 + 35 + 15 (3 stages) = 80 |
//! | Ferland | A | 2026-08-14 | renewed | the same as Émond | 80 |
//! | Gagné | B | 2026-05-20 | renewed | nothing | 30 |
//!
//! Left out: Hamel (A), renewed but due 2025-10-15, before the period;
//! Isabel (A), due 2026-09-10 and still pending.
//!
//! Network: 0–19 2 due, 2 renewed; 20–39 3 due, 2 renewed, 1 lost;
//! 80–100 2 due, 1 renewed, 1 lost. District A: 20–39 2 due, 1 renewed.
use chrono::{Days, Months, NaiveDate};
use sqlx::PgPool;

use super::TestApp;
use super::reports::{MemberSpec, at, d, follow_up, lose, member, renewal};
use renouvo::domain::user::Role;

pub const DIRECTION: &str = "dir@test.ca";
pub const MANAGER_A: &str = "gest.a@test.ca";
pub const REP_A: &str = "rep.a@test.ca";

pub struct Renewals {
    pub app: TestApp,
    pub district_a: i64,
    pub rep: i64,
    pub aube: i64,
}

pub fn minus(day: &str, days: u64) -> String {
    (d(day) - Days::new(days)).to_string()
}

/// A partner member of `district` due on `due`, renewed then (recorded
/// three days before) or lost five days after.
async fn due_member(
    app: &TestApp,
    district: i64,
    rep: i64,
    name: &str,
    due: &str,
    renewed: bool,
) -> i64 {
    let pool = &app.pool;
    let next = (d(due) + Months::new(12)).to_string();
    let spec = MemberSpec {
        rep: Some(rep),
        cycle: if renewed { 2 } else { 1 },
        ..MemberSpec::new(name, district, "partner", if renewed { &next } else { due })
    };
    let id = member(pool, spec).await;
    if renewed {
        renewal(
            pool,
            id,
            rep,
            due,
            &next,
            "partner",
            &minus(due, 3),
            2,
            None,
        )
        .await;
    } else {
        let lost_on = (d(due) + Days::new(5)).to_string();
        lose(pool, id, &lost_on, "Manque de temps").await;
    }
    id
}

/// A red follow-up and an irrecoverable reason, both on `day`.
pub async fn worrying(pool: &PgPool, member: i64, author: i64, day: &str) {
    follow_up(pool, member, author, day, 1, "growth", "red").await;
    sqlx::query(
        "INSERT INTO member_reasons (member_id, reason_id, author_id, at) \
         SELECT $1, id, $2, $3 FROM reasons WHERE category = 'irrecoverable' \
         ORDER BY position LIMIT 1",
    )
    .bind(member)
    .bind(author)
    .bind(at(day))
    .execute(pool)
    .await
    .expect("raison");
}

pub async fn renewals() -> Renewals {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let a = app.create_district("Montréal").await;
    let b = app.create_district("Québec").await;
    let rep = app.create_user(REP_A, Role::Representative, Some(a)).await;
    let rep_b = app
        .create_user("rep.b@test.ca", Role::Representative, Some(b))
        .await;
    app.create_user(MANAGER_A, Role::DistrictManager, Some(a))
        .await;
    app.create_user(DIRECTION, Role::Direction, None).await;
    let pool = &app.pool.clone();
    let aube = due_member(&app, a, rep, "Aube", "2026-03-16", true).await;
    let bois = due_member(&app, a, rep, "Bois", "2026-04-10", true).await;
    for (id, due) in [(aube, "2026-03-16"), (bois, "2026-04-10")] {
        follow_up(pool, id, rep, &minus(due, 70), 1, "growth", "flame").await;
    }
    due_member(&app, a, rep, "Cyr", "2026-05-12", true).await;
    due_member(&app, a, rep, "Drouin", "2026-06-15", false).await;
    let emond = due_member(&app, a, rep, "Émond", "2026-07-15", false).await;
    worrying(pool, emond, rep, &minus("2026-07-15", 70)).await;
    let ferland = due_member(&app, a, rep, "Ferland", "2026-08-14", true).await;
    worrying(pool, ferland, rep, &minus("2026-08-14", 70)).await;
    due_member(&app, b, rep_b, "Gagné", "2026-05-20", true).await;
    due_member(&app, a, rep, "Hamel", "2025-10-15", true).await;
    member(
        pool,
        MemberSpec {
            rep: Some(rep),
            ..MemberSpec::new("Isabel", a, "partner", "2026-09-10")
        },
    )
    .await;
    Renewals {
        app,
        district_a: a,
        rep,
        aube,
    }
}

/// The table's row for a group as the page writes it (the rate first,
/// then due, renewed and lost).
pub fn row(label: &str, due: i64, renewed: i64, rate: &str) -> String {
    let rate_cell = format!("<td class=\"num\">{rate}");
    format!(
        "<tr><th scope=\"row\">{label}</th>{rate_cell}{}</td><td class=\"num\">{due}</td>\
         <td class=\"num\">{renewed}</td><td class=\"num\">{}</td></tr>",
        if due > 0 && due < 10 {
            "<div class=\"muted small\">peu de cas</div>"
        } else {
            ""
        },
        due - renewed
    )
}

pub fn date(s: &str) -> NaiveDate {
    d(s)
}
