//! Set-up shared by the import tests and benchmark: a small network, its
//! members, and the upload → preview → confirm steps through the router.
use chrono::NaiveDate;
use renouvo::domain::member::profession_key;
use renouvo::domain::user::Role;
use sqlx::PgPool;

use super::{PASSWORD, TestApp, location};

/// The export's header, in the Excel dialect.
pub const HEADER: &str = "Nom;Prénom;Entreprise;Profession;Courriel;Téléphone;Ville;District;\
     Groupe;Formule;Représentant·e;Adhésion;Renouvellement";

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date de test")
}

pub async fn group(pool: &PgPool, district: i64, name: &str, kind: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO groups (district_id, name, kind, meeting_day) VALUES ($1, $2, $3, 2) \
         RETURNING id",
    )
    .bind(district)
    .bind(name)
    .bind(kind)
    .fetch_one(pool)
    .await
    .expect("groupe")
}

/// A member as the tests describe it.
pub struct Person<'a> {
    pub first: &'a str,
    pub last: &'a str,
    pub email: &'a str,
    pub business: &'a str,
    pub profession: &'a str,
    pub district: i64,
    /// Group id and kind (exclusive seats only).
    pub group: Option<(i64, &'a str)>,
    pub rep: Option<i64>,
    pub join: &'a str,
    pub renewal: &'a str,
}

pub async fn insert_person(pool: &PgPool, p: Person<'_>) -> i64 {
    let formula = if p.group.is_some() {
        "exclusive"
    } else {
        "regional"
    };
    sqlx::query_scalar(
        "INSERT INTO members (first_name, last_name, email, business_name, profession, \
         profession_key, phone, city, district_id, group_id, group_kind, formula, \
         representative_id, join_date, renewal_date) \
         VALUES ($1, $2, $3, $4, $5, $6, '514 555-0100', 'Montréal', $7, $8, $9::char(1), $10, \
         $11, $12, $13) RETURNING id",
    )
    .bind(p.first)
    .bind(p.last)
    .bind(p.email)
    .bind(p.business)
    .bind(p.profession)
    .bind(profession_key(p.profession))
    .bind(p.district)
    .bind(p.group.map(|g| g.0))
    .bind(p.group.map(|g| g.1))
    .bind(formula)
    .bind(p.rep)
    .bind(d(p.join))
    .bind(d(p.renewal))
    .fetch_one(pool)
    .await
    .expect("membre")
}

/// Two districts, each with a manager, a representative and an A group;
/// a direction and a billing account; one member in each district.
pub struct Network {
    pub app: TestApp,
    pub montreal: i64,
    pub laval: i64,
    pub group_mtl: i64,
    pub group_laval: i64,
    pub rep_mtl: i64,
    pub rep_laval: i64,
    pub marie: i64,
    pub sylvie: i64,
}

pub async fn network() -> Network {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let pool = app.pool.clone();
    let montreal = app.create_district("Montréal").await;
    let laval = app.create_district("Laval").await;
    app.create_user("gest.mtl@test.ca", Role::DistrictManager, Some(montreal))
        .await;
    app.create_user("gest.laval@test.ca", Role::DistrictManager, Some(laval))
        .await;
    let rep_mtl = app
        .create_user("rep.mtl@test.ca", Role::Representative, Some(montreal))
        .await;
    let rep_laval = app
        .create_user("rep.laval@test.ca", Role::Representative, Some(laval))
        .await;
    app.create_user("dir@test.ca", Role::Direction, None).await;
    app.create_user("fact@test.ca", Role::Billing, None).await;
    let group_mtl = group(&pool, montreal, "Centre-ville", "A").await;
    let group_laval = group(&pool, laval, "Laval Affaires", "A").await;
    let marie = insert_person(
        &pool,
        Person {
            first: "Marie",
            last: "Tremblay",
            email: "marie@exemple.ca",
            business: "Études Tremblay",
            profession: "Notaire",
            district: montreal,
            group: Some((group_mtl, "A")),
            rep: Some(rep_mtl),
            join: "2020-03-15",
            renewal: "2027-03-15",
        },
    )
    .await;
    let sylvie = insert_person(
        &pool,
        Person {
            first: "Sylvie",
            last: "Roy",
            email: "sylvie@exemple.ca",
            business: "",
            profession: "Dentiste",
            district: laval,
            group: Some((group_laval, "A")),
            rep: Some(rep_laval),
            join: "2021-01-10",
            renewal: "2027-01-10",
        },
    )
    .await;
    Network {
        app,
        montreal,
        laval,
        group_mtl,
        group_laval,
        rep_mtl,
        rep_laval,
        marie,
        sylvie,
    }
}

/// A client of `app` logged in as `email`.
pub async fn client_as(app: &TestApp, email: &str) -> reqwest::Client {
    let client = app.new_client();
    let resp = client
        .post(app.url("/login"))
        .header("origin", format!("http://{}", app.addr))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("connexion");
    assert_eq!(resp.status(), 303, "connexion de {email}");
    client
}

/// Posts a file to the upload form.
pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("text/csv")
        .expect("type");
    client
        .post(app.url("/membres/import"))
        .header("origin", format!("http://{}", app.addr))
        .multipart(reqwest::multipart::Form::new().part("fichier", part))
        .send()
        .await
        .expect("envoi du fichier")
}

/// Uploads a file and opens its preview: the token and the preview page.
pub async fn preview(app: &TestApp, client: &reqwest::Client, bytes: Vec<u8>) -> (String, String) {
    let resp = upload(app, client, "membres.csv", bytes).await;
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let target = location(&resp);
    let token = target
        .strip_prefix("/membres/import/")
        .expect("adresse de l'aperçu")
        .to_string();
    let page = client.get(app.url(&target)).send().await.expect("aperçu");
    assert_eq!(page.status(), 200);
    (token, page.text().await.expect("page"))
}

/// The fingerprint the preview's confirmation form carries.
pub fn fingerprint(page: &str) -> String {
    let marker = "name=\"empreinte\" value=\"";
    page.find(marker)
        .map(|i| &page[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// Confirms the preview.
pub async fn confirm(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    page: &str,
) -> reqwest::Response {
    client
        .post(app.url(&format!("/membres/import/{token}")))
        .header("origin", format!("http://{}", app.addr))
        .form(&[("empreinte", fingerprint(page))])
        .send()
        .await
        .expect("confirmation")
}

/// A CSV file in the Excel dialect (`;`, no BOM) from lines of cells.
pub fn csv_file(lines: &[String]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text.into_bytes()
}

/// The counts the preview shows, in order: create, update, unchanged, refused.
pub fn counts(page: &str) -> [usize; 4] {
    let mut out = [0; 4];
    for (i, key) in ["create", "update", "unchanged", "refused"]
        .iter()
        .enumerate()
    {
        let marker = format!("<li class=\"import-count {key}\"><span class=\"count\">");
        out[i] = page
            .find(&marker)
            .map(|p| &page[p + marker.len()..])
            .and_then(|rest| rest.split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(usize::MAX);
    }
    out
}
