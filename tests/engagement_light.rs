//! The engagement light (issue 14, point 3): the thresholds page that
//! direction edits (audited, bad input refused by the field, other roles
//! refused), and the light on the member file from hand-built meetings.
mod common;

use common::accounts::{DIR, FACT, GEST_A, REP_A1, audit_count};
use common::actions::{Browser, log_in};
use common::builders::{MemberBuilder, count};
use common::engagement::{club, insert_line};
use common::location;
use sqlx::PgPool;

/// Tuesdays before the world's today (2026-11-24), newest first.
const TUESDAYS: [&str; 8] = [
    "2026-11-24",
    "2026-11-17",
    "2026-11-10",
    "2026-11-03",
    "2026-10-27",
    "2026-10-20",
    "2026-10-13",
    "2026-10-06",
];

/// `meetings` meetings, the first `present` of them attended, each with
/// `received` referrals received.
async fn attend(
    pool: &PgPool,
    group: i64,
    member: i64,
    meetings: usize,
    present: usize,
    received: i32,
) {
    for (i, day) in TUESDAYS.iter().take(meetings).enumerate() {
        let attendance = if i < present { "present" } else { "absent" };
        insert_line(pool, group, member, day, attendance, received).await;
    }
}

/// The defaults, with `changes` (field, value) applied.
fn thresholds(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut form = vec![
        ("rencontres_min", "6"),
        ("presence_rouge", "60"),
        ("presence_jaune", "80"),
        ("recues_rouge", "1"),
        ("baisse_jaune", "30"),
    ];
    for (name, value) in changes {
        if let Some(slot) = form.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        }
    }
    form
}

async fn save(b: &Browser<'_>, changes: &[(&'static str, &'static str)]) -> reqwest::Response {
    b.post("/seuils-engagement", &thresholds(changes)).await
}

async fn file(b: &Browser<'_>, member: i64) -> String {
    let (status, body) = b.page(&format!("/membres/{member}")).await;
    assert_eq!(status, 200);
    body
}

const RED_ATTENDANCE: &str = "SELECT red_attendance::bigint FROM engagement_thresholds";

#[tokio::test]
async fn direction_saves_the_thresholds_with_an_audit_line_per_change() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let dir = log_in(&c.w.app, DIR).await;
    let (status, body) = dir.page("/seuils-engagement").await;
    assert_eq!(status, 200);
    assert!(body.contains("présence sous 60 % ou aucune référence reçue en 6 mois"));
    let (_, catalogue) = dir.page("/raisons").await;
    assert!(
        catalogue.contains("href=\"/seuils-engagement\""),
        "lien dans la navigation"
    );
    let r = save(&dir, &[("presence_rouge", "55 %"), ("rencontres_min", "8")]).await;
    assert_eq!(location(&r), "/seuils-engagement?fait=enregistre");
    assert_eq!(count(pool, RED_ATTENDANCE).await, 55);
    let entity = "engagement_thresholds";
    assert_eq!(
        audit_count(pool, entity, 1, "Présence : seuil rouge").await,
        1
    );
    assert_eq!(
        audit_count(pool, entity, 1, "Rencontres au minimum").await,
        1
    );
    assert_eq!(
        audit_count(pool, entity, 1, "Présence : seuil jaune").await,
        0
    );
    let (_, body) = dir.page(&location(&r)).await;
    assert!(body.contains("Les seuils ont été enregistrés"));
    assert!(body.contains("Présence : seuil rouge : 60 % → 55 %"));
    assert!(body.contains("présence sous 55 %"));
    // The same values again: nothing written.
    let r = save(&dir, &[("presence_rouge", "55"), ("rencontres_min", "8")]).await;
    assert_eq!(location(&r), "/seuils-engagement?fait=inchange");
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE entity = 'engagement_thresholds'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn bad_thresholds_are_refused_by_the_field_and_kept_as_typed() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let dir = log_in(&c.w.app, DIR).await;
    let r = save(
        &dir,
        &[
            ("presence_rouge", "soixante"),
            ("presence_jaune", "120"),
            ("rencontres_min", "0"),
            ("baisse_jaune", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("page");
    assert!(body.contains("Corrigez les 4 champs indiqués"));
    assert!(body.contains("Indiquez un nombre entier, sans décimale"));
    assert!(body.contains("Un pourcentage va de 0 à 100."));
    assert!(body.contains("Entre 1 et 26 rencontres"));
    assert!(body.contains("Indiquez un nombre."));
    assert!(
        body.contains("value=\"soixante\""),
        "ce qui a été tapé reste"
    );
    assert!(body.contains("value=\"120\""));
    assert_eq!(count(pool, RED_ATTENDANCE).await, 60);
    // Red above yellow.
    let r = save(&dir, &[("presence_rouge", "85")]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("page");
    assert!(body.contains("Le seuil rouge (85 %) ne peut pas dépasser le seuil jaune (80 %)"));
    assert!(body.contains("value=\"85\""));
    assert_eq!(count(pool, RED_ATTENDANCE).await, 60);
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE entity = 'engagement_thresholds'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn other_roles_can_neither_read_nor_change_the_thresholds() {
    let c = club().await;
    let pool = &c.w.app.pool;
    for who in [REP_A1, GEST_A, FACT] {
        let b = log_in(&c.w.app, who).await;
        assert_eq!(b.get("/seuils-engagement").await.status(), 403, "{who}");
        assert_eq!(
            save(&b, &[("presence_rouge", "10")]).await.status(),
            403,
            "{who}"
        );
        let (_, home) = b.page("/").await;
        assert!(!home.contains("href=\"/seuils-engagement\""), "{who}");
    }
    assert_eq!(count(pool, RED_ATTENDANCE).await, 60);
}

#[tokio::test]
async fn the_member_file_shows_green_yellow_and_red_with_their_reason() {
    let c = club().await;
    let pool = &c.w.app.pool;
    attend(pool, c.group, c.anne, 6, 6, 1).await; // 100 %, 6 received
    attend(pool, c.group, c.bruno, 8, 4, 1).await; // 50 %
    attend(pool, c.group, c.carl, 6, 6, 0).await; // nothing received
    let gest = log_in(&c.w.app, GEST_A).await;
    let anne = file(&gest, c.anne).await;
    assert!(anne.contains("Engagement : vert"));
    assert!(anne.contains("présence 100 % sur 6 mois, 6 références reçues"));
    let bruno = file(&gest, c.bruno).await;
    assert!(bruno.contains("Engagement : rouge"));
    assert!(bruno.contains("présence 50 % sur 6 mois"));
    let carl = file(&gest, c.carl).await;
    assert!(carl.contains("Engagement : rouge"));
    assert!(carl.contains("aucune référence reçue en 6 mois"));
    // 5 of 8 is 62.5 %, shown as 63 %: yellow.
    sqlx::query("UPDATE meeting_lines SET attendance = 'present' WHERE member_id = $1 AND held_on = '2026-10-20'")
        .bind(c.bruno)
        .execute(pool)
        .await
        .expect("présence");
    let bruno = file(&gest, c.bruno).await;
    assert!(bruno.contains("Engagement : jaune"));
    assert!(bruno.contains("présence 63 % sur 6 mois"));
    // Labelled apart from the stage and the state.
    assert!(bruno.contains("light-yellow"));
    assert!(bruno.contains("État du membre :"));
}

#[tokio::test]
async fn the_light_is_grey_with_too_few_meetings_or_without_a_group() {
    let c = club().await;
    let pool = &c.w.app.pool;
    attend(pool, c.group, c.anne, 5, 5, 2).await;
    let regional = MemberBuilder::new(c.w.district_a)
        .name("Régis", "Test")
        .rep(c.w.rep_a1)
        .insert(pool)
        .await;
    let rep = log_in(&c.w.app, REP_A1).await;
    let anne = file(&rep, c.anne).await;
    assert!(anne.contains("Engagement : gris"));
    assert!(anne.contains("5 rencontres consignées seulement en 6 mois (6 au moins pour juger)"));
    let bruno = file(&rep, c.bruno).await;
    assert!(bruno.contains("Engagement : gris"));
    assert!(bruno.contains("aucune rencontre consignée en 6 mois"));
    let regis = file(&rep, regional).await;
    assert!(regis.contains("Engagement : gris"));
    assert!(regis.contains("aucun groupe"));
    // A sixth meeting: the light is judged.
    insert_line(pool, c.group, c.anne, TUESDAYS[5], "present", 2).await;
    assert!(file(&rep, c.anne).await.contains("Engagement : vert"));
}

#[tokio::test]
async fn changing_a_threshold_changes_a_members_light() {
    let c = club().await;
    let pool = &c.w.app.pool;
    attend(pool, c.group, c.anne, 6, 4, 1).await; // 67 %
    let rep = log_in(&c.w.app, REP_A1).await;
    assert!(file(&rep, c.anne).await.contains("Engagement : jaune"));
    let dir = log_in(&c.w.app, DIR).await;
    let r = save(&dir, &[("presence_jaune", "65")]).await;
    assert_eq!(r.status(), 303);
    assert!(file(&rep, c.anne).await.contains("Engagement : vert"));
    let r = save(&dir, &[("presence_rouge", "70"), ("presence_jaune", "90")]).await;
    assert_eq!(r.status(), 303);
    let anne = file(&rep, c.anne).await;
    assert!(anne.contains("Engagement : rouge"));
    assert!(anne.contains("présence 67 % sur 6 mois"));
    // More meetings asked for than recorded: grey.
    save(&dir, &[("rencontres_min", "7")]).await;
    assert!(file(&rep, c.anne).await.contains("Engagement : gris"));
}
