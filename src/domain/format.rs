//! French renderings of dates and durations for the pages.
use chrono::{Datelike, NaiveDate};

const MONTHS_SHORT: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juill.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// `24 nov. 2026`.
pub fn date_fr(d: NaiveDate) -> String {
    format!(
        "{} {} {}",
        d.day(),
        MONTHS_SHORT[d.month0() as usize],
        d.year()
    )
}

/// Days until a renewal, as a person says it.
pub fn days_until(days: i64) -> String {
    match days {
        0 => "aujourd'hui".into(),
        1 => "demain".into(),
        -1 => "en retard d'un jour".into(),
        n if n < 0 => format!("en retard de {} jours", -n),
        n => format!("dans {n} jours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_dates_and_delays() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(date_fr(d), "24 nov. 2026");
        assert_eq!(days_until(-3), "en retard de 3 jours");
        assert_eq!(days_until(12), "dans 12 jours");
        assert_eq!(days_until(0), "aujourd'hui");
    }
}
