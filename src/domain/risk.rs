//! The renewal risk: a score from 0 to 100, the sum of plain factors
//! (migration 0033: `risk_weights` holds their points, `risk_compute` the
//! rules), and the explanation of a score in French, largest factor first.
//!
//! The score is computed in the database (a list of 100 000 members is
//! sorted by it); this module only names its bands and turns each factor
//! and its figure into a sentence.

/// How high a score is, for the badge and the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Low,
    Medium,
    High,
}

/// A score at or above this is « élevé ».
pub const HIGH_FROM: i16 = 60;
/// A score at or above this (and below [`HIGH_FROM`]) is « moyen ».
pub const MEDIUM_FROM: i16 = 35;

impl Band {
    pub const ALL: [Band; 3] = [Band::High, Band::Medium, Band::Low];

    pub fn of(score: i16) -> Band {
        if score >= HIGH_FROM {
            Band::High
        } else if score >= MEDIUM_FROM {
            Band::Medium
        } else {
            Band::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "faible",
            Band::Medium => "moyen",
            Band::High => "eleve",
        }
    }

    pub fn parse(s: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// « élevé », « moyen », « faible ».
    pub fn word(self) -> &'static str {
        match self {
            Band::Low => "faible",
            Band::Medium => "moyen",
            Band::High => "élevé",
        }
    }

    /// The scores of the band, inclusive.
    pub fn range(self) -> (i16, i16) {
        match self {
            Band::Low => (0, MEDIUM_FROM - 1),
            Band::Medium => (MEDIUM_FROM, HIGH_FROM - 1),
            Band::High => (HIGH_FROM, 100),
        }
    }

    /// « de 35 à 59 ».
    pub fn span(self) -> String {
        let (low, high) = self.range();
        format!("de {low} à {high}")
    }
}

/// One factor of a score, as the database computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The key of `risk_weights.factor`.
    pub factor: String,
    pub points: i32,
    /// The figure the sentence quotes (a percent, days, months, a count).
    pub figure: Option<i32>,
    /// A stage or a reason.
    pub label: Option<String>,
}

fn plural(n: i32, one: &str, many: &str) -> String {
    if n > 1 {
        format!("{n} {many}")
    } else {
        format!("{n} {one}")
    }
}

impl Fact {
    /// The fact in French, without its points.
    pub fn sentence(&self) -> String {
        let n = self.figure.unwrap_or(0);
        let label = self.label.as_deref().unwrap_or("");
        match self.factor.as_str() {
            "attendance" => format!("présence {n} % sur 6 mois"),
            "attendance_down" => {
                format!("présence en baisse de {n} points par rapport aux 6 mois d'avant")
            }
            "no_referral" => match self.figure {
                Some(m) => format!("aucune référence reçue depuis {m} mois"),
                None => "aucune référence reçue en 12 mois".to_string(),
            },
            "not_tracked" => match n {
                0 => "aucune présence consignée en 6 mois".to_string(),
                _ => format!(
                    "présence peu consignée : {} en 6 mois",
                    plural(n, "rencontre", "rencontres")
                ),
            },
            "state_red" => "état « Rouge » au dernier suivi".to_string(),
            "state_yellow" => "état « Jaune » au dernier suivi".to_string(),
            "state_flame" => "état « Flamme » au dernier suivi".to_string(),
            "no_contact" => match self.figure {
                Some(d) => format!("aucun suivi depuis {d} jours"),
                None => "aucun suivi consigné".to_string(),
            },
            "stages_missed" if n > 1 => {
                format!("{n} étapes passées sans suivi, dont « {label} »")
            }
            "stages_missed" => format!("étape « {label} » manquée"),
            "planned_missed" => {
                format!("relance prévue en retard de {}", plural(n, "jour", "jours"))
            }
            "reason_irrecoverable" => format!("raison irrécupérable consignée : {label}"),
            "reason_recoverable" => format!("raison consignée : {label}"),
            "not_renewing" => "demande de facturation « ne renouvelle pas »".to_string(),
            "escalation_open" => plural(n, "escalade ouverte", "escalades ouvertes"),
            "escalation_overdue" => "escalade sans réponse après 7 jours".to_string(),
            "billing_missing" if n < 0 => format!(
                "aucune demande de facturation, renouvellement dépassé de {}",
                plural(-n, "jour", "jours")
            ),
            "billing_missing" => format!(
                "aucune demande de facturation à {} du renouvellement",
                plural(n, "jour", "jours")
            ),
            "invoice_unpaid" => format!("facture envoyée il y a {n} jours, non payée"),
            "new_member" => "premier renouvellement".to_string(),
            "senior" => format!("membre depuis {n} ans"),
            "regional" => "siège régional, sans groupe chaque semaine".to_string(),
            "board_member" => "membre du CA de son groupe".to_string(),
            other => other.replace('_', " "),
        }
    }

    /// « +21 points », « −15 points ».
    pub fn points_text(&self) -> String {
        let n = self.points.abs();
        let unit = if n > 1 { "points" } else { "point" };
        if self.points < 0 {
            format!("−{n} {unit}")
        } else {
            format!("+{n} {unit}")
        }
    }

    /// The sentence with its points: « présence 45 % sur 6 mois (+21 points) ».
    pub fn explained(&self) -> String {
        format!("{} ({})", self.sentence(), self.points_text())
    }

    /// Whether the factor lowers the score.
    pub fn protects(&self) -> bool {
        self.points < 0
    }
}

/// A member's score and its factors, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub score: i16,
    pub facts: Vec<Fact>,
}

/// How many facts an explanation quotes at most.
pub const EXPLAINED: usize = 5;

impl Risk {
    /// From the arrays of `member_risks` (already in order of weight).
    pub fn from_columns(
        score: i16,
        factors: Vec<String>,
        points: Vec<i32>,
        figures: Vec<Option<i32>>,
        labels: Vec<Option<String>>,
    ) -> Risk {
        let facts = factors
            .into_iter()
            .zip(points)
            .zip(figures)
            .zip(labels)
            .map(|(((factor, points), figure), label)| Fact {
                factor,
                points,
                figure,
                label,
            })
            .collect();
        Risk { score, facts }
    }

    pub fn band(&self) -> Band {
        Band::of(self.score)
    }

    /// The three to five facts that weigh most (fewer when the score has
    /// fewer).
    pub fn explanation(&self) -> &[Fact] {
        &self.facts[..self.facts.len().min(EXPLAINED)]
    }

    /// The explanation on one line, for a list or a CSV cell.
    pub fn summary(&self) -> String {
        if self.facts.is_empty() {
            return "aucun facteur de risque relevé".to_string();
        }
        self.explanation()
            .iter()
            .map(Fact::explained)
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(factor: &str, points: i32, figure: Option<i32>, label: Option<&str>) -> Fact {
        Fact {
            factor: factor.to_string(),
            points,
            figure,
            label: label.map(str::to_string),
        }
    }

    #[test]
    fn bands_change_at_35_and_60() {
        assert_eq!(Band::of(0), Band::Low);
        assert_eq!(Band::of(34), Band::Low);
        assert_eq!(Band::of(35), Band::Medium);
        assert_eq!(Band::of(59), Band::Medium);
        assert_eq!(Band::of(60), Band::High);
        assert_eq!(Band::of(100), Band::High);
        for b in Band::ALL {
            assert_eq!(Band::parse(b.as_str()), Some(b));
            let (low, high) = b.range();
            assert_eq!(Band::of(low), b);
            assert_eq!(Band::of(high), b);
        }
        assert_eq!(Band::parse("élevé"), None);
    }

    #[test]
    fn each_fact_reads_as_a_french_sentence_with_its_figure() {
        let cases = [
            (
                fact("attendance", 21, Some(45), None),
                "présence 45 % sur 6 mois (+21 points)",
            ),
            (
                fact("no_referral", 20, Some(4), None),
                "aucune référence reçue depuis 4 mois (+20 points)",
            ),
            (
                fact("no_referral", 20, None, None),
                "aucune référence reçue en 12 mois (+20 points)",
            ),
            (
                fact("stages_missed", 5, Some(1), Some("3 mois avant")),
                "étape « 3 mois avant » manquée (+5 points)",
            ),
            (
                fact("stages_missed", 15, Some(3), Some("2 mois avant")),
                "3 étapes passées sans suivi, dont « 2 mois avant » (+15 points)",
            ),
            (
                fact("state_flame", -15, None, None),
                "état « Flamme » au dernier suivi (−15 points)",
            ),
            (
                fact("planned_missed", 8, Some(1), None),
                "relance prévue en retard de 1 jour (+8 points)",
            ),
            (
                fact("billing_missing", 10, Some(-3), None),
                "aucune demande de facturation, renouvellement dépassé de 3 jours (+10 points)",
            ),
            (
                fact("senior", -10, Some(7), None),
                "membre depuis 7 ans (−10 points)",
            ),
            (
                fact("escalation_open", 10, Some(2), None),
                "2 escalades ouvertes (+10 points)",
            ),
        ];
        for (f, expected) in cases {
            assert_eq!(f.explained(), expected);
        }
        assert!(fact("board_member", -5, None, None).protects());
        assert_eq!(fact("x", 1, None, None).points_text(), "+1 point");
    }

    #[test]
    fn the_explanation_quotes_at_most_five_facts_in_the_given_order() {
        let keys = ["a", "b", "c", "d", "e", "f"];
        let risk = Risk::from_columns(
            80,
            keys.iter().map(|k| k.to_string()).collect(),
            vec![30, 20, 10, 8, 5, 1],
            vec![None; 6],
            vec![None; 6],
        );
        let quoted: Vec<&str> = risk
            .explanation()
            .iter()
            .map(|f| f.factor.as_str())
            .collect();
        assert_eq!(quoted, ["a", "b", "c", "d", "e"]);
        assert_eq!(risk.band(), Band::High);
        let none = Risk::from_columns(15, vec![], vec![], vec![], vec![]);
        assert!(none.explanation().is_empty());
        assert_eq!(none.summary(), "aucun facteur de risque relevé");
    }
}
