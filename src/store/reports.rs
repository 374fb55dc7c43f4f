//! Reports: a few aggregate queries each, every one restricted to the
//! user's scope (`push_scope`) and the report's filters, on indexed
//! columns (migrations 0003, 0006, 0009). Figures are finished in
//! `domain::report`.
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::formula::{Colour, Formula};
use crate::domain::scope::Scope;
use crate::domain::timeline::Anchor;
use crate::domain::timeline_edit::FIRST_KEY;
use crate::store::dashboard::push_staged_members;
use crate::store::members::push_scope;
use crate::store::timeline::Months;
use crate::store::timeline::{Timelines, push_held, push_selection};

/// The filters every report takes (ids already parsed; scope applies too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub district_id: Option<i64>,
    pub group_id: Option<i64>,
    pub formula: Option<Formula>,
    pub representative_id: Option<i64>,
}

/// `AND …` for the filters, on members `m`; `formula` is the column that
/// holds the formula of the row (a renewal keeps the one it had then).
fn push_filters(qb: &mut QueryBuilder<Postgres>, f: &ReportFilter, formula: &str) {
    if let Some(d) = f.district_id {
        qb.push(" AND m.district_id = ");
        qb.push_bind(d);
    }
    if let Some(g) = f.group_id {
        qb.push(" AND m.group_id = ");
        qb.push_bind(g);
    }
    if let Some(x) = f.formula {
        qb.push(format!(" AND {formula} = "));
        qb.push_bind(x.as_str());
    }
    if let Some(r) = f.representative_id {
        qb.push(" AND m.representative_id = ");
        qb.push_bind(r);
    }
}

/// `AND …` for the scope and the filters on due cycles `c` (migration
/// 0015: each cycle carries its member's current district, group and
/// representative, and the formula it had).
fn push_cycle_scope(qb: &mut QueryBuilder<Postgres>, scope: Scope, f: &ReportFilter) {
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(" AND c.district_id = ");
            qb.push_bind(d);
        }
        Scope::Representative { user_id, .. } => {
            qb.push(" AND c.representative_id = ");
            qb.push_bind(user_id);
        }
        Scope::Nothing => {
            qb.push(" AND false");
        }
    }
    if let Some(d) = f.district_id {
        qb.push(" AND c.district_id = ");
        qb.push_bind(d);
    }
    if let Some(g) = f.group_id {
        qb.push(" AND c.group_id = ");
        qb.push_bind(g);
    }
    if let Some(x) = f.formula {
        qb.push(" AND c.formula = ");
        qb.push_bind(x.as_str());
    }
    if let Some(r) = f.representative_id {
        qb.push(" AND c.representative_id = ");
        qb.push_bind(r);
    }
}

/// Appends `FROM due_cycles c WHERE …`: the cycles whose due date falls in
/// [`start`, `end`), in scope and filter. A cycle is renewed (a recorded
/// renewal's previous date), lost (a lost member's renewal date) or
/// active: pending once its date has passed, upcoming before.
fn push_due_cycles(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    f: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
) {
    qb.push(" FROM due_cycles c WHERE c.due_on >= ");
    qb.push_bind(start);
    qb.push(" AND c.due_on < ");
    qb.push_bind(end);
    push_cycle_scope(qb, scope, f);
}

/// Outcome counts of one group of due cycles.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RetentionRow {
    /// `month`, `district`, `formula`, `group` or `representative`.
    pub dim: String,
    pub month: Option<String>,
    pub key_id: Option<i64>,
    pub formula: Option<String>,
    pub name: Option<String>,
    pub renewed: i64,
    pub lost: i64,
    pub pending: i64,
    pub upcoming: i64,
}

/// What a retention row is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Month,
    District,
    Formula,
    Group,
    Representative,
}

impl Dim {
    pub const ALL: [Dim; 5] = [
        Dim::Month,
        Dim::District,
        Dim::Formula,
        Dim::Group,
        Dim::Representative,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Dim::Month => "month",
            Dim::District => "district",
            Dim::Formula => "formula",
            Dim::Group => "group",
            Dim::Representative => "representative",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Dim::Month => "month",
            Dim::District => "district_id",
            Dim::Formula => "formula",
            Dim::Group => "group_id",
            Dim::Representative => "representative_id",
        }
    }

    fn is_id(self) -> bool {
        matches!(self, Dim::District | Dim::Group | Dim::Representative)
    }
}

/// Due cycles in the period grouped by each of `dims` (one pass with
/// grouping sets); names of districts, groups and representatives joined
/// to the few aggregated rows only.
pub async fn retention(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
    dims: &[Dim],
) -> Result<Vec<RetentionRow>, sqlx::Error> {
    // Month, district and formula rows from the tallies where they serve;
    // only groups and representatives are counted from the cycles then.
    if let Some(district) = tallied_district(scope, filter) {
        let (tallied, counted): (Vec<Dim>, Vec<Dim>) = dims
            .iter()
            .partition(|d| matches!(d, Dim::Month | Dim::District | Dim::Formula));
        if !tallied.is_empty() {
            let mut rows =
                tallied_retention(pool, district, filter, (start, end), today, &tallied).await?;
            if !counted.is_empty() {
                rows.extend(
                    retention_from_cycles(pool, scope, filter, (start, end), today, &counted)
                        .await?,
                );
            }
            return Ok(rows);
        }
    }
    retention_from_cycles(pool, scope, filter, (start, end), today, dims).await
}

/// The retention rows counted from the due cycles themselves.
async fn retention_from_cycles(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
    dims: &[Dim],
) -> Result<Vec<RetentionRow>, sqlx::Error> {
    let (dim, month, key_id, formula) = grouping_columns(dims);
    let sets: Vec<String> = dims.iter().map(|d| format!("({})", d.column())).collect();
    let mut qb = QueryBuilder::new(format!(
        "SELECT a.dim, to_char(a.month, 'YYYY-MM') AS month, a.key_id, a.formula, \
         CASE a.dim \
           WHEN 'district' THEN (SELECT dd.name FROM districts dd WHERE dd.id = a.key_id) \
           WHEN 'group' THEN (SELECT g.name FROM groups g WHERE g.id = a.key_id) \
           WHEN 'representative' THEN (SELECT u.display_name FROM users u WHERE u.id = a.key_id) \
         END AS name, \
         a.renewed, a.lost, a.pending, a.upcoming FROM (SELECT {dim} AS dim, {month} AS month, \
         {key_id} AS key_id, {formula} AS formula, \
         count(*) FILTER (WHERE outcome = 'renewed') AS renewed, \
         count(*) FILTER (WHERE outcome = 'lost') AS lost, \
         count(*) FILTER (WHERE outcome = 'active' AND due_on < "
    ));
    qb.push_bind(today);
    qb.push(") AS pending, count(*) FILTER (WHERE outcome = 'active' AND due_on >= ");
    qb.push_bind(today);
    qb.push(
        ") AS upcoming FROM (SELECT c.due_month AS month, c.due_on, \
         c.district_id, c.formula, c.group_id, c.representative_id, c.outcome",
    );
    push_due_cycles(&mut qb, scope, filter, (start, end));
    // Each line's name is looked up by its key: joining the groups and
    // people tables read all 20,000 groups of a network of a million
    // members for a district's few hundred lines.
    qb.push(format!(
        ") d GROUP BY GROUPING SETS ({})) a",
        sets.join(", ")
    ));
    qb.build_query_as().fetch_all(pool).await
}

/// The retention rows by month, district and formula read from the
/// tallies per district, month and formula (migration 0014), when
/// `tallied_district` allows it and no group or representative rows are
/// asked for: a few hundred rows however many cycles fall in the period.
/// The active members of a month are pending once it has passed and
/// upcoming before; those of the current month are split on today's date
/// from the tally per district and renewal date (migration 0022). The
/// same figures as the count from `due_cycles`.
async fn tallied_retention(
    pool: &PgPool,
    district: Option<i64>,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
    dims: &[Dim],
) -> Result<Vec<RetentionRow>, sqlx::Error> {
    let this_month = today.with_day(1).unwrap_or(today);
    let (dim, month, key_id, formula) = grouping_columns(dims);
    let sets: Vec<String> = dims.iter().map(|d| format!("({})", d.column())).collect();
    // The current month's split is read once, as its own step: the plan
    // kept for the prepared statement (generic, after five runs) joined
    // it as a loop, summing the month's renewal days again for each of
    // the 36 month rows (13 ms instead of 1 ms; BENCHMARKS.md).
    let mut qb = QueryBuilder::new(
        "WITH p AS MATERIALIZED (SELECT t.district_id, t.formula, sum(t.active) AS n \
         FROM district_renewal_days t WHERE t.renewal_date >= ",
    );
    qb.push_bind(this_month);
    qb.push(" AND t.renewal_date < ");
    qb.push_bind(today);
    push_tally_filters(&mut qb, district, filter);
    qb.push(format!(
        " GROUP BY 1, 2) \
         SELECT a.dim, to_char(a.month, 'YYYY-MM') AS month, a.key_id, a.formula, \
         CASE a.dim WHEN 'district' THEN dd.name END AS name, \
         a.renewed, a.lost, a.pending, a.upcoming FROM (SELECT {dim} AS dim, {month} AS month, \
         {key_id} AS key_id, {formula} AS formula, sum(renewed)::bigint AS renewed, \
         sum(lost)::bigint AS lost, sum(pending)::bigint AS pending, \
         sum(upcoming)::bigint AS upcoming FROM (SELECT t.month, t.district_id, t.formula, \
         t.renewed, t.lost, CASE WHEN t.month < "
    ));
    qb.push_bind(this_month);
    qb.push(" THEN t.active WHEN t.month > ");
    qb.push_bind(this_month);
    qb.push(" THEN 0 ELSE COALESCE(p.n, 0) END AS pending, CASE WHEN t.month < ");
    qb.push_bind(this_month);
    qb.push(" THEN 0 WHEN t.month > ");
    qb.push_bind(this_month);
    qb.push(
        " THEN t.active ELSE t.active - COALESCE(p.n, 0) END AS upcoming FROM due_months t \
         LEFT JOIN p ON t.month = ",
    );
    qb.push_bind(this_month);
    qb.push(" AND p.district_id = t.district_id AND p.formula = t.formula WHERE t.month >= ");
    qb.push_bind(start);
    qb.push(" AND t.month < ");
    qb.push_bind(end);
    push_tally_filters(&mut qb, district, filter);
    qb.push(format!(
        ") d GROUP BY GROUPING SETS ({}) HAVING sum(renewed) + sum(lost) + sum(pending) + sum(upcoming) > 0) a \
         LEFT JOIN districts dd ON a.dim = 'district' AND dd.id = a.key_id",
        sets.join(", ")
    ));
    qb.build_query_as().fetch_all(pool).await
}

/// The `dim`, `month`, `key_id` and `formula` columns of a grouping-sets
/// query over `dims` (each `CASE WHEN GROUPING(…) = 0 THEN …`).
fn grouping_columns(dims: &[Dim]) -> (String, String, String, String) {
    let grouped = |wanted: &dyn Fn(Dim) -> bool, then: &dyn Fn(Dim) -> String, other: &str| {
        let whens: Vec<String> = dims
            .iter()
            .copied()
            .filter(|d| wanted(*d))
            .map(|d| format!(" WHEN GROUPING({}) = 0 THEN {}", d.column(), then(d)))
            .collect();
        if whens.is_empty() {
            other.to_string()
        } else {
            format!("CASE{} ELSE {other} END", whens.concat())
        }
    };
    (
        grouped(&|_| true, &|d| format!("'{}'", d.key()), "''"),
        grouped(
            &|d| d == Dim::Month,
            &|d| d.column().to_string(),
            "NULL::date",
        ),
        grouped(&|d| d.is_id(), &|d| d.column().to_string(), "NULL::bigint"),
        grouped(&|d| d == Dim::Formula, &|d| d.column().to_string(), "NULL"),
    )
}

/// Lost members in the period, counted by category, by reason, and by
/// month and category.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LossRow {
    /// `category`, `reason` or `month`.
    pub dim: String,
    pub category: String,
    pub reason_id: Option<i64>,
    pub label: Option<String>,
    pub month: Option<String>,
    pub lost: i64,
}

pub async fn losses(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<LossRow>, sqlx::Error> {
    // The network's and a district's from the tally per district, month,
    // formula and reason (migration 0025); a group's or a portfolio's from
    // their lost members.
    let mut qb = QueryBuilder::new(
        "SELECT CASE WHEN GROUPING(r.id) = 0 THEN 'reason' WHEN GROUPING(month) = 0 THEN 'month' \
         ELSE 'category' END AS dim, r.category, r.id AS reason_id, r.label, month, \
         sum(x.n)::bigint AS lost FROM (",
    );
    push_lost(&mut qb, scope, filter, (start, end));
    qb.push(
        ") x JOIN reasons r ON r.id = x.lost_reason_id \
         GROUP BY GROUPING SETS ((r.category), (r.category, r.id, r.label), (r.category, month)) \
         HAVING sum(x.n) <> 0 ORDER BY lost DESC, r.label",
    );
    qb.build_query_as().fetch_all(pool).await
}

/// `SELECT lost_reason_id, month ('YYYY-MM'), n`: the members lost in the
/// period, counted per reason and month (a tally for the network or a
/// district, the members themselves otherwise).
fn push_lost(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
) {
    if let Some(district) = tallied_district(scope, filter) {
        qb.push(
            "SELECT t.reason_id AS lost_reason_id, to_char(t.month, 'YYYY-MM') AS month, \
             t.lost AS n FROM lost_months t WHERE t.month >= ",
        );
        qb.push_bind(start);
        qb.push(" AND t.month < ");
        qb.push_bind(end);
        push_tally_filters(qb, district, filter);
    } else {
        qb.push(
            "SELECT m.lost_reason_id, to_char(m.lost_on, 'YYYY-MM') AS month, 1 AS n \
             FROM members m WHERE m.status = 'lost' AND m.lost_on >= ",
        );
        qb.push_bind(start);
        qb.push(" AND m.lost_on < ");
        qb.push_bind(end);
        push_scope(qb, scope);
        push_filters(qb, filter, "m.formula");
    }
}

/// [`losses`] counted from the lost members themselves: the count the
/// tally must equal.
pub async fn losses_from_members(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<LossRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT CASE WHEN GROUPING(r.id) = 0 THEN 'reason' WHEN GROUPING(month) = 0 THEN 'month' \
         ELSE 'category' END AS dim, r.category, r.id AS reason_id, r.label, month, \
         count(*) AS lost FROM (SELECT m.lost_reason_id, to_char(m.lost_on, 'YYYY-MM') AS month \
         FROM members m WHERE m.status = 'lost' AND m.lost_on >= ",
    );
    qb.push_bind(start);
    qb.push(" AND m.lost_on < ");
    qb.push_bind(end);
    push_scope(&mut qb, scope);
    push_filters(&mut qb, filter, "m.formula");
    qb.push(
        ") x JOIN reasons r ON r.id = x.lost_reason_id \
         GROUP BY GROUPING SETS ((r.category), (r.category, r.id, r.label), (r.category, month)) \
         ORDER BY lost DESC, r.label",
    );
    qb.build_query_as().fetch_all(pool).await
}

/// A lost member who may be won back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecoverableLoss {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub business_name: String,
    pub district_name: String,
    pub lost_on: NaiveDate,
    pub reason: String,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub representative_name: Option<String>,
}

/// A page of the members lost in the period for a recoverable reason,
/// most recent first, and how many there are.
pub async fn recoverable_losses(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    limit: i64,
    offset: i64,
) -> Result<(Vec<RecoverableLoss>, i64), sqlx::Error> {
    let push_where = |qb: &mut QueryBuilder<Postgres>| {
        qb.push(
            " WHERE m.status = 'lost' AND m.lost_reason_id IN \
             (SELECT id FROM reasons WHERE category <> 'irrecoverable') AND m.lost_on >= ",
        );
        qb.push_bind(start);
        qb.push(" AND m.lost_on < ");
        qb.push_bind(end);
        push_scope(qb, scope);
        push_filters(qb, filter, "m.formula");
    };
    // The page's members first, on the index of departures by date (read
    // backwards from the end of the period, stopping at the page), then
    // their names.
    let mut qb = QueryBuilder::new(
        "SELECT o.id, o.first_name, o.last_name, o.business_name, d.name AS district_name, \
         o.lost_on, r.label AS reason, o.last_contact_at, u.display_name AS representative_name \
         FROM (SELECT m.id FROM members m",
    );
    push_where(&mut qb);
    qb.push(" ORDER BY m.lost_on DESC, m.id DESC ");
    crate::store::push_limit(&mut qb, limit, Some(offset));
    qb.push(
        ") p JOIN members o ON o.id = p.id JOIN districts d ON d.id = o.district_id \
         JOIN reasons r ON r.id = o.lost_reason_id LEFT JOIN users u ON u.id = o.representative_id \
         ORDER BY o.lost_on DESC, o.id DESC",
    );
    let rows = qb.build_query_as().fetch_all(pool).await?;
    let mut count = QueryBuilder::new("SELECT COALESCE(sum(x.n), 0)::bigint FROM (");
    push_lost(&mut count, scope, filter, (start, end));
    count.push(
        ") x WHERE x.lost_reason_id IN \
         (SELECT id FROM reasons WHERE category <> 'irrecoverable')",
    );
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok((rows, total))
}

/// `CASE WHEN <stage range> THEN 'red' … END`: the colour of the stage an
/// active member (alias `m`) is in today.
fn push_colour_case(qb: &mut QueryBuilder<Postgres>, timelines: &Timelines, today: NaiveDate) {
    qb.push("CASE");
    for colour in Colour::ALL {
        let sets = timelines.selection(today, &Formula::ALL, |d| d.colour == colour);
        qb.push(" WHEN ");
        push_selection(qb, &sets);
        qb.push(" THEN ");
        qb.push_bind(colour.as_str());
    }
    qb.push(" END");
}

/// Active members due per month in [`start`, `end`), by today's stage
/// colour and by state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PipelineRow {
    pub month: String,
    pub colour: Option<String>,
    pub state: Option<String>,
    /// A row of the counts by state (`colour` unset); otherwise by colour.
    pub by_state: bool,
    pub members: i64,
}

pub async fn pipeline(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    timelines: &Timelines,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<PipelineRow>, sqlx::Error> {
    // The network's and a district's from tallies: by colour, each range
    // of renewal dates that puts a member in a stage today is one index
    // range scan of the tally per formula, term and renewal date
    // (migrations 0014 and 0022), as on the homes; by state, the tally per
    // district, month, formula and state (migration 0025). A group's or a
    // portfolio's members are counted.
    let Some(district) = tallied_district(scope, filter) else {
        return pipeline_from_members(pool, scope, filter, timelines, (start, end), today).await;
    };
    let tally_scope = district.map_or(Scope::Network, Scope::District);
    let mut qb = QueryBuilder::new(
        "SELECT to_char(s.month, 'YYYY-MM') AS month, s.colour, NULL::text AS state, \
         false AS by_state, sum(s.n)::bigint AS members",
    );
    push_staged_members(
        &mut qb,
        tally_scope,
        timelines,
        today,
        Months::Within(start, end),
    );
    if let Some(f) = filter.formula {
        qb.push(" WHERE s.formula = ");
        qb.push_bind(f.as_str());
    }
    qb.push(
        " GROUP BY s.month, s.colour UNION ALL SELECT to_char(t.month, 'YYYY-MM'), NULL, \
         NULLIF(t.state, ''), true, sum(t.active)::bigint FROM due_month_states t \
         WHERE t.month >= ",
    );
    qb.push_bind(start);
    qb.push(" AND t.month < ");
    qb.push_bind(end);
    push_tally_filters(&mut qb, district, filter);
    qb.push(" GROUP BY t.month, t.state HAVING sum(t.active) <> 0");
    qb.build_query_as().fetch_all(pool).await
}

/// [`pipeline`] counted from the members themselves (per renewal date,
/// formula, term and state first, the stage colour worked out on those
/// rows): a group's or a portfolio's, and the count the tallies must
/// equal.
pub async fn pipeline_from_members(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    timelines: &Timelines,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<PipelineRow>, sqlx::Error> {
    // `held`: a late renewal keeps the member in the first stage, whose
    // colour then counts instead of the stage's by date.
    let mut qb = QueryBuilder::new(
        "WITH s AS MATERIALIZED (SELECT renewal_date, formula, term_months, state, ",
    );
    push_held(&mut qb, timelines, today);
    qb.push(
        " AS held, count(*) AS n \
         FROM members m WHERE m.status = 'active' AND m.renewal_date >= ",
    );
    qb.push_bind(start);
    qb.push(" AND m.renewal_date < ");
    qb.push_bind(end);
    push_scope(&mut qb, scope);
    push_filters(&mut qb, filter, "m.formula");
    qb.push(
        " GROUP BY 1, 2, 3, 4, 5), m AS (SELECT renewal_date, formula, term_months, held, \
         sum(n) AS n FROM s GROUP BY 1, 2, 3, 4)",
    );
    qb.push(
        " SELECT to_char(m.renewal_date, 'YYYY-MM') AS month, CASE WHEN m.held THEN CASE m.formula",
    );
    for formula in Formula::ALL {
        if let Some(first) = timelines.table(formula).iter().find(|d| d.key == FIRST_KEY) {
            qb.push(" WHEN ");
            qb.push_bind(formula.as_str());
            qb.push(" THEN ");
            qb.push_bind(first.colour.as_str());
        }
    }
    qb.push(" END ELSE ");
    push_colour_case(&mut qb, timelines, today);
    qb.push(" END");
    qb.push(
        " AS colour, NULL::text AS state, false AS by_state, sum(m.n)::bigint AS members \
         FROM m GROUP BY 1, 2 UNION ALL SELECT to_char(s.month, 'YYYY-MM'), NULL, s.state, true, \
         sum(s.n)::bigint FROM (SELECT date_trunc('month', renewal_date)::date AS month, state, \
         sum(n) AS n FROM s GROUP BY 1, 2) s GROUP BY 1, 3",
    );
    qb.build_query_as().fetch_all(pool).await
}

/// Where the cycles due in [`start`, `end`) stand in billing: `paid` (the
/// renewal is recorded), `invoiced`, `requested`, `to_request`, or `lost`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillingRow {
    pub month: String,
    pub stage: String,
    pub members: i64,
    /// How many of them have an amount, and its sum.
    pub priced: i64,
    pub amount_cents: Option<i64>,
}

pub async fn billing(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<BillingRow>, sqlx::Error> {
    // Each due cycle carries its billing step and amount (migration 0024).
    // The network's and a district's are read from their tally per
    // district, month, formula and step (a few hundred rows whatever the
    // size of the network); a group's or a portfolio's from their cycles.
    let mut qb = QueryBuilder::new("");
    if let Some(district) = tallied_district(scope, filter) {
        qb.push(
            "SELECT to_char(t.month, 'YYYY-MM') AS month, t.stage, \
             sum(t.members)::bigint AS members, sum(t.priced)::bigint AS priced, \
             CASE WHEN sum(t.priced) > 0 THEN sum(t.amount_cents) END::bigint AS amount_cents \
             FROM due_month_billing t WHERE t.month >= ",
        );
        qb.push_bind(start);
        qb.push(" AND t.month < ");
        qb.push_bind(end);
        push_tally_filters(&mut qb, district, filter);
        qb.push(" GROUP BY t.month, t.stage HAVING sum(t.members) > 0");
    } else {
        qb.push(
            "SELECT to_char(c.due_month, 'YYYY-MM') AS month, c.billing_stage AS stage, \
             count(*) AS members, count(c.billing_cents) AS priced, \
             sum(c.billing_cents)::bigint AS amount_cents",
        );
        push_due_cycles(&mut qb, scope, filter, (start, end));
        qb.push(" AND c.billing_stage IS NOT NULL GROUP BY c.due_month, c.billing_stage");
    }
    qb.build_query_as().fetch_all(pool).await
}

/// Whether the figures of `scope` and `filter` can be read from the
/// tallies kept per district (migrations 0014, 0022, 0024): the whole
/// network or one district, perhaps one formula, but no group or
/// representative. `Some(None)` for the whole network, `Some(Some(d))` for
/// district `d`.
fn tallied_district(scope: Scope, filter: &ReportFilter) -> Option<Option<i64>> {
    if filter.group_id.is_some() || filter.representative_id.is_some() {
        return None;
    }
    match (scope, filter.district_id) {
        (Scope::Network, d) => Some(d),
        (Scope::District(d), None) => Some(Some(d)),
        // A district manager's filter never names another district (the
        // filter is dropped outside the network), but if it did, both hold.
        (Scope::District(d), Some(f)) if d == f => Some(Some(d)),
        _ => None,
    }
}

/// `AND …` for a district and the formula filter on a tally `t`.
fn push_tally_filters(qb: &mut QueryBuilder<Postgres>, district: Option<i64>, f: &ReportFilter) {
    if let Some(d) = district {
        qb.push(" AND t.district_id = ");
        qb.push_bind(d);
    }
    if let Some(x) = f.formula {
        qb.push(" AND t.formula = ");
        qb.push_bind(x.as_str());
    }
}

/// Pre-renewal stages (anchored on the renewal date, before it) of each
/// formula's table: the stages the follow-up effect counts.
pub fn pre_renewal_stages(timelines: &Timelines) -> Vec<(Formula, Vec<String>)> {
    Formula::ALL
        .iter()
        .map(|&f| {
            let keys = timelines
                .table(f)
                .iter()
                .filter(|d| d.anchor == Anchor::Renewal && (d.months < 0 || d.days < 0))
                .map(|d| d.key.clone())
                .collect();
            (f, keys)
        })
        .collect()
}

/// `CASE g.formula WHEN 'exclusive' THEN <keys> … END` (a text array).
fn push_stage_keys(qb: &mut QueryBuilder<Postgres>, stages: &[(Formula, Vec<String>)]) {
    qb.push("CASE g.formula");
    for (f, keys) in stages {
        qb.push(" WHEN ");
        qb.push_bind(f.as_str());
        qb.push(" THEN ");
        qb.push_bind(keys.clone());
        qb.push("::text[]");
    }
    qb.push(" ELSE ARRAY[]::text[] END");
}

/// Due cycles (renewed, lost or pending) grouped by formula, how many of
/// their pre-renewal stages got a follow-up while current, and the state
/// of the member's last follow-up before the due date: all three kept on
/// each cycle by triggers (migration 0015).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpEffectRow {
    pub formula: String,
    pub followed: i64,
    pub last_state: Option<String>,
    pub outcome: String,
    pub members: i64,
}

pub async fn follow_up_effect(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<FollowUpEffectRow>, sqlx::Error> {
    let Some(district) = tallied_district(scope, filter) else {
        return follow_up_effect_from_cycles(pool, scope, filter, (start, end), today).await;
    };
    // The network's and a district's from the tally per district, month,
    // formula, stages followed, last state and outcome (migration 0025):
    // the cycles renewed or lost, and those still open of the months
    // before this one; the open cycles of this month already due are read
    // from their index (a few days of cycles).
    let this_month = today.with_day(1).unwrap_or(today);
    let mut qb = QueryBuilder::new(
        "SELECT formula, pre_followed::bigint AS followed, NULLIF(last_state, '') AS last_state, \
         CASE outcome WHEN 'active' THEN 'pending' ELSE outcome END AS outcome, members \
         FROM (SELECT formula, pre_followed, last_state, outcome, sum(n)::bigint AS members \
         FROM (SELECT t.formula, t.pre_followed, t.last_state, \
         t.outcome, t.cycles AS n FROM due_month_effects t WHERE t.month >= ",
    );
    qb.push_bind(start);
    qb.push(" AND t.month < ");
    qb.push_bind(end);
    push_tally_filters(&mut qb, district, filter);
    qb.push(" AND (t.outcome <> 'active' OR t.month < ");
    qb.push_bind(this_month);
    qb.push(
        ") UNION ALL SELECT c.formula, c.pre_followed, COALESCE(c.last_state, ''), c.outcome, 1 \
         FROM due_cycles c WHERE c.outcome = 'active' AND c.due_on >= ",
    );
    qb.push_bind(this_month.max(start));
    qb.push(" AND c.due_on < ");
    qb.push_bind(today.min(end));
    if let Some(d) = district {
        qb.push(" AND c.district_id = ");
        qb.push_bind(d);
    }
    if let Some(x) = filter.formula {
        qb.push(" AND c.formula = ");
        qb.push_bind(x.as_str());
    }
    qb.push(") x GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0) y");
    qb.build_query_as().fetch_all(pool).await
}

/// [`follow_up_effect`] counted from the due cycles: a group's or a
/// portfolio's, and the count the tally must equal.
pub async fn follow_up_effect_from_cycles(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<FollowUpEffectRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT c.formula, c.pre_followed::bigint AS followed, c.last_state, \
         CASE c.outcome WHEN 'active' THEN 'pending' ELSE c.outcome END AS outcome, \
         count(*) AS members",
    );
    push_due_cycles(&mut qb, scope, filter, (start, end));
    qb.push(" AND (c.outcome <> 'active' OR c.due_on < ");
    qb.push_bind(today);
    qb.push(") GROUP BY 1, 2, 3, 4");
    qb.build_query_as().fetch_all(pool).await
}

/// The representatives a team report lists (active, in scope and filter).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Representative {
    pub id: i64,
    pub display_name: String,
    pub district_name: String,
}

pub async fn representatives(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
) -> Result<Vec<Representative>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT u.id, u.display_name, d.name AS district_name FROM users u \
         JOIN districts d ON d.id = u.district_id \
         WHERE u.role = 'representative' AND u.active",
    );
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(" AND u.district_id = ");
            qb.push_bind(d);
        }
        Scope::Representative { user_id, .. } => {
            qb.push(" AND u.id = ");
            qb.push_bind(user_id);
        }
        Scope::Nothing => {
            qb.push(" AND false");
        }
    }
    if let Some(d) = filter.district_id {
        qb.push(" AND u.district_id = ");
        qb.push_bind(d);
    }
    if let Some(r) = filter.representative_id {
        qb.push(" AND u.id = ");
        qb.push_bind(r);
    }
    qb.push(" ORDER BY d.name, u.display_name");
    qb.build_query_as().fetch_all(pool).await
}

/// Per representative: active members, follow-ups logged in the period,
/// planned follow-ups missed, escalations raised, and the pre-renewal
/// stages followed up (of those expected) for the cycles due. A member's
/// district, group, formula and representative are read from their
/// current cycle (`due_cycles` with `renewal_id = 0`, a narrow row on an
/// index) rather than from the wide members row.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct TeamCounts {
    pub user_id: i64,
    pub portfolio: i64,
    pub follow_ups: i64,
    pub planned_missed: i64,
    pub escalations: i64,
    pub stages_expected: i64,
    pub stages_followed: i64,
}

pub async fn team_counts(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    stages: &[(Formula, Vec<String>)],
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<TeamCounts>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT user_id, sum(portfolio)::bigint AS portfolio, sum(follow_ups)::bigint AS follow_ups, \
         sum(planned_missed)::bigint AS planned_missed, sum(escalations)::bigint AS escalations, \
         sum(stages_expected)::bigint AS stages_expected, \
         sum(stages_followed)::bigint AS stages_followed FROM (",
    );
    // Active members, from their tally per representative, district,
    // group and formula (migration 0015).
    qb.push(
        "SELECT c.representative_id AS user_id, sum(c.active) AS portfolio, 0 AS follow_ups, \
         0 AS planned_missed, 0 AS escalations, 0 AS stages_expected, 0 AS stages_followed \
         FROM portfolio_counts c WHERE c.active <> 0",
    );
    push_cycle_scope(&mut qb, scope, filter);
    qb.push(" GROUP BY 1");
    // Follow-ups logged, from the monthly summary (author and district).
    qb.push(
        " UNION ALL SELECT s.author_id, 0, sum(s.follow_ups), 0, 0, 0, 0 \
         FROM follow_up_monthly s WHERE s.month >= ",
    );
    qb.push_bind(start);
    qb.push(" AND s.month < ");
    qb.push_bind(end);
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(" AND s.district_id = ");
            qb.push_bind(d);
        }
        Scope::Representative { user_id, .. } => {
            qb.push(" AND s.author_id = ");
            qb.push_bind(user_id);
        }
        Scope::Nothing => {
            qb.push(" AND false");
        }
    }
    if let Some(d) = filter.district_id {
        qb.push(" AND s.district_id = ");
        qb.push_bind(d);
    }
    qb.push(" GROUP BY 1");
    // Planned follow-ups due in the period (up to today) and missed: for
    // one district, from its tally per due date and planner (migration
    // 0039); otherwise from the index of missed ones, their members only
    // when a scope or a filter needs them.
    match district_keyed(scope, filter) {
        Some(Some(district)) => {
            qb.push(
                " UNION ALL SELECT t.planned_by, 0, 0, sum(t.missed), 0, 0, 0 \
                 FROM planned_missed_days t WHERE t.district_id = ",
            );
            qb.push_bind(district);
            qb.push(" AND t.due_date >= ");
            qb.push_bind(start);
            qb.push(" AND t.due_date < ");
            qb.push_bind(end.min(today));
        }
        _ => {
            qb.push(
                " UNION ALL SELECT p.planned_by, 0, 0, count(*), 0, 0, 0 FROM planned_follow_ups p",
            );
            if scope != Scope::Network || *filter != ReportFilter::default() {
                qb.push(" JOIN due_cycles m ON m.member_id = p.member_id AND m.renewal_id = 0");
            }
            qb.push(" WHERE p.due_date >= ");
            qb.push_bind(start);
            qb.push(" AND p.due_date < ");
            qb.push_bind(end.min(today));
            qb.push(" AND (p.status = 'open' OR p.closed_on > p.due_date)");
            push_scope(&mut qb, scope);
            push_filters(&mut qb, filter, "m.formula");
        }
    }
    qb.push(" GROUP BY 1");
    // Escalations raised: by their district (migration 0040) for the
    // network or a district, through their members' cycles for a finer
    // filter.
    qb.push(" UNION ALL SELECT e.raised_by, 0, 0, 0, count(*), 0, 0 FROM escalations e");
    let by_district = district_keyed(scope, filter);
    if by_district.is_none() {
        qb.push(" JOIN due_cycles m ON m.member_id = e.member_id AND m.renewal_id = 0");
    }
    qb.push(" WHERE e.raised_at >= ");
    qb.push_bind(start);
    qb.push(" AND e.raised_at < ");
    qb.push_bind(end);
    push_escalation_scope(&mut qb, scope, filter, by_district);
    qb.push(" GROUP BY 1");
    // Pre-renewal stages followed up (kept on each cycle) of those expected
    // for the cycles due: renewed, lost or pending.
    qb.push(" UNION ALL SELECT g.representative_id, 0, 0, 0, 0, sum(g.n * cardinality(");
    push_stage_keys(&mut qb, stages);
    qb.push(
        ")), sum(g.followed) FROM (SELECT c.representative_id, c.formula, count(*) AS n, \
         sum(c.pre_followed) AS followed",
    );
    push_due_cycles(&mut qb, scope, filter, (start, end));
    qb.push(" AND (c.outcome <> 'active' OR c.due_on < ");
    qb.push_bind(today);
    qb.push(") AND c.representative_id IS NOT NULL GROUP BY 1, 2) g GROUP BY 1");
    qb.push(") t GROUP BY user_id");
    qb.build_query_as().fetch_all(pool).await
}

/// Whether rows of `scope` and `filter` are found by the district they
/// carry (missed planned follow-ups, 0039; escalations, 0040): the
/// network or one district, no finer filter. `Some(None)` for the network, `Some(Some(d))` for
/// district `d`; `None` when their members' cycles must be joined.
fn district_keyed(scope: Scope, filter: &ReportFilter) -> Option<Option<i64>> {
    tallied_district(scope, filter).filter(|_| filter.formula.is_none())
}

/// `AND …` keeping the escalations in scope and filter: on their district
/// when `by_district` says so, else on their members' cycles `m`.
fn push_escalation_scope(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    filter: &ReportFilter,
    by_district: Option<Option<i64>>,
) {
    match by_district {
        Some(Some(district)) => {
            qb.push(" AND e.district_id = ");
            qb.push_bind(district);
        }
        Some(None) => {}
        None => {
            push_scope(qb, scope);
            push_filters(qb, filter, "m.formula");
        }
    }
}

/// Per receiver of escalations: the escalations raised in the period they
/// answered first (took charge of, or resolved), the median and 90th
/// percentile of the delay in hours, and the escalations waiting for them
/// past their 7 days now (district level: the district's managers;
/// direction and customer service: direction).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiverRow {
    pub user_id: i64,
    pub display_name: String,
    pub role: String,
    pub answered: i64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub overdue: i64,
}

pub async fn receivers(
    pool: &PgPool,
    scope: Scope,
    filter: &ReportFilter,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    today: NaiveDate,
) -> Result<Vec<ReceiverRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT u.id AS user_id, u.display_name, u.role, COALESCE(a.answered, 0) AS answered, \
         a.median_hours, a.p90_hours, COALESCE(o.overdue, 0) AS overdue FROM users u \
         LEFT JOIN (SELECT CASE WHEN e.acknowledged_at IS NOT NULL THEN e.acknowledged_by \
         ELSE e.resolved_by END AS user_id, count(*) AS answered, \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', \
           COALESCE(e.acknowledged_at, e.resolved_at) - e.raised_at) / 3600.0) AS median_hours, \
         percentile_cont(0.9) WITHIN GROUP (ORDER BY date_part('epoch', \
           COALESCE(e.acknowledged_at, e.resolved_at) - e.raised_at) / 3600.0) AS p90_hours \
         FROM escalations e",
    );
    // The delays are sorted as floating-point hours (`date_part`), not
    // as the exact decimals `extract` gives: sorting decimals took twice
    // as long, for figures shown to the minute.
    // Their members' cycles only when a filter finer than the district
    // needs them (migration 0040: each escalation carries its district).
    let by_district = district_keyed(scope, filter);
    if by_district.is_none() {
        qb.push(" JOIN due_cycles m ON m.member_id = e.member_id AND m.renewal_id = 0");
    }
    qb.push(" WHERE COALESCE(e.acknowledged_at, e.resolved_at) IS NOT NULL AND e.raised_at >= ");
    qb.push_bind(start);
    qb.push(" AND e.raised_at < ");
    qb.push_bind(end);
    push_escalation_scope(&mut qb, scope, filter, by_district);
    // The overdue escalations are counted by receiving role and district
    // first (a dozen rows), then given to the people who hold that role
    // there: matching each escalation to each person read them all again
    // for every manager.
    qb.push(
        " GROUP BY 1) a ON a.user_id = u.id \
         LEFT JOIN (SELECT r.id AS user_id, sum(p.n)::bigint AS overdue FROM \
           (SELECT CASE WHEN e.level = 'district' THEN 'district_manager' ELSE 'direction' END \
                     AS role, \
                   CASE WHEN e.level = 'district' THEN e.district_id END AS district_id, \
                   count(*) AS n \
            FROM escalations e",
    );
    if by_district.is_none() {
        qb.push(" JOIN due_cycles m ON m.member_id = e.member_id AND m.renewal_id = 0");
    }
    qb.push(" WHERE e.status IN ('open', 'acknowledged') AND e.due_on < ");
    qb.push_bind(today);
    push_escalation_scope(&mut qb, scope, filter, by_district);
    qb.push(
        " GROUP BY 1, 2) p \
         JOIN users r ON r.active AND r.role = p.role \
           AND (p.role = 'direction' OR r.district_id = p.district_id) \
         GROUP BY 1) o ON o.user_id = u.id WHERE a.user_id IS NOT NULL OR o.user_id IS NOT NULL \
         ORDER BY u.display_name, u.id",
    );
    qb.build_query_as().fetch_all(pool).await
}
