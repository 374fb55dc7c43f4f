//! Importing members from a CSV file, through the real router on a real
//! PostgreSQL: the preview's refusals, all or nothing, the export → import
//! round trip, encodings, size, scope and access.
mod common;

use common::import::{
    HEADER, Network, Person, client_as, confirm, counts, csv_file, d, insert_person, network,
    preview, upload,
};
use common::location;
use sqlx::PgPool;

const MARIE: &str = "Tremblay;Marie;Études Tremblay;Notaire;marie@exemple.ca;514 555-0100;\
                     Montréal;Montréal;Centre-ville;Siège exclusif;Test rep.mtl@test.ca;\
                     2020-03-15;2027-03-15";

/// A new member of Montréal, `profession` in the Centre-ville group.
fn newcomer(first: &str, email: &str, profession: &str) -> String {
    format!(
        "Nouveau;{first};;{profession};{email};;Laval;Montréal;Centre-ville;Siège exclusif;;\
         2026-01-01;2027-01-01"
    )
}

async fn member_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM members")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn phone_of(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT phone FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every member's fields and version, to compare before and after.
async fn snapshot(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT m::text FROM members m ORDER BY id", // the whole row, version included
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn audit_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_kind_of_refused_line_gets_its_french_reason_and_nothing_is_written() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let lines = vec![
        // 2: unchanged
        MARIE.to_string(),
        // 3: missing first name
        newcomer("", "a@exemple.ca", "Plombier"),
        // 4: bad date
        newcomer("Bea", "b@exemple.ca", "Peintre").replace("2026-01-01", "2026-02-30"),
        // 5: unknown district
        newcomer("Carl", "c@exemple.ca", "Menuisier").replace(";Montréal;Centre", ";Gaspé;Centre"),
        // 6: unknown group
        newcomer("Dina", "d@exemple.ca", "Fleuriste").replace("Centre-ville", "Plateau"),
        // 7: unknown representative
        newcomer("Éric", "e@exemple.ca", "Couvreur")
            .replace(";;2026-01-01", ";Jean Personne;2026-01-01"),
        // 8: seat held in the database by Marie
        newcomer("Fanny", "f@exemple.ca", "notaire"),
        // 9: creates the seat of an architect...
        newcomer("Gaël", "g@exemple.ca", "Architecte"),
        // 10: ...which this later line wants too
        newcomer("Hugo", "h@exemple.ca", "Architecte"),
        // 11: the same person as line 2
        MARIE.replace("514 555-0100", "514 555-0199"),
        // 12: renewal before joining
        newcomer("Iris", "i@exemple.ca", "Coiffeuse").replace("2027-01-01", "2025-06-01"),
    ];
    let before = member_count(&n.app.pool).await;
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    assert_eq!(counts(&page), [1, 0, 1, 9], "{page}");
    for expected in [
        "Prénom : Le prénom est obligatoire.",
        "Adhésion : « 2026-02-30 » n&#39;est pas une date valide",
        "District : District « Gaspé » inconnu",
        "Groupe : Groupe « Plateau » inconnu dans ce district.",
        "Représentant·e : Représentant·e « Jean Personne » inconnu·e",
        "La profession « notaire » est déjà occupée dans ce groupe par Marie Tremblay.",
        "est déjà prise dans ce groupe par Gaël Nouveau (ligne 9 du fichier)",
        "Cette personne figure déjà à la ligne 2 du fichier.",
        "La date de renouvellement doit suivre la date d&#39;adhésion.",
    ] {
        assert!(page.contains(expected), "{expected}\n{page}");
    }
    // Refused lines are listed before the line to create.
    let refused_at = page.find("badge import-refused").unwrap();
    let create_at = page.find("badge import-create").unwrap();
    assert!(refused_at < create_at);

    // The full list as CSV, one row per line of the file.
    let report = client
        .get(n.app.url(&format!("/membres/import/{token}/rapport.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(report.lines().count(), 1 + lines.len());
    assert!(report.contains("2;inchangé;Marie Tremblay;marie@exemple.ca;"));
    assert!(report.contains("11;refusé;"));

    // Only the preview so far: nothing written.
    assert_eq!(member_count(&n.app.pool).await, before);
    assert_eq!(phone_of(&n.app.pool, n.marie).await, "514 555-0100");
}

#[tokio::test]
async fn a_confirmed_import_creates_and_updates_in_one_audited_transaction() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let lines = vec![
        MARIE.replace("514 555-0100", "438 555-0199"),
        newcomer("Gaël", "gael@exemple.ca", "Architecte"),
        // Refused: skipped, the rest is imported.
        newcomer("", "x@exemple.ca", "Plombier"),
    ];
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    assert_eq!(counts(&page), [1, 1, 0, 1]);
    assert!(
        page.contains("Téléphone : 514 555-0100 → 438 555-0199"),
        "{page}"
    );
    let resp = confirm(&n.app, &client, &token, &page).await;
    assert_eq!(resp.status(), 303);
    let done = location(&resp);
    assert!(done.starts_with("/membres/import?importation="), "{done}");
    let notice = client.get(n.app.url(&done)).send().await.unwrap();
    let notice = notice.text().await.unwrap();
    assert!(
        notice.contains("1 créé, 1 mis à jour, 0 inchangé, 1 refusé"),
        "{notice}"
    );

    let pool = &n.app.pool;
    assert_eq!(phone_of(pool, n.marie).await, "438 555-0199");
    let version: i32 = sqlx::query_scalar("SELECT version FROM members WHERE id = $1")
        .bind(n.marie)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(version, 2);
    let (gael, group, rep): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT id, group_id, representative_id FROM members WHERE email = 'gael@exemple.ca'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((group, rep), (Some(n.group_mtl), None));
    let record: (String, i32, i32, i32, i32, i32) = sqlx::query_as(
        "SELECT file_name, lines, created, updated, unchanged, refused FROM member_imports",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(record, ("membres.csv".into(), 3, 1, 1, 0, 1));
    let phone_audit: (String, String) = sqlx::query_as(
        "SELECT old_value, new_value FROM audit_log WHERE entity = 'member' AND entity_id = $1 \
         AND field = 'Téléphone'",
    )
    .bind(n.marie)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(phone_audit, ("514 555-0100".into(), "438 555-0199".into()));
    let created: String = sqlx::query_scalar(
        "SELECT new_value FROM audit_log WHERE entity = 'member' AND entity_id = $1 \
         AND field = 'created'",
    )
    .bind(gael)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(
        created.starts_with("Gaël Nouveau (importation n° "),
        "{created}"
    );
    // The file is gone once imported: the same confirmation cannot run twice.
    let again = confirm(&n.app, &client, &token, &page).await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn a_failure_midway_writes_nothing_and_says_so_in_french() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let mut lines = vec![MARIE.replace("514 555-0100", "438 555-0199")];
    for i in 0..5 {
        lines.push(newcomer(
            &format!("P{i}"),
            &format!("p{i}@exemple.ca"),
            &format!("Métier {i}"),
        ));
    }
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    assert_eq!(counts(&page), [5, 1, 0, 0]);
    let pool = &n.app.pool;
    let members_before = snapshot(pool).await;
    let audit_before = audit_rows(pool).await;
    // The third audit row of the import fails: the members were already
    // inserted and updated by then, in the same transaction.
    sqlx::raw_sql(
        "CREATE TABLE audit_inserts (n integer NOT NULL); INSERT INTO audit_inserts VALUES (0); \
         CREATE FUNCTION fail_third_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN UPDATE audit_inserts SET n = n + 1; \
         IF (SELECT n FROM audit_inserts) = 3 THEN RAISE EXCEPTION 'panne simulée'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER fail_third_audit BEFORE INSERT ON audit_log FOR EACH ROW \
         EXECUTE FUNCTION fail_third_audit();",
    )
    .execute(pool)
    .await
    .unwrap();
    let resp = confirm(&n.app, &client, &token, &page).await;
    assert_eq!(resp.status(), 500);
    let body = resp.text().await.unwrap();
    assert!(body.contains("rien n&#39;a été enregistré"), "{body}");
    assert_eq!(snapshot(pool).await, members_before);
    assert_eq!(audit_rows(pool).await, audit_before);
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM member_imports")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(imports, 0);
    // The file is kept: once the failure is gone, the same preview imports.
    sqlx::raw_sql("DROP TRIGGER fail_third_audit ON audit_log")
        .execute(pool)
        .await
        .unwrap();
    let resp = confirm(&n.app, &client, &token, &page).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(phone_of(pool, n.marie).await, "438 555-0199");
}

#[tokio::test]
async fn a_line_refused_meanwhile_shows_the_preview_again_and_writes_nothing() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let lines = vec![
        MARIE.replace("514 555-0100", "438 555-0199"),
        newcomer("Gaël", "gael@exemple.ca", "Architecte"),
    ];
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    assert_eq!(counts(&page), [1, 1, 0, 0]);
    // Someone takes the architect's seat between preview and confirmation.
    insert_person(
        &n.app.pool,
        Person {
            first: "Zoé",
            last: "Rapide",
            email: "zoe@exemple.ca",
            business: "",
            profession: "Architecte",
            district: n.montreal,
            group: Some((n.group_mtl, "A")),
            rep: None,
            join: "2026-01-01",
            renewal: "2027-01-01",
        },
    )
    .await;
    let before = snapshot(&n.app.pool).await;
    let resp = confirm(&n.app, &client, &token, &page).await;
    assert_eq!(resp.status(), 409);
    let again = resp.text().await.unwrap();
    assert!(again.contains("ont changé depuis l&#39;aperçu"), "{again}");
    assert!(again.contains("déjà occupée dans ce groupe par Zoé Rapide"));
    assert_eq!(counts(&again), [0, 1, 0, 1]);
    assert_eq!(snapshot(&n.app.pool).await, before);
}

/// Members with what an export must carry back: accents, a business name
/// a spreadsheet would run, no email, no representative, a lost member,
/// a B group.
async fn varied_members(n: &Network) {
    let pool = &n.app.pool;
    let group_b = common::import::group(pool, n.montreal, "Groupe B Est", "B").await;
    for (first, last, email, business, profession, group, rep) in [
        (
            "Jean-François",
            "Côté",
            "JF@Exemple.ca",
            "=SOMME(A1)",
            "Électricien",
            Some((n.group_mtl, "A")),
            Some(n.rep_mtl),
        ),
        (
            "Luc",
            "Gagnon",
            "",
            "Gagnon, Roy; associés",
            "Plombier",
            None,
            None,
        ),
        (
            "Ève",
            "L'Heureux",
            "eve@exemple.ca",
            "-Rabais",
            "Comptable agréée",
            Some((group_b, "B")),
            Some(n.rep_mtl),
        ),
    ] {
        insert_person(
            pool,
            Person {
                first,
                last,
                email,
                business,
                profession,
                district: n.montreal,
                group,
                rep,
                join: "2019-05-31",
                renewal: "2027-05-31",
            },
        )
        .await;
    }
    let lost = insert_person(
        pool,
        Person {
            first: "Paul",
            last: "Parti",
            email: "paul@exemple.ca",
            business: "",
            profession: "Notaire",
            district: n.laval,
            group: Some((n.group_laval, "A")),
            rep: Some(n.rep_laval),
            join: "2018-01-01",
            renewal: "2026-01-01",
        },
    )
    .await;
    let reason: i64 = sqlx::query_scalar("SELECT min(id) FROM reasons")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE members SET status = 'lost', lost_on = '2026-01-01', lost_reason_id = $2, \
         board_member = true, gr_credits_cents = 5000, notes = 'Parti' WHERE id = $1",
    )
    .bind(lost)
    .bind(reason)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn exporting_then_importing_the_same_file_changes_nothing_in_both_dialects() {
    let n = network().await;
    varied_members(&n).await;
    let total = member_count(&n.app.pool).await as usize;
    for (who, expected) in [("dir@test.ca", total), ("gest.mtl@test.ca", 4)] {
        let client = client_as(&n.app, who).await;
        for query in ["statut=tous", "statut=tous&format=virgule"] {
            let export = client
                .get(n.app.url(&format!("/membres/export.csv?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(export.status(), 200);
            let bytes = export.bytes().await.unwrap().to_vec();
            let before = snapshot(&n.app.pool).await;
            let audit_before = audit_rows(&n.app.pool).await;
            let (token, page) = preview(&n.app, &client, bytes).await;
            assert_eq!(counts(&page), [0, 0, expected, 0], "{who} {query}\n{page}");
            assert!(
                !page.contains("name=\"empreinte\""),
                "no confirmation offered"
            );
            // Confirming anyway writes nothing.
            let resp = confirm(&n.app, &client, &token, &page).await;
            assert_eq!(resp.status(), 409);
            assert_eq!(snapshot(&n.app.pool).await, before, "{who} {query}");
            assert_eq!(audit_rows(&n.app.pool).await, audit_before);
        }
    }
}

/// The member list's export with, for the members of `edits` (by email),
/// one column changed, written back as a spreadsheet saves it (`;`, CRLF,
/// no byte-order mark).
fn edit_export(export: &[u8], edits: &[(&str, &str, &str)]) -> Vec<u8> {
    let text = std::str::from_utf8(export).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let email = column("Courriel");
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for record in reader.records() {
        let mut row: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
        for (who, field, value) in edits {
            if row[email].eq_ignore_ascii_case(who) {
                row[column(field)] = (*value).to_string();
            }
        }
        out.write_record(&row).unwrap();
    }
    out.into_inner().unwrap()
}

#[tokio::test]
async fn an_export_edited_in_a_spreadsheet_updates_the_members_it_should() {
    let n = network().await;
    varied_members(&n).await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let export = client
        .get(n.app.url("/membres/export.csv?statut=tous"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let edited = edit_export(
        &export,
        &[
            ("marie@exemple.ca", "Téléphone", "438 555-0123"),
            ("sylvie@exemple.ca", "Ville", "Sainte-Rose"),
        ],
    );
    let total = member_count(&n.app.pool).await as usize;
    let untouched: Vec<String> =
        sqlx::query_scalar("SELECT m::text FROM members m WHERE id NOT IN ($1, $2) ORDER BY id")
            .bind(n.marie)
            .bind(n.sylvie)
            .fetch_all(&n.app.pool)
            .await
            .unwrap();
    let (token, page) = preview(&n.app, &client, edited).await;
    assert_eq!(counts(&page), [0, 2, total - 2, 0], "{page}");
    assert!(page.contains("Téléphone : 514 555-0100 → 438 555-0123"));
    assert!(page.contains("Ville : Montréal → Sainte-Rose"));
    assert_eq!(confirm(&n.app, &client, &token, &page).await.status(), 303);
    assert_eq!(phone_of(&n.app.pool, n.marie).await, "438 555-0123");
    let city: String = sqlx::query_scalar("SELECT city FROM members WHERE id = $1")
        .bind(n.sylvie)
        .fetch_one(&n.app.pool)
        .await
        .unwrap();
    assert_eq!(city, "Sainte-Rose");
    let after: Vec<String> =
        sqlx::query_scalar("SELECT m::text FROM members m WHERE id NOT IN ($1, $2) ORDER BY id")
            .bind(n.marie)
            .bind(n.sylvie)
            .fetch_all(&n.app.pool)
            .await
            .unwrap();
    assert_eq!(after, untouched, "the other members are left as they were");
    let fields: Vec<(i64, String)> = sqlx::query_as(
        "SELECT entity_id, field FROM audit_log WHERE entity = 'member' \
         ORDER BY entity_id, field",
    )
    .fetch_all(&n.app.pool)
    .await
    .unwrap();
    let fields: Vec<(i64, &str)> = fields.iter().map(|(id, f)| (*id, f.as_str())).collect();
    assert_eq!(
        fields,
        [
            (n.marie, "Importation"),
            (n.marie, "Téléphone"),
            (n.sylvie, "Importation"),
            (n.sylvie, "Ville")
        ]
    );
}

#[tokio::test]
async fn bom_and_windows_1252_files_are_read() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let line = "Bélanger;Hélène;Café Noël;Pâtissière;helene@exemple.ca;;Trois-Rivières;Montréal;\
                ;Siège régional;;2026-01-01;2027-01-01";
    // UTF-8 with a byte-order mark.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv_file(&[line.to_string()]));
    let (_, page) = preview(&n.app, &client, bom).await;
    assert_eq!(counts(&page), [1, 0, 0, 0], "{page}");
    assert!(page.contains("UTF-8 (avec BOM)"));
    assert!(page.contains("Hélène Bélanger"));

    // Windows-1252, as Excel saves « CSV (séparateur : point-virgule) »,
    // with a typographic apostrophe (0x92) and « œ » (0x9C).
    let text = format!(
        "{HEADER}\n{}\n",
        line.replace("Café Noël", "L’œuvre de Noël")
    )
    .replace("Représentant·e", "Représentant");
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| match c {
            '’' => 0x92,
            'œ' => 0x9C,
            c => u8::try_from(u32::from(c)).expect("Latin-1"),
        })
        .collect();
    let (token, page) = preview(&n.app, &client, cp1252).await;
    assert_eq!(counts(&page), [1, 0, 0, 0], "{page}");
    assert!(page.contains("Windows-1252"));
    assert_eq!(confirm(&n.app, &client, &token, &page).await.status(), 303);
    let (first, business, city): (String, String, String) = sqlx::query_as(
        "SELECT first_name, business_name, city FROM members WHERE email = 'helene@exemple.ca'",
    )
    .fetch_one(&n.app.pool)
    .await
    .unwrap();
    assert_eq!(
        (first.as_str(), business.as_str(), city.as_str()),
        ("Hélène", "L’œuvre de Noël", "Trois-Rivières")
    );
}

#[tokio::test]
async fn a_file_of_20001_lines_is_refused_with_a_message() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let lines: Vec<String> = (0..20_001)
        .map(|i| newcomer(&format!("P{i}"), &format!("p{i}@exemple.ca"), "Métier"))
        .collect();
    let resp = upload(&n.app, &client, "gros.csv", csv_file(&lines)).await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Le fichier compte 20\u{a0}001 lignes de membres"),
        "{page}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM import_uploads")
        .fetch_one(&n.app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // An empty file and a file without the export's columns are refused too.
    let resp = upload(&n.app, &client, "vide.csv", Vec::new()).await;
    assert_eq!(resp.status(), 422);
    let resp = upload(&n.app, &client, "autre.csv", b"a;b\n1;2\n".to_vec()).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("Colonnes manquantes"));
}

#[tokio::test]
async fn a_manager_imports_into_their_own_district_only() {
    let n = network().await;
    let client = client_as(&n.app, "gest.mtl@test.ca").await;
    let lines = vec![
        newcomer("Gaël", "gael@exemple.ca", "Architecte"),
        // Another district: refused, as if it did not exist.
        "Roy;Sylvie;;Dentiste;sylvie@exemple.ca;;Laval;Laval;Laval Affaires;Siège exclusif;;\
         2021-01-10;2027-01-10"
            .to_string(),
    ];
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    assert_eq!(counts(&page), [1, 0, 0, 1], "{page}");
    assert!(page.contains("District « Laval » inconnu parmi ceux auxquels vous avez accès."));
    assert_eq!(confirm(&n.app, &client, &token, &page).await.status(), 303);
    let laval_members: i64 =
        sqlx::query_scalar("SELECT count(*) FROM members WHERE district_id = $1")
            .bind(n.laval)
            .fetch_one(&n.app.pool)
            .await
            .unwrap();
    assert_eq!(laval_members, 1);
    let district: Option<i64> = sqlx::query_scalar("SELECT district_id FROM member_imports")
        .fetch_one(&n.app.pool)
        .await
        .unwrap();
    assert_eq!(district, Some(n.montreal));
    let _ = n.sylvie;
}

#[tokio::test]
async fn import_pages_answer_by_role_and_a_file_belongs_to_its_uploader() {
    let n = network().await;
    let dir = client_as(&n.app, "dir@test.ca").await;
    let (token, _) = preview(&n.app, &dir, csv_file(&[MARIE.to_string()])).await;
    let paths = [
        "/membres/import".to_string(),
        format!("/membres/import/{token}"),
        format!("/membres/import/{token}/rapport.csv"),
        "/membres/import/pas-un-jeton".to_string(),
    ];
    for (email, expected) in [
        ("dir@test.ca", [200, 200, 200, 404]),
        ("gest.mtl@test.ca", [200, 404, 404, 404]),
        ("rep.mtl@test.ca", [403, 403, 403, 403]),
        ("fact@test.ca", [403, 403, 403, 403]),
    ] {
        let client = client_as(&n.app, email).await;
        let mut got = Vec::new();
        for p in &paths {
            got.push(
                client
                    .get(n.app.url(p))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        assert_eq!(got, expected.to_vec(), "{email}");
        let posted = upload(&n.app, &client, "m.csv", csv_file(&[MARIE.to_string()])).await;
        let allowed = email.starts_with("dir") || email.starts_with("gest");
        assert_eq!(posted.status(), if allowed { 303 } else { 403 }, "{email}");
    }
    // Another user cannot confirm someone else's file.
    let manager = client_as(&n.app, "gest.mtl@test.ca").await;
    let resp = manager
        .post(n.app.url(&format!("/membres/import/{token}")))
        .header("origin", format!("http://{}", n.app.addr))
        .form(&[("empreinte", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // Not logged in: to the login page.
    let anonymous = n.app.new_client();
    let resp = anonymous
        .get(n.app.url("/membres/import"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    // The member list offers the import to those allowed only.
    let list = dir.get(n.app.url("/membres")).send().await.unwrap();
    assert!(
        list.text()
            .await
            .unwrap()
            .contains("href=\"/membres/import\"")
    );
    let rep = client_as(&n.app, "rep.mtl@test.ca").await;
    let list = rep.get(n.app.url("/membres")).send().await.unwrap();
    assert!(
        !list
            .text()
            .await
            .unwrap()
            .contains("href=\"/membres/import\"")
    );
    let _ = d("2026-11-29");
}

#[tokio::test]
async fn two_confirmations_of_the_same_file_at_once_import_it_once() {
    let n = network().await;
    let client = client_as(&n.app, "dir@test.ca").await;
    let lines = vec![newcomer("Gaël", "gael@exemple.ca", "Architecte")];
    let (token, page) = preview(&n.app, &client, csv_file(&lines)).await;
    let (a, b) = tokio::join!(
        confirm(&n.app, &client, &token, &page),
        confirm(&n.app, &client, &token, &page)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 404]);
    let gaels: i64 =
        sqlx::query_scalar("SELECT count(*) FROM members WHERE email = 'gael@exemple.ca'")
            .fetch_one(&n.app.pool)
            .await
            .unwrap();
    assert_eq!(gaels, 1);
}
