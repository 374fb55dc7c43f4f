//! What a representative's day is made of. Every active member of the
//! portfolio (tens to a few hundred) is read with the few facts that say
//! whether « Aujourd'hui » shows them — stage by date, stages done, state,
//! last contact, open planned follow-up — from one covering index
//! (migration 0047), without their rows. The page then chooses its lines
//! (stages to do, planned follow-ups due, members whose state needs care,
//! the touch list, the billing requests to make) and reads the whole rows
//! of those lines only (`shown`), the live billing requests of the members
//! that may need one (`live_requests`), and the risk of the stages shown
//! (`risk::of_members`). Reading all 354 rows with four lookups each cost
//! 4,292 pages (BENCHMARKS.md).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, QueryBuilder};

use crate::domain::formula::Colour;
use crate::domain::scope::Scope;
use crate::domain::timeline::CurrentStage;
use crate::member_row_select;
use crate::store::members::{MemberRow, StageFacts, push_scope};
use crate::store::timeline::Timelines;

/// An active member of the portfolio, as far as the day needs to know to
/// choose its lines.
#[derive(Debug, sqlx::FromRow)]
pub struct DayRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub formula: String,
    pub term_months: i32,
    pub renewal_date: NaiveDate,
    pub welcome_from: Option<NaiveDate>,
    pub stages_done: Vec<String>,
    pub state: Option<String>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub cycle: i32,
    /// The member's open planned follow-up (at most one: a unique index).
    pub planned_on: Option<NaiveDate>,
}

impl DayRow {
    /// What the member's stage is worked out from.
    pub fn stage_facts(&self) -> StageFacts<'_> {
        StageFacts {
            formula: &self.formula,
            renewal_date: self.renewal_date,
            term_months: self.term_months,
            welcome_from: self.welcome_from,
            stages_done: &self.stages_done,
        }
    }
}

/// Every active member in scope, by renewal date, with the facts above,
/// read from the covering index of migration 0047 (the open planned
/// follow-up looked up member by member on its own small index).
pub async fn portfolio(pool: &PgPool, scope: Scope) -> Result<Vec<DayRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT m.id, m.first_name, m.last_name, m.formula, m.term_months, m.renewal_date, \
         m.welcome_from, m.stages_done, m.state, m.last_contact_at, m.cycle, \
         (SELECT p.due_date FROM planned_follow_ups p \
          WHERE p.member_id = m.id AND p.status = 'open' LIMIT 1) AS planned_on \
         FROM members m WHERE m.status = 'active'",
    );
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY m.renewal_date, m.id");
    qb.build_query_as().fetch_all(pool).await
}

/// The whole rows of the members shown, by id; a member that left the
/// scope or stopped being active since the portfolio was read is left out.
pub async fn shown(
    pool: &PgPool,
    scope: Scope,
    ids: &[i64],
) -> Result<HashMap<i64, MemberRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut qb = QueryBuilder::new(member_row_select!());
    qb.push(" WHERE m.status = 'active' AND m.id = ANY(");
    qb.push_bind(ids);
    qb.push(")");
    push_scope(&mut qb, scope);
    let rows: Vec<MemberRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// Which of `members` (id and current cycle) have a billing request of
/// that cycle that is not cancelled, looked up on the live requests' key.
pub async fn live_requests(
    pool: &PgPool,
    members: &[(i64, i32)],
) -> Result<HashSet<i64>, sqlx::Error> {
    if members.is_empty() {
        return Ok(HashSet::new());
    }
    let (ids, cycles): (Vec<i64>, Vec<i32>) = members.iter().copied().unzip();
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT b.member_id FROM unnest($1::bigint[], $2::integer[]) AS c(id, cycle) \
         JOIN billing_requests b ON b.member_id = c.id AND b.cycle = c.cycle \
         AND b.status <> 'cancelled'",
    )
    .bind(ids)
    .bind(cycles)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Each row's stage today, worked out once for everything the page draws
/// from it (a stage is a dozen month sums; the page used to work each out
/// three times).
pub fn stages<'t>(
    rows: &[DayRow],
    timelines: &'t Timelines,
    today: NaiveDate,
) -> Vec<Option<CurrentStage<'t>>> {
    rows.iter()
        .map(|r| r.stage_facts().current_stage(timelines, today))
        .collect()
}

/// The portfolio's active members per colour of their current stage
/// ([`stages`]), every colour listed: the figures
/// `dashboard::colour_counts` reads from the stage ranges, counted here
/// from the rows already read (a test holds the two equal for every
/// representative of the demo).
pub fn colour_counts(stages: &[Option<CurrentStage<'_>>]) -> Vec<(Colour, i64)> {
    let mut counts: Vec<(Colour, i64)> = Colour::ALL.iter().map(|c| (*c, 0)).collect();
    for stage in stages.iter().flatten() {
        if let Some(c) = counts.iter_mut().find(|(c, _)| *c == stage.def.colour) {
            c.1 += 1;
        }
    }
    counts
}
