//! The renewal risk as the database keeps it (migration 0033): today's
//! score of each active member in `member_risks`, the score 60 days
//! before a past renewal in `cycle_risks`. Writes mark the scores they
//! change; these functions recompute what is marked (or was computed on
//! another day) in the reader's scope before reading.
use chrono::{Datelike, NaiveDate};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::formula::Formula;
use crate::domain::risk::{Band, Risk};
use crate::domain::scope::Scope;
use crate::member_row_select;
use crate::store::members::MemberRow;

/// The most scores a page recomputes before it reads (a day's first page
/// of the whole network would otherwise recompute 100 000 of them; the
/// upkeep task does that in the background).
pub const REFRESH_AT_MOST: i32 = 2000;

/// The district and representative a scope limits scores to.
fn scope_keys(scope: Scope) -> Option<(Option<i64>, Option<i64>)> {
    match scope {
        Scope::Network => Some((None, None)),
        Scope::District(d) => Some((Some(d), None)),
        Scope::Representative { user_id, .. } => Some((None, Some(user_id))),
        Scope::Nothing => None,
    }
}

/// Recomputes up to `at_most` scores in scope that are marked or from
/// another day. Returns how many it recomputed.
pub async fn refresh(
    pool: &PgPool,
    scope: Scope,
    today: NaiveDate,
    at_most: i32,
) -> Result<i32, sqlx::Error> {
    let Some((district, representative)) = scope_keys(scope) else {
        return Ok(0);
    };
    sqlx::query_scalar("SELECT risk_refresh_due($1, $2, $3, $4)")
        .bind(today)
        .bind(district)
        .bind(representative)
        .bind(at_most)
        .fetch_one(pool)
        .await
}

/// How many scores in scope still wait to be recomputed for `today`.
pub async fn waiting(pool: &PgPool, scope: Scope, today: NaiveDate) -> Result<i64, sqlx::Error> {
    let Some((district, representative)) = scope_keys(scope) else {
        return Ok(0);
    };
    sqlx::query_scalar(
        "SELECT count(*) FROM member_risks r \
         WHERE r.active AND (r.computed_on < $1 OR r.computed_on > $1) \
           AND ($2::bigint IS NULL OR r.district_id = $2) \
           AND ($3::bigint IS NULL OR r.representative_id = $3)",
    )
    .bind(today)
    .bind(district)
    .bind(representative)
    .fetch_one(pool)
    .await
}

/// Scores recomputed per transaction by the upkeep: small enough that a
/// write marking one of them waits a few milliseconds at most.
pub const UPKEEP_BATCH: i32 = 200;

/// Recomputes the whole network's scores for `today`, by batches (the
/// upkeep task; several app servers share the work). Returns how many.
pub async fn refresh_all(pool: &PgPool, today: NaiveDate) -> Result<i64, sqlx::Error> {
    let mut total = 0i64;
    loop {
        let n = refresh(pool, Scope::Network, today, UPKEEP_BATCH).await?;
        total += i64::from(n);
        if n < UPKEEP_BATCH {
            return Ok(total);
        }
    }
}

#[derive(sqlx::FromRow)]
struct RiskColumns {
    score: i16,
    factors: Vec<String>,
    points: Vec<i32>,
    figures: Vec<Option<i32>>,
    labels: Vec<Option<String>>,
}

impl RiskColumns {
    fn into_risk(self) -> Risk {
        Risk::from_columns(
            self.score,
            self.factors,
            self.points,
            self.figures,
            self.labels,
        )
    }
}

/// The scores of `members` with their facts, by member (a member without
/// a score is left out). The caller has read `members` within the
/// reader's scope; « Aujourd'hui » reads its stages' scores alone (`scores_of`) and
/// the facts here for the few dozen stages it shows (the facts of a whole
/// portfolio were four arrays on each of 350 rows).
pub async fn of_members(
    pool: &PgPool,
    members: &[i64],
) -> Result<std::collections::HashMap<i64, Risk>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        member_id: i64,
        #[sqlx(flatten)]
        risk: RiskColumns,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT member_id, score, factors, points, figures, labels FROM member_risks \
         WHERE member_id = ANY($1) AND active",
    )
    .bind(members)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.member_id, r.risk.into_risk()))
        .collect())
}

/// The scores alone of `members`, by member (a member without a score is
/// left out): « Aujourd'hui » orders its stages to do by them. The caller
/// has read `members` within the reader's scope.
pub async fn scores_of(
    pool: &PgPool,
    members: &[i64],
) -> Result<std::collections::HashMap<i64, i16>, sqlx::Error> {
    let rows: Vec<(i64, i16)> = sqlx::query_as(
        "SELECT member_id, score FROM member_risks WHERE member_id = ANY($1) AND active",
    )
    .bind(members)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// One member's score today (recomputed first if needed); `None` for a
/// member who is not active. The caller has checked the member is in the
/// reader's scope.
pub async fn of_member(
    pool: &PgPool,
    member_id: i64,
    today: NaiveDate,
) -> Result<Option<Risk>, sqlx::Error> {
    sqlx::query(
        "SELECT risk_refresh(ARRAY[$1]::bigint[], $2) FROM member_risks \
         WHERE member_id = $1 AND active AND computed_on <> $2",
    )
    .bind(member_id)
    .bind(today)
    .execute(pool)
    .await?;
    Ok(of_members(pool, &[member_id]).await?.remove(&member_id))
}

/// `AND …` restricting scores (alias `r`) to the scope, on the columns
/// the indexes of `member_risks` lead with. The ids are written in as
/// numbers (they come from the session, never from the request's text):
/// bound, PostgreSQL planned the statement again on every call (1.8 ms of
/// a 3 ms list).
fn push_scope(qb: &mut QueryBuilder<Postgres>, scope: Scope) {
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(format!(" AND r.district_id = {d}"));
        }
        Scope::Representative { user_id, .. } => {
            qb.push(format!(" AND r.representative_id = {user_id}"));
        }
        Scope::Nothing => {
            qb.push(" AND false");
        }
    }
}

/// What the list of members at risk is narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskFilter {
    pub band: Option<Band>,
    pub district: Option<i64>,
    pub representative: Option<i64>,
    pub group: Option<i64>,
    pub formula: Option<Formula>,
}

/// A member of the list with their score.
#[derive(sqlx::FromRow)]
pub struct RiskRow {
    #[sqlx(flatten)]
    pub member: MemberRow,
    #[sqlx(flatten)]
    columns: RiskColumns,
}

impl RiskRow {
    pub fn risk(&self) -> Risk {
        Risk::from_columns(
            self.columns.score,
            self.columns.factors.clone(),
            self.columns.points.clone(),
            self.columns.figures.clone(),
            self.columns.labels.clone(),
        )
    }
}

/// Active members in scope by score, highest first: the statement, for a
/// page (`limit`, `offset`) or a whole export (`i64::MAX`). Scores are
/// walked along an index in score order and each member's row joined as
/// it comes, so a page reads about as many rows as it shows.
pub fn list_query(
    scope: Scope,
    filter: &RiskFilter,
    limit: i64,
    offset: i64,
) -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::new(
        "SELECT r.score, r.factors, r.points, r.figures, r.labels, mr.* \
         FROM member_risks r CROSS JOIN LATERAL (",
    );
    qb.push(member_row_select!());
    qb.push(" WHERE m.id = r.member_id");
    if let Some(f) = filter.formula {
        qb.push(" AND m.formula = ");
        qb.push_bind(f.as_str());
    }
    qb.push(") mr WHERE r.active");
    push_scope(&mut qb, scope);
    if let Some(d) = filter.district {
        qb.push(" AND r.district_id = ");
        qb.push_bind(d);
    }
    if let Some(u) = filter.representative {
        qb.push(" AND r.representative_id = ");
        qb.push_bind(u);
    }
    if let Some(g) = filter.group {
        qb.push(" AND r.group_id = ");
        qb.push_bind(g);
    }
    if let Some(b) = filter.band {
        let (low, high) = b.range();
        qb.push(format!(" AND r.score BETWEEN {low} AND {high}"));
    }
    qb.push(" ORDER BY r.score DESC, r.member_id");
    if limit != i64::MAX {
        crate::store::push_limit(&mut qb, limit, Some(offset));
    }
    qb
}

pub async fn list(
    pool: &PgPool,
    scope: Scope,
    filter: &RiskFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<RiskRow>, sqlx::Error> {
    list_query(scope, filter, limit, offset)
        .build_query_as()
        .fetch_all(pool)
        .await
}

/// How many active members in scope are at high risk, and at medium risk
/// (from the tallies kept by score, district and representative).
pub async fn band_counts(pool: &PgPool, scope: Scope) -> Result<(i64, i64), sqlx::Error> {
    let (high, _) = Band::High.range();
    let (medium, _) = Band::Medium.range();
    let counted = format!(
        "SELECT COALESCE(sum(n) FILTER (WHERE score >= {high}), 0)::bigint, \
                COALESCE(sum(n) FILTER (WHERE score < {high}), 0)::bigint"
    );
    let mut qb = QueryBuilder::new(counted);
    match scope {
        Scope::Network => {
            qb.push(format!(
                " FROM risk_district_scores WHERE score >= {medium}"
            ));
        }
        Scope::District(d) => {
            qb.push(" FROM risk_district_scores WHERE district_id = ");
            qb.push_bind(d);
            qb.push(format!(" AND score >= {medium}"));
        }
        Scope::Representative { user_id, .. } => {
            qb.push(" FROM risk_representative_scores WHERE representative_id = ");
            qb.push_bind(user_id);
            qb.push(format!(" AND score >= {medium}"));
        }
        Scope::Nothing => return Ok((0, 0)),
    }
    qb.build_query_as().fetch_one(pool).await
}

/// One line of the formula: a factor, its points, its rule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Weight {
    pub factor: String,
    pub points: i32,
    pub rule: String,
}

pub async fn weights(pool: &PgPool) -> Result<Vec<Weight>, sqlx::Error> {
    sqlx::query_as("SELECT factor, points, rule FROM risk_weights ORDER BY position")
        .fetch_all(pool)
        .await
}

// ------------------------------------------------------------ calibration

/// The renewals due in a period whose outcome is known, grouped by the
/// score the member had 60 days before the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calibration {
    /// One per group of 20 points (0–19, 20–39, … 80–100), all five.
    pub groups: Vec<CalibrationGroup>,
    /// Renewals of the period whose past score is not computed yet.
    pub waiting: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalibrationGroup {
    pub low: i16,
    pub high: i16,
    pub members: i64,
    pub renewed: i64,
}

/// The most past scores a report computes before it reads.
pub const CALIBRATION_AT_MOST: i32 = 5000;

/// Computes up to [`CALIBRATION_AT_MOST`] of the past scores still missing
/// for the renewals due between `from` and `to` (inclusive) in the
/// district, or the network.
pub async fn fill_past_scores(
    pool: &PgPool,
    district: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT cycle_risks_fill($1, $2, $3, $4)")
        .bind(from)
        .bind(to)
        .bind(district)
        .bind(CALIBRATION_AT_MOST)
        .execute(pool)
        .await?;
    Ok(())
}

/// Computes the missing past scores of the period (up to
/// [`CALIBRATION_AT_MOST`]), then groups the renewals due between `from`
/// and `to` (inclusive) in the district, or the network.
pub async fn calibration(
    pool: &PgPool,
    district: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Calibration, sqlx::Error> {
    // Once the past scores are kept (the usual case: the upkeep fills the
    // default period), one read; otherwise a batch is computed first.
    let mut calibration = read_calibration(pool, district, from, to).await?;
    if calibration.waiting > 0 {
        fill_past_scores(pool, district, from, to).await?;
        calibration = read_calibration(pool, district, from, to).await?;
    }
    Ok(calibration)
}

/// The renewals of the period by group of past score, and how many have no
/// past score yet, in one pass over the period's cycles. The district is
/// written in (a number from the session or a checked filter): with a bound
/// « network or district », one plan served both and read every cycle.
async fn read_calibration(
    pool: &PgPool,
    district: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Calibration, sqlx::Error> {
    let rows = if whole_months(from, to) {
        tallied_calibration(pool, district, from, to).await?
    } else {
        calibration_from_cycles(pool, district, from, to).await?
    };
    let count = |i: i32| {
        rows.iter()
            .find(|r| r.0 == i)
            .map_or((0, 0), |r| (r.1, r.2))
    };
    let groups = (0..5)
        .map(|i| {
            let (members, renewed) = count(i);
            CalibrationGroup {
                low: (i * 20) as i16,
                high: if i == 4 { 100 } else { (i * 20 + 19) as i16 },
                members,
                renewed,
            }
        })
        .collect();
    Ok(Calibration {
        groups,
        waiting: count(-1).0,
    })
}

/// Whether [`from`, `to`] covers whole months (the report's periods do,
/// unless they end today).
fn whole_months(from: NaiveDate, to: NaiveDate) -> bool {
    from.day() == 1 && to.succ_opt().is_some_and(|next| next.day() == 1)
}

/// Per group of past score (−1: no past score yet): the renewals due in
/// the period, and how many were renewed, read from the cycles and their
/// past scores (a year of the network: 67,000 of each at 100,000 members).
/// The reference for the tally, and the read for a period that ends
/// within a month.
pub async fn calibration_from_cycles(
    pool: &PgPool,
    district: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i32, i64, i64)>, sqlx::Error> {
    let within = district.map_or_else(String::new, |d| format!(" AND d.district_id = {d}"));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CASE WHEN c.score IS NULL THEN -1 ELSE LEAST(c.score / 20, 4) END::integer, \
                count(*), \
                count(*) FILTER (WHERE d.outcome = 'renewed') \
         FROM due_cycles d \
         LEFT JOIN cycle_risks c ON c.member_id = d.member_id AND c.due_on = d.due_on \
         WHERE d.due_on BETWEEN $1 AND $2 AND d.outcome IN ('renewed', 'lost'){within} \
         GROUP BY 1 ORDER BY 1"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// The same figures for whole months, from the tally of migration 0037
/// (about 1,300 rows for the network's year at 100,000 members).
pub async fn tallied_calibration(
    pool: &PgPool,
    district: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i32, i64, i64)>, sqlx::Error> {
    let within = district.map_or_else(String::new, |d| format!(" AND t.district_id = {d}"));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.bucket::integer, sum(t.cycles)::bigint, \
                COALESCE(sum(t.cycles) FILTER (WHERE t.renewed), 0)::bigint \
         FROM calibration_months t WHERE t.month BETWEEN $1 AND $2{within} \
         GROUP BY 1 HAVING sum(t.cycles) <> 0 ORDER BY 1"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// One member's score as it was on `as_of`, for the renewal due on `due`,
/// recomputed from history (tests and the member's history).
pub async fn as_of(
    pool: &PgPool,
    member_id: i64,
    as_of: NaiveDate,
    due: NaiveDate,
) -> Result<Risk, sqlx::Error> {
    let row: RiskColumns = sqlx::query_as(
        "SELECT GREATEST(0, LEAST(100, COALESCE(sum(points), 0)))::smallint AS score, \
                COALESCE(array_agg(factor ORDER BY abs(points) DESC, factor) \
                         FILTER (WHERE factor <> 'base'), '{}') AS factors, \
                COALESCE(array_agg(points ORDER BY abs(points) DESC, factor) \
                         FILTER (WHERE factor <> 'base'), '{}') AS points, \
                COALESCE(array_agg(figure ORDER BY abs(points) DESC, factor) \
                         FILTER (WHERE factor <> 'base'), '{}') AS figures, \
                COALESCE(array_agg(label ORDER BY abs(points) DESC, factor) \
                         FILTER (WHERE factor <> 'base'), '{}') AS labels \
         FROM risk_compute(ARRAY[$1]::bigint[], ARRAY[$2]::date[], ARRAY[$3]::date[], false)",
    )
    .bind(member_id)
    .bind(as_of)
    .bind(due)
    .fetch_one(pool)
    .await?;
    Ok(row.into_risk())
}
