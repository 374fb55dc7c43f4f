//! The renewal timeline (SPEC §3): which stage of its formula's table a
//! member is in, computed from the renewal date R, the term and today.
//!
//! The tables are data (`timeline_stages`, seeded by
//! `migrations/0002_timeline.sql`); this module is the pure calculation.
//! Today is always a parameter, never read from the clock.
//!
//! Rules, in one place:
//! - P = R − term (calendar months, clamped to the month's end).
//! - A stage starts at its anchor + `months` + `days`, then is clamped into
//!   [P, R], so a cycle covers exactly one term. With the seeded tables this
//!   only matters for terms under 6 months, where a stage would otherwise
//!   fall before P or after R.
//! - The current stage is the one with the latest start ≤ today; on equal
//!   starts the higher `position` wins. Before every start (today < P: the
//!   member renewed early) it is the first stage of the cycle. From R on it
//!   is the last stage (`renewal_day`), overdue by today − R days.
//! - Lost members have no stage: callers must not ask for one.
//!
//! With a 6-month term, R − 6 months is P and R − 3 months is (usually)
//! P + 3 months: `before_6m` then wins over `welcome` and `before_3m` over
//! `after_3m` on the day they share, so those two become zero-length stages
//! (shown in the cycle, never current, except `welcome` before P).

use std::cmp::Ordering;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::formula::Colour;
use super::report::Month;

/// The date a stage's offset counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Anchor {
    /// P, the previous renewal (or join) date.
    #[serde(rename = "P")]
    Previous,
    /// R, the next renewal date.
    #[serde(rename = "R")]
    Renewal,
}

impl Anchor {
    /// The database text (`timeline_stages.anchor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::Previous => "P",
            Anchor::Renewal => "R",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "P" => Some(Anchor::Previous),
            "R" => Some(Anchor::Renewal),
            _ => None,
        }
    }
}

/// One row of a formula's timeline table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDef {
    pub key: String,
    pub label: String,
    pub anchor: Anchor,
    /// Signed calendar months added to the anchor (clamped to month end).
    pub months: i32,
    /// Signed days added after the months.
    pub days: i32,
    pub colour: Colour,
    /// Order within the table; breaks ties between equal starts.
    pub position: i32,
    /// The French checklist for the representative.
    pub action: String,
    /// Entering this stage asks for the billing request.
    pub asks_billing_request: bool,
}

/// `d` plus `months` calendar months, clamped to the end of the month
/// (2027-03-31 − 1 month = 2027-02-28). Saturates at chrono's limits
/// instead of panicking.
pub fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let n = Months::new(months.unsigned_abs());
    if months >= 0 {
        d.checked_add_months(n).unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_months(n).unwrap_or(NaiveDate::MIN)
    }
}

/// `d` plus signed `days`, saturating at chrono's limits.
pub fn add_days(d: NaiveDate, days: i32) -> NaiveDate {
    let n = Days::new(u64::from(days.unsigned_abs()));
    if days >= 0 {
        d.checked_add_days(n).unwrap_or(NaiveDate::MAX)
    } else {
        d.checked_sub_days(n).unwrap_or(NaiveDate::MIN)
    }
}

/// P = R − term: the previous renewal (or join) date.
pub fn previous_renewal(renewal: NaiveDate, term_months: i32) -> NaiveDate {
    add_months(renewal, term_months.saturating_neg())
}

/// When `def` starts in the cycle ending at `renewal`, clamped into [P, R].
///
/// Non-decreasing in `renewal` (every step is), which [`stage_ranges`]
/// relies on.
pub fn stage_start(def: &StageDef, renewal: NaiveDate, term_months: i32) -> NaiveDate {
    start_in_cycle(def, renewal, previous_renewal(renewal, term_months))
}

/// [`stage_start`] once P = `previous` is known (the same for every stage
/// of a cycle: worked out once per member, not once per stage).
fn start_in_cycle(def: &StageDef, renewal: NaiveDate, previous: NaiveDate) -> NaiveDate {
    let base = match def.anchor {
        Anchor::Previous => previous,
        Anchor::Renewal => renewal,
    };
    let start = add_days(add_months(base, def.months), def.days);
    // `min` keeps clamp's bounds ordered even for a nonsensical negative term.
    start.clamp(previous.min(renewal), renewal)
}

/// Where a stage of the cycle stands relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Past,
    Current,
    Upcoming,
}

/// A stage of one member's cycle, with its dates (for drawing the timeline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleStage<'a> {
    pub def: &'a StageDef,
    pub start: NaiveDate,
    /// The next stage's start (exclusive); `None` for the last stage, which
    /// lasts until a renewal is recorded.
    pub end: Option<NaiveDate>,
    pub position: Position,
}

/// The stage a member is in today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentStage<'a> {
    pub def: &'a StageDef,
    pub start: NaiveDate,
    /// The next stage's start; `None` in the last stage.
    pub end: Option<NaiveDate>,
    /// R − today; negative once overdue.
    pub days_until_renewal: i64,
    /// max(0, today − R): days since the renewal date with no renewal recorded.
    pub days_overdue: i64,
}

/// Every stage with its start, in cycle order: by start, then position
/// (then key, so a malformed table still sorts deterministically).
fn ordered_starts(
    table: &[StageDef],
    renewal: NaiveDate,
    term_months: i32,
) -> Vec<(&StageDef, NaiveDate)> {
    let previous = previous_renewal(renewal, term_months);
    let mut stages: Vec<_> = table
        .iter()
        .map(|def| (def, start_in_cycle(def, renewal, previous)))
        .collect();
    stages.sort_by(|(a, a_start), (b, b_start)| {
        (a_start, a.position, &a.key).cmp(&(b_start, b.position, &b.key))
    });
    stages
}

/// Index of the current stage in cycle order: the last one started by
/// today, or the first one when none has started yet.
fn current_index(stages: &[(&StageDef, NaiveDate)], today: NaiveDate) -> Option<usize> {
    if stages.is_empty() {
        return None;
    }
    Some(
        stages
            .iter()
            .rposition(|&(_, start)| start <= today)
            .unwrap_or(0),
    )
}

/// The whole cycle ending at `renewal`, for the member page's timeline.
pub fn cycle<'a>(
    table: &'a [StageDef],
    renewal: NaiveDate,
    term_months: i32,
    today: NaiveDate,
) -> Vec<CycleStage<'a>> {
    let stages = ordered_starts(table, renewal, term_months);
    let Some(current) = current_index(&stages, today) else {
        return Vec::new();
    };
    stages
        .iter()
        .enumerate()
        .map(|(i, &(def, start))| CycleStage {
            def,
            start,
            end: stages.get(i + 1).map(|&(_, next)| next),
            position: match i.cmp(&current) {
                Ordering::Less => Position::Past,
                Ordering::Equal => Position::Current,
                Ordering::Greater => Position::Upcoming,
            },
        })
        .collect()
}

/// The stage a member with renewal date `renewal` is in on `today`.
/// `None` only for an empty table. Lost members have no stage: do not call
/// this for them.
pub fn current_stage<'a>(
    table: &'a [StageDef],
    renewal: NaiveDate,
    term_months: i32,
    today: NaiveDate,
) -> Option<CurrentStage<'a>> {
    let stages = ordered_starts(table, renewal, term_months);
    let i = current_index(&stages, today)?;
    let (def, start) = stages[i];
    let days_until_renewal = (renewal - today).num_days();
    Some(CurrentStage {
        def,
        start,
        end: stages.get(i + 1).map(|&(_, next)| next),
        days_until_renewal,
        days_overdue: (-days_until_renewal).max(0),
    })
}

/// A renewal recorded after its date: the new cycle's first stage
/// (« Inscription (vérification) ») starts on the day it was recorded,
/// `from`, instead of P, and stays the current stage (a task) until a
/// follow-up is logged in it — as long as the cycle is still in its stages
/// counted from P (the checks after registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateStart {
    pub from: NaiveDate,
    /// A follow-up was logged in the first stage of this cycle.
    pub first_done: bool,
}

/// The stages in cycle order (with their starts), the index of the current
/// one, and whether a late first stage holds it.
type LateStages<'a> = (Vec<(&'a StageDef, NaiveDate)>, usize, bool);

/// The stages in cycle order, the first one moved to a late start, and the
/// index of the current one (`None` for an empty table).
fn late_stages(
    table: &[StageDef],
    renewal: NaiveDate,
    term_months: i32,
    today: NaiveDate,
    late: Option<LateStart>,
) -> Option<LateStages<'_>> {
    let mut stages = ordered_starts(table, renewal, term_months);
    let by_date = current_index(&stages, today)?;
    let Some(late) = late.filter(|l| l.from > stages[0].1) else {
        return Some((stages, by_date, false));
    };
    let from = late.from.min(renewal);
    stages[0].1 = from;
    let held = !late.first_done && today >= from && stages[by_date].0.anchor == Anchor::Previous;
    Some(if held {
        (stages, 0, true)
    } else {
        (stages, by_date, false)
    })
}

/// [`current_stage`], with a late renewal's first stage (see [`LateStart`]).
/// While that stage waits for its follow-up it has no end.
pub fn current_stage_late<'a>(
    table: &'a [StageDef],
    renewal: NaiveDate,
    term_months: i32,
    today: NaiveDate,
    late: Option<LateStart>,
) -> Option<CurrentStage<'a>> {
    let (stages, i, held) = late_stages(table, renewal, term_months, today, late)?;
    let (def, start) = stages[i];
    let days_until_renewal = (renewal - today).num_days();
    Some(CurrentStage {
        def,
        start,
        end: if held {
            None
        } else {
            stages.get(i + 1).map(|&(_, next)| next.max(start))
        },
        days_until_renewal,
        days_overdue: (-days_until_renewal).max(0),
    })
}

/// [`cycle`], with a late renewal's first stage (see [`LateStart`]): while
/// it waits for its follow-up, the stages after it are still to come.
pub fn cycle_late<'a>(
    table: &'a [StageDef],
    renewal: NaiveDate,
    term_months: i32,
    today: NaiveDate,
    late: Option<LateStart>,
) -> Vec<CycleStage<'a>> {
    let Some((stages, current, _)) = late_stages(table, renewal, term_months, today, late) else {
        return Vec::new();
    };
    stages
        .iter()
        .enumerate()
        .map(|(i, &(def, start))| CycleStage {
            def,
            start,
            end: stages.get(i + 1).map(|&(_, next)| next.max(start)),
            position: match i.cmp(&current) {
                Ordering::Less => Position::Past,
                Ordering::Equal => Position::Current,
                Ordering::Greater => Position::Upcoming,
            },
        })
        .collect()
}

/// The renewal dates R whose current stage (for a fixed today and term) is
/// `def`: `from <= R < until`, `None` meaning unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRange<'a> {
    pub def: &'a StageDef,
    /// Inclusive lower bound on R.
    pub from: Option<NaiveDate>,
    /// Exclusive upper bound on R.
    pub until: Option<NaiveDate>,
}

impl StageRange<'_> {
    pub fn contains(&self, renewal: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= renewal)
            && self.until.is_none_or(|until| renewal < until)
    }
}

/// The smallest R for which `def` starts after `today`, or `None` if it
/// never does. A binary search over chrono's whole range: exact because the
/// start is non-decreasing in R, and only ~28 steps.
fn first_renewal_starting_after(
    def: &StageDef,
    term_months: i32,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let date = |n: i32| NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MAX);
    let starts_after = |n: i32| stage_start(def, date(n), term_months) > today;
    let (mut lo, mut hi) = (
        NaiveDate::MIN.num_days_from_ce(),
        NaiveDate::MAX.num_days_from_ce(),
    );
    if !starts_after(hi) {
        return None;
    }
    if starts_after(lo) {
        return Some(NaiveDate::MIN);
    }
    // Invariant: the stage has started by today at lo, not at hi.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if starts_after(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(date(hi))
}

/// Partitions all renewal dates into ranges in which [`current_stage`]
/// gives the same stage, so SQL can select a stage's members with
/// `renewal_date >= from AND renewal_date < until` on an index.
///
/// Each stage's start only moves forward as R does, so "has it started by
/// today?" flips once, at a boundary found exactly; between consecutive
/// boundaries the set of started stages is fixed, and so is the current
/// stage as long as the table's stages keep their order from one month to
/// the next (true when day offsets stay under about four weeks, as in the
/// seeded tables; the tests check every R over several years). Adjacent
/// ranges of the same stage are merged; a stage may still get several.
pub fn stage_ranges<'a>(
    table: &'a [StageDef],
    term_months: i32,
    today: NaiveDate,
) -> Vec<StageRange<'a>> {
    let mut cuts: Vec<NaiveDate> = table
        .iter()
        .filter_map(|def| first_renewal_starting_after(def, term_months, today))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();

    let lower_bounds = std::iter::once(None).chain(cuts.iter().copied().map(Some));
    let mut ranges: Vec<StageRange<'a>> = Vec::new();
    for (i, from) in lower_bounds.enumerate() {
        let until = cuts.get(i).copied();
        let sample = match (from, until) {
            (Some(from), _) => from,
            (None, Some(until)) => match until.pred_opt() {
                Some(day_before) => day_before,
                None => continue, // empty: the first cut is chrono's minimum
            },
            (None, None) => today,
        };
        let Some(stage) = current_stage(table, sample, term_months, today) else {
            continue;
        };
        match ranges.last_mut() {
            Some(last) if std::ptr::eq(last.def, stage.def) => last.until = until,
            _ => ranges.push(StageRange {
                def: stage.def,
                from,
                until,
            }),
        }
    }
    ranges
}

/// A range of renewal dates `[from, until)` (`None`: unbounded) cut at each
/// first of the month inside the window `[start, end)`: the pieces inside,
/// each with the first day of its month, and, when `outside`, the pieces
/// before `start` and from `end` on, with no month. Empty pieces are left
/// out. A count per range then needs no month worked out per row, nor a
/// grouping (`store::dashboard`).
pub fn split_by_month(
    (from, until): (Option<NaiveDate>, Option<NaiveDate>),
    (start, end): (NaiveDate, NaiveDate),
    outside: bool,
) -> Vec<MonthPiece> {
    let lo = from.unwrap_or(NaiveDate::MIN);
    let hi = until.unwrap_or(NaiveDate::MAX);
    let mut pieces = Vec::new();
    if lo >= hi {
        return pieces;
    }
    if outside && lo < start {
        pieces.push(MonthPiece {
            from,
            until: if hi > start { Some(start) } else { until },
            month: None,
        });
    }
    let mut cur = lo.max(start);
    let stop = hi.min(end);
    while cur < stop {
        let month = Month::of(cur);
        let next = month.shift(1).first_day().min(stop);
        if next <= cur {
            break; // only past chrono's last year
        }
        pieces.push(MonthPiece {
            from: Some(cur),
            until: Some(next),
            month: Some(month.first_day()),
        });
        cur = next;
    }
    if outside && hi > end {
        pieces.push(MonthPiece {
            from: if lo < end { Some(end) } else { from },
            until,
            month: None,
        });
    }
    pieces
}

/// One piece of [`split_by_month`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthPiece {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// The first day of the piece's month, inside the window; `None`
    /// outside it.
    pub month: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::formula::Formula;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn days(n: i64) -> chrono::TimeDelta {
        chrono::TimeDelta::days(n)
    }

    type Row = (&'static str, &'static str, char, i32, i32, Colour, bool);

    use Colour::{Green, Orange, Red, Yellow};

    /// Exclusive and regional share keys, labels, offsets and colours.
    const SEAT_ROWS: [Row; 11] = [
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

    const PARTNER_ROWS: [Row; 10] = [
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

    /// The seeded table of a formula, as in the migration (the action texts
    /// are checked against the migration by `migration_seeds_the_fixture_rows`).
    fn table(formula: Formula) -> Vec<StageDef> {
        let rows: &[Row] = match formula {
            Formula::Exclusive | Formula::Regional => &SEAT_ROWS,
            Formula::Partner => &PARTNER_ROWS,
        };
        rows.iter()
            .zip(1..)
            .map(
                |(&(key, label, anchor, months, days, colour, billing), position)| StageDef {
                    key: key.to_owned(),
                    label: label.to_owned(),
                    anchor: Anchor::parse(&anchor.to_string()).unwrap(),
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

    fn key_on(table: &[StageDef], renewal: &str, term: i32, today: NaiveDate) -> String {
        current_stage(table, d(renewal), term, today)
            .unwrap()
            .def
            .key
            .clone()
    }

    fn starts(table: &[StageDef], renewal: &str, term: i32) -> Vec<(String, NaiveDate)> {
        table
            .iter()
            .map(|def| (def.key.clone(), stage_start(def, d(renewal), term)))
            .collect()
    }

    fn assert_starts(formula: Formula, renewal: &str, term: i32, expected: &[(&str, &str)]) {
        let t = table(formula);
        let actual = starts(&t, renewal, term);
        let expected: Vec<(String, NaiveDate)> = expected
            .iter()
            .map(|&(k, s)| (k.to_owned(), d(s)))
            .collect();
        assert_eq!(actual, expected, "{formula:?} R={renewal} term={term}");
    }

    #[test]
    fn add_months_clamps_to_the_end_of_the_month() {
        let cases = [
            ("2027-03-31", -1, "2027-02-28"),
            ("2028-02-29", 12, "2029-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2026-03-31", -1, "2026-02-28"),
            ("2026-12-31", -6, "2026-06-30"),
            ("2026-06-15", 0, "2026-06-15"),
            ("2027-02-28", 1, "2027-03-28"),
        ];
        for (from, months, expected) in cases {
            assert_eq!(
                add_months(d(from), months),
                d(expected),
                "{from} {months:+}"
            );
        }
    }

    #[test]
    fn dates_at_chronos_limits_saturate_instead_of_panicking() {
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months(NaiveDate::MIN, -1), NaiveDate::MIN);
        assert_eq!(add_months(d("2026-01-01"), i32::MAX), NaiveDate::MAX);
        assert_eq!(add_months(d("2026-01-01"), i32::MIN), NaiveDate::MIN);
        assert_eq!(add_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_days(NaiveDate::MIN, i32::MIN), NaiveDate::MIN);
        let t = table(Formula::Exclusive);
        for renewal in [NaiveDate::MIN, NaiveDate::MAX, d("2027-06-15")] {
            for term in [i32::MIN, -12, 0, 12, i32::MAX] {
                for today in [NaiveDate::MIN, NaiveDate::MAX, d("2027-06-15")] {
                    let stage = current_stage(&t, renewal, term, today).unwrap();
                    assert!(stage.days_overdue >= 0);
                    assert_eq!(cycle(&t, renewal, term, today).len(), t.len());
                    assert!(!stage_ranges(&t, term, today).is_empty());
                }
            }
        }
    }

    #[test]
    fn previous_renewal_is_one_term_before() {
        assert_eq!(previous_renewal(d("2028-02-29"), 12), d("2027-02-28"));
        assert_eq!(previous_renewal(d("2027-06-15"), 24), d("2025-06-15"));
        assert_eq!(previous_renewal(d("2027-08-31"), 6), d("2027-02-28"));
    }

    #[test]
    fn anchor_round_trips() {
        for a in [Anchor::Previous, Anchor::Renewal] {
            assert_eq!(Anchor::parse(a.as_str()), Some(a));
        }
        assert_eq!(Anchor::parse("p"), None);
    }

    const SEAT_STARTS_2027_06_15: [(&str, &str); 11] = [
        ("welcome", "2026-06-15"),
        ("after_1m", "2026-07-15"),
        ("after_3m", "2026-09-15"),
        ("before_6m", "2026-12-15"),
        ("before_3m", "2027-03-15"),
        ("before_2m", "2027-04-15"),
        ("before_1m", "2027-05-15"),
        ("before_3w", "2027-05-25"),
        ("before_2w", "2027-06-01"),
        ("before_1w", "2027-06-08"),
        ("renewal_day", "2027-06-15"),
    ];

    const PARTNER_STARTS_2027_06_15: [(&str, &str); 10] = [
        ("welcome", "2026-06-15"),
        ("after_1m", "2026-07-15"),
        ("growth", "2026-08-15"),
        ("before_3m", "2027-03-15"),
        ("before_2m", "2027-04-15"),
        ("before_45d", "2027-04-30"),
        ("before_1m", "2027-05-15"),
        ("before_2w", "2027-06-01"),
        ("before_1w", "2027-06-08"),
        ("renewal_day", "2027-06-15"),
    ];

    #[test]
    fn each_stage_starts_on_its_day_and_not_the_day_before() {
        for formula in Formula::ALL {
            let expected: &[(&str, &str)] = match formula {
                Formula::Partner => &PARTNER_STARTS_2027_06_15,
                _ => &SEAT_STARTS_2027_06_15,
            };
            assert_starts(formula, "2027-06-15", 12, expected);
            let t = table(formula);
            for (i, &(key, start)) in expected.iter().enumerate() {
                let start = d(start);
                assert_eq!(
                    key_on(&t, "2027-06-15", 12, start),
                    key,
                    "{formula:?} on {start}"
                );
                // The day before, the previous stage (before the first: still
                // the first, the member renewed early).
                let before = if i == 0 { key } else { expected[i - 1].0 };
                let eve = start - days(1);
                assert_eq!(
                    key_on(&t, "2027-06-15", 12, eve),
                    before,
                    "{formula:?} on {eve}"
                );
            }
        }
    }

    #[test]
    fn month_ends_clamp() {
        assert_starts(
            Formula::Exclusive,
            "2027-03-31",
            12,
            &[
                ("welcome", "2026-03-31"),
                ("after_1m", "2026-04-30"),
                ("after_3m", "2026-06-30"),
                ("before_6m", "2026-09-30"),
                ("before_3m", "2026-12-31"),
                ("before_2m", "2027-01-31"),
                ("before_1m", "2027-02-28"),
                ("before_3w", "2027-03-10"),
                ("before_2w", "2027-03-17"),
                ("before_1w", "2027-03-24"),
                ("renewal_day", "2027-03-31"),
            ],
        );
        assert_starts(
            Formula::Regional,
            "2028-02-29",
            12,
            &[
                ("welcome", "2027-02-28"),
                ("after_1m", "2027-03-28"),
                ("after_3m", "2027-05-28"),
                ("before_6m", "2027-08-29"),
                ("before_3m", "2027-11-29"),
                ("before_2m", "2027-12-29"),
                ("before_1m", "2028-01-29"),
                ("before_3w", "2028-02-08"),
                ("before_2w", "2028-02-15"),
                ("before_1w", "2028-02-22"),
                ("renewal_day", "2028-02-29"),
            ],
        );
        assert_starts(
            Formula::Exclusive,
            "2026-12-31",
            12,
            &[
                ("welcome", "2025-12-31"),
                ("after_1m", "2026-01-31"),
                ("after_3m", "2026-03-31"),
                ("before_6m", "2026-06-30"),
                ("before_3m", "2026-09-30"),
                ("before_2m", "2026-10-31"),
                ("before_1m", "2026-11-30"),
                ("before_3w", "2026-12-10"),
                ("before_2w", "2026-12-17"),
                ("before_1w", "2026-12-24"),
                ("renewal_day", "2026-12-31"),
            ],
        );
        let t = table(Formula::Exclusive);
        assert_eq!(key_on(&t, "2027-03-31", 12, d("2027-02-27")), "before_2m");
        assert_eq!(key_on(&t, "2027-03-31", 12, d("2027-02-28")), "before_1m");
        assert_eq!(key_on(&t, "2028-02-29", 12, d("2027-02-27")), "welcome");
        assert_eq!(key_on(&t, "2028-02-29", 12, d("2027-03-27")), "welcome");
        assert_eq!(key_on(&t, "2028-02-29", 12, d("2027-03-28")), "after_1m");
    }

    #[test]
    fn partner_before_45d_is_one_month_and_fifteen_days_before() {
        let cases = [
            ("2027-06-15", "2027-04-30"),
            ("2027-03-31", "2027-02-13"),
            ("2028-02-29", "2028-01-14"),
            ("2026-12-31", "2026-11-15"),
            ("2027-03-15", "2027-01-31"),
        ];
        let t = table(Formula::Partner);
        let def = t.iter().find(|s| s.key == "before_45d").unwrap();
        for (renewal, start) in cases {
            assert_eq!(stage_start(def, d(renewal), 12), d(start), "R={renewal}");
            assert_eq!(key_on(&t, renewal, 12, d(start)), "before_45d");
            assert_eq!(key_on(&t, renewal, 12, d(start) - days(1)), "before_2m");
        }
        assert_starts(
            Formula::Partner,
            "2026-12-31",
            12,
            &[
                ("welcome", "2025-12-31"),
                ("after_1m", "2026-01-31"),
                ("growth", "2026-02-28"),
                ("before_3m", "2026-09-30"),
                ("before_2m", "2026-10-31"),
                ("before_45d", "2026-11-15"),
                ("before_1m", "2026-11-30"),
                ("before_2w", "2026-12-17"),
                ("before_1w", "2026-12-24"),
                ("renewal_day", "2026-12-31"),
            ],
        );
    }

    #[test]
    fn from_the_renewal_date_on_the_member_is_in_renewal_day_and_overdue() {
        for formula in Formula::ALL {
            let t = table(formula);
            let cases = [
                ("2027-06-14", "before_1w", 1, 0),
                ("2027-06-15", "renewal_day", 0, 0),
                ("2027-06-16", "renewal_day", -1, 1),
                ("2027-07-01", "renewal_day", -16, 16),
                ("2029-01-01", "renewal_day", -566, 566),
            ];
            for (today, key, until, overdue) in cases {
                let s = current_stage(&t, d("2027-06-15"), 12, d(today)).unwrap();
                assert_eq!(s.def.key, key, "{formula:?} {today}");
                assert_eq!(s.days_until_renewal, until, "{formula:?} {today}");
                assert_eq!(s.days_overdue, overdue, "{formula:?} {today}");
            }
            let last = current_stage(&t, d("2027-06-15"), 12, d("2027-07-01")).unwrap();
            assert_eq!((last.start, last.end), (d("2027-06-15"), None));
        }
    }

    #[test]
    fn before_the_previous_renewal_the_member_is_in_welcome() {
        // Renewed early: R is more than a term away.
        for formula in Formula::ALL {
            let t = table(formula);
            let s = current_stage(&t, d("2028-06-15"), 12, d("2027-01-10")).unwrap();
            assert_eq!(s.def.key, "welcome");
            assert_eq!(s.start, d("2027-06-15"));
            assert_eq!(s.end, Some(d("2027-07-15")));
            assert_eq!(s.days_until_renewal, 522);
            assert_eq!(s.days_overdue, 0);
        }
    }

    #[test]
    fn a_late_renewal_starts_its_first_stage_on_the_day_it_is_recorded() {
        let table = table(Formula::Exclusive);
        // Due 2026-10-28, recorded 2026-11-29: the new cycle runs to 2027-10-28.
        let late = Some(LateStart {
            from: d("2026-11-29"),
            first_done: false,
        });
        let r = d("2027-10-28");
        let today = d("2026-11-29");
        // By date alone the first stage is already over, hence missed.
        let by_date = current_stage(&table, r, 12, today).unwrap();
        assert_eq!(by_date.def.key, "after_1m");
        // Recorded late, it starts that day and is the task.
        let c = current_stage_late(&table, r, 12, today, late).unwrap();
        assert_eq!(c.def.key, "welcome");
        assert_eq!(c.start, d("2026-11-29"));
        assert_eq!(c.end, None);
        let cycle = cycle_late(&table, r, 12, today, late);
        assert_eq!(cycle[0].position, Position::Current);
        assert_eq!(cycle[0].start, d("2026-11-29"));
        assert!(cycle[1..].iter().all(|c| c.position == Position::Upcoming));
        // Weeks later, still not followed up: still the task.
        let later = d("2027-01-20");
        let c = current_stage_late(&table, r, 12, later, late).unwrap();
        assert_eq!(c.def.key, "welcome");
        // Followed up: the dated stages take over.
        let done = Some(LateStart {
            from: d("2026-11-29"),
            first_done: true,
        });
        let c = current_stage_late(&table, r, 12, later, done).unwrap();
        assert_eq!(c.def.key, "after_1m");
        // Once the stages counted from R begin, the late start no longer holds.
        let c = current_stage_late(&table, r, 12, d("2027-05-01"), late).unwrap();
        assert_eq!(c.def.key, "before_6m");
        // Recorded on time (or early): nothing changes.
        let on_time = Some(LateStart {
            from: d("2026-10-20"),
            first_done: false,
        });
        for day in ["2026-10-20", "2026-11-29", "2027-03-01", "2027-10-30"] {
            assert_eq!(
                current_stage_late(&table, r, 12, d(day), on_time),
                current_stage(&table, r, 12, d(day))
            );
            assert_eq!(
                cycle_late(&table, r, 12, d(day), on_time),
                super::cycle(&table, r, 12, d(day))
            );
        }
    }

    #[test]
    fn an_empty_table_has_no_stage() {
        assert!(current_stage(&[], d("2027-06-15"), 12, d("2027-01-01")).is_none());
        assert!(cycle(&[], d("2027-06-15"), 12, d("2027-01-01")).is_empty());
        assert!(stage_ranges(&[], 12, d("2027-01-01")).is_empty());
    }

    #[test]
    fn billing_request_stages() {
        for (formula, key) in [
            (Formula::Exclusive, "before_3w"),
            (Formula::Regional, "before_3w"),
            (Formula::Partner, "before_1m"),
        ] {
            let asking: Vec<_> = table(formula)
                .into_iter()
                .filter(|s| s.asks_billing_request)
                .map(|s| s.key)
                .collect();
            assert_eq!(asking, [key], "{formula:?}");
        }
    }

    #[test]
    fn a_24_month_term_keeps_the_order_with_a_long_green_middle() {
        assert_starts(
            Formula::Exclusive,
            "2027-06-15",
            24,
            &[
                ("welcome", "2025-06-15"),
                ("after_1m", "2025-07-15"),
                ("after_3m", "2025-09-15"),
                ("before_6m", "2026-12-15"),
                ("before_3m", "2027-03-15"),
                ("before_2m", "2027-04-15"),
                ("before_1m", "2027-05-15"),
                ("before_3w", "2027-05-25"),
                ("before_2w", "2027-06-01"),
                ("before_1w", "2027-06-08"),
                ("renewal_day", "2027-06-15"),
            ],
        );
        let t = table(Formula::Exclusive);
        assert_eq!(key_on(&t, "2027-06-15", 24, d("2026-06-01")), "after_3m");
        assert_eq!(key_on(&t, "2027-06-15", 24, d("2026-12-15")), "before_6m");
        let p = table(Formula::Partner);
        assert_eq!(key_on(&p, "2027-06-15", 24, d("2026-06-01")), "growth");
    }

    #[test]
    fn a_6_month_term_lets_the_later_stage_win_shared_days() {
        // P = 2026-12-15 = R − 6 months; P + 3 months = R − 3 months.
        let t = table(Formula::Exclusive);
        let c = cycle(&t, d("2027-06-15"), 6, d("2027-03-20"));
        let order: Vec<(&str, NaiveDate, Option<NaiveDate>)> = c
            .iter()
            .map(|s| (s.def.key.as_str(), s.start, s.end))
            .collect();
        let z = |s| Some(d(s));
        assert_eq!(
            order,
            [
                ("welcome", d("2026-12-15"), z("2026-12-15")),
                ("before_6m", d("2026-12-15"), z("2027-01-15")),
                ("after_1m", d("2027-01-15"), z("2027-03-15")),
                ("after_3m", d("2027-03-15"), z("2027-03-15")),
                ("before_3m", d("2027-03-15"), z("2027-04-15")),
                ("before_2m", d("2027-04-15"), z("2027-05-15")),
                ("before_1m", d("2027-05-15"), z("2027-05-25")),
                ("before_3w", d("2027-05-25"), z("2027-06-01")),
                ("before_2w", d("2027-06-01"), z("2027-06-08")),
                ("before_1w", d("2027-06-08"), z("2027-06-15")),
                ("renewal_day", d("2027-06-15"), None),
            ]
        );
        let cases = [
            ("2026-12-14", "welcome"), // renewed early: the first stage
            ("2026-12-15", "before_6m"),
            ("2027-01-14", "before_6m"),
            ("2027-01-15", "after_1m"),
            ("2027-03-14", "after_1m"),
            ("2027-03-15", "before_3m"),
        ];
        for (today, key) in cases {
            assert_eq!(key_on(&t, "2027-06-15", 6, d(today)), key, "{today}");
        }
        // When clamping puts P + 3 months before R − 3 months, after_3m
        // gets those few days.
        assert_eq!(key_on(&t, "2027-08-31", 6, d("2027-05-28")), "after_3m");
        assert_eq!(key_on(&t, "2027-08-31", 6, d("2027-05-30")), "after_3m");
        assert_eq!(key_on(&t, "2027-08-31", 6, d("2027-05-31")), "before_3m");
        // Partners have no collision at 6 months.
        let p = table(Formula::Partner);
        let starts: Vec<NaiveDate> = cycle(&p, d("2027-06-15"), 6, d("2027-01-01"))
            .iter()
            .map(|s| s.start)
            .collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    }

    #[test]
    fn short_terms_keep_every_stage_inside_the_term() {
        for formula in Formula::ALL {
            let t = table(formula);
            for term in [0, 1, 2, 3, 4, 5] {
                for renewal in ["2027-06-15", "2027-03-31", "2028-02-29"] {
                    let r = d(renewal);
                    let p = previous_renewal(r, term);
                    for def in &t {
                        let s = stage_start(def, r, term);
                        assert!(p <= s && s <= r, "{formula:?} {} term {term}", def.key);
                    }
                    let s = current_stage(&t, r, term, r).unwrap();
                    assert_eq!(s.def.key, "renewal_day", "{formula:?} term {term}");
                    let s = current_stage(&t, r, term, r + days(40)).unwrap();
                    assert_eq!((s.def.key.as_str(), s.days_overdue), ("renewal_day", 40));
                }
            }
        }
    }

    #[test]
    fn cycle_marks_past_current_and_upcoming() {
        let t = table(Formula::Exclusive);
        let check = |today: &str, current: &str| {
            let c = cycle(&t, d("2027-06-15"), 12, d(today));
            assert_eq!(c.len(), 11);
            let at = c.iter().position(|s| s.def.key == current).unwrap();
            for (i, s) in c.iter().enumerate() {
                let expected = match i.cmp(&at) {
                    Ordering::Less => Position::Past,
                    Ordering::Equal => Position::Current,
                    Ordering::Greater => Position::Upcoming,
                };
                assert_eq!(s.position, expected, "{today}: {}", s.def.key);
            }
            for w in c.windows(2) {
                assert_eq!(w[0].end, Some(w[1].start));
            }
            assert_eq!(c.last().unwrap().end, None);
            let cur = current_stage(&t, d("2027-06-15"), 12, d(today)).unwrap();
            assert_eq!((cur.start, cur.end), (c[at].start, c[at].end));
        };
        check("2027-05-20", "before_1m");
        check("2027-05-15", "before_1m");
        check("2026-06-15", "welcome");
        check("2025-01-01", "welcome");
        check("2027-06-15", "renewal_day");
        check("2027-09-01", "renewal_day");
        let c = cycle(&t, d("2027-06-15"), 12, d("2025-01-01"));
        assert!(c[1..].iter().all(|s| s.position == Position::Upcoming));
        let c = cycle(&t, d("2027-06-15"), 12, d("2027-09-01"));
        assert!(c[..10].iter().all(|s| s.position == Position::Past));
    }

    #[test]
    fn stage_ranges_agree_with_current_stage_for_every_renewal_date() {
        let todays = [
            "2028-02-29",
            "2028-02-28",
            "2028-03-01",
            "2027-01-31",
            "2027-03-31",
            "2026-12-31",
            "2027-06-15",
            "2026-11-30",
        ];
        for formula in Formula::ALL {
            let t = table(formula);
            for term in [1, 4, 6, 12, 24] {
                for today in todays {
                    let today = d(today);
                    let ranges = stage_ranges(&t, term, today);
                    // A partition: unbounded at both ends, contiguous.
                    assert_eq!(ranges.first().unwrap().from, None);
                    assert_eq!(ranges.last().unwrap().until, None);
                    for w in ranges.windows(2) {
                        assert_eq!(w[0].until, w[1].from);
                        assert!(w[0].until.is_some());
                        assert!(!std::ptr::eq(w[0].def, w[1].def), "unmerged");
                    }
                    let mut r = today - days(400);
                    while r <= today + days(800) {
                        let key = &current_stage(&t, r, term, today).unwrap().def.key;
                        let hits: Vec<_> = ranges.iter().filter(|g| g.contains(r)).collect();
                        assert_eq!(hits.len(), 1, "{formula:?} term {term} T={today} R={r}");
                        assert_eq!(
                            &hits[0].def.key, key,
                            "{formula:?} term {term} T={today} R={r}"
                        );
                        r += days(1);
                    }
                }
            }
        }
    }

    fn ranges_for_stage<'a>(
        table: &'a [StageDef],
        key: &str,
        term: i32,
        today: NaiveDate,
    ) -> Vec<StageRange<'a>> {
        stage_ranges(table, term, today)
            .into_iter()
            .filter(|r| r.def.key == key)
            .collect()
    }

    fn ranges_for_colour<'a>(
        table: &'a [StageDef],
        colour: Colour,
        term: i32,
        today: NaiveDate,
    ) -> Vec<StageRange<'a>> {
        stage_ranges(table, term, today)
            .into_iter()
            .filter(|r| r.def.colour == colour)
            .collect()
    }

    #[test]
    fn stage_ranges_for_a_12_month_term() {
        // T = 2027-05-20: before_1m for R in [2027-06-11, 2027-06-21).
        let t = table(Formula::Exclusive);
        let today = d("2027-05-20");
        let r = ranges_for_stage(&t, "before_1m", 12, today);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].from, r[0].until),
            (Some(d("2027-06-11")), Some(d("2027-06-21")))
        );
        let renewal_day = ranges_for_stage(&t, "renewal_day", 12, today);
        assert_eq!(
            (renewal_day[0].from, renewal_day[0].until),
            (None, Some(d("2027-05-21")))
        );
        let welcome = ranges_for_stage(&t, "welcome", 12, today);
        assert_eq!(welcome.last().unwrap().until, None);
        let red: Vec<&str> = ranges_for_colour(&t, Colour::Red, 12, today)
            .iter()
            .map(|g| g.def.key.as_str())
            .collect();
        assert_eq!(red, ["renewal_day", "before_1w", "before_2w", "welcome"]);
    }

    /// Minimal reader for the INSERT tuples of the migration: strings
    /// (with '' escapes), bare words and numbers, punctuation; `--` comments.
    fn sql_tokens(sql: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                c if c.is_whitespace() => {}
                '-' if chars.peek() == Some(&'-') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '\'' => {
                    let mut s = String::from("'");
                    loop {
                        match chars.next() {
                            Some('\'') if chars.peek() == Some(&'\'') => {
                                chars.next();
                                s.push('\'');
                            }
                            Some('\'') | None => break,
                            Some(c) => s.push(c),
                        }
                    }
                    tokens.push(s);
                }
                '(' | ')' | ',' | ';' => tokens.push(c.to_string()),
                c => {
                    let mut w = String::from(c);
                    while let Some(&n) = chars.peek() {
                        if n.is_whitespace() || "(),;'".contains(n) {
                            break;
                        }
                        w.push(n);
                        chars.next();
                    }
                    tokens.push(w);
                }
            }
        }
        tokens
    }

    /// The seeded `timeline_stages` rows of the migration, per formula.
    fn migration_rows() -> Vec<(Formula, StageDef)> {
        let tokens = sql_tokens(include_str!("../../migrations/0002_timeline.sql"));
        let mut rows = Vec::new();
        let mut i = 0;
        while i + 2 < tokens.len() {
            let is_insert = tokens[i].eq_ignore_ascii_case("INSERT")
                && tokens[i + 2].eq_ignore_ascii_case("timeline_stages");
            i += 1;
            if !is_insert {
                continue;
            }
            while !tokens[i].eq_ignore_ascii_case("VALUES") {
                i += 1;
            }
            i += 1;
            while tokens[i] != ";" {
                if tokens[i] == "(" {
                    let mut fields = Vec::new();
                    i += 1;
                    while tokens[i] != ")" {
                        if tokens[i] != "," {
                            fields.push(tokens[i].clone());
                        }
                        i += 1;
                    }
                    rows.push(row_from_fields(&fields));
                }
                i += 1;
            }
        }
        rows
    }

    fn row_from_fields(f: &[String]) -> (Formula, StageDef) {
        assert_eq!(f.len(), 10, "{f:?}");
        let text = |s: &String| s.strip_prefix('\'').expect("a string").to_owned();
        let formula = Formula::parse(&text(&f[0])).unwrap();
        let def = StageDef {
            key: text(&f[1]),
            label: text(&f[2]),
            anchor: Anchor::parse(&text(&f[3])).unwrap(),
            months: f[4].parse().unwrap(),
            days: f[5].parse().unwrap(),
            colour: Colour::parse(&text(&f[6])).unwrap(),
            position: f[7].parse().unwrap(),
            action: text(&f[8]),
            asks_billing_request: f[9].parse().unwrap(),
        };
        (formula, def)
    }

    #[test]
    fn migration_seeds_the_fixture_rows() {
        let seeded = migration_rows();
        assert_eq!(seeded.len(), 11 + 11 + 10);
        for formula in Formula::ALL {
            let fixture = table(formula);
            let rows: Vec<&StageDef> = seeded
                .iter()
                .filter(|(f, _)| *f == formula)
                .map(|(_, def)| def)
                .collect();
            assert_eq!(rows.len(), fixture.len(), "{formula:?}");
            for (row, fix) in rows.iter().zip(&fixture) {
                let without_action = |s: &StageDef| StageDef {
                    action: String::new(),
                    ..s.clone()
                };
                assert_eq!(without_action(row), without_action(fix), "{formula:?}");
                let bullets = row.action.lines().filter(|l| l.starts_with("• ")).count();
                assert_eq!(bullets, row.action.lines().count(), "{}", row.action);
                assert!((2..=5).contains(&bullets), "{formula:?} {}", row.key);
                assert!(row.action.chars().count() <= 4000);
                assert!(!row.action.contains('\''), "use the typographic apostrophe");
            }
        }
        let text = |formula, key: &str| {
            seeded
                .iter()
                .find(|(f, def)| *f == formula && def.key == key)
                .map(|(_, def)| def.action.clone())
                .unwrap()
        };
        for key in ["before_6m", "before_1m"] {
            assert_ne!(
                text(Formula::Exclusive, key),
                text(Formula::Regional, key),
                "regional has its own {key} text"
            );
        }
    }

    fn piece(from: Option<&str>, until: Option<&str>, month: Option<&str>) -> MonthPiece {
        MonthPiece {
            from: from.map(d),
            until: until.map(d),
            month: month.map(d),
        }
    }

    #[test]
    fn a_range_is_cut_at_each_month_of_the_window() {
        let window = (d("2026-11-01"), d("2027-02-01"));
        // Unbounded on both sides, kept whole outside the window.
        assert_eq!(
            split_by_month((None, None), window, true),
            vec![
                piece(None, Some("2026-11-01"), None),
                piece(Some("2026-11-01"), Some("2026-12-01"), Some("2026-11-01")),
                piece(Some("2026-12-01"), Some("2027-01-01"), Some("2026-12-01")),
                piece(Some("2027-01-01"), Some("2027-02-01"), Some("2027-01-01")),
                piece(Some("2027-02-01"), None, None),
            ]
        );
        // Only the window's pieces when asked for no outside.
        assert_eq!(
            split_by_month(
                (Some(d("2026-11-20")), Some(d("2026-12-10"))),
                window,
                false
            ),
            vec![
                piece(Some("2026-11-20"), Some("2026-12-01"), Some("2026-11-01")),
                piece(Some("2026-12-01"), Some("2026-12-10"), Some("2026-12-01")),
            ]
        );
        // Wholly outside: one piece, or none.
        assert_eq!(
            split_by_month((Some(d("2026-01-31")), Some(d("2026-03-01"))), window, true),
            vec![piece(Some("2026-01-31"), Some("2026-03-01"), None)]
        );
        assert!(split_by_month((Some(d("2027-02-01")), None), window, false).is_empty());
        assert_eq!(
            split_by_month((Some(d("2027-02-01")), None), window, true),
            vec![piece(Some("2027-02-01"), None, None)]
        );
        // An empty range gives nothing.
        assert!(
            split_by_month((Some(d("2026-12-05")), Some(d("2026-12-05"))), window, true).is_empty()
        );
    }

    #[test]
    fn a_window_across_february_of_a_leap_year_keeps_every_day() {
        let window = (d("2028-02-15"), d("2028-03-31"));
        let pieces = split_by_month((Some(d("2028-02-01")), Some(d("2028-04-30"))), window, true);
        assert_eq!(
            pieces,
            vec![
                piece(Some("2028-02-01"), Some("2028-02-15"), None),
                piece(Some("2028-02-15"), Some("2028-03-01"), Some("2028-02-01")),
                piece(Some("2028-03-01"), Some("2028-03-31"), Some("2028-03-01")),
                piece(Some("2028-03-31"), Some("2028-04-30"), None),
            ]
        );
        // The pieces follow each other with no gap: Feb 29 is in one.
        for w in pieces.windows(2) {
            assert_eq!(w[0].until, w[1].from);
        }
        let feb29 = d("2028-02-29");
        let holding: Vec<_> = pieces
            .iter()
            .filter(|p| p.from.is_none_or(|f| f <= feb29) && p.until.is_none_or(|u| feb29 < u))
            .collect();
        assert_eq!(holding.len(), 1);
        assert_eq!(holding[0].month, Some(d("2028-02-01")));
    }
}
