//! The engagement light: green, yellow, red, or grey when there is not
//! enough to judge, from a member's last six months at the group's
//! meetings ([`Summary`]) and the thresholds direction edits.
//!
//! The rule, in order:
//! 1. grey: no group, fewer than `min_meetings` meetings recorded in the six
//!    months, or nothing but excused absences;
//! 2. red: attendance under `red_attendance` %, or fewer than
//!    `red_received` referrals received in the six months (1: none);
//! 3. yellow: attendance under `yellow_attendance` %, or referrals received
//!    per meeting down by `yellow_drop` % or more against the six months
//!    before (compared only when those also hold `min_meetings` meetings
//!    and at least one referral received);
//! 4. green otherwise.
//!
//! Attendance is rounded to the percent as the member file shows it (a
//! substitute counts as present, an excused absence is not counted).
use crate::domain::engagement::{Summary, Totals};
use crate::domain::validation::FieldErrors;

/// The thresholds, valid by construction (see [`ThresholdsForm::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub min_meetings: i32,
    pub red_attendance: i32,
    pub yellow_attendance: i32,
    pub red_received: i32,
    pub yellow_drop: i32,
}

/// The defaults of migration 0029 (and of the README).
pub const DEFAULTS: Thresholds = Thresholds {
    min_meetings: 6,
    red_attendance: 60,
    yellow_attendance: 80,
    red_received: 1,
    yellow_drop: 30,
};

/// Weekly meetings in six months: the most that can be asked for.
pub const MEETINGS_MAX: i32 = 26;
pub const RECEIVED_MAX: i32 = 50;

impl Default for Thresholds {
    fn default() -> Self {
        DEFAULTS
    }
}

impl Thresholds {
    /// The rule in French, one line per colour, for the pages.
    pub fn sentences(&self) -> Vec<(Light, String)> {
        let received = match self.red_received {
            0 => None,
            1 => Some("aucune référence reçue en 6 mois".to_string()),
            n => Some(format!("moins de {n} références reçues en 6 mois")),
        };
        let mut red = format!("présence sous {} %", self.red_attendance);
        if let Some(r) = received {
            red.push_str(" ou ");
            red.push_str(&r);
        }
        vec![
            (Light::Red, red),
            (
                Light::Yellow,
                format!(
                    "présence sous {} % ou références reçues par rencontre en baisse \
                     d'au moins {} % par rapport aux 6 mois d'avant",
                    self.yellow_attendance, self.yellow_drop
                ),
            ),
            (Light::Green, "ni rouge ni jaune".to_string()),
            (
                Light::Grey,
                format!(
                    "moins de {} rencontres consignées en 6 mois, ou aucun groupe",
                    self.min_meetings
                ),
            ),
        ]
    }
}

/// The light's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Green,
    Yellow,
    Red,
    /// Not enough data to judge.
    Grey,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::Grey => "grey",
        }
    }

    /// « Engagement : vert ».
    pub fn word(self) -> &'static str {
        match self {
            Light::Green => "vert",
            Light::Yellow => "jaune",
            Light::Red => "rouge",
            Light::Grey => "gris",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Light::Green => "engagé dans son groupe",
            Light::Yellow => "engagement à surveiller",
            Light::Red => "engagement faible",
            Light::Grey => "pas assez de données",
        }
    }
}

/// The light and the one-line reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub light: Light,
    pub reason: String,
}

fn verdict(light: Light, reasons: Vec<String>) -> Verdict {
    Verdict {
        light,
        reason: reasons.join(" ; "),
    }
}

/// Attendance rounded to the percent (half up); `None` without a counted
/// meeting.
pub fn attendance_percent(t: &Totals) -> Option<i64> {
    let counted = t.meetings - t.excused;
    (counted > 0).then(|| (t.attended * 200 + counted) / (2 * counted))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n > 1 {
        format!("{n} {many}")
    } else {
        format!("{n} {one}")
    }
}

/// How much the referrals received per meeting fell, in whole percent
/// (rounded down), when the six months before can be compared.
fn received_drop(s: &Summary, t: &Thresholds) -> Option<i64> {
    let (now, before) = (&s.recent, &s.before);
    if before.meetings < i64::from(t.min_meetings) || before.received == 0 || now.meetings == 0 {
        return None;
    }
    // (rb/mb − rn/mn) / (rb/mb), on integers.
    let lost = before.received * now.meetings - now.received * before.meetings;
    Some((lost * 100).div_euclid(before.received * now.meetings))
}

/// The light of a member: `None` for a member without a group.
pub fn judge(summary: Option<&Summary>, t: &Thresholds) -> Verdict {
    let Some(s) = summary else {
        return verdict(Light::Grey, vec!["aucun groupe".into()]);
    };
    let r = &s.recent;
    if r.meetings == 0 {
        return verdict(
            Light::Grey,
            vec!["aucune rencontre consignée en 6 mois".into()],
        );
    }
    if r.meetings < i64::from(t.min_meetings) {
        let n = plural(r.meetings, "rencontre consignée", "rencontres consignées");
        return verdict(
            Light::Grey,
            vec![format!(
                "{n} seulement en 6 mois ({} au moins pour juger)",
                t.min_meetings
            )],
        );
    }
    let Some(pct) = attendance_percent(r) else {
        return verdict(
            Light::Grey,
            vec!["que des absences motivées en 6 mois".into()],
        );
    };
    let presence = format!("présence {pct} % sur 6 mois");
    let mut red = Vec::new();
    if pct < i64::from(t.red_attendance) {
        red.push(presence.clone());
    }
    if r.received < i64::from(t.red_received) {
        red.push(match r.received {
            0 => "aucune référence reçue en 6 mois".to_string(),
            n => format!(
                "{} seulement en 6 mois",
                plural(n, "référence reçue", "références reçues")
            ),
        });
    }
    if !red.is_empty() {
        return verdict(Light::Red, red);
    }
    let mut yellow = Vec::new();
    if pct < i64::from(t.yellow_attendance) {
        yellow.push(presence.clone());
    }
    if let Some(drop) = received_drop(s, t).filter(|d| *d >= i64::from(t.yellow_drop)) {
        yellow.push(format!("références reçues en baisse de {drop} %"));
    }
    if !yellow.is_empty() {
        return verdict(Light::Yellow, yellow);
    }
    let received = plural(r.received, "référence reçue", "références reçues");
    verdict(Light::Green, vec![format!("{presence}, {received}")])
}

// ------------------------------------------------------------ the form

/// The thresholds as typed (kept to show them back with errors).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(default)]
pub struct ThresholdsForm {
    #[serde(rename = "rencontres_min")]
    pub min_meetings: String,
    #[serde(rename = "presence_rouge")]
    pub red_attendance: String,
    #[serde(rename = "presence_jaune")]
    pub yellow_attendance: String,
    #[serde(rename = "recues_rouge")]
    pub red_received: String,
    #[serde(rename = "baisse_jaune")]
    pub yellow_drop: String,
}

impl ThresholdsForm {
    pub fn of(t: &Thresholds) -> ThresholdsForm {
        ThresholdsForm {
            min_meetings: t.min_meetings.to_string(),
            red_attendance: t.red_attendance.to_string(),
            yellow_attendance: t.yellow_attendance.to_string(),
            red_received: t.red_received.to_string(),
            yellow_drop: t.yellow_drop.to_string(),
        }
    }

    pub fn parse(&self) -> Result<Thresholds, FieldErrors> {
        let mut e = FieldErrors::new();
        let min = e.take(
            "rencontres_min",
            whole(&self.min_meetings, 1, MEETINGS_MAX, || {
                format!(
                    "Entre 1 et {MEETINGS_MAX} rencontres (une par semaine sur 6 mois, \
                     c'est 26)."
                )
            }),
        );
        let red = e.take("presence_rouge", percent(&self.red_attendance, 0));
        let yellow = e.take("presence_jaune", percent(&self.yellow_attendance, 0));
        let received = e.take(
            "recues_rouge",
            whole(&self.red_received, 0, RECEIVED_MAX, || {
                format!("Entre 0 et {RECEIVED_MAX} références (0 : ce critère ne joue pas).")
            }),
        );
        let drop = e.take("baisse_jaune", percent(&self.yellow_drop, 1));
        if let (Some(r), Some(y)) = (red, yellow)
            && r > y
        {
            e.add(
                "presence_rouge",
                format!(
                    "Le seuil rouge ({r} %) ne peut pas dépasser le seuil jaune ({y} %) : \
                     une présence sous le seuil rouge est aussi sous le seuil jaune."
                ),
            );
        }
        match (min, red, yellow, received, drop) {
            (Some(m), Some(r), Some(y), Some(rc), Some(d)) if e.is_empty() => Ok(Thresholds {
                min_meetings: m,
                red_attendance: r,
                yellow_attendance: y,
                red_received: rc,
                yellow_drop: d,
            }),
            _ => Err(e),
        }
    }
}

fn number(raw: &str) -> Result<i64, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Indiquez un nombre.".into());
    }
    s.parse::<i64>()
        .map_err(|_| "Indiquez un nombre entier, sans décimale (par exemple 60).".to_string())
}

fn whole(raw: &str, min: i32, max: i32, range: impl Fn() -> String) -> Result<i32, String> {
    let n = number(raw)?;
    if n < i64::from(min) || n > i64::from(max) {
        return Err(range());
    }
    Ok(n as i32)
}

/// A percentage, with or without its « % ».
fn percent(raw: &str, min: i32) -> Result<i32, String> {
    let s = raw.trim().trim_end_matches('%');
    let n = number(s)?;
    if n < i64::from(min) || n > 100 {
        return Err(format!("Un pourcentage va de {min} à 100."));
    }
    Ok(n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::engagement::Totals;

    /// `meetings` meetings, `attended` of them present, none excused.
    fn totals(meetings: i64, attended: i64, received: i64) -> Totals {
        Totals {
            meetings,
            attended,
            received,
            ..Totals::default()
        }
    }

    fn summary(recent: Totals, before: Totals) -> Summary {
        Summary {
            recent,
            before,
            months: Vec::new(),
        }
    }

    fn light_of(recent: Totals) -> Verdict {
        judge(Some(&summary(recent, Totals::default())), &DEFAULTS)
    }

    #[test]
    fn grey_without_a_group_or_below_the_minimum_of_meetings() {
        let v = judge(None, &DEFAULTS);
        assert_eq!((v.light, v.reason.as_str()), (Light::Grey, "aucun groupe"));
        assert_eq!(
            light_of(totals(0, 0, 0)).reason,
            "aucune rencontre consignée en 6 mois"
        );
        // 5 meetings: just below 6.
        let v = light_of(totals(5, 5, 9));
        assert_eq!(v.light, Light::Grey);
        assert_eq!(
            v.reason,
            "5 rencontres consignées seulement en 6 mois (6 au moins pour juger)"
        );
        assert_eq!(
            light_of(totals(1, 1, 1)).reason,
            "1 rencontre consignée seulement en 6 mois (6 au moins pour juger)"
        );
        // At 6 the light is judged.
        assert_eq!(light_of(totals(6, 6, 2)).light, Light::Green);
        // Six excused absences: nothing counted.
        let excused = Totals {
            meetings: 6,
            excused: 6,
            received: 3,
            ..Totals::default()
        };
        assert_eq!(light_of(excused).light, Light::Grey);
    }

    #[test]
    fn attendance_at_the_red_and_yellow_edges() {
        // 59 %, 60 %, 61 % on 100 meetings' worth of figures.
        let at = |attended| light_of(totals(100, attended, 5));
        assert_eq!(at(59).light, Light::Red);
        assert_eq!(at(59).reason, "présence 59 % sur 6 mois");
        assert_eq!(at(60).light, Light::Yellow);
        assert_eq!(at(61).light, Light::Yellow);
        assert_eq!(at(79).light, Light::Yellow);
        assert_eq!(at(79).reason, "présence 79 % sur 6 mois");
        assert_eq!(at(80).light, Light::Green);
        assert_eq!(at(81).light, Light::Green);
        assert_eq!(
            at(81).reason,
            "présence 81 % sur 6 mois, 5 références reçues"
        );
        // Rounded as shown: 119 of 200 is 59.5 %, shown and judged as 60 %.
        assert_eq!(light_of(totals(200, 119, 5)).light, Light::Yellow);
        assert_eq!(attendance_percent(&totals(200, 119, 0)), Some(60));
        assert_eq!(attendance_percent(&totals(200, 118, 0)), Some(59));
    }

    #[test]
    fn referrals_received_at_the_red_edge() {
        let v = light_of(totals(10, 10, 0));
        assert_eq!(
            (v.light, v.reason.as_str()),
            (Light::Red, "aucune référence reçue en 6 mois")
        );
        assert_eq!(light_of(totals(10, 10, 1)).light, Light::Green);
        let t = Thresholds {
            red_received: 3,
            ..DEFAULTS
        };
        let judge_with = |received| {
            judge(
                Some(&summary(totals(10, 10, received), Totals::default())),
                &t,
            )
        };
        assert_eq!(
            judge_with(2).reason,
            "2 références reçues seulement en 6 mois"
        );
        assert_eq!(judge_with(2).light, Light::Red);
        assert_eq!(judge_with(3).light, Light::Green);
        // 0 turns the criterion off.
        let off = Thresholds {
            red_received: 0,
            ..DEFAULTS
        };
        let v = judge(Some(&summary(totals(10, 10, 0), Totals::default())), &off);
        assert_eq!(v.light, Light::Green);
        // Both red reasons are given.
        assert_eq!(
            light_of(totals(10, 5, 0)).reason,
            "présence 50 % sur 6 mois ; aucune référence reçue en 6 mois"
        );
    }

    #[test]
    fn falling_referrals_at_the_yellow_edge() {
        // 10 received in 10 meetings before (1 a meeting).
        let before = totals(10, 10, 10);
        let with = |received| judge(Some(&summary(totals(10, 10, received), before)), &DEFAULTS);
        // 0.71 a meeting: 29 % down; 0.70: 30 %; 0.69: 31 %.
        let ten = |n, m| {
            judge(
                Some(&summary(totals(m, m, n), totals(100, 100, 100))),
                &DEFAULTS,
            )
        };
        assert_eq!(ten(71, 100).light, Light::Green);
        assert_eq!(ten(70, 100).light, Light::Yellow);
        assert_eq!(ten(70, 100).reason, "références reçues en baisse de 30 %");
        assert_eq!(ten(69, 100).light, Light::Yellow);
        assert_eq!(with(8).light, Light::Green);
        assert_eq!(with(7).light, Light::Yellow);
        // Per meeting: fewer referrals in fewer meetings is no drop.
        let fewer = judge(Some(&summary(totals(6, 6, 6), before)), &DEFAULTS);
        assert_eq!(fewer.light, Light::Green);
        // The six months before need the minimum of meetings to compare.
        let thin = judge(
            Some(&summary(totals(10, 10, 2), totals(5, 5, 10))),
            &DEFAULTS,
        );
        assert_eq!(thin.light, Light::Green);
    }

    #[test]
    fn the_form_refuses_bad_values_by_field() {
        let ok = ThresholdsForm::of(&DEFAULTS);
        assert_eq!(ok.parse(), Ok(DEFAULTS));
        let with_sign = ThresholdsForm {
            red_attendance: " 55 % ".into(),
            ..ok.clone()
        };
        assert_eq!(with_sign.parse().map(|t| t.red_attendance), Ok(55));
        let bad = ThresholdsForm {
            min_meetings: "0".into(),
            red_attendance: "soixante".into(),
            yellow_attendance: "101".into(),
            red_received: "2,5".into(),
            yellow_drop: "".into(),
        };
        let e = bad.parse().expect_err("refusé");
        assert!(
            e.get("rencontres_min")
                .is_some_and(|m| m.contains("Entre 1 et 26"))
        );
        assert!(
            e.get("presence_rouge")
                .is_some_and(|m| m.contains("nombre entier"))
        );
        assert_eq!(
            e.get("presence_jaune"),
            Some("Un pourcentage va de 0 à 100.")
        );
        assert!(
            e.get("recues_rouge")
                .is_some_and(|m| m.contains("sans décimale"))
        );
        assert_eq!(e.get("baisse_jaune"), Some("Indiquez un nombre."));
        let crossed = ThresholdsForm {
            red_attendance: "81".into(),
            yellow_attendance: "80".into(),
            ..ok.clone()
        };
        let e = crossed.parse().expect_err("rouge au-dessus du jaune");
        assert!(
            e.get("presence_rouge")
                .is_some_and(|m| m.contains("ne peut pas dépasser"))
        );
        let equal = ThresholdsForm {
            red_attendance: "80".into(),
            ..ok
        };
        assert!(equal.parse().is_ok());
    }
}
