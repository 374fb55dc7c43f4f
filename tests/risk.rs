//! The renewal risk (issue 14, points 4 and 5): each factor moves the score
//! in the documented direction and appears in the explanation; the score
//! as it was on a past date comes from history; the pages recompute after
//! a write and keep to the reader's scope.
mod common;

use common::actions::log_in;
use common::builders::{date, insert_group};
use common::engagement::{club, insert_line};
use common::reports::write_for;
use common::risk::{follow_up_on, score_on, tuesdays};

/// Anne (club): exclusive seat since 2024, renewing 2027-02-10, in
/// « 3 mois avant » on 2026-11-24, nothing logged. 15 (start) + 15 (four
/// stages passed without a follow-up, « 6 à 4 mois avant » the last) + 10
/// (no follow-up) + 10 (no attendance recorded) = 50.
#[tokio::test]
async fn a_member_with_nothing_recorded_scores_the_base_and_what_is_missing() {
    let c = club().await;
    let (score, facts) = score_on(&c.w.app.pool, c.anne, "2026-11-24").await;
    assert_eq!(score, 50, "{facts:?}");
    assert_eq!(
        facts,
        [
            "4 étapes passées sans suivi, dont « 6 à 4 mois avant » (+15 points)",
            "aucun suivi consigné (+10 points)",
            "aucune présence consignée en 6 mois (+10 points)",
        ]
    );
}

#[tokio::test]
async fn low_attendance_without_referrals_and_its_fall_raise_the_score() {
    let c = club().await;
    let pool = &c.w.app.pool;
    // Ten meetings in six months: four present, six absent, no referral.
    for (i, day) in tuesdays("2026-11-24", 10).iter().enumerate() {
        let attendance = if i < 4 { "present" } else { "absent" };
        insert_line(pool, c.group, c.anne, day, attendance, 0).await;
    }
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    // 40 % attendance: 30 × (80 − 40) / 50 = 24 points; no referral: 20.
    assert_eq!(score, 50 - 10 + 24 + 20, "{facts:?}");
    assert!(facts.contains(&"présence 40 % sur 6 mois (+24 points)".to_string()));
    assert!(facts.contains(&"aucune référence reçue en 12 mois (+20 points)".to_string()));
    assert!(!facts.iter().any(|f| f.contains("présence consignée")));

    // The six months before: ten meetings, all present, one referral
    // received five months ago.
    for day in tuesdays("2026-05-19", 10) {
        insert_line(pool, c.group, c.anne, &day, "present", 0).await;
    }
    insert_line(pool, c.group, c.anne, "2026-06-23", "present", 1).await;
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    // Eleven meetings now, five present: 45 % → 21 points; down 55 points
    // from 100 %: 10; the referral is five months old: still 20.
    assert!(
        facts.contains(&"présence 45 % sur 6 mois (+21 points)".to_string()),
        "{facts:?}"
    );
    assert!(facts.contains(
        &"présence en baisse de 55 points par rapport aux 6 mois d'avant (+10 points)".to_string()
    ));
    assert!(facts.contains(&"aucune référence reçue depuis 5 mois (+20 points)".to_string()));
    assert_eq!(score, 50 - 10 + 21 + 10 + 20);

    // A referral received this month takes that fact away.
    write_for(
        pool,
        "UPDATE meeting_lines SET referrals_received = 2 \
         WHERE member_id = $1 AND held_on = '2026-11-17'",
        c.anne,
    )
    .await;
    let (_, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert!(
        !facts.iter().any(|f| f.contains("référence reçue")),
        "{facts:?}"
    );
}

#[tokio::test]
async fn the_state_at_the_last_follow_up_and_its_stage_move_the_score_both_ways() {
    let c = club().await;
    let pool = &c.w.app.pool;
    follow_up_on(pool, c.anne, c.w.rep_a1, "2026-11-20", "before_3m", "red").await;
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    // Red: +25; the follow-up ends « aucun suivi » (−10).
    assert_eq!(score, 50 + 25 - 10, "{facts:?}");
    assert_eq!(facts[0], "état « Rouge » au dernier suivi (+25 points)");

    follow_up_on(pool, c.anne, c.w.rep_a1, "2026-11-22", "before_3m", "flame").await;
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert_eq!(score, 50 - 15 - 10, "{facts:?}");
    assert!(facts.contains(&"état « Flamme » au dernier suivi (−15 points)".to_string()));

    // A follow-up in « 6 à 4 mois avant » leaves three stages missed: the
    // points stay at their ceiling of 15, the last one named changes.
    follow_up_on(pool, c.anne, c.w.rep_a1, "2026-09-01", "before_6m", "green").await;
    let (_, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert!(
        facts.contains(
            &"3 étapes passées sans suivi, dont « 3 à 6 mois après » (+15 points)".to_string()
        ),
        "{facts:?}"
    );
    // Only the last stage missed: five points.
    for stage in ["welcome", "after_1m"] {
        follow_up_on(pool, c.anne, c.w.rep_a1, "2026-06-01", stage, "green").await;
    }
    let (_, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert!(
        facts.contains(&"étape « 3 à 6 mois après » manquée (+5 points)".to_string()),
        "{facts:?}"
    );
}

#[tokio::test]
async fn the_score_on_a_past_date_reads_only_what_was_written_by_then() {
    let c = club().await;
    let pool = &c.w.app.pool;
    follow_up_on(
        pool,
        c.anne,
        c.w.rep_a1,
        "2026-10-05",
        "before_6m",
        "yellow",
    )
    .await;
    follow_up_on(pool, c.anne, c.w.rep_a1, "2026-11-20", "before_3m", "flame").await;
    insert_line(pool, c.group, c.anne, "2026-11-17", "absent", 0).await;

    let (_, before) = score_on(pool, c.anne, "2026-10-04").await;
    assert!(
        before.contains(&"aucun suivi consigné (+10 points)".to_string()),
        "{before:?}"
    );
    assert!(!before.iter().any(|f| f.contains("état")));

    let (_, between) = score_on(pool, c.anne, "2026-10-20").await;
    assert!(between.contains(&"état « Jaune » au dernier suivi (+12 points)".to_string()));
    assert!(
        !between.iter().any(|f| f.contains("aucun suivi")),
        "{between:?}"
    );

    let (_, after) = score_on(pool, c.anne, "2026-11-24").await;
    assert!(after.contains(&"état « Flamme » au dernier suivi (−15 points)".to_string()));
    // The line of 2026-11-17 counts only from that day.
    assert_eq!(
        after
            .iter()
            .find(|f| f.contains("présence"))
            .map(String::as_str),
        Some("présence peu consignée : 1 rencontre en 6 mois (+10 points)")
    );
}

#[tokio::test]
async fn reasons_escalations_billing_and_planned_follow_ups_each_add_their_points() {
    let c = club().await;
    let (pool, rep) = (&c.w.app.pool, c.w.rep_a1);
    let base = score_on(pool, c.bruno, "2026-11-24").await.0;
    let steps: [(&str, i16, &str); 4] = [
        (
            "INSERT INTO planned_follow_ups (member_id, planned_by, due_date, created_at) \
             VALUES ($1, (SELECT representative_id FROM members WHERE id = $1), '2026-11-14', \
             '2026-11-01')",
            8,
            "relance prévue en retard de 10 jours (+8 points)",
        ),
        (
            "INSERT INTO escalations (member_id, raised_by, level, body, due_on, raised_at) \
             VALUES ($1, (SELECT representative_id FROM members WHERE id = $1), 'district', \
             'Malaise', '2026-11-20', '2026-11-13')",
            15,
            "escalade sans réponse après 7 jours (+5 points)",
        ),
        (
            "INSERT INTO member_reasons (member_id, reason_id, author_id, at) \
             SELECT $1, r.id, m.representative_id, '2026-11-15' FROM reasons r, members m \
             WHERE m.id = $1 AND r.category = 'recoverable' ORDER BY r.position LIMIT 1",
            10,
            "raison consignée : ",
        ),
        (
            "INSERT INTO billing_requests (member_id, cycle, requested_by, decision, requested_at) \
             SELECT id, cycle, representative_id, 'not_renewing', '2026-11-16' FROM members \
             WHERE id = $1",
            40,
            "demande de facturation « ne renouvelle pas » (+40 points)",
        ),
    ];
    let mut expected = base;
    for (sql, points, fact) in steps {
        write_for(pool, sql, c.bruno).await;
        expected = (expected + points).min(100);
        let (score, facts) = score_on(pool, c.bruno, "2026-11-24").await;
        assert_eq!(score, expected, "after {fact}: {facts:?}");
        assert!(
            facts.iter().any(|f| f.starts_with(fact)),
            "{fact} in {facts:?}"
        );
    }
    assert!(rep > 0);
}

#[tokio::test]
async fn seniority_the_board_the_formula_and_a_first_renewal_weigh_as_documented() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let base = score_on(pool, c.anne, "2026-11-24").await.0;
    write_for(
        pool,
        "UPDATE members SET board_member = true WHERE id = $1",
        c.anne,
    )
    .await;
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert_eq!(score, base - 5);
    assert!(facts.contains(&"membre du CA de son groupe (−5 points)".to_string()));
    write_for(
        pool,
        "UPDATE members SET join_date = '2019-03-01' WHERE id = $1",
        c.anne,
    )
    .await;
    let (score, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert_eq!(score, base - 5 - 10);
    assert!(
        facts.contains(&"membre depuis 7 ans (−10 points)".to_string()),
        "{facts:?}"
    );
    // Joined in this cycle: a first renewal, and the stages before the
    // join date are not missed.
    write_for(
        pool,
        "UPDATE members SET join_date = '2026-08-20' WHERE id = $1",
        c.anne,
    )
    .await;
    let (_, facts) = score_on(pool, c.anne, "2026-11-24").await;
    assert!(
        facts.contains(&"premier renouvellement (+10 points)".to_string()),
        "{facts:?}"
    );
    assert!(!facts.iter().any(|f| f.contains("étape")), "{facts:?}");

    let regional = common::builders::MemberBuilder::new(c.w.district_a)
        .rep(c.w.rep_a1)
        .joined("2023-01-10")
        .renewing("2027-05-01")
        .insert(pool)
        .await;
    let (_, facts) = score_on(pool, regional, "2026-11-24").await;
    assert!(facts.contains(&"siège régional, sans groupe chaque semaine (+5 points)".to_string()));
    assert!(
        !facts.iter().any(|f| f.contains("présence")),
        "no group, no attendance: {facts:?}"
    );
    assert_eq!(date("2026-11-24").to_string(), "2026-11-24");
}

#[tokio::test]
async fn a_follow_up_logged_on_the_member_page_changes_the_risk_shown_next() {
    let c = club().await;
    let rep = log_in(&c.w.app, common::accounts::REP_A1).await;
    let (status, page) = rep.page(&format!("/membres/{}", c.anne)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Risque de non-renouvellement : 50 sur 100 (moyen)"),
        "{page}"
    );
    let r = common::actions::log_follow_up(&rep, c.anne, "Hésite beaucoup.", "red").await;
    assert_eq!(r.status(), 303);
    let (_, page) = rep.page(&format!("/membres/{}", c.anne)).await;
    assert!(
        page.contains("Risque de non-renouvellement : 65 sur 100 (élevé)"),
        "{page}"
    );
    assert!(page.contains("état « Rouge » au dernier suivi"));
    let stored: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT computed_on FROM member_risks WHERE member_id = $1")
            .bind(c.anne)
            .fetch_one(&c.w.app.pool)
            .await
            .expect("risque gardé");
    assert_eq!(stored, Some(common::accounts::today()));
}

#[tokio::test]
async fn the_list_at_risk_is_sorted_by_score_explained_and_kept_to_the_scope() {
    let c = club().await;
    let pool = &c.w.app.pool;
    follow_up_on(
        pool,
        c.bruno,
        c.w.rep_a1,
        "2026-11-20",
        "before_3m",
        "flame",
    )
    .await;
    let rep = log_in(&c.w.app, common::accounts::REP_A1).await;
    let (status, page) = rep.page("/risque").await;
    assert_eq!(status, 200);
    let anne = page.find("Anne Test").expect("Anne listée");
    let bruno = page.find("Bruno Test").expect("Bruno listé");
    assert!(anne < bruno, "higher score first");
    assert!(page.contains("4 étapes passées sans suivi, dont « 6 à 4 mois avant »"));
    assert!(!page.contains("Carl Test"), "rep_a2's member");
    assert!(!page.contains("Denis Test"), "another district");
    let (_, high) = rep.page("/risque?niveau=eleve").await;
    assert!(!high.contains("Anne Test") && !high.contains("Bruno Test"));

    let manager = log_in(&c.w.app, common::accounts::GEST_A).await;
    let (_, page) = manager.page(&format!("/risque?groupe={}", c.group)).await;
    assert!(page.contains("Carl Test") && !page.contains("Denis Test"));
    let csv = manager
        .get("/risque/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    let carl = csv
        .lines()
        .find(|l| l.contains("Carl"))
        .expect("Carl dans le CSV");
    assert!(carl.contains(";50;moyen;"), "{carl}");
    assert!(!csv.contains("Denis"));

    let billing = log_in(&c.w.app, common::accounts::FACT).await;
    assert_eq!(billing.get("/risque").await.status(), 403);
    let other = insert_group(pool, c.w.district_b, "Autre", "A").await;
    let (_, page) = manager.page(&format!("/risque?groupe={other}")).await;
    assert!(page.contains("Aucun membre actif ne correspond"));
}

#[tokio::test]
async fn scores_of_another_day_are_recomputed_before_a_page_reads_them() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let manager = log_in(&c.w.app, common::accounts::GEST_A).await;
    let (_, page) = manager.page("/district").await;
    assert!(page.contains("Les plus à risque de ne pas renouveler"));
    // As if computed an earlier day, then a later one (the server's date
    // set back), each time with another result.
    for stale in [
        "UPDATE member_risks SET computed_on = '2026-11-23', score = 3 WHERE member_id = $1",
        "UPDATE member_risks SET computed_on = '2026-12-05', score = 3 WHERE member_id = $1",
    ] {
        write_for(pool, stale, c.carl).await;
        let (_, page) = manager.page("/district").await;
        let risky = &page[page.find("risk-title").expect("les plus à risque")..];
        let carl = &risky[risky
            .find("Carl Test")
            .expect("Carl parmi les plus à risque")..];
        assert!(
            carl[..carl.find("</tr>").unwrap_or(carl.len())].contains("Risque 50"),
            "{stale}: {carl}"
        );
        let score: i16 = sqlx::query_scalar("SELECT score FROM member_risks WHERE member_id = $1")
            .bind(c.carl)
            .fetch_one(pool)
            .await
            .expect("score");
        assert_eq!(score, 50, "{stale}");
    }
}

#[tokio::test]
async fn the_to_do_list_can_be_ordered_by_risk() {
    let c = club().await;
    let pool = &c.w.app.pool;
    // Bruno in red, Anne untouched: by risk Bruno comes first.
    follow_up_on(pool, c.bruno, c.w.rep_a1, "2026-09-01", "before_6m", "red").await;
    let rep = log_in(&c.w.app, common::accounts::REP_A1).await;
    let (_, by_risk) = rep.page("/aujourdhui?ordre=risque").await;
    let todo = &by_risk[by_risk.find("todo-title").expect("à faire")..];
    assert!(
        todo.find("Bruno Test") < todo.find("Anne Test"),
        "Bruno first by risk"
    );
    // Each line carries its own member's risk, read for the lines shown.
    let row = |name: &str| {
        let at = todo.find(name).expect("ligne du membre");
        let end = todo[at..].find("</tr>").map_or(todo.len(), |e| at + e);
        todo[at..end].to_string()
    };
    assert!(row("Bruno Test").contains("état « Rouge » au dernier suivi (+25 points)"));
    assert!(!row("Anne Test").contains("Rouge"), "{}", row("Anne Test"));
    assert!(row("Anne Test").contains("Risque "), "{}", row("Anne Test"));
    assert!(
        by_risk.contains("<strong aria-current=\"true\">risque de non-renouvellement</strong>")
    );
}

/// The tallies by score equal a count of the scores themselves.
async fn assert_tallies_match(pool: &sqlx::PgPool, when: &str) {
    for (tally, key) in [
        ("risk_district_scores", "district_id"),
        ("risk_representative_scores", "representative_id"),
    ] {
        let recount = if key == "district_id" {
            "district_id"
        } else {
            "COALESCE(representative_id, 0)"
        };
        let differ: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM (SELECT {key} AS k, score, n FROM {tally} WHERE n <> 0 \
             EXCEPT SELECT {recount}, score, count(*) FROM member_risks WHERE active GROUP BY 1, 2) x"
        )))
        .fetch_one(pool)
        .await
        .expect("comparaison");
        assert_eq!(differ, 0, "{tally} after {when}");
    }
}

#[tokio::test]
async fn the_counts_by_level_follow_every_change_of_a_score_and_of_its_member() {
    let c = club().await;
    let pool = &c.w.app.pool;
    let manager = log_in(&c.w.app, common::accounts::GEST_A).await;
    let (_, page) = manager.page("/risque").await;
    assert_tallies_match(pool, "the first page").await;
    assert!(
        page.contains("<span class=\"count\">0</span> à risque élevé"),
        "{page}"
    );
    follow_up_on(pool, c.anne, c.w.rep_a1, "2026-11-20", "before_3m", "red").await;
    let (_, page) = manager.page("/risque").await;
    assert!(page.contains("<span class=\"count\">1</span> à risque élevé"));
    assert_tallies_match(pool, "a follow-up").await;
    common::reports::write_for(
        pool,
        "UPDATE members SET representative_id = NULL WHERE id = $1",
        c.carl,
    )
    .await;
    assert_tallies_match(pool, "an orphaned member").await;
    common::reports::write_for(
        pool,
        "UPDATE members SET status = 'lost', lost_on = '2026-11-20', \
         lost_reason_id = (SELECT min(id) FROM reasons) WHERE id = $1",
        c.bruno,
    )
    .await;
    manager.page("/risque").await;
    assert_tallies_match(pool, "a departure").await;
    common::reports::write_for(pool, "DELETE FROM members WHERE id = $1", c.carl).await;
    assert_tallies_match(pool, "a member removed").await;
}
