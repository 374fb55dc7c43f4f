//! The demo data of `serve --demo`: realistic, consistent and reproducible.
mod common;

use chrono::NaiveDate;
use renouvo::demo::{self, DEMO_PASSWORD};
use renouvo::domain::member::profession_key;
use renouvo::domain::user::Role;
use sqlx::PgPool;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `count` of a query whose `$1` is today.
async fn count_today(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(today())
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn seeding_twice_creates_once_and_fills_every_case() {
    let (pool, _) = common::fresh_database().await;
    let started = std::time::Instant::now();
    let logins = demo::seed_for(&pool, today())
        .await
        .unwrap()
        .expect("seeded");
    eprintln!("demo seeded in {:?}", started.elapsed());
    assert!(demo::seed_for(&pool, today()).await.unwrap().is_none());
    assert!(demo::seed(&pool).await.unwrap().is_none());

    let users = count(&pool, "SELECT count(*) FROM users").await;
    assert_eq!(users, logins.len() as i64);
    let c = |sql| count(&pool, sql);
    assert_eq!(c("SELECT count(*) FROM districts").await, 3);
    let groups = c("SELECT count(*) FROM groups").await;
    assert!((12..=18).contains(&groups), "{groups} groups");
    assert!(c("SELECT count(*) FROM groups WHERE kind = 'B'").await > 0);
    let members = c("SELECT count(*) FROM members").await;
    assert!((350..=450).contains(&members), "{members} members");
    for formula in [
        "SELECT count(*) FROM members WHERE formula = 'exclusive'",
        "SELECT count(*) FROM members WHERE formula = 'regional'",
        "SELECT count(*) FROM members WHERE formula = 'partner'",
    ] {
        assert!(c(formula).await > 0, "{formula}");
    }
    let overdue = count_today(
        &pool,
        "SELECT count(*) FROM members WHERE status = 'active' AND renewal_date < $1",
    )
    .await;
    assert!(overdue > 0, "overdue members");
    let orphans = c("SELECT count(*) FROM members WHERE representative_id IS NULL").await;
    assert!(orphans > 0, "orphans");
    let lost = c("SELECT count(*) FROM members WHERE status = 'lost'").await;
    assert!(lost > 0, "lost members");
    // The urgent stages have people in them: red (last two weeks) and
    // orange (a month to two weeks before).
    let red = count_today(
        &pool,
        "SELECT count(*) FROM members WHERE status = 'active' \
                 AND renewal_date BETWEEN $1 AND $1 + 13",
    )
    .await;
    let orange = count_today(
        &pool,
        "SELECT count(*) FROM members WHERE status = 'active' \
                    AND renewal_date BETWEEN $1 + 14 AND $1 + 30",
    )
    .await;
    assert!(red >= 5 && orange >= 5, "red {red}, orange {orange}");
    for state in ["flame", "green", "yellow", "red"] {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM members WHERE state = $1")
            .bind(state)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(n > 0, "state {state}");
    }
    assert!(c("SELECT count(*) FROM members WHERE board_member").await > 0);
    assert!(c("SELECT count(*) FROM members WHERE gr_credits_cents > 0").await > 0);
    // Every member and group has its "created" line in the audit log.
    let audited = c("SELECT count(*) FROM audit_log \
                     WHERE field = 'created' AND entity IN ('member', 'group') \
                    ")
    .await;
    assert_eq!(audited, members + groups);
}

type Row = (
    String,
    String,
    String,
    NaiveDate,
    String,
    String,
    Option<String>,
);

async fn member_rows(pool: &PgPool) -> Vec<Row> {
    sqlx::query_as(
        "SELECT last_name, first_name, profession, renewal_date, email, phone, state \
         FROM members ORDER BY last_name, first_name, profession, renewal_date",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_day_gives_the_same_demo() {
    let (first, _) = common::fresh_database().await;
    let (second, _) = common::fresh_database().await;
    demo::seed_for(&first, today()).await.unwrap().unwrap();
    demo::seed_for(&second, today()).await.unwrap().unwrap();
    let a = member_rows(&first).await;
    assert!(!a.is_empty());
    assert_eq!(a, member_rows(&second).await);
}

#[tokio::test]
async fn seats_groups_and_representatives_are_consistent() {
    let (pool, _) = common::fresh_database().await;
    demo::seed_for(&pool, today()).await.unwrap().unwrap();
    let c = |sql| count(&pool, sql);
    let clashes = c("SELECT count(*) FROM ( \
           SELECT group_id, profession_key FROM members \
           WHERE status = 'active' AND formula = 'exclusive' AND group_kind = 'A' \
             \
           GROUP BY group_id, profession_key HAVING count(*) > 1) x")
    .await;
    assert_eq!(clashes, 0, "two active exclusive members share a seat");
    let outside_group = c(
        "SELECT count(*) FROM members m JOIN groups g ON g.id = m.group_id \
           WHERE (g.district_id <> m.district_id OR g.kind <> m.group_kind) \
            ",
    )
    .await;
    assert_eq!(outside_group, 0, "a member's group is in another district");
    let not_exclusive_in_group = c("SELECT count(*) FROM members \
           WHERE (formula = 'exclusive') <> (group_id IS NOT NULL)")
    .await;
    assert_eq!(not_exclusive_in_group, 0);
    let outside_rep = c(
        "SELECT count(*) FROM members m JOIN users u ON u.id = m.representative_id \
           WHERE (u.district_id IS DISTINCT FROM m.district_id OR u.role <> 'representative') \
            ",
    )
    .await;
    assert_eq!(outside_rep, 0, "a member's representative works elsewhere");
    let board_outside = c("SELECT count(*) FROM members \
           WHERE board_member AND formula <> 'exclusive'")
    .await;
    assert_eq!(board_outside, 0);
    let joined_late = count_today(
        &pool,
        "SELECT count(*) FROM members \
           WHERE join_date >= renewal_date OR join_date > $1",
    )
    .await;
    assert_eq!(joined_late, 0);
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT profession, profession_key FROM members")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (profession, key) in keys {
        assert_eq!(key, profession_key(&profession));
    }
    let renewals: (NaiveDate, NaiveDate) = sqlx::query_as(
        "SELECT min(renewal_date), max(renewal_date) FROM members WHERE status = 'active'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        renewals.0 >= today() - chrono::Days::new(40),
        "{renewals:?}"
    );
    assert!(
        renewals.1 <= today() + chrono::Days::new(366),
        "{renewals:?}"
    );
}

#[tokio::test]
async fn every_demo_account_can_log_in_and_the_main_ones_come_first() {
    let (pool, options) = common::fresh_database().await;
    let logins = demo::seed_for(&pool, today()).await.unwrap().unwrap();
    let first_roles: Vec<Role> = logins.iter().take(4).map(|l| l.role).collect();
    for role in Role::ALL {
        assert!(first_roles.contains(&role), "{role:?} among the first four");
    }
    assert_eq!(logins[0].email, "direction@demo.renouvo.ca");
    assert!(logins.len() > 4);
    let app = common::TestApp::spawn_on(pool, options).await;
    for l in &logins {
        let resp = app
            .new_client()
            .post(app.url("/login"))
            .form(&[("email", l.email.as_str()), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{}", l.email);
    }
}
