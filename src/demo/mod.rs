//! Demo data for `serve --demo`: created only on a database without users.
//!
//! Three districts, sixteen groups, thirteen staff accounts and about four
//! hundred members, drawn from a fixed seed so that two demos started on
//! the same day look the same (screenshots stay comparable). Dates are
//! relative to "today": renewals spread over the coming year (denser in the
//! next three months, so the red and orange stages are populated), a few
//! overdue. Renewal dates follow the seasons (more in September to November
//! and January to March, fewer in summer). On top of them, two years of
//! use (see `history`): earlier cycles renewed or lost as the follow-ups
//! went, follow-ups, planned follow-ups, billing requests, renewals,
//! departures with their reasons, reasons given and escalations.
use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate, NaiveTime};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::member::profession_key;
use crate::domain::timeline::add_months;
use crate::domain::user::{Email, Role};
use crate::password;
use crate::store::users::{self, NewUser};

mod engagement;
mod history;
mod names;

use names::{GroupSpec, Profession};

/// The password of every demo account (printed on the console).
pub const DEMO_PASSWORD: &str = "demo-renouvo";

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub role: Role,
}

/// The seed of the demo's random draws: change it and every screenshot changes.
const SEED: u64 = 0x5EED_2026_0001;
/// How many members, by formula.
const EXCLUSIVE: usize = 280;
const REGIONAL: usize = 80;
const PARTNERS: usize = 40;

/// Seeds the demo (dated today in Québec) when the database has no user;
/// returns the logins created, the four main ones (one per role) first.
pub async fn seed(pool: &PgPool) -> anyhow::Result<Option<Vec<DemoLogin>>> {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Toronto)
        .date_naive();
    seed_for(pool, today).await
}

/// `seed` with the dates relative to `today`.
pub async fn seed_for(pool: &PgPool, today: NaiveDate) -> anyhow::Result<Option<Vec<DemoLogin>>> {
    if users::count(pool).await? > 0 {
        return Ok(None);
    }
    let hash = tokio::task::spawn_blocking(|| password::hash(DEMO_PASSWORD)).await??;
    let mut members = plan_members(today);
    // The timeline tables are seeded by a migration: read before the
    // transaction (`load` takes the pool), everything else is written in it.
    let timelines = crate::store::timeline::load(pool).await?;
    let mut tx = pool.begin().await?;
    let district_ids = insert_districts(&mut tx).await?;
    let mut logins = Vec::new();
    let mut user_ids = Vec::new();
    for (email, name, role, district) in staff() {
        let email = Email::parse(email).map_err(anyhow::Error::msg)?;
        let new = NewUser {
            email: email.clone(),
            display_name: name.to_string(),
            role: *role,
            district_id: district.map(|i| district_ids[i]),
            password_hash: hash.clone(),
        };
        user_ids.push(users::create(&mut tx, None, &new).await?);
        logins.push(DemoLogin {
            email: email.as_str().to_string(),
            role: *role,
        });
    }
    let group_ids = insert_groups(&mut tx, &district_ids).await?;
    let catalogue: Vec<history::CatalogueReason> = sqlx::query_as(
        "SELECT id, category, label, answer, escalation_level, active FROM reasons \
         ORDER BY category, position",
    )
    .fetch_all(&mut *tx)
    .await?;
    let reason_ids: Vec<i64> = catalogue.iter().map(|r| r.id).collect();
    let history = history::plan(&mut members, &timelines, &catalogue, today);
    let ids = Ids {
        districts: &district_ids,
        groups: &group_ids,
        users: &user_ids,
        reasons: &reason_ids,
    };
    let member_ids = insert_members(&mut tx, &ids, &members).await?;
    history::insert(&mut tx, &history, &member_ids, &user_ids).await?;
    let mut renewed = vec![Vec::new(); members.len()];
    for r in &history.renewals {
        renewed[r.member].push(r.previous_renewal);
    }
    let (meetings, lines) = engagement::plan(&members, &renewed, today);
    let savers: Vec<Option<i64>> = members
        .iter()
        .map(|m| m.representative.map(|u| user_ids[u]))
        .collect();
    engagement::insert(&mut tx, &meetings, &lines, &group_ids, &member_ids, &savers).await?;
    tx.commit().await?;
    Ok(Some(logins))
}

struct Ids<'a> {
    districts: &'a [i64],
    groups: &'a [i64],
    /// In the order of `MAIN_USERS` then `OTHER_USERS`.
    users: &'a [i64],
    /// The reasons catalogue (seeded by a migration), for departures.
    reasons: &'a [i64],
}

async fn insert_districts(conn: &mut PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = Vec::new();
    for name in names::DISTRICTS {
        let id: i64 = sqlx::query_scalar("INSERT INTO districts (name) VALUES ($1) RETURNING id")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        ids.push(id);
    }
    Ok(ids)
}

async fn insert_groups(
    conn: &mut PgConnection,
    district_ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "INSERT INTO groups (district_id, name, kind, meeting_day, meeting_time) ",
    );
    qb.push_values(&names::GROUPS, |mut row, g| {
        row.push_bind(district_ids[g.district])
            .push_bind(g.name)
            .push_bind(g.kind.to_string())
            .push_unseparated("::char(1)")
            .push_bind(g.day)
            .push_bind(NaiveTime::from_hms_opt(g.time.0, g.time.1, 0));
    });
    qb.push(" RETURNING id");
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    // Audited like a group created from the command line (no actor).
    sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, field, new_value) \
         SELECT NULL, 'group', g.id, 'created', \
                'district_id=' || g.district_id || '; name=' || g.name || '; kind=' || g.kind \
                || '; meeting_day=' || g.meeting_day \
                || '; meeting_time=' || to_char(g.meeting_time, 'HH24:MI') \
                || '; active=' || g.active \
         FROM groups g WHERE g.id = ANY($1) ORDER BY g.id",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}

/// Inserts the members; returns their ids, in order.
async fn insert_members(
    conn: &mut PgConnection,
    ids: &Ids<'_>,
    members: &[PlannedMember],
) -> Result<Vec<i64>, sqlx::Error> {
    let mut created: Vec<i64> = Vec::with_capacity(members.len());
    // 26 binds a row: 200 rows stay far below PostgreSQL's 65 535 binds.
    for chunk in members.chunks(200) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO members (first_name, last_name, business_name, profession, \
             profession_key, email, phone, city, district_id, group_id, group_kind, formula, \
             representative_id, join_date, renewal_date, term_months, board_member, \
             gr_credits_cents, status, state, notes, lost_on, lost_reason_id, cycle) ",
        );
        qb.push_values(chunk, |mut row, m| {
            let group = m.group.map(|g| &names::GROUPS[g]);
            row.push_bind(m.first_name)
                .push_bind(m.last_name)
                .push_bind(&m.business_name)
                .push_bind(m.profession)
                .push_bind(profession_key(m.profession))
                .push_bind(&m.email)
                .push_bind(&m.phone)
                .push_bind(m.city)
                .push_bind(ids.districts[m.district])
                .push_bind(m.group.map(|g| ids.groups[g]))
                .push_bind(group.map(|g| g.kind.to_string()))
                .push_unseparated("::char(1)")
                .push_bind(m.formula)
                .push_bind(m.representative.map(|u| ids.users[u]))
                .push_bind(m.join_date)
                .push_bind(m.renewal_date)
                .push_bind(m.term_months)
                .push_bind(m.board_member)
                .push_bind(m.gr_credits_cents)
                .push_bind(m.status)
                .push_bind(m.state)
                .push_bind(m.notes);
            // A departure has its date and main reason (drawn by the
            // history; a fallback from the catalogue otherwise).
            let lost = m.status == "lost";
            let fallback = (!ids.reasons.is_empty())
                .then(|| ids.reasons[m.last_name.len() % ids.reasons.len()]);
            let reason = m.lost_reason_id.or(fallback);
            row.push_bind(lost.then_some(m.lost_on.unwrap_or(m.renewal_date)))
                .push_bind(if lost { reason } else { None })
                .push_bind(m.cycle);
        });
        qb.push(" RETURNING id");
        let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        created.extend(ids);
    }
    // Audited like `store::members::create`, without an actor.
    sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, field, new_value) \
         SELECT NULL, 'member', m.id, 'created', m.first_name || ' ' || m.last_name \
         FROM members m WHERE m.id = ANY($1) ORDER BY m.id",
    )
    .bind(&created)
    .execute(&mut *conn)
    .await?;
    Ok(created)
}

/// A member to create; districts, groups and users are indices into the
/// `names` tables (ids are known only once those rows exist).
#[derive(Debug, Clone, PartialEq)]
struct PlannedMember {
    first_name: &'static str,
    last_name: &'static str,
    business_name: String,
    profession: &'static str,
    email: String,
    phone: String,
    city: &'static str,
    district: usize,
    group: Option<usize>,
    formula: &'static str,
    /// Index into `MAIN_USERS` then `OTHER_USERS`.
    representative: Option<usize>,
    join_date: NaiveDate,
    renewal_date: NaiveDate,
    term_months: i32,
    board_member: bool,
    gr_credits_cents: i64,
    status: &'static str,
    state: Option<&'static str>,
    notes: &'static str,
    /// The current cycle: 1 + the renewals on record (set by the history).
    cycle: i32,
    /// Follow-ups of the current cycle come after this day (the start of
    /// the cycle, or the day its renewal was recorded if later).
    cycle_since: Option<NaiveDate>,
    /// A departure: its day and main reason (set by the history).
    lost_on: Option<NaiveDate>,
    lost_reason_id: Option<i64>,
}

/// The staff list in insertion order.
fn staff() -> impl Iterator<Item = &'static names::StaffSpec> {
    names::MAIN_USERS.iter().chain(&names::OTHER_USERS)
}

/// Staff indices of each district's representatives (the first one of
/// Montréal is the main demo representative).
fn representatives_by_district() -> Vec<Vec<usize>> {
    let mut reps = vec![Vec::new(); names::DISTRICTS.len()];
    for (i, (_, _, role, district)) in staff().enumerate() {
        if let (Role::Representative, Some(d)) = (role, district) {
            reps[*d].push(i);
        }
    }
    reps
}

/// Draws every member. Pure and deterministic: the same `today` gives the
/// same members.
fn plan_members(today: NaiveDate) -> Vec<PlannedMember> {
    let mut rng = Rng(SEED);
    let mut formulas: Vec<&'static str> = std::iter::repeat_n("exclusive", EXCLUSIVE)
        .chain(std::iter::repeat_n("regional", REGIONAL))
        .chain(std::iter::repeat_n("partner", PARTNERS))
        .collect();
    rng.shuffle(&mut formulas);

    let reps = representatives_by_district();
    // Each group has its usual representative; most of its members are theirs.
    let mut group_rep = Vec::new();
    let mut seen_in_district = [0usize; names::DISTRICTS.len()];
    for g in &names::GROUPS {
        let pool = &reps[g.district];
        group_rep.push(pool[seen_in_district[g.district] % pool.len()]);
        seen_in_district[g.district] += 1;
    }
    // A groups weigh more: they are the larger ones.
    let group_weights: Vec<(usize, u32)> = names::GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| (i, if g.kind == 'A' { 3 } else { 2 }))
        .collect();

    let mut seats: HashSet<(usize, String)> = HashSet::new();
    let mut people: HashSet<(&str, &str)> = HashSet::new();
    let mut members = Vec::with_capacity(formulas.len());
    for formula in formulas {
        let lost = rng.chance(3);
        let (first_name, last_name) = loop {
            let name = (
                *rng.pick(&names::FIRST_NAMES),
                *rng.pick(&names::LAST_NAMES),
            );
            if people.insert(name) {
                break name;
            }
        };
        let (district, group, profession, city) = match formula {
            "exclusive" => {
                let (g, p) = exclusive_seat(&mut rng, &group_weights, &mut seats, lost);
                let spec: &GroupSpec = &names::GROUPS[g];
                (spec.district, Some(g), p, *rng.pick(spec.cities))
            }
            _ => {
                let district = rng.weighted(&[(0, 45), (1, 30), (2, 25)]);
                let list: &[Profession] = if formula == "partner" {
                    &names::PARTNER_PROFESSIONS
                } else {
                    &names::PROFESSIONS
                };
                let p = rng.pick(list);
                (
                    district,
                    None,
                    p,
                    *rng.pick(names::DISTRICT_CITIES[district]),
                )
            }
        };
        let business_name = rng
            .pick(profession.1)
            .replace("{nom}", last_name)
            .replace("{prenom}", first_name)
            .replace("{ville}", city);
        let domain = business_domain(&business_name);
        let email = if rng.chance(15) {
            format!("info@{domain}.example")
        } else {
            format!(
                "{}.{}@{domain}.example",
                email_name(first_name),
                email_name(last_name)
            )
        };
        let phone = format!(
            "{} 555-01{:02}",
            rng.pick(names::area_codes(district, city)),
            rng.below(100)
        );

        let term_months = rng.weighted(&[(12, 82), (24, 10), (6, 8)]);
        let overdue = !lost && rng.chance(5);
        let mut renewal_date = if lost {
            seasonal_day(&mut rng, today, 15, 700, true)
        } else if overdue {
            minus_days(today, rng.range(1, 40))
        } else if rng.chance(35) {
            seasonal_day(&mut rng, today, 0, 89, false)
        } else {
            seasonal_day(&mut rng, today, 90, 364, false)
        };
        let mut previous = add_months(renewal_date, -term_months);
        if previous > today {
            // A six-month term renews within six months.
            renewal_date = previous;
            previous = add_months(renewal_date, -term_months);
        }
        let years = rng.weighted(&[
            (0, 22),
            (1, 16),
            (2, 14),
            (3, 11),
            (4, 9),
            (5, 7),
            (6, 6),
            (7, 4),
            (8, 4),
            (9, 3),
            (10, 2),
            (11, 1),
            (12, 1),
        ]);
        let mut join_date = add_months(previous, -12 * years);
        if years > 0 && rng.chance(25) {
            // Joined off the anniversary (a pause, a transfer…).
            join_date = minus_days(join_date, rng.range(1, 150));
        }

        let representative = if rng.chance(4) {
            None
        } else {
            let pool = &reps[district];
            Some(match group {
                Some(g) if rng.chance(80) => group_rep[g],
                _ => *rng.pick(pool),
            })
        };
        let board_member = formula == "exclusive" && !lost && rng.chance(16);
        let gr_credits_cents = if rng.chance(35) {
            *rng.pick(&[2500, 5000, 5000, 7500, 10000, 15000, 15000, 25000])
        } else {
            0
        };
        let state = if lost {
            None
        } else if overdue {
            rng.weighted(&[
                (None, 20),
                (Some("green"), 15),
                (Some("yellow"), 30),
                (Some("flame"), 15),
                (Some("red"), 20),
            ])
        } else {
            rng.weighted(&[
                (None, 30),
                (Some("green"), 31),
                (Some("yellow"), 18),
                (Some("flame"), 13),
                (Some("red"), 8),
            ])
        };
        let notes = if rng.chance(12) {
            *rng.pick(&names::NOTES)
        } else {
            ""
        };
        members.push(PlannedMember {
            first_name,
            last_name,
            business_name,
            profession: profession.0,
            email,
            phone,
            city,
            district,
            group,
            formula,
            representative,
            join_date,
            renewal_date,
            term_months,
            board_member,
            gr_credits_cents,
            status: if lost { "lost" } else { "active" },
            state,
            notes,
            cycle: 1,
            cycle_since: None,
            lost_on: None,
            lost_reason_id: None,
        });
    }
    members
}

/// Out of 10: how busy a month is for renewals (and so for joins, their
/// anniversaries). Autumn and winter are the network's seasons.
fn month_weight(month: u32) -> u64 {
    match month {
        9..=11 => 10,
        1..=3 => 8,
        4 | 5 | 12 => 5,
        _ => 3, // June to August
    }
}

/// `today` plus a day in [lo, hi] (minus when `back`), drawn so that busy
/// months get more dates than quiet ones.
fn seasonal_day(rng: &mut Rng, today: NaiveDate, lo: u64, hi: u64, back: bool) -> NaiveDate {
    loop {
        let n = rng.range(lo, hi);
        let d = if back {
            minus_days(today, n)
        } else {
            plus_days(today, n)
        };
        if rng.below(10) < month_weight(d.month()) {
            return d;
        }
    }
}

/// A group and a profession for an exclusive member. In an A group an
/// active member takes a free seat (one per profession); lost members and
/// B groups take any profession.
fn exclusive_seat(
    rng: &mut Rng,
    group_weights: &[(usize, u32)],
    seats: &mut HashSet<(usize, String)>,
    lost: bool,
) -> (usize, &'static Profession) {
    loop {
        let g = rng.weighted(group_weights);
        let p = rng.pick(&names::PROFESSIONS);
        if lost || names::GROUPS[g].kind != 'A' || seats.insert((g, profession_key(p.0))) {
            return (g, p);
        }
    }
}

/// A name as the local part of an email address: « Jean-François » gives
/// `jean-francois`, « St-Pierre » `st-pierre`.
fn email_name(name: &str) -> String {
    profession_key(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// A business name as a (fictional) web domain: its main words, run
/// together, cut at a word: « Tremblay Notaires inc. » gives `tremblaynotaires`.
fn business_domain(business: &str) -> String {
    const SMALL_WORDS: [&str; 12] = [
        "inc", "senc", "srl", "les", "le", "la", "de", "des", "du", "d", "et", "l",
    ];
    let key = profession_key(business);
    let words = key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !SMALL_WORDS.contains(w));
    let mut domain = String::new();
    for w in words {
        if !domain.is_empty() && domain.len() + w.len() > 28 {
            break;
        }
        domain.push_str(w);
    }
    domain
}

fn plus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

fn minus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// splitmix64: small, fast and the same everywhere (no crate, no OS entropy).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0 ≤ n < bound (the modulo bias is negligible for these sizes).
    fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// lo ≤ n ≤ hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut n = self.below(total);
        for (item, w) in items {
            let w = u64::from(*w);
            if n < w {
                return *item;
            }
            n -= w;
        }
        items[items.len() - 1].0
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        assert_eq!(plan_members(today()), plan_members(today()));
    }

    #[test]
    fn a_groups_never_hold_two_active_seats_of_one_profession() {
        let mut seen = HashSet::new();
        for m in plan_members(today()) {
            if let Some(g) = m.group
                && names::GROUPS[g].kind == 'A'
                && m.status == "active"
            {
                assert!(
                    seen.insert((g, profession_key(m.profession))),
                    "{} in {}",
                    m.profession,
                    names::GROUPS[g].name
                );
            }
        }
    }

    #[test]
    fn members_fit_their_district_and_the_table_rules() {
        let reps = representatives_by_district();
        for m in plan_members(today()) {
            assert_eq!(m.formula == "exclusive", m.group.is_some());
            if let Some(g) = m.group {
                assert_eq!(names::GROUPS[g].district, m.district);
            }
            if let Some(r) = m.representative {
                assert!(reps[m.district].contains(&r));
            }
            assert!(m.join_date < m.renewal_date);
            assert!(m.join_date <= today());
            assert!([6, 12, 24].contains(&m.term_months));
            assert!(Email::parse(&m.email).is_ok(), "{}", m.email);
            assert!(!m.board_member || m.formula == "exclusive");
        }
    }

    #[test]
    fn names_become_plain_email_parts() {
        assert_eq!(email_name("Jean-François"), "jean-francois");
        assert_eq!(email_name("St-Pierre"), "st-pierre");
        assert_eq!(business_domain("Les Délices de Émilie"), "delicesemilie");
        assert_eq!(
            business_domain("Tremblay Notaires inc."),
            "tremblaynotaires"
        );
        assert_eq!(
            business_domain("Atelier floral Saint-Augustin-de-Desmaures"),
            "atelierfloralsaintaugustin"
        );
        assert_eq!(
            business_domain("Cabinet d'assurances Gagnon"),
            "cabinetassurancesgagnon"
        );
    }
}
