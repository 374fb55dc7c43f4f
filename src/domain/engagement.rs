//! Engagement in the group: a member's line at a meeting (attendance,
//! referrals, visitors, one-to-ones, thank-you amounts), what changed
//! between two saves of it, the group's meeting dates, and a member's
//! figures over the last six months against the six before.
use chrono::{Datelike, Days, NaiveDate};

use crate::domain::timeline::add_months;
use crate::domain::validation::{self as v, FieldErrors};

/// How a member took part in a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Attendance {
    #[default]
    Present,
    Absent,
    /// Absent with a reason the group accepts: not counted either way.
    Excused,
    /// Sent a substitute: counts as attending.
    Substitute,
}

impl Attendance {
    pub const ALL: [Attendance; 4] = [
        Attendance::Present,
        Attendance::Absent,
        Attendance::Excused,
        Attendance::Substitute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
            Attendance::Excused => "excused",
            Attendance::Substitute => "substitute",
        }
    }

    pub fn parse(s: &str) -> Option<Attendance> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Attendance::Present => "Présence",
            Attendance::Absent => "Absence",
            Attendance::Excused => "Absence motivée",
            Attendance::Substitute => "Remplacement",
        }
    }
}

/// Caps that catch a typing slip (an extra zero) at one meeting.
pub const COUNT_MAX: i32 = 50;
pub const AMOUNT_MAX_CENTS: i64 = 100_000_000; // 1 000 000 $
pub const NOTE_MAX: usize = 500;

/// One member's figures at one meeting, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineValues {
    pub attendance: Attendance,
    pub referrals_given: i32,
    /// `None`: the business value is not known.
    pub given_value_cents: Option<i64>,
    pub referrals_received: i32,
    pub received_value_cents: Option<i64>,
    pub visitors: i32,
    pub one_to_ones: i32,
    pub thanks_cents: i64,
    pub note: String,
}

/// A line as typed in the form (kept as is to show it back with errors).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineInput {
    pub attendance: String,
    pub given: String,
    pub given_value: String,
    pub received: String,
    pub received_value: String,
    pub visitors: String,
    pub one_to_ones: String,
    pub thanks: String,
    pub note: String,
}

/// The form's field names of a line (suffixed by the member's id).
pub const FIELDS: [&str; 9] = [
    "presence",
    "donnees",
    "valeur-donnees",
    "recues",
    "valeur-recues",
    "visiteurs",
    "tete-a-tete",
    "merci",
    "note",
];

impl LineInput {
    /// The form's values for a saved line.
    pub fn of(values: &LineValues) -> LineInput {
        let money = |c: i64| {
            if c % 100 == 0 {
                (c / 100).to_string()
            } else {
                format!("{},{:02}", c / 100, c % 100)
            }
        };
        LineInput {
            attendance: values.attendance.as_str().to_string(),
            given: values.referrals_given.to_string(),
            given_value: values.given_value_cents.map(money).unwrap_or_default(),
            received: values.referrals_received.to_string(),
            received_value: values.received_value_cents.map(money).unwrap_or_default(),
            visitors: values.visitors.to_string(),
            one_to_ones: values.one_to_ones.to_string(),
            thanks: if values.thanks_cents == 0 {
                String::new()
            } else {
                money(values.thanks_cents)
            },
            note: values.note.clone(),
        }
    }

    /// Sets the field named `name` (one of [`FIELDS`]); false if unknown.
    pub fn set(&mut self, name: &str, value: String) -> bool {
        let slot = match name {
            "presence" => &mut self.attendance,
            "donnees" => &mut self.given,
            "valeur-donnees" => &mut self.given_value,
            "recues" => &mut self.received,
            "valeur-recues" => &mut self.received_value,
            "visiteurs" => &mut self.visitors,
            "tete-a-tete" => &mut self.one_to_ones,
            "merci" => &mut self.thanks,
            "note" => &mut self.note,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The line's values, or French messages keyed by field name.
    pub fn parse(&self) -> Result<LineValues, FieldErrors> {
        let mut e = FieldErrors::new();
        let attendance = e.take(
            "presence",
            Attendance::parse(self.attendance.trim())
                .ok_or_else(|| "Choisissez la présence dans la liste.".to_string()),
        );
        let given = e.take("donnees", count(&self.given, "références"));
        let given_value = e.take("valeur-donnees", amount(&self.given_value));
        let received = e.take("recues", count(&self.received, "références"));
        let received_value = e.take("valeur-recues", amount(&self.received_value));
        let visitors = e.take("visiteurs", count(&self.visitors, "visiteurs"));
        let one_to_ones = e.take("tete-a-tete", count(&self.one_to_ones, "tête-à-tête"));
        let thanks = e.take("merci", amount(&self.thanks));
        let note = e.take("note", v::optional(&self.note, NOTE_MAX));
        match (
            attendance,
            given,
            given_value,
            received,
            received_value,
            visitors,
            one_to_ones,
            thanks,
            note,
        ) {
            (
                Some(a),
                Some(g),
                Some(gv),
                Some(r),
                Some(rv),
                Some(vi),
                Some(o),
                Some(t),
                Some(n),
            ) if e.is_empty() => Ok(LineValues {
                attendance: a,
                referrals_given: g,
                given_value_cents: gv,
                referrals_received: r,
                received_value_cents: rv,
                visitors: vi,
                one_to_ones: o,
                thanks_cents: t.unwrap_or(0),
                note: n,
            }),
            _ => Err(e),
        }
    }
}

/// A count typed in a box: empty is 0.
fn count(raw: &str, what: &str) -> Result<i32, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(0);
    }
    if s.starts_with('-') {
        return Err("Ce nombre ne peut pas être négatif.".into());
    }
    let n = s
        .parse::<u32>()
        .map_err(|_| "Indiquez un nombre entier (0, 1, 2…).".to_string())?;
    if n > COUNT_MAX as u32 {
        return Err(format!(
            "{n} {what} à une seule rencontre, c'est beaucoup : {COUNT_MAX} au plus."
        ));
    }
    Ok(n as i32)
}

/// An amount in dollars: empty is unknown (`None`).
fn amount(raw: &str) -> Result<Option<i64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.starts_with('-') {
        return Err("Un montant ne peut pas être négatif.".into());
    }
    let cents = v::money_cents(s)?;
    if cents > AMOUNT_MAX_CENTS {
        return Err(
            "Ce montant est trop élevé pour une seule rencontre (1 000 000 $ au plus).".into(),
        );
    }
    Ok(Some(cents))
}

fn money_text(c: Option<i64>) -> String {
    c.map_or("inconnue".to_string(), v::format_money)
}

/// What a save changed, in French (« Présence : Absence → Présence »); a
/// first save lists what was recorded.
pub fn changes(before: Option<&LineValues>, after: &LineValues) -> Vec<String> {
    let Some(b) = before else {
        let mut first = vec![after.attendance.label().to_string()];
        first.push(format!(
            "{} donnée(s), {} reçue(s)",
            after.referrals_given, after.referrals_received
        ));
        first.push(format!(
            "{} visiteur(s), {} tête-à-tête",
            after.visitors, after.one_to_ones
        ));
        if after.thanks_cents > 0 {
            first.push(format!("merci {}", v::format_money(after.thanks_cents)));
        }
        return vec![format!("Première saisie : {}", first.join(" · "))];
    };
    let a = after;
    let mut out = Vec::new();
    let mut push = |label: &str, old: String, new: String| {
        if old != new {
            out.push(format!("{label} : {old} → {new}"));
        }
    };
    push(
        "Participation",
        b.attendance.label().into(),
        a.attendance.label().into(),
    );
    push(
        "Références données",
        b.referrals_given.to_string(),
        a.referrals_given.to_string(),
    );
    push(
        "Valeur donnée",
        money_text(b.given_value_cents),
        money_text(a.given_value_cents),
    );
    push(
        "Références reçues",
        b.referrals_received.to_string(),
        a.referrals_received.to_string(),
    );
    push(
        "Valeur reçue",
        money_text(b.received_value_cents),
        money_text(a.received_value_cents),
    );
    push("Visiteurs", b.visitors.to_string(), a.visitors.to_string());
    push(
        "Tête-à-tête",
        b.one_to_ones.to_string(),
        a.one_to_ones.to_string(),
    );
    push(
        "Merci pour affaires reçues",
        v::format_money(b.thanks_cents),
        v::format_money(a.thanks_cents),
    );
    push("Note", quoted(&b.note), quoted(&a.note));
    out
}

fn quoted(s: &str) -> String {
    if s.is_empty() {
        "(vide)".into()
    } else {
        format!("« {s} »")
    }
}

// ------------------------------------------------------------ meeting days

/// Whether `date` falls on `weekday` (1 = lundi … 7 = dimanche).
pub fn is_meeting_day(date: NaiveDate, weekday: i16) -> bool {
    i64::from(date.weekday().number_from_monday()) == i64::from(weekday)
}

/// The last `weeks` dates on `weekday` up to `until` (included), newest
/// first.
pub fn regular_dates(weekday: i16, until: NaiveDate, weeks: usize) -> Vec<NaiveDate> {
    if !(1..=7).contains(&weekday) {
        return Vec::new();
    }
    let today = i64::from(until.weekday().number_from_monday());
    let back = (today - i64::from(weekday)).rem_euclid(7) as u64;
    let Some(last) = until.checked_sub_days(Days::new(back)) else {
        return Vec::new();
    };
    (0..weeks as u64)
        .filter_map(|w| last.checked_sub_days(Days::new(7 * w)))
        .collect()
}

// ------------------------------------------------------------ figures

/// One line as the figures read it (cancelled meetings left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attended {
    pub held_on: NaiveDate,
    pub attendance: Attendance,
    pub given: i32,
    pub received: i32,
    pub visitors: i32,
    pub one_to_ones: i32,
}

/// Totals over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Meetings with a line.
    pub meetings: i64,
    /// Present or replaced by a substitute.
    pub attended: i64,
    pub excused: i64,
    pub given: i64,
    pub received: i64,
    pub visitors: i64,
    pub one_to_ones: i64,
}

impl Totals {
    fn add(&mut self, l: &Attended) {
        self.meetings += 1;
        match l.attendance {
            Attendance::Present | Attendance::Substitute => self.attended += 1,
            Attendance::Excused => self.excused += 1,
            Attendance::Absent => {}
        }
        self.given += i64::from(l.given);
        self.received += i64::from(l.received);
        self.visitors += i64::from(l.visitors);
        self.one_to_ones += i64::from(l.one_to_ones);
    }

    /// Attendance in percent: attended ÷ (meetings − excused); `None`
    /// without a counted meeting.
    pub fn attendance_rate(&self) -> Option<f64> {
        let counted = self.meetings - self.excused;
        (counted > 0).then(|| self.attended as f64 * 100.0 / counted as f64)
    }
}

/// The two windows: the last six months `(today − 6 months, today]` and
/// the six before `(today − 12 months, today − 6 months]`.
pub fn windows(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (add_months(today, -6), add_months(today, -12))
}

/// Where a figure is heading, compared with the six months before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Steady,
    /// Nothing to compare with.
    Unknown,
}

impl Trend {
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Steady => "→",
            Trend::Unknown => "·",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Trend::Up => "en hausse",
            Trend::Down => "en baisse",
            Trend::Steady => "stable",
            Trend::Unknown => "sans comparaison",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Trend::Up => "up",
            Trend::Down => "down",
            Trend::Steady => "steady",
            Trend::Unknown => "unknown",
        }
    }
}

/// A rate moves when it changes by 5 points or more.
pub fn rate_trend(now: Option<f64>, before: Option<f64>) -> Trend {
    match (now, before) {
        (Some(n), Some(b)) if n - b >= 5.0 => Trend::Up,
        (Some(n), Some(b)) if b - n >= 5.0 => Trend::Down,
        (Some(_), Some(_)) => Trend::Steady,
        _ => Trend::Unknown,
    }
}

/// A count moves when it changes by 2 or more and by a fifth or more.
pub fn count_trend(now: i64, before: i64, compared: bool) -> Trend {
    if !compared {
        return Trend::Unknown;
    }
    let diff = now - before;
    if diff.abs() < 2 || diff.abs() * 5 < before {
        Trend::Steady
    } else if diff > 0 {
        Trend::Up
    } else {
        Trend::Down
    }
}

/// One calendar month of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthTotals {
    /// The first day of the month.
    pub month: NaiveDate,
    pub totals: Totals,
}

/// A member's engagement: the two windows and the last 12 calendar months.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub recent: Totals,
    pub before: Totals,
    /// Oldest first, the current month last.
    pub months: Vec<MonthTotals>,
}

impl Summary {
    /// Whether the six months before hold anything to compare with.
    pub fn compared(&self) -> bool {
        self.before.meetings > 0
    }

    pub fn attendance_trend(&self) -> Trend {
        rate_trend(self.recent.attendance_rate(), self.before.attendance_rate())
    }

    pub fn received_trend(&self) -> Trend {
        count_trend(self.recent.received, self.before.received, self.compared())
    }

    pub fn given_trend(&self) -> Trend {
        count_trend(self.recent.given, self.before.given, self.compared())
    }

    pub fn visitors_trend(&self) -> Trend {
        count_trend(self.recent.visitors, self.before.visitors, self.compared())
    }

    pub fn one_to_ones_trend(&self) -> Trend {
        count_trend(
            self.recent.one_to_ones,
            self.before.one_to_ones,
            self.compared(),
        )
    }
}

/// The first day of `d`'s month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Sums the lines (any order) into the two windows and the 12 months
/// ending with `today`'s month. Lines after `today` are left out.
pub fn summarise(lines: &[Attended], today: NaiveDate) -> Summary {
    let (six, twelve) = windows(today);
    let this_month = month_of(today);
    let mut months: Vec<MonthTotals> = (0..12)
        .rev()
        .map(|i| MonthTotals {
            month: add_months(this_month, -i),
            totals: Totals::default(),
        })
        .collect();
    let mut recent = Totals::default();
    let mut before = Totals::default();
    for l in lines.iter().filter(|l| l.held_on <= today) {
        if l.held_on > six {
            recent.add(l);
        } else if l.held_on > twelve {
            before.add(l);
        }
        let m = month_of(l.held_on);
        if let Some(slot) = months.iter_mut().find(|s| s.month == m) {
            slot.totals.add(l);
        }
    }
    Summary {
        recent,
        before,
        months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn line(day: &str, a: Attendance, given: i32, received: i32) -> Attended {
        Attended {
            held_on: d(day),
            attendance: a,
            given,
            received,
            visitors: 0,
            one_to_ones: 1,
        }
    }

    #[test]
    fn windows_are_split_on_calendar_months_with_the_edge_in_the_older_one() {
        use Attendance::*;
        let today = d("2026-11-24");
        let lines = [
            line("2026-11-24", Present, 1, 2),    // today: recent
            line("2026-05-25", Substitute, 0, 1), // day after the edge: recent
            line("2026-05-24", Absent, 3, 0),     // the edge: before
            line("2025-11-25", Excused, 0, 0),    // day after 12 months: before
            line("2025-11-24", Present, 9, 9),    // 12 months ago: left out
            line("2026-11-25", Present, 9, 9),    // tomorrow: left out
        ];
        let s = summarise(&lines, today);
        assert_eq!((s.recent.meetings, s.recent.attended), (2, 2));
        assert_eq!((s.recent.given, s.recent.received), (1, 3));
        assert_eq!((s.before.meetings, s.before.excused), (2, 1));
        assert_eq!(s.recent.attendance_rate(), Some(100.0));
        // One absence, one excused: 0 of 1 counted meeting.
        assert_eq!(s.before.attendance_rate(), Some(0.0));
        assert_eq!(s.attendance_trend(), Trend::Up);
        assert_eq!(s.months.len(), 12);
        assert_eq!(s.months[0].month, d("2025-12-01"));
        assert_eq!(s.months[11].month, d("2026-11-01"));
        assert_eq!(s.months[11].totals.received, 2);
        assert_eq!(s.months[5].totals.meetings, 2); // May: the 24th and 25th
    }

    #[test]
    fn trends_need_a_clear_move_and_something_to_compare() {
        assert_eq!(rate_trend(Some(80.0), Some(75.0)), Trend::Up);
        assert_eq!(rate_trend(Some(80.0), Some(75.1)), Trend::Steady);
        assert_eq!(rate_trend(Some(70.0), Some(75.0)), Trend::Down);
        assert_eq!(rate_trend(Some(70.0), None), Trend::Unknown);
        assert_eq!(count_trend(3, 1, true), Trend::Up);
        assert_eq!(count_trend(2, 1, true), Trend::Steady);
        assert_eq!(count_trend(12, 10, true), Trend::Up); // 2 and 20 %
        assert_eq!(count_trend(21, 19, true), Trend::Steady); // 2 but under 20 %
        assert_eq!(count_trend(0, 4, true), Trend::Down);
        assert_eq!(count_trend(5, 0, false), Trend::Unknown);
    }

    #[test]
    fn a_line_parses_with_defaults_and_refuses_bad_values_by_field() {
        let empty = LineInput {
            attendance: "present".into(),
            ..LineInput::default()
        };
        assert_eq!(empty.parse(), Ok(LineValues::default()));
        let bad = LineInput {
            attendance: "parti".into(),
            given: "-1".into(),
            received: "deux".into(),
            visitors: "51".into(),
            thanks: "2 000 000".into(),
            given_value: "12,5".into(),
            note: "x".repeat(501),
            ..LineInput::default()
        };
        let e = bad.parse().expect_err("refusé");
        assert!(e.get("presence").is_some());
        assert_eq!(
            e.get("donnees"),
            Some("Ce nombre ne peut pas être négatif.")
        );
        assert!(e.get("recues").is_some_and(|m| m.contains("nombre entier")));
        assert!(e.get("visiteurs").is_some_and(|m| m.contains("50 au plus")));
        assert!(e.get("merci").is_some_and(|m| m.contains("trop élevé")));
        assert!(e.get("note").is_some_and(|m| m.contains("trop long")));
        assert!(e.get("valeur-donnees").is_none());
    }

    #[test]
    fn a_saved_line_shows_back_as_typed_values() {
        let v = LineValues {
            attendance: Attendance::Substitute,
            referrals_given: 2,
            given_value_cents: Some(150_050),
            thanks_cents: 30_000,
            ..LineValues::default()
        };
        let input = LineInput::of(&v);
        assert_eq!(input.given_value, "1500,50");
        assert_eq!(input.thanks, "300");
        assert_eq!(input.parse(), Ok(v));
    }

    #[test]
    fn changes_name_each_field_that_moved() {
        let before = LineValues::default();
        let after = LineValues {
            attendance: Attendance::Absent,
            referrals_received: 2,
            ..LineValues::default()
        };
        assert_eq!(
            changes(Some(&before), &after),
            vec![
                "Participation : Présence → Absence".to_string(),
                "Références reçues : 0 → 2".to_string()
            ]
        );
        assert!(changes(Some(&after), &after).is_empty());
        assert!(changes(None, &after)[0].starts_with("Première saisie : Absence"));
    }

    #[test]
    fn meeting_days_go_back_week_by_week() {
        // 2026-11-24 is a Tuesday (2).
        assert!(is_meeting_day(d("2026-11-24"), 2));
        assert!(!is_meeting_day(d("2026-11-24"), 3));
        let tuesdays = regular_dates(2, d("2026-11-24"), 3);
        assert_eq!(
            tuesdays,
            vec![d("2026-11-24"), d("2026-11-17"), d("2026-11-10")]
        );
        // Wednesday meetings seen on a Tuesday: last week's.
        assert_eq!(regular_dates(3, d("2026-11-24"), 1), vec![d("2026-11-18")]);
        assert!(regular_dates(0, d("2026-11-24"), 3).is_empty());
    }
}
