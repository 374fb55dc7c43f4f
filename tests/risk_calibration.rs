//! The risk's calibration report (issue 14, point 6): renewals of a past
//! period grouped by the score the member had 60 days before the due date,
//! on the hand-built renewals of tests/common/calibration.rs (figures
//! worked out there), kept to the reader's district, exported in CSV, and
//! on the demo, where the riskiest renewed less.
mod common;

use common::actions::log_in;
use common::calibration::{DIRECTION, MANAGER_A, REP_A, date, minus, renewals, row, worrying};
use common::reports::{assert_report_tallies_match, follow_up, lose, member_named, write_for};
use renouvo::store::risk;
use sqlx::PgPool;

#[tokio::test]
async fn the_table_groups_past_renewals_by_the_score_sixty_days_before() {
    let r = renewals().await;
    let dir = log_in(&r.app, DIRECTION).await;
    let (status, page) = dir.page("/rapports/calibration").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("novembre 2025 à octobre 2026"),
        "the last 12 complete months"
    );
    for expected in [
        row("0 à 19", 2, 2, "100,0 %"),
        row("20 à 39", 3, 2, "66,7 %"),
        row("40 à 59", 0, 0, "—"),
        row("60 à 79", 0, 0, "—"),
        row("80 à 100", 2, 1, "50,0 %"),
    ] {
        assert!(page.contains(&expected), "{expected}");
    }
    // Seven renewals: no group reaches ten, so no conclusion is drawn.
    assert!(page.contains("Avec 7 renouvellements, les tranches sont trop petites"));
    assert!(page.contains("<svg class=\"chart-svg\""), "the chart");
    assert!(
        page.contains("Moins de 10 renouvellements"),
        "small groups hatched"
    );
    assert!(
        !page.contains("encore en calcul"),
        "every past score computed"
    );
}

#[tokio::test]
async fn history_written_after_the_day_leaves_the_group_and_before_it_moves_it() {
    let r = renewals().await;
    let pool = &r.app.pool;
    let dir = log_in(&r.app, DIRECTION).await;
    dir.page("/rapports/calibration").await;
    // Aube (due 2026-03-16, flame at due − 70, score 0): a red follow-up
    // and an irrecoverable reason 30 days before the due date come after
    // the day the score is taken.
    worrying(pool, r.aube, r.rep, &minus("2026-03-16", 30)).await;
    let (_, page) = dir.page("/rapports/calibration").await;
    assert!(page.contains(&row("0 à 19", 2, 2, "100,0 %")));
    // A red follow-up at due − 65 is now the last before the day: the
    // past score is dropped and computed again, 0 − (−15) + 25 = 40.
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM cycle_risks WHERE member_id = $1")
        .bind(r.aube)
        .fetch_one(pool)
        .await
        .expect("compte");
    assert_eq!(kept, 1);
    follow_up(
        pool,
        r.aube,
        r.rep,
        &minus("2026-03-16", 65),
        1,
        "growth",
        "red",
    )
    .await;
    let (_, page) = dir.page("/rapports/calibration").await;
    assert!(page.contains(&row("0 à 19", 1, 1, "100,0 %")), "{page}");
    assert!(page.contains(&row("40 à 59", 1, 1, "100,0 %")));
    let score = risk::as_of(
        pool,
        r.aube,
        common::calibration::date("2026-01-15"),
        common::calibration::date("2026-03-16"),
    )
    .await
    .expect("score");
    assert_eq!(score.score, 40);
}

#[tokio::test]
async fn a_district_manager_sees_the_district_and_a_representative_is_refused() {
    let r = renewals().await;
    let manager = log_in(&r.app, MANAGER_A).await;
    // The district asked for is ignored: the manager's own applies.
    let (status, page) = manager.page("/rapports/calibration?district=999999").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&row("20 à 39", 2, 1, "50,0 %")),
        "Gagné (B) left out"
    );
    assert!(page.contains(&row("0 à 19", 2, 2, "100,0 %")));
    assert!(!page.contains("id=\"district\""), "no district filter");
    assert!(!page.contains("id=\"groupe\""), "no group filter");
    let dir = log_in(&r.app, DIRECTION).await;
    let (_, page) = dir
        .page(&format!("/rapports/calibration?district={}", r.district_a))
        .await;
    assert!(page.contains(&row("20 à 39", 2, 1, "50,0 %")));
    let rep = log_in(&r.app, REP_A).await;
    assert_eq!(rep.page("/rapports/calibration").await.0, 403);
    assert_eq!(rep.page("/rapports/calibration.csv").await.0, 403);
    let (_, index) = rep.page("/rapports").await;
    assert!(
        !index.contains("/rapports/calibration"),
        "not offered to representatives"
    );
    let (_, formula) = dir.page("/risque/formule").await;
    assert!(formula.contains("<a href=\"/rapports/calibration\">"));
}

#[tokio::test]
async fn the_csv_has_the_five_groups_and_keeps_the_period() {
    let r = renewals().await;
    let dir = log_in(&r.app, DIRECTION).await;
    let (_, page) = dir
        .page("/rapports/calibration?du=2026-05&au=2026-07")
        .await;
    assert!(page.contains("/rapports/calibration.csv?du=2026-05&#38;au=2026-07"));
    let resp = dir
        .get("/rapports/calibration.csv?du=2026-05&au=2026-07")
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("csv");
    // Cyr, Drouin and Gagné (30) and Émond (80).
    assert_eq!(
        text,
        "\u{feff}risque à 60 jours;échus;renouvelés;perdus;taux\n\
         0–19;0;0;0;\n20–39;3;2;1;66,7\n40–59;0;0;0;\n60–79;0;0;0;\n80–100;1;0;1;0,0\n"
    );
    let bad = dir.get("/rapports/calibration.csv?du=2026-13").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_period_not_begun_or_without_renewals_says_so() {
    let r = renewals().await;
    let dir = log_in(&r.app, DIRECTION).await;
    let (status, page) = dir
        .page("/rapports/calibration?du=2027-01&au=2027-06")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("n&#39;a pas encore commencé"), "{page}");
    assert!(!page.contains("<table"));
    let (_, page) = dir
        .page("/rapports/calibration?du=2024-01&au=2024-12")
        .await;
    assert!(page.contains("il n&#39;y a rien à comparer"));
    assert!(
        !page.contains("<svg class=\"chart-svg\""),
        "no chart without renewals"
    );
    let (_, page) = dir
        .page("/rapports/calibration?du=2026-06&au=2026-12")
        .await;
    assert!(page.contains("seuls les renouvellements échus jusqu&#39;au 29 nov. 2026"));
    let (status, _) = dir
        .page("/rapports/calibration?du=2026-05&au=2026-01")
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn in_the_demo_the_riskiest_renewed_less_than_the_safest() {
    let (pool, _) = common::fresh_database().await;
    let today = common::calibration::date("2026-11-29");
    renouvo::demo::seed_for(&pool, today)
        .await
        .expect("démo")
        .expect("créée");
    let c = risk::calibration(
        &pool,
        None,
        common::calibration::date("2025-11-01"),
        common::calibration::date("2026-10-31"),
    )
    .await
    .expect("calibration");
    assert_eq!(c.waiting, 0);

    let rate = |gs: &[risk::CalibrationGroup]| {
        let due: i64 = gs.iter().map(|g| g.members).sum();
        let renewed: i64 = gs.iter().map(|g| g.renewed).sum();
        eprintln!("{renewed} / {due}");
        assert!(due >= 10, "enough renewals in {gs:?}");
        renewed as f64 / due as f64
    };
    let (low, medium, high) = (
        rate(&c.groups[..2]),
        rate(&c.groups[2..3]),
        rate(&c.groups[3..]),
    );
    assert!(low > medium + 0.1 && medium > high + 0.1, "{:?}", c.groups);
}

/// The report's figures for whole months, read from the tally (migration
/// 0037), equal those of the join of cycles and past scores, for the
/// network and district A; and the tally equals a recount.
async fn tally_matches_the_join(pool: &PgPool, district: i64, step: &str) {
    let (from, to) = (date("2025-11-01"), date("2026-10-31"));
    for scope in [None, Some(district)] {
        let tallied = risk::tallied_calibration(pool, scope, from, to)
            .await
            .expect("tally");
        let joined = risk::calibration_from_cycles(pool, scope, from, to)
            .await
            .expect("join");
        assert_eq!(tallied, joined, "{step} ({scope:?})");
    }
    assert_report_tallies_match(pool).await;
}

#[tokio::test]
async fn the_tally_follows_scores_forgotten_members_moved_renewals_undone_and_timelines() {
    let r = renewals().await;
    let pool = &r.app.pool;
    let (from, to) = (date("2025-11-01"), date("2026-10-31"));
    let a = r.district_a;
    tally_matches_the_join(pool, a, "nothing scored").await;
    risk::fill_past_scores(pool, None, from, to)
        .await
        .expect("scores");
    tally_matches_the_join(pool, a, "scored").await;
    // History before Aube's day drops her past score.
    follow_up(
        pool,
        r.aube,
        r.rep,
        &minus("2026-03-16", 65),
        1,
        "growth",
        "red",
    )
    .await;
    tally_matches_the_join(pool, a, "forgotten").await;
    risk::fill_past_scores(pool, None, from, to)
        .await
        .expect("scores");
    // Bois moves to Québec: every cycle of his follows him.
    let bois = member_named(pool, "Bois").await;
    write_for(
        pool,
        "UPDATE members SET district_id = (SELECT id FROM districts WHERE name = 'Québec') \
         WHERE id = $1",
        bois,
    )
    .await;
    tally_matches_the_join(pool, a, "moved").await;
    // Cyr's renewal is undone: the renewed cycle is gone.
    let cyr = member_named(pool, "Cyr").await;
    write_for(pool, "DELETE FROM renewals WHERE member_id = $1", cyr).await;
    tally_matches_the_join(pool, a, "undone").await;
    // Isabel, pending, leaves: a lost cycle, scored by the next batch.
    let isabel = member_named(pool, "Isabel").await;
    lose(pool, isabel, "2026-09-15", "Manque de temps").await;
    tally_matches_the_join(pool, a, "lost").await;
    risk::fill_past_scores(pool, None, from, to)
        .await
        .expect("scores");
    tally_matches_the_join(pool, a, "lost and scored").await;
    // A timeline changed: every past score is to be computed again.
    sqlx::query("UPDATE timeline_stages SET label = label WHERE false")
        .execute(pool)
        .await
        .expect("échéancier");
    let scored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM calibration_months WHERE bucket >= 0")
            .fetch_one(pool)
            .await
            .expect("compte");
    assert_eq!(scored, 0);
    tally_matches_the_join(pool, a, "timelines").await;
}
