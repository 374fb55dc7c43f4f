//! Form input becomes domain values or French messages by field.
use chrono::NaiveDate;

/// French messages keyed by form field name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors(Vec::new())
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `field` is the first field in error (it gets the focus).
    pub fn is_first(&self, field: &str) -> bool {
        self.0.first().is_some_and(|(f, _)| *f == field)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, String)> {
        self.0.iter()
    }

    /// Records `Err` under `field` and gives back the value on `Ok`.
    pub fn take<T>(&mut self, field: &'static str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }
}

/// A required one-line text: trimmed, not empty, at most `max` characters.
pub fn required(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!("{what} est obligatoire."));
    }
    bounded(s, max)
}

/// An optional text: trimmed, at most `max` characters (may be empty).
pub fn optional(raw: &str, max: usize) -> Result<String, String> {
    bounded(raw.trim(), max)
}

fn bounded(s: &str, max: usize) -> Result<String, String> {
    let n = s.chars().count();
    if n > max {
        Err(format!(
            "Ce texte est trop long : {n} caractères pour {max} au plus."
        ))
    } else if s
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Err("Ce texte contient des caractères invisibles non permis.".into())
    } else {
        Ok(s.to_string())
    }
}

/// A date as `AAAA-MM-JJ` (what `<input type=date>` sends) or `JJ/MM/AAAA`.
pub fn date(raw: &str, what: &str) -> Result<NaiveDate, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(format!("{what} est obligatoire."));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            format!(
                "« {} » n'est pas une date valide (format AAAA-MM-JJ).",
                shorten(s)
            )
        })
}

/// An optional date: empty gives `None`.
pub fn optional_date(raw: &str, what: &str) -> Result<Option<NaiveDate>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        date(raw, what).map(Some)
    }
}

/// An amount in dollars (`1234,50`, `1 234.50`, `12`) as cents, not negative.
pub fn money_cents(raw: &str) -> Result<i64, String> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches('$')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if cleaned.is_empty() {
        return Ok(0);
    }
    let normalised = cleaned.replace(',', ".");
    let (units, cents) = match normalised.split_once('.') {
        Some((u, c)) if !c.is_empty() && c.len() <= 2 && c.bytes().all(|b| b.is_ascii_digit()) => {
            let c = if c.len() == 1 {
                format!("{c}0")
            } else {
                c.to_string()
            };
            (u.to_string(), c)
        }
        Some(_) => return Err(money_error(raw)),
        None => (normalised.clone(), "00".to_string()),
    };
    if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || units.len() > 7 {
        return Err(money_error(raw));
    }
    let u: i64 = units.parse().map_err(|_| money_error(raw))?;
    let c: i64 = cents.parse().map_err(|_| money_error(raw))?;
    Ok(u * 100 + c)
}

fn money_error(raw: &str) -> String {
    format!(
        "« {} » n'est pas un montant valide (exemple : 150,00).",
        shorten(raw.trim())
    )
}

/// Cents as `1 234,50 $` (Québec French).
pub fn format_money(cents: i64) -> String {
    let units = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    format!("{grouped},{:02}\u{a0}$", (cents % 100).abs())
}

/// An id chosen in a `<select>`; empty gives `None`.
pub fn optional_id(raw: &str) -> Result<Option<i64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| "Ce choix n'est pas valide.".to_string())
}

/// An email that may be empty.
pub fn optional_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    crate::domain::user::Email::parse(s)
        .map(|e| e.as_str().to_string())
        .map_err(str::to_string)
}

/// Cuts a value quoted back in a message.
fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_formats() {
        let d = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(date("2028-02-29", "La date"), Ok(d));
        assert_eq!(date("29/02/2028", "La date"), Ok(d));
        assert!(date("2027-02-29", "La date").is_err());
        assert_eq!(date("", "La date"), Err("La date est obligatoire.".into()));
        assert!(
            date("demain", "La date")
                .unwrap_err()
                .contains("n'est pas une date valide")
        );
    }

    #[test]
    fn money_parses_french_and_english_forms() {
        assert_eq!(money_cents("1 234,50"), Ok(123_450));
        assert_eq!(money_cents("12.5"), Ok(1_250));
        assert_eq!(money_cents("40 $"), Ok(4_000));
        assert_eq!(money_cents(""), Ok(0));
        for bad in ["-5", "abc", "1,234,5", "12.345", "99999999"] {
            assert!(money_cents(bad).is_err(), "{bad}");
        }
        assert_eq!(format_money(123_450), "1\u{a0}234,50\u{a0}$");
        assert_eq!(format_money(5), "0,05\u{a0}$");
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(required("  Tremblay ", "Le nom", 80), Ok("Tremblay".into()));
        assert!(required("   ", "Le nom", 80).is_err());
        assert!(
            required(&"x".repeat(81), "Le nom", 80)
                .unwrap_err()
                .contains("trop long")
        );
        assert!(optional("a\u{0}b", 10).is_err());
    }

    #[test]
    fn errors_keep_the_first_message_per_field() {
        let mut e = FieldErrors::new();
        e.add("nom", "un");
        e.add("nom", "deux");
        assert_eq!(e.get("nom"), Some("un"));
        assert_eq!(e.len(), 1);
        e.add("courriel", "trois");
        assert!(e.is_first("nom") && !e.is_first("courriel"));
    }
}
