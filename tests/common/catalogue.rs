//! Shared set-up for the catalogue and timeline tests: members in bulk,
//! forms posted as name/value pairs, and the check that the SQL selection
//! by stage and colour agrees with the pure calculation.
use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use renouvo::domain::formula::{Colour, Formula};
use renouvo::domain::member::TERMS;
use renouvo::domain::scope::Scope;
use renouvo::domain::timeline_edit::TableForm;
use renouvo::store::members::{self, MemberFilter, Sort};
use renouvo::store::timeline::Timelines;
use sqlx::PgPool;

use super::TestApp;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date de test")
}

/// A small PRNG so the generated set is the same on every run.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub async fn group_b(pool: &PgPool, district: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind, meeting_day) \
         VALUES ($1, 'Groupe B', 'B', 2) RETURNING id",
    )
    .bind(district)
    .fetch_one(pool)
    .await
    .expect("groupe")
}

/// Inserts active members (formula, term, renewal date) in one statement;
/// exclusive ones sit in a group B (no seat to check). Returns their ids.
pub async fn insert_members(
    pool: &PgPool,
    district: i64,
    rows: &[(Formula, i32, NaiveDate)],
    representative: Option<i64>,
) -> Vec<i64> {
    let b_group = group_b(pool, district).await;
    let mut qb = sqlx::QueryBuilder::new(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         group_id, group_kind, formula, representative_id, join_date, renewal_date, term_months) ",
    );
    qb.push_values(rows, |mut b, (formula, term, renewal)| {
        let exclusive = *formula == Formula::Exclusive;
        b.push_bind("Test")
            .push_bind("Membre")
            .push_bind("Profession")
            .push_bind("profession")
            .push_bind(district)
            .push_bind(exclusive.then_some(b_group))
            .push_unseparated("::bigint")
            .push_bind(exclusive.then_some("B"))
            .push_unseparated("::char(1)")
            .push_bind(formula.as_str())
            .push_bind(representative)
            .push_bind(*renewal - Days::new(2000))
            .push_bind(*renewal)
            .push_bind(*term);
    });
    qb.push(" RETURNING id");
    qb.build_query_scalar()
        .fetch_all(pool)
        .await
        .expect("membres")
}

/// `n` members of every formula and term, renewal dates around `todays`.
pub async fn insert_random_members(
    pool: &PgPool,
    district: i64,
    todays: &[NaiveDate],
    n: usize,
    seed: u64,
) {
    let mut rng = Rng(seed);
    let rows: Vec<(Formula, i32, NaiveDate)> = (0..n)
        .map(|_| {
            let formula = Formula::ALL[rng.below(3) as usize];
            let term = TERMS[rng.below(TERMS.len() as u64) as usize];
            let base = todays[rng.below(todays.len() as u64) as usize];
            let offset = rng.below(1300) as i64 - 420;
            (formula, term, base + chrono::Duration::days(offset))
        })
        .collect();
    insert_members(pool, district, &rows, None).await;
}

/// For every stage and colour of `timelines`, the member list's SQL
/// selection holds exactly the members the pure calculation puts there.
pub async fn assert_selections_agree(pool: &PgPool, timelines: &Timelines, todays: &[NaiveDate]) {
    let all: Vec<(i64, String, i32, NaiveDate)> = sqlx::query_as(
        "SELECT id, formula, term_months, renewal_date FROM members WHERE status = 'active'",
    )
    .fetch_all(pool)
    .await
    .expect("membres");
    for &today in todays {
        let expected = |row: &(i64, String, i32, NaiveDate)| {
            let f = Formula::parse(&row.1).expect("formule");
            timelines
                .current(f, row.3, row.2, today)
                .map(|c| (c.def.key.clone(), c.def.colour))
        };
        let select = |filter: MemberFilter| async move {
            let (rows, total) = members::list(
                pool,
                Scope::Network,
                timelines,
                today,
                &filter,
                Sort::Renewal,
                1_000_000,
                0,
            )
            .await
            .expect("liste");
            assert_eq!(rows.len() as i64, total.count);
            assert!(!total.capped);
            rows.into_iter().map(|r| r.id).collect::<BTreeSet<i64>>()
        };
        for (key, _) in timelines.stage_choices() {
            let want: BTreeSet<i64> = all
                .iter()
                .filter(|r| expected(r).is_some_and(|(k, _)| k == key))
                .map(|r| r.0)
                .collect();
            let got = select(MemberFilter {
                stage: Some(key.clone()),
                ..MemberFilter::default()
            })
            .await;
            assert_eq!(got, want, "étape {key} le {today}");
        }
        let mut counted = 0;
        for colour in Colour::ALL {
            let want: BTreeSet<i64> = all
                .iter()
                .filter(|r| expected(r).is_some_and(|(_, c)| c == colour))
                .map(|r| r.0)
                .collect();
            counted += want.len();
            let got = select(MemberFilter {
                colour: Some(colour),
                ..MemberFilter::default()
            })
            .await;
            assert_eq!(got, want, "couleur {colour:?} le {today}");
        }
        assert_eq!(counted, all.len(), "chaque membre a une couleur le {today}");
    }
}

/// An HTML page's text with the entities askama writes turned back.
pub fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// The name/value pairs a browser posts for a stage form.
pub fn table_pairs(form: &TableForm) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("version".to_string(), form.version.clone()),
        ("billing".to_string(), form.billing.clone()),
    ];
    for (i, r) in form.rows.iter().enumerate() {
        for (field, value) in [
            ("key", &r.key),
            ("label", &r.label),
            ("anchor", &r.anchor),
            ("months", &r.months),
            ("days", &r.days),
            ("colour", &r.colour),
            ("action", &r.action),
        ] {
            pairs.push((format!("s{i}_{field}"), value.clone()));
        }
        if r.remove {
            pairs.push((format!("s{i}_remove"), "1".to_string()));
        }
    }
    pairs
}

impl TestApp {
    /// Posts name/value pairs (repeated names allowed) as a same-site form.
    pub async fn post_pairs(&self, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", format!("http://{}", self.addr))
            .form(pairs)
            .send()
            .await
            .expect("POST")
    }
}
