//! Shared set-up for the users and portfolios tests: two districts, their
//! people (one account per role), members with a planned follow-up, and a
//! logged-in client per person.
use chrono::NaiveDate;
use renouvo::domain::user::Role;
use sqlx::PgPool;

use super::TestApp;
use super::builders::MemberBuilder;

pub struct World {
    pub app: TestApp,
    pub district_a: i64,
    pub district_b: i64,
    pub direction: i64,
    pub manager_a: i64,
    pub manager_b: i64,
    pub rep_a1: i64,
    pub rep_a2: i64,
    pub rep_b: i64,
    pub billing: i64,
    /// Members of rep_a1 (each with an open planned follow-up due today).
    pub m1: i64,
    pub m2: i64,
    /// An orphan of district A.
    pub orphan_a: i64,
    /// A member of rep_b.
    pub m_b: i64,
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}

/// Emails of the world's people, by their field name.
pub const DIR: &str = "dir@test.ca";
pub const GEST_A: &str = "gest.a@test.ca";
pub const GEST_B: &str = "gest.b@test.ca";
pub const REP_A1: &str = "rep.a1@test.ca";
pub const REP_A2: &str = "rep.a2@test.ca";
pub const REP_B: &str = "rep.b@test.ca";
pub const FACT: &str = "fact@test.ca";

pub async fn world() -> World {
    let app = TestApp::spawn_at(today()).await;
    let district_a = app.create_district("Capitale").await;
    let district_b = app.create_district("Montérégie").await;
    let direction = app.create_user(DIR, Role::Direction, None).await;
    let manager_a = app
        .create_user(GEST_A, Role::DistrictManager, Some(district_a))
        .await;
    let manager_b = app
        .create_user(GEST_B, Role::DistrictManager, Some(district_b))
        .await;
    let rep_a1 = app
        .create_user(REP_A1, Role::Representative, Some(district_a))
        .await;
    let rep_a2 = app
        .create_user(REP_A2, Role::Representative, Some(district_a))
        .await;
    let rep_b = app
        .create_user(REP_B, Role::Representative, Some(district_b))
        .await;
    let billing = app.create_user(FACT, Role::Billing, None).await;
    let m1 = insert_member(&app.pool, "Alice", "Audet", district_a, Some(rep_a1)).await;
    let m2 = insert_member(&app.pool, "Benoît", "Bouchard", district_a, Some(rep_a1)).await;
    let orphan_a = insert_member(&app.pool, "Odile", "Orphelin", district_a, None).await;
    let m_b = insert_member(&app.pool, "Bruno", "Brault", district_b, Some(rep_b)).await;
    for m in [m1, m2] {
        plan_follow_up(&app.pool, m, rep_a1, today()).await;
    }
    World {
        app,
        district_a,
        district_b,
        direction,
        manager_a,
        manager_b,
        rep_a1,
        rep_a2,
        rep_b,
        billing,
        m1,
        m2,
        orphan_a,
        m_b,
    }
}

/// An active regional member renewing in six months.
pub async fn insert_member(
    pool: &PgPool,
    first: &str,
    last: &str,
    district_id: i64,
    rep: Option<i64>,
) -> i64 {
    let mut m = MemberBuilder::new(district_id)
        .name(first, last)
        .joined("2024-05-01")
        .renewing("2027-05-01")
        .contact("avant@exemple.ca", "Québec");
    if let Some(rep) = rep {
        m = m.rep(rep);
    }
    m.insert(pool).await
}

pub async fn plan_follow_up(pool: &PgPool, member: i64, by: i64, due: NaiveDate) {
    sqlx::query(
        "INSERT INTO planned_follow_ups (member_id, planned_by, due_date) VALUES ($1, $2, $3)",
    )
    .bind(member)
    .bind(by)
    .bind(due)
    .execute(pool)
    .await
    .expect("relance prévue");
}

/// A district-level escalation about `member`, taken in charge by
/// `acknowledged_by` when given.
pub async fn insert_escalation(
    pool: &PgPool,
    member: i64,
    raised_by: i64,
    acknowledged_by: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO escalations (member_id, raised_by, level, body, due_on, status, \
         acknowledged_at, acknowledged_by) \
         VALUES ($1, $2, 'district', 'Malaise avec le CA', '2026-12-01', \
         CASE WHEN $3::bigint IS NULL THEN 'open' ELSE 'acknowledged' END, \
         CASE WHEN $3::bigint IS NULL THEN NULL ELSE now() END, $3) RETURNING id",
    )
    .bind(member)
    .bind(raised_by)
    .bind(acknowledged_by)
    .fetch_one(pool)
    .await
    .expect("escalade")
}

pub async fn representative_of(pool: &PgPool, member: i64) -> Option<i64> {
    sqlx::query_scalar("SELECT representative_id FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(pool)
        .await
        .expect("membre")
}

/// Who owns the member's open planned follow-up.
pub async fn planner_of(pool: &PgPool, member: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT planned_by FROM planned_follow_ups WHERE member_id = $1 AND status = 'open'",
    )
    .bind(member)
    .fetch_one(pool)
    .await
    .expect("relance")
}

pub async fn audit_count(pool: &PgPool, entity: &str, entity_id: i64, field: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity = $1 AND entity_id = $2 AND field = $3",
    )
    .bind(entity)
    .bind(entity_id)
    .bind(field)
    .fetch_one(pool)
    .await
    .expect("audit")
}

/// A client (its own cookie jar) logged in as `email`.
pub async fn client_as(app: &TestApp, email: &str) -> reqwest::Client {
    super::actions::log_in(app, email).await.client
}

pub async fn client_with(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = app.new_client();
    let resp = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 303, "connexion de {email}");
    client
}

pub async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.expect("GET")
}

pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("origin", format!("http://{}", app.addr))
        .form(form)
        .send()
        .await
        .expect("POST")
}

/// The version hidden in a form (`name="version" value="…"`).
pub fn version_in(body: &str) -> String {
    let key = "name=\"version\" value=\"";
    body.split_once(key)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.to_string())
        .expect("version dans le formulaire")
}
