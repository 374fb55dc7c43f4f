//! Members: lists and counts by stage (index range scans on the renewal
//! date), the member file, and writes with their audit rows.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};

use crate::domain::formula::{Colour, Formula, State};
use crate::domain::member::MemberDraft;
use crate::domain::scope::Scope;
use crate::domain::timeline::{CurrentStage, LateStart, StageDef};
use crate::domain::timeline_edit::FIRST_KEY;
use crate::domain::validation::FieldErrors;
use crate::store::audit::{self, Change};
use crate::store::timeline::{self, Timelines};

/// Who the list is about, as chosen in the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepresentativeFilter {
    #[default]
    Any,
    /// Members with no representative.
    Orphans,
    User(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Active,
    Lost,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub district_id: Option<i64>,
    pub group_id: Option<i64>,
    pub representative: RepresentativeFilter,
    pub formula: Option<Formula>,
    pub stage: Option<String>,
    pub colour: Option<Colour>,
    pub state: Option<State>,
    pub status: StatusFilter,
    pub text: String,
}

impl MemberFilter {
    /// Filtered by the current stage or its colour (active members only).
    pub fn by_stage(&self) -> bool {
        self.stage.is_some() || self.colour.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Fewest days until renewal first (overdue first).
    #[default]
    Renewal,
    Name,
}

/// One line of a member list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub business_name: String,
    pub profession: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub formula: String,
    pub district_name: String,
    pub group_name: Option<String>,
    pub representative_name: Option<String>,
    pub join_date: NaiveDate,
    pub renewal_date: NaiveDate,
    pub term_months: i32,
    pub status: String,
    pub state: Option<String>,
    pub cycle: i32,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub representative_id: Option<i64>,
    /// The day a late renewal was recorded (see [`LateStart`]).
    #[sqlx(default)]
    pub welcome_from: Option<NaiveDate>,
    /// The stages of the current cycle that have a follow-up (kept on the
    /// member by triggers, migration 0020).
    #[sqlx(default)]
    pub stages_done: Vec<String>,
}

/// What a member's stage today is worked out from, borrowed from a member
/// row or from the portfolio's index entry (`store::today::DayRow`).
pub struct StageFacts<'a> {
    pub formula: &'a str,
    pub renewal_date: NaiveDate,
    pub term_months: i32,
    /// The day a late renewal was recorded (see [`LateStart`]).
    pub welcome_from: Option<NaiveDate>,
    /// The stages of the current cycle that have a follow-up.
    pub stages_done: &'a [String],
}

impl StageFacts<'_> {
    pub fn formula(&self) -> Formula {
        Formula::parse(self.formula).unwrap_or(Formula::Exclusive)
    }

    /// The current cycle's late start, if its renewal was recorded late;
    /// `done` says whether a stage (by key) of this cycle was followed up.
    pub fn late_start_with(&self, done: impl Fn(&str) -> bool) -> Option<LateStart> {
        self.welcome_from.map(|from| LateStart {
            from,
            first_done: done(FIRST_KEY),
        })
    }

    /// [`StageFacts::late_start_with`] from the stages done kept on the
    /// member.
    pub fn late_start(&self) -> Option<LateStart> {
        self.late_start_with(|key| self.stages_done.iter().any(|d| d == key))
    }

    /// The member's stage today, a late renewal holding them in the first
    /// one.
    pub fn current_stage<'t>(
        &self,
        timelines: &'t Timelines,
        today: NaiveDate,
    ) -> Option<CurrentStage<'t>> {
        timelines.current_late(
            self.formula(),
            self.renewal_date,
            self.term_months,
            today,
            self.late_start(),
        )
    }
}

impl MemberRow {
    /// The current cycle's late start, if its renewal was recorded late;
    /// `done` says whether a stage (by key) of this cycle was followed up.
    pub fn late_start(&self, done: impl Fn(&str) -> bool) -> Option<LateStart> {
        self.stage_facts().late_start_with(done)
    }

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

    /// [`MemberRow::late_start`] from the stages done kept on the row.
    pub fn own_late_start(&self) -> Option<LateStart> {
        self.stage_facts().late_start()
    }

    pub fn formula(&self) -> Formula {
        self.stage_facts().formula()
    }

    /// The member's stage today, a late renewal holding them in the first
    /// one ([`MemberRow::own_late_start`]).
    pub fn current_stage<'t>(
        &self,
        timelines: &'t Timelines,
        today: NaiveDate,
    ) -> Option<CurrentStage<'t>> {
        self.stage_facts().current_stage(timelines, today)
    }

    pub fn state(&self) -> Option<State> {
        self.state.as_deref().and_then(State::parse)
    }

    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// The district, group and representative names of a member row (alias
/// `m`), each looked up on its key: a page of 50 rows reads 150 index
/// entries, where joining read every group and user to hash them (2,000
/// groups: 0.63 → 0.45 ms a page, with pgbench). A whole export joins them
/// instead.
macro_rules! member_names {
    () => {
        "(SELECT d.name FROM districts d WHERE d.id = m.district_id) AS district_name, \
         (SELECT g.name FROM groups g WHERE g.id = m.group_id) AS group_name, \
         (SELECT u.display_name FROM users u WHERE u.id = m.representative_id) \
         AS representative_name"
    };
}

/// The columns and joins of `MemberRow` (alias `m`), for queries to extend.
/// The district and representative names are joined (a dozen districts, a
/// portfolio's one representative); the group's is looked up by its key:
/// joining the groups hashed all of them, 20,000 in a network of a
/// million members (a portfolio read in 9–15 ms instead of 6–7.7). A page
/// of the list looks every name up (`member_names!`).
#[macro_export]
macro_rules! member_row_select {
    () => {
        "SELECT m.id, m.first_name, m.last_name, m.business_name, m.profession, m.email, \
         m.phone, m.city, m.formula, d.name AS district_name, \
         (SELECT g.name FROM groups g WHERE g.id = m.group_id) AS group_name, \
         u.display_name AS representative_name, m.join_date, m.renewal_date, m.term_months, \
         m.status, m.state, m.cycle, m.last_contact_at, m.representative_id, m.welcome_from, m.stages_done \
         FROM members m JOIN districts d ON d.id = m.district_id \
         LEFT JOIN users u ON u.id = m.representative_id "
    };
}

/// `AND …` restricting members (alias `m`) to what `scope` may see.
pub fn push_scope(qb: &mut QueryBuilder<Postgres>, scope: Scope) {
    match scope {
        Scope::Network => {}
        Scope::District(d) => {
            qb.push(" AND m.district_id = ");
            qb.push_bind(d);
        }
        Scope::Representative { user_id, .. } => {
            qb.push(" AND m.representative_id = ");
            qb.push_bind(user_id);
        }
        Scope::Nothing => {
            qb.push(" AND false");
        }
    }
}

fn push_where(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    f: &MemberFilter,
) {
    push_common_where(qb, scope, f);
    if f.by_stage() {
        // Lost members have no stage.
        qb.push(" AND m.status = 'active' AND ");
        let (formulas, wanted) = stage_wanted(f);
        timeline::push_stage_filter(qb, timelines, today, &formulas, wanted);
    }
    push_text(qb, f);
}

/// ` WHERE …`: the scope and every filter but the stage, the colour and
/// the text.
fn push_common_where(qb: &mut QueryBuilder<Postgres>, scope: Scope, f: &MemberFilter) {
    qb.push(" WHERE true");
    push_scope(qb, scope);
    match f.status {
        StatusFilter::Active => {
            qb.push(" AND m.status = 'active'");
        }
        StatusFilter::Lost => {
            qb.push(" AND m.status = 'lost'");
        }
        StatusFilter::All => {}
    }
    if let Some(d) = f.district_id {
        qb.push(" AND m.district_id = ");
        qb.push_bind(d);
    }
    if let Some(g) = f.group_id {
        qb.push(" AND m.group_id = ");
        qb.push_bind(g);
    }
    match f.representative {
        RepresentativeFilter::Any => {}
        RepresentativeFilter::Orphans => {
            qb.push(" AND m.representative_id IS NULL");
        }
        RepresentativeFilter::User(u) => {
            qb.push(" AND m.representative_id = ");
            qb.push_bind(u);
        }
    }
    if let Some(formula) = f.formula {
        qb.push(" AND m.formula = ");
        qb.push_bind(formula.as_str());
    }
    if let Some(state) = f.state {
        qb.push(" AND m.state = ");
        qb.push_bind(state.as_str());
    }
}

/// The formulas a stage filter looks in, and the stages it asks for (its
/// stage, its colour).
fn stage_wanted(f: &MemberFilter) -> (Vec<Formula>, impl Fn(&StageDef) -> bool + '_) {
    let formulas: Vec<Formula> = match f.formula {
        Some(x) => vec![x],
        None => Formula::ALL.to_vec(),
    };
    let wanted = |d: &StageDef| {
        f.stage.as_deref().is_none_or(|s| d.key == s) && f.colour.is_none_or(|c| d.colour == c)
    };
    (formulas, wanted)
}

/// `FROM (…) m`: the members of a list filtered by stage or colour, in
/// renewal order, at most `limit` of them (`None`: all). The selection is
/// a few ranges of renewal dates per formula and term, passed as arrays
/// (the statement's text, and so its prepared plan, stays the same); each
/// range is walked on its own index range (migration 0021) up to `limit`
/// rows, instead of walking every active member in renewal order and
/// testing each against every range (which read a third of the network
/// to fill a page of « 1 mois avant »). Members that a late renewal holds
/// in their first stage are left out of their stage by date and, when the
/// filter asks for the first stage, walked on their own partial index
/// (migration 0026).
///
/// The ranges are walked for ids and renewal dates only: with no other
/// filter, on the index alone. With `whole_rows`, only the first `limit`
/// of them are then read from the table (« rouge » for the network walked
/// 30 ranges of 50 whole rows, 1,500 rows read to show 50); without, the
/// relation has `m.id` alone (a count).
fn push_staged_from(
    qb: &mut QueryBuilder<Postgres>,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    f: &MemberFilter,
    limit: Option<i64>,
    whole_rows: bool,
) {
    let (formulas, wanted) = stage_wanted(f);
    if whole_rows {
        qb.push(" FROM (SELECT m.* FROM members m JOIN (SELECT k.id, k.renewal_date FROM (");
    } else {
        qb.push(" FROM (");
    }
    qb.push("SELECT m.id, m.renewal_date");
    push_range_walk(
        qb,
        &timelines.selection(today, &formulas, &wanted),
        "r",
        "m.id, m.renewal_date",
    );
    push_common_where(qb, scope, f);
    if timelines.may_hold(&formulas, &wanted) {
        qb.push(" AND NOT ");
        timeline::push_held(qb, timelines, today);
    }
    push_walk_end(qb, f, limit, "r");
    let firsts = timelines.first_wanted(&formulas, &wanted);
    if !firsts.is_empty() {
        qb.push(" UNION ALL SELECT m.id, m.renewal_date");
        push_range_walk(
            qb,
            &timelines.held_selection(today, &firsts),
            "h",
            "m.id, m.renewal_date",
        );
        push_common_where(qb, scope, f);
        timeline::push_late_unwelcomed(qb, today);
        push_walk_end(qb, f, limit, "h");
    }
    if whole_rows {
        qb.push(") k ORDER BY k.renewal_date, k.id");
        if let Some(limit) = limit {
            crate::store::push_limit(qb, limit, None);
        }
        qb.push(") k ON k.id = m.id) m");
    } else {
        qb.push(") m");
    }
}

/// ` FROM unnest(…) AS <alias>(…) CROSS JOIN LATERAL (SELECT <columns>
/// FROM members m`: one row per formula, term and range of `sets`, the ranges
/// passed as arrays; the caller adds the conditions, then
/// [`push_walk_end`].
fn push_range_walk(
    qb: &mut QueryBuilder<Postgres>,
    sets: &[timeline::RangeSet],
    alias: &str,
    columns: &str,
) {
    let (mut formulas, mut terms, mut froms, mut untils) = (vec![], vec![], vec![], vec![]);
    for set in sets {
        for &term in &set.terms {
            for &(from, until) in &set.ranges {
                formulas.push(set.formula.as_str());
                terms.push(term);
                froms.push(from);
                untils.push(until);
            }
        }
    }
    qb.push(" FROM unnest(");
    qb.push_bind(formulas);
    qb.push("::text[], ");
    qb.push_bind(terms);
    qb.push("::integer[], ");
    qb.push_bind(froms);
    qb.push("::date[], ");
    qb.push_bind(untils);
    qb.push(format!(
        "::date[]) AS {alias}(formula, term_months, date_from, date_until) \
         CROSS JOIN LATERAL (SELECT {columns} FROM members m"
    ));
}

/// The end of [`push_range_walk`]: the range, the text, renewal order and
/// the limit.
fn push_walk_end(
    qb: &mut QueryBuilder<Postgres>,
    f: &MemberFilter,
    limit: Option<i64>,
    alias: &str,
) {
    qb.push(format!(
        " AND m.status = 'active' AND m.formula = {alias}.formula \
         AND m.term_months = {alias}.term_months \
         AND m.renewal_date >= COALESCE({alias}.date_from, '-infinity') \
         AND m.renewal_date < COALESCE({alias}.date_until, 'infinity')"
    ));
    push_text(qb, f);
    qb.push(" ORDER BY m.renewal_date, m.id");
    if let Some(limit) = limit {
        crate::store::push_limit(qb, limit, None);
    }
    qb.push(") m");
}

/// The text search of a list.
fn push_text(qb: &mut QueryBuilder<Postgres>, f: &MemberFilter) {
    push_text_search(qb, &f.text);
}

/// `AND …`: members (alias `m`) whose name, business, profession or email
/// contains `text` (nothing when it is blank).
pub fn push_text_search(qb: &mut QueryBuilder<Postgres>, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        // One lowered text kept on the row (migration 0042) covers every
        // searched column: name, business, profession, email. Trigram
        // indexed for rare words; carried in the renewal order index for
        // common ones.
        qb.push(" AND m.search_text LIKE ");
        qb.push_bind(format!("%{}%", escape_like(&text.to_lowercase())));
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// How many members match a list's filters, counted only so far: a list
/// of 100,000 members is not counted on every page; beyond the cap the
/// page says « plus de … ».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTotal {
    pub count: i64,
    /// More match than `count`.
    pub capped: bool,
}

/// Matches counted beyond the page shown (enough for the pager to show
/// about twenty pages ahead).
pub const COUNT_AHEAD: i64 = 1000;

/// Matches counted beyond the page shown for a text search: four pages.
/// Its matches are found by testing the text of each member in turn, so a
/// common name (« tremblay », 3 % of a network) costs a walk of thirty
/// rows per match counted (58 ms to count 1,050 in a network of a million
/// members); a search is narrowed rather than paged through.
pub const SEARCH_COUNT_AHEAD: i64 = 200;

/// A page of the filtered list and the number of matches, counted up to
/// `COUNT_AHEAD` rows after the page (`SEARCH_COUNT_AHEAD` for a text
/// search: an index walk of at most that many matches, whatever the size
/// of the table); a page that is not full is the last one and needs no
/// count.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    filter: &MemberFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MemberRow>, ListTotal), sqlx::Error> {
    let mut qb = limited_page(scope, timelines, today, filter, sort, limit, offset);
    let rows: Vec<MemberRow> = qb.build_query_as().fetch_all(pool).await?;
    // A page that is not full is the last one: its rows give the count
    // (unless it is empty past the end, where the count says how far the
    // list goes).
    let shown = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if shown < limit && (shown > 0 || offset == 0) {
        let count = offset.saturating_add(shown);
        return Ok((
            rows,
            ListTotal {
                count,
                capped: false,
            },
        ));
    }
    let searching = !filter.text.trim().is_empty();
    let ahead = if searching {
        SEARCH_COUNT_AHEAD
    } else {
        COUNT_AHEAD
    };
    let cap = offset.saturating_add(limit).saturating_add(ahead);
    let mut count = QueryBuilder::new("SELECT count(*) FROM (SELECT 1");
    if filter.by_stage() {
        push_staged_from(
            &mut count,
            scope,
            timelines,
            today,
            filter,
            Some(cap.saturating_add(1)),
            false,
        );
    } else {
        count.push(" FROM members m");
        push_where(&mut count, scope, timelines, today, filter);
        if searching {
            // Lets a common word be counted along the renewal order
            // index, which carries the searched text (0042), rather than
            // by reading the rows from the table. This needs the estimate
            // of 0044: with a word estimated rare, the ordered count reads
            // and sorts every match.
            count.push(" ORDER BY m.renewal_date, m.id");
        }
    }
    crate::store::push_limit(&mut count, cap.saturating_add(1), None);
    count.push(") matching");
    let n: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok((
        rows,
        ListTotal {
            count: n.min(cap),
            capped: n > cap,
        },
    ))
}

/// Every member of [`list`] (no page), for the CSV export that streams it.
pub fn list_query(
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    filter: &MemberFilter,
    sort: Sort,
) -> QueryBuilder<Postgres> {
    limited_page(scope, timelines, today, filter, sort, i64::MAX, 0)
}

/// The most urgent active members: most urgent colour first, then fewest
/// days until renewal.
pub async fn most_urgent(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let mut out: Vec<MemberRow> = Vec::new();
    for colour in Colour::ALL {
        let wanted = limit - out.len() as i64;
        if wanted <= 0 {
            break;
        }
        let filter = MemberFilter {
            colour: Some(colour),
            ..MemberFilter::default()
        };
        out.extend(first_rows(pool, scope, timelines, today, &filter, wanted).await?);
    }
    Ok(out)
}

/// The first `limit` rows of a filtered list, in renewal order (no count).
async fn first_rows(
    pool: &PgPool,
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    filter: &MemberFilter,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let mut qb = limited_page(scope, timelines, today, filter, Sort::Renewal, limit, 0);
    qb.build_query_as().fetch_all(pool).await
}

/// The page is chosen among members alone (sorted, limited), and only its
/// rows are joined to their district, group and representative.
fn limited_page(
    scope: Scope,
    timelines: &Timelines,
    today: NaiveDate,
    filter: &MemberFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> QueryBuilder<Postgres> {
    let order = match sort {
        Sort::Renewal => " ORDER BY m.renewal_date, m.id",
        Sort::Name => " ORDER BY lower(m.last_name), lower(m.first_name), m.id",
    };
    let export = limit == i64::MAX;
    let names = if export {
        "d.name AS district_name, g.name AS group_name, u.display_name AS representative_name"
    } else {
        member_names!()
    };
    let mut qb = QueryBuilder::new(format!(
        "SELECT m.id, m.first_name, m.last_name, m.business_name, m.profession, m.email, \
         m.phone, m.city, m.formula, {names}, m.join_date, m.renewal_date, m.term_months, \
         m.status, m.state, m.cycle, m.last_contact_at, m.representative_id, m.welcome_from, m.stages_done \
         FROM (SELECT m.*"
    ));
    let mut offset = Some(offset);
    if filter.by_stage() && sort == Sort::Renewal {
        // Each range walked up to the end of the page.
        let walked = (limit < i64::MAX).then(|| limit.saturating_add(offset.unwrap_or(0)));
        push_staged_from(&mut qb, scope, timelines, today, filter, walked, true);
    } else if export {
        qb.push(" FROM members m");
        push_where(&mut qb, scope, timelines, today, filter);
    } else {
        // The page is found by id alone, on the sort's index where the
        // filters allow it, and only its rows are read from the table: page
        // 40 by name walked 2,000 whole rows to drop 1,950 of them.
        qb.push(" FROM members m JOIN (SELECT m.id FROM members m");
        push_where(&mut qb, scope, timelines, today, filter);
        qb.push(order);
        crate::store::push_limit(&mut qb, limit, offset.take());
        qb.push(") k ON k.id = m.id");
    }
    qb.push(order);
    crate::store::push_limit(&mut qb, limit, offset);
    qb.push(") m");
    if export {
        qb.push(
            " JOIN districts d ON d.id = m.district_id \
             LEFT JOIN groups g ON g.id = m.group_id \
             LEFT JOIN users u ON u.id = m.representative_id",
        );
    }
    qb.push(order);
    qb
}

/// The whole member file, if the member is in scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    #[sqlx(flatten)]
    pub row: MemberRow,
    pub district_id: i64,
    pub group_id: Option<i64>,
    pub group_kind: Option<String>,
    pub board_member: bool,
    pub gr_credits_cents: i64,
    pub notes: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

pub async fn find(pool: &PgPool, scope: Scope, id: i64) -> Result<Option<Member>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT m.id, m.first_name, m.last_name, m.business_name, m.profession, m.email, \
         m.phone, m.city, m.formula, d.name AS district_name, g.name AS group_name, \
         u.display_name AS representative_name, m.join_date, m.renewal_date, m.term_months, \
         m.status, m.state, m.cycle, m.last_contact_at, m.representative_id, m.welcome_from, m.stages_done, \
         m.district_id, \
         m.group_id, m.group_kind::text AS group_kind, m.board_member, m.gr_credits_cents, m.notes, m.version, \
         m.updated_at \
         FROM members m JOIN districts d ON d.id = m.district_id \
         LEFT JOIN groups g ON g.id = m.group_id \
         LEFT JOIN users u ON u.id = m.representative_id WHERE m.id = ",
    );
    qb.push_bind(id);
    push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(pool).await
}

/// A member's full name, if the member is in scope (to name them in a
/// confirmation message).
pub async fn name_in_scope(
    pool: &PgPool,
    scope: Scope,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let mut qb =
        QueryBuilder::new("SELECT m.first_name || ' ' || m.last_name FROM members m WHERE m.id = ");
    qb.push_bind(id);
    push_scope(&mut qb, scope);
    qb.build_query_scalar().fetch_optional(pool).await
}

/// A member's audit trail, newest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

pub async fn audit_trail(pool: &PgPool, member_id: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.at, u.display_name AS actor_name, a.field, a.old_value, a.new_value \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.entity = 'member' AND a.entity_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT 200",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}

/// Choices offered by the member form, limited to the editor's scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Choice {
    pub id: i64,
    pub name: String,
    pub district_id: i64,
    pub district_name: String,
}

macro_rules! group_choice_select {
    () => {
        "SELECT g.id, g.name || ' (' || CASE g.kind WHEN 'A' THEN 'A' ELSE 'B' END || ')' AS name, \
         g.district_id, d.name AS district_name FROM groups g JOIN districts d ON d.id = g.district_id"
    };
}

macro_rules! representative_choice_select {
    () => {
        "SELECT u.id, u.display_name AS name, u.district_id AS district_id, d.name AS district_name \
         FROM users u JOIN districts d ON d.id = u.district_id"
    };
}

pub async fn district_choices(pool: &PgPool, scope: Scope) -> Result<Vec<Choice>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT id, name, id AS district_id, name AS district_name FROM districts WHERE active",
    );
    push_when(&mut qb, " AND id = ", scope.district());
    qb.push(" ORDER BY name");
    qb.build_query_as().fetch_all(pool).await
}

pub async fn group_choices(pool: &PgPool, scope: Scope) -> Result<Vec<Choice>, sqlx::Error> {
    let mut qb = QueryBuilder::new(concat!(group_choice_select!(), " WHERE g.active"));
    push_when(&mut qb, " AND g.district_id = ", scope.district());
    qb.push(" ORDER BY d.name, g.name");
    qb.build_query_as().fetch_all(pool).await
}

pub async fn representative_choices(
    pool: &PgPool,
    scope: Scope,
) -> Result<Vec<Choice>, sqlx::Error> {
    let mut qb = QueryBuilder::new(concat!(
        representative_choice_select!(),
        " WHERE u.active AND u.role = 'representative'"
    ));
    push_when(&mut qb, " AND u.district_id = ", scope.district());
    qb.push(" ORDER BY d.name, u.display_name");
    qb.build_query_as().fetch_all(pool).await
}

/// `<sql> $n` when `value` is given, nothing otherwise: optional filters
/// are left out of the statement rather than written `($1 IS NULL OR …)`,
/// which PostgreSQL plans again on every call.
fn push_when(qb: &mut QueryBuilder<Postgres>, sql: &str, value: Option<i64>) {
    if let Some(v) = value {
        qb.push(sql);
        qb.push_bind(v);
    }
}

/// What a member list's filters offer.
#[derive(Debug, Default)]
pub struct FilterChoices {
    /// Every active district, for direction only.
    pub districts: Vec<Choice>,
    pub groups: Vec<Choice>,
    /// None for a representative (the list is theirs).
    pub representatives: Vec<Choice>,
}

/// The choices of a member list's filters, in one query: for direction
/// the districts; the groups and representatives of the district in
/// scope, or else of the district chosen; for a representative, the
/// groups of their portfolio. Across the whole network (thousands of
/// groups) only the ones already chosen are listed, so the page does not
/// carry them all.
pub async fn filter_choices(
    pool: &PgPool,
    scope: Scope,
    district: Option<i64>,
    chosen_group: Option<i64>,
    chosen_representative: Option<i64>,
) -> Result<FilterChoices, sqlx::Error> {
    let district = scope.district().or(district);
    // A representative only ever sees their own members: the groups of
    // their portfolio, not every group and colleague of the district
    // (2,000 groups in a district of a network of a million).
    let own = match scope {
        Scope::Representative { user_id, .. } => Some(user_id),
        _ => None,
    };
    let mut qb = QueryBuilder::new(
        "SELECT 0 AS kind, id, name, id AS district_id, name AS district_name FROM districts \
         WHERE active AND ",
    );
    qb.push(if matches!(scope, Scope::Network) {
        "true"
    } else {
        "false"
    });
    // Offered: the active groups of the district, and the one already
    // chosen (in scope) even if inactive or elsewhere.
    qb.push(concat!(
        " UNION ALL SELECT 1, g.* FROM (",
        group_choice_select!(),
        " WHERE (false"
    ));
    push_when(&mut qb, " OR (g.active AND g.district_id = ", district);
    if district.is_some() {
        qb.push(")");
    }
    push_when(&mut qb, " OR (g.id = ", chosen_group);
    if chosen_group.is_some() {
        push_when(&mut qb, " AND g.district_id = ", scope.district());
        qb.push(")");
    }
    qb.push(")");
    push_when(
        &mut qb,
        " AND g.id IN (SELECT m.group_id FROM members m WHERE m.group_id IS NOT NULL \
         AND m.representative_id = ",
        own,
    );
    if own.is_some() {
        qb.push(")");
    }
    qb.push(") g");
    if own.is_none() {
        qb.push(concat!(
            " UNION ALL SELECT 2, u.* FROM (",
            representative_choice_select!(),
            " WHERE u.role = 'representative' AND (false"
        ));
        push_when(&mut qb, " OR (u.active AND u.district_id = ", district);
        if district.is_some() {
            qb.push(")");
        }
        push_when(&mut qb, " OR (u.id = ", chosen_representative);
        if chosen_representative.is_some() {
            push_when(&mut qb, " AND u.district_id = ", scope.district());
            qb.push(")");
        }
        qb.push(")) u");
    }
    qb.push(" ORDER BY kind, district_name, name, id");
    let rows: Vec<(i32, i64, String, i64, String)> = qb.build_query_as().fetch_all(pool).await?;
    let mut choices = FilterChoices::default();
    for (kind, id, name, district_id, district_name) in rows {
        let choice = Choice {
            id,
            name,
            district_id,
            district_name,
        };
        match kind {
            0 => choices.districts.push(choice),
            1 => choices.groups.push(choice),
            _ => choices.representatives.push(choice),
        }
    }
    Ok(choices)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("champs invalides")]
    Invalid(FieldErrors),
    #[error("modifié entre-temps")]
    Stale,
    #[error("introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks what needs the database: district in scope, group of that
/// district, representative of that district, and a free exclusive seat.
/// Returns the group's kind.
async fn check_references(
    conn: &mut PgConnection,
    scope: Scope,
    draft: &MemberDraft,
    member_id: Option<i64>,
) -> Result<Option<String>, SaveError> {
    let mut e = FieldErrors::new();
    let district_ok: Option<bool> =
        sqlx::query_scalar("SELECT active FROM districts WHERE id = $1")
            .bind(draft.district_id)
            .fetch_optional(&mut *conn)
            .await?;
    if district_ok != Some(true) || scope.district().is_some_and(|d| d != draft.district_id) {
        e.add(
            "district_id",
            "Choisissez un district actif parmi ceux proposés.",
        );
    }
    let mut group_kind = None;
    if let Some(group_id) = draft.group_id {
        let group: Option<(i64, String, bool)> =
            sqlx::query_as("SELECT district_id, kind::text, active FROM groups WHERE id = $1")
                .bind(group_id)
                .fetch_optional(&mut *conn)
                .await?;
        match group {
            Some((d, kind, active)) if d == draft.district_id && active => group_kind = Some(kind),
            Some((d, _, _)) if d != draft.district_id => {
                e.add("group_id", "Ce groupe n'appartient pas au district choisi.")
            }
            _ => e.add(
                "group_id",
                "Choisissez un groupe actif parmi ceux proposés.",
            ),
        }
    }
    if let Some(rep) = draft.representative_id {
        let ok: Option<bool> = sqlx::query_scalar(
            "SELECT true FROM users WHERE id = $1 AND role = 'representative' AND active \
             AND district_id = $2",
        )
        .bind(rep)
        .bind(draft.district_id)
        .fetch_optional(&mut *conn)
        .await?;
        if ok.is_none() {
            e.add(
                "representative_id",
                "Choisissez un·e représentant·e actif du district du membre.",
            );
        }
    }
    if draft.formula == Formula::Exclusive && group_kind.as_deref() == Some("A") {
        let holder = seat_holder(conn, draft.group_id, &draft.profession_key, member_id).await?;
        if let Some(holder) = holder {
            e.add("profession", seat_taken(&draft.profession, Some(&holder)));
        }
    }
    if e.is_empty() {
        Ok(group_kind)
    } else {
        Err(SaveError::Invalid(e))
    }
}

/// Who holds the exclusive seat of this profession in this group, other
/// than `except` (the member being saved), if anyone does.
pub async fn seat_holder(
    conn: &mut PgConnection,
    group_id: Option<i64>,
    profession_key: &str,
    except: Option<i64>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT first_name || ' ' || last_name FROM members WHERE group_id = $1 \
         AND profession_key = $2 AND status = 'active' AND formula = 'exclusive' \
         AND id <> $3 LIMIT 1",
    )
    .bind(group_id)
    .bind(profession_key)
    .bind(except.unwrap_or(0))
    .fetch_optional(conn)
    .await
}

pub fn seat_taken(profession: &str, holder: Option<&str>) -> String {
    match holder {
        Some(h) => {
            format!("La profession « {profession} » est déjà occupée dans ce groupe par {h}.")
        }
        None => format!("La profession « {profession} » est déjà occupée dans ce groupe."),
    }
}

/// The unique index is the last word on a seat taken meanwhile.
fn map_seat_violation(e: sqlx::Error, draft: &MemberDraft) -> SaveError {
    match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("members_exclusive_seat") => {
            let mut errors = FieldErrors::new();
            errors.add("profession", seat_taken(&draft.profession, None));
            SaveError::Invalid(errors)
        }
        _ => SaveError::Db(e),
    }
}

/// Binds the draft's nineteen fields as $1…$19, in the column order of the
/// insert and the update.
fn bind_draft<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    draft: &'q MemberDraft,
    group_kind: Option<String>,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(&draft.first_name)
        .bind(&draft.last_name)
        .bind(&draft.business_name)
        .bind(&draft.profession)
        .bind(&draft.profession_key)
        .bind(&draft.email)
        .bind(&draft.phone)
        .bind(&draft.city)
        .bind(draft.district_id)
        .bind(draft.group_id)
        .bind(group_kind)
        .bind(draft.formula.as_str())
        .bind(draft.representative_id)
        .bind(draft.join_date)
        .bind(draft.renewal_date)
        .bind(draft.term_months)
        .bind(draft.board_member)
        .bind(draft.gr_credits_cents)
        .bind(&draft.notes)
}

/// Creates a member (audited) in the caller's transaction.
pub async fn create(
    conn: &mut PgConnection,
    scope: Scope,
    actor_id: i64,
    draft: &MemberDraft,
) -> Result<i64, SaveError> {
    let group_kind = check_references(conn, scope, draft, None).await?;
    let query = sqlx::query(
        "INSERT INTO members (first_name, last_name, business_name, profession, profession_key, \
         email, phone, city, district_id, group_id, group_kind, formula, representative_id, \
         join_date, renewal_date, term_months, board_member, gr_credits_cents, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::char(1), $12, $13, $14, $15, $16, \
         $17, $18, $19) RETURNING id",
    );
    let row = bind_draft(query, draft, group_kind)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| map_seat_violation(e, draft))?;
    let id: i64 = row.try_get("id")?;
    audit::record(
        conn,
        Some(actor_id),
        Change {
            entity: "member",
            entity_id: id,
            field: "created",
            old_value: None,
            new_value: Some(format!("{} {}", draft.first_name, draft.last_name)),
        },
    )
    .await?;
    Ok(id)
}

/// The audited view of a member: field label and readable value.
async fn snapshot(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Vec<(&'static str, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Snap {
        first_name: String,
        last_name: String,
        business_name: String,
        profession: String,
        email: String,
        phone: String,
        city: String,
        district: String,
        group_name: Option<String>,
        formula: String,
        representative: Option<String>,
        join_date: NaiveDate,
        renewal_date: NaiveDate,
        term_months: i32,
        board_member: bool,
        gr_credits_cents: i64,
        notes: String,
    }
    let s: Snap = sqlx::query_as(
        "SELECT m.first_name, m.last_name, m.business_name, m.profession, m.email, m.phone, \
         m.city, d.name AS district, g.name AS group_name, m.formula, \
         u.display_name AS representative, m.join_date, m.renewal_date, m.term_months, \
         m.board_member, m.gr_credits_cents, m.notes \
         FROM members m JOIN districts d ON d.id = m.district_id \
         LEFT JOIN groups g ON g.id = m.group_id LEFT JOIN users u ON u.id = m.representative_id \
         WHERE m.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    let formula = Formula::parse(&s.formula)
        .map(|f| f.label().to_string())
        .unwrap_or(s.formula);
    Ok(vec![
        ("Prénom", s.first_name),
        ("Nom", s.last_name),
        ("Entreprise", s.business_name),
        ("Profession", s.profession),
        ("Courriel", s.email),
        ("Téléphone", s.phone),
        ("Ville", s.city),
        ("District", s.district),
        ("Groupe", s.group_name.unwrap_or_default()),
        ("Formule", formula),
        ("Représentant·e", s.representative.unwrap_or_default()),
        ("Date d'adhésion", s.join_date.to_string()),
        ("Date de renouvellement", s.renewal_date.to_string()),
        ("Durée du terme (mois)", s.term_months.to_string()),
        (
            "Membre du CA",
            if s.board_member { "oui" } else { "non" }.to_string(),
        ),
        (
            "Crédits GR",
            crate::domain::validation::format_money(s.gr_credits_cents),
        ),
        ("Notes", s.notes),
    ])
}

/// Saves an edit made on `version`; refused if someone saved meanwhile.
pub async fn update(
    conn: &mut PgConnection,
    scope: Scope,
    actor_id: i64,
    id: i64,
    version: i32,
    draft: &MemberDraft,
) -> Result<(), SaveError> {
    let mut lock = QueryBuilder::new("SELECT m.version FROM members m WHERE m.id = ");
    lock.push_bind(id);
    push_scope(&mut lock, scope);
    lock.push(" FOR UPDATE");
    let current: Option<i32> = lock.build_query_scalar().fetch_optional(&mut *conn).await?;
    match current {
        None => return Err(SaveError::NotFound),
        Some(v) if v != version => return Err(SaveError::Stale),
        Some(_) => {}
    }
    let group_kind = check_references(conn, scope, draft, Some(id)).await?;
    let before = snapshot(conn, id).await?;
    let query = sqlx::query(
        "UPDATE members SET first_name = $1, last_name = $2, business_name = $3, \
         profession = $4, profession_key = $5, email = $6, phone = $7, city = $8, \
         district_id = $9, group_id = $10, group_kind = $11::char(1), formula = $12, \
         representative_id = $13, join_date = $14, renewal_date = $15, term_months = $16, \
         board_member = $17, gr_credits_cents = $18, notes = $19, version = version + 1, \
         updated_at = now() WHERE id = $20",
    );
    bind_draft(query, draft, group_kind)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_seat_violation(e, draft))?;
    let after = snapshot(conn, id).await?;
    for ((field, old), (_, new)) in before.into_iter().zip(after) {
        if old != new {
            audit::record(
                conn,
                Some(actor_id),
                Change {
                    entity: "member",
                    entity_id: id,
                    field,
                    old_value: Some(old),
                    new_value: Some(new),
                },
            )
            .await?;
        }
    }
    Ok(())
}
