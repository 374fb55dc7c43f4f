//! Server time of the member list and the home page at 100,000 members.
//! `cargo bench --bench member_list` (the target: 50 ms per page).
//!
//! It starts the embedded PostgreSQL of the test harness, fills a fresh
//! database with generated members, runs the real app, logs in as
//! direction and times each page over several requests.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::TestApp;
use renouvo::domain::user::Role;

const MEMBERS: i64 = 100_000;
const ROUNDS: usize = 15;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let app = TestApp::spawn_at(today).await;
    let started = Instant::now();
    fill(&app).await;
    println!(
        "{MEMBERS} membres générés en {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.login_as(Role::Direction).await;

    let pages = [
        "/membres",
        "/membres?couleur=red",
        "/membres?etape=before_1m",
        "/membres?tri=nom&page=40",
        "/membres?q=tremblay",
        "/membres?representant=aucun",
        "/direction",
    ];
    println!("{:<34} {:>10} {:>10}", "page", "médiane", "max");
    for page in pages {
        let mut times = Vec::with_capacity(ROUNDS);
        // One warm-up request, then the measured ones.
        let _ = app.get(page).await.bytes().await;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let resp = app.get(page).await;
            assert_eq!(resp.status(), 200, "{page}");
            let _ = resp.bytes().await;
            times.push(t.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        let max = times[times.len() - 1];
        let flag = if median > Duration::from_millis(50) {
            "  > 50 ms"
        } else {
            ""
        };
        println!(
            "{page:<34} {:>8.1} ms {:>8.1} ms{flag}",
            ms(median),
            ms(max)
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Members spread over three districts, every formula and term, renewal
/// dates from a year ago to two years ahead.
async fn fill(app: &TestApp) {
    let pool = &app.pool;
    for name in ["Montréal", "Capitale-Nationale", "Montérégie"] {
        let d = app.create_district(name).await;
        sqlx::query("INSERT INTO groups (district_id, name, kind) VALUES ($1, 'Groupe B', 'B')")
            .bind(d)
            .execute(pool)
            .await
            .expect("groupe");
    }
    sqlx::query(
        "INSERT INTO users (email, display_name, role, district_id, password_hash) \
         SELECT 'rep' || i || '@bench.ca', 'Représentant ' || i, 'representative', \
                (SELECT min(id) FROM districts) + (i % 3), 'x' \
         FROM generate_series(1, 60) AS i",
    )
    .execute(pool)
    .await
    .expect("représentants");
    sqlx::query(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
           group_id, group_kind, formula, representative_id, join_date, renewal_date, \
           term_months, state, last_contact_at) \
         SELECT (ARRAY['Marie','Jean','Julie','Luc','Sophie','Marc'])[1 + i % 6], \
                (ARRAY['Tremblay','Gagnon','Roy','Côté','Bouchard','Gauthier','Morin', \
                       'Lavoie','Fortin','Gagné'])[1 + (i / 7) % 10] || ' ' || i, \
                'Profession ' || (i % 300), 'profession ' || (i % 300), \
                g.district_id, \
                CASE WHEN i % 10 < 7 THEN g.id END, CASE WHEN i % 10 < 7 THEN 'B' END, \
                CASE WHEN i % 10 < 7 THEN 'exclusive' WHEN i % 10 < 9 THEN 'regional' \
                     ELSE 'partner' END, \
                CASE WHEN i % 25 = 0 THEN NULL ELSE \
                  (SELECT min(id) FROM users WHERE role = 'representative') + (i % 60) END, \
                DATE '2010-01-01' + (i % 3000)::int, \
                DATE '2025-11-29' + (i % 1095)::int, \
                (ARRAY[12, 12, 12, 24, 6])[1 + i % 5], \
                (ARRAY['flame','green','yellow','red',NULL])[1 + i % 5], \
                now() - make_interval(days => (i % 200)::int) \
         FROM generate_series(1, $1) AS i \
         JOIN groups g ON g.district_id = (SELECT min(id) FROM districts) + (i % 3)",
    )
    .bind(MEMBERS)
    .execute(pool)
    .await
    .expect("membres");
    // A live database is vacuumed by autovacuum: index-only scans work.
    sqlx::query("VACUUM ANALYZE")
        .execute(pool)
        .await
        .expect("vacuum");
}
