//! Report figures: plain functions of aggregated rows and today.
//!
//! Retention (SPEC §6, issue 8). A member is *due* in the month of the
//! renewal date that ends a cycle: the `previous_renewal` of a recorded
//! renewal, or the current renewal date of a lost member or of an active
//! one whose date has passed (pending). A renewal recorded late still
//! counts in the month it was due. The rate is renewed ÷ due, absent when
//! nothing was due; a month with members still pending (or not over yet)
//! is provisional.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::domain::validation::FieldErrors;

const MONTHS_LONG: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const MONTHS_SHORT: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juill.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 0 = January.
    month0: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        // `then`, not `then_some`: `month - 1` must not run for month 0.
        ((1..=12).contains(&month) && (1900..=2200).contains(&year)).then(|| Month {
            year,
            month0: month - 1,
        })
    }

    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month0: d.month0(),
        }
    }

    /// `2026-03`; anything else (or a year out of 1900–2200) is refused.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month0 + 1, 1).unwrap_or(NaiveDate::MIN)
    }

    /// This month moved by `n` months (negative = earlier).
    pub fn shift(self, n: i32) -> Month {
        let index = self.year * 12 + self.month0 as i32 + n;
        Month {
            year: index.div_euclid(12),
            month0: index.rem_euclid(12) as u32,
        }
    }

    /// Months from `self` to `other` (`other` later = positive).
    pub fn until(self, other: Month) -> i32 {
        (other.year * 12 + other.month0 as i32) - (self.year * 12 + self.month0 as i32)
    }

    /// `2026-03`, as in the CSV and the query string.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month0 + 1)
    }

    /// `mars 2026`.
    pub fn label(self) -> String {
        format!("{} {}", MONTHS_LONG[self.month0 as usize], self.year)
    }

    /// `mars`, `juill.`: the month on a chart's axis.
    pub fn abbreviation(self) -> &'static str {
        MONTHS_SHORT[self.month0 as usize]
    }

    /// The year under a chart's month when it starts the chart or a year.
    pub fn axis_year(self, first: bool) -> String {
        if first || self.month0 == 0 {
            self.year.to_string()
        } else {
            String::new()
        }
    }
}

/// A period of whole months, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Month,
    pub to: Month,
}

/// The longest period a report covers.
pub const MAX_PERIOD_MONTHS: i32 = 36;

impl Period {
    /// The last 12 complete months before today.
    pub fn default_for(today: NaiveDate) -> Period {
        let to = Month::of(today).shift(-1);
        Period {
            from: to.shift(-11),
            to,
        }
    }

    /// The period typed in the query string (`du`, `au`), with French
    /// messages for what is wrong; a wrong end falls back to the default.
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> (Period, FieldErrors) {
        let default = Period::default_for(today);
        let mut errors = FieldErrors::new();
        let mut read = |raw: &str, field: &'static str, what: &str, fallback: Month| {
            if raw.trim().is_empty() {
                return fallback;
            }
            Month::parse(raw).unwrap_or_else(|| {
                errors.add(
                    field,
                    format!("Le mois {what} s'écrit AAAA-MM, par exemple 2026-03."),
                );
                fallback
            })
        };
        let from = read(from, "du", "de début", default.from);
        let to = read(to, "au", "de fin", default.to);
        if !errors.is_empty() {
            return (default, errors);
        }
        if from > to {
            errors.add("au", "Le mois de fin doit venir après le mois de début.");
            return (default, errors);
        }
        if from.until(to) >= MAX_PERIOD_MONTHS {
            errors.add(
                "au",
                format!("Choisissez une période d'au plus {MAX_PERIOD_MONTHS} mois."),
            );
            return (default, errors);
        }
        (Period { from, to }, errors)
    }

    pub fn months(&self) -> Vec<Month> {
        (0..=self.from.until(self.to))
            .map(|i| self.from.shift(i))
            .collect()
    }

    /// First day of the period.
    pub fn start(&self) -> NaiveDate {
        self.from.first_day()
    }

    /// The day after the period.
    pub fn end(&self) -> NaiveDate {
        self.to.shift(1).first_day()
    }

    /// `janvier 2026 à décembre 2026`.
    pub fn label(&self) -> String {
        if self.from == self.to {
            self.from.label()
        } else {
            format!("{} à {}", self.from.label(), self.to.label())
        }
    }
}

/// What became of the members due in some month (or in some group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcomes {
    pub renewed: i64,
    pub lost: i64,
    /// Renewal date passed, neither renewed nor lost.
    pub pending: i64,
    /// Renewal date still to come (only in the current month).
    pub upcoming: i64,
}

impl Outcomes {
    /// Members due: renewed, lost or pending (not those still to come).
    pub fn due(&self) -> i64 {
        self.renewed + self.lost + self.pending
    }

    /// Renewed ÷ due, in percent; `None` when nothing was due.
    pub fn rate(&self) -> Option<f64> {
        let due = self.due();
        (due > 0).then(|| self.renewed as f64 * 100.0 / due as f64)
    }

    pub fn add(&mut self, other: Outcomes) {
        self.renewed += other.renewed;
        self.lost += other.lost;
        self.pending += other.pending;
        self.upcoming += other.upcoming;
    }
}

/// A rate as people read it: `87,5 %`, or `—` when there is none.
pub fn rate_fr(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{} %", decimal_fr(r, 1)),
        None => "—".into(),
    }
}

/// `x` with `places` decimals and a decimal comma.
pub fn decimal_fr(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

/// `part` as a percentage of `whole`, or `None` when `whole` is zero.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// One month of the retention table.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionMonth {
    pub month: Month,
    pub outcomes: Outcomes,
    /// Some members are still pending or due later, or the month is not over.
    pub provisional: bool,
}

impl RetentionMonth {
    pub fn rate(&self) -> Option<f64> {
        self.outcomes.rate()
    }
}

/// Every month of the period, in order, with zeros where no row came back
/// (a month with nothing due has no rate).
pub fn retention_by_month(
    period: Period,
    rows: &[(Month, Outcomes)],
    today: NaiveDate,
) -> Vec<RetentionMonth> {
    let mut by_month: HashMap<Month, Outcomes> = HashMap::new();
    for (m, o) in rows {
        by_month.entry(*m).or_default().add(*o);
    }
    let current = Month::of(today);
    period
        .months()
        .into_iter()
        .map(|month| {
            let outcomes = by_month.get(&month).copied().unwrap_or_default();
            RetentionMonth {
                month,
                outcomes,
                provisional: outcomes.pending > 0 || outcomes.upcoming > 0 || month >= current,
            }
        })
        .collect()
}

/// The sum of every month.
pub fn total(months: &[RetentionMonth]) -> Outcomes {
    let mut t = Outcomes::default();
    for m in months {
        t.add(m.outcomes);
    }
    t
}

/// Counts per month and bucket (e.g. a colour): `rows` are (month,
/// bucket index, count); a month outside `months` or a bucket ≥ `n` is
/// left out, and repeated cells add up.
pub fn grid(months: &[Month], n: usize, rows: &[(Month, usize, i64)]) -> Vec<Vec<i64>> {
    let mut out = vec![vec![0; n]; months.len()];
    for (m, b, count) in rows {
        if let (Some(i), true) = (months.iter().position(|x| x == m), *b < n) {
            out[i][*b] += count;
        }
    }
    out
}

/// How much of the pre-renewal timeline got a follow-up while current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Coverage {
    All,
    Some,
    None,
}

impl Coverage {
    pub const ALL: [Coverage; 3] = [Coverage::All, Coverage::Some, Coverage::None];

    /// `followed` of the `stages` pre-renewal stages of the cycle.
    pub fn of(followed: i64, stages: i64) -> Coverage {
        if followed <= 0 {
            Coverage::None
        } else if followed >= stages {
            Coverage::All
        } else {
            Coverage::Some
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Coverage::All => "Toutes les étapes suivies",
            Coverage::Some => "Une partie des étapes suivies",
            Coverage::None => "Aucune étape suivie",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn m(y: i32, mo: u32) -> Month {
        Month::new(y, mo).unwrap()
    }

    #[test]
    fn months_parse_only_the_yyyy_mm_form() {
        assert_eq!(Month::parse("2026-03"), Some(m(2026, 3)));
        assert_eq!(Month::parse(" 2026-12 "), Some(m(2026, 12)));
        for bad in [
            "2026-13", "2026-00", "2026-3", "26-03", "mars", "", "2026/03", "9999-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn month_arithmetic_crosses_years() {
        assert_eq!(m(2026, 1).shift(-1), m(2025, 12));
        assert_eq!(m(2025, 12).shift(1), m(2026, 1));
        assert_eq!(m(2026, 3).shift(-27), m(2023, 12));
        assert_eq!(m(2025, 11).until(m(2026, 2)), 3);
        assert_eq!(m(2024, 2).first_day(), d(2024, 2, 1));
        assert_eq!(m(2026, 3).key(), "2026-03");
        assert_eq!(m(2026, 3).label(), "mars 2026");
        assert_eq!(m(2026, 7).abbreviation(), "juill.");
        assert_eq!(m(2026, 1).axis_year(false), "2026");
        assert_eq!(m(2026, 2).axis_year(false), "");
    }

    #[test]
    fn default_period_is_the_last_twelve_complete_months() {
        let p = Period::default_for(d(2026, 11, 29));
        assert_eq!((p.from, p.to), (m(2025, 11), m(2026, 10)));
        assert_eq!(p.months().len(), 12);
        assert_eq!(p.start(), d(2025, 11, 1));
        assert_eq!(p.end(), d(2026, 11, 1));
        // On the first of January the last complete month is December.
        let p = Period::default_for(d(2027, 1, 1));
        assert_eq!((p.from, p.to), (m(2026, 1), m(2026, 12)));
    }

    #[test]
    fn a_leap_day_today_gives_the_same_period_as_any_day_of_february() {
        assert_eq!(
            Period::default_for(d(2028, 2, 29)),
            Period::default_for(d(2028, 2, 1))
        );
        assert_eq!(Period::default_for(d(2028, 2, 29)).end(), d(2028, 2, 1));
    }

    #[test]
    fn a_bad_period_gives_a_french_message_and_the_default() {
        let today = d(2026, 11, 29);
        let (p, e) = Period::parse("2026-13", "", today);
        assert_eq!(p, Period::default_for(today));
        assert!(e.get("du").unwrap().contains("AAAA-MM"));
        let (p, e) = Period::parse("2026-06", "2026-01", today);
        assert_eq!(p, Period::default_for(today));
        assert!(e.get("au").is_some());
        let (_, e) = Period::parse("2020-01", "2026-01", today);
        assert!(e.get("au").unwrap().contains("36 mois"));
        let (p, e) = Period::parse("2026-01", "2026-03", today);
        assert!(e.is_empty());
        assert_eq!(p.months(), vec![m(2026, 1), m(2026, 2), m(2026, 3)]);
    }

    #[test]
    fn rate_is_renewed_over_due_and_absent_when_nothing_was_due() {
        let o = Outcomes {
            renewed: 3,
            lost: 1,
            pending: 0,
            upcoming: 5,
        };
        assert_eq!(o.due(), 4);
        assert_eq!(o.rate(), Some(75.0));
        assert_eq!(Outcomes::default().rate(), None);
        assert_eq!(rate_fr(None), "—");
        assert_eq!(rate_fr(Some(200.0 / 3.0)), "66,7 %");
    }

    #[test]
    fn every_month_of_the_period_is_listed_and_pending_makes_it_provisional() {
        let today = d(2026, 11, 29);
        let period = Period::parse("2026-08", "2026-11", today).0;
        let rows = vec![
            (
                m(2026, 8),
                Outcomes {
                    renewed: 2,
                    ..Outcomes::default()
                },
            ),
            (
                m(2026, 10),
                Outcomes {
                    renewed: 1,
                    pending: 1,
                    ..Outcomes::default()
                },
            ),
        ];
        let months = retention_by_month(period, &rows, today);
        assert_eq!(months.len(), 4);
        assert_eq!(months[0].rate(), Some(100.0));
        assert!(!months[0].provisional);
        assert_eq!(months[1].rate(), None, "nothing due in September");
        assert!(!months[1].provisional);
        assert!(months[2].provisional, "a pending member");
        assert_eq!(months[2].rate(), Some(50.0));
        assert!(months[3].provisional, "the current month is not over");
        assert_eq!(total(&months).due(), 4);
    }

    #[test]
    fn zero_rows_give_empty_months() {
        let today = d(2026, 11, 29);
        let months = retention_by_month(Period::default_for(today), &[], today);
        assert_eq!(months.len(), 12);
        assert!(months.iter().all(|m| m.rate().is_none() && !m.provisional));
        assert_eq!(total(&months).rate(), None);
    }

    #[test]
    fn grid_places_counts_and_ignores_what_is_outside() {
        let months = [m(2026, 11), m(2026, 12), m(2027, 1)];
        let rows = [
            (m(2026, 12), 0, 3),
            (m(2026, 12), 0, 2),
            (m(2027, 1), 2, 1),
            (m(2027, 2), 0, 9),
            (m(2026, 11), 7, 9),
        ];
        assert_eq!(
            grid(&months, 3, &rows),
            vec![vec![0, 0, 0], vec![5, 0, 0], vec![0, 0, 1]]
        );
        assert!(grid(&[], 3, &rows).is_empty());
    }

    #[test]
    fn coverage_groups_all_some_none() {
        assert_eq!(Coverage::of(0, 7), Coverage::None);
        assert_eq!(Coverage::of(3, 7), Coverage::Some);
        assert_eq!(Coverage::of(7, 7), Coverage::All);
        assert_eq!(Coverage::of(6, 6), Coverage::All);
    }

    #[test]
    fn shares_are_percentages_of_a_whole() {
        assert_eq!(share(1, 3).map(|s| decimal_fr(s, 1)), Some("33,3".into()));
        assert_eq!(share(1, 0), None);
    }
}
