//! The reasons catalogue as direction edits it (SPEC §5): the form of one
//! reason becomes a [`ReasonEntry`] or French messages by field.
use serde::Deserialize;

use crate::domain::escalation::{Level, ReasonCategory};
use crate::domain::validation::{self as v, FieldErrors};

/// The database's bounds (`reasons.label`, `reasons.answer`).
pub const LABEL_MAX: usize = 200;
pub const ANSWER_MAX: usize = 2000;

/// The reason form as typed (kept as is to show it back with the errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub category: String,
    pub label: String,
    pub answer: String,
    /// `""` = no escalation.
    pub escalation_level: String,
    /// 1-based place within the category; empty = at the end.
    pub position: String,
    /// The version the form was drawn from (edit only).
    pub version: String,
}

/// A reason as the form describes it, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonEntry {
    pub category: ReasonCategory,
    pub label: String,
    pub answer: String,
    pub escalation_level: Option<Level>,
    /// `None`: after the last reason of the category.
    pub position: Option<i32>,
}

impl ReasonForm {
    pub fn parse(&self) -> Result<ReasonEntry, FieldErrors> {
        let mut e = FieldErrors::new();
        let category = e.take(
            "category",
            ReasonCategory::parse(self.category.trim())
                .ok_or_else(|| "Choisissez la catégorie.".to_string()),
        );
        let label = e.take(
            "label",
            v::required(&self.label, "Le libellé", LABEL_MAX).and_then(one_line),
        );
        let answer = e.take(
            "answer",
            v::required(&self.answer, "La réponse suggérée", ANSWER_MAX),
        );
        let escalation_level = e.take(
            "escalation_level",
            match self.escalation_level.trim() {
                "" => Ok(None),
                s => Level::parse(s)
                    .map(Some)
                    .ok_or_else(|| "Ce niveau d'escalade n'existe pas.".to_string()),
            },
        );
        let position = e.take("position", parse_position(&self.position));
        match (category, label, answer, escalation_level, position) {
            (Some(category), Some(label), Some(answer), Some(escalation_level), Some(position))
                if e.is_empty() =>
            {
                Ok(ReasonEntry {
                    category,
                    label,
                    answer,
                    escalation_level,
                    position,
                })
            }
            _ => Err(e),
        }
    }

    /// The version the edit was made on; `None` if the form lost it.
    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

fn one_line(s: String) -> Result<String, String> {
    if s.contains(['\n', '\r']) {
        Err("Le libellé tient sur une seule ligne.".into())
    } else {
        Ok(s)
    }
}

fn parse_position(raw: &str) -> Result<Option<i32>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(n) if (1..=999).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "« {} » n'est pas un rang valide : un nombre à partir de 1.",
            s.chars().take(20).collect::<String>()
        )),
    }
}

/// Where a reason goes in its category: `wanted` (1-based) clamped to the
/// places available, the end when unspecified. `others` counts the other
/// reasons of the category.
pub fn place(wanted: Option<i32>, others: i32) -> i32 {
    let last = others + 1;
    wanted.map_or(last, |w| w.clamp(1, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ReasonForm {
        ReasonForm {
            category: "recoverable".into(),
            label: "  Trop loin du groupe ".into(),
            answer: "Proposer un groupe plus proche.".into(),
            escalation_level: "".into(),
            position: "".into(),
            version: "3".into(),
        }
    }

    #[test]
    fn a_complete_form_gives_an_entry() {
        let entry = form().parse().unwrap();
        assert_eq!(entry.category, ReasonCategory::Recoverable);
        assert_eq!(entry.label, "Trop loin du groupe");
        assert_eq!(entry.escalation_level, None);
        assert_eq!(entry.position, None);
        assert_eq!(form().version(), Some(3));
    }

    #[test]
    fn escalation_level_and_position_are_read() {
        let f = ReasonForm {
            escalation_level: "customer_service".into(),
            position: " 2 ".into(),
            ..form()
        };
        let entry = f.parse().unwrap();
        assert_eq!(entry.escalation_level, Some(Level::CustomerService));
        assert_eq!(entry.position, Some(2));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let f = ReasonForm {
            category: "autre".into(),
            label: " ".into(),
            answer: "x".repeat(ANSWER_MAX + 1),
            escalation_level: "ciel".into(),
            position: "0".into(),
            version: String::new(),
        };
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("category"), Some("Choisissez la catégorie."));
        assert_eq!(e.get("label"), Some("Le libellé est obligatoire."));
        assert!(e.get("answer").unwrap().contains("trop long"));
        assert_eq!(
            e.get("escalation_level"),
            Some("Ce niveau d'escalade n'existe pas.")
        );
        assert!(e.get("position").unwrap().contains("rang valide"));
        assert!(e.is_first("category"));
    }

    #[test]
    fn a_label_is_one_line() {
        let f = ReasonForm {
            label: "Deux\nlignes".into(),
            ..form()
        };
        assert_eq!(
            f.parse().unwrap_err().get("label"),
            Some("Le libellé tient sur une seule ligne.")
        );
    }

    #[test]
    fn place_clamps_into_the_category() {
        assert_eq!(place(None, 4), 5);
        assert_eq!(place(Some(1), 4), 1);
        assert_eq!(place(Some(9), 4), 5);
        assert_eq!(place(Some(3), 0), 1);
    }
}
