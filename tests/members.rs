//! Members, the timeline in SQL, scope, and the member form, through the
//! real router on a real PostgreSQL.
mod common;

use std::collections::BTreeSet;

use chrono::{Datelike, Days, Months, NaiveDate};
use common::actions::log_in;
use common::builders::{MemberBuilder, insert_group};
use common::{PASSWORD, TestApp, location};
use renouvo::domain::formula::{Colour, Formula};
use renouvo::domain::member::TERMS;
use renouvo::domain::scope::Scope;
use renouvo::domain::user::Role;
use renouvo::store::dashboard;
use renouvo::store::members::{self, MemberFilter, Sort};
use renouvo::store::timeline;
use sqlx::PgPool;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A small PRNG so the generated set is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Days the generated network is looked at from (a leap day, a month end).
const TODAYS: [&str; 3] = ["2026-11-29", "2028-02-29", "2027-03-31"];

/// A member as the pure calculation sees it: id, formula, term, renewal.
type Row = (i64, String, i32, NaiveDate);

/// A few thousand members around every day of `TODAYS`, every formula and
/// term, in one district; and the timelines.
async fn generated_network() -> (TestApp, i64, Vec<Row>, timeline::Timelines) {
    let app = TestApp::spawn().await;
    let pool = &app.pool;
    let district = app.create_district("Montréal").await;
    let b_group = insert_group(pool, district, "Groupe B", "B").await;
    let mut rng = Rng(42);
    let mut qb = sqlx::QueryBuilder::new(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         group_id, group_kind, formula, join_date, renewal_date, term_months) ",
    );
    let rows: Vec<(Formula, i32, NaiveDate)> = (0..3000)
        .map(|_| {
            let formula = Formula::ALL[rng.below(3) as usize];
            let term = TERMS[rng.below(TERMS.len() as u64) as usize];
            let base = d(TODAYS[rng.below(3) as usize]);
            let offset = rng.below(1300) as i64 - 420;
            let renewal = base + chrono::Duration::days(offset);
            (formula, term, renewal)
        })
        .collect();
    qb.push_values(&rows, |mut b, (formula, term, renewal)| {
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
            .push_bind(d("1990-01-01"))
            .push_bind(*renewal)
            .push_bind(*term);
    });
    qb.build().execute(pool).await.unwrap();
    let timelines = timeline::load(pool).await.unwrap();
    let all: Vec<Row> =
        sqlx::query_as("SELECT id, formula, term_months, renewal_date FROM members")
            .fetch_all(pool)
            .await
            .unwrap();
    (app, district, all, timelines)
}

/// The stage and colour the pure calculation gives.
fn expected(
    timelines: &timeline::Timelines,
    row: &Row,
    today: NaiveDate,
) -> Option<(String, Colour)> {
    let f = Formula::parse(&row.1).unwrap();
    timelines
        .current(f, row.3, row.2, today)
        .map(|c| (c.def.key.clone(), c.def.colour))
}

/// The ids the member list selects with `filter`, all pages at once.
async fn select(
    pool: &PgPool,
    timelines: &timeline::Timelines,
    today: NaiveDate,
    filter: MemberFilter,
) -> BTreeSet<i64> {
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
    .unwrap();
    assert_eq!(rows.len() as i64, total.count);
    assert!(!total.capped);
    rows.into_iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn stage_selections_in_sql_agree_with_the_pure_calculation() {
    let (app, _, all, timelines) = generated_network().await;
    for today in TODAYS.map(d) {
        for (key, _) in timelines.stage_choices() {
            let want: BTreeSet<i64> = all
                .iter()
                .filter(|r| expected(&timelines, r, today).is_some_and(|(k, _)| k == key))
                .map(|r| r.0)
                .collect();
            let filter = MemberFilter {
                stage: Some(key.clone()),
                ..MemberFilter::default()
            };
            let got = select(&app.pool, &timelines, today, filter).await;
            assert_eq!(got, want, "stage {key} on {today}");
        }
    }
}

#[tokio::test]
async fn colour_selections_in_sql_agree_with_the_pure_calculation() {
    let (app, _, all, timelines) = generated_network().await;
    for today in TODAYS.map(d) {
        let mut counted = 0;
        for colour in Colour::ALL {
            let want: BTreeSet<i64> = all
                .iter()
                .filter(|r| expected(&timelines, r, today).is_some_and(|(_, c)| c == colour))
                .map(|r| r.0)
                .collect();
            let filter = MemberFilter {
                colour: Some(colour),
                ..MemberFilter::default()
            };
            let got = select(&app.pool, &timelines, today, filter).await;
            assert_eq!(got, want, "colour {colour:?} on {today}");
            counted += got.len();
        }
        assert_eq!(counted, all.len(), "every active member has one colour");
    }
}

/// The homes' counts (stage ranges joined to the network's tally, or to
/// the district's members) agree with the pure function too.
#[tokio::test]
async fn home_counts_by_colour_and_stage_agree_with_the_pure_calculation() {
    let (app, district, all, timelines) = generated_network().await;
    let pool = &app.pool;
    let count = |today: NaiveDate, keep: &dyn Fn(&Row, (String, Colour)) -> bool| {
        all.iter()
            .filter(|r| expected(&timelines, r, today).is_some_and(|e| keep(r, e)))
            .count()
    };
    for today in TODAYS.map(d) {
        for scope in [Scope::Network, Scope::District(district)] {
            let counts = dashboard::colour_counts(pool, scope, &timelines, today)
                .await
                .unwrap();
            for (colour, n) in counts {
                let want = count(today, &|_, (_, c)| c == colour);
                assert_eq!(n as usize, want, "{colour:?} {scope:?} on {today}");
            }
            let stages = dashboard::stage_counts(pool, scope, &timelines, today)
                .await
                .unwrap();
            for (formula, key, n) in stages {
                let want = count(today, &|r, (k, _)| r.1 == formula && Some(k) == key);
                assert_eq!(n as usize, want, "{formula} {key:?} {scope:?} on {today}");
            }
            // The homes read both in one statement, with the months ahead
            // (here from the first of this month for six months).
            let start = today.with_day(1).unwrap();
            let end = start.checked_add_months(Months::new(6)).unwrap();
            let staged = dashboard::staged_by_month(pool, scope, &timelines, (start, end), today)
                .await
                .unwrap();
            let (stages, months) = renouvo::web::home::stages_and_months(&staged);
            let mut stage_total = 0;
            for (formula, key, n) in stages {
                let want = count(today, &|r, (k, _)| r.1 == formula && Some(k) == key);
                assert_eq!(n as usize, want, "{formula} {key:?} {scope:?} on {today}");
                stage_total += want;
            }
            assert_eq!(
                stage_total,
                count(today, &|_, _| true),
                "{scope:?} on {today}"
            );
            let mut month_total = 0;
            for row in &months {
                let colour = row.colour.as_deref().unwrap();
                let want = count(today, &|r, (_, c)| {
                    r.3.format("%Y-%m").to_string() == row.month && c.as_str() == colour
                });
                assert_eq!(row.members as usize, want, "{row:?} {scope:?} on {today}");
                month_total += want;
            }
            let in_window = count(today, &|r, _| r.3 >= start && r.3 < end);
            assert!(in_window > 0, "the window holds members on {today}");
            assert_eq!(month_total, in_window, "{scope:?} on {today}");
        }
    }
}

/// Two districts, their managers and representatives, and one member each.
struct World {
    app: TestApp,
    rep_a: i64,
    member_a: i64,
    orphan_a: i64,
    member_b: i64,
    group_a: i64,
    district_a: i64,
}

async fn world() -> World {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let pool = app.pool.clone();
    let district_a = app.create_district("Montréal").await;
    let district_b = app.create_district("Montérégie").await;
    app.create_user("gest.a@test.ca", Role::DistrictManager, Some(district_a))
        .await;
    app.create_user("gest.b@test.ca", Role::DistrictManager, Some(district_b))
        .await;
    let rep_a = app
        .create_user("rep.a@test.ca", Role::Representative, Some(district_a))
        .await;
    let rep_b = app
        .create_user("rep.b@test.ca", Role::Representative, Some(district_b))
        .await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    let group_a = insert_group(&pool, district_a, "Montréal Affaires", "A").await;
    let group_b = insert_group(&pool, district_b, "Longueuil Réseau", "A").await;
    let member_a = MemberBuilder::new(district_a)
        .name("Marie", "Tremblay")
        .profession("Notaire")
        .exclusive_in(group_a, "A")
        .rep(rep_a)
        .renewing("2026-12-10")
        .insert(&pool)
        .await;
    let orphan_a = MemberBuilder::new(district_a)
        .name("Luc", "Gagnon")
        .profession("Plombier")
        .renewing("2027-08-01")
        .insert(&pool)
        .await;
    let member_b = MemberBuilder::new(district_b)
        .name("Sylvie", "Roy")
        .profession("Dentiste")
        .exclusive_in(group_b, "A")
        .rep(rep_b)
        .renewing("2027-02-01")
        .insert(&pool)
        .await;
    World {
        app,
        rep_a,
        member_a,
        orphan_a,
        member_b,
        group_a,
        district_a,
    }
}

async fn status_as(app: &TestApp, email: &str, paths: &[String]) -> Vec<u16> {
    let browser = log_in(app, email).await;
    let mut out = Vec::new();
    for p in paths {
        out.push(browser.get(p).await.status().as_u16());
    }
    out
}

#[tokio::test]
async fn every_member_route_answers_by_role_and_scope() {
    let w = world().await;
    let (a, o, b) = (w.member_a, w.orphan_a, w.member_b);
    let paths: Vec<String> = vec![
        format!("/membres/{a}"),
        format!("/membres/{o}"),
        format!("/membres/{b}"),
        format!("/membres/{a}/modifier"),
        format!("/membres/{b}/modifier"),
        "/membres".into(),
        "/membres/export.csv".into(),
        "/membres/nouveau".into(),
        "/membres/999999".into(),
    ];
    let cases: [(&str, [u16; 9]); 5] = [
        (
            "rep.a@test.ca",
            [200, 404, 404, 403, 403, 200, 200, 403, 404],
        ),
        (
            "gest.a@test.ca",
            [200, 200, 404, 200, 404, 200, 200, 200, 404],
        ),
        (
            "gest.b@test.ca",
            [404, 404, 200, 404, 200, 200, 200, 200, 404],
        ),
        ("dir@test.ca", [200, 200, 200, 200, 200, 200, 200, 200, 404]),
        (
            "fact@test.ca",
            [403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
    ];
    for (email, expected) in cases {
        let got = status_as(&w.app, email, &paths).await;
        assert_eq!(got, expected.to_vec(), "{email}");
    }
}

#[tokio::test]
async fn lists_and_exports_contain_only_what_the_user_may_see() {
    let w = world().await;
    let client = w.app.new_client();
    client
        .post(w.app.url("/login"))
        .form(&[("email", "rep.a@test.ca"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let list = client
        .get(w.app.url("/membres"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Marie Tremblay"));
    assert!(!list.contains("Luc Gagnon"), "orphan is not the rep's");
    assert!(!list.contains("Sylvie Roy"));
    let csv = client
        .get(w.app.url("/membres/export.csv"))
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("Nom;Prénom;Entreprise"));
    assert!(text.contains("Tremblay;Marie"));
    assert!(!text.contains("Roy"));
    assert_eq!(text.lines().count(), 2);

    // A manager's filters: orphans, colour, text search.
    let m = w.app.new_client();
    m.post(w.app.url("/login"))
        .form(&[("email", "gest.a@test.ca"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let get = |path: &str| {
        let m = m.clone();
        let url = w.app.url(path);
        async move { m.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let orphans = get("/membres?representant=aucun").await;
    assert!(orphans.contains("Luc Gagnon") && !orphans.contains("Marie Tremblay"));
    // On 2026-11-29 Marie (R = 2026-12-10) is 11 days away: `2 semaines avant`, red.
    let red = get("/membres?couleur=red").await;
    assert!(red.contains("Marie Tremblay") && !red.contains("Luc Gagnon"));
    assert!(red.contains("2 semaines avant"));
    assert!(red.contains("dans 11 jours"));
    let found = get("/membres?q=plomb").await;
    assert!(found.contains("Luc Gagnon") && !found.contains("Marie Tremblay"));
    let csv = get("/membres/export.csv?q=plomb").await;
    assert!(csv.contains("Gagnon") && !csv.contains("Tremblay"));
}

#[tokio::test]
async fn the_list_is_paginated() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let district = app.create_district("Montréal").await;
    for i in 0..55 {
        let renewal = d("2027-01-01") + Days::new(i);
        MemberBuilder::new(district)
            .name("Membre", &format!("Numéro{i:02}"))
            .profession("Conseil")
            .formula("partner")
            .renewing(&renewal.to_string())
            .insert(&app.pool)
            .await;
    }
    app.login_as(Role::Direction).await;
    let first = app.get("/membres").await.text().await.unwrap();
    assert!(first.contains("55 membres"));
    assert!(first.contains("Page 1 sur 2"));
    assert!(first.contains("Numéro00") && !first.contains("Numéro54"));
    let second = app.get("/membres?page=2").await.text().await.unwrap();
    assert!(second.contains("Numéro54") && !second.contains("Numéro00"));
    // The last page, not full, is counted from its own rows.
    assert!(second.contains("55 membres") && second.contains("Page 2 sur 2"));
    // Past the end: nothing shown, and the count still says how far it goes.
    let beyond = app.get("/membres?page=4").await.text().await.unwrap();
    assert!(!beyond.contains("Numéro"), "{beyond}");
    assert!(beyond.contains("55 membres"), "{beyond}");
}

/// A long list is counted only some way past the page shown: the page
/// says « plus de … » and still leads to every page, the last one too.
#[tokio::test]
async fn a_long_list_is_counted_only_past_the_page_shown() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let district = app.create_district("Montréal").await;
    // 1,120 partners renewing one per day from 2027-01-01: more than a page
    // plus the count's reach (50 + 1,000).
    sqlx::query(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
           formula, join_date, renewal_date, term_months) \
         SELECT 'Membre', 'Numéro' || lpad(i::text, 4, '0'), 'Conseil', 'conseil', $1, \
           'partner', DATE '2020-01-01', DATE '2027-01-01' + i, 12 \
         FROM generate_series(0, 1119) AS i",
    )
    .bind(district)
    .execute(&app.pool)
    .await
    .unwrap();
    app.login_as(Role::Direction).await;
    let first = app.get("/membres").await.text().await.unwrap();
    assert!(first.contains("Plus de 1 050 membres"), "{first}");
    assert!(first.contains("Page 1 sur plus de 21"), "{first}");
    assert!(first.contains("href=\"/membres?page=2\""));
    // Further on, the count reaches the end: exact again.
    let page_20 = app.get("/membres?page=20").await.text().await.unwrap();
    assert!(page_20.contains("1 120 membres"), "{page_20}");
    assert!(page_20.contains("Page 20 sur 23"), "{page_20}");
    let last = app.get("/membres?page=23").await.text().await.unwrap();
    assert!(last.contains("Numéro1119") && !last.contains("rel=\"next\""));
    assert!(last.contains("1 120 membres"), "{last}");
    // A search is counted four pages ahead only, and still leads to its
    // last page, where the count is exact.
    let search = app
        .get("/membres?q=num%C3%A9ro")
        .await
        .text()
        .await
        .unwrap();
    assert!(search.contains("Plus de 250 membres"), "{search}");
    assert!(search.contains("Page 1 sur plus de 5"), "{search}");
    let page_5 = app
        .get("/membres?q=num%C3%A9ro&page=5")
        .await
        .text()
        .await
        .unwrap();
    assert!(page_5.contains("Plus de 450 membres"), "{page_5}");
    let end = app
        .get("/membres?q=num%C3%A9ro&page=23")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        end.contains("Numéro1119") && end.contains("1 120 membres"),
        "{end}"
    );
    // Narrowed to a hundred (Numéro1000 to Numéro1099): exact.
    let narrow = app
        .get("/membres?q=num%C3%A9ro10")
        .await
        .text()
        .await
        .unwrap();
    assert!(narrow.contains("100 membres"), "{narrow}");
    assert!(narrow.contains("Page 1 sur 2"), "{narrow}");
}

fn member_form(
    overrides: &[(&'static str, &str)],
    district: &str,
    group: &str,
) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = vec![
        ("first_name", "Julie".into()),
        ("last_name", "Pelletier".into()),
        ("business_name", "Pelletier Notaires inc.".into()),
        ("profession", "Comptable".into()),
        ("email", "julie@exemple.ca".into()),
        ("phone", "514 555-0101".into()),
        ("city", "Montréal".into()),
        ("district_id", district.into()),
        ("group_id", group.into()),
        ("formula", "exclusive".into()),
        ("representative_id", String::new()),
        ("join_date", "2024-05-01".into()),
        ("renewal_date", "2027-05-01".into()),
        ("term_months", "12".into()),
        ("gr_credits", "150,00".into()),
        ("notes", String::new()),
        ("version", String::new()),
    ];
    for (k, v) in overrides {
        if let Some(slot) = f.iter_mut().find(|(name, _)| name == k) {
            slot.1 = v.to_string();
        } else {
            f.push((k, v.to_string()));
        }
    }
    f
}

async fn post(app: &TestApp, path: &str, form: &[(&str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(path, &pairs).await
}

#[tokio::test]
async fn bad_member_input_is_explained_field_by_field_and_nothing_is_written() {
    let w = world().await;
    let app = &w.app;
    assert_eq!(app.login("gest.a@test.ca", PASSWORD).await.status(), 303);
    let (district, group) = (w.district_a.to_string(), w.group_a.to_string());

    let bad = member_form(
        &[
            ("first_name", "  "),
            ("email", "julie-at-exemple"),
            ("renewal_date", "2023-01-01"),
            ("gr_credits", "beaucoup"),
            ("last_name", "Pelletier-Forgée"),
        ],
        &district,
        &group,
    );
    let resp = post(app, "/membres/nouveau", &bad).await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Le prénom est obligatoire."));
    assert!(body.contains("n&#39;est pas valide") || body.contains("n'est pas valide"));
    assert!(
        body.contains("doit suivre la date d&#39;adhésion")
            || body.contains("doit suivre la date d'adhésion")
    );
    assert!(
        body.contains("n&#39;est pas un montant valide")
            || body.contains("n'est pas un montant valide")
    );
    assert!(
        body.contains("value=\"Pelletier-Forgée\""),
        "typed values kept"
    );
    assert!(body.contains("value=\"julie-at-exemple\""));
    assert!(
        body.contains("aria-describedby=\"first_name-error\" autofocus"),
        "the first faulty field gets the focus"
    );

    let bad_date = member_form(&[("join_date", "2024-02-30")], &district, &group);
    let body = post(app, "/membres/nouveau", &bad_date)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("n&#39;est pas une date valide")
            || body.contains("n'est pas une date valide")
    );

    let huge = "x".repeat(1_000_000);
    let big = member_form(&[("notes", huge.as_str())], &district, &group);
    let resp = post(app, "/membres/nouveau", &big).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("trop long"));

    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM members")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 3, "nothing written by refused forms");
}

#[tokio::test]
async fn a_manager_creates_a_member_and_the_creation_is_audited() {
    let w = world().await;
    let app = &w.app;
    assert_eq!(app.login("gest.a@test.ca", PASSWORD).await.status(), 303);
    let ok = member_form(
        &[("representative_id", &w.rep_a.to_string())],
        &w.district_a.to_string(),
        &w.group_a.to_string(),
    );
    let resp = post(app, "/membres/nouveau", &ok).await;
    let (id, rep, group, credits): (i64, Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "SELECT id, representative_id, group_id, gr_credits_cents FROM members \
         WHERE last_name = 'Pelletier'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the new member");
    assert_eq!(
        (rep, group, credits),
        (Some(w.rep_a), Some(w.group_a), 15_000)
    );
    let to = location(&resp);
    assert_eq!(to, format!("/membres/{id}?enregistre=1"));
    let page = app.get(&to).await.text().await.unwrap();
    assert!(page.contains("Julie Pelletier"));
    assert!(page.contains("Fiche de Julie Pelletier enregistrée."));
    assert!(page.contains("150,00"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE entity = 'member' AND field = 'created'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn an_exclusive_seat_is_held_once_per_profession_in_an_a_group() {
    let w = world().await;
    let app = &w.app;
    app.login("gest.a@test.ca", PASSWORD).await;
    let (district, group) = (w.district_a.to_string(), w.group_a.to_string());
    // Marie Tremblay holds « Notaire » in group A; case and accents do not matter.
    let dup = member_form(&[("profession", "  NOTAIRE ")], &district, &group);
    let resp = post(app, "/membres/nouveau", &dup).await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(
            "La profession « NOTAIRE » est déjà occupée dans ce groupe par Marie Tremblay."
        ),
        "{body}"
    );
    // The database refuses it too, whatever the application does.
    let direct = sqlx::query(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         group_id, group_kind, formula, join_date, renewal_date) \
         VALUES ('X', 'Y', 'notaire', 'notaire', $1, $2, 'A', 'exclusive', '2020-01-01', '2027-01-01')",
    )
    .bind(w.district_a)
    .bind(w.group_a)
    .execute(&app.pool)
    .await
    .expect_err("a second notary in the A group");
    assert_eq!(
        direct.as_database_error().and_then(|e| e.constraint()),
        Some("members_exclusive_seat")
    );
    // A lost member frees the seat.
    sqlx::query("UPDATE members SET status = 'lost', lost_on = '2026-11-01', lost_reason_id = (SELECT min(id) FROM reasons) WHERE id = $1")
        .bind(w.member_a)
        .execute(&app.pool)
        .await
        .unwrap();
    let resp = post(app, "/membres/nouveau", &dup).await;
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM members WHERE profession = 'NOTAIRE' AND status = 'active'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the new notary");
    assert_eq!(location(&resp), format!("/membres/{id}?enregistre=1"));
}

#[tokio::test]
async fn a_manager_cannot_place_a_member_in_another_district() {
    let w = world().await;
    let app = &w.app;
    app.login("gest.b@test.ca", PASSWORD).await;
    let form = member_form(&[], &w.district_a.to_string(), &w.group_a.to_string());
    let resp = post(app, "/membres/nouveau", &form).await;
    assert_eq!(resp.status(), 422);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Choisissez un district actif parmi ceux proposés."));
    let forged = post(
        app,
        &format!("/membres/{}/modifier", w.member_a),
        &member_form(
            &[("version", "1")],
            &w.district_a.to_string(),
            &w.group_a.to_string(),
        ),
    )
    .await;
    assert_eq!(forged.status(), 404);
}

#[tokio::test]
async fn editing_the_renewal_date_changes_the_stage_and_is_audited() {
    let w = world().await;
    let app = &w.app;
    app.login("gest.a@test.ca", PASSWORD).await;
    let page = app
        .get(&format!("/membres/{}", w.member_a))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("À faire maintenant : 2 semaines avant"));
    let edit = app
        .get(&format!("/membres/{}/modifier", w.member_a))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let form = member_form(
        &[
            ("first_name", "Marie"),
            ("last_name", "Tremblay"),
            ("profession", "Notaire"),
            ("renewal_date", "2027-09-15"),
            ("join_date", "2019-09-15"),
            ("representative_id", &w.rep_a.to_string()),
            ("version", "1"),
        ],
        &w.district_a.to_string(),
        &w.group_a.to_string(),
    );
    let resp = post(app, &format!("/membres/{}/modifier", w.member_a), &form).await;
    assert_eq!(
        location(&resp),
        format!("/membres/{}?enregistre=1", w.member_a)
    );
    let (renewal, join): (NaiveDate, NaiveDate) =
        sqlx::query_as("SELECT renewal_date, join_date FROM members WHERE id = $1")
            .bind(w.member_a)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((renewal, join), (d("2027-09-15"), d("2019-09-15")));
    let page = app
        .get(&format!("/membres/{}", w.member_a))
        .await
        .text()
        .await
        .unwrap();
    // 2026-11-29 is between P + 1 month and P + 3 months of 2027-09-15.
    assert!(page.contains("À faire maintenant : 1 mois après"), "{page}");
    assert!(page.contains("Date de renouvellement"));
    assert!(
        page.contains("2026-12-10") && page.contains("2027-09-15"),
        "audit shows old and new"
    );
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_nothing_is_lost() {
    let w = world().await;
    let app = &w.app;
    app.login("dir@test.ca", PASSWORD).await;
    let path = format!("/membres/{}/modifier", w.member_a);
    let base = |city: &'static str| {
        member_form(
            &[
                ("first_name", "Marie"),
                ("last_name", "Tremblay"),
                ("profession", "Notaire"),
                ("city", city),
                ("version", "1"),
            ],
            &w.district_a.to_string(),
            &w.group_a.to_string(),
        )
    };
    // First editor saves on version 1.
    let first = post(app, &path, &base("Laval")).await;
    assert_eq!(
        location(&first),
        format!("/membres/{}?enregistre=1", w.member_a)
    );
    // Second editor, who opened the form on version 1 too, is refused.
    let resp = post(app, &path, &base("Longueuil")).await;
    assert_eq!(resp.status(), 409);
    let body = resp.text().await.unwrap();
    assert!(body.contains("a enregistré cette fiche pendant que vous la modifiiez"));
    assert!(
        body.contains("value=\"Longueuil\""),
        "the second editor's input is kept"
    );
    let (city, version): (String, i32) =
        sqlx::query_as("SELECT city, version FROM members WHERE id = $1")
            .bind(w.member_a)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (city.as_str(), version),
        ("Laval", 2),
        "the first save only"
    );
}

#[tokio::test]
async fn the_member_page_draws_the_cycle_and_the_action_plan() {
    let w = world().await;
    let app = &w.app;
    app.login("rep.a@test.ca", PASSWORD).await;
    let page = app
        .get(&format!("/membres/{}", w.member_a))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Échéancier du cycle"));
    assert!(page.contains("aria-current=\"step\""));
    assert!(page.contains("manquée") && page.contains("à venir"));
    assert!(page.contains("En tout temps"));
    assert!(page.contains("Siège exclusif"));
    assert!(page.contains("Montréal Affaires"));
    assert!(
        !page.contains("Modifier la fiche"),
        "representatives do not edit the file"
    );
}

#[tokio::test]
async fn the_home_page_counts_by_colour_and_lists_the_most_urgent() {
    let w = world().await;
    let app = &w.app;
    app.login("gest.a@test.ca", PASSWORD).await;
    let home = app.get("/district").await.text().await.unwrap();
    assert!(home.contains("href=\"/membres?couleur=red\""));
    assert!(home.contains("Les plus urgents"));
    let tremblay = home.find("Marie Tremblay").expect("red member listed");
    let gagnon = home.find("Luc Gagnon").expect("green member listed");
    assert!(tremblay < gagnon, "red before green");
    assert!(!home.contains("Sylvie Roy"), "other district hidden");
}

#[tokio::test]
async fn home_pages_count_the_escalations_waiting_for_an_answer() {
    let w = world().await;
    let app = &w.app;
    let raise = |days_ago: i32| {
        let pool = app.pool.clone();
        let (member, rep) = (w.member_a, w.rep_a);
        async move {
            sqlx::query(
                "INSERT INTO escalations (member_id, raised_by, raised_at, level, body, due_on) \
                 VALUES ($1, $2, now() - make_interval(days => $3), 'district', 'Aide demandée', \
                 DATE '2026-11-29' - $3 + 7)",
            )
            .bind(member)
            .bind(rep)
            .bind(days_ago)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    raise(1).await;
    raise(10).await;
    app.login("gest.a@test.ca", PASSWORD).await;
    let home = app.get("/district").await.text().await.unwrap();
    assert!(
        home.contains("<strong>2</strong> escalades à traiter"),
        "{home}"
    );
    assert!(home.contains("1 en retard"));
    // The other district's manager has none.
    let other = app.sibling().await;
    other.login("gest.b@test.ca", PASSWORD).await;
    let home = other.get("/district").await.text().await.unwrap();
    assert!(home.contains("<strong>0</strong> escalade à traiter"));
    assert!(!home.contains("en retard (plus"));
}

/// The direction's filters list groups and representatives once a district
/// is chosen (a network has thousands of groups); a group already chosen
/// stays offered; a manager is offered only their district's.
#[tokio::test]
async fn list_filters_offer_the_groups_of_the_district_chosen() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let montreal = app.create_district("Montréal").await;
    let quebec = app.create_district("Québec").await;
    insert_group(&app.pool, montreal, "Groupe Mont-Royal", "A").await;
    let capitale = insert_group(&app.pool, quebec, "Groupe Capitale", "A").await;
    let limoilou = insert_group(&app.pool, quebec, "Groupe Limoilou", "A").await;
    let rep = app
        .create_user("rep.quebec@test.ca", Role::Representative, Some(quebec))
        .await;
    MemberBuilder::new(quebec)
        .exclusive_in(limoilou, "A")
        .rep(rep)
        .insert(&app.pool)
        .await;
    app.login_as(Role::Direction).await;
    let page = app.get("/membres").await.text().await.unwrap();
    assert!(!page.contains("Groupe Mont-Royal") && !page.contains("Groupe Capitale"));
    assert!(page.contains("Choisissez d'abord un district"));
    let page = app
        .get(&format!("/membres?district={quebec}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Groupe Capitale") && !page.contains("Groupe Mont-Royal"));
    assert!(page.contains(">Test rep.quebec@test.ca</option>"));
    assert!(!page.contains("Choisissez d'abord un district"));
    let page = app
        .get(&format!("/membres?groupe={capitale}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(
        "<option value=\"{capitale}\" selected>Groupe Capitale"
    )));
    // A manager of Montréal asking for Québec's group is offered Montréal's.
    let manager = app.sibling().await;
    manager
        .create_user("gest@test.ca", Role::DistrictManager, Some(montreal))
        .await;
    manager.login("gest@test.ca", PASSWORD).await;
    let page = manager
        .get(&format!("/membres?groupe={capitale}&district={quebec}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Groupe Mont-Royal") && !page.contains("Groupe Capitale"));
    // A representative is offered the groups of their portfolio and
    // themselves, not the district's other groups and colleagues.
    app.create_user("rep2.quebec@test.ca", Role::Representative, Some(quebec))
        .await;
    let rep_app = app.sibling().await;
    rep_app.login("rep.quebec@test.ca", PASSWORD).await;
    let page = rep_app.get("/membres").await.text().await.unwrap();
    assert!(page.contains("Groupe Limoilou") && !page.contains("Groupe Capitale"));
    assert!(!page.contains("rep2.quebec@test.ca"));
}
