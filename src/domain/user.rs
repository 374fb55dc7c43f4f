//! Users: roles and the rules on their identity.
use std::fmt;

/// The four roles of the intranet (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Representative,
    DistrictManager,
    Direction,
    Billing,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Representative,
        Role::DistrictManager,
        Role::Direction,
        Role::Billing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Representative => "representative",
            Role::DistrictManager => "district_manager",
            Role::Direction => "direction",
            Role::Billing => "billing",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Representative => "Représentant·e des membres",
            Role::DistrictManager => "Gestionnaire de district",
            Role::Direction => "Direction",
            Role::Billing => "Facturation",
        }
    }

    /// Managers and representatives belong to a district.
    pub fn needs_district(self) -> bool {
        matches!(self, Role::Representative | Role::DistrictManager)
    }

    /// The page a user lands on after logging in.
    pub fn home_path(self) -> &'static str {
        match self {
            Role::Representative => "/aujourdhui",
            Role::DistrictManager => "/district",
            Role::Direction => "/direction",
            Role::Billing => "/facturation",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An email address as a login: trimmed, lower-cased, plausibly shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("Le courriel est obligatoire.");
        }
        if s.chars().count() > 254 {
            return Err("Le courriel est trop long (254 caractères au plus).");
        }
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
                    && !domain.contains('@')
            }
            None => false,
        };
        if valid {
            Ok(Email(s))
        } else {
            Err("Ce courriel n'est pas valide (exemple : prenom.nom@exemple.ca).")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: long enough to resist guessing, bounded for hashing.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        Err("Le mot de passe doit compter au moins 10 caractères.")
    } else if n > 200 {
        Err("Le mot de passe est trop long (200 caractères au plus).")
    } else {
        Ok(())
    }
}

/// A display name: trimmed, 1 to 120 characters.
pub fn parse_display_name(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        Err("Le nom est obligatoire.")
    } else if s.chars().count() > 120 {
        Err("Le nom est trop long (120 caractères au plus).")
    } else {
        Ok(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Marie.Tremblay@Exemple.CA ").map(|e| e.0),
            Ok("marie.tremblay@exemple.ca".to_string())
        );
        for bad in [
            "",
            "marie",
            "marie@",
            "@exemple.ca",
            "marie@exemple",
            "a b@c.ca",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn password_length_is_bounded() {
        assert!(check_new_password("court").is_err());
        assert!(check_new_password("assez-long-1").is_ok());
        assert!(check_new_password(&"x".repeat(201)).is_err());
    }
}
