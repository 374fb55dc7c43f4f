//! Editing a formula's timeline table (issue 9): the form becomes a table
//! of [`StageDef`]s, or French messages by row and field; a table read from
//! elsewhere (a version being restored) goes through the same checks.
//!
//! Rules, in one place (they keep [`timeline::current_stage`] and the SQL
//! selection by renewal-date ranges in agreement, see the module doc of
//! `timeline`):
//! - `welcome` (P + 0) and `renewal_day` (R + 0) stay, with their start.
//! - Labels are one line, unique in the table (case and spaces aside);
//!   actions are not empty; colours are one of the four.
//! - Stages are kept in the order of their start for the default term (12
//!   months); for **every** term offered (6 to 36 months) and every renewal
//!   date over four years (leap day included), each stage starts strictly
//!   after the previous one (never the same day, never before it), and
//!   inside the term: not before P, and before R (except `renewal_day`).
//! - One exception, which the seeded tables need: when the term is shorter
//!   than the default, the stages counted from P and those counted from R
//!   may meet or overlap (a 6-month term: `before_6m` falls on P). Within
//!   each anchor the order stays strict; where they meet, the later stage
//!   of the table wins, as `timeline` states.
//! - Exactly one stage asks for the billing request.
//! - Last, the property the member lists rely on is checked on the edited
//!   table itself: for every term offered, the renewal-date ranges of
//!   [`timeline::stage_ranges`] give the same stage as the pure calculation
//!   for every renewal date around several "todays".
use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use super::format::date_fr;
use super::formula::Colour;
use super::member::{DEFAULT_TERM, TERMS};
use super::timeline::{self, Anchor, StageDef, add_days, add_months, previous_renewal};
use super::validation as v;

/// The first stage of every table (P + 0) and the last one (R + 0).
pub const FIRST_KEY: &str = "welcome";
pub const LAST_KEY: &str = "renewal_day";
pub const LABEL_MAX: usize = 80;
pub const ACTION_MAX: usize = 4000;
pub const STANDING_MAX: usize = 1000;
pub const MONTHS_MAX: i32 = 36;
pub const DAYS_MAX: i32 = 366;
/// Rows a form may hold (stages or standing actions); more is a forgery.
pub const ROWS_MAX: usize = 40;
/// Empty rows offered at the end of a form to add stages or actions.
pub const BLANK_ROWS: usize = 2;

/// One row of the stage form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageRowForm {
    /// The stage's key; empty for a new stage.
    pub key: String,
    pub label: String,
    pub anchor: String,
    pub months: String,
    pub days: String,
    pub colour: String,
    pub action: String,
    pub remove: bool,
}

impl StageRowForm {
    fn is_blank(&self) -> bool {
        self.key.is_empty() && self.label.trim().is_empty() && self.action.trim().is_empty()
    }

    pub fn is_fixed(&self) -> bool {
        self.key == FIRST_KEY || self.key == LAST_KEY
    }
}

/// The stage form of one formula, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableForm {
    pub rows: Vec<StageRowForm>,
    /// Index of the row that asks for the billing request.
    pub billing: String,
    /// The timeline version the form was drawn from.
    pub version: String,
}

/// Reads `sN_field` pairs (N the row) plus `billing` and `version`.
/// Unknown names are ignored; rows past [`ROWS_MAX`] are a forgery.
fn rows_from_pairs<T: Default>(
    pairs: &[(String, String)],
    prefix: char,
    mut set: impl FnMut(&mut T, &str, &str),
) -> Result<Vec<T>, String> {
    let mut rows: Vec<T> = Vec::new();
    for (name, value) in pairs {
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let (index, field) = rest.split_once('_').unwrap_or((rest, ""));
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        if index >= ROWS_MAX {
            return Err("Le formulaire compte trop de lignes.".into());
        }
        while rows.len() <= index {
            rows.push(T::default());
        }
        set(&mut rows[index], field, value);
    }
    Ok(rows)
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

impl TableForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<TableForm, String> {
        let rows = rows_from_pairs(pairs, 's', |row: &mut StageRowForm, field, value| {
            let value = value.to_string();
            match field {
                "key" => row.key = value,
                "label" => row.label = value,
                "anchor" => row.anchor = value,
                "months" => row.months = value,
                "days" => row.days = value,
                "colour" => row.colour = value,
                "action" => row.action = value,
                "remove" => row.remove = !value.is_empty(),
                _ => {}
            }
        })?;
        Ok(TableForm {
            rows,
            billing: pair(pairs, "billing").to_string(),
            version: pair(pairs, "version").to_string(),
        })
    }

    /// The form showing `table` as it is, plus blank rows for new stages.
    pub fn from_table(table: &[StageDef], version: i64) -> TableForm {
        let rows = table
            .iter()
            .map(|d| StageRowForm {
                key: d.key.clone(),
                label: d.label.clone(),
                anchor: d.anchor.as_str().to_string(),
                months: d.months.to_string(),
                days: d.days.to_string(),
                colour: d.colour.as_str().to_string(),
                action: d.action.clone(),
                remove: false,
            })
            .collect();
        let billing = table
            .iter()
            .position(|d| d.asks_billing_request)
            .map_or(String::new(), |i| i.to_string());
        TableForm {
            rows,
            billing,
            version: version.to_string(),
        }
        .with_blank_rows()
    }

    /// Drops the blank rows, then adds [`BLANK_ROWS`] new ones at the end.
    pub fn with_blank_rows(self) -> TableForm {
        self.compacted(TableErrors::default()).0
    }

    /// [`TableForm::with_blank_rows`], keeping each row's messages with it.
    pub fn compacted(mut self, errors: TableErrors) -> (TableForm, TableErrors) {
        let billing: Option<usize> = self.billing.parse().ok();
        let mut kept = Vec::new();
        let mut kept_errors = TableErrors {
            rows: Vec::new(),
            table: errors.table.clone(),
        };
        let mut new_billing = None;
        for (i, row) in self.rows.into_iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            if billing == Some(i) {
                new_billing = Some(kept.len());
            }
            kept.push(row);
            kept_errors.rows.push(errors.row(i));
        }
        for _ in 0..BLANK_ROWS {
            kept.push(StageRowForm {
                anchor: "R".into(),
                months: "0".into(),
                days: "0".into(),
                ..StageRowForm::default()
            });
        }
        self.rows = kept;
        self.billing = new_billing.map_or(String::new(), |i| i.to_string());
        (self, kept_errors)
    }

    pub fn version(&self) -> Option<i64> {
        self.version.trim().parse().ok()
    }
}

/// Messages of one row, by field (`start` covers anchor, months and days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowErrors {
    pub label: Option<String>,
    pub start: Option<String>,
    pub colour: Option<String>,
    pub action: Option<String>,
}

impl RowErrors {
    pub fn is_empty(&self) -> bool {
        self.label.is_none()
            && self.start.is_none()
            && self.colour.is_none()
            && self.action.is_none()
    }
}

/// Messages of a refused table: by row (same indexes as the form's rows)
/// and for the table as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableErrors {
    pub rows: Vec<RowErrors>,
    pub table: Vec<String>,
}

#[derive(Clone, Copy)]
enum Field {
    Label,
    Start,
    Colour,
    Action,
}

impl TableErrors {
    fn add(&mut self, row: usize, field: Field, message: impl Into<String>) {
        while self.rows.len() <= row {
            self.rows.push(RowErrors::default());
        }
        let slot = match field {
            Field::Label => &mut self.rows[row].label,
            Field::Start => &mut self.rows[row].start,
            Field::Colour => &mut self.rows[row].colour,
            Field::Action => &mut self.rows[row].action,
        };
        if slot.is_none() {
            *slot = Some(message.into());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty() && self.rows.iter().all(RowErrors::is_empty)
    }

    pub fn row(&self, i: usize) -> RowErrors {
        self.rows.get(i).cloned().unwrap_or_default()
    }

    /// The first faulty field, in the form's order (it gets the focus):
    /// its row and `label`, `colour`, `start` or `action`.
    pub fn first(&self) -> Option<(usize, &'static str)> {
        self.rows.iter().enumerate().find_map(|(i, r)| {
            [
                ("label", &r.label),
                ("colour", &r.colour),
                ("start", &r.start),
                ("action", &r.action),
            ]
            .into_iter()
            .find(|(_, m)| m.is_some())
            .map(|(field, _)| (i, field))
        })
    }

    /// How many messages in all (for the summary above the form).
    pub fn count(&self) -> usize {
        self.table.len()
            + self
                .rows
                .iter()
                .map(|r| {
                    [&r.label, &r.start, &r.colour, &r.action]
                        .iter()
                        .filter(|m| m.is_some())
                        .count()
                })
                .sum::<usize>()
    }
}

/// A signed whole number of months or days; empty is 0.
fn offset(raw: &str, unit: &str, max: i32) -> Result<i32, String> {
    let s = raw.trim().replace(['−', '–'], "-");
    if s.is_empty() {
        return Ok(0);
    }
    match s.trim_start_matches('+').parse::<i32>() {
        Ok(n) if n.abs() <= max => Ok(n),
        Ok(_) => Err(format!("Au plus {max} {unit}, en plus ou en moins.")),
        Err(_) => Err(format!(
            "« {} » n'est pas un nombre entier de {unit} (par exemple -1 ou 2).",
            s.chars().take(12).collect::<String>()
        )),
    }
}

fn one_line(s: String) -> Result<String, String> {
    if s.contains(['\n', '\r']) {
        Err("Le libellé tient sur une seule ligne.".into())
    } else {
        Ok(s)
    }
}

fn label_key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A key for a new stage, from its label: ASCII, lower case, `_`, never
/// one of `taken` (keys in use or used by an earlier version, so that old
/// follow-ups never count for a new stage).
pub fn new_key(label: &str, taken: &BTreeSet<String>) -> String {
    let mut slug = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
        if slug.len() >= 30 {
            break;
        }
    }
    let slug = slug.trim_end_matches('_');
    let base = if slug.is_empty() {
        "etape".to_string()
    } else {
        format!("etape_{slug}")
    };
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|k| !taken.contains(k))
        .unwrap_or(base)
}

/// Parses and checks the form of a formula's table. `current` is the table
/// as saved (the only keys a row may carry); `taken` the keys a new stage
/// must not reuse. Gives the table in order, positions numbered 1, 2, 3…
pub fn parse_table(
    form: &TableForm,
    current: &[StageDef],
    taken: &BTreeSet<String>,
    today: NaiveDate,
) -> Result<Vec<StageDef>, TableErrors> {
    let mut e = TableErrors::default();
    let billing: Option<usize> = form.billing.trim().parse().ok();
    let mut kept: Vec<(usize, StageDef)> = Vec::new();
    let mut keys: BTreeSet<String> = taken.clone();
    keys.extend(current.iter().map(|d| d.key.clone()));
    let mut seen_keys = BTreeSet::new();
    for (i, row) in form.rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let existing = if row.key.is_empty() {
            None
        } else {
            match current.iter().find(|d| d.key == row.key) {
                Some(d) if seen_keys.insert(d.key.clone()) => Some(d),
                _ => {
                    e.table.push(
                        "Une étape du formulaire ne fait plus partie de l'échéancier : \
                         rechargez la page et recommencez."
                            .into(),
                    );
                    continue;
                }
            }
        };
        if row.remove && !row.is_fixed() {
            continue;
        }
        if let Some(def) = parse_row(i, row, existing, &mut e) {
            kept.push((i, def));
        }
    }
    if !e.is_empty() {
        return Err(e);
    }
    for fixed in [FIRST_KEY, LAST_KEY] {
        if !kept.iter().any(|(_, d)| d.key == fixed) {
            let label = current
                .iter()
                .find(|d| d.key == fixed)
                .map_or(fixed, |d| d.label.as_str());
            e.table.push(format!(
                "L'étape « {label} » fait partie de tout échéancier : elle ne peut pas être \
                 retirée."
            ));
        }
    }
    match billing.and_then(|b| kept.iter().position(|(i, _)| *i == b)) {
        Some(at) => kept[at].1.asks_billing_request = true,
        None => e
            .table
            .push("Choisissez l'étape qui demande la facturation (une étape gardée).".into()),
    }
    // New stages get their key once the labels are known good.
    for (_, def) in kept.iter_mut() {
        if def.key.is_empty() {
            def.key = new_key(&def.label, &keys);
            keys.insert(def.key.clone());
        }
    }
    check_rows(&mut kept, &mut e, today);
    if e.is_empty() {
        Ok(kept.into_iter().map(|(_, d)| d).collect())
    } else {
        Err(e)
    }
}

fn parse_row(
    i: usize,
    row: &StageRowForm,
    existing: Option<&StageDef>,
    e: &mut TableErrors,
) -> Option<StageDef> {
    let label = v::required(&row.label, "Le libellé", LABEL_MAX).and_then(one_line);
    let label = take(e, i, Field::Label, label);
    let colour = Colour::parse(row.colour.trim()).ok_or("Choisissez une couleur.".to_string());
    let colour = take(e, i, Field::Colour, colour);
    // Browsers send line breaks as CRLF; the tables keep LF.
    let action = take(
        e,
        i,
        Field::Action,
        v::required(&row.action.replace("\r\n", "\n"), "L'action", ACTION_MAX),
    );
    // The first and last stages keep their start whatever was posted.
    let start = match existing {
        Some(d) if row.is_fixed() => Ok((d.anchor, d.months, d.days)),
        _ => parse_start(row),
    };
    let start = take(e, i, Field::Start, start);
    let (label, colour, action, (anchor, months, days)) = (label?, colour?, action?, start?);
    Some(StageDef {
        key: existing.map(|d| d.key.clone()).unwrap_or_default(),
        label,
        anchor,
        months,
        days,
        colour,
        position: 0,
        action,
        asks_billing_request: false,
    })
}

fn take<T>(e: &mut TableErrors, i: usize, field: Field, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            e.add(i, field, m);
            None
        }
    }
}

fn parse_start(row: &StageRowForm) -> Result<(Anchor, i32, i32), String> {
    let anchor = Anchor::parse(row.anchor.trim()).ok_or_else(|| {
        "Choisissez d'où l'étape compte : P (renouvellement précédent) ou R (renouvellement)."
            .to_string()
    })?;
    let months = offset(&row.months, "mois", MONTHS_MAX)?;
    let days = offset(&row.days, "jours", DAYS_MAX)?;
    Ok((anchor, months, days))
}

/// Checks a whole table read from elsewhere (a version being restored):
/// the same rules as the form, the messages naming the stage.
pub fn check_table(table: &[StageDef], today: NaiveDate) -> Result<Vec<StageDef>, Vec<String>> {
    let mut e = TableErrors::default();
    for fixed in [FIRST_KEY, LAST_KEY] {
        if !table.iter().any(|d| d.key == fixed) {
            e.table
                .push(format!("L'étape « {fixed} » manque à cet échéancier."));
        }
    }
    if table.iter().filter(|d| d.asks_billing_request).count() != 1 {
        e.table
            .push("Une seule étape doit demander la facturation.".into());
    }
    for (i, d) in table.iter().enumerate() {
        if v::required(&d.label, "Le libellé", LABEL_MAX).is_err() {
            e.add(i, Field::Label, "Le libellé est vide ou trop long.");
        }
        if v::required(&d.action, "L'action", ACTION_MAX).is_err() {
            e.add(i, Field::Action, "L'action est vide ou trop longue.");
        }
        if d.months.abs() > MONTHS_MAX || d.days.abs() > DAYS_MAX {
            e.add(i, Field::Start, "Le début est trop loin.");
        }
    }
    let mut kept: Vec<(usize, StageDef)> = table.iter().cloned().enumerate().collect();
    check_rows(&mut kept, &mut e, today);
    if e.is_empty() {
        return Ok(kept.into_iter().map(|(_, d)| d).collect());
    }
    let mut messages = e.table;
    for (i, r) in e.rows.iter().enumerate() {
        let label = table.get(i).map_or("?", |d| d.label.as_str());
        for m in [&r.label, &r.start, &r.colour, &r.action]
            .into_iter()
            .flatten()
        {
            messages.push(format!("« {label} » : {m}"));
        }
    }
    Err(messages)
}

/// Duplicate labels, then the order for every term, then the agreement of
/// the SQL ranges. Sorts `kept` into table order and numbers the positions.
fn check_rows(kept: &mut [(usize, StageDef)], e: &mut TableErrors, today: NaiveDate) {
    let mut labels: Vec<(String, String)> = Vec::new();
    for (i, d) in kept.iter() {
        let k = label_key(&d.label);
        match labels.iter().find(|(key, _)| *key == k) {
            Some((_, first)) => e.add(
                *i,
                Field::Label,
                format!("Le libellé « {first} » est déjà celui d'une autre étape."),
            ),
            None => labels.push((k, d.label.clone())),
        }
    }
    sort_into_table_order(kept);
    for (n, (_, d)) in kept.iter_mut().enumerate() {
        d.position = i32::try_from(n + 1).unwrap_or(i32::MAX);
    }
    if !e.is_empty() {
        return;
    }
    check_order(kept, e);
    if !e.is_empty() {
        return;
    }
    let table: Vec<StageDef> = kept.iter().map(|(_, d)| d.clone()).collect();
    if let Some((term, renewal)) = ranges_disagree(&table, today) {
        e.table.push(format!(
            "Avec ces débuts, les listes par étape ne correspondraient plus au calcul de l'étape \
             (terme de {term} mois, renouvellement le {}). Espacez davantage les étapes voisines.",
            date_fr(renewal)
        ));
    }
}

/// The renewal date used to put the rows in order (any date would do for a
/// valid table; a mid-month one avoids month-end clamping).
fn reference_renewal() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 6, 15).unwrap_or(NaiveDate::MIN)
}

/// Where a stage starts, before clamping into the term.
pub fn raw_start(def: &StageDef, renewal: NaiveDate, term_months: i32) -> NaiveDate {
    let base = match def.anchor {
        Anchor::Previous => previous_renewal(renewal, term_months),
        Anchor::Renewal => renewal,
    };
    add_days(add_months(base, def.months), def.days)
}

fn sort_into_table_order(kept: &mut [(usize, StageDef)]) {
    let r = reference_renewal();
    kept.sort_by_key(|(i, d)| {
        (
            d.key != FIRST_KEY,
            d.key == LAST_KEY,
            raw_start(d, r, DEFAULT_TERM),
            d.anchor == Anchor::Renewal,
            *i,
        )
    });
}

/// The renewal dates every order check runs over: four years, a leap day
/// and every month end included.
fn check_window() -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or(NaiveDate::MIN);
    first.iter_days().take_while(|d| d.year() <= 2030)
}

fn check_order(kept: &[(usize, StageDef)], e: &mut TableErrors) {
    // The default term first, then the longer ones, then the shorter ones:
    // a stage out of order is told so before being told it overruns a
    // 6-month term.
    let mut terms = TERMS;
    terms.sort_by_key(|&t| (t < DEFAULT_TERM, t));
    for term in terms {
        let strict_across = term >= DEFAULT_TERM;
        for renewal in check_window() {
            let previous = previous_renewal(renewal, term);
            let starts: Vec<NaiveDate> = kept
                .iter()
                .map(|(_, d)| raw_start(d, renewal, term))
                .collect();
            for (n, (i, d)) in kept.iter().enumerate() {
                if d.key == FIRST_KEY || d.key == LAST_KEY {
                    continue;
                }
                if starts[n] < previous {
                    e.add(
                        *i,
                        Field::Start,
                        format!(
                            "Avec un terme de {term} mois, cette étape commencerait avant le \
                             renouvellement précédent (P), par exemple pour un renouvellement \
                             le {}.",
                            date_fr(renewal)
                        ),
                    );
                } else if starts[n] >= renewal {
                    e.add(
                        *i,
                        Field::Start,
                        format!(
                            "Avec un terme de {term} mois, cette étape commencerait le jour du \
                             renouvellement ou après (par exemple pour un renouvellement le {}) \
                             : elle doit commencer avant R.",
                            date_fr(renewal)
                        ),
                    );
                }
            }
            // Each stage against the one before it: the previous row of the
            // table, or within its anchor only when the halves may overlap.
            for n in 1..kept.len() {
                let (i, d) = &kept[n];
                let before = (0..n)
                    .rev()
                    .find(|&m| strict_across || kept[m].1.anchor == d.anchor);
                let Some(m) = before else { continue };
                let when = format!(
                    "terme de {term} mois, renouvellement le {}",
                    date_fr(renewal)
                );
                // `renewal_day` keeps its start: the stage before it is the one to move.
                if d.key == LAST_KEY && starts[n] <= starts[m] {
                    e.add(
                        kept[m].0,
                        Field::Start,
                        format!(
                            "Cette étape commencerait le jour de « {} » ou après ({when}) : \
                             elle doit commencer avant R.",
                            d.label
                        ),
                    );
                    continue;
                }
                let other = &kept[m].1.label;
                if starts[n] == starts[m] {
                    e.add(
                        *i,
                        Field::Start,
                        format!(
                            "Cette étape commencerait le même jour que « {other} » ({when}) : \
                             deux étapes ne peuvent pas commencer le même jour."
                        ),
                    );
                } else if starts[n] < starts[m] {
                    e.add(
                        *i,
                        Field::Start,
                        format!(
                            "Cette étape commencerait avant « {other} », qui la précède \
                             ({when}) : les étapes doivent garder le même ordre pour toutes \
                             les durées de terme."
                        ),
                    );
                }
            }
        }
    }
}

/// The first (term, renewal date) where the ranges of
/// [`timeline::stage_ranges`] and [`timeline::current_stage`] disagree,
/// around several todays (month ends, a leap day, and `today`).
pub fn ranges_disagree(table: &[StageDef], today: NaiveDate) -> Option<(i32, NaiveDate)> {
    let mut todays: Vec<NaiveDate> = [(2028, 2, 29), (2027, 3, 31), (2026, 12, 31), (2027, 6, 15)]
        .into_iter()
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
        .collect();
    todays.push(today);
    for term in TERMS {
        for &t in &todays {
            let ranges = timeline::stage_ranges(table, term, t);
            let first = add_days(t, -400);
            let last = add_months(t, term + 2);
            for r in first.iter_days().take_while(|r| *r <= last) {
                let expected = timeline::current_stage(table, r, term, t).map(|c| &c.def.key);
                let got = ranges.iter().find(|g| g.contains(r)).map(|g| &g.def.key);
                if expected != got {
                    return Some((term, r));
                }
            }
        }
    }
    None
}

/// A stage's start as people read it: `P`, `P + 1 mois`, `R − 1 mois − 15 jours`.
pub fn start_text(anchor: Anchor, months: i32, days: i32) -> String {
    let mut s = anchor.as_str().to_string();
    let mut part = |n: i32, one: &str, many: &str| {
        if n != 0 {
            let sign = if n < 0 { '−' } else { '+' };
            let unit = if n.abs() == 1 { one } else { many };
            s.push_str(&format!(" {sign} {} {unit}", n.abs()));
        }
    };
    part(months, "mois", "mois");
    part(days, "jour", "jours");
    s
}

/// What an edit changes in a table, one French line per stage touched.
pub fn describe_changes(old: &[StageDef], new: &[StageDef]) -> Vec<String> {
    let mut lines = Vec::new();
    for n in new {
        let Some(o) = old.iter().find(|o| o.key == n.key) else {
            lines.push(format!(
                "Nouvelle étape « {} » : début {}, {}.",
                n.label,
                start_text(n.anchor, n.months, n.days),
                n.colour.label().to_lowercase()
            ));
            continue;
        };
        let mut what = Vec::new();
        if o.label != n.label {
            what.push(format!("libellé « {} » → « {} »", o.label, n.label));
        }
        if (o.anchor, o.months, o.days) != (n.anchor, n.months, n.days) {
            what.push(format!(
                "début {} → {}",
                start_text(o.anchor, o.months, o.days),
                start_text(n.anchor, n.months, n.days)
            ));
        }
        if o.colour != n.colour {
            what.push(format!(
                "couleur {} → {}",
                o.colour.label().to_lowercase(),
                n.colour.label().to_lowercase()
            ));
        }
        if o.action != n.action {
            what.push("action modifiée".to_string());
        }
        if o.asks_billing_request != n.asks_billing_request {
            what.push(if n.asks_billing_request {
                "demande maintenant la facturation".to_string()
            } else {
                "ne demande plus la facturation".to_string()
            });
        }
        if !what.is_empty() {
            lines.push(format!("« {} » : {}.", o.label, what.join(" ; ")));
        }
    }
    for o in old {
        if !new.iter().any(|n| n.key == o.key) {
            lines.push(format!("Étape retirée : « {} ».", o.label));
        }
    }
    lines
}

/// What an edit changes in the standing actions, one French line each.
pub fn describe_standing_changes(old: &[String], new: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = new
        .iter()
        .filter(|a| !old.contains(a))
        .map(|a| format!("Action ajoutée ou reformulée : « {a} »"))
        .collect();
    lines.extend(
        old.iter()
            .filter(|a| !new.contains(a))
            .map(|a| format!("Action retirée ou reformulée : « {a} »")),
    );
    let kept_old: Vec<&String> = old.iter().filter(|a| new.contains(a)).collect();
    let kept_new: Vec<&String> = new.iter().filter(|a| old.contains(a)).collect();
    if lines.is_empty() && kept_old != kept_new {
        lines.push("L'ordre des actions change.".to_string());
    }
    lines
}

/// Renewal dates `from <= R < until` (`None` unbounded) whose members, for
/// one term and today, are in stage `from_stage` with the old table and in
/// `to_stage` with the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMove<'a> {
    pub from_stage: &'a StageDef,
    pub to_stage: &'a StageDef,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// Where the stage of a member changes between two tables (same term and
/// today): the overlaps of the two tables' ranges whose stage keys differ.
pub fn stage_moves<'a>(
    old: &'a [StageDef],
    new: &'a [StageDef],
    term_months: i32,
    today: NaiveDate,
) -> Vec<StageMove<'a>> {
    let old_ranges = timeline::stage_ranges(old, term_months, today);
    let new_ranges = timeline::stage_ranges(new, term_months, today);
    let mut moves = Vec::new();
    for o in &old_ranges {
        for n in &new_ranges {
            if o.def.key == n.def.key {
                continue;
            }
            let from = match (o.from, n.from) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let until = match (o.until, n.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let (Some(f), Some(u)) = (from, until)
                && f >= u
            {
                continue;
            }
            moves.push(StageMove {
                from_stage: o.def,
                to_stage: n.def,
                from,
                until,
            });
        }
    }
    moves
}

/// One row of the standing actions form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StandingRowForm {
    pub action: String,
}

/// The standing actions form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StandingForm {
    pub rows: Vec<StandingRowForm>,
    pub version: String,
}

impl StandingForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<StandingForm, String> {
        let rows = rows_from_pairs(pairs, 'a', |row: &mut StandingRowForm, field, value| {
            if field.is_empty() {
                row.action = value.to_string();
            }
        })?;
        Ok(StandingForm {
            rows,
            version: pair(pairs, "version").to_string(),
        })
    }

    pub fn from_actions(actions: &[String], version: i64) -> StandingForm {
        StandingForm {
            rows: actions
                .iter()
                .map(|a| StandingRowForm { action: a.clone() })
                .collect(),
            version: version.to_string(),
        }
        .with_blank_rows()
    }

    pub fn with_blank_rows(self) -> StandingForm {
        self.compacted(Vec::new()).0
    }

    /// Drops the empty rows, keeping each row's message with it, then adds
    /// [`BLANK_ROWS`] new ones.
    pub fn compacted(mut self, errors: Vec<Option<String>>) -> (StandingForm, Vec<Option<String>>) {
        let mut rows = Vec::new();
        let mut kept_errors = Vec::new();
        for (i, row) in self.rows.into_iter().enumerate() {
            let error = errors.get(i).cloned().flatten();
            if row.action.trim().is_empty() && error.is_none() {
                continue;
            }
            rows.push(row);
            kept_errors.push(error);
        }
        rows.extend((0..BLANK_ROWS).map(|_| StandingRowForm::default()));
        self.rows = rows;
        (self, kept_errors)
    }

    pub fn version(&self) -> Option<i64> {
        self.version.trim().parse().ok()
    }

    /// The actions kept (empty rows dropped), or a message per row.
    pub fn parse(&self) -> Result<Vec<String>, Vec<Option<String>>> {
        let mut errors = vec![None; self.rows.len()];
        let mut actions = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if row.action.trim().is_empty() {
                continue;
            }
            match v::optional(&row.action.replace("\r\n", "\n"), STANDING_MAX) {
                Ok(a) if actions.contains(&a) => {
                    errors[i] = Some("Cette action figure déjà plus haut.".to_string());
                }
                Ok(a) => actions.push(a),
                Err(m) => errors[i] = Some(m),
            }
        }
        if errors.iter().all(Option::is_none) {
            Ok(actions)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests;
