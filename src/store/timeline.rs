//! The timeline tables (data, editable by direction) and the translation of
//! a stage or colour selection into renewal-date ranges for SQL.
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::formula::{Colour, Formula};
use crate::domain::member::TERMS;
use crate::domain::timeline::{self, Anchor, CurrentStage, LateStart, MonthPiece, StageDef};
use crate::domain::timeline_edit::FIRST_KEY;

/// Every formula's stage table, plus the standing actions.
#[derive(Debug, Clone, Default)]
pub struct Timelines {
    /// Shared: every page clones the timelines it reads from memory.
    tables: Arc<BTreeMap<Formula, Vec<StageDef>>>,
    pub standing_actions: Vec<String>,
}

/// A set of renewal-date ranges for one formula and some terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSet {
    pub formula: Formula,
    pub terms: Vec<i32>,
    pub ranges: Vec<(Option<NaiveDate>, Option<NaiveDate>)>,
}

impl Timelines {
    pub fn from_rows(rows: Vec<(Formula, StageDef)>, standing_actions: Vec<String>) -> Timelines {
        let mut tables: BTreeMap<Formula, Vec<StageDef>> = BTreeMap::new();
        for (f, def) in rows {
            tables.entry(f).or_default().push(def);
        }
        for t in tables.values_mut() {
            t.sort_by_key(|d| d.position);
        }
        Timelines {
            tables: Arc::new(tables),
            standing_actions,
        }
    }

    pub fn table(&self, formula: Formula) -> &[StageDef] {
        self.tables.get(&formula).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The same timelines with `formula`'s table replaced.
    pub fn with_table(&self, formula: Formula, table: Vec<StageDef>) -> Timelines {
        let mut t = self.clone();
        Arc::make_mut(&mut t.tables).insert(formula, table);
        t
    }

    /// The same timelines with other standing actions.
    pub fn with_standing_actions(&self, actions: Vec<String>) -> Timelines {
        Timelines {
            tables: self.tables.clone(),
            standing_actions: actions,
        }
    }

    pub fn current(
        &self,
        formula: Formula,
        renewal: NaiveDate,
        term_months: i32,
        today: NaiveDate,
    ) -> Option<CurrentStage<'_>> {
        timeline::current_stage(self.table(formula), renewal, term_months, today)
    }

    /// [`Timelines::current`] with a late renewal's first stage.
    pub fn current_late(
        &self,
        formula: Formula,
        renewal: NaiveDate,
        term_months: i32,
        today: NaiveDate,
        late: Option<LateStart>,
    ) -> Option<CurrentStage<'_>> {
        timeline::current_stage_late(self.table(formula), renewal, term_months, today, late)
    }

    /// Whether `def` is the stage that asks for the billing request or a
    /// later one of the same cycle (the request is then due, or late).
    pub fn billing_due_at(&self, formula: Formula, def: &StageDef) -> bool {
        self.table(formula)
            .iter()
            .find(|d| d.asks_billing_request)
            .is_some_and(|asking| def.position >= asking.position)
    }

    /// Stage keys and labels across formulas, in table order, without repeats.
    pub fn stage_choices(&self) -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = Vec::new();
        for f in Formula::ALL {
            for d in self.table(f) {
                if !seen.iter().any(|(k, _)| *k == d.key) {
                    seen.push((d.key.clone(), d.label.clone()));
                }
            }
        }
        seen
    }

    /// The formulas among `formulas` whose first stage satisfies `wanted`.
    pub fn first_wanted(
        &self,
        formulas: &[Formula],
        wanted: impl Fn(&StageDef) -> bool,
    ) -> Vec<Formula> {
        formulas
            .iter()
            .copied()
            .filter(|&f| {
                self.table(f)
                    .iter()
                    .any(|d| d.key == FIRST_KEY && wanted(d))
            })
            .collect()
    }

    /// Whether a stage satisfying `wanted` in `formulas` can hold, by date,
    /// members that a late renewal keeps in their first stage: otherwise
    /// a selection by date needs no correction for them.
    pub fn may_hold(&self, formulas: &[Formula], wanted: impl Fn(&StageDef) -> bool) -> bool {
        formulas
            .iter()
            .any(|&f| self.table(f).iter().any(|d| holds(d) && wanted(d)))
    }

    /// For each formula and term, the renewal dates whose stage by date
    /// holds a late renewal's member in the first stage (see `LateStart`).
    pub fn held_selection(&self, today: NaiveDate, formulas: &[Formula]) -> Vec<RangeSet> {
        self.selection(today, formulas, holds)
    }

    /// For each formula and term, the renewal dates whose current stage
    /// satisfies `wanted`; terms with the same ranges are grouped.
    pub fn selection(
        &self,
        today: NaiveDate,
        formulas: &[Formula],
        wanted: impl Fn(&StageDef) -> bool,
    ) -> Vec<RangeSet> {
        let mut out: Vec<RangeSet> = Vec::new();
        for &formula in formulas {
            for term in TERMS {
                let mut ranges: Vec<(Option<NaiveDate>, Option<NaiveDate>)> =
                    timeline::stage_ranges(self.table(formula), term, today)
                        .into_iter()
                        .filter(|r| wanted(r.def))
                        .map(|r| (r.from, r.until))
                        .collect();
                ranges.sort();
                let ranges = merge_adjacent(ranges);
                if ranges.is_empty() {
                    continue;
                }
                match out
                    .iter_mut()
                    .find(|s| s.formula == formula && s.ranges == ranges)
                {
                    Some(set) => set.terms.push(term),
                    None => out.push(RangeSet {
                        formula,
                        terms: vec![term],
                        ranges,
                    }),
                }
            }
        }
        out
    }
}

fn merge_adjacent(
    ranges: Vec<(Option<NaiveDate>, Option<NaiveDate>)>,
) -> Vec<(Option<NaiveDate>, Option<NaiveDate>)> {
    let mut merged: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = Vec::new();
    for (from, until) in ranges {
        if let Some(last) = merged.last_mut()
            && last.1.is_some()
            && last.1 == from
        {
            last.1 = until;
            continue;
        }
        merged.push((from, until));
    }
    merged
}

/// Appends `(…)`: true for members (alias `m`) whose renewal date falls in
/// the selection; `false` when nothing can match.
pub fn push_selection(qb: &mut QueryBuilder<Postgres>, sets: &[RangeSet]) {
    if sets.is_empty() {
        qb.push("false");
        return;
    }
    qb.push("(");
    for (i, set) in sets.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(m.formula = ");
        qb.push_bind(set.formula.as_str());
        qb.push(" AND m.term_months = ANY(");
        qb.push_bind(set.terms.clone());
        qb.push(") AND (");
        for (j, (from, until)) in set.ranges.iter().enumerate() {
            if j > 0 {
                qb.push(" OR ");
            }
            qb.push("(true");
            if let Some(from) = from {
                qb.push(" AND m.renewal_date >= ");
                qb.push_bind(*from);
            }
            if let Some(until) = until {
                qb.push(" AND m.renewal_date < ");
                qb.push_bind(*until);
            }
            qb.push(")");
        }
        qb.push("))");
    }
    qb.push(")");
}

/// How the stage ranges are cut by month of renewal (the column `month`).
#[derive(Clone, Copy)]
pub enum Months {
    /// Not cut: one row per range, `month` NULL.
    None,
    /// Only the renewal dates in [start, end), one row per range and month.
    Within(NaiveDate, NaiveDate),
    /// Every date, one row per range and month for the dates in
    /// [start, end), and the rest of each range with `month` NULL: the stage
    /// counts and the months ahead read in one pass over the ranges.
    Bucketed(NaiveDate, NaiveDate),
}

/// `(…) AS v(formula, term_months, date_from, date_until, stage, colour,
/// month)`: for every formula and term, the renewal dates
/// [date_from, date_until) that put an active member in each stage today
/// by date (open ends are ±infinity), cut by month as `months` says.
/// Joined on (formula, term_months, renewal_date), each row is an index
/// range scan and no row of members is tested against every stage; a
/// count per row needs no month worked out per member, nor a grouping.
/// Members held in their first stage by a late renewal are counted by date
/// here: see [`push_held_ranges`].
pub fn push_stage_ranges(
    qb: &mut QueryBuilder<Postgres>,
    timelines: &Timelines,
    today: NaiveDate,
    months: Months,
) {
    push_ranges(qb, timelines, today, false, months);
}

/// `(…) AS h(formula, term_months, date_from, date_until, stage, colour,
/// first_stage, first_colour, month)`: the ranges of [`push_stage_ranges`]
/// whose stage is counted from P after the first one, where a late
/// renewal's first stage still without follow-up holds a member (see
/// `LateStart`), with that first stage. Read with [`push_late_unwelcomed`],
/// they say which members a count by date puts in `stage` instead of
/// `first_stage`.
pub fn push_held_ranges(
    qb: &mut QueryBuilder<Postgres>,
    timelines: &Timelines,
    today: NaiveDate,
    months: Months,
) {
    push_ranges(qb, timelines, today, true, months);
}

fn push_ranges(
    qb: &mut QueryBuilder<Postgres>,
    timelines: &Timelines,
    today: NaiveDate,
    held: bool,
    months: Months,
) {
    // Passed as arrays, not as a VALUES list: a handful of parameters
    // instead of a thousand, so the statement's text (and its prepared
    // plan) stays the same from one page to the next and binding it costs
    // nothing.
    let mut cols = RangeColumns::default();
    for formula in Formula::ALL {
        let table = timelines.table(formula);
        let first_def = table.iter().find(|d| d.key == FIRST_KEY);
        if held && first_def.is_none() {
            // Every table from the editor has its first stage.
            continue;
        }
        for term in TERMS {
            for r in timeline::stage_ranges(table, term, today) {
                if held && !holds(r.def) {
                    continue;
                }
                let pieces = match months {
                    Months::None => vec![MonthPiece {
                        from: r.from,
                        until: r.until,
                        month: None,
                    }],
                    Months::Within(start, end) => {
                        timeline::split_by_month((r.from, r.until), (start, end), false)
                    }
                    Months::Bucketed(start, end) => {
                        timeline::split_by_month((r.from, r.until), (start, end), true)
                    }
                };
                for piece in pieces {
                    cols.formulas.push(formula.as_str());
                    cols.terms.push(term);
                    cols.froms.push(piece.from);
                    cols.untils.push(piece.until);
                    cols.months.push(piece.month);
                    cols.stages.push(r.def.key.clone());
                    cols.colours.push(r.def.colour.as_str());
                    if let Some(first_def) = first_def {
                        cols.first_stages.push(first_def.key.clone());
                        cols.first_colours.push(first_def.colour.as_str());
                    }
                }
            }
        }
    }
    qb.push(
        "(SELECT u.formula, u.term_months, COALESCE(u.date_from, '-infinity') AS date_from, \
         COALESCE(u.date_until, 'infinity') AS date_until, u.stage, u.colour",
    );
    if held {
        qb.push(", u.first_stage, u.first_colour");
    }
    qb.push(", u.month FROM unnest(");
    qb.push_bind(cols.formulas);
    qb.push("::text[], ");
    qb.push_bind(cols.terms);
    qb.push("::integer[], ");
    qb.push_bind(cols.froms);
    qb.push("::date[], ");
    qb.push_bind(cols.untils);
    qb.push("::date[], ");
    qb.push_bind(cols.stages);
    qb.push("::text[], ");
    qb.push_bind(cols.colours);
    qb.push("::text[], ");
    if held {
        qb.push_bind(cols.first_stages);
        qb.push("::text[], ");
        qb.push_bind(cols.first_colours);
        qb.push("::text[], ");
    }
    qb.push_bind(cols.months);
    if held {
        qb.push(
            "::date[]) AS u(formula, term_months, date_from, date_until, stage, colour, \
             first_stage, first_colour, month)) AS h",
        );
    } else {
        qb.push(
            "::date[]) AS u(formula, term_months, date_from, date_until, stage, colour, \
             month)) AS v",
        );
    }
}

/// The columns of [`push_ranges`], one entry per range.
#[derive(Default)]
struct RangeColumns {
    formulas: Vec<&'static str>,
    terms: Vec<i32>,
    froms: Vec<Option<NaiveDate>>,
    untils: Vec<Option<NaiveDate>>,
    months: Vec<Option<NaiveDate>>,
    stages: Vec<String>,
    colours: Vec<&'static str>,
    first_stages: Vec<String>,
    first_colours: Vec<&'static str>,
}

/// Whether a member whose stage by date is `def` is held in the first stage
/// by a late renewal without its follow-up (see `LateStart`): the stages
/// counted from P, after the first.
fn holds(def: &StageDef) -> bool {
    def.anchor == Anchor::Previous && def.key != FIRST_KEY
}

/// ` AND …`: active members (alias `m`) whose current cycle began with a
/// renewal recorded late, on or before `today`, and whose first stage has
/// no follow-up yet. The conditions are written as the partial index of
/// migration 0026 states them (the key is written, not bound), so that the
/// few such members are found on it.
pub fn push_late_unwelcomed(qb: &mut QueryBuilder<Postgres>, today: NaiveDate) {
    qb.push(format!(
        " AND m.status = 'active' AND m.welcome_from IS NOT NULL \
         AND NOT (m.stages_done @> '{{{FIRST_KEY}}}'::text[]) \
         AND m.welcome_from > (m.renewal_date - make_interval(months => m.term_months))::date \
         AND m.welcome_from <= "
    ));
    qb.push_bind(today);
}

/// `(…)`: true for members (alias `m`) that a late renewal holds in their
/// first stage today, whatever their stage by date says.
pub fn push_held(qb: &mut QueryBuilder<Postgres>, timelines: &Timelines, today: NaiveDate) {
    qb.push("(true");
    push_late_unwelcomed(qb, today);
    qb.push(" AND ");
    push_selection(qb, &timelines.selection(today, &Formula::ALL, holds));
    qb.push(")");
}

/// `(…)`: true for active members (alias `m`) of `formulas` whose current
/// stage today satisfies `wanted`, late renewals' first stages included:
/// by date unless held, or held and the first stage is wanted.
pub fn push_stage_filter(
    qb: &mut QueryBuilder<Postgres>,
    timelines: &Timelines,
    today: NaiveDate,
    formulas: &[Formula],
    wanted: impl Fn(&StageDef) -> bool,
) {
    qb.push("((");
    push_selection(qb, &timelines.selection(today, formulas, &wanted));
    if timelines.may_hold(formulas, &wanted) {
        qb.push(" AND NOT ");
        push_held(qb, timelines, today);
    }
    qb.push(")");
    let firsts = timelines.first_wanted(formulas, &wanted);
    if !firsts.is_empty() {
        qb.push(" OR (m.formula = ANY(");
        qb.push_bind(firsts.iter().map(|f| f.as_str()).collect::<Vec<_>>());
        qb.push(") AND ");
        push_held(qb, timelines, today);
        qb.push(")");
    }
    qb.push(")");
}

/// The timelines, from memory when the tables have not changed since they
/// were last read from this database: a page asks for one number (the
/// revision bumped by every write to the tables, migration 0027) instead
/// of every stage with its action text. Each app server keeps its own
/// copy, checked on every call, so a table saved through another server
/// is seen at once.
pub async fn load(pool: &PgPool) -> Result<Timelines, sqlx::Error> {
    let key = database_key(pool);
    let revision: i64 = sqlx::query_scalar("SELECT n FROM timeline_revision")
        .fetch_one(pool)
        .await?;
    if let Some(t) = cached(&key, revision) {
        return Ok(t);
    }
    // The tables and their revision from one snapshot.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let revision: i64 = sqlx::query_scalar("SELECT n FROM timeline_revision")
        .fetch_one(&mut *tx)
        .await?;
    let timelines = load_in(&mut tx).await?;
    tx.commit().await?;
    remember(key, revision, &timelines);
    Ok(timelines)
}

/// The timelines read last, per database (tests give each its own).
type Cache = std::collections::HashMap<String, (i64, Timelines)>;

static CACHE: std::sync::Mutex<Option<Cache>> = std::sync::Mutex::new(None);

/// Which database a pool reads: its server and name.
fn database_key(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "{}|{:?}|{}|{}",
        o.get_host(),
        o.get_socket(),
        o.get_port(),
        o.get_database().unwrap_or_default()
    )
}

fn cached(key: &str, revision: i64) -> Option<Timelines> {
    // A poisoned lock only means another request panicked while holding
    // it: the map itself is always whole, so it is used as it is.
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .as_ref()
        .and_then(|c| c.get(key))
        .filter(|(n, _)| *n == revision)
        .map(|(_, t)| t.clone())
}

fn remember(key: String, revision: i64, timelines: &Timelines) {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(Cache::new);
    // One entry per database; a test run makes hundreds of them.
    if map.len() >= 64 && !map.contains_key(&key) {
        map.clear();
    }
    map.insert(key, (revision, timelines.clone()));
}

/// [`load`] inside a transaction (the timeline editor reads the tables it
/// is about to replace under its lock).
pub async fn load_in(conn: &mut PgConnection) -> Result<Timelines, sqlx::Error> {
    let rows: Vec<StageRow> = sqlx::query_as(
        "SELECT formula, stage_key, label, anchor::text AS anchor, months, days, colour, \
         position, action, asks_billing_request FROM timeline_stages ORDER BY formula, position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let standing: Vec<String> =
        sqlx::query_scalar("SELECT action FROM standing_actions ORDER BY position")
            .fetch_all(&mut *conn)
            .await?;
    Ok(Timelines::from_rows(decode_rows(rows)?, standing))
}

#[derive(sqlx::FromRow)]
pub struct StageRow {
    pub formula: String,
    pub stage_key: String,
    pub label: String,
    pub anchor: String,
    pub months: i32,
    pub days: i32,
    pub colour: String,
    pub position: i32,
    pub action: String,
    pub asks_billing_request: bool,
}

pub fn decode_rows(rows: Vec<StageRow>) -> Result<Vec<(Formula, StageDef)>, sqlx::Error> {
    let decode = |what: &str| sqlx::Error::Decode(format!("timeline_stages : {what}").into());
    let mut defs = Vec::with_capacity(rows.len());
    for r in rows {
        let formula = Formula::parse(&r.formula).ok_or_else(|| decode("formule"))?;
        let def = StageDef {
            key: r.stage_key,
            label: r.label,
            anchor: Anchor::parse(r.anchor.trim()).ok_or_else(|| decode("ancre"))?,
            months: r.months,
            days: r.days,
            colour: Colour::parse(&r.colour).ok_or_else(|| decode("couleur"))?,
            position: r.position,
            action: r.action,
            asks_billing_request: r.asks_billing_request,
        };
        defs.push((formula, def));
    }
    Ok(defs)
}
