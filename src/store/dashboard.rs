//! The figures of the homes (direction, district manager, representative):
//! members by stage and colour, the renewals of the next months, the
//! retention of the last twelve, and each district's counts.
//!
//! Built to cost what they show, not what the network holds: a stage is a
//! range of renewal dates per formula and term (`push_stage_ranges`), so a
//! count is a handful of index range scans; the network's counts read the
//! tallies kept by triggers (migration 0014) instead of 100,000 members.
use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::formula::Colour;
use crate::domain::scope::Scope;
use crate::store::members::push_scope;
use crate::store::reports::{PipelineRow, RetentionRow};
use crate::store::timeline::{
    Months, Timelines, push_held_ranges, push_late_unwelcomed, push_stage_ranges,
};

/// `FROM (…) s`: for each range of renewal dates (one per formula, term and
/// stage, cut by month of renewal as `months` says), `s.n` active members
/// in scope with `s.formula`, `s.stage`, `s.colour` and `s.month`. Each
/// range is one index range scan summed as it is read: the network's or
/// the district's tally of active members per formula, term and renewal
/// date (migrations 0014 and 0022), or a portfolio's members on their
/// stage index (migration 0019). Ranges without members give no row.
/// Members that a late renewal holds in their first stage add a row there
/// and take one off their stage by date.
pub(crate) fn push_staged_members(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    months: Months,
) {
    qb.push(" FROM (SELECT v.formula, v.stage, v.colour, v.month, m.n FROM ");
    push_stage_ranges(qb, timelines, today, months);
    qb.push(" CROSS JOIN LATERAL (SELECT ");
    match scope {
        Scope::Network => {
            qb.push("sum(m.active)::bigint AS n FROM renewal_days m WHERE true");
        }
        Scope::District(d) => {
            qb.push(
                "sum(m.active)::bigint AS n FROM district_renewal_days m WHERE m.district_id = ",
            );
            qb.push_bind(d);
        }
        _ => {
            qb.push("count(*) AS n FROM members m WHERE m.status = 'active'");
            push_scope(qb, scope);
        }
    }
    qb.push(
        " AND m.formula = v.formula AND m.term_months = v.term_months \
         AND m.renewal_date >= v.date_from AND m.renewal_date < v.date_until \
         HAVING count(*) > 0) m",
    );
    // Members held in their first stage by a late renewal: counted by date
    // above, moved here from their stage by date to the first one.
    qb.push(
        " UNION ALL SELECT h.formula, \
         CASE WHEN k.first THEN h.first_stage ELSE h.stage END, \
         CASE WHEN k.first THEN h.first_colour ELSE h.colour END, \
         h.month, CASE WHEN k.first THEN x.n ELSE -x.n END FROM ",
    );
    push_held_ranges(qb, timelines, today, months);
    // The network and a district read them from their tallies (migration
    // 0032); a portfolio reads its own members.
    qb.push(" CROSS JOIN LATERAL (SELECT ");
    match scope {
        Scope::Network => {
            qb.push("sum(m.held)::bigint AS n FROM held_days m WHERE true");
        }
        Scope::District(d) => {
            qb.push("sum(m.held)::bigint AS n FROM district_held_days m WHERE m.district_id = ");
            qb.push_bind(d);
        }
        _ => {
            qb.push("count(*) AS n FROM members m WHERE true");
            push_scope(qb, scope);
            push_late_unwelcomed(qb, today);
        }
    }
    qb.push(
        " AND m.formula = h.formula AND m.term_months = h.term_months \
         AND m.renewal_date >= h.date_from AND m.renewal_date < h.date_until \
         HAVING count(*) > 0) x CROSS JOIN (VALUES (true), (false)) AS k(first)) s",
    );
}

/// Active members in scope per formula and current stage.
pub async fn stage_counts(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
) -> Result<Vec<(String, Option<String>, i64)>, sqlx::Error> {
    let mut qb = QueryBuilder::new("SELECT s.formula, s.stage, sum(s.n)::bigint");
    push_staged_members(&mut qb, scope, timelines, today, Months::None);
    qb.push(" GROUP BY 1, 2");
    qb.build_query_as().fetch_all(pool).await
}

/// Active members in scope per colour of their current stage, most urgent
/// colour first (every colour listed, zero included).
pub async fn colour_counts(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
) -> Result<Vec<(Colour, i64)>, sqlx::Error> {
    let mut qb = QueryBuilder::new("SELECT s.colour, sum(s.n)::bigint");
    push_staged_members(&mut qb, scope, timelines, today, Months::None);
    qb.push(" GROUP BY 1");
    let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await?;
    Ok(Colour::ALL
        .iter()
        .map(|c| {
            let n = rows
                .iter()
                .filter(|(k, _)| k == c.as_str())
                .map(|(_, n)| n)
                .sum();
            (*c, n)
        })
        .collect())
}

/// Active members due per month in [`start`, `end`) by today's stage
/// colour (no state, no filter): the homes' chart of the months ahead.
pub async fn upcoming_by_colour(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<PipelineRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT to_char(s.month, 'YYYY-MM') AS month, s.colour, NULL::text AS state, \
         false AS by_state, sum(s.n)::bigint AS members",
    );
    push_staged_members(&mut qb, scope, timelines, today, Months::Within(start, end));
    qb.push(" GROUP BY s.month, s.colour");
    qb.build_query_as().fetch_all(pool).await
}

/// Active members in scope per formula, stage and colour of today, split
/// by month of renewal when due in [`start`, `end`) (`month` None for the
/// others): the homes' stage and colour counts and their chart of the
/// months ahead from one pass over the stage ranges (the same figures as
/// [`stage_counts`] and [`upcoming_by_colour`], which each read them all).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StagedMonth {
    pub formula: String,
    pub stage: Option<String>,
    pub colour: Option<String>,
    pub month: Option<NaiveDate>,
    pub n: i64,
}

pub async fn staged_by_month(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<StagedMonth>, sqlx::Error> {
    let mut qb =
        QueryBuilder::new("SELECT s.formula, s.stage, s.colour, s.month, sum(s.n)::bigint AS n");
    push_staged_members(
        &mut qb,
        scope,
        timelines,
        today,
        Months::Bucketed(start, end),
    );
    qb.push(" GROUP BY 1, 2, 3, 4");
    qb.build_query_as().fetch_all(pool).await
}

/// Due cycles per month (and per district) in [`start`, `end`), read from
/// the district tallies (migration 0014): the retention of the homes, for
/// the network or one district, without filters. Only for months that
/// have ended by today (an active member due then is pending); the same
/// figures as `reports::retention` by month and district.
pub async fn tallied_retention(
    pool: &PgPool,
    scope: Scope,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<RetentionRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT CASE WHEN GROUPING(t.month) = 0 THEN 'month' ELSE 'district' END AS dim, \
         to_char(t.month, 'YYYY-MM') AS month, \
         CASE WHEN GROUPING(t.district_id) = 0 THEN t.district_id END AS key_id, \
         NULL::text AS formula, NULL::text AS name, \
         sum(t.renewed)::bigint AS renewed, sum(t.lost)::bigint AS lost, \
         sum(t.active)::bigint AS pending, 0::bigint AS upcoming \
         FROM due_months t WHERE t.month >= ",
    );
    qb.push_bind(start);
    qb.push(" AND t.month < ");
    qb.push_bind(end);
    push_district_scope(&mut qb, scope);
    qb.push(" GROUP BY GROUPING SETS ((t.month), (t.district_id))");
    qb.build_query_as().fetch_all(pool).await
}

/// `AND …` restricting the district tallies `t` to the scope (tallies are
/// kept per district: a portfolio has none).
fn push_district_scope(qb: &mut QueryBuilder<Postgres>, scope: Scope) {
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(" AND t.district_id = ");
            qb.push_bind(d);
        }
        Scope::Representative { .. } | Scope::Nothing => {
            qb.push(" AND false");
        }
    }
}

/// Per district in scope: active members, orphans among them, escalations
/// waiting for an answer and how many are late.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DistrictLine {
    pub id: i64,
    pub name: String,
    pub active: i64,
    pub orphans: i64,
    pub escalations_pending: i64,
    pub escalations_late: i64,
}

pub async fn districts(
    pool: &PgPool,
    scope: Scope,
    today: NaiveDate,
) -> Result<Vec<DistrictLine>, sqlx::Error> {
    // Active members and orphans from the tallies per district and month:
    // a few dozen rows per district.
    let mut qb = QueryBuilder::new(
        "SELECT d.id, d.name, COALESCE(a.active, 0) AS active, COALESCE(a.orphans, 0) AS orphans, \
         COALESCE(e.pending, 0) AS escalations_pending, COALESCE(e.late, 0) AS escalations_late \
         FROM districts d LEFT JOIN (SELECT t.district_id, sum(t.active)::bigint AS active, \
         sum(t.orphans)::bigint AS orphans FROM due_months t WHERE true",
    );
    push_district_scope(&mut qb, scope);
    // Escalations waiting for an answer from their tally per district,
    // level, status and due date (migration 0030), not from the
    // escalations joined to their members.
    qb.push(
        " GROUP BY 1) a ON a.district_id = d.id LEFT JOIN (SELECT t.district_id, \
         sum(t.escalations)::bigint AS pending, \
         COALESCE(sum(t.escalations) FILTER (WHERE t.due_on < ",
    );
    qb.push_bind(today);
    qb.push(
        "), 0)::bigint AS late FROM escalation_days t \
         WHERE t.status IN ('open', 'acknowledged')",
    );
    push_district_scope(&mut qb, scope);
    qb.push(" GROUP BY 1) e ON e.district_id = d.id WHERE (d.active OR a.active > 0)");
    if let Some(d) = scope.district() {
        qb.push(" AND d.id = ");
        qb.push_bind(d);
    }
    qb.push(" ORDER BY d.name");
    qb.build_query_as().fetch_all(pool).await
}
