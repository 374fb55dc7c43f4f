//! Hand-built history for the report tests: members with chosen renewal
//! dates, recorded renewals, departures, follow-ups, planned follow-ups,
//! escalations and billing requests, written straight into the tables.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date de test")
}

/// Noon UTC of a day (safely inside the same day in Québec).
pub fn at(s: &str) -> DateTime<Utc> {
    d(s).and_hms_opt(12, 0, 0).expect("heure").and_utc()
}

pub struct MemberSpec<'a> {
    pub name: &'a str,
    pub district: i64,
    pub group: Option<i64>,
    pub formula: &'a str,
    pub rep: Option<i64>,
    pub renewal: &'a str,
    pub term: i32,
    pub cycle: i32,
    pub state: Option<&'a str>,
}

impl<'a> MemberSpec<'a> {
    pub fn new(name: &'a str, district: i64, formula: &'a str, renewal: &'a str) -> Self {
        MemberSpec {
            name,
            district,
            group: None,
            formula,
            rep: None,
            renewal,
            term: 12,
            cycle: 1,
            state: None,
        }
    }
}

pub async fn member(pool: &PgPool, m: MemberSpec<'_>) -> i64 {
    let profession = format!("Métier {}", m.name);
    sqlx::query_scalar(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         group_id, group_kind, formula, representative_id, join_date, renewal_date, term_months, \
         cycle, state) VALUES ('Membre', $1, $2, lower($2), $3, $4, \
         CASE WHEN $4::bigint IS NULL THEN NULL ELSE 'A' END, $5, $6, '2015-01-01', $7, $8, $9, $10) \
         RETURNING id",
    )
    .bind(m.name)
    .bind(profession)
    .bind(m.district)
    .bind(m.group)
    .bind(m.formula)
    .bind(m.rep)
    .bind(d(m.renewal))
    .bind(m.term)
    .bind(m.cycle)
    .bind(m.state)
    .fetch_one(pool)
    .await
    .expect("membre")
}

pub async fn group(pool: &PgPool, district: i64, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind) VALUES ($1, $2, 'A') RETURNING id",
    )
    .bind(district)
    .bind(name)
    .fetch_one(pool)
    .await
    .expect("groupe")
}

/// A renewal recorded at `recorded` moving `previous` to `new` (the member
/// row is left as the caller built it). Returns the renewal's id.
#[allow(clippy::too_many_arguments)]
pub async fn renewal(
    pool: &PgPool,
    member: i64,
    by: i64,
    previous: &str,
    new: &str,
    formula: &str,
    recorded: &str,
    cycle: i32,
    billing_request: Option<i64>,
) {
    sqlx::query(
        "INSERT INTO renewals (member_id, recorded_by, recorded_at, previous_renewal, new_renewal, \
         previous_formula, new_formula, billing_request_id, cycle) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
    )
    .bind(member)
    .bind(by)
    .bind(at(recorded))
    .bind(d(previous))
    .bind(d(new))
    .bind(formula)
    .bind(billing_request)
    .bind(cycle)
    .execute(pool)
    .await
    .expect("renouvellement");
}

/// Marks a member lost on `lost_on` for the catalogue reason `reason`.
pub async fn lose(pool: &PgPool, member: i64, lost_on: &str, reason: &str) {
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = $2, \
         lost_reason_id = (SELECT id FROM reasons WHERE label = $3) WHERE id = $1",
    )
    .bind(member)
    .bind(d(lost_on))
    .bind(reason)
    .execute(pool)
    .await
    .expect("départ");
}

pub async fn follow_up(
    pool: &PgPool,
    member: i64,
    author: i64,
    when: &str,
    cycle: i32,
    stage: &str,
    state: &str,
) {
    sqlx::query(
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, state) \
         VALUES ($1, $2, $3, 'call', 'Appel de suivi', $4, $5, $6)",
    )
    .bind(member)
    .bind(author)
    .bind(at(when))
    .bind(cycle)
    .bind(stage)
    .bind(state)
    .execute(pool)
    .await
    .expect("suivi");
}

pub async fn planned(pool: &PgPool, member: i64, by: i64, due: &str, closed_on: Option<&str>) {
    sqlx::query(
        "INSERT INTO planned_follow_ups (member_id, planned_by, due_date, status, closed_on) \
         VALUES ($1, $2, $3, CASE WHEN $4::date IS NULL THEN 'open' ELSE 'done' END, $4)",
    )
    .bind(member)
    .bind(by)
    .bind(d(due))
    .bind(closed_on.map(d))
    .execute(pool)
    .await
    .expect("relance");
}

/// An escalation raised at `raised` (noon UTC), answered `hours` later by
/// `answered_by` (taken in charge) or still open.
pub async fn escalation(
    pool: &PgPool,
    member: i64,
    raised_by: i64,
    level: &str,
    raised: &str,
    answer: Option<(i64, i64)>,
) {
    let raised_at = at(raised);
    let due = raised_at.date_naive() + chrono::Days::new(7);
    let (by, when) = match answer {
        Some((by, hours)) => (Some(by), Some(raised_at + chrono::Duration::hours(hours))),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO escalations (member_id, raised_by, raised_at, level, body, due_on, status, \
         acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, 'À voir', $5, \
         CASE WHEN $6::timestamptz IS NULL THEN 'open' ELSE 'acknowledged' END, $6, $7)",
    )
    .bind(member)
    .bind(raised_by)
    .bind(raised_at)
    .bind(level)
    .bind(due)
    .bind(when)
    .bind(by)
    .execute(pool)
    .await
    .expect("escalade");
}

pub async fn billing_request(
    pool: &PgPool,
    member: i64,
    by: i64,
    cycle: i32,
    status: &str,
    amount_cents: i64,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO billing_requests (member_id, cycle, requested_by, decision, status, amount_cents) \
         VALUES ($1, $2, $3, 'renew_same', $4, $5) RETURNING id",
    )
    .bind(member)
    .bind(cycle)
    .bind(by)
    .bind(status)
    .bind(amount_cents)
    .fetch_one(pool)
    .await
    .expect("demande de facturation")
}

/// The id of the member whose last name is `last_name`.
pub async fn member_named(pool: &PgPool, last_name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM members WHERE last_name = $1")
        .bind(last_name)
        .fetch_one(pool)
        .await
        .expect("membre")
}

/// The id of the user of `email`.
pub async fn user_with_email(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("utilisateur")
}

/// Runs `sql` (a write straight into the tables) with `$1` bound to `id`.
pub async fn write_for(pool: &PgPool, sql: &'static str, id: i64) {
    sqlx::query(sql)
        .bind(id)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Adds `n` partner members « Lot / Membre i » to `district`, their
/// renewal dates a week apart from 2025-12-01, their terms 6, 12 or 24
/// months; with `rep`, each has that representative and a state (flame,
/// green or none) in turn.
pub async fn members_in_bulk(pool: &PgPool, district: i64, rep: Option<i64>, n: i32) {
    sqlx::query(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         formula, representative_id, join_date, renewal_date, term_months, state) \
         SELECT 'Lot', 'Membre ' || i, 'Conseil', 'conseil', $1, 'partner', $2, \
           DATE '2020-01-01', DATE '2025-12-01' + i * 7, (ARRAY[6, 12, 24])[1 + i % 3], \
           CASE WHEN $2::bigint IS NULL THEN NULL \
             ELSE (ARRAY['flame', 'green', NULL])[1 + i % 3] END \
         FROM generate_series(1, $3) AS i",
    )
    .bind(district)
    .bind(rep)
    .bind(n)
    .execute(pool)
    .await
    .expect("membres en lot");
}

/// Every `<svg>…</svg>` of a page.
pub fn svgs(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg class=\"chart-svg\"") {
        let tail = &rest[start..];
        let Some(end) = tail.find("</svg>") else {
            break;
        };
        out.push(&tail[..end + 6]);
        rest = &tail[end + 6..];
    }
    out
}

/// Whether `xml` is well-formed enough for a browser's XML parser: tags
/// nest and close, attributes are quoted, no bare `&` or `<` in text.
pub fn well_formed(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let tail = &rest[open..];
        let close = tail.find('>').ok_or("balise non fermée")?;
        let tag = &tail[1..close];
        rest = &tail[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> sans ouverture"))?;
            if top != name.trim() {
                return Err(format!("</{name}> ferme <{top}>"));
            }
            continue;
        }
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("guillemets dans <{tag}>"));
        }
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        if name.is_empty() {
            return Err("balise vide".into());
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("non fermées : {stack:?}"))
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        let semi = entity.find(';').ok_or("& isolé")?;
        if semi > 8 || entity[1..semi].contains(' ') {
            return Err(format!(
                "entité invalide près de {}",
                &entity[..semi.min(12)]
            ));
        }
    }
    Ok(())
}

/// The tallies kept by triggers (migrations 0014 and 0022) hold exactly
/// what a recount of the members and renewals gives.
pub async fn assert_tallies_match(pool: &PgPool) {
    let days: Vec<(String, i32, NaiveDate, i64, i64)> = sqlx::query_as(
        "WITH kept AS (SELECT formula, term_months, renewal_date, active::bigint AS n \
           FROM renewal_days WHERE active <> 0), \
         counted AS (SELECT formula, term_months, renewal_date, count(*) AS n FROM members \
           WHERE status = 'active' GROUP BY 1, 2, 3) \
         SELECT formula, term_months, renewal_date, COALESCE(k.n, 0), COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (formula, term_months, renewal_date) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .expect("jours");
    assert!(days.is_empty(), "renewal_days (kept, counted): {days:?}");
    let district_days: Vec<(i64, String, i32, NaiveDate, i64, i64)> = sqlx::query_as(
        "WITH kept AS (SELECT district_id, formula, term_months, renewal_date, active::bigint AS n \
           FROM district_renewal_days WHERE active <> 0), \
         counted AS (SELECT district_id, formula, term_months, renewal_date, count(*) AS n \
           FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4) \
         SELECT district_id, formula, term_months, renewal_date, COALESCE(k.n, 0), COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, formula, term_months, renewal_date) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .expect("jours par district");
    assert!(
        district_days.is_empty(),
        "district_renewal_days (kept, counted): {district_days:?}"
    );
    // (district, month, formula, kept, counted)
    type Month = (i64, NaiveDate, String, Vec<i64>, Vec<i64>);
    let months: Vec<Month> = sqlx::query_as(
        "WITH kept AS (SELECT district_id, month, formula, \
           ARRAY[active, orphans, lost, renewed]::bigint[] AS n FROM due_months \
           WHERE (active, orphans, lost, renewed) <> (0, 0, 0, 0)), \
         counted AS (SELECT district_id, month, formula, \
           ARRAY[sum(active), sum(orphans), sum(lost), sum(renewed)]::bigint[] AS n FROM ( \
             SELECT district_id, date_trunc('month', renewal_date)::date AS month, formula, \
               (status = 'active')::int AS active, \
               (status = 'active' AND representative_id IS NULL)::int AS orphans, \
               (status = 'lost')::int AS lost, 0 AS renewed FROM members \
             UNION ALL \
             SELECT m.district_id, date_trunc('month', r.previous_renewal)::date, \
               r.previous_formula, 0, 0, 0, 1 FROM renewals r JOIN members m ON m.id = r.member_id \
           ) x GROUP BY 1, 2, 3) \
         SELECT district_id, month, formula, COALESCE(k.n, '{0,0,0,0}'), COALESCE(c.n, '{0,0,0,0}') \
         FROM kept k FULL JOIN counted c USING (district_id, month, formula) \
         WHERE COALESCE(k.n, '{0,0,0,0}') <> COALESCE(c.n, '{0,0,0,0}')",
    )
    .fetch_all(pool)
    .await
    .expect("mois");
    assert!(months.is_empty(), "due_months (kept, counted): {months:?}");
}

/// The report tallies kept by triggers (migration 0015) hold exactly what
/// a recount gives: each due cycle as the reports used to work it out
/// (renewals joined to their member, the stages followed from
/// stage_follow_ups, the last follow-up before the due date looked up in
/// follow_ups), the portfolios, and the active members per renewal date
/// and state.
pub async fn assert_report_tallies_match(pool: &PgPool) {
    let cycles: Vec<(String, String)> = sqlx::query_as(
        "WITH x AS ( \
           SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, \
             r.previous_renewal AS due_on, 'renewed' AS outcome, m.district_id, m.group_id, \
             r.previous_formula AS formula, m.representative_id \
           FROM renewals r JOIN members m ON m.id = r.member_id \
           UNION ALL \
           SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, \
             m.formula, m.representative_id FROM members m), \
         counted AS (SELECT x.*, date_trunc('month', x.due_on)::date AS due_month, \
           COALESCE((SELECT array_agg(s.stage_key ORDER BY s.stage_key) FROM stage_follow_ups s \
             WHERE s.member_id = x.member_id AND s.cycle = x.cycle), '{}') AS stages, \
           (SELECT count(*)::int FROM stage_follow_ups s JOIN timeline_stages ts \
             ON ts.formula = x.formula AND ts.stage_key = s.stage_key AND ts.anchor = 'R' \
             AND (ts.months < 0 OR ts.days < 0) \
             WHERE s.member_id = x.member_id AND s.cycle = x.cycle) AS pre_followed, \
           (SELECT f.state FROM follow_ups f WHERE f.member_id = x.member_id \
             AND f.corrects_id IS NULL AND f.at < x.due_on ORDER BY f.at DESC, f.id DESC LIMIT 1) \
             AS last_state, \
           CASE x.outcome WHEN 'lost' THEN NULL WHEN 'renewed' THEN 'paid' ELSE COALESCE( \
             (SELECT CASE b.status WHEN 'requested' THEN 'requested' WHEN 'paid' THEN 'paid' \
               ELSE 'invoiced' END FROM billing_requests b WHERE b.member_id = x.member_id \
               AND b.cycle = x.cycle AND b.status <> 'cancelled'), 'to_request') END \
             AS billing_stage, \
           CASE x.outcome WHEN 'renewed' THEN (SELECT b.amount_cents FROM renewals r \
               JOIN billing_requests b ON b.id = r.billing_request_id WHERE r.id = x.renewal_id) \
             WHEN 'active' THEN (SELECT b.amount_cents FROM billing_requests b \
               WHERE b.member_id = x.member_id AND b.cycle = x.cycle \
               AND b.status <> 'cancelled') END AS billing_cents FROM x), \
         kept AS (SELECT member_id, renewal_id, cycle, due_on, outcome, district_id, group_id, \
           formula, representative_id, due_month, stages, pre_followed, last_state, \
           billing_stage, billing_cents FROM due_cycles), \
         k AS (SELECT member_id, renewal_id, row(kept.*)::text AS r FROM kept), \
         c AS (SELECT member_id, renewal_id, row(counted.*)::text AS r FROM counted) \
         SELECT COALESCE(k.r, '(absent)'), COALESCE(c.r, '(absent)') \
         FROM k FULL JOIN c USING (member_id, renewal_id) WHERE k.r IS DISTINCT FROM c.r",
    )
    .fetch_all(pool)
    .await
    .expect("cycles");
    assert!(cycles.is_empty(), "due_cycles (kept, counted): {cycles:#?}");
    let portfolios: Vec<(i64, i64, i64, String, i64, i64)> = sqlx::query_as(
        "WITH kept AS (SELECT representative_id, district_id, group_id, formula, \
           active::bigint AS n FROM portfolio_counts WHERE active <> 0), \
         counted AS (SELECT representative_id, district_id, COALESCE(group_id, 0) AS group_id, \
           formula, count(*) AS n FROM members \
           WHERE status = 'active' AND representative_id IS NOT NULL GROUP BY 1, 2, 3, 4) \
         SELECT representative_id, district_id, group_id, formula, COALESCE(k.n, 0), \
           COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (representative_id, district_id, group_id, formula) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .expect("portefeuilles");
    assert!(
        portfolios.is_empty(),
        "portfolio_counts (kept, counted): {portfolios:?}"
    );
    let days: Vec<(String, i32, NaiveDate, String, i64, i64)> = sqlx::query_as(
        "WITH kept AS (SELECT formula, term_months, renewal_date, state, active::bigint AS n \
           FROM renewal_day_states WHERE active <> 0), \
         counted AS (SELECT formula, term_months, renewal_date, COALESCE(state, '') AS state, \
           count(*) AS n FROM members WHERE status = 'active' GROUP BY 1, 2, 3, 4) \
         SELECT formula, term_months, renewal_date, state, COALESCE(k.n, 0), COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (formula, term_months, renewal_date, state) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .expect("jours et états");
    assert!(
        days.is_empty(),
        "renewal_day_states (kept, counted): {days:?}"
    );
    // (district, month, formula, stage, kept, counted): the billing tally
    // (migration 0024) against the cycles' billing steps, recounted above.
    type Billing = (i64, NaiveDate, String, String, Vec<i64>, Vec<i64>);
    let billing: Vec<Billing> = sqlx::query_as(
        "WITH kept AS (SELECT district_id, month, formula, stage, \
           ARRAY[members, priced, amount_cents]::bigint[] AS n FROM due_month_billing \
           WHERE (members, priced, amount_cents) <> (0, 0, 0)), \
         counted AS (SELECT district_id, due_month AS month, formula, billing_stage AS stage, \
           ARRAY[count(*), count(billing_cents), COALESCE(sum(billing_cents), 0)]::bigint[] AS n \
           FROM due_cycles WHERE billing_stage IS NOT NULL GROUP BY 1, 2, 3, 4) \
         SELECT district_id, month, formula, stage, COALESCE(k.n, '{0,0,0}'), \
           COALESCE(c.n, '{0,0,0}') \
         FROM kept k FULL JOIN counted c USING (district_id, month, formula, stage) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .fetch_all(pool)
    .await
    .expect("facturation");
    assert!(
        billing.is_empty(),
        "due_month_billing (kept, counted): {billing:?}"
    );
    // The follow-up effect's tally (migration 0025) against the cycles.
    assert_no_difference(
        pool,
        "due_month_effects",
        "WITH kept AS (SELECT district_id, month, formula, pre_followed, last_state, outcome, \
           cycles::bigint AS n FROM due_month_effects WHERE cycles <> 0), \
         counted AS (SELECT district_id, due_month AS month, formula, pre_followed, \
           COALESCE(last_state, '') AS last_state, outcome, count(*) AS n FROM due_cycles \
           GROUP BY 1, 2, 3, 4, 5, 6) \
         SELECT concat_ws(' ', district_id, month, formula, pre_followed, last_state, outcome), \
           COALESCE(k.n, 0), COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c \
           USING (district_id, month, formula, pre_followed, last_state, outcome) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .await;
    // The active members per district, month, formula and state.
    assert_no_difference(
        pool,
        "due_month_states",
        "WITH kept AS (SELECT district_id, month, formula, state, active::bigint AS n \
           FROM due_month_states WHERE active <> 0), \
         counted AS (SELECT district_id, date_trunc('month', renewal_date)::date AS month, \
           formula, COALESCE(state, '') AS state, count(*) AS n FROM members \
           WHERE status = 'active' GROUP BY 1, 2, 3, 4) \
         SELECT concat_ws(' ', district_id, month, formula, state), COALESCE(k.n, 0), \
           COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, month, formula, state) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .await;
    // The lost members per district, month, formula and reason.
    assert_no_difference(
        pool,
        "lost_months",
        "WITH kept AS (SELECT district_id, month, formula, reason_id, lost::bigint AS n \
           FROM lost_months WHERE lost <> 0), \
         counted AS (SELECT district_id, date_trunc('month', lost_on)::date AS month, formula, \
           lost_reason_id AS reason_id, count(*) AS n FROM members \
           WHERE status = 'lost' AND lost_on IS NOT NULL AND lost_reason_id IS NOT NULL \
           GROUP BY 1, 2, 3, 4) \
         SELECT concat_ws(' ', district_id, month, formula, reason_id), COALESCE(k.n, 0), \
           COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, month, formula, reason_id) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .await;
    // The due cycles of a known outcome per district, month, group of past
    // score (-1: none yet) and outcome (migration 0037), against the join
    // the report would read.
    assert_no_difference(
        pool,
        "calibration_months",
        "WITH kept AS (SELECT district_id, month, bucket::int AS bucket, renewed, \
           cycles::bigint AS n FROM calibration_months WHERE cycles <> 0), \
         counted AS (SELECT d.district_id, d.due_month AS month, \
           (CASE WHEN c.score IS NULL THEN -1 ELSE LEAST(c.score / 20, 4) END)::int AS bucket, \
           d.outcome = 'renewed' AS renewed, count(*) AS n FROM due_cycles d \
           LEFT JOIN cycle_risks c ON c.member_id = d.member_id AND c.due_on = d.due_on \
           WHERE d.outcome IN ('renewed', 'lost') GROUP BY 1, 2, 3, 4) \
         SELECT concat_ws(' ', district_id, month, bucket, renewed), COALESCE(k.n, 0), \
           COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, month, bucket, renewed) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .await;
    // The missed planned follow-ups per district (the member's now), due
    // date and planner (migration 0039).
    assert_no_difference(
        pool,
        "planned_missed_days",
        "WITH kept AS (SELECT district_id, due_date, planned_by, missed::bigint AS n \
           FROM planned_missed_days WHERE missed <> 0), \
         counted AS (SELECT m.district_id, p.due_date, p.planned_by, count(*) AS n \
           FROM planned_follow_ups p JOIN members m ON m.id = p.member_id \
           WHERE p.status = 'open' OR p.closed_on > p.due_date GROUP BY 1, 2, 3) \
         SELECT concat_ws(' ', district_id, due_date, planned_by), COALESCE(k.n, 0), \
           COALESCE(c.n, 0) \
         FROM kept k FULL JOIN counted c USING (district_id, due_date, planned_by) \
         WHERE k.n IS DISTINCT FROM c.n",
    )
    .await;
    // Each escalation's district is its member's (migration 0040).
    let strays: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT e.id, e.district_id, m.district_id FROM escalations e \
         JOIN members m ON m.id = e.member_id WHERE e.district_id IS DISTINCT FROM m.district_id",
    )
    .fetch_all(pool)
    .await
    .expect("districts des escalades");
    assert!(
        strays.is_empty(),
        "escalations (id, kept, member's): {strays:?}"
    );
}

/// Fails, naming the tally, when a « kept against counted » query returns
/// rows: (key, kept, counted) for each key where they differ.
async fn assert_no_difference(pool: &PgPool, tally: &str, sql: &'static str) {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{tally}: {e}"));
    assert!(rows.is_empty(), "{tally} (kept, counted): {rows:?}");
}

/// Every cycle counted from scratch (members and renewals, billing
/// requests looked up one by one): `due_on`, `outcome`, `district_id`,
/// `formula`, `group_id`, `representative_id`, `billing_stage`,
/// `billing_cents`.
const CYCLES_FROM_SCRATCH: &str = "WITH x AS ( \
       SELECT r.member_id, r.id AS renewal_id, r.cycle - 1 AS cycle, r.previous_renewal AS due_on, \
         'renewed' AS outcome, m.district_id, m.group_id, r.previous_formula AS formula, \
         m.representative_id, r.billing_request_id FROM renewals r JOIN members m ON m.id = r.member_id \
       UNION ALL \
       SELECT m.id, 0, m.cycle, m.renewal_date, m.status, m.district_id, m.group_id, m.formula, \
         m.representative_id, NULL FROM members m), \
     cycles AS (SELECT x.*, CASE x.outcome WHEN 'lost' THEN NULL WHEN 'renewed' THEN 'paid' \
         ELSE COALESCE((SELECT CASE b.status WHEN 'requested' THEN 'requested' \
           WHEN 'paid' THEN 'paid' ELSE 'invoiced' END FROM billing_requests b \
           WHERE b.member_id = x.member_id AND b.cycle = x.cycle AND b.status <> 'cancelled'), \
           'to_request') END AS billing_stage, \
       CASE x.outcome WHEN 'renewed' THEN (SELECT b.amount_cents FROM billing_requests b \
           WHERE b.id = x.billing_request_id) \
         WHEN 'active' THEN (SELECT b.amount_cents FROM billing_requests b \
           WHERE b.member_id = x.member_id AND b.cycle = x.cycle AND b.status <> 'cancelled') \
         END AS billing_cents FROM x) ";

/// (dim, month, key, formula, renewed, lost, pending, upcoming)
type RetentionLine = (
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
);

/// (month, stage, members, priced, amount)
type BillingLine = (String, String, i64, i64, Option<i64>);

/// The retention by month, district and formula, the billing steps, the
/// follow-up effect, the pipeline and the departures, as the reports read
/// them (from the tallies for the network and a
/// district), equal a count from scratch, for the network and each
/// district, with and without a formula, over a period that spans today.
pub async fn assert_reports_match_a_recount(pool: &PgPool, today: NaiveDate) {
    use renouvo::domain::formula::Formula;
    use renouvo::domain::scope::Scope;
    use renouvo::store::reports::{self, Dim, ReportFilter};
    let timelines = renouvo::store::timeline::load(pool)
        .await
        .expect("échéanciers");
    let districts: Vec<i64> = sqlx::query_scalar("SELECT id FROM districts ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("districts");
    let mut cases: Vec<(Scope, ReportFilter)> = Vec::new();
    for formula in [None, Some(Formula::Regional), Some(Formula::Partner)] {
        let f = ReportFilter {
            formula,
            ..ReportFilter::default()
        };
        cases.push((Scope::Network, f));
        for &d in &districts {
            cases.push((Scope::District(d), f));
            cases.push((
                Scope::Network,
                ReportFilter {
                    district_id: Some(d),
                    ..f
                },
            ));
        }
    }
    let periods = [
        (d("2025-06-01"), d("2027-12-01")),
        (d("2026-11-01"), d("2027-11-01")),
        (d("2026-11-01"), d("2027-01-01")),
        (d("2026-12-01"), d("2027-02-01")),
    ];
    for (scope, filter) in cases {
        let district = match scope {
            Scope::District(d) => Some(d),
            _ => filter.district_id,
        };
        let formula = filter.formula.map(|f| f.as_str());
        for (start, end) in periods {
            let mut read: Vec<RetentionLine> = reports::retention(
                pool,
                scope,
                &filter,
                (start, end),
                today,
                &[Dim::Month, Dim::District, Dim::Formula],
            )
            .await
            .expect("rétention")
            .into_iter()
            .map(|r| {
                (
                    r.dim, r.month, r.key_id, r.formula, r.renewed, r.lost, r.pending, r.upcoming,
                )
            })
            .collect();
            let mut counted: Vec<RetentionLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CYCLES_FROM_SCRATCH} SELECT CASE WHEN GROUPING(month) = 0 THEN 'month' \
                   WHEN GROUPING(district_id) = 0 THEN 'district' ELSE 'formula' END, \
                 CASE WHEN GROUPING(month) = 0 THEN to_char(month, 'YYYY-MM') END, \
                 CASE WHEN GROUPING(district_id) = 0 THEN district_id END, \
                 CASE WHEN GROUPING(formula) = 0 THEN formula END, \
                 count(*) FILTER (WHERE outcome = 'renewed'), \
                 count(*) FILTER (WHERE outcome = 'lost'), \
                 count(*) FILTER (WHERE outcome = 'active' AND due_on < $3), \
                 count(*) FILTER (WHERE outcome = 'active' AND due_on >= $3) \
                 FROM (SELECT date_trunc('month', due_on)::date AS month, * FROM cycles) c \
                 WHERE due_on >= $1 AND due_on < $2 \
                   AND ($4::bigint IS NULL OR district_id = $4) \
                   AND ($5::text IS NULL OR formula = $5) \
                 GROUP BY GROUPING SETS ((month), (district_id), (formula))"
            )))
            .bind(start)
            .bind(end)
            .bind(today)
            .bind(district)
            .bind(formula)
            .fetch_all(pool)
            .await
            .expect("rétention recomptée");
            read.sort();
            counted.sort();
            assert_eq!(read, counted, "rétention {scope:?} {filter:?} {start}");

            let mut read: Vec<BillingLine> = reports::billing(pool, scope, &filter, (start, end))
                .await
                .expect("facturation")
                .into_iter()
                .map(|r| (r.month, r.stage, r.members, r.priced, r.amount_cents))
                .collect();
            let mut counted: Vec<BillingLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{CYCLES_FROM_SCRATCH} SELECT to_char(due_on, 'YYYY-MM'), billing_stage, \
                   count(*), count(billing_cents), sum(billing_cents)::bigint FROM cycles \
                 WHERE outcome <> 'lost' AND due_on >= $1 AND due_on < $2 \
                   AND ($3::bigint IS NULL OR district_id = $3) \
                   AND ($4::text IS NULL OR formula = $4) GROUP BY 1, 2"
            )))
            .bind(start)
            .bind(end)
            .bind(district)
            .bind(formula)
            .fetch_all(pool)
            .await
            .expect("facturation recomptée");
            read.sort();
            counted.sort();
            assert_eq!(read, counted, "facturation {scope:?} {filter:?} {start}");

            // (formula, followed, last state, outcome, members)
            type Effect = (String, i64, Option<String>, String, i64);
            let effect = |rows: Vec<reports::FollowUpEffectRow>| {
                let mut v: Vec<Effect> = rows
                    .into_iter()
                    .map(|r| (r.formula, r.followed, r.last_state, r.outcome, r.members))
                    .collect();
                v.sort();
                v
            };
            let read = reports::follow_up_effect(pool, scope, &filter, (start, end), today)
                .await
                .expect("effet des suivis");
            let counted =
                reports::follow_up_effect_from_cycles(pool, scope, &filter, (start, end), today)
                    .await
                    .expect("effet des suivis recompté");
            assert_eq!(
                effect(read),
                effect(counted),
                "effet {scope:?} {filter:?} {start}"
            );

            // (month, colour, state, by state, members)
            type Pipe = (String, Option<String>, Option<String>, bool, i64);
            let pipe = |rows: Vec<reports::PipelineRow>| {
                let mut v: Vec<Pipe> = rows
                    .into_iter()
                    .filter(|r| r.members != 0)
                    .map(|r| (r.month, r.colour, r.state, r.by_state, r.members))
                    .collect();
                v.sort();
                v
            };
            let read = reports::pipeline(pool, scope, &filter, &timelines, (start, end), today)
                .await
                .expect("à venir");
            let counted = reports::pipeline_from_members(
                pool,
                scope,
                &filter,
                &timelines,
                (start, end),
                today,
            )
            .await
            .expect("à venir recompté");
            assert_eq!(
                pipe(read),
                pipe(counted),
                "à venir {scope:?} {filter:?} {start}"
            );

            // (dim, category, reason, month, lost)
            type Loss = (String, String, Option<i64>, Option<String>, i64);
            let loss = |rows: Vec<reports::LossRow>| {
                let mut v: Vec<Loss> = rows
                    .into_iter()
                    .map(|r| (r.dim, r.category, r.reason_id, r.month, r.lost))
                    .collect();
                v.sort();
                v
            };
            let read = reports::losses(pool, scope, &filter, (start, end))
                .await
                .expect("départs");
            let counted = reports::losses_from_members(pool, scope, &filter, (start, end))
                .await
                .expect("départs recomptés");
            assert_eq!(
                loss(read),
                loss(counted),
                "départs {scope:?} {filter:?} {start}"
            );
            let (_, total) =
                reports::recoverable_losses(pool, scope, &filter, (start, end), 1_000, 0)
                    .await
                    .expect("à récupérer");
            let counted: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM members m JOIN reasons r ON r.id = m.lost_reason_id \
                 WHERE m.status = 'lost' AND r.category <> 'irrecoverable' \
                   AND m.lost_on >= $1 AND m.lost_on < $2 \
                   AND ($3::bigint IS NULL OR m.district_id = $3) \
                   AND ($4::text IS NULL OR m.formula = $4)",
            )
            .bind(start)
            .bind(end)
            .bind(district)
            .bind(formula)
            .fetch_one(pool)
            .await
            .expect("à récupérer recompté");
            assert_eq!(total, counted, "à récupérer {scope:?} {filter:?} {start}");
        }
    }
}
