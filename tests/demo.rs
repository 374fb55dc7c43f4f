//! The demo data of `serve --demo`: realistic, consistent and reproducible.
mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use renouvo::demo::{self, DEMO_PASSWORD};
use renouvo::domain::formula::Formula;
use renouvo::domain::member::profession_key;
use renouvo::domain::timeline::{self, Position, add_months};
use renouvo::domain::user::Role;
use renouvo::store::timeline::Timelines;
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

/// A fresh database with the demo seeded for `today()`; returns it and the
/// logins the seeding printed.
async fn seeded() -> (PgPool, Vec<demo::DemoLogin>) {
    let (pool, _) = common::fresh_database().await;
    let started = std::time::Instant::now();
    let logins = demo::seed_for(&pool, today())
        .await
        .unwrap()
        .expect("seeded");
    eprintln!("demo seeded in {:?}", started.elapsed());
    (pool, logins)
}

#[tokio::test]
async fn seeding_twice_creates_once_with_a_login_and_an_audit_line_for_everything() {
    let (pool, logins) = seeded().await;
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
    // Every member and group has its "created" line in the audit log.
    let audited = c("SELECT count(*) FROM audit_log \
                     WHERE field = 'created' AND entity IN ('member', 'group') \
                    ")
    .await;
    assert_eq!(audited, members + groups);
}

#[tokio::test]
async fn the_demo_has_members_of_every_formula_state_and_situation() {
    let (pool, _) = seeded().await;
    let c = |sql| count(&pool, sql);
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
}

#[tokio::test]
async fn the_demo_has_people_in_the_urgent_stages_and_late_renewals_held_in_welcome() {
    let (pool, _) = seeded().await;
    let c = |sql| count(&pool, sql);
    // Cycles begun by a renewal recorded late start their first stage on
    // that day; some still wait for its follow-up.
    let late = c("SELECT count(*) FROM members WHERE welcome_from IS NOT NULL").await;
    assert!(late > 0, "late renewals");
    let held = c(
        "SELECT count(*) FROM members WHERE welcome_from IS NOT NULL \
                  AND status = 'active' AND NOT ('welcome' = ANY (stages_done))",
    )
    .await;
    assert!(
        held > 0 && held < late,
        "{held} of {late} late renewals without welcome follow-up"
    );
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

/// A day late in the year, when many renewals are near.
fn late_autumn() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

const MAIN_REP: &str = "rep.montreal@demo.renouvo.ca";
const BILLING: &str = "facturation@demo.renouvo.ca";

fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::America::Toronto).date_naive()
}

async fn count_on(pool: &PgPool, sql: &'static str, day: NaiveDate) -> i64 {
    sqlx::query_scalar(sql)
        .bind(day)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The active members, as the timeline needs them.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Member {
    id: i64,
    formula: String,
    renewal_date: NaiveDate,
    term_months: i32,
    join_date: NaiveDate,
    representative: Option<String>,
}

async fn active_members(pool: &PgPool) -> Vec<Member> {
    sqlx::query_as(
        "SELECT m.id, m.formula, m.renewal_date, m.term_months, m.join_date, \
         u.email AS representative FROM members m LEFT JOIN users u ON u.id = m.representative_id \
         WHERE m.status = 'active' ORDER BY m.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every member, lost ones included, with their cycle.
#[derive(Debug, Clone, sqlx::FromRow)]
struct AnyMember {
    id: i64,
    formula: String,
    renewal_date: NaiveDate,
    term_months: i32,
    join_date: NaiveDate,
    cycle: i32,
}

async fn all_members(pool: &PgPool) -> HashMap<i64, AnyMember> {
    sqlx::query_as::<_, AnyMember>(
        "SELECT id, formula, renewal_date, term_months, join_date, cycle FROM members",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|m| (m.id, m))
    .collect()
}

fn formula(m: &Member) -> Formula {
    Formula::parse(&m.formula).unwrap()
}

/// How many rows each history table holds.
async fn history_counts(pool: &PgPool) -> BTreeMap<&'static str, i64> {
    let mut counts = BTreeMap::new();
    for (name, sql) in [
        ("follow_ups", "SELECT count(*) FROM follow_ups"),
        (
            "planned open",
            "SELECT count(*) FROM planned_follow_ups WHERE status = 'open'",
        ),
        (
            "planned done",
            "SELECT count(*) FROM planned_follow_ups WHERE status = 'done'",
        ),
        (
            "planned done late",
            "SELECT count(*) FROM planned_follow_ups WHERE closed_on > due_date",
        ),
        ("billing_requests", "SELECT count(*) FROM billing_requests"),
        ("renewals", "SELECT count(*) FROM renewals"),
        ("member_reasons", "SELECT count(*) FROM member_reasons"),
        ("escalations", "SELECT count(*) FROM escalations"),
        (
            "contacted members",
            "SELECT count(*) FROM members WHERE last_contact_at IS NOT NULL",
        ),
    ] {
        counts.insert(name, count(pool, sql).await);
    }
    counts
}

/// Every invariant of the demo's history on `day`.
async fn check_history(pool: &PgPool, day: NaiveDate) {
    let timelines: Timelines = renouvo::store::timeline::load(pool).await.unwrap();
    let members = active_members(pool).await;
    let by_id: HashMap<i64, &Member> = members.iter().map(|m| (m.id, m)).collect();
    let c = |sql| count(pool, sql);
    for m in &members {
        assert!(m.join_date <= timeline::previous_renewal(m.renewal_date, m.term_months));
    }

    // Each follow-up carries its cycle and the stage its day was in, in
    // that cycle: the current one, or an earlier one whose renewal date is
    // the `previous_renewal` of the renewal that closed it.
    let everyone = all_members(pool).await;
    let closed: HashMap<(i64, i32), NaiveDate> = sqlx::query_as::<_, (i64, i32, NaiveDate)>(
        "SELECT member_id, cycle - 1, previous_renewal FROM renewals",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(m, c, d)| ((m, c), d))
    .collect();
    type FollowUpRow = (
        i64,
        DateTime<Utc>,
        i32,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<FollowUpRow> = sqlx::query_as(
        "SELECT f.member_id, f.at, f.cycle, f.stage_key, f.stage_label, f.stage_colour \
         FROM follow_ups f ORDER BY f.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    let mut done: HashSet<(i64, String)> = HashSet::new();
    let mut earlier_cycles = 0;
    for (member_id, at, cycle, key, label, colour) in &rows {
        let m = &everyone[member_id];
        let renewal = if *cycle == m.cycle {
            m.renewal_date
        } else {
            earlier_cycles += 1;
            assert!(*cycle < m.cycle, "member {member_id}: cycle {cycle}");
            closed[&(*member_id, *cycle)]
        };
        let date = local_date(*at);
        assert!(date <= day, "follow-up after today: {date}");
        assert!(date >= m.join_date);
        assert!(date >= timeline::previous_renewal(renewal, m.term_months));
        let table = timelines.table(Formula::parse(&m.formula).unwrap());
        let stage = timeline::current_stage(table, renewal, m.term_months, date).unwrap();
        assert_eq!(
            key.as_deref(),
            Some(stage.def.key.as_str()),
            "member {member_id} on {date}"
        );
        assert_eq!(label.as_deref(), Some(stage.def.label.as_str()));
        assert_eq!(colour.as_deref(), Some(stage.def.colour.as_str()));
        assert!(stage.start <= date);
        if *cycle == m.cycle && by_id.contains_key(member_id) {
            done.insert((*member_id, stage.def.key.clone()));
        }
    }
    assert!(earlier_cycles > 0, "follow-ups of earlier cycles");
    // Most stages begun are done, some are missed.
    let (mut past_done, mut missed) = (0, 0);
    for m in &members {
        let table = timelines.table(formula(m));
        for s in timeline::cycle(table, m.renewal_date, m.term_months, day) {
            if s.position == Position::Past && s.end.is_some_and(|e| e > s.start) {
                if done.contains(&(m.id, s.def.key.clone())) {
                    past_done += 1;
                } else {
                    missed += 1;
                }
            }
        }
    }
    assert!(
        missed > 0 && past_done > 2 * missed,
        "done {past_done}, missed {missed}"
    );

    // The member's state and last contact are those of the latest follow-up.
    let off_state = c("SELECT count(*) FROM members m \
         JOIN LATERAL (SELECT f.state FROM follow_ups f WHERE f.member_id = m.id \
                       ORDER BY f.at DESC, f.id DESC LIMIT 1) l ON true \
         WHERE l.state IS DISTINCT FROM m.state")
    .await;
    assert_eq!(off_state, 0, "state differs from the latest follow-up");
    let off_contact = c(
        "SELECT count(*) FROM members m WHERE last_contact_at IS DISTINCT FROM \
         (SELECT max(f.at) FROM follow_ups f WHERE f.member_id = m.id)",
    )
    .await;
    assert_eq!(off_contact, 0);
    let never =
        c("SELECT count(*) FROM members WHERE status = 'active' AND last_contact_at IS NULL").await;
    assert!(never > 0, "some members were never contacted");
    let authors_elsewhere = c(
        "SELECT count(*) FROM follow_ups f JOIN members m ON m.id = f.member_id \
         JOIN users u ON u.id = f.author_id \
         WHERE u.role <> 'representative' OR u.district_id <> m.district_id \
            OR (m.representative_id IS NOT NULL AND m.representative_id <> u.id)",
    )
    .await;
    assert_eq!(
        authors_elsewhere, 0,
        "a follow-up by someone else than the representative"
    );
    let channels = c("SELECT count(DISTINCT channel) FROM follow_ups").await;
    assert_eq!(channels, 6);

    // Planned follow-ups: one open at most, planned by a follow-up of the
    // member before the due date, closed by a later one.
    let two_open = c(
        "SELECT count(*) FROM (SELECT member_id FROM planned_follow_ups \
         WHERE status = 'open' GROUP BY member_id HAVING count(*) > 1) x",
    )
    .await;
    assert_eq!(two_open, 0);
    let bad_plans = c("SELECT count(*) FROM planned_follow_ups p \
         JOIN follow_ups f ON f.id = p.from_follow_up_id \
         LEFT JOIN follow_ups b ON b.id = p.closed_by_follow_up_id \
         WHERE f.member_id <> p.member_id OR f.next_date IS DISTINCT FROM p.due_date \
            OR p.due_date <= (f.at AT TIME ZONE 'America/Toronto')::date \
            OR p.planned_by <> f.author_id OR p.created_at <> f.at \
            OR (p.status = 'done' AND (b.member_id IS DISTINCT FROM p.member_id OR b.at <= f.at \
                OR p.closed_on <> (b.at AT TIME ZONE 'America/Toronto')::date)) \
            OR (p.status = 'open' AND p.closed_by_follow_up_id IS NOT NULL)")
    .await;
    assert_eq!(bad_plans, 0);
    let planned_for_lost = c("SELECT count(*) FROM planned_follow_ups p \
         JOIN members m ON m.id = p.member_id WHERE m.status <> 'active'")
    .await;
    assert_eq!(planned_for_lost, 0);
    let missed_lately = count_on(
        pool,
        "SELECT count(*) FROM planned_follow_ups WHERE due_date >= $1 - 30 AND due_date < $1 \
         AND (status = 'open' OR closed_on > due_date)",
        day,
    )
    .await;
    assert!(
        missed_lately > 0,
        "« relances manquées » on the district page"
    );
    for sql in [
        "SELECT count(*) FROM planned_follow_ups WHERE status = 'open' AND due_date = $1",
        "SELECT count(*) FROM planned_follow_ups WHERE status = 'open' AND due_date < $1",
        "SELECT count(*) FROM planned_follow_ups WHERE status = 'open' AND due_date > $1",
    ] {
        assert!(count_on(pool, sql, day).await > 0, "{sql}");
    }
    assert!(c("SELECT count(*) FROM planned_follow_ups WHERE closed_on > due_date").await > 0);

    // Billing requests: one live per member and cycle, by the member's
    // representative, invoiced by billing, none paid (that would have
    // renewed the member), consistent with the decision and the stage.
    let live_twice = c(
        "SELECT count(*) FROM (SELECT member_id, cycle FROM billing_requests \
         WHERE status <> 'cancelled' GROUP BY member_id, cycle HAVING count(*) > 1) x",
    )
    .await;
    assert_eq!(live_twice, 0);
    let inconsistent = c("SELECT count(*) FROM billing_requests b \
         JOIN members m ON m.id = b.member_id JOIN users r ON r.id = b.requested_by \
         LEFT JOIN users s ON s.id = b.invoice_sent_by \
         WHERE b.status NOT IN ('paid', 'cancelled') AND (b.cycle <> m.cycle \
            OR m.status <> 'active' OR r.role <> 'representative' OR r.district_id <> m.district_id \
            OR (b.decision = 'not_renewing' AND b.status <> 'requested') \
            OR (b.decision = 'change_formula' AND (b.new_formula = 'exclusive' \
                OR b.new_formula = m.formula)) \
            OR (b.status = 'requested') <> (b.invoice_sent_at IS NULL) \
            OR (b.invoice_sent_at IS NOT NULL AND (s.email <> 'facturation@demo.renouvo.ca' \
                OR b.invoice_sent_at < b.requested_at)) \
            OR (b.status = 'received') <> (b.received_at IS NOT NULL) \
            OR b.received_at < b.invoice_sent_at OR b.received_by <> b.requested_by)")
    .await;
    assert_eq!(inconsistent, 0);
    let requests: Vec<(i64, String)> = sqlx::query_as(
        "SELECT b.member_id, b.status FROM billing_requests b \
         JOIN members m ON m.id = b.member_id AND m.cycle = b.cycle \
         WHERE b.status NOT IN ('paid', 'cancelled')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!requests.is_empty(), "the billing queue has work");
    let requested: HashMap<i64, String> = requests.into_iter().collect();
    let mut main_rep_to_request = 0;
    let mut in_billing_or_later = 0;
    for m in &members {
        let table = timelines.table(formula(m));
        let billing = table.iter().find(|d| d.asks_billing_request).unwrap();
        let stage = timeline::current_stage(table, m.renewal_date, m.term_months, day).unwrap();
        let status = requested.get(&m.id);
        if stage.def.position < billing.position {
            assert!(status.is_none(), "a request before the billing stage");
            continue;
        }
        in_billing_or_later += 1;
        if stage.def.key == billing.key && m.formula != "partner" {
            assert!(status.is_none_or(|s| s == "requested"), "{status:?}");
        }
        if stage.def.asks_billing_request
            && status.is_none()
            && m.representative.as_deref() == Some(MAIN_REP)
        {
            main_rep_to_request += 1;
        }
    }
    assert!(
        requested.len() * 2 > in_billing_or_later,
        "most have a request"
    );
    assert!(
        main_rep_to_request >= 1,
        "« Demandes de facturation à envoyer » for {MAIN_REP}"
    );
    for status in ["requested", "invoice_sent", "received"] {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_requests WHERE status = $1")
            .bind(status)
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(n > 0, "billing status {status}");
    }

    // Renewals chain each member's cycles up to the current one: each moved
    // the date one term, started the next cycle, was recorded by billing,
    // most after a request paid the moment it was recorded.
    let renewals: Vec<(i64, NaiveDate, NaiveDate, String, String, String, i32)> = sqlx::query_as(
        "SELECT r.member_id, r.previous_renewal, r.new_renewal, r.previous_formula, \
         r.new_formula, u.email, r.cycle FROM renewals r JOIN users u ON u.id = r.recorded_by \
         ORDER BY r.member_id, r.cycle",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        renewals.len() > everyone.len() / 2,
        "{} renewals",
        renewals.len()
    );
    let mut chains: HashMap<i64, Vec<(NaiveDate, NaiveDate, i32)>> = HashMap::new();
    for (member_id, previous, new, previous_formula, new_formula, by, cycle) in renewals {
        let m = &everyone[&member_id];
        assert_eq!(new, add_months(previous, m.term_months));
        assert!(m.join_date < previous);
        assert_eq!(
            (new_formula.as_str(), previous_formula.as_str()),
            (m.formula.as_str(), m.formula.as_str())
        );
        assert_eq!(by, BILLING);
        chains
            .entry(member_id)
            .or_default()
            .push((previous, new, cycle));
    }
    for (member_id, chain) in &chains {
        let m = &everyone[member_id];
        let (_, last_new, last_cycle) = chain[chain.len() - 1];
        assert_eq!(last_cycle, m.cycle, "member {member_id}");
        assert_eq!(last_new, m.renewal_date, "member {member_id}");
        for (k, pair) in chain.windows(2).enumerate() {
            assert_eq!(pair[0].1, pair[1].0, "member {member_id} renewal {k}");
            assert_eq!(pair[0].2 + 1, pair[1].2);
        }
        assert_eq!(chain[0].2, 2, "the first cycle on record is 1");
    }
    let without_chain = everyone
        .values()
        .filter(|m| m.cycle != 1 && !chains.contains_key(&m.id))
        .count();
    assert_eq!(without_chain, 0);
    let off_paid = c("SELECT count(*) FROM billing_requests b \
         LEFT JOIN renewals r ON r.billing_request_id = b.id \
         WHERE b.status = 'paid' AND (r.id IS NULL OR r.cycle <> b.cycle + 1 \
            OR r.member_id <> b.member_id OR b.paid_at <> r.recorded_at \
            OR b.invoice_sent_at >= b.paid_at OR b.received_at >= b.paid_at \
            OR b.requested_at >= b.invoice_sent_at)")
    .await;
    assert_eq!(off_paid, 0);
    let off_cancelled = c("SELECT count(*) FROM billing_requests b \
         JOIN members m ON m.id = b.member_id \
         WHERE b.status = 'cancelled' AND (m.status <> 'lost' OR b.cycle <> m.cycle \
            OR b.invoice_sent_at IS NOT NULL)")
    .await;
    assert_eq!(off_cancelled, 0);
    // Departures: a day and a main reason, in the cycle not renewed.
    let off_lost = count_on(
        pool,
        "SELECT count(*) FROM members WHERE status = 'lost' \
         AND (lost_on < renewal_date - 60 OR lost_on > $1 OR lost_reason_id IS NULL)",
        day,
    )
    .await;
    assert_eq!(off_lost, 0);

    // Reasons: each in the history as the app writes it.
    let reasons = c("SELECT count(*) FROM member_reasons mr \
         JOIN members m ON m.id = mr.member_id JOIN follow_ups f ON f.id = mr.follow_up_id \
         WHERE m.status = 'active' AND f.cycle = m.cycle")
    .await;
    let active = members.len() as i64;
    assert!(
        reasons * 100 >= active * 4 && reasons * 100 <= active * 15,
        "{reasons} reasons"
    );
    let unlinked = c("SELECT count(*) FROM member_reasons mr \
         JOIN reasons r ON r.id = mr.reason_id \
         LEFT JOIN follow_ups f ON f.id = mr.follow_up_id \
         WHERE f.member_id IS DISTINCT FROM mr.member_id OR f.channel <> 'other' \
            OR f.at <> mr.at OR f.author_id <> mr.author_id \
            OR NOT starts_with(f.body, 'Raison évoquée : ' || r.label || '. Réponse suggérée : ') \
            OR mr.answer_tried = ''")
    .await;
    assert_eq!(unlinked, 0);
    let not_renewing_without_reason = c("SELECT count(*) FROM billing_requests b \
         WHERE b.decision = 'not_renewing' AND NOT EXISTS \
         (SELECT 1 FROM member_reasons mr WHERE mr.member_id = b.member_id)")
    .await;
    assert_eq!(not_renewing_without_reason, 0);

    // Escalations: about six in the queues now, a few dozen answered over
    // two years, each from a reason that asks for one.
    let escalations = c("SELECT count(*) FROM escalations").await;
    assert!(
        (10..=80).contains(&escalations),
        "{escalations} escalations"
    );
    let unexplained = c(
        "SELECT count(*) FROM escalations e JOIN reasons r ON r.id = e.reason_id \
         WHERE e.parent_id IS NULL AND (r.escalation_level IS DISTINCT FROM e.level \
            OR NOT EXISTS (SELECT 1 FROM member_reasons mr WHERE mr.member_id = e.member_id \
                           AND mr.reason_id = e.reason_id))",
    )
    .await;
    assert_eq!(unexplained, 0);
    let no_reason = c("SELECT count(*) FROM escalations WHERE reason_id IS NULL").await;
    assert_eq!(no_reason, 0);
    let due_off = c("SELECT count(*) FROM escalations \
         WHERE due_on <> (raised_at AT TIME ZONE 'America/Toronto')::date + 7")
    .await;
    assert_eq!(due_off, 0);
    let overdue = count_on(
        pool,
        "SELECT count(*) FROM escalations WHERE status = 'open' AND due_on < $1",
        day,
    )
    .await;
    assert_eq!(overdue, 1);
    let acknowledged = c(
        "SELECT count(*) FROM escalations e JOIN users u ON u.id = e.acknowledged_by \
         WHERE e.status = 'acknowledged' AND u.role = 'district_manager'",
    )
    .await;
    assert!(acknowledged > 0);
    let resolved = c("SELECT count(*) FROM escalations \
         WHERE status = 'resolved' AND resolution <> '' AND resolved_by IS NOT NULL")
    .await;
    assert!(resolved > 0);
    let chain = c(
        "SELECT count(*) FROM escalations p JOIN escalations e ON e.parent_id = p.id \
         WHERE p.status = 'escalated' AND p.level = 'district' AND e.level = 'direction' \
           AND e.status = 'open' AND e.raised_at > p.raised_at",
    )
    .await;
    assert_eq!(chain, 1);
    let raised_by_others = c(
        "SELECT count(*) FROM escalations e JOIN members m ON m.id = e.member_id \
         JOIN users u ON u.id = e.raised_by WHERE e.parent_id IS NULL \
           AND (u.role <> 'representative' OR m.representative_id <> u.id)",
    )
    .await;
    assert_eq!(raised_by_others, 0);

    // The main demo representative has planned follow-ups due.
    let due: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM planned_follow_ups p JOIN members m ON m.id = p.member_id \
         JOIN users u ON u.id = m.representative_id \
         WHERE p.status = 'open' AND p.due_date <= $1 AND u.email = $2",
    )
    .bind(day)
    .bind(MAIN_REP)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(
        (2..=4).contains(&due),
        "{due} planned follow-ups due for {MAIN_REP}"
    );
}

#[tokio::test]
async fn the_history_fits_the_timeline_the_states_and_the_queues() {
    for day in [today(), late_autumn()] {
        let (pool, _) = common::fresh_database().await;
        let started = std::time::Instant::now();
        demo::seed_for(&pool, day).await.unwrap().unwrap();
        let elapsed = started.elapsed();
        eprintln!(
            "demo of {day} seeded in {elapsed:?}: {:?}",
            history_counts(&pool).await
        );
        check_history(&pool, day).await;
    }
}

type HistoryRow = (
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    String,
    String,
);

async fn history_rows(pool: &PgPool) -> Vec<HistoryRow> {
    sqlx::query_as(
        "SELECT m.last_name, m.first_name, f.stage_key, f.at, f.channel, f.body \
         FROM follow_ups f JOIN members m ON m.id = f.member_id \
         ORDER BY m.last_name, m.first_name, f.at, f.body",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_day_gives_the_same_history() {
    let (first, _) = common::fresh_database().await;
    let (second, _) = common::fresh_database().await;
    demo::seed_for(&first, late_autumn())
        .await
        .unwrap()
        .unwrap();
    demo::seed_for(&second, late_autumn())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history_counts(&first).await, history_counts(&second).await);
    let a = history_rows(&first).await;
    assert!(!a.is_empty());
    assert_eq!(a, history_rows(&second).await);
    assert_eq!(member_rows(&first).await, member_rows(&second).await);
}

#[tokio::test]
async fn the_main_accounts_see_a_working_network() {
    let app = common::TestApp::spawn_at(late_autumn()).await;
    demo::seed_for(&app.pool, late_autumn())
        .await
        .unwrap()
        .unwrap();
    let page = |email: &'static str, path: &'static str| {
        let app = &app;
        async move {
            let resp = app.login(email, DEMO_PASSWORD).await;
            assert_eq!(resp.status(), 303, "{email}");
            let resp = app.get(path).await;
            assert_eq!(resp.status(), 200, "{email} {path}");
            resp.text().await.unwrap()
        }
    };
    let today = page(MAIN_REP, "/aujourdhui").await;
    assert!(today.contains("Demandes de facturation à envoyer"));
    assert!(today.contains("en retard") || today.contains("aujourd'hui</div>"));
    assert!(!today.contains("Relances prévues <span class=\"count-pill\">0<"));
    let queue = page(BILLING, "/facturation").await;
    assert!(queue.contains("Renouvelle tel quel"));
    let escalations = page("direction@demo.renouvo.ca", "/escalades").await;
    assert!(escalations.contains("Raison évoquée"));
    let activity = page("gestion.montreal@demo.renouvo.ca", "/district/activite").await;
    assert!(activity.contains("Sophie Lavoie"));
}

/// « Aujourd'hui » counts its colours from the portfolio rows it read;
/// the homes read them from the stage ranges: the same figures, for every
/// representative of the demo (late renewals held in their first stage
/// included).
#[tokio::test]
async fn the_days_colour_counts_are_the_homes_for_every_representative() {
    use renouvo::domain::scope::Scope;
    use renouvo::store::{dashboard, today as day};
    let app = common::TestApp::spawn_at(late_autumn()).await;
    demo::seed_for(&app.pool, late_autumn())
        .await
        .unwrap()
        .unwrap();
    let timelines = renouvo::store::timeline::load(&app.pool).await.unwrap();
    let reps: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, district_id FROM users WHERE role = 'representative' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(reps.len() > 3);
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM members WHERE status = 'active' AND welcome_from IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(held > 0, "the demo has late renewals");
    for (user_id, district_id) in reps {
        let scope = Scope::Representative {
            user_id,
            district_id,
        };
        let rows = day::portfolio(&app.pool, scope).await.unwrap();
        assert_eq!(
            day::colour_counts(&day::stages(&rows, &timelines, late_autumn())),
            dashboard::colour_counts(&app.pool, scope, &timelines, late_autumn())
                .await
                .unwrap(),
            "representative {user_id}"
        );
    }
}

/// Every cycle that came due: renewed (its renewal row) or lost (the
/// member's cycle), with how many pre-renewal stages got a follow-up.
const DUE_CYCLES: &str = "WITH due AS ( \
       SELECT r.member_id, r.cycle - 1 AS cycle, r.previous_renewal AS due, true AS renewed \
       FROM renewals r \
       UNION ALL SELECT id, cycle, renewal_date, false FROM members WHERE status = 'lost') \
     SELECT d.*, m.district_id, \
       (SELECT count(*) FROM stage_follow_ups s WHERE s.member_id = d.member_id \
          AND s.cycle = d.cycle AND s.stage_key <> 'renewal_day') AS followed \
     FROM due d JOIN members m ON m.id = d.member_id";

/// A fresh database with the demo seeded for `late_autumn()`: two years
/// of history.
async fn seeded_history() -> PgPool {
    let (pool, _) = common::fresh_database().await;
    demo::seed_for(&pool, late_autumn()).await.unwrap();
    pool
}

#[tokio::test]
async fn two_years_of_history_come_due_and_fill_every_table_the_reports_read() {
    let pool = seeded_history().await;
    let c = |sql| count(&pool, sql);
    // 24 months of renewal dates come due, and the follow-ups go back as far.
    let months = c(
        "SELECT count(DISTINCT date_trunc('month', due)) FROM (SELECT previous_renewal AS due \
         FROM renewals UNION ALL SELECT renewal_date FROM members WHERE status = 'lost') d \
         WHERE due >= DATE '2024-12-01' AND due < DATE '2026-12-01'",
    )
    .await;
    assert_eq!(months, 24);
    let oldest = c("SELECT count(*) FROM follow_ups WHERE at < '2025-01-01'").await;
    assert!(oldest > 0, "follow-ups two years back");
    // Every table the reports read has rows, in every state.
    for sql in [
        "SELECT count(*) FROM stage_follow_ups",
        "SELECT count(*) FROM renewals WHERE billing_request_id IS NOT NULL",
        "SELECT count(*) FROM renewals WHERE recorded_at::date <= previous_renewal",
        "SELECT count(*) FROM renewals WHERE recorded_at::date > previous_renewal + 14",
        "SELECT count(*) FROM billing_requests WHERE status = 'paid'",
        "SELECT count(*) FROM billing_requests WHERE status = 'cancelled'",
        "SELECT count(*) FROM planned_follow_ups",
        "SELECT count(*) FROM member_reasons mr JOIN members m ON m.id = mr.member_id \
         WHERE m.status = 'lost'",
        "SELECT count(*) FROM members m JOIN reasons r ON r.id = m.lost_reason_id \
         WHERE r.category = 'irrecoverable'",
        "SELECT count(*) FROM members m JOIN reasons r ON r.id = m.lost_reason_id \
         WHERE r.category = 'recoverable'",
        "SELECT count(*) FROM members m JOIN reasons r ON r.id = m.lost_reason_id \
         WHERE r.category = 'recoverable_followed'",
        // Escalations answered within a day, and after four.
        "SELECT count(*) FROM escalations WHERE acknowledged_at < raised_at + interval '1 day'",
        "SELECT count(*) FROM escalations WHERE acknowledged_at > raised_at + interval '4 days'",
    ] {
        assert!(c(sql).await > 0, "{sql}");
    }
}

#[tokio::test]
async fn the_history_has_busy_seasons_and_districts_that_differ() {
    let pool = seeded_history().await;
    // Autumn and winter months see more renewals come due than summer.
    let by_month: Vec<(f64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT extract(month FROM due)::float8, count(*) FROM ({DUE_CYCLES}) x \
         WHERE due >= DATE '2024-12-01' GROUP BY 1"
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    let per_month = |months: &[f64]| {
        let n: i64 = by_month
            .iter()
            .filter(|(m, _)| months.contains(m))
            .map(|(_, n)| n)
            .sum();
        n as f64 / months.len() as f64
    };
    let busy = per_month(&[9.0, 10.0, 11.0, 1.0, 2.0, 3.0]);
    let summer = per_month(&[6.0, 7.0, 8.0]);
    assert!(busy > 1.8 * summer, "busy {busy}, summer {summer}");
    let rates: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT district_id, avg(renewed::int)::float8 * 100 FROM ({DUE_CYCLES}) x GROUP BY 1"
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    let best = rates.iter().map(|r| r.1).fold(f64::MIN, f64::max);
    let worst = rates.iter().map(|r| r.1).fold(f64::MAX, f64::min);
    assert!(best - worst >= 8.0, "{rates:?}");
}

#[tokio::test]
async fn in_the_history_members_whose_stages_were_followed_renew_more_often() {
    let pool = seeded_history().await;
    // The generator's behaviour, read back from the tables as a report would.
    let groups: Vec<(bool, i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT followed >= 6, count(*), avg(renewed::int)::float8 * 100 FROM ({DUE_CYCLES}) x \
         WHERE followed >= 6 OR followed <= 2 GROUP BY 1 ORDER BY 1"
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    let [
        (false, neglected, neglected_rate),
        (true, followed, followed_rate),
    ] = groups[..]
    else {
        panic!("{groups:?}");
    };
    eprintln!(
        "followed: {followed} cycles, {followed_rate:.1} % renewed; \
         neglected: {neglected} cycles, {neglected_rate:.1} % renewed"
    );
    assert!(followed > 50 && neglected > 20, "{followed} / {neglected}");
    assert!(
        followed_rate > neglected_rate + 10.0,
        "{followed_rate} vs {neglected_rate}"
    );
}

/// Each table the triggers keep, as sorted text rows (rows whose counts
/// are all zero left out: the triggers leave them behind when a member
/// moves, a rebuild never writes them).
async fn derived_tables(pool: &PgPool) -> Vec<(&'static str, String)> {
    const TABLES: [(&str, &str); 19] = [
        ("stage_follow_ups", "true"),
        ("follow_up_monthly", "true"),
        ("renewal_days", "active <> 0"),
        ("district_renewal_days", "active <> 0"),
        (
            "due_months",
            "(active, orphans, lost, renewed) <> (0, 0, 0, 0)",
        ),
        ("due_cycles", "true"),
        ("portfolio_counts", "active <> 0"),
        ("renewal_day_states", "active <> 0"),
        (
            "due_month_billing",
            "(members, priced, amount_cents) <> (0, 0, 0)",
        ),
        ("due_month_effects", "cycles <> 0"),
        ("due_month_states", "active <> 0"),
        ("lost_months", "lost <> 0"),
        (
            "billing_tallies",
            "(requests, priced, amount_cents) <> (0, 0, 0)",
        ),
        ("escalation_days", "escalations <> 0"),
        ("held_days", "held <> 0"),
        ("district_held_days", "held <> 0"),
        // Who each score belongs to (the scores themselves wait for a
        // page or the upkeep to compute them).
        ("member_risks", "true"),
        // The due cycles by group of past score (all -1 after a rebuild,
        // which drops the past scores).
        ("calibration_months", "cycles <> 0"),
        ("planned_missed_days", "missed <> 0"),
    ];
    let stages: String = sqlx::query_scalar(
        "SELECT string_agg(id || ' ' || stages_done::text, E'\\n' ORDER BY id) FROM members",
    )
    .fetch_one(pool)
    .await
    .expect("stages_done");
    let mut out = Vec::new();
    for (table, kept) in TABLES {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '') \
             FROM {table} t WHERE {kept}"
        )))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
        assert!(!rows.is_empty(), "{table} is empty after the demo");
        out.push((table, rows));
    }
    assert!(
        stages.lines().any(|l| !l.ends_with("{}")),
        "no member has a stage done"
    );
    out.push(("members.stages_done", stages));
    out
}

/// What the triggers kept while the demo was written (members, renewals,
/// departures, follow-ups, moves) is exactly what the bulk loader's
/// rebuild (migration 0023) computes from scratch.
#[tokio::test]
async fn the_tables_kept_by_triggers_match_a_rebuild_from_scratch() {
    let (pool, _) = common::fresh_database().await;
    demo::seed_for(&pool, today()).await.unwrap().unwrap();
    let kept = derived_tables(&pool).await;
    sqlx::query("SELECT derived_tables_rebuild()")
        .execute(&pool)
        .await
        .expect("rebuild");
    let rebuilt = derived_tables(&pool).await;
    for ((table, before), (_, after)) in kept.iter().zip(&rebuilt) {
        if before != after {
            let only_kept: Vec<&str> = before.lines().filter(|l| !after.contains(l)).collect();
            let only_rebuilt: Vec<&str> = after.lines().filter(|l| !before.contains(l)).collect();
            panic!("{table}: kept only {only_kept:#?}\nrebuilt only {only_rebuilt:#?}");
        }
    }
}
