//! Importing a group's meeting figures from a CSV file, through the real
//! router: the preview's actions and refusals, the confirmation in one
//! transaction with versions and history, a failure midway, scope,
//! cross-site forms and unreadable files.
mod common;

use common::accounts::{FACT, GEST_A, GEST_B, REP_A1, REP_B};
use common::actions::{Browser, log_in};
use common::builders::count;
use common::catalogue::unescape;
use common::engagement::{Club, club, save_sheet, sheet};
use common::location;

const HEADER: &str = "Date;Courriel;Présence;Références données;Valeur données;\
                      Références reçues;Valeur reçues;Visiteurs;Tête-à-tête;Remerciements;Note";

/// The club, its members with an email (« anne@exemple.ca »…).
async fn setting() -> Club {
    let c = club().await;
    sqlx::query("UPDATE members SET email = lower(first_name) || '@exemple.ca' WHERE id = ANY($1)")
        .bind(vec![c.anne, c.bruno, c.carl])
        .execute(&c.w.app.pool)
        .await
        .expect("courriels");
    c
}

fn csv(lines: &[&str]) -> Vec<u8> {
    format!("{HEADER}\n{}\n", lines.join("\n")).into_bytes()
}

async fn upload(b: &Browser<'_>, group: i64, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("rencontres.csv")
        .mime_str("text/csv")
        .expect("type");
    b.client
        .post(b.app.url(&format!("/groupes/{group}/rencontres/import")))
        .header("origin", format!("http://{}", b.app.addr))
        .multipart(reqwest::multipart::Form::new().part("fichier", part))
        .send()
        .await
        .expect("envoi")
}

/// Uploads a file and opens its preview: its address and the page's text.
async fn preview(b: &Browser<'_>, group: i64, bytes: Vec<u8>) -> (String, String) {
    let resp = upload(b, group, bytes).await;
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let to = location(&resp);
    let (status, page) = b.page(&to).await;
    assert_eq!(status, 200);
    (to, unescape(&page))
}

async fn confirm(b: &Browser<'_>, to: &str, page: &str) -> reqwest::Response {
    let marker = "name=\"empreinte\" value=\"";
    let print = page
        .find(marker)
        .and_then(|i| page[i + marker.len()..].split('"').next())
        .unwrap_or("");
    b.post(to, &[("empreinte", print)]).await
}

/// The counts the preview shows: new, changed, unchanged, refused.
fn counts(page: &str) -> [usize; 4] {
    ["create", "update", "unchanged", "refused"].map(|key| {
        let marker = format!("<li class=\"import-count {key}\"><span class=\"count\">");
        page.find(&marker)
            .and_then(|p| page[p + marker.len()..].split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(usize::MAX)
    })
}

/// anne's and bruno's lines of 2026-11-17 typed on the sheet (version 1).
async fn typed_sheet(c: &Club) {
    let gest = log_in(&c.w.app, GEST_A).await;
    let form = sheet(&[(c.anne, 0), (c.bruno, 0)], &[("donnees", c.bruno, "1")]);
    let r = save_sheet(&gest, c.group, "2026-11-17", &form).await;
    assert_eq!(r.status(), 303);
}

const CHANGES: [&str; 4] = [
    "2026-11-17;ANNE@exemple.ca;présent;0;;2;1500;0;0;;",
    "2026-11-17;bruno@exemple.ca;Présence;1;;0;;0;0;;",
    "2026-11-24;carl@exemple.ca;remplacé;0;;0;;1;0;;Son associée",
    "2026-11-20;anne@exemple.ca;excusé;;;;;;;;",
];

#[tokio::test]
async fn the_preview_says_what_each_line_will_do_and_writes_nothing() {
    let c = setting().await;
    typed_sheet(&c).await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let (_, page) = preview(&gest, c.group, csv(&CHANGES)).await;
    assert_eq!(counts(&page), [2, 1, 1, 0]);
    assert!(page.contains("Références reçues : 0 → 2"), "{page}");
    assert!(page.contains("Valeur reçue : inconnue → 1\u{a0}500,00\u{a0}$"));
    assert!(page.contains("Identique à la ligne déjà enregistrée."));
    assert!(page.contains(
        "Remplacement · 0 donnée(s), 0 reçue(s) · 1 visiteur(s), 0 tête-à-tête · note « Son \
         associée »"
    ));
    // 2026-11-20 is a Friday: the meeting is added, and the page says so.
    assert!(page.contains("rencontre ajoutée"));
    assert!(page.contains("ajoutée à la liste en confirmant : <strong>vendredi 20 nov. 2026"));
    assert!(page.contains("1 rencontre sera ajoutée"));
    assert!(page.contains("Confirmer l'importation"));
    let pool = &c.w.app.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 2);
    assert_eq!(count(pool, "SELECT count(*) FROM meetings").await, 1);
}

#[tokio::test]
async fn confirming_writes_every_line_with_its_version_and_history() {
    let c = setting().await;
    typed_sheet(&c).await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, csv(&CHANGES)).await;
    let r = confirm(&gest, &to, &page).await;
    assert_eq!(r.status(), 303);
    let done = location(&r);
    assert!(done.contains("/rencontres/import?importation="), "{done}");
    let (_, report) = gest.page(&done).await;
    let report = unescape(&report);
    assert!(report.contains("4 lignes : 2 nouvelles, 1 modifiée, 1 inchangée, 0 refusée"));
    assert!(report.contains("1 rencontre ajoutée"));
    let pool = &c.w.app.pool;
    let anne = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {} AND held_on = '2026-11-17' \
         AND version = 2 AND referrals_received = 2 AND received_value_cents = 150000",
        c.anne
    );
    assert_eq!(count(pool, &anne).await, 1);
    let history = format!(
        "SELECT count(*) FROM meeting_line_history WHERE member_id = {}",
        c.anne
    );
    assert_eq!(
        count(pool, &history).await,
        3,
        "2 for the 17th, 1 for the 20th"
    );
    // bruno's unchanged line was not written again.
    let bruno = format!(
        "SELECT count(*) FROM meeting_line_history WHERE member_id = {}",
        c.bruno
    );
    assert_eq!(count(pool, &bruno).await, 1);
    let added = "SELECT count(*) FROM meetings WHERE held_on = '2026-11-20' AND added";
    assert_eq!(count(pool, added).await, 1);
    let record = "SELECT count(*) FROM meeting_imports WHERE lines = 4 AND created = 2 \
                  AND updated = 1 AND unchanged = 1 AND refused = 0 AND meetings_added = 1";
    assert_eq!(count(pool, record).await, 1);
    // The sheet shows the imported change in the line's history.
    let (_, sheet) = gest
        .page(&format!("/groupes/{}/rencontres/2026-11-17", c.group))
        .await;
    assert!(unescape(&sheet).contains("Références reçues : 0 → 2"));
    // The file is gone once imported: the same confirmation cannot run twice.
    assert_eq!(confirm(&gest, &to, &page).await.status(), 404);
}

#[tokio::test]
async fn refused_lines_say_why_in_french_and_are_skipped_on_confirmation() {
    let c = setting().await;
    let pool = &c.w.app.pool;
    sqlx::query(
        "INSERT INTO meetings (group_id, held_on, cancelled_at) VALUES ($1, '2026-11-10', now())",
    )
    .bind(c.group)
    .execute(pool)
    .await
    .expect("rencontre annulée");
    let outsider = c.w.m1; // district A, in no group
    let text = format!(
        "Date;N° de membre;Courriel;Présence;Références données;Références reçues;Visiteurs\n\
         2026-11-24;;inconnu@exemple.ca;présent;0;0;0\n\
         2026-11-24;{outsider};;présent;0;0;0\n\
         24 novembre;;anne@exemple.ca;présent;0;0;0\n\
         2026-12-01;;anne@exemple.ca;présent;0;0;0\n\
         2026-11-10;;anne@exemple.ca;présent;0;0;0\n\
         2026-11-24;;anne@exemple.ca;présent;-1;0;0\n\
         2026-11-24;;bruno@exemple.ca;présent;0;0;400\n\
         2026-11-24;;carl@exemple.ca;parti;0;0;0\n\
         2026-11-24;;anne@exemple.ca;absent;0;0;0\n\
         2026-11-24;;anne@exemple.ca;présent;0;0;0\n"
    );
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, text.into_bytes()).await;
    assert_eq!(counts(&page), [1, 0, 0, 9]);
    for reason in [
        "Courriel : Membre inconnu : aucun membre n'a le courriel « inconnu@exemple.ca »",
        "Courriel : Alice Audet n'est pas membre de ce groupe.",
        "Date : « 24 novembre » n'est pas une date valide (format AAAA-MM-JJ).",
        "Date : Le 1 déc. 2026 est dans le futur",
        "Date : La rencontre du 10 nov. 2026 a été annulée",
        "Références données : Ce nombre ne peut pas être négatif.",
        "Visiteurs : 400 visiteurs à une seule rencontre, c'est beaucoup : 50 au plus.",
        "Présence : « parti » n'est pas une présence connue",
        "Date : Anne Test a déjà une ligne du 24 nov. 2026 à la ligne 10 du fichier.",
    ] {
        assert!(page.contains(reason), "{reason}");
    }
    // The same outcomes as a CSV to correct the file, in the file's order.
    let (status, report) = gest.page(&format!("{to}/rapport.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(report.lines().count(), 11, "{report}");
    assert!(report.contains("\n4;refusée;"), "{report}");
    assert!(report.contains("« 24 novembre » n'est pas une date valide"));
    assert!(report.contains("\n10;nouvelle ligne;Anne Test;2026-11-24;non;Absence"));
    assert!(page.contains("Les 9 lignes refusées ne seront pas importées"));
    assert!(page.contains("Confirmer sans les lignes refusées"));
    let r = confirm(&gest, &to, &page).await;
    assert_eq!(r.status(), 303);
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 1);
    let anne = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {} AND attendance = 'absent'",
        c.anne
    );
    assert_eq!(count(pool, &anne).await, 1);
}

#[tokio::test]
async fn a_failure_midway_writes_nothing_and_keeps_the_file() {
    let c = setting().await;
    let pool = &c.w.app.pool;
    // The third history row fails: the 17th's two lines are written by then.
    sqlx::raw_sql(
        "CREATE TABLE seen (n int); INSERT INTO seen VALUES (0); \
         CREATE FUNCTION fail_third() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           UPDATE seen SET n = n + 1; \
           IF (SELECT n FROM seen) = 3 THEN RAISE EXCEPTION 'panne simulée'; END IF; \
           RETURN NEW; END $$; \
         CREATE TRIGGER fail_third BEFORE INSERT ON meeting_line_history \
           FOR EACH ROW EXECUTE FUNCTION fail_third();",
    )
    .execute(pool)
    .await
    .expect("déclencheur");
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, csv(&CHANGES)).await;
    let r = confirm(&gest, &to, &page).await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().await.expect("page").contains("panne simulée"));
    for table in [
        "meetings",
        "meeting_lines",
        "meeting_line_history",
        "meeting_imports",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(count(pool, &sql).await, 0, "{table}");
    }
    sqlx::raw_sql("DROP TRIGGER fail_third ON meeting_line_history")
        .execute(pool)
        .await
        .expect("retrait");
    assert_eq!(confirm(&gest, &to, &page).await.status(), 303);
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 4);
}

#[tokio::test]
async fn a_representative_cannot_import_for_another_representatives_member() {
    let c = setting().await;
    let rep = log_in(&c.w.app, REP_A1).await;
    let file = csv(&[
        "2026-11-24;anne@exemple.ca;présent;1;;0;;0;0;;",
        "2026-11-24;carl@exemple.ca;absent;0;;0;;0;0;;",
        "2026-11-20;bruno@exemple.ca;présent;0;;0;;0;0;;",
    ]);
    let (to, page) = preview(&rep, c.group, file).await;
    assert_eq!(counts(&page), [1, 0, 0, 2]);
    assert!(page.contains(
        "Carl Test est suivi·e par un·e autre représentant·e : vous importez seulement les \
         lignes de vos membres."
    ));
    assert!(page.contains("seule la gestion du district ou la direction peut en ajouter une"));
    assert_eq!(confirm(&rep, &to, &page).await.status(), 303);
    let pool = &c.w.app.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 1);
    let carl = format!(
        "SELECT count(*) FROM meeting_lines WHERE member_id = {}",
        c.carl
    );
    assert_eq!(count(pool, &carl).await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM meetings").await, 1);
}

#[tokio::test]
async fn a_group_out_of_scope_someone_elses_or_an_expired_file_is_not_found() {
    let c = setting().await;
    let file = || csv(&["2026-11-24;anne@exemple.ca;présent;;;;;;;;"]);
    for who in [GEST_B, REP_B] {
        let b = log_in(&c.w.app, who).await;
        let path = format!("/groupes/{}/rencontres/import", c.group);
        assert_eq!(b.get(&path).await.status(), 404, "{who}");
        assert_eq!(upload(&b, c.group, file()).await.status(), 404, "{who}");
    }
    let billing = log_in(&c.w.app, FACT).await;
    assert_eq!(upload(&billing, c.group, file()).await.status(), 403);
    // A token opens only for its uploader, and only under its group.
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, file()).await;
    let rep = log_in(&c.w.app, REP_A1).await;
    assert_eq!(rep.get(&to).await.status(), 404);
    assert_eq!(confirm(&rep, &to, &page).await.status(), 404);
    let token = to.rsplit('/').next().unwrap_or("");
    let other = c.w.app.pool.clone();
    let group2 = common::builders::insert_group(&other, c.w.district_a, "Autre", "A").await;
    let elsewhere = format!("/groupes/{group2}/rencontres/import/{token}");
    assert_eq!(gest.get(&elsewhere).await.status(), 404);
    // An upload expires like a member import's: its preview is then gone.
    assert_eq!(gest.get(&to).await.status(), 200);
    sqlx::query("UPDATE meeting_import_uploads SET expires_at = now() - interval '1 minute'")
        .execute(&other)
        .await
        .expect("expiration");
    assert_eq!(gest.get(&to).await.status(), 404);
    assert_eq!(confirm(&gest, &to, &page).await.status(), 404);
    assert_eq!(count(&other, "SELECT count(*) FROM meeting_lines").await, 0);
}

#[tokio::test]
async fn a_cross_site_form_is_refused() {
    let c = setting().await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, csv(&CHANGES[2..3])).await;
    let print = page
        .split("name=\"empreinte\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("");
    let forged = gest
        .client
        .post(c.w.app.url(&to))
        .header("origin", "https://ailleurs.example")
        .form(&[("empreinte", print)])
        .send()
        .await
        .expect("envoi");
    assert_eq!(forged.status(), 403);
    assert!(unescape(&forged.text().await.expect("page")).contains("ne vient pas de l'intranet"));
    let upload = gest
        .client
        .post(
            c.w.app
                .url(&format!("/groupes/{}/rencontres/import", c.group)),
        )
        .header("sec-fetch-site", "cross-site")
        .multipart(reqwest::multipart::Form::new().text("fichier", "Date;Courriel"))
        .send()
        .await
        .expect("envoi");
    assert_eq!(upload.status(), 403);
    let pool = &c.w.app.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 0);
    assert_eq!(
        count(pool, "SELECT count(*) FROM meeting_import_uploads").await,
        1
    );
}

#[tokio::test]
async fn unreadable_files_get_a_clear_french_message() {
    let c = setting().await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let latin1 = b"Date;Courriel;Pr\xe9sence\n2026-11-24;anne@exemple.ca;pr\xe9sent\n".to_vec();
    let cases: [(Vec<u8>, &str); 5] = [
        (
            b"Date;Courriel\0;Presence\n".to_vec(),
            "contient des octets nuls",
        ),
        (
            latin1,
            "n'est pas en UTF-8 (premier caractère illisible à la ligne 1)",
        ),
        (b"   \n\n".to_vec(), "Le fichier est vide."),
        (Vec::new(), "Le fichier est vide."),
        (
            "Courriel;Note\nanne@exemple.ca;x\n".as_bytes().to_vec(),
            "Colonnes manquantes : Date, Présence.",
        ),
    ];
    for (bytes, message) in cases {
        let r = upload(&gest, c.group, bytes).await;
        assert_eq!(r.status(), 422, "{message}");
        let page = unescape(&r.text().await.expect("page"));
        assert!(page.contains(message), "{message}: {page}");
        assert!(page.contains("aria-invalid=\"true\""));
    }
    let pool = &c.w.app.pool;
    assert_eq!(
        count(pool, "SELECT count(*) FROM meeting_import_uploads").await,
        0
    );
}

#[tokio::test]
async fn a_line_saved_meanwhile_shows_the_preview_again_and_writes_nothing() {
    let c = setting().await;
    typed_sheet(&c).await;
    let gest = log_in(&c.w.app, GEST_A).await;
    let (to, page) = preview(&gest, c.group, csv(&CHANGES)).await;
    // Someone corrects anne's line of the 17th on the sheet after the preview.
    let rep = log_in(&c.w.app, REP_A1).await;
    let form = sheet(&[(c.anne, 1)], &[("visiteurs", c.anne, "2")]);
    let r = save_sheet(&rep, c.group, "2026-11-17", &form).await;
    assert_eq!(r.status(), 303);
    let r = confirm(&gest, &to, &page).await;
    assert_eq!(r.status(), 409);
    let fresh = unescape(&r.text().await.expect("page"));
    assert!(fresh.contains("ont changé depuis l'aperçu"));
    assert!(
        fresh.contains("Visiteurs : 2 → 0"),
        "the change now undoes the correction"
    );
    let pool = &c.w.app.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_imports").await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 2);
    assert_eq!(count(pool, "SELECT count(*) FROM meetings").await, 1);
    // Confirming the fresh preview imports it.
    assert_eq!(confirm(&gest, &to, &fresh).await.status(), 303);
    assert_eq!(count(pool, "SELECT count(*) FROM meeting_lines").await, 4);
}
