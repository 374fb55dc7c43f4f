//! What a representative's day is made of: the active portfolio, planned
//! follow-ups due, members whose state needs care, the touch list.
use chrono::NaiveDate;
use sqlx::{PgPool, QueryBuilder};

use crate::domain::scope::Scope;
use crate::member_row_select;
use crate::store::members::{MemberRow, push_scope};

/// Every active member in scope (a portfolio: tens to a few hundred).
pub async fn active_members(pool: &PgPool, scope: Scope) -> Result<Vec<MemberRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(member_row_select!());
    qb.push(" WHERE m.status = 'active'");
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY m.renewal_date, m.id");
    qb.build_query_as().fetch_all(pool).await
}

/// Open planned follow-ups due on or before `today`, oldest first.
pub async fn planned_due(
    pool: &PgPool,
    scope: Scope,
    today: NaiveDate,
) -> Result<Vec<(MemberRow, NaiveDate)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        member: MemberRow,
        due_date: NaiveDate,
    }
    let mut qb = QueryBuilder::new(concat!(
        "SELECT * FROM (",
        member_row_select!(),
        " WHERE m.status = 'active'"
    ));
    push_scope(&mut qb, scope);
    // Each member's open planned follow-up, if any (at most one: a
    // unique index), looked up member by member: the portfolio is small,
    // the network's open follow-ups due are many.
    qb.push(
        ") m CROSS JOIN LATERAL (SELECT p.due_date FROM planned_follow_ups p \
         WHERE p.member_id = m.id AND p.status = 'open' AND p.due_date <= ",
    );
    qb.push_bind(today);
    qb.push(" LIMIT 1) p ORDER BY p.due_date, m.last_name");
    let rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.member, r.due_date)).collect())
}

/// Active members in the red or yellow state, red first.
pub async fn needing_care(
    pool: &PgPool,
    scope: Scope,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(member_row_select!());
    qb.push(" WHERE m.status = 'active' AND m.state IN ('red', 'yellow')");
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY (m.state = 'red') DESC, m.renewal_date, m.id");
    crate::store::push_limit(&mut qb, limit, None);
    qb.build_query_as().fetch_all(pool).await
}

/// How many active members in scope are in the red state, and in the
/// yellow one.
pub async fn care_counts(pool: &PgPool, scope: Scope) -> Result<(i64, i64), sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT count(*) FILTER (WHERE m.state = 'red'), count(*) FILTER (WHERE m.state = 'yellow') \
         FROM members m WHERE m.status = 'active' AND m.state IN ('red', 'yellow')",
    );
    push_scope(&mut qb, scope);
    qb.build_query_as().fetch_one(pool).await
}

/// The active members not contacted for the longest time (never first).
pub async fn touch_list(
    pool: &PgPool,
    scope: Scope,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(member_row_select!());
    qb.push(" WHERE m.status = 'active'");
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY m.last_contact_at NULLS FIRST, m.renewal_date, m.id ");
    crate::store::push_limit(&mut qb, limit, None);
    qb.build_query_as().fetch_all(pool).await
}
