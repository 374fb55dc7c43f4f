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

/// `format!` for a French sentence that names someone after `de`: the
/// `de` is elided before a vowel (see [`elide_de`]).
#[macro_export]
macro_rules! fr {
    ($($arg:tt)*) => {
        $crate::domain::format::elide_de(&format!($($arg)*))
    };
}

/// `de` elided before a vowel or a mute h, as French writes it: a message
/// built as « Facture de {nom} » reads « Facture d'Alice Audet » but
/// « Facture de Marc Tremblay ». Only the word `de` (after a space or at
/// the start) is touched.
pub fn elide_de(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("de ") {
        let starts_word = i == 0 || rest[..i].ends_with([' ', '(', '«', '\u{a0}']);
        let next = rest[i + 3..].chars().next();
        let elide =
            starts_word && next.is_some_and(|c| "aeiouyhàâéèêëîïôûAEIOUYHÀÂÉÈÊËÎÏÔÛ".contains(c));
        out.push_str(&rest[..i]);
        out.push_str(if elide { "d'" } else { "de " });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_is_elided_before_a_vowel_or_a_mute_h_only() {
        assert_eq!(
            elide_de("Facture de Alice Audet marquée comme envoyée."),
            "Facture d'Alice Audet marquée comme envoyée."
        );
        assert_eq!(
            elide_de("Départ de Hélène Roy enregistré."),
            "Départ d'Hélène Roy enregistré."
        );
        assert_eq!(
            elide_de("Le renouvellement de Émile Ouellet passera du 1 au 2."),
            "Le renouvellement d'Émile Ouellet passera du 1 au 2."
        );
        assert_eq!(
            elide_de("Facture de Marc Tremblay envoyée."),
            "Facture de Marc Tremblay envoyée."
        );
        // A word ending in « de » is not the word « de ».
        assert_eq!(elide_de("Aide aux membres"), "Aide aux membres");
        assert_eq!(elide_de("de Anne"), "d'Anne");
    }

    #[test]
    fn french_dates_and_delays() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(date_fr(d), "24 nov. 2026");
        assert_eq!(days_until(-3), "en retard de 3 jours");
        assert_eq!(days_until(12), "dans 12 jours");
        assert_eq!(days_until(0), "aujourd'hui");
    }
}
