//! Escalations and the reasons catalogue (SPEC §2, §5): levels and who
//! receives them, statuses and the moves between them, the 7-day answer
//! rule, and how a response delay reads. Pure: today is a parameter.
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};

/// Whoever receives an escalation answers with the actions taken within
/// this many days.
pub const ANSWER_DAYS: u64 = 7;
/// Longest text of an escalation, a resolution or an answer tried.
pub const TEXT_MAX: usize = 4000;

/// Where an escalation goes. The chain is representative → district
/// manager → direction; customer service is a parallel channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    District,
    Direction,
    CustomerService,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::District, Level::Direction, Level::CustomerService];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Direction => "direction",
            Level::CustomerService => "customer_service",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::District => "District",
            Level::Direction => "Direction",
            Level::CustomerService => "Service à la clientèle",
        }
    }

    /// The level above, if any: customer service hands over to direction.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::District | Level::CustomerService => Some(Level::Direction),
            Level::Direction => None,
        }
    }

    /// May this user act on an escalation of this level about a member of
    /// `member_district`? District level: that district's managers;
    /// direction and customer service: direction. Direction acts on any.
    pub fn received_by(self, role: Role, user_district: Option<i64>, member_district: i64) -> bool {
        match role {
            Role::Direction => true,
            Role::DistrictManager => {
                self == Level::District && user_district == Some(member_district)
            }
            Role::Representative | Role::Billing => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    Acknowledged,
    Resolved,
    /// Handed to the level above: a newer escalation points at this one.
    Escalated,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Acknowledged,
        Status::Resolved,
        Status::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
            Status::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Ouverte",
            Status::Acknowledged => "Prise en charge",
            Status::Resolved => "Résolue",
            Status::Escalated => "Escaladée au niveau supérieur",
        }
    }

    /// Still waiting for its receiver's answer.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Open | Status::Acknowledged)
    }
}

/// The due date: raised date + 7 days.
pub fn due_on(raised: NaiveDate) -> NaiveDate {
    raised + Days::new(ANSWER_DAYS)
}

/// Overdue: still pending and today is past its due date. A resolved or
/// escalated one has had its answer.
pub fn is_overdue(status: Status, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.is_pending() && today > due_on
}

/// What a receiver does with an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Acknowledge,
    Resolve,
    EscalateUp,
}

/// Whether `action` may be taken on an escalation of `level` in `status`;
/// for escalating, gives the level of the new escalation. The refusal is
/// a French sentence for the page.
pub fn check(action: Action, level: Level, status: Status) -> Result<Option<Level>, &'static str> {
    match status {
        Status::Resolved => return Err("Cette escalade est déjà résolue : rien à faire de plus."),
        Status::Escalated => {
            return Err(
                "Cette escalade a déjà été escaladée au niveau supérieur : la suite se passe \
                 dans l'escalade qui en découle.",
            );
        }
        Status::Open | Status::Acknowledged => {}
    }
    match action {
        Action::Acknowledge if status == Status::Acknowledged => {
            Err("Cette escalade est déjà prise en charge.")
        }
        Action::Acknowledge | Action::Resolve => Ok(None),
        Action::EscalateUp => match level.next() {
            Some(next) => Ok(Some(next)),
            None => Err(
                "Cette escalade est déjà au niveau de la direction : il n'y a pas de niveau \
                 supérieur. Résolvez-la en décrivant les actions prises.",
            ),
        },
    }
}

/// The three categories of the reasons catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonCategory {
    Irrecoverable,
    Recoverable,
    RecoverableFollowed,
}

impl ReasonCategory {
    pub const ALL: [ReasonCategory; 3] = [
        ReasonCategory::Irrecoverable,
        ReasonCategory::Recoverable,
        ReasonCategory::RecoverableFollowed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCategory::Irrecoverable => "irrecoverable",
            ReasonCategory::Recoverable => "recoverable",
            ReasonCategory::RecoverableFollowed => "recoverable_followed",
        }
    }

    pub fn parse(s: &str) -> Option<ReasonCategory> {
        ReasonCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReasonCategory::Irrecoverable => "Irrécupérable",
            ReasonCategory::Recoverable => "Récupérable",
            ReasonCategory::RecoverableFollowed => "Récupérable, toujours suivi",
        }
    }
}

/// A duration as a person reads it: `45 min`, `5 h 30`, `2 j 4 h`.
pub fn duration_fr(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if minutes < 60 {
        format!("{mins} min")
    } else if days == 0 {
        if mins == 0 {
            format!("{hours} h")
        } else {
            format!("{hours} h {mins:02}")
        }
    } else if hours == 0 {
        format!("{days} j")
    } else {
        format!("{days} j {hours} h")
    }
}

/// The text of a follow-up recording a reason: the reason, the suggested
/// answer, and the answer tried if any; cut to what a follow-up holds.
pub fn reason_follow_up_text(label: &str, answer: &str, tried: &str) -> String {
    let mut s = format!("Raison évoquée : {label}. Réponse suggérée : {answer}");
    if !tried.is_empty() {
        s.push_str(&format!("\nRéponse essayée : {tried}"));
    }
    cut(&s, TEXT_MAX)
}

/// The text of an escalation opened by a reason.
pub fn reason_escalation_text(label: &str, tried: &str) -> String {
    let s = if tried.is_empty() {
        format!("Raison évoquée : {label}.")
    } else {
        format!("Raison évoquée : {label}.\nRéponse essayée : {tried}")
    };
    cut(&s, TEXT_MAX)
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// The reason form as typed (kept to refill it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason_id: String,
    pub answer_tried: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonDraft {
    pub reason_id: i64,
    pub answer_tried: String,
}

pub const REASON_MISSING: &str = "Choisissez la raison évoquée dans la liste.";

impl ReasonForm {
    /// Whether the reason exists is the database's to say.
    pub fn parse(&self) -> Result<ReasonDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let reason_id = e.take(
            "reason_id",
            v::optional_id(&self.reason_id)
                .map_err(|_| REASON_MISSING.to_string())
                .and_then(|id| id.ok_or_else(|| REASON_MISSING.to_string())),
        );
        let answer_tried = e.take("answer_tried", v::optional(&self.answer_tried, TEXT_MAX));
        match (reason_id, answer_tried) {
            (Some(reason_id), Some(answer_tried)) => Ok(ReasonDraft {
                reason_id,
                answer_tried,
            }),
            _ => Err(e),
        }
    }
}

/// The form raising an escalation from the member file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EscalationForm {
    pub level: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationDraft {
    pub level: Level,
    pub body: String,
}

impl EscalationForm {
    pub fn parse(&self) -> Result<EscalationDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let level = e.take(
            "level",
            Level::parse(self.level.trim())
                .ok_or_else(|| "Choisissez à qui escalader dans la liste.".to_string()),
        );
        let body = e.take(
            "body",
            required_text(&self.body, "Décrivez la situation et ce qui est attendu."),
        );
        match (level, body) {
            (Some(level), Some(body)) => Ok(EscalationDraft { level, body }),
            _ => Err(e),
        }
    }
}

/// A mandatory text of at most 4000 characters; `missing` says what to write.
pub fn required_text(raw: &str, missing: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        return Err(missing.to_string());
    }
    v::optional(raw, TEXT_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn labels_and_levels() {
        assert_eq!(Level::District.label(), "District");
        assert_eq!(Level::Direction.label(), "Direction");
        assert_eq!(Level::CustomerService.label(), "Service à la clientèle");
        assert_eq!(Level::District.next(), Some(Level::Direction));
        assert_eq!(Level::CustomerService.next(), Some(Level::Direction));
        assert_eq!(Level::Direction.next(), None);
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(ReasonCategory::Irrecoverable.label(), "Irrécupérable");
        assert_eq!(ReasonCategory::Recoverable.label(), "Récupérable");
        assert_eq!(
            ReasonCategory::RecoverableFollowed.label(),
            "Récupérable, toujours suivi"
        );
        assert_eq!(
            ReasonCategory::parse("recoverable_followed"),
            Some(ReasonCategory::RecoverableFollowed)
        );
    }

    #[test]
    fn receivers_follow_the_level() {
        let l = Level::District;
        assert!(l.received_by(Role::DistrictManager, Some(3), 3));
        assert!(!l.received_by(Role::DistrictManager, Some(4), 3));
        assert!(l.received_by(Role::Direction, None, 3));
        assert!(!l.received_by(Role::Representative, Some(3), 3));
        assert!(!Level::Direction.received_by(Role::DistrictManager, Some(3), 3));
        assert!(!Level::CustomerService.received_by(Role::DistrictManager, Some(3), 3));
        assert!(Level::CustomerService.received_by(Role::Direction, None, 3));
        assert!(!Level::Direction.received_by(Role::Billing, None, 3));
    }

    #[test]
    fn due_in_seven_days_and_overdue_after() {
        let raised = d("2026-12-28");
        let due = due_on(raised);
        assert_eq!(due, d("2027-01-04"));
        assert!(
            !is_overdue(Status::Open, due, due),
            "due day is still on time"
        );
        assert!(is_overdue(Status::Open, due, d("2027-01-05")));
        assert!(is_overdue(Status::Acknowledged, due, d("2027-01-05")));
        assert!(!is_overdue(Status::Resolved, due, d("2027-01-05")));
        assert!(!is_overdue(Status::Escalated, due, d("2027-01-05")));
    }

    #[test]
    fn transitions() {
        use Action::*;
        assert_eq!(check(Acknowledge, Level::District, Status::Open), Ok(None));
        assert!(check(Acknowledge, Level::District, Status::Acknowledged).is_err());
        assert_eq!(
            check(Resolve, Level::District, Status::Acknowledged),
            Ok(None)
        );
        assert!(
            check(Resolve, Level::District, Status::Resolved)
                .unwrap_err()
                .contains("déjà résolue")
        );
        assert_eq!(
            check(EscalateUp, Level::District, Status::Open),
            Ok(Some(Level::Direction))
        );
        assert_eq!(
            check(EscalateUp, Level::CustomerService, Status::Acknowledged),
            Ok(Some(Level::Direction))
        );
        assert!(
            check(EscalateUp, Level::Direction, Status::Open)
                .unwrap_err()
                .contains("pas de niveau supérieur")
        );
        assert!(check(Resolve, Level::District, Status::Escalated).is_err());
    }

    #[test]
    fn durations_in_french() {
        assert_eq!(duration_fr(45 * 60), "45 min");
        assert_eq!(duration_fr(5 * 3600), "5 h");
        assert_eq!(duration_fr(5 * 3600 + 30 * 60), "5 h 30");
        assert_eq!(duration_fr(2 * 86400), "2 j");
        assert_eq!(duration_fr(2 * 86400 + 4 * 3600 + 59), "2 j 4 h");
        assert_eq!(duration_fr(-5), "0 min");
    }

    #[test]
    fn reason_form() {
        let f = |id: &str, tried: &str| ReasonForm {
            reason_id: id.into(),
            answer_tried: tried.into(),
        };
        assert_eq!(
            f("3", "  Proposé le régional. ").parse(),
            Ok(ReasonDraft {
                reason_id: 3,
                answer_tried: "Proposé le régional.".into()
            })
        );
        assert_eq!(
            f("", "").parse().unwrap_err().get("reason_id"),
            Some(REASON_MISSING)
        );
        assert!(f("abc", "").parse().is_err());
        let e = f("3", &"x".repeat(5000)).parse().unwrap_err();
        assert!(e.get("answer_tried").unwrap().contains("trop long"));
    }

    #[test]
    fn escalation_form() {
        let f = |level: &str, body: &str| EscalationForm {
            level: level.into(),
            body: body.into(),
        };
        assert!(f("district", "Voir avec le CA").parse().is_ok());
        let e = f("ciel", "  ").parse().unwrap_err();
        assert!(e.get("level").is_some() && e.get("body").is_some());
        assert!(f("direction", &"é".repeat(4001)).parse().is_err());
    }

    #[test]
    fn texts_fit_a_follow_up() {
        let t = reason_follow_up_text("Manque de temps", "Régional", "");
        assert_eq!(
            t,
            "Raison évoquée : Manque de temps. Réponse suggérée : Régional"
        );
        let long = reason_follow_up_text(&"a".repeat(200), &"b".repeat(2000), &"c".repeat(4000));
        assert_eq!(long.chars().count(), TEXT_MAX);
        assert!(long.ends_with('…'));
        assert_eq!(
            reason_escalation_text("Personnes négatives", "Parlé au CA"),
            "Raison évoquée : Personnes négatives.\nRéponse essayée : Parlé au CA"
        );
    }
}
