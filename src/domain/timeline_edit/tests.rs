use super::*;
use crate::domain::formula::Colour::{Green, Orange, Red, Yellow};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

type Row = (&'static str, &'static str, char, i32, i32, Colour, bool);

/// The seeded exclusive (and regional) table, as in migrations/0002.
const SEATS: [Row; 11] = [
    (
        "welcome",
        "Inscription (vérification)",
        'P',
        0,
        0,
        Red,
        false,
    ),
    ("after_1m", "1 mois après", 'P', 1, 0, Yellow, false),
    ("after_3m", "3 à 6 mois après", 'P', 3, 0, Green, false),
    ("before_6m", "6 à 4 mois avant", 'R', -6, 0, Green, false),
    ("before_3m", "3 mois avant", 'R', -3, 0, Yellow, false),
    ("before_2m", "2 mois avant", 'R', -2, 0, Yellow, false),
    ("before_1m", "1 mois avant", 'R', -1, 0, Orange, false),
    ("before_3w", "3 semaines avant", 'R', 0, -21, Orange, true),
    ("before_2w", "2 semaines avant", 'R', 0, -14, Red, false),
    ("before_1w", "1 semaine avant", 'R', 0, -7, Red, false),
    ("renewal_day", "Inscription", 'R', 0, 0, Red, false),
];

const PARTNERS: [Row; 10] = [
    (
        "welcome",
        "Inscription (vérification)",
        'P',
        0,
        0,
        Red,
        false,
    ),
    ("after_1m", "1 mois après", 'P', 1, 0, Yellow, false),
    ("growth", "11 à 6 mois avant", 'P', 2, 0, Yellow, false),
    ("before_3m", "3 mois avant", 'R', -3, 0, Yellow, false),
    ("before_2m", "2 mois avant", 'R', -2, 0, Yellow, false),
    ("before_45d", "1 ½ mois avant", 'R', -1, -15, Red, false),
    ("before_1m", "1 mois avant", 'R', -1, 0, Red, true),
    ("before_2w", "2 semaines avant", 'R', 0, -14, Red, false),
    ("before_1w", "1 semaine avant", 'R', 0, -7, Red, false),
    ("renewal_day", "Inscription", 'R', 0, 0, Red, false),
];

fn table(rows: &[Row]) -> Vec<StageDef> {
    rows.iter()
        .zip(1..)
        .map(
            |(&(key, label, anchor, months, days, colour, billing), position)| StageDef {
                key: key.into(),
                label: label.into(),
                anchor: if anchor == 'P' {
                    Anchor::Previous
                } else {
                    Anchor::Renewal
                },
                months,
                days,
                colour,
                position,
                action: format!("• {label}"),
                asks_billing_request: billing,
            },
        )
        .collect()
}

fn today() -> NaiveDate {
    d("2026-11-29")
}

fn parse(form: &TableForm, current: &[StageDef]) -> Result<Vec<StageDef>, TableErrors> {
    parse_table(form, current, &BTreeSet::new(), today())
}

fn row_index(form: &TableForm, key: &str) -> usize {
    form.rows.iter().position(|r| r.key == key).unwrap()
}

/// The form of the seeded seats table with the first blank row filled in.
fn with_new_stage(label: &str, anchor: &str, months: &str, days: &str) -> (TableForm, usize) {
    let mut form = TableForm::from_table(&table(&SEATS), 1);
    let i = form.rows.iter().position(|r| r.key.is_empty()).unwrap();
    form.rows[i] = StageRowForm {
        label: label.into(),
        anchor: anchor.into(),
        months: months.into(),
        days: days.into(),
        colour: "orange".into(),
        action: "• Appeler".into(),
        ..StageRowForm::default()
    };
    (form, i)
}

fn start_error(e: &TableErrors, i: usize) -> String {
    e.row(i)
        .start
        .unwrap_or_else(|| panic!("no start error on row {i}: {e:?}"))
}

#[test]
fn the_seeded_tables_pass_every_check_unchanged() {
    for rows in [&SEATS[..], &PARTNERS[..]] {
        let t = table(rows);
        let form = TableForm::from_table(&t, 1);
        assert_eq!(form.rows.len(), t.len() + BLANK_ROWS);
        assert_eq!(parse(&form, &t).unwrap(), t);
        assert_eq!(check_table(&t, today()).unwrap(), t);
    }
}

#[test]
fn the_form_round_trips_through_its_field_names() {
    let form = TableForm::from_table(&table(&PARTNERS), 7);
    let mut pairs = vec![
        ("billing".to_string(), form.billing.clone()),
        ("version".to_string(), "7".to_string()),
        ("ignored".to_string(), "x".to_string()),
    ];
    for (i, r) in form.rows.iter().enumerate() {
        for (f, v) in [
            ("key", &r.key),
            ("label", &r.label),
            ("anchor", &r.anchor),
            ("months", &r.months),
            ("days", &r.days),
            ("colour", &r.colour),
            ("action", &r.action),
        ] {
            pairs.push((format!("s{i}_{f}"), v.clone()));
        }
    }
    let back = TableForm::from_pairs(&pairs).unwrap();
    assert_eq!(back, form);
    assert_eq!(back.version(), Some(7));
    let too_many = vec![(format!("s{ROWS_MAX}_label"), "x".to_string())];
    assert!(TableForm::from_pairs(&too_many).is_err());
}

#[test]
fn a_moved_and_an_added_stage_are_put_in_order() {
    let t = table(&SEATS);
    let (mut form, i) = with_new_stage("5 semaines avant", "R", "0", "-35");
    let m = row_index(&form, "before_1m");
    form.rows[m].days = "-3".into();
    let saved = parse(&form, &t).unwrap();
    let keys: Vec<&str> = saved.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "welcome",
            "after_1m",
            "after_3m",
            "before_6m",
            "before_3m",
            "before_2m",
            "etape_5_semaines_avant",
            "before_1m",
            "before_3w",
            "before_2w",
            "before_1w",
            "renewal_day"
        ]
    );
    assert_eq!(
        saved.iter().map(|s| s.position).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert_eq!(saved[7].days, -3);
    assert!(saved[8].asks_billing_request);
    assert_eq!(saved.iter().filter(|s| s.asks_billing_request).count(), 1);
    let _ = i;
}

#[test]
fn empty_label_action_and_colour_are_refused_by_field() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    let i = row_index(&form, "after_1m");
    form.rows[i].label = "  ".into();
    form.rows[i].action = String::new();
    form.rows[i].colour = "violet".into();
    let e = parse(&form, &t).unwrap_err();
    assert_eq!(
        e.row(i).label.as_deref(),
        Some("Le libellé est obligatoire.")
    );
    assert_eq!(
        e.row(i).action.as_deref(),
        Some("L'action est obligatoire.")
    );
    assert_eq!(e.row(i).colour.as_deref(), Some("Choisissez une couleur."));
    assert_eq!(e.count(), 3);
}

#[test]
fn a_new_stage_with_a_label_but_no_action_is_refused() {
    let t = table(&SEATS);
    let (mut form, i) = with_new_stage("Appel de mi-parcours", "P", "6", "0");
    form.rows[i].action = String::new();
    let e = parse(&form, &t).unwrap_err();
    assert_eq!(
        e.row(i).action.as_deref(),
        Some("L'action est obligatoire.")
    );
}

#[test]
fn numbers_that_are_not_whole_or_too_far_are_refused() {
    let t = table(&SEATS);
    let (form, i) = with_new_stage("Test", "R", "-1,5", "0");
    assert!(start_error(&parse(&form, &t).unwrap_err(), i).contains("n'est pas un nombre entier"));
    let (form, i) = with_new_stage("Test", "R", "0", "-400");
    assert!(start_error(&parse(&form, &t).unwrap_err(), i).contains("Au plus 366 jours"));
    let (form, i) = with_new_stage("Test", "X", "0", "-10");
    assert!(start_error(&parse(&form, &t).unwrap_err(), i).contains("Choisissez d'où"));
    // A typographic minus is a minus.
    let (form, _) = with_new_stage("Test", "R", "0", "−10");
    assert!(parse(&form, &t).is_ok());
}

#[test]
fn duplicate_labels_are_refused_whatever_the_case_and_spaces() {
    let t = table(&SEATS);
    let (form, i) = with_new_stage("  3  SEMAINES avant", "R", "0", "-18");
    let e = parse(&form, &t).unwrap_err();
    assert_eq!(
        e.row(i).label.as_deref(),
        Some("Le libellé « 3 semaines avant » est déjà celui d'une autre étape.")
    );
}

#[test]
fn two_stages_starting_the_same_day_are_refused() {
    let t = table(&SEATS);
    let (form, i) = with_new_stage("Deux semaines pile", "R", "0", "-14");
    let msg = start_error(&parse(&form, &t).unwrap_err(), i);
    assert!(
        msg.contains("le même jour que « 2 semaines avant »"),
        "{msg}"
    );
    // R − 1 month and R − 30 days meet on some renewal dates, and swap
    // places on others (after a short February).
    let (form, i) = with_new_stage("Trente jours avant", "R", "0", "-30");
    let msg = start_error(&parse(&form, &t).unwrap_err(), i);
    assert!(msg.contains("« 1 mois avant »"), "{msg}");
    // R − 1 month − 5 days and R − 35 days swap places too.
    let (mut form, i) = with_new_stage("Cinq semaines avant", "R", "0", "-35");
    let m = row_index(&form, "before_1m");
    form.rows[m].days = "-5".into();
    let e = parse(&form, &t).unwrap_err();
    assert!(start_error(&e, i).contains("qui la précède"), "{e:?}");
}

#[test]
fn an_order_that_holds_for_12_months_but_not_for_18_is_refused() {
    // P + 8 months falls between R − 6 and R − 3 months with a 12-month
    // term, but before R − 6 months with an 18-month one.
    let t = table(&SEATS);
    let (form, i) = with_new_stage("Bilan de mi-parcours", "P", "8", "0");
    let msg = start_error(&parse(&form, &t).unwrap_err(), i);
    assert!(msg.contains("terme de 18 mois"), "{msg}");
    assert!(
        msg.contains("le même ordre pour toutes les durées"),
        "{msg}"
    );
}

#[test]
fn a_stage_outside_the_term_is_refused() {
    let t = table(&SEATS);
    // R − 7 months is before P with a 6-month term.
    let (form, i) = with_new_stage("Très tôt", "R", "-7", "0");
    let msg = start_error(&parse(&form, &t).unwrap_err(), i);
    assert!(msg.contains("terme de 6 mois"), "{msg}");
    assert!(msg.contains("avant le renouvellement précédent"), "{msg}");
    // R + 3 days is after R.
    let (form, i) = with_new_stage("Après coup", "R", "0", "3");
    let msg = start_error(&parse(&form, &t).unwrap_err(), i);
    assert!(msg.contains("doit commencer avant R"), "{msg}");
}

#[test]
fn the_first_and_last_stages_stay_with_their_start() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    let w = row_index(&form, "welcome");
    let r = row_index(&form, "renewal_day");
    form.rows[w].remove = true;
    form.rows[w].months = "2".into();
    form.rows[r].anchor = "P".into();
    let saved = parse(&form, &t).unwrap();
    assert_eq!(
        saved, t,
        "posted starts and removal of fixed stages ignored"
    );
    // A form that leaves them out entirely is refused.
    form.rows.remove(w);
    let e = parse(&form, &t).unwrap_err();
    assert!(e.table[0].contains("ne peut pas être retirée"), "{e:?}");
}

#[test]
fn removing_a_stage_drops_it_and_billing_must_stay_on_a_kept_stage() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    let i = row_index(&form, "after_3m");
    form.rows[i].remove = true;
    let saved = parse(&form, &t).unwrap();
    assert!(!saved.iter().any(|s| s.key == "after_3m"));
    let b = row_index(&form, "before_3w");
    form.rows[b].remove = true;
    let e = parse(&form, &t).unwrap_err();
    assert!(e.table[0].contains("demande la facturation"), "{e:?}");
}

#[test]
fn a_row_with_an_unknown_key_is_refused() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    form.rows[1].key = "inventée".into();
    let e = parse(&form, &t).unwrap_err();
    assert!(e.table[0].contains("rechargez la page"));
}

#[test]
fn new_keys_never_reuse_a_key_in_use_or_used_before() {
    let taken: BTreeSet<String> = ["etape_appel_a_3_semaines".to_string()].into();
    assert_eq!(
        new_key("Appel à 3 semaines", &BTreeSet::new()),
        "etape_appel_a_3_semaines"
    );
    assert_eq!(
        new_key("Appel à 3 semaines", &taken),
        "etape_appel_a_3_semaines_2"
    );
    assert_eq!(new_key("!!!", &BTreeSet::new()), "etape");
    assert!(new_key(&"très long libellé ".repeat(10), &BTreeSet::new()).len() <= 37);
}

#[test]
fn a_version_checked_again_reports_by_stage_label() {
    let mut t = table(&SEATS);
    t[5].months = -3; // before_2m on the day before_3m starts
    let e = check_table(&t, today()).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with(
            "« 2 mois avant » : Cette étape commencerait le même jour que « 3 mois avant »"
        ),
        "{e:?}"
    );
}

/// With a 6-month term, R − 3 months − 1 day falls just before P + 3
/// months on most renewal dates and after it at some month ends: the order
/// rules let the two halves overlap, the agreement check refuses it.
#[test]
fn a_table_whose_ranges_would_disagree_with_the_calculation_is_refused() {
    let mut t = table(&SEATS);
    t[4].days = -1;
    let e = check_table(&t, today()).unwrap_err();
    assert!(e[0].contains("terme de 6 mois"), "{e:?}");
    assert!(e[0].contains("ne correspondraient plus au calcul"), "{e:?}");
    assert!(ranges_disagree(&t, today()).is_some());
    assert_eq!(ranges_disagree(&table(&SEATS), today()), None);
    assert_eq!(ranges_disagree(&table(&PARTNERS), today()), None);
}

#[test]
fn start_texts_read_naturally() {
    assert_eq!(start_text(Anchor::Previous, 0, 0), "P");
    assert_eq!(start_text(Anchor::Previous, 1, 0), "P + 1 mois");
    assert_eq!(
        start_text(Anchor::Renewal, -1, -15),
        "R − 1 mois − 15 jours"
    );
    assert_eq!(start_text(Anchor::Renewal, 0, -1), "R − 1 jour");
}

#[test]
fn changes_are_described_stage_by_stage() {
    let old = table(&SEATS);
    let mut new = old.clone();
    new[1].months = 2;
    new[1].colour = Orange;
    new[2].label = "Trois mois après".into();
    new.remove(9);
    let lines = describe_changes(&old, &new);
    assert_eq!(
        lines,
        [
            "« 1 mois après » : début P + 1 mois → P + 2 mois ; couleur jaune → orange.",
            "« 3 à 6 mois après » : libellé « 3 à 6 mois après » → « Trois mois après ».",
            "Étape retirée : « 1 semaine avant ».",
        ]
    );
    assert!(describe_changes(&old, &old).is_empty());
}

/// The moves cover exactly the renewal dates whose stage differs.
#[test]
fn stage_moves_match_the_pure_calculation_day_by_day() {
    let old = table(&SEATS);
    let (mut form, _) = with_new_stage("5 semaines avant", "R", "0", "-35");
    let m = row_index(&form, "before_1m");
    form.rows[m].days = "-3".into();
    let r = row_index(&form, "after_3m");
    form.rows[r].remove = true;
    let new = parse(&form, &old).unwrap();
    for term in TERMS {
        for t in [today(), d("2028-02-29"), d("2027-03-31")] {
            let moves = stage_moves(&old, &new, term, t);
            for r in add_days(t, -400).iter_days().take(1600) {
                let before = &timeline::current_stage(&old, r, term, t).unwrap().def.key;
                let after = &timeline::current_stage(&new, r, term, t).unwrap().def.key;
                let hits: Vec<_> = moves
                    .iter()
                    .filter(|mv| mv.from.is_none_or(|f| f <= r) && mv.until.is_none_or(|u| r < u))
                    .collect();
                if before == after {
                    assert!(hits.is_empty(), "term {term} T={t} R={r}");
                } else {
                    assert_eq!(hits.len(), 1, "term {term} T={t} R={r}");
                    assert_eq!(&hits[0].from_stage.key, before);
                    assert_eq!(&hits[0].to_stage.key, after);
                }
            }
        }
    }
}

#[test]
fn standing_actions_drop_empty_rows_and_refuse_repeats() {
    let pairs: Vec<(String, String)> = [
        ("a0", "Inviter aux événements"),
        ("a1", "  "),
        ("a2", "Inviter aux événements"),
        ("a3", "Proposer le CA"),
        ("version", "4"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let form = StandingForm::from_pairs(&pairs).unwrap();
    assert_eq!(form.version(), Some(4));
    let e = form.parse().unwrap_err();
    assert_eq!(e[2].as_deref(), Some("Cette action figure déjà plus haut."));
    let mut ok = form.clone();
    ok.rows.remove(2);
    assert_eq!(
        ok.parse().unwrap(),
        ["Inviter aux événements", "Proposer le CA"]
    );
    assert_eq!(ok.with_blank_rows().rows.len(), 2 + BLANK_ROWS);
}

#[test]
fn messages_stay_with_their_row_when_blank_rows_drop_out() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    // A blank row in the middle, then an error after it.
    form.rows.insert(2, StageRowForm::default());
    form.billing = "9".into(); // before_3w, now one row further down
    let i = row_index(&form, "before_2m");
    form.rows[i].label = String::new();
    let e = parse(&form, &t).unwrap_err();
    let (back, errors) = form.compacted(e);
    let j = row_index(&back, "before_2m");
    assert_eq!(j, i - 1);
    assert!(errors.row(j).label.is_some());
    assert_eq!(back.billing, "8");
    assert_eq!(back.rows.len(), t.len() + BLANK_ROWS);

    let standing = StandingForm {
        rows: vec![
            StandingRowForm {
                action: String::new(),
            },
            StandingRowForm {
                action: "x".repeat(STANDING_MAX + 1),
            },
        ],
        version: "1".into(),
    };
    let e = standing.parse().unwrap_err();
    let (back, errors) = standing.compacted(e);
    assert!(errors[0].as_deref().unwrap().contains("trop long"));
    assert_eq!(back.rows.len(), 1 + BLANK_ROWS);
}

#[test]
fn the_first_faulty_field_is_named_in_form_order() {
    let t = table(&SEATS);
    let mut form = TableForm::from_table(&t, 1);
    let a = row_index(&form, "before_2m");
    let b = row_index(&form, "after_1m");
    form.rows[a].label = String::new();
    form.rows[b].action = String::new();
    form.rows[b].colour = String::new();
    let e = parse(&form, &t).unwrap_err();
    assert_eq!(e.first(), Some((b, "colour")));
    assert_eq!(TableErrors::default().first(), None);
}
