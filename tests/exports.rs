//! CSV exports of the lists: escalations, the billing queue, the district
//! team's activity, groups and districts. Each follows its page's guard,
//! scope and filters, comes in both dialects and neutralises formula cells.
mod common;

use chrono::NaiveDate;
use common::{PASSWORD, TestApp};
use renouvo::domain::member::profession_key;
use renouvo::domain::user::Role;
use sqlx::PgPool;

const BOM: &str = "\u{feff}";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Two districts, a team in each, one person per browser.
struct Network {
    direction: TestApp,
    billing: TestApp,
    manager: TestApp,
    other_manager: TestApp,
    rep: TestApp,
    district: i64,
    other_district: i64,
    rep_id: i64,
    other_rep_id: i64,
    far_rep_id: i64,
    direction_id: i64,
    billing_id: i64,
}

async fn network() -> Network {
    let direction = TestApp::spawn_at(d("2026-11-29")).await;
    let district = direction.create_district("Montréal").await;
    let other_district = direction.create_district("Capitale-Nationale").await;
    let direction_id = direction
        .create_user("dir@test.ca", Role::Direction, None)
        .await;
    let billing_id = direction
        .create_user("fact@test.ca", Role::Billing, None)
        .await;
    direction
        .create_user("gest@test.ca", Role::DistrictManager, Some(district))
        .await;
    direction
        .create_user("gest2@test.ca", Role::DistrictManager, Some(other_district))
        .await;
    let rep_id = direction
        .create_user("rep@test.ca", Role::Representative, Some(district))
        .await;
    let other_rep_id = direction
        .create_user("rep2@test.ca", Role::Representative, Some(district))
        .await;
    let far_rep_id = direction
        .create_user("rep3@test.ca", Role::Representative, Some(other_district))
        .await;
    let as_user = |email: &'static str| {
        let direction = &direction;
        async move {
            let app = direction.sibling().await;
            assert_eq!(app.login(email, PASSWORD).await.status(), 303, "{email}");
            app
        }
    };
    let billing = as_user("fact@test.ca").await;
    let manager = as_user("gest@test.ca").await;
    let other_manager = as_user("gest2@test.ca").await;
    let rep = as_user("rep@test.ca").await;
    assert_eq!(direction.login("dir@test.ca", PASSWORD).await.status(), 303);
    Network {
        direction,
        billing,
        manager,
        other_manager,
        rep,
        district,
        other_district,
        rep_id,
        other_rep_id,
        far_rep_id,
        direction_id,
        billing_id,
    }
}

async fn member(pool: &PgPool, name: &str, district: i64, rep: Option<i64>) -> i64 {
    let profession = format!("Profession {name}");
    sqlx::query_scalar(
        "INSERT INTO members (first_name, last_name, profession, profession_key, district_id, \
         formula, representative_id, join_date, renewal_date) \
         VALUES ('Membre', $1, $2, $3, $4, 'regional', $5, '2015-01-01', '2027-01-15') \
         RETURNING id",
    )
    .bind(name)
    .bind(&profession)
    .bind(profession_key(&profession))
    .bind(district)
    .bind(rep)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn escalation(
    pool: &PgPool,
    member: i64,
    raised_by: i64,
    level: &str,
    body: &str,
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO escalations (member_id, raised_by, raised_at, level, body, due_on, status, \
         resolved_at, resolution) \
         VALUES ($1, $2, '2026-11-20 15:00+00', $3, $4, '2026-11-27', $5, \
                 CASE WHEN $5 = 'resolved' THEN '2026-11-21 15:00+00'::timestamptz END, \
                 CASE WHEN $5 = 'resolved' THEN 'Réglé' END) RETURNING id",
    )
    .bind(member)
    .bind(raised_by)
    .bind(level)
    .bind(body)
    .bind(status)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The download: status, content type and text.
async fn download(app: &TestApp, path: &str) -> (u16, String, String) {
    let resp = app.get(path).await;
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, kind, resp.text().await.unwrap())
}

/// A CSV download in the Excel dialect: checked and returned without its BOM.
async fn excel_csv(app: &TestApp, path: &str) -> String {
    let (status, kind, text) = download(app, path).await;
    assert_eq!(status, 200, "{path}: {text}");
    assert!(kind.starts_with("text/csv"), "{path}: {kind}");
    let body = text.strip_prefix(BOM).expect("a byte-order mark");
    let header = body.lines().next().unwrap_or("");
    assert!(header.contains(';') && !header.contains(','), "{header}");
    body.to_string()
}

/// The same export with `format=virgule`.
async fn comma_csv(app: &TestApp, path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, kind, text) = download(app, &format!("{path}{sep}format=virgule")).await;
    assert_eq!(status, 200, "{path}");
    assert!(kind.starts_with("text/csv"));
    assert!(!text.starts_with(BOM));
    let header = text.lines().next().unwrap_or("");
    assert!(header.contains(',') && !header.contains(';'), "{header}");
    text
}

fn data_rows(csv: &str) -> usize {
    csv.lines().count().saturating_sub(1)
}

/// The network with five escalations: Tremblay (rep's own member) has an
/// open `=HYPERLINK` and a resolved `-12`; Gagnon (a colleague's) an open
/// `@SOMME` at district level and a tab-led one at direction level; Roy
/// (the other district) a CR-led one.
async fn escalations_network() -> Network {
    let n = network().await;
    let pool = &n.direction.pool;
    let own = member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    let colleague = member(pool, "Gagnon", n.district, Some(n.other_rep_id)).await;
    let far = member(pool, "Roy", n.other_district, Some(n.far_rep_id)).await;
    let (rep, other_rep) = (n.rep_id, n.other_rep_id);
    escalation(pool, own, rep, "district", "=HYPERLINK(\"x\")", "open").await;
    escalation(pool, own, rep, "district", "-12", "resolved").await;
    escalation(pool, colleague, other_rep, "district", "@SOMME", "open").await;
    escalation(pool, colleague, other_rep, "direction", "\tcaché", "open").await;
    escalation(pool, far, n.far_rep_id, "district", "\rretour", "open").await;
    n
}

#[tokio::test]
async fn the_escalations_export_neutralises_formula_cells_in_both_dialects_and_keeps_numbers() {
    let n = escalations_network().await;
    let all = excel_csv(&n.direction, "/escalades/export.csv?statut=all").await;
    assert_eq!(data_rows(&all), 5, "{all}");
    assert!(all.starts_with("Numéro;Membre;District;Niveau"));
    for neutralised in ["'=HYPERLINK", "'@SOMME", "'\tcaché", "'\rretour"] {
        assert!(all.contains(neutralised), "{neutralised:?} in {all}");
    }
    assert!(all.contains(";-12;") && !all.contains("'-12"), "{all}");
    let comma = comma_csv(&n.direction, "/escalades/export.csv?statut=all").await;
    assert_eq!(data_rows(&comma), 5);
    assert!(comma.starts_with("Numéro,Membre,District,Niveau"));
}

#[tokio::test]
async fn direction_exports_the_whole_networks_escalations_with_the_pages_filters() {
    let n = escalations_network().await;
    let pending = excel_csv(&n.direction, "/escalades/export.csv").await;
    assert_eq!(data_rows(&pending), 4, "resolved left out by default");
    let in_quebec = excel_csv(
        &n.direction,
        &format!(
            "/escalades/export.csv?statut=all&district={}",
            n.other_district
        ),
    )
    .await;
    assert_eq!(data_rows(&in_quebec), 1);
    assert!(in_quebec.contains("Membre Roy") && !in_quebec.contains("Tremblay"));
    let direction_level = excel_csv(
        &n.direction,
        "/escalades/export.csv?statut=all&niveau=direction",
    )
    .await;
    assert_eq!(data_rows(&direction_level), 1);
}

#[tokio::test]
async fn a_manager_exports_the_district_level_escalations_of_their_district_only() {
    let n = escalations_network().await;
    let managed = excel_csv(&n.manager, "/escalades/export.csv?statut=all").await;
    assert_eq!(data_rows(&managed), 3, "{managed}");
    assert!(!managed.contains("Membre Roy") && !managed.contains("caché"));
    let other = excel_csv(&n.other_manager, "/escalades/export.csv?statut=all").await;
    assert_eq!(data_rows(&other), 1);
    // A manager's district filter is not theirs to change.
    let forced = excel_csv(
        &n.manager,
        &format!(
            "/escalades/export.csv?statut=all&district={}",
            n.other_district
        ),
    )
    .await;
    assert_eq!(data_rows(&forced), 3);
}

#[tokio::test]
async fn a_representative_exports_what_they_raised_and_billing_gets_no_escalations() {
    let n = escalations_network().await;
    // All statuses by default.
    let raised = excel_csv(&n.rep, "/escalades/export.csv").await;
    assert_eq!(data_rows(&raised), 2, "{raised}");
    assert!(!raised.contains("Gagnon"));
    let (status, _, _) = download(&n.billing, "/escalades/export.csv").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_escalations_page_offers_both_files_with_its_filters() {
    let n = escalations_network().await;
    let page = n
        .direction
        .get("/escalades?statut=all&niveau=district")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/escalades/export.csv?niveau=district&#38;statut=all\""));
    assert!(page.contains(
        "href=\"/escalades/export.csv?niveau=district&#38;statut=all&#38;format=virgule\""
    ));
}

async fn request(
    pool: &PgPool,
    member: i64,
    by: i64,
    status: &str,
    amount: Option<i64>,
    note: &str,
    decision: &str,
) {
    sqlx::query(
        "INSERT INTO billing_requests (member_id, cycle, requested_by, requested_at, decision, \
         note, amount_cents, status, invoice_sent_at, paid_at) \
         VALUES ($1, 1, $2, '2026-11-10 15:00+00', $3, $4, $5, $6, \
                 CASE WHEN $6 IN ('invoice_sent', 'paid') THEN '2026-11-12 15:00+00'::timestamptz END, \
                 CASE WHEN $6 = 'paid' THEN '2026-11-20 15:00+00'::timestamptz END)",
    )
    .bind(member)
    .bind(by)
    .bind(decision)
    .bind(note)
    .bind(amount)
    .bind(status)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn billing_export_gives_each_tab_with_amounts_to_billing_and_direction_only() {
    let n = network().await;
    let pool = &n.direction.pool;
    let a = member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    let b = member(pool, "Gagnon", n.district, Some(n.rep_id)).await;
    let c = member(pool, "Roy", n.other_district, Some(n.far_rep_id)).await;
    let e = member(pool, "Côté", n.other_district, Some(n.far_rep_id)).await;
    request(
        pool,
        a,
        n.rep_id,
        "invoice_sent",
        Some(123_450),
        "+ rabais CA",
        "renew_same",
    )
    .await;
    request(pool, b, n.rep_id, "paid", Some(99_900), "", "renew_same").await;
    request(
        pool,
        c,
        n.far_rep_id,
        "requested",
        None,
        "-12",
        "renew_same",
    )
    .await;
    request(pool, e, n.far_rep_id, "requested", None, "", "not_renewing").await;

    // « À traiter »: open requests of members who renew, network-wide.
    let open = excel_csv(&n.billing, "/facturation/export.csv").await;
    assert_eq!(data_rows(&open), 2, "{open}");
    assert!(open.contains(";1234,50;"), "decimal comma: {open}");
    assert!(open.contains("'+ rabais CA"));
    assert!(open.contains(";-12;"));
    assert!(open.contains("Membre Roy"), "billing sees every district");
    let comma = comma_csv(&n.billing, "/facturation/export.csv").await;
    assert!(comma.contains(",1234.50,"), "decimal point: {comma}");
    // Tabs as on the page.
    let paid = excel_csv(&n.direction, "/facturation/export.csv?statut=payees").await;
    assert_eq!(data_rows(&paid), 1);
    assert!(paid.contains("Membre Gagnon") && paid.contains(";999,00;"));
    let leaving = excel_csv(&n.billing, "/facturation/export.csv?statut=sans-facture").await;
    assert_eq!(data_rows(&leaving), 1);
    assert!(leaving.contains("Membre Côté"));
    let every = excel_csv(&n.billing, "/facturation/export.csv?statut=toutes").await;
    assert_eq!(data_rows(&every), 4);

    // Refused where the page is refused.
    for app in [&n.rep, &n.manager] {
        let (status, kind, _) = download(app, "/facturation/export.csv").await;
        assert_eq!(status, 403);
        assert!(!kind.starts_with("text/csv"));
    }
    let page = n
        .billing
        .get("/facturation?statut=payees")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/facturation/export.csv?statut=payees\""));
    assert!(page.contains("href=\"/facturation/export.csv?statut=payees&#38;format=virgule\""));
}

#[tokio::test]
async fn district_activity_export_lists_the_managers_own_team() {
    let n = network().await;
    let pool = &n.direction.pool;
    sqlx::query("UPDATE users SET display_name = '=Équipe' WHERE id = $1")
        .bind(n.other_rep_id)
        .execute(pool)
        .await
        .unwrap();
    let m = member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    sqlx::query(
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, state) \
         VALUES ($1, $2, '2026-11-20 15:00+00', 'call', 'Appel', 1, 'green')",
    )
    .bind(m)
    .bind(n.rep_id)
    .execute(pool)
    .await
    .unwrap();

    let team = excel_csv(&n.manager, "/district/activite/export.csv").await;
    assert_eq!(data_rows(&team), 2, "{team}");
    assert!(team.starts_with("Représentant·e;Membres actifs;Suivis consignés"));
    assert!(team.contains("Test rep@test.ca;1;1;0;"), "{team}");
    assert!(team.contains("'=Équipe"));
    assert!(!team.contains("rep3@test.ca"), "another district's team");
    let other = excel_csv(&n.other_manager, "/district/activite/export.csv").await;
    assert_eq!(data_rows(&other), 1);
    assert!(other.contains("rep3@test.ca"));
    let comma = comma_csv(&n.manager, "/district/activite/export.csv").await;
    assert!(comma.contains("Test rep@test.ca,1,1,0,"), "{comma}");

    for app in [&n.direction, &n.rep, &n.billing] {
        let (status, _, _) = download(app, "/district/activite/export.csv").await;
        assert_eq!(status, 403);
    }
    let page = n
        .manager
        .get("/district/activite")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/district/activite/export.csv\""));
    assert!(page.contains("href=\"/district/activite/export.csv?format=virgule\""));
}

async fn group(pool: &PgPool, district: i64, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind, meeting_day, meeting_time) \
         VALUES ($1, $2, 'B', 2, '07:00') RETURNING id",
    )
    .bind(district)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn groups_export_keeps_each_role_to_its_district_and_the_filter() {
    let n = network().await;
    let pool = &n.direction.pool;
    group(pool, n.district, "@Affaires Plateau").await;
    group(pool, n.district, "Montréal Centre").await;
    group(pool, n.other_district, "Québec Vieux-Port").await;

    let all = excel_csv(&n.direction, "/groupes/export.csv").await;
    assert_eq!(data_rows(&all), 3, "{all}");
    assert!(all.contains("'@Affaires Plateau;Montréal;B;mardi;07:00;actif;0"));
    let filtered = excel_csv(
        &n.direction,
        &format!("/groupes/export.csv?district={}", n.other_district),
    )
    .await;
    assert_eq!(data_rows(&filtered), 1);
    assert!(filtered.contains("Québec Vieux-Port"));
    let comma = comma_csv(&n.direction, "/groupes/export.csv").await;
    assert!(comma.contains("'@Affaires Plateau,Montréal,B,mardi,07:00,actif,0"));

    // A representative and a manager: their district only, whatever they ask.
    for app in [&n.rep, &n.manager] {
        let theirs = excel_csv(
            app,
            &format!("/groupes/export.csv?district={}", n.other_district),
        )
        .await;
        assert_eq!(data_rows(&theirs), 2, "{theirs}");
        assert!(!theirs.contains("Vieux-Port"));
    }
    let (status, _, _) = download(&n.billing, "/groupes/export.csv").await;
    assert_eq!(status, 403);
    let page = n
        .direction
        .get(&format!("/groupes?district={}", n.district))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(
        "href=\"/groupes/export.csv?district={}\"",
        n.district
    )));
}

#[tokio::test]
async fn districts_export_is_directions_with_its_counts() {
    let n = network().await;
    let pool = &n.direction.pool;
    let plus = n.direction.create_district("+Laval").await;
    sqlx::query("UPDATE districts SET active = false WHERE id = $1")
        .bind(plus)
        .execute(pool)
        .await
        .unwrap();
    member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    group(pool, n.district, "Montréal Centre").await;

    let all = excel_csv(&n.direction, "/districts/export.csv").await;
    assert_eq!(data_rows(&all), 3, "{all}");
    assert!(all.contains("Montréal;actif;1;1;1;1;2"), "{all}");
    assert!(all.contains("'+Laval;inactif;0;0;0;0;0"));
    let comma = comma_csv(&n.direction, "/districts/export.csv").await;
    assert!(comma.contains("Montréal,actif,1,1,1,1,2"));
    for app in [&n.manager, &n.rep, &n.billing] {
        let (status, _, _) = download(app, "/districts/export.csv").await;
        assert_eq!(status, 403);
    }
    let page = n.direction.get("/districts").await.text().await.unwrap();
    assert!(page.contains("href=\"/districts/export.csv\""));
    assert!(page.contains("href=\"/districts/export.csv?format=virgule\""));
    let _ = (n.direction_id, n.billing_id);
}

#[tokio::test]
async fn a_long_escalation_queue_streams_whole() {
    let n = network().await;
    let pool = &n.direction.pool;
    let m = member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    sqlx::query(
        "INSERT INTO escalations (member_id, raised_by, raised_at, level, body, due_on) \
         SELECT $1, $2, '2026-11-20 15:00+00', 'district', \
                'Escalade numéro ' || i || ' ' || repeat('x', 200), '2026-11-27' \
         FROM generate_series(1, 3000) i",
    )
    .bind(m)
    .bind(n.rep_id)
    .execute(pool)
    .await
    .unwrap();
    let all = excel_csv(&n.direction, "/escalades/export.csv").await;
    assert_eq!(data_rows(&all), 3000);
    assert!(all.contains("Escalade numéro 3000 "));
    assert!(all.ends_with('\n'));
}

#[tokio::test]
async fn a_streamed_export_arrives_whole_when_the_browser_accepts_gzip() {
    let n = network().await;
    let pool = &n.direction.pool;
    let m = member(pool, "Tremblay", n.district, Some(n.rep_id)).await;
    escalation(
        pool,
        m,
        n.rep_id,
        "district",
        "Le membre attend une réponse",
        "open",
    )
    .await;
    // Browsers ask for compressed answers; the compressed stream must end
    // cleanly (it used to reset the connection once the rows were sent).
    let resp = n
        .direction
        .client
        .get(n.direction.url("/escalades/export.csv"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let body = resp.bytes().await.expect("the whole compressed file");
    assert_eq!(body.get(..2), Some(&[0x1f, 0x8b][..]), "a gzip stream");
}

/// Browsers all ask for gzip: a streamed export must reach its end through
/// the compression layer (it once panicked there, after the last chunk,
/// and the download failed).
#[tokio::test]
async fn streamed_exports_complete_when_compressed() {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    app.login_as(Role::Direction).await;
    for path in [
        "/membres/export.csv",
        "/escalades/export.csv",
        "/facturation/export.csv",
    ] {
        let resp = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("GET");
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            resp.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("gzip"),
            "{path}"
        );
        let body = resp.bytes().await;
        assert!(body.is_ok(), "{path}: download cut short: {body:?}");
        assert!(
            body.is_ok_and(|b| b.starts_with(&[0x1f, 0x8b])),
            "{path}: not gzip"
        );
    }
}
