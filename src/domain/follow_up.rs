//! Follow-ups (suivis): the form's rules, channels, and the to-do ordering.
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::formula::{Colour, State};
use crate::domain::validation::{self as v, FieldErrors};

pub const BODY_MAX: usize = 4000;
/// A planned follow-up at most this many days ahead.
pub const PLAN_MAX_DAYS: i64 = 2 * 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Call,
    Meeting,
    Email,
    Sms,
    Visit,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Call,
        Channel::Meeting,
        Channel::Email,
        Channel::Sms,
        Channel::Visit,
        Channel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Meeting => "meeting",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Visit => "visit",
            Channel::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Call => "Appel",
            Channel::Meeting => "Rencontre",
            Channel::Email => "Courriel",
            Channel::Sms => "Texto",
            Channel::Visit => "Visite",
            Channel::Other => "Autre",
        }
    }
}

/// The follow-up form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FollowUpForm {
    pub channel: String,
    pub body: String,
    pub state: String,
    pub next_date: String,
    /// Where to go back after saving (a page of this site).
    pub retour: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDraft {
    pub channel: Channel,
    pub body: String,
    pub state: State,
    pub next_date: Option<NaiveDate>,
}

impl FollowUpForm {
    pub fn parse(&self, today: NaiveDate) -> Result<FollowUpDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let channel = e.take(
            "channel",
            Channel::parse(self.channel.trim())
                .ok_or_else(|| "Choisissez le moyen de contact dans la liste.".to_string()),
        );
        let body = e.take("body", body(&self.body));
        let state = e.take(
            "state",
            State::parse(self.state.trim())
                .ok_or_else(|| "Indiquez l'état du membre après ce contact.".to_string()),
        );
        let next_date = e.take("next_date", planned_date(&self.next_date, today));
        match (channel, body, state, next_date) {
            (Some(channel), Some(body), Some(state), Some(next_date)) if e.is_empty() => {
                Ok(FollowUpDraft {
                    channel,
                    body,
                    state,
                    next_date,
                })
            }
            _ => Err(e),
        }
    }
}

/// The text of a follow-up (or of a correction): 1 to 4000 characters.
pub fn body(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Écrivez ce qui s'est dit ou fait.".into());
    }
    v::optional(s, BODY_MAX)
}

/// A planned date: empty, or from today to two years ahead.
pub fn planned_date(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, String> {
    match v::optional_date(raw, "La date de relance")? {
        None => Ok(None),
        Some(d) if d < today => {
            Err("La date de relance est passée : choisissez aujourd'hui ou plus tard.".into())
        }
        Some(d) if (d - today).num_days() > PLAN_MAX_DAYS => {
            Err("La date de relance est trop loin (deux ans au plus).".into())
        }
        Some(d) => Ok(Some(d)),
    }
}

/// A member whose current stage has no follow-up yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    pub member_id: i64,
    pub colour: Colour,
    pub days_until_renewal: i64,
    pub name: String,
}

/// Most urgent colour first, then fewest days until renewal, then name.
pub fn order_todo(items: &mut [Todo]) {
    items.sort_by(|a, b| {
        a.colour
            .urgency()
            .cmp(&b.colour.urgency())
            .then(a.days_until_renewal.cmp(&b.days_until_renewal))
            .then_with(|| a.name.cmp(&b.name))
            .then(a.member_id.cmp(&b.member_id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn form(channel: &str, body: &str, state: &str, next: &str) -> FollowUpForm {
        FollowUpForm {
            channel: channel.into(),
            body: body.into(),
            state: state.into(),
            next_date: next.into(),
            retour: String::new(),
        }
    }

    #[test]
    fn a_good_form_parses() {
        let today = d("2026-11-29");
        let f = form("call", "  Appel : satisfait. ", "green", "2026-12-05");
        let draft = f.parse(today).unwrap();
        assert_eq!(draft.channel, Channel::Call);
        assert_eq!(draft.body, "Appel : satisfait.");
        assert_eq!(draft.next_date, Some(d("2026-12-05")));
        assert!(
            form("email", "x", "flame", "2026-11-29")
                .parse(today)
                .is_ok(),
            "today is fine"
        );
    }

    #[test]
    fn bad_input_gets_a_message_per_field() {
        let today = d("2026-11-29");
        let e = form("pigeon", " ", "", "2026-11-28")
            .parse(today)
            .unwrap_err();
        assert!(e.get("channel").is_some());
        assert_eq!(e.get("body"), Some("Écrivez ce qui s'est dit ou fait."));
        assert!(e.get("state").is_some());
        assert!(e.get("next_date").unwrap().contains("passée"));
        let big = "é".repeat(100_000);
        let e = form("call", &big, "green", "").parse(today).unwrap_err();
        assert!(e.get("body").unwrap().contains("trop long"));
        let e = form("call", "x", "green", "2029-01-01")
            .parse(today)
            .unwrap_err();
        assert!(e.get("next_date").unwrap().contains("trop loin"));
    }

    #[test]
    fn todo_is_ordered_by_colour_then_days() {
        let t = |id, colour, days| Todo {
            member_id: id,
            colour,
            days_until_renewal: days,
            name: format!("M{id}"),
        };
        let mut items = vec![
            t(1, Colour::Green, 2),
            t(2, Colour::Red, 30),
            t(3, Colour::Orange, 5),
            t(4, Colour::Red, -3),
            t(5, Colour::Yellow, 1),
            t(6, Colour::Red, 10),
        ];
        order_todo(&mut items);
        let ids: Vec<i64> = items.iter().map(|i| i.member_id).collect();
        assert_eq!(ids, vec![4, 6, 2, 3, 5, 1]);
    }
}
