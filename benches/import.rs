//! Importing a 10,000-line file into a network of 100,000 members:
//! `cargo bench --bench import`. Target: preview and import under 10 s.
//!
//! The file has 5,000 lines updating existing members (a new phone) and
//! 5,000 new members. Times are taken through the real router: upload and
//! preview, then the confirmation. Exits non-zero when over budget.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::import::{HEADER, client_as, confirm, counts, d, fingerprint, upload};
use renouvo::domain::user::Role;

const MEMBERS: i64 = 100_000;
const UPDATES: usize = 5_000;
const CREATES: usize = 5_000;
const BUDGET: Duration = Duration::from_secs(10);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ok = runtime.block_on(run());
    if !ok {
        std::process::exit(1);
    }
}

async fn run() -> bool {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let started = Instant::now();
    fill(&app).await;
    println!(
        "{MEMBERS} membres générés en {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.create_user("dir@bench.ca", Role::Direction, None).await;
    let client = client_as(&app, "dir@bench.ca").await;
    let file = file();
    println!(
        "fichier : {} lignes, {:.1} Mo",
        UPDATES + CREATES,
        file.len() as f64 / 1e6
    );

    let t = Instant::now();
    let resp = upload(&app, &client, "bench.csv", file).await;
    assert_eq!(resp.status(), 303, "envoi");
    let target = common::location(&resp);
    let uploaded = t.elapsed();
    let page = client.get(app.url(&target)).send().await.expect("aperçu");
    assert_eq!(page.status(), 200, "aperçu");
    let page = page.text().await.expect("page");
    let previewed = t.elapsed();
    assert_eq!(
        counts(&page),
        [CREATES, UPDATES, 0, 0],
        "comptes de l'aperçu"
    );
    assert!(!fingerprint(&page).is_empty());

    let token = target.trim_start_matches("/membres/import/").to_string();
    let t2 = Instant::now();
    let resp = confirm(&app, &client, &token, &page).await;
    assert_eq!(resp.status(), 303, "confirmation");
    let imported = t2.elapsed();
    let total = previewed + imported;

    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM members")
        .fetch_one(&app.pool)
        .await
        .expect("compte");
    assert_eq!(written, MEMBERS + CREATES as i64);
    println!("envoi du fichier           {:>8.0} ms", ms(uploaded));
    println!("envoi + aperçu             {:>8.0} ms", ms(previewed));
    println!("confirmation (écriture)    {:>8.0} ms", ms(imported));
    println!(
        "aperçu + importation       {:>8.0} ms  (budget {} s){}",
        ms(total),
        BUDGET.as_secs(),
        if total > BUDGET { "  DÉPASSÉ" } else { "" }
    );
    total <= BUDGET
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 5,000 existing members with a new phone, 5,000 new members.
fn file() -> Vec<u8> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for i in 1..=UPDATES {
        // Members i*7 of the generated set (see `fill`).
        let n = i * 7;
        let district = ["Montréal", "Capitale-Nationale", "Montérégie"][n % 3];
        text.push_str(&format!(
            "Membre {n};Prénom;Entreprise {n};Profession {p};m{n}@bench.example;438 555-{ph:04};\
             Ville;{district};Groupe B;Siège exclusif;Représentant {r};2015-01-01;2027-06-01\n",
            p = n % 300,
            ph = n % 10_000,
            r = (n + 59) % 60 + 1,
        ));
    }
    for i in 1..=CREATES {
        let district = ["Montréal", "Capitale-Nationale", "Montérégie"][i % 3];
        text.push_str(&format!(
            "Nouveau {i};Prénom;;Métier {i};nouveau{i}@bench.example;514 555-0000;Ville;\
             {district};;Siège régional;;2026-01-01;2027-01-01\n"
        ));
    }
    text.into_bytes()
}

/// Three districts with a B group each, 60 representatives, 100,000
/// members with an email each (`m<n>@bench.example`).
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
    // Representative r works in district (r % 3), like member n = r.
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
        "INSERT INTO members (first_name, last_name, business_name, profession, profession_key, \
           email, phone, city, district_id, group_id, group_kind, formula, representative_id, \
           join_date, renewal_date) \
         SELECT 'Prénom', 'Membre ' || i, 'Entreprise ' || i, 'Profession ' || (i % 300), \
                'profession ' || (i % 300), 'm' || i || '@bench.example', '514 555-0100', \
                'Ville', g.district_id, g.id, 'B', 'exclusive', \
                (SELECT min(id) FROM users WHERE role = 'representative') + ((i % 60 + 59) % 60), \
                DATE '2015-01-01', DATE '2027-06-01' \
         FROM generate_series(1, $1) AS i \
         JOIN groups g ON g.district_id = (SELECT min(id) FROM districts) + (i % 3)",
    )
    .bind(MEMBERS)
    .execute(pool)
    .await
    .expect("membres");
    sqlx::query("VACUUM ANALYZE")
        .execute(pool)
        .await
        .expect("vacuum");
}
