//! A renewal recorded after its date: the new cycle's « Inscription
//! (vérification) » counts from the day it was recorded and stays a task
//! until followed up, instead of being missed at once.
mod common;

use common::accounts::{FACT, REP_A1, client_as, get, world};
use common::actions::{ask_send_and_pay, log_follow_up, log_in};
use common::location;

/// The section of the member file drawing the cycle.
fn cycle_of(page: &str) -> &str {
    let start = page.find("Échéancier du cycle").expect("échéancier");
    &page[start..]
}

/// The « À faire : étapes sans suivi » section of « Aujourd'hui ».
fn todo_of(page: &str) -> &str {
    let start = page.find("À faire : étapes sans suivi").expect("à faire");
    let rest = &page[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn a_late_payment_starts_the_welcome_stage_on_the_day_it_is_recorded() {
    let w = world().await;
    // Due 2026-10-20, paid 2026-11-24 (today): five weeks late, so by the
    // dates alone the new cycle would already be at « 1 mois après ».
    renew_late(&w, w.m1).await;
    let (renewal, welcome_from): (chrono::NaiveDate, Option<chrono::NaiveDate>) =
        sqlx::query_as("SELECT renewal_date, welcome_from FROM members WHERE id = $1")
            .bind(w.m1)
            .fetch_one(&w.app.pool)
            .await
            .unwrap();
    assert_eq!(renewal.to_string(), "2027-10-20");
    assert_eq!(
        welcome_from.map(|d| d.to_string()).as_deref(),
        Some("2026-11-24")
    );
}

#[tokio::test]
async fn after_a_late_payment_the_file_shows_the_welcome_stage_current_not_missed() {
    let w = world().await;
    renew_late(&w, w.m1).await;
    let rep = client_as(&w.app, REP_A1).await;
    let file = get(&w.app, &rep, &format!("/membres/{}", w.m1))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        file.contains("À faire maintenant : Inscription (vérification)"),
        "{file}"
    );
    assert!(file.contains("Étape commencée le 24 nov. 2026"), "{file}");
    let cycle = cycle_of(&file);
    assert!(!cycle.contains("manquée"), "{cycle}");
    assert!(cycle.contains("current"));
}

#[tokio::test]
async fn after_a_late_payment_today_lists_the_welcome_stage_to_do() {
    let w = world().await;
    renew_late(&w, w.m1).await;
    let rep = client_as(&w.app, REP_A1).await;
    let day = get(&w.app, &rep, "/aujourdhui").await.text().await.unwrap();
    let todo = todo_of(&day);
    assert!(todo.contains("Alice Audet"), "{todo}");
    assert!(todo.contains("Inscription (vérification)"), "{todo}");
}

#[tokio::test]
async fn a_follow_up_after_a_late_payment_does_the_welcome_stage_and_the_dated_one_takes_over() {
    let w = world().await;
    renew_late(&w, w.m1).await;
    let rep = log_in(&w.app, REP_A1).await;
    let r = log_follow_up(&rep, w.m1, "Inscription vérifiée, profil complet.", "green").await;
    assert_eq!(r.status(), 303);
    let stage: Option<String> = sqlx::query_scalar(
        "SELECT stage_key FROM follow_ups WHERE member_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(w.m1)
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(stage.as_deref(), Some("welcome"));
    let (_, file) = rep.page(&location(&r)).await;
    assert!(file.contains("À faire maintenant : 1 mois après"), "{file}");
    let cycle = cycle_of(&file);
    assert!(cycle.contains("faite"));
    assert!(!cycle.contains("manquée"), "{cycle}");
}

#[tokio::test]
async fn a_renewal_recorded_on_time_keeps_the_dated_stages() {
    let w = world().await;
    let pool = &w.app.pool;
    // Due 2026-12-01, paid a week early: nothing moves.
    sqlx::query("UPDATE members SET renewal_date = '2026-12-01' WHERE id = $1")
        .bind(w.m2)
        .execute(pool)
        .await
        .unwrap();
    let rep = log_in(&w.app, REP_A1).await;
    let fact = log_in(&w.app, FACT).await;
    let fields = [("decision", "renew_same"), ("amount", "150")];
    ask_send_and_pay(&rep, &fact, w.m2, &fields).await;
    let welcome_from: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT welcome_from FROM members WHERE id = $1")
            .bind(w.m2)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(welcome_from, None);
    let (_, file) = rep.page(&format!("/membres/{}", w.m2)).await;
    assert!(
        file.contains("Le nouveau cycle commence le 1 déc. 2026"),
        "{file}"
    );
}

/// Records `member`'s renewal due 2026-10-20 as paid today (2026-11-24),
/// five weeks late: by date alone the new cycle is at « 1 mois après ».
async fn renew_late(w: &common::accounts::World, member: i64) {
    sqlx::query("UPDATE members SET renewal_date = '2026-10-20' WHERE id = $1")
        .bind(member)
        .execute(&w.app.pool)
        .await
        .unwrap();
    let rep = log_in(&w.app, REP_A1).await;
    let fact = log_in(&w.app, FACT).await;
    let fields = [("decision", "renew_same"), ("amount", "150")];
    ask_send_and_pay(&rep, &fact, member, &fields).await;
}

/// Active members per stage key, for one scope, as the homes count them.
async fn stage_count(
    w: &common::accounts::World,
    scope: renouvo::domain::scope::Scope,
    stage: &str,
) -> i64 {
    let timelines = renouvo::store::timeline::load(&w.app.pool).await.unwrap();
    renouvo::store::dashboard::stage_counts(
        &w.app.pool,
        scope,
        &timelines,
        common::accounts::today(),
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|(_, s, _)| s.as_deref() == Some(stage))
    .map(|(_, _, n)| n)
    .sum()
}

/// Whether the representative's list filtered by `query` shows Alice Audet.
async fn listed(w: &common::accounts::World, query: &str) -> bool {
    let rep = client_as(&w.app, REP_A1).await;
    let page = get(&w.app, &rep, &format!("/membres?{query}"))
        .await
        .text()
        .await
        .unwrap();
    page.contains("Audet")
}

/// Members due in October 2027 by stage colour (red, yellow), as « À venir »
/// counts them: the network's from its tallies, and one portfolio's from
/// its members.
async fn pipeline_colours(w: &common::accounts::World, portfolio: bool) -> (i64, i64) {
    use renouvo::store::reports::{ReportFilter, pipeline};
    let timelines = renouvo::store::timeline::load(&w.app.pool).await.unwrap();
    let filter = ReportFilter {
        representative_id: portfolio.then_some(w.rep_a1),
        ..ReportFilter::default()
    };
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let rows = pipeline(
        &w.app.pool,
        renouvo::domain::scope::Scope::Network,
        &filter,
        &timelines,
        (d("2027-10-01"), d("2027-11-01")),
        common::accounts::today(),
    )
    .await
    .unwrap();
    let count = |colour: &str| {
        rows.iter()
            .filter(|r| !r.by_state && r.colour.as_deref() == Some(colour))
            .map(|r| r.members)
            .sum::<i64>()
    };
    (count("red"), count("yellow"))
}

/// The three scopes whose homes count by stage: the network's and the
/// district's tallies, and a portfolio's members.
fn home_scopes(w: &common::accounts::World) -> [renouvo::domain::scope::Scope; 3] {
    use renouvo::domain::scope::Scope;
    [
        Scope::Network,
        Scope::District(w.district_a),
        Scope::Representative {
            user_id: w.rep_a1,
            district_id: w.district_a,
        },
    ]
}

/// The representative logs the follow-up that checks the registration.
async fn follow_up_welcome(w: &common::accounts::World, member: i64) {
    let rep = log_in(&w.app, REP_A1).await;
    let r = log_follow_up(&rep, member, "Inscription vérifiée.", "green").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn homes_and_upcoming_count_a_late_renewal_in_the_welcome_stage_until_followed_up() {
    let w = world().await;
    let mut before = Vec::new();
    for scope in home_scopes(&w) {
        before.push((
            stage_count(&w, scope, "welcome").await,
            stage_count(&w, scope, "after_1m").await,
        ));
    }
    renew_late(&w, w.m1).await;
    // Held in « Inscription (vérification) »: counted there by every home,
    // not in « 1 mois après » where its dates would put it.
    for (scope, (welcome, after)) in home_scopes(&w).into_iter().zip(&before) {
        assert_eq!(
            stage_count(&w, scope, "welcome").await,
            welcome + 1,
            "{scope:?}"
        );
        assert_eq!(
            stage_count(&w, scope, "after_1m").await,
            *after,
            "{scope:?}"
        );
    }
    let held_network = pipeline_colours(&w, false).await;
    let held_portfolio = pipeline_colours(&w, true).await;
    assert!(held_portfolio.0 >= 1, "{held_portfolio:?}");

    // Followed up: back to the dates, on the homes and in « À venir » (from
    // the first stage's colour, red, to the dated one's, yellow).
    follow_up_welcome(&w, w.m1).await;
    for (scope, (welcome, after)) in home_scopes(&w).into_iter().zip(&before) {
        assert_eq!(
            stage_count(&w, scope, "welcome").await,
            *welcome,
            "{scope:?}"
        );
        assert_eq!(
            stage_count(&w, scope, "after_1m").await,
            after + 1,
            "{scope:?}"
        );
    }
    for (portfolio, (red, yellow)) in [(false, held_network), (true, held_portfolio)] {
        assert_eq!(
            pipeline_colours(&w, portfolio).await,
            (red - 1, yellow + 1),
            "portfolio: {portfolio}"
        );
    }
}

#[tokio::test]
async fn the_list_filters_a_late_renewal_under_the_welcome_stage_until_followed_up() {
    let w = world().await;
    renew_late(&w, w.m1).await;
    assert!(listed(&w, "etape=welcome").await);
    assert!(listed(&w, "etape=welcome&tri=nom").await);
    assert!(!listed(&w, "etape=after_1m").await);
    assert!(listed(&w, "couleur=red").await);
    let rep = client_as(&w.app, REP_A1).await;
    let list = get(&w.app, &rep, "/membres?etape=welcome")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Inscription (vérification)"), "{list}");

    follow_up_welcome(&w, w.m1).await;
    assert!(!listed(&w, "etape=welcome").await);
    assert!(listed(&w, "etape=after_1m").await);
}

#[tokio::test]
async fn the_district_activity_counts_a_held_welcome_stage_as_to_do() {
    let w = world().await;
    renew_late(&w, w.m1).await;
    let timelines = renouvo::store::timeline::load(&w.app.pool).await.unwrap();
    let undone = || {
        let timelines = timelines.clone();
        let pool = w.app.pool.clone();
        let (district, rep) = (w.district_a, w.rep_a1);
        async move {
            let by_rep = renouvo::store::activity::undone_by_representative(
                &pool,
                district,
                &timelines,
                common::accounts::today(),
            )
            .await
            .unwrap();
            by_rep.get(&rep).copied().unwrap_or(0)
        }
    };
    let held = undone().await;
    // Even when the stage by date already has a follow-up, the held
    // welcome stage is still to do.
    sqlx::query(
        "INSERT INTO stage_follow_ups (member_id, cycle, stage_key, first_at, last_at, follow_ups) \
         SELECT id, cycle, 'after_1m', now(), now(), 1 FROM members WHERE id = $1",
    )
    .bind(w.m1)
    .execute(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(
        undone().await,
        held,
        "the held welcome stage is still to do"
    );
    // Followed up: the dated stage, already done, leaves nothing to do.
    follow_up_welcome(&w, w.m1).await;
    assert_eq!(undone().await, held - 1);
}
