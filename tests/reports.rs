//! Reports on a small hand-built history whose figures were worked out by
//! hand (today is 2026-11-29):
//!
//! | member | district | formula | rep | history |
//! |---|---|---|---|---|
//! | Aubin | A (group G) | exclusive | rep1 | due 2026-01-15, renewed 2026-01-10; all 7 pre-renewal stages followed, last state flame |
//! | Bédard | A | regional | rep1 | due 2026-02-10, renewed late on 2026-03-20; 2 stages followed, last state yellow |
//! | Caron | A | regional | rep2 | due 2026-02-20, lost 2026-03-01 (Manque de temps); no follow-up |
//! | Dion | A | partner | rep2 | due 2026-04-05, still pending; 1 stage followed, last state red |
//! | Éthier | B | regional (6 months) | rep3 | due 2026-01-20 renewed, then due 2026-07-20 and lost 2026-07-01 (Entreprise fermée) |
//! | Fortin | A | regional | rep2 | due 2026-12-01, lost early on 2026-03-15 (Manque de temps) |
//! | Gauthier | A | regional | rep1 | due 2026-11-05, pending (red stage, red state) |
//! | Hébert | A | regional | rep1 | due 2026-11-30, upcoming (red stage, green state), invoice sent 450 $ |
//! | Imbeault | A | regional | rep1 | due 2026-11-02, renewed on 2026-11-01 with a paid request of 500 $ |
//!
//! Retention from 2026-01 to 2026-07: January 2 due / 2 renewed (100 %),
//! February 2 / 1 renewed (late) / 1 lost (50 %), March nothing due (—),
//! April 1 pending (0 %, provisional), May and June nothing, July 1 lost.
mod common;

use common::reports::*;
use common::{PASSWORD, TestApp};
use renouvo::domain::user::Role;

struct World {
    app: TestApp,
    district_b: i64,
    group_g: i64,
}

async fn world() -> World {
    let app = TestApp::spawn_at(d("2026-11-29")).await;
    let pool = &app.pool;
    let a = app.create_district("Montréal").await;
    let b = app.create_district("Québec").await;
    let g = group(pool, a, "Groupe G").await;
    let rep1 = app
        .create_user("rep1@test.ca", Role::Representative, Some(a))
        .await;
    let rep2 = app
        .create_user("rep2@test.ca", Role::Representative, Some(a))
        .await;
    let rep3 = app
        .create_user("rep3@test.ca", Role::Representative, Some(b))
        .await;
    let manager = app
        .create_user("gest@test.ca", Role::DistrictManager, Some(a))
        .await;
    let direction = app.create_user("dir@test.ca", Role::Direction, None).await;
    app.create_user("fact@test.ca", Role::Billing, None).await;

    let aubin = member(
        pool,
        MemberSpec {
            group: Some(g),
            rep: Some(rep1),
            cycle: 2,
            state: Some("flame"),
            ..MemberSpec::new("Aubin", a, "exclusive", "2027-01-15")
        },
    )
    .await;
    renewal(
        pool,
        aubin,
        direction,
        "2026-01-15",
        "2027-01-15",
        "exclusive",
        "2026-01-10",
        2,
        None,
    )
    .await;
    let stages = [
        ("before_6m", "2025-07-16"),
        ("before_3m", "2025-10-16"),
        ("before_2m", "2025-11-16"),
        ("before_1m", "2025-12-16"),
        ("before_3w", "2025-12-26"),
        ("before_2w", "2026-01-02"),
        ("before_1w", "2026-01-09"),
    ];
    for (i, (stage, when)) in stages.iter().enumerate() {
        let state = if i == stages.len() - 1 {
            "flame"
        } else {
            "green"
        };
        follow_up(pool, aubin, rep1, when, 1, stage, state).await;
    }

    let bedard = member(
        pool,
        MemberSpec {
            rep: Some(rep1),
            cycle: 2,
            ..MemberSpec::new("Bédard", a, "regional", "2027-02-10")
        },
    )
    .await;
    renewal(
        pool,
        bedard,
        direction,
        "2026-02-10",
        "2027-02-10",
        "regional",
        "2026-03-20",
        2,
        None,
    )
    .await;
    follow_up(pool, bedard, rep1, "2025-11-15", 1, "before_3m", "green").await;
    follow_up(pool, bedard, rep1, "2026-01-15", 1, "before_1m", "yellow").await;

    let caron = member(
        pool,
        MemberSpec {
            rep: Some(rep2),
            ..MemberSpec::new("Caron", a, "regional", "2026-02-20")
        },
    )
    .await;
    lose(pool, caron, "2026-03-01", "Manque de temps").await;

    let dion = member(
        pool,
        MemberSpec {
            rep: Some(rep2),
            ..MemberSpec::new("Dion", a, "partner", "2026-04-05")
        },
    )
    .await;
    follow_up(pool, dion, rep2, "2026-03-10", 1, "before_1m", "red").await;

    let ethier = member(
        pool,
        MemberSpec {
            rep: Some(rep3),
            term: 6,
            cycle: 2,
            ..MemberSpec::new("Éthier", b, "regional", "2026-07-20")
        },
    )
    .await;
    renewal(
        pool,
        ethier,
        direction,
        "2026-01-20",
        "2026-07-20",
        "regional",
        "2026-01-18",
        2,
        None,
    )
    .await;
    lose(pool, ethier, "2026-07-01", "Entreprise fermée").await;

    let fortin = member(
        pool,
        MemberSpec {
            rep: Some(rep2),
            ..MemberSpec::new("Fortin", a, "regional", "2026-12-01")
        },
    )
    .await;
    lose(pool, fortin, "2026-03-15", "Manque de temps").await;

    let gauthier = member(
        pool,
        MemberSpec {
            rep: Some(rep1),
            state: Some("red"),
            ..MemberSpec::new("Gauthier", a, "regional", "2026-11-05")
        },
    )
    .await;
    let hebert = member(
        pool,
        MemberSpec {
            rep: Some(rep1),
            state: Some("green"),
            ..MemberSpec::new("Hébert", a, "regional", "2026-11-30")
        },
    )
    .await;
    billing_request(pool, hebert, rep1, 1, "invoice_sent", 45_000).await;
    let imbeault = member(
        pool,
        MemberSpec {
            rep: Some(rep1),
            cycle: 2,
            ..MemberSpec::new("Imbeault", a, "regional", "2027-11-02")
        },
    )
    .await;
    let paid = billing_request(pool, imbeault, rep1, 1, "paid", 50_000).await;
    renewal(
        pool,
        imbeault,
        direction,
        "2026-11-02",
        "2027-11-02",
        "regional",
        "2026-11-01",
        2,
        Some(paid),
    )
    .await;

    // Planned follow-ups of rep1: two missed (one still open, one late), one on time.
    planned(pool, aubin, rep1, "2026-02-01", None).await;
    planned(pool, bedard, rep1, "2026-03-01", Some("2026-03-05")).await;
    planned(pool, gauthier, rep1, "2026-04-01", Some("2026-04-01")).await;
    // Escalations: the manager answers in 10 h and 50 h, direction in 30 h;
    // one district escalation is late now.
    escalation(
        pool,
        dion,
        rep2,
        "district",
        "2026-03-12",
        Some((manager, 10)),
    )
    .await;
    escalation(
        pool,
        bedard,
        rep1,
        "direction",
        "2026-02-01",
        Some((direction, 30)),
    )
    .await;
    escalation(
        pool,
        aubin,
        rep1,
        "district",
        "2026-05-01",
        Some((manager, 50)),
    )
    .await;
    escalation(pool, gauthier, rep1, "district", "2026-11-10", None).await;
    let _ = (caron, ethier, fortin);
    World {
        app,
        district_b: b,
        group_g: g,
    }
}

async fn login(app: &TestApp, email: &str) {
    let r = app.login(email, PASSWORD).await;
    assert_eq!(r.status(), 303, "connexion de {email}");
}

async fn text(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

const PERIOD: &str = "du=2026-01&au=2026-07";

/// The team report's table of escalation receivers, July 2025 to July 2026.
async fn receivers_csv(app: &TestApp) -> String {
    text(
        app,
        "/rapports/equipe.csv?tableau=escalades&du=2025-07&au=2026-07&format=virgule",
    )
    .await
}

#[tokio::test]
async fn retention_by_month_counts_late_renewals_and_losses_in_their_due_month() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let csv = text(&w.app, &format!("/rapports/retention.csv?{PERIOD}")).await;
    assert_eq!(
        csv,
        "\u{feff}mois;échus;renouvelés;perdus;en attente;taux\n\
         2026-01;2;2;0;0;100,0\n\
         2026-02;2;1;1;0;50,0\n\
         2026-03;0;0;0;0;\n\
         2026-04;1;0;0;1;0,0\n\
         2026-05;0;0;0;0;\n\
         2026-06;0;0;0;0;\n\
         2026-07;1;0;1;0;0,0\n"
    );
}

#[tokio::test]
async fn retention_page_shows_a_dash_for_an_empty_month_and_marks_pending_months_provisional() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let page = text(&w.app, &format!("/rapports/retention?{PERIOD}")).await;
    let row = |month: &str| {
        let start = page
            .find(&format!("<th scope=\"row\">{month}"))
            .expect(month);
        let end = start + page[start..].find("</tr>").unwrap();
        page[start..end].to_string()
    };
    assert!(
        row("mars 2026").contains("<td class=\"num\">—</td>"),
        "{}",
        row("mars 2026")
    );
    assert!(!row("mars 2026").contains("provisoire"));
    assert!(row("avril 2026").contains("provisoire"));
    assert!(row("avril 2026").contains("0,0 %"));
    assert!(row("février 2026").contains("50,0 %"));
    assert!(!row("février 2026").contains("provisoire"));
    // Over the period: 6 due, 3 renewed.
    assert!(page.contains("<span class=\"figure\">50,0 %</span> taux de rétention"));
}

#[tokio::test]
async fn retention_breakdowns_by_district_formula_group_and_representative() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let get = |table: &str| {
        let app = &w.app;
        let path = format!("/rapports/retention.csv?tableau={table}&{PERIOD}&format=virgule");
        async move { text(app, &path).await }
    };
    assert_eq!(
        get("district").await,
        "district,échus,renouvelés,perdus,en attente,taux\n\
         Montréal,4,2,1,1,50.0\n\
         Québec,2,1,1,0,50.0\n"
    );
    assert_eq!(
        get("formule").await,
        "formule,échus,renouvelés,perdus,en attente,taux\n\
         Partenaire,1,0,0,1,0.0\n\
         Siège exclusif,1,1,0,0,100.0\n\
         Siège régional,4,2,2,0,50.0\n"
    );
    assert_eq!(
        get("groupe").await,
        "groupe,échus,renouvelés,perdus,en attente,taux\n\
         Groupe G,1,1,0,0,100.0\n\
         Sans groupe (régional ou partenaire),5,2,2,1,40.0\n"
    );
    assert_eq!(
        get("representant").await,
        "représentant·e,échus,renouvelés,perdus,en attente,taux\n\
         Test rep1@test.ca,2,2,0,0,100.0\n\
         Test rep2@test.ca,2,0,1,1,0.0\n\
         Test rep3@test.ca,2,1,1,0,50.0\n"
    );
}

#[tokio::test]
async fn retention_csv_keeps_the_filters_and_the_page_links_carry_them() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let csv = text(
        &w.app,
        &format!(
            "/rapports/retention.csv?{PERIOD}&district={}&format=virgule",
            w.district_b
        ),
    )
    .await;
    assert_eq!(
        csv,
        "mois,échus,renouvelés,perdus,en attente,taux\n\
         2026-01,1,1,0,0,100.0\n2026-02,0,0,0,0,\n2026-03,0,0,0,0,\n2026-04,0,0,0,0,\n\
         2026-05,0,0,0,0,\n2026-06,0,0,0,0,\n2026-07,1,0,1,0,0.0\n"
    );
    let csv = text(
        &w.app,
        &format!(
            "/rapports/retention.csv?{PERIOD}&groupe={}&formule=exclusive",
            w.group_g
        ),
    )
    .await;
    assert!(csv.starts_with("\u{feff}mois;"));
    assert!(csv.contains("2026-01;1;1;0;0;100,0\n2026-02;0;0;0;0;\n"));
    let page = text(
        &w.app,
        &format!("/rapports/retention?{PERIOD}&district={}", w.district_b),
    )
    .await;
    let link = format!(
        "/rapports/retention.csv?du=2026-01&#38;au=2026-07&#38;district={}",
        w.district_b
    );
    assert!(
        page.contains(&format!("href=\"{link}\"")),
        "Excel link with filters"
    );
    assert!(page.contains(&format!("href=\"{link}&#38;format=virgule\"")));
    assert!(page.contains(&format!(
        "/rapports/retention.csv?tableau=district&#38;du=2026-01&#38;au=2026-07&#38;district={}",
        w.district_b
    )));
}

#[tokio::test]
async fn a_bad_month_gets_a_french_message_and_the_default_period() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let r = w.app.get("/rapports/retention?du=2026-13&au=hier").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("s&#39;écrit AAAA-MM"), "message by the field");
    assert!(page.contains("value=\"2026-13\""), "typed value kept");
    assert!(
        page.contains("novembre 2025 à octobre 2026"),
        "default period drawn"
    );
    let r = w.app.get("/rapports/departs?du=2026-06&au=2026-01").await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Le mois de fin doit venir après")
    );
    let r = w.app.get("/rapports/retention.csv?du=n%27importe").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn losses_by_category_reason_and_month_and_the_people_to_win_back() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let cats = text(&w.app, "/rapports/departs.csv?format=virgule").await;
    assert_eq!(
        cats,
        "catégorie,départs,part\nIrrécupérable,1,33.3\nRécupérable,2,66.7\n"
    );
    let reasons = text(&w.app, "/rapports/departs.csv?tableau=raison").await;
    assert_eq!(
        reasons,
        "\u{feff}raison;catégorie;départs;part\n\
         Manque de temps;Récupérable;2;66,7\n\
         Entreprise fermée;Irrécupérable;1;33,3\n"
    );
    let months = text(
        &w.app,
        "/rapports/departs.csv?tableau=mois&du=2026-02&au=2026-07&format=virgule",
    )
    .await;
    assert_eq!(
        months,
        "mois,irrécupérables,récupérables,récupérables toujours suivis,total\n\
         2026-02,0,0,0,0\n2026-03,0,2,0,2\n2026-04,0,0,0,0\n2026-05,0,0,0,0\n\
         2026-06,0,0,0,0\n2026-07,1,0,0,1\n"
    );
    let page = text(&w.app, "/rapports/departs").await;
    assert!(page.contains("À aller rechercher (2)"));
    let fortin = page.find("Membre Fortin").expect("Fortin listed");
    let caron = page.find("Membre Caron").expect("Caron listed");
    assert!(fortin < caron, "most recent departure first");
    assert!(
        !page.contains("Membre Éthier</strong>"),
        "irrecoverable not listed"
    );
    let list = text(
        &w.app,
        "/rapports/departs.csv?tableau=a-recuperer&format=virgule",
    )
    .await;
    assert!(list.starts_with(
        "membre,entreprise,district,parti le,raison,dernier contact,représentant·e\n"
    ));
    assert!(
        list.contains("Membre Fortin,,Montréal,2026-03-15,Manque de temps,,Test rep2@test.ca\n")
    );
}

#[tokio::test]
async fn pipeline_buckets_by_month_colour_state_and_billing() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let colours = text(&w.app, "/rapports/a-venir.csv?format=virgule").await;
    let lines: Vec<&str> = colours.lines().collect();
    assert_eq!(lines[0], "mois,rouge,orange,jaune,vert,total");
    assert_eq!(lines.len(), 13, "12 months");
    // November: Gauthier (overdue) and Hébert (a week before), both red.
    assert_eq!(lines[1], "2026-11,2,0,0,0,2");
    assert_eq!(lines[2], "2026-12,0,0,0,0,0");
    // Aubin (two months before) and Bédard (three months before): yellow.
    assert_eq!(lines[3], "2027-01,0,0,1,0,1");
    assert_eq!(lines[4], "2027-02,0,0,1,0,1");
    let states = text(&w.app, "/rapports/a-venir.csv?tableau=etat&format=virgule").await;
    let lines: Vec<&str> = states.lines().collect();
    assert_eq!(lines[0], "mois,flamme,vert,jaune,rouge,aucun état,total");
    assert_eq!(lines[1], "2026-11,0,1,0,1,0,2");
    assert_eq!(lines[3], "2027-01,1,0,0,0,0,1");
    assert_eq!(lines[4], "2027-02,0,0,0,0,1,1");
    let billing = text(&w.app, "/rapports/a-venir.csv?tableau=facturation").await;
    assert_eq!(
        billing,
        "\u{feff}mois;facturation;membres;avec montant;montant ($)\n\
         2026-11;À demander;1;0;\n\
         2026-11;Demandée;0;0;\n\
         2026-11;Facturée;1;1;450,00\n\
         2026-11;Payée (renouvelé);1;1;500,00\n\
         2026-12;À demander;0;0;\n\
         2026-12;Demandée;0;0;\n\
         2026-12;Facturée;0;0;\n\
         2026-12;Payée (renouvelé);0;0;\n"
    );
}

#[tokio::test]
async fn follow_up_effect_groups_by_stages_followed_and_last_state() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let coverage = text(
        &w.app,
        &format!("/rapports/suivi.csv?{PERIOD}&format=virgule"),
    )
    .await;
    assert_eq!(
        coverage,
        "étapes suivies,échus,renouvelés,perdus,en attente,taux\n\
         Toutes les étapes suivies,1,1,0,0,100.0\n\
         Une partie des étapes suivies,2,1,0,1,50.0\n\
         Aucune étape suivie,3,1,2,0,33.3\n"
    );
    let states = text(
        &w.app,
        &format!("/rapports/suivi.csv?tableau=etat&{PERIOD}&format=virgule"),
    )
    .await;
    assert_eq!(
        states,
        "dernier état,échus,renouvelés,perdus,en attente,taux\n\
         Flamme,1,1,0,0,100.0\n\
         Vert,0,0,0,0,\n\
         Jaune,1,1,0,0,100.0\n\
         Rouge,1,0,0,1,0.0\n\
         Aucun suivi avant l'échéance,3,1,2,0,33.3\n"
    );
}

#[tokio::test]
async fn team_figures_per_representative_and_per_receiver_with_the_90th_percentile() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let reps = text(
        &w.app,
        "/rapports/equipe.csv?du=2025-07&au=2026-07&format=virgule",
    )
    .await;
    assert_eq!(
        reps,
        "représentant·e,district,membres actifs,échus,renouvelés,taux,suivis,étapes suivies (%),relances manquées,escalades\n\
         Test rep1@test.ca,Montréal,5,2,2,100.0,9,64.3,2,2\n\
         Test rep2@test.ca,Montréal,1,2,0,0.0,1,7.7,0,1\n\
         Test rep3@test.ca,Québec,0,2,1,50.0,0,0.0,0,0\n"
    );
    let receivers = receivers_csv(&w.app).await;
    assert_eq!(
        receivers,
        "destinataire,rôle,répondues,délai médian (h),délai 90e centile (h),en retard\n\
         Test dir@test.ca,Direction,1,30.0,30.0,1\n\
         Test gest@test.ca,Gestionnaire de district,2,30.0,46.0,3\n"
    );
}

#[tokio::test]
async fn a_manager_sees_only_their_district_even_when_asking_for_another() {
    let w = world().await;
    login(&w.app, "gest@test.ca").await;
    for query in [
        PERIOD.to_string(),
        format!("{PERIOD}&district={}", w.district_b),
    ] {
        let csv = text(
            &w.app,
            &format!("/rapports/retention.csv?{query}&format=virgule"),
        )
        .await;
        assert!(csv.contains("2026-01,1,1,0,0,100.0\n"), "{csv}");
        assert!(
            csv.contains("2026-07,0,0,0,0,\n"),
            "Québec's loss hidden: {csv}"
        );
    }
    let team = text(
        &w.app,
        "/rapports/equipe.csv?du=2025-07&au=2026-07&format=virgule",
    )
    .await;
    assert!(!team.contains("rep3"), "another district's representative");
    let receivers = receivers_csv(&w.app).await;
    assert_eq!(
        receivers,
        "destinataire,rôle,répondues,délai médian (h),délai 90e centile (h),en retard\n\
         Test dir@test.ca,Direction,1,30.0,30.0,1\n\
         Test gest@test.ca,Gestionnaire de district,2,30.0,46.0,3\n"
    );
    // The district's missed planned follow-ups come from its tally: the
    // same figures as the network's for a representative of the district.
    assert!(
        team.contains("Test rep1@test.ca,Montréal,5,2,2,100.0,9,64.3,2,2\n"),
        "{team}"
    );
    let losses = text(&w.app, "/rapports/departs.csv?format=virgule").await;
    assert_eq!(losses, "catégorie,départs,part\nRécupérable,2,100.0\n");
}

/// Escalations and missed planned follow-ups are the district's of the
/// member as they are now: Aubin and Bédard move to Québec and take theirs
/// along (the direction's network figures do not change).
#[tokio::test]
async fn a_member_moving_district_takes_escalations_and_missed_follow_ups_along() {
    let w = world().await;
    let pool = &w.app.pool;
    for name in ["Aubin", "Bédard"] {
        sqlx::query("UPDATE members SET district_id = $2 WHERE id = $1")
            .bind(member_named(pool, name).await)
            .bind(w.district_b)
            .execute(pool)
            .await
            .expect("déménagement");
    }
    login(&w.app, "gest@test.ca").await;
    let receivers = receivers_csv(&w.app).await;
    // Left: Dion's escalation answered in 10 h; Dion's and Gauthier's
    // waiting past their date.
    assert_eq!(
        receivers,
        "destinataire,rôle,répondues,délai médian (h),délai 90e centile (h),en retard\n\
         Test gest@test.ca,Gestionnaire de district,1,10.0,10.0,2\n"
    );
    let team = text(
        &w.app,
        "/rapports/equipe.csv?du=2025-07&au=2026-07&format=virgule",
    )
    .await;
    // rep1 keeps three members, no missed planned follow-up and no
    // escalation raised in Montréal (the follow-ups logged stay where they
    // were written).
    assert!(
        team.contains("Test rep1@test.ca,Montréal,3,0,0,,9,,0,0\n"),
        "{team}"
    );
    // Across the network, each district's overdue escalations wait for its
    // own manager: Québec's new manager has the two that moved, Montréal's
    // keeps the two left behind.
    w.app
        .create_user("gest.qc@test.ca", Role::DistrictManager, Some(w.district_b))
        .await;
    login(&w.app, "dir@test.ca").await;
    let receivers = receivers_csv(&w.app).await;
    assert_eq!(
        receivers,
        "destinataire,rôle,répondues,délai médian (h),délai 90e centile (h),en retard\n\
         Test dir@test.ca,Direction,1,30.0,30.0,1\n\
         Test gest.qc@test.ca,Gestionnaire de district,0,,,1\n\
         Test gest@test.ca,Gestionnaire de district,2,30.0,46.0,2\n"
    );
    assert_report_tallies_match(pool).await;
}

#[tokio::test]
async fn a_representative_sees_only_their_own_members() {
    let w = world().await;
    login(&w.app, "rep1@test.ca").await;
    let csv = text(
        &w.app,
        &format!("/rapports/retention.csv?{PERIOD}&format=virgule"),
    )
    .await;
    assert!(
        csv.contains("2026-01,1,1,0,0,100.0\n2026-02,1,1,0,0,100.0\n"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-04,0,0,0,0,\n"),
        "rep2's pending member hidden"
    );
    let losses = text(&w.app, "/rapports/departs.csv?format=virgule").await;
    assert_eq!(losses, "catégorie,départs,part\n");
    let team = text(
        &w.app,
        "/rapports/equipe.csv?du=2025-07&au=2026-07&format=virgule",
    )
    .await;
    assert_eq!(team.lines().count(), 2, "their own line only: {team}");
    // Their home counts this month's renewals: Imbeault renewed; Gauthier
    // (date passed) and Hébert (still to come) pending.
    let today = text(&w.app, "/aujourdhui").await;
    let start = today
        .find("Mes renouvellements de novembre 2026")
        .expect("section");
    let end = start + today[start..].find("</section>").expect("end of section");
    let section = &today[start..end];
    assert!(
        section.contains("<span class=\"figure\">1</span> renouvelé<"),
        "{section}"
    );
    assert!(
        section.contains("<span class=\"figure\">2</span> en attente"),
        "{section}"
    );
    assert!(
        section.contains("<span class=\"figure\">0</span> perdu<"),
        "{section}"
    );
}

#[tokio::test]
async fn billing_has_no_reports() {
    let w = world().await;
    login(&w.app, "fact@test.ca").await;
    for path in [
        "/rapports",
        "/rapports/retention",
        "/rapports/retention.csv",
        "/rapports/departs",
        "/rapports/departs.csv",
        "/rapports/a-venir",
        "/rapports/a-venir.csv",
        "/rapports/suivi",
        "/rapports/suivi.csv",
        "/rapports/equipe",
        "/rapports/equipe.csv",
    ] {
        let r = w.app.get(path).await;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("Montréal"), "{path} reveals nothing");
    }
}

#[tokio::test]
async fn every_chart_is_well_formed_svg_with_its_values_written_on_it() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let pages = [
        (
            format!("/rapports/retention?{PERIOD}"),
            vec![">100 %<", ">50 %<", ">—<"],
        ),
        (format!("/rapports/departs?{PERIOD}"), vec![">2<", ">1<"]),
        ("/rapports/a-venir".to_string(), vec![">2<", ">1<"]),
        (
            format!("/rapports/suivi?{PERIOD}"),
            vec![">100 %<", ">33 %<"],
        ),
        ("/direction".to_string(), vec![">2<"]),
    ];
    for (path, values) in pages {
        let page = text(&w.app, &path).await;
        let charts = svgs(&page);
        assert!(!charts.is_empty(), "{path} has a chart");
        for svg in &charts {
            well_formed(svg).unwrap_or_else(|e| panic!("{path}: {e}\n{svg}"));
            assert!(svg.contains("role=\"img\""));
            assert!(svg.contains("<title id=") && svg.contains("<desc id="));
            assert!(!svg.contains("style="), "the CSP forbids inline style");
        }
        let all = charts.concat();
        for v in values {
            assert!(all.contains(v), "{path}: {v} written on a chart");
        }
        assert!(
            page.contains("<table class=\"report"),
            "{path}: the table of the numbers"
        );
    }
}

#[tokio::test]
async fn homes_link_counts_to_the_filtered_member_lists() {
    let w = world().await;
    login(&w.app, "gest@test.ca").await;
    let home = text(&w.app, "/district").await;
    assert!(home.contains("href=\"/membres?couleur=red\""));
    assert!(home.contains("href=\"/membres?etape=before_1w\""));
    assert!(home.contains("href=\"/rapports/retention\""));
    assert!(home.contains("Renouvellements des six prochains mois"));
    // The district's late escalation is listed, overdue.
    assert!(home.contains("En retard : réponse attendue le 17 nov. 2026"));
    let client = w.app.new_client();
    let r = client
        .post(w.app.url("/login"))
        .header("origin", format!("http://{}", w.app.addr))
        .form(&[("email", "dir@test.ca"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let home = client
        .get(w.app.url("/direction"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Par district"));
    assert!(home.contains(&format!("/rapports/retention?district={}", w.district_b)));
    for report in ["retention", "departs", "a-venir", "suivi", "equipe"] {
        assert!(
            home.contains(&format!("href=\"/rapports/{report}\"")),
            "{report}"
        );
    }
}

/// One write of each kind on single members: Bédard moves to district B
/// (with their recorded renewal), Gauthier loses their representative,
/// Imbeault's renewal is undone, Caron comes back, Hébert changes formula
/// and term, a follow-up changes only Dion's state.
async fn write_each_kind_on_a_member(w: &World) {
    let pool = &w.app.pool;
    let moved = member_named(pool, "Bédard").await;
    sqlx::query("UPDATE members SET district_id = $2 WHERE id = $1")
        .bind(moved)
        .bind(w.district_b)
        .execute(pool)
        .await
        .unwrap();
    let gauthier = member_named(pool, "Gauthier").await;
    write_for(
        pool,
        "UPDATE members SET representative_id = NULL WHERE id = $1",
        gauthier,
    )
    .await;
    let undone = member_named(pool, "Imbeault").await;
    write_for(pool, "DELETE FROM renewals WHERE member_id = $1", undone).await;
    write_for(
        pool,
        "UPDATE members SET renewal_date = DATE '2026-11-02', cycle = 1 WHERE id = $1",
        undone,
    )
    .await;
    write_for(
        pool,
        "UPDATE members SET status = 'active', lost_on = NULL, lost_reason_id = NULL \
         WHERE id = $1",
        member_named(pool, "Caron").await,
    )
    .await;
    write_for(
        pool,
        "UPDATE members SET formula = 'partner', term_months = 24 WHERE id = $1",
        member_named(pool, "Hébert").await,
    )
    .await;
    write_for(
        pool,
        "UPDATE members SET state = 'red', last_contact_at = now() WHERE id = $1",
        member_named(pool, "Dion").await,
    )
    .await;
}

/// 200 members added at once in district B, then « Membre 17 » removed.
async fn add_many_then_remove_one(w: &World) {
    let pool = &w.app.pool;
    members_in_bulk(pool, w.district_b, None, 200).await;
    let removed = member_named(pool, "Membre 17").await;
    write_for(pool, "DELETE FROM members WHERE id = $1", removed).await;
}

/// The homes read tallies kept by triggers (migration 0014).
#[tokio::test]
async fn the_homes_tallies_follow_each_kind_of_write_on_a_member() {
    let w = world().await;
    assert_tallies_match(&w.app.pool).await;
    write_each_kind_on_a_member(&w).await;
    assert_tallies_match(&w.app.pool).await;
}

#[tokio::test]
async fn the_homes_tallies_follow_members_added_in_bulk_and_one_removed() {
    let w = world().await;
    add_many_then_remove_one(&w).await;
    assert_tallies_match(&w.app.pool).await;
}

/// After every kind of write, the home's twelve months, by month and
/// district, are the retention report's.
#[tokio::test]
async fn the_homes_retention_stays_the_reports_after_every_kind_of_write() {
    use renouvo::domain::scope::Scope;
    use renouvo::store::dashboard;
    use renouvo::store::reports::{self, Dim, ReportFilter};
    let w = world().await;
    let pool = &w.app.pool;
    write_each_kind_on_a_member(&w).await;
    add_many_then_remove_one(&w).await;
    assert_tallies_match(pool).await;
    let today = d("2026-11-29");
    let period = (d("2025-11-01"), d("2026-11-01"));
    for scope in [Scope::Network, Scope::District(w.district_b)] {
        let mut kept = dashboard::tallied_retention(pool, scope, period)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let key = (r.dim.clone(), r.month.clone(), r.key_id);
                (key, r.renewed, r.lost, r.pending)
            })
            .collect::<Vec<_>>();
        let dims = [Dim::Month, Dim::District];
        let filter = ReportFilter::default();
        let mut counted = reports::retention(pool, scope, &filter, period, today, &dims)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r.upcoming, 0, "complete months only");
                let key = (r.dim.clone(), r.month.clone(), r.key_id);
                (key, r.renewed, r.lost, r.pending)
            })
            .collect::<Vec<_>>();
        kept.sort();
        counted.sort();
        assert_eq!(kept, counted, "{scope:?}");
        assert!(!kept.is_empty());
    }
}

/// The day the report tests are run on.
const TODAY: &str = "2026-11-29";

/// Follow-ups of every kind: a new stage in Gauthier's current cycle, one
/// dated before Aubin's old due date (it becomes that cycle's last
/// follow-up), a correction of Gauthier's (which counts for nothing), and
/// one for every active member at once.
async fn write_follow_ups(pool: &sqlx::PgPool) {
    let rep1 = user_with_email(pool, "rep1@test.ca").await;
    let gauthier = member_named(pool, "Gauthier").await;
    follow_up(pool, gauthier, rep1, "2026-10-20", 1, "before_2w", "yellow").await;
    let aubin = member_named(pool, "Aubin").await;
    follow_up(pool, aubin, rep1, "2026-01-14", 1, "before_1w", "green").await;
    write_for(
        pool,
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, state, \
         corrects_id) SELECT member_id, author_id, at + interval '1 hour', channel, 'Correction', \
         cycle, 'before_1m', 'red', id FROM follow_ups WHERE member_id = $1",
        gauthier,
    )
    .await;
    write_for(
        pool,
        "INSERT INTO follow_ups (member_id, author_id, at, channel, body, cycle, stage_key, state) \
         SELECT id, $1, TIMESTAMPTZ '2026-11-20 15:00Z', 'call', 'Appel', cycle, 'before_1w', \
           'flame' FROM members WHERE status = 'active'",
        rep1,
    )
    .await;
}

/// Hébert's renewal recorded as the app does: the member moves on, then
/// the renewal row. Returns Hébert's id.
async fn record_heberts_renewal(pool: &sqlx::PgPool) -> i64 {
    let hebert = member_named(pool, "Hébert").await;
    write_for(
        pool,
        "UPDATE members SET renewal_date = DATE '2027-11-30', cycle = cycle + 1 WHERE id = $1",
        hebert,
    )
    .await;
    sqlx::query(
        "INSERT INTO renewals (member_id, recorded_by, previous_renewal, new_renewal, \
         previous_formula, new_formula, cycle) \
         SELECT id, $2, DATE '2026-11-30', renewal_date, formula, formula, cycle \
         FROM members WHERE id = $1",
    )
    .bind(hebert)
    .bind(user_with_email(pool, "rep1@test.ca").await)
    .execute(pool)
    .await
    .unwrap();
    hebert
}

/// Both checks on the reports: the tallies kept by triggers (migration
/// 0015) equal a recount, and so do the reports read from them.
async fn assert_reports_follow(pool: &sqlx::PgPool) {
    assert_report_tallies_match(pool).await;
    assert_reports_match_a_recount(pool, d(TODAY)).await;
}

/// The reports read a summary of each due cycle and two tallies kept by
/// triggers (migration 0015).
#[tokio::test]
async fn the_reports_tallies_and_figures_match_a_recount_of_the_history() {
    let w = world().await;
    assert_reports_follow(&w.app.pool).await;
}

#[tokio::test]
async fn the_reports_tallies_follow_new_corrected_and_backdated_follow_ups() {
    let w = world().await;
    write_follow_ups(&w.app.pool).await;
    assert_report_tallies_match(&w.app.pool).await;
}

#[tokio::test]
async fn the_reports_tallies_follow_a_renewal_recorded_and_one_undone_a_departure_and_a_return() {
    let w = world().await;
    let pool = &w.app.pool;
    record_heberts_renewal(pool).await;
    assert_reports_follow(pool).await;
    let imbeault = member_named(pool, "Imbeault").await;
    write_for(pool, "DELETE FROM renewals WHERE member_id = $1", imbeault).await;
    write_for(
        pool,
        "UPDATE members SET renewal_date = DATE '2026-11-02', cycle = 1 WHERE id = $1",
        imbeault,
    )
    .await;
    lose(
        pool,
        member_named(pool, "Gauthier").await,
        "2026-11-25",
        "Manque de temps",
    )
    .await;
    write_for(
        pool,
        "UPDATE members SET status = 'active', lost_on = NULL, lost_reason_id = NULL \
         WHERE id = $1",
        member_named(pool, "Caron").await,
    )
    .await;
    assert_report_tallies_match(pool).await;
}

/// Billing steps (migration 0024): a request asked for, sent, received,
/// cancelled and asked for again without an amount; a paid one; Hébert's
/// renewal paid by his request, whose amount then changes; a paid request
/// removed.
#[tokio::test]
async fn the_reports_tallies_follow_every_billing_step() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep1 = user_with_email(pool, "rep1@test.ca").await;
    let hebert = record_heberts_renewal(pool).await;
    let dion = member_named(pool, "Dion").await;
    let asked = billing_request(pool, dion, rep1, 1, "requested", 30_000).await;
    assert_report_tallies_match(pool).await;
    for step in ["invoice_sent", "received", "cancelled"] {
        sqlx::query("UPDATE billing_requests SET status = $2 WHERE id = $1")
            .bind(asked)
            .bind(step)
            .execute(pool)
            .await
            .unwrap();
        assert_report_tallies_match(pool).await;
    }
    let again = billing_request(pool, dion, rep1, 1, "requested", 31_000).await;
    write_for(
        pool,
        "UPDATE billing_requests SET amount_cents = NULL WHERE id = $1",
        again,
    )
    .await;
    let gauthier = member_named(pool, "Gauthier").await;
    let gauthier_request = billing_request(pool, gauthier, rep1, 1, "paid", 20_000).await;
    assert_reports_follow(pool).await;
    write_for(
        pool,
        "UPDATE renewals SET billing_request_id = \
           (SELECT id FROM billing_requests WHERE member_id = $1 AND status <> 'cancelled') \
         WHERE member_id = $1",
        hebert,
    )
    .await;
    write_for(
        pool,
        "UPDATE billing_requests SET status = 'paid', amount_cents = amount_cents + 100 \
         WHERE member_id = $1",
        hebert,
    )
    .await;
    write_for(
        pool,
        "DELETE FROM billing_requests WHERE id = $1",
        gauthier_request,
    )
    .await;
    assert_reports_follow(pool).await;
}

/// Members move district, group and representative; formulas, terms,
/// states and renewal dates change.
#[tokio::test]
async fn the_reports_tallies_follow_members_changing_place_formula_state_or_date() {
    let w = world().await;
    let pool = &w.app.pool;
    let rep3 = user_with_email(pool, "rep3@test.ca").await;
    sqlx::query("UPDATE members SET district_id = $2, representative_id = $3 WHERE id = $1")
        .bind(member_named(pool, "Bédard").await)
        .bind(w.district_b)
        .bind(rep3)
        .execute(pool)
        .await
        .unwrap();
    write_for(
        pool,
        "UPDATE members SET representative_id = NULL WHERE id = $1",
        member_named(pool, "Dion").await,
    )
    .await;
    let other_group = group(pool, w.district_b, "Groupe H").await;
    sqlx::query(
        "UPDATE members SET group_id = $2, district_id = $3, profession_key = 'autre' \
         WHERE id = $1",
    )
    .bind(member_named(pool, "Aubin").await)
    .bind(other_group)
    .bind(w.district_b)
    .execute(pool)
    .await
    .unwrap();
    write_for(
        pool,
        "UPDATE members SET formula = 'partner', term_months = 24, state = 'red', \
         renewal_date = DATE '2027-03-03' WHERE id = $1",
        member_named(pool, "Éthier").await,
    )
    .await;
    write_for(
        pool,
        "UPDATE members SET state = 'green', last_contact_at = now() WHERE id = $1",
        member_named(pool, "Fortin").await,
    )
    .await;
    assert_reports_follow(pool).await;
}

/// Follow-ups are never rewritten in the app, but the tallies do not
/// depend on it.
#[tokio::test]
async fn the_reports_tallies_follow_members_added_in_bulk_and_removed_and_a_follow_up_removed() {
    let w = world().await;
    let pool = &w.app.pool;
    write_follow_ups(pool).await;
    let rep3 = user_with_email(pool, "rep3@test.ca").await;
    members_in_bulk(pool, w.district_b, Some(rep3), 100).await;
    let removed = member_named(pool, "Membre 17").await;
    write_for(pool, "DELETE FROM members WHERE id = $1", removed).await;
    write_for(
        pool,
        "DELETE FROM follow_ups WHERE id = (SELECT max(id) FROM follow_ups WHERE member_id = $1)",
        member_named(pool, "Gauthier").await,
    )
    .await;
    // Bédard's planned follow-up, closed after its date (missed), removed.
    write_for(
        pool,
        "DELETE FROM planned_follow_ups WHERE member_id = $1",
        member_named(pool, "Bédard").await,
    )
    .await;
    assert_report_tallies_match(pool).await;
}

/// A timeline saved (deleted and written again in one transaction) with
/// one pre-renewal stage fewer, « 1 semaine avant », which every active
/// member has followed: the stages followed are counted again.
#[tokio::test]
async fn the_reports_tallies_follow_a_timeline_saved_with_a_stage_fewer() {
    let w = world().await;
    let pool = &w.app.pool;
    write_follow_ups(pool).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("CREATE TEMP TABLE saved ON COMMIT DROP AS SELECT * FROM timeline_stages WHERE formula = 'regional'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM timeline_stages WHERE formula = 'regional'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO timeline_stages SELECT * FROM saved WHERE stage_key <> 'before_1w'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_reports_follow(pool).await;
}

/// The direction's report filters offer a district's groups once the
/// district is chosen (a network has thousands); a group already chosen
/// stays offered.
#[tokio::test]
async fn report_filters_offer_the_groups_of_the_district_chosen() {
    let w = world().await;
    login(&w.app, "dir@test.ca").await;
    let page = text(&w.app, "/rapports/retention").await;
    assert!(page.contains("Choisissez d'abord un district"));
    assert!(!page.contains(">Groupe G ("), "{page}");
    let district_a: i64 = sqlx::query_scalar("SELECT district_id FROM groups WHERE id = $1")
        .bind(w.group_g)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    let page = text(
        &w.app,
        &format!("/rapports/retention?district={district_a}"),
    )
    .await;
    assert!(
        page.contains(&format!("<option value=\"{}\">Groupe G (A)", w.group_g)),
        "{page}"
    );
    assert!(!page.contains("Choisissez d'abord un district"));
    // The whole network's page leaves out the tables by group and by
    // representative (its CSV has them); a district's page shows them.
    let withheld = "choisissez un district dans les filtres pour voir ce tableau";
    let network = text(&w.app, &format!("/rapports/retention?{PERIOD}")).await;
    assert_eq!(network.matches(withheld).count(), 2, "{network}");
    assert!(!network.contains("<th scope=\"row\">Groupe G</th>"));
    let district = text(
        &w.app,
        &format!("/rapports/retention?{PERIOD}&district={district_a}"),
    )
    .await;
    assert!(!district.contains(withheld));
    assert!(
        district.contains("<th scope=\"row\">Groupe G</th>"),
        "{district}"
    );
    // The same for the team report's table of representatives; the
    // receivers of escalations (a few people) are always shown.
    let team_withheld = "choisissez un district dans les filtres pour voir ce tableau";
    let network = text(&w.app, &format!("/rapports/equipe?{PERIOD}")).await;
    assert_eq!(network.matches(team_withheld).count(), 1, "{network}");
    assert!(!network.contains("Test rep1@test.ca"), "{network}");
    assert!(network.contains("Test gest@test.ca"), "{network}");
    let district = text(
        &w.app,
        &format!("/rapports/equipe?{PERIOD}&district={district_a}"),
    )
    .await;
    assert!(!district.contains(team_withheld));
    assert!(district.contains("Test rep1@test.ca"), "{district}");
    assert!(!district.contains("Test rep3@test.ca"), "{district}");
    let page = text(&w.app, &format!("/rapports/retention?groupe={}", w.group_g)).await;
    assert!(
        page.contains(&format!(
            "<option value=\"{}\" selected>Groupe G (A)",
            w.group_g
        )),
        "{page}"
    );
}
