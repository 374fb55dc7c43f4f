//! The small closed vocabularies of the renewal timeline: a member's formula,
//! a stage's colour and the member's state (SPEC §3, §4).
//!
//! `as_str` gives the value stored in the database, `label` the French text
//! shown to people; `parse` is the inverse of `as_str`.

use serde::{Deserialize, Serialize};

/// The kind of membership; it decides which timeline table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Formula {
    Exclusive,
    Regional,
    Partner,
}

impl Formula {
    pub const ALL: [Formula; 3] = [Formula::Exclusive, Formula::Regional, Formula::Partner];

    pub fn as_str(self) -> &'static str {
        match self {
            Formula::Exclusive => "exclusive",
            Formula::Regional => "regional",
            Formula::Partner => "partner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Formula::Exclusive => "Siège exclusif",
            Formula::Regional => "Siège régional",
            Formula::Partner => "Partenaire",
        }
    }
}

/// The importance of a timeline stage, not to be confused with [`State`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Red,
    Orange,
    Yellow,
    Green,
}

impl Colour {
    /// Most urgent first, the order of [`Colour::urgency`].
    pub const ALL: [Colour; 4] = [Colour::Red, Colour::Orange, Colour::Yellow, Colour::Green];

    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Orange => "orange",
            Colour::Yellow => "yellow",
            Colour::Green => "green",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Colour::Red => "Rouge",
            Colour::Orange => "Orange",
            Colour::Yellow => "Jaune",
            Colour::Green => "Vert",
        }
    }

    /// Sort key for to-do lists: 0 is the most urgent (red).
    pub fn urgency(self) -> u8 {
        match self {
            Colour::Red => 0,
            Colour::Orange => 1,
            Colour::Yellow => 2,
            Colour::Green => 3,
        }
    }
}

/// The member's state ("état de la personne"), set by the representative
/// with each follow-up; the goal is `Flame` for everyone (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Flame,
    Green,
    Yellow,
    Red,
}

impl State {
    pub const ALL: [State; 4] = [State::Flame, State::Green, State::Yellow, State::Red];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Flame => "flame",
            State::Green => "green",
            State::Yellow => "yellow",
            State::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Flame => "Flamme",
            State::Green => "Vert",
            State::Yellow => "Jaune",
            State::Red => "Rouge",
        }
    }

    /// What the state means and what the representative should do about it.
    pub fn meaning(self) -> &'static str {
        match self {
            State::Flame => {
                "Très positif : prêt à signer ou à renouveler. C’est une priorité, \
                 il ne faut pas le laisser filer."
            }
            State::Green => {
                "Positif : tout va bien. Suivre la procédure d’inscription ou de \
                 renouvellement."
            }
            State::Yellow => {
                "Hésitant : il manque un incitatif. Comprendre son besoin, relire \
                 les suivis précédents et vérifier ses crédits."
            }
            State::Red => {
                "Négatif : après avoir fait de son mieux, passer le relais à une \
                 personne plus expérimentée (direction ou ventes), sans abandonner \
                 trop vite."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_round_trips_through_its_database_text() {
        for f in Formula::ALL {
            assert_eq!(Formula::parse(f.as_str()), Some(f));
            assert!(!f.label().is_empty());
        }
        assert_eq!(Formula::Regional.as_str(), "regional");
        assert_eq!(Formula::Exclusive.label(), "Siège exclusif");
        assert_eq!(Formula::parse("Exclusive"), None);
        assert_eq!(Formula::parse(""), None);
    }

    #[test]
    fn colour_round_trips_and_sorts_red_first() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
        }
        let urgencies: Vec<u8> = Colour::ALL.iter().map(|c| c.urgency()).collect();
        assert_eq!(urgencies, [0, 1, 2, 3]);
        assert_eq!(Colour::Yellow.label(), "Jaune");
        assert_eq!(Colour::parse("rouge"), None);
    }

    #[test]
    fn state_round_trips_and_explains_itself() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert!(s.meaning().len() > 20);
        }
        assert_eq!(State::Flame.label(), "Flamme");
        assert_eq!(State::parse("flamme"), None);
    }

    #[test]
    fn serde_uses_the_database_text() {
        // The web layer deserialises form values with serde: they must match
        // `as_str`, or a form and a row would disagree.
        for f in Formula::ALL {
            let v = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(f.as_str());
            assert_eq!(Formula::deserialize(v), Ok(f));
        }
        for c in Colour::ALL {
            let v = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(c.as_str());
            assert_eq!(Colour::deserialize(v), Ok(c));
        }
        for s in State::ALL {
            let v = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s.as_str());
            assert_eq!(State::deserialize(v), Ok(s));
        }
    }
}
