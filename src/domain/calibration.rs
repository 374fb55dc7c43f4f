//! Reading the risk's calibration (issue 14, point 6): renewals whose
//! outcome is known, grouped by the score the member had 60 days before
//! the renewal date, and what the groups' renewal rates say about the
//! score, in French.
use crate::domain::report::{decimal_fr, rate_fr};

/// A group holding fewer renewals than this is drawn hatched and left out
/// of the reading: a member more or less moves its rate too much.
pub const FEW: i64 = 10;

/// One group of 20 points and what became of its renewals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskGroup {
    pub low: i16,
    pub high: i16,
    /// Renewals due whose outcome is known (renewed or lost).
    pub due: i64,
    pub renewed: i64,
}

impl RiskGroup {
    pub fn lost(&self) -> i64 {
        self.due - self.renewed
    }

    /// Renewed ÷ due, in percent; `None` when nothing was due.
    pub fn rate(&self) -> Option<f64> {
        (self.due > 0).then(|| self.renewed as f64 * 100.0 / self.due as f64)
    }

    /// `20–39` (the chart's axis, the CSV).
    pub fn range(&self) -> String {
        format!("{}–{}", self.low, self.high)
    }

    /// `de 20 à 39 points` (the sentences).
    pub fn label(&self) -> String {
        format!("de {} à {} points", self.low, self.high)
    }

    pub fn few(&self) -> bool {
        self.due < FEW
    }
}

/// All the groups together.
pub fn total(groups: &[RiskGroup]) -> RiskGroup {
    RiskGroup {
        low: groups.first().map_or(0, |g| g.low),
        high: groups.last().map_or(100, |g| g.high),
        due: groups.iter().map(|g| g.due).sum(),
        renewed: groups.iter().map(|g| g.renewed).sum(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{} %", decimal_fr(r, 0)))
}

/// What the figures say, in one or two sentences: whether the rate falls
/// as the risk rises, among the groups large enough to be read.
pub fn reading(groups: &[RiskGroup]) -> String {
    let all = total(groups);
    if all.due == 0 {
        return "Aucun renouvellement de cette période n'a encore d'issue connue : \
                il n'y a rien à comparer pour l'instant."
            .into();
    }
    let read: Vec<&RiskGroup> = groups.iter().filter(|g| !g.few()).collect();
    let (Some(first), Some(last)) = (read.first(), read.last()) else {
        return too_few(all.due);
    };
    if read.len() < 2 {
        return too_few(all.due);
    }
    let rises: Vec<String> = read
        .windows(2)
        .filter(|w| w[1].rate() > w[0].rate())
        .map(|w| {
            format!(
                "de {} ({}) à {} ({})",
                w[0].range(),
                percent(w[0].rate()),
                w[1].range(),
                percent(w[1].rate())
            )
        })
        .collect();
    let ends = format!(
        "{} des membres notés {} ont renouvelé, contre {} de ceux notés {}",
        rate_fr(first.rate()),
        first.label(),
        rate_fr(last.rate()),
        last.label()
    );
    if last.rate() >= first.rate() {
        format!(
            "Sur cette période, le score ne distingue pas ceux qui sont partis : {ends}. \
             Les poids de la formule sont peut-être à revoir."
        )
    } else if rises.is_empty() {
        format!(
            "Sur cette période, c'est bien ce qu'on observe : le taux baisse d'une tranche \
             à l'autre ; {ends}."
        )
    } else {
        format!(
            "Sur cette période, le taux baisse dans l'ensemble ({ends}), mais il remonte {} : \
             entre ces tranches, le score ne départage pas bien les membres.",
            join_fr(&rises)
        )
    }
}

fn too_few(due: i64) -> String {
    let n = if due == 1 {
        "un seul renouvellement".to_string()
    } else {
        format!("{due} renouvellements")
    };
    format!(
        "Avec {n}, les tranches sont trop petites pour en tirer une conclusion \
         (il en faut au moins {FEW} dans deux tranches) : élargissez la période."
    )
}

/// `a`, `a et b`, `a, b et c`.
fn join_fr(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(figures: [(i64, i64); 5]) -> Vec<RiskGroup> {
        figures
            .iter()
            .enumerate()
            .map(|(i, &(due, renewed))| RiskGroup {
                low: i as i16 * 20,
                high: if i == 4 { 100 } else { i as i16 * 20 + 19 },
                due,
                renewed,
            })
            .collect()
    }

    #[test]
    fn a_rate_falling_group_after_group_reads_as_calibrated() {
        let g = groups([(20, 19), (40, 34), (30, 21), (12, 6), (3, 0)]);
        let text = reading(&g);
        assert!(text.contains("c'est bien ce qu'on observe"), "{text}");
        // The last group has 3 renewals: left out, 60–79 closes the reading.
        assert!(
            text.contains("95,0 % des membres notés de 0 à 19 points ont renouvelé, contre 50,0 % de ceux notés de 60 à 79 points"),
            "{text}"
        );
    }

    #[test]
    fn a_group_renewing_more_than_the_one_below_is_named() {
        let g = groups([(20, 18), (40, 28), (30, 24), (12, 3), (0, 0)]);
        let text = reading(&g);
        assert!(
            text.contains("remonte de 20–39 (70 %) à 40–59 (80 %)"),
            "{text}"
        );
    }

    #[test]
    fn a_score_whose_riskiest_renew_as_much_says_so() {
        let g = groups([(20, 15), (0, 0), (0, 0), (20, 16), (0, 0)]);
        assert!(reading(&g).contains("ne distingue pas"));
    }

    #[test]
    fn too_few_or_no_renewals_give_no_conclusion() {
        assert!(reading(&groups([(0, 0); 5])).contains("rien à comparer"));
        let text = reading(&groups([(9, 9), (1, 0), (0, 0), (0, 0), (0, 0)]));
        assert!(text.contains("Avec 10 renouvellements"), "{text}");
        assert!(text.contains("élargissez la période"));
    }
}
