//! Users: roles and the rules on their identity.
use std::fmt;

use serde::Deserialize;

use crate::domain::validation::{self as v, FieldErrors};

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

/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 12;

/// A new password: long enough to resist guessing, bounded for hashing.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Err("Le mot de passe doit compter au moins 12 caractères.")
    } else if n > 200 {
        Err("Le mot de passe est trop long (200 caractères au plus).")
    } else {
        Ok(())
    }
}

/// A password chosen in a form, typed twice: long enough, not the
/// person's own email, and the same both times. Errors by field
/// (`password`, `confirmation`).
pub fn check_password_choice(password: &str, confirmation: &str, email: &str) -> FieldErrors {
    let mut e = FieldErrors::new();
    if let Err(m) = check_new_password(password) {
        e.add("password", m);
    } else if password.trim().to_lowercase() == email.trim().to_lowercase()
        || email
            .split_once('@')
            .is_some_and(|(local, _)| password.trim().eq_ignore_ascii_case(local.trim()))
    {
        e.add(
            "password",
            "Le mot de passe ne peut pas être votre courriel : choisissez autre chose.",
        );
    }
    if confirmation.is_empty() {
        e.add("confirmation", "Tapez le mot de passe une deuxième fois.");
    } else if confirmation != password {
        e.add(
            "confirmation",
            "Les deux mots de passe ne sont pas identiques.",
        );
    }
    e
}

/// The user form as typed (kept to show it back with the errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub district_id: String,
    pub version: String,
}

/// A user as the form describes it (email only when creating).
#[derive(Debug, Clone, PartialEq)]
pub struct UserDraft {
    pub email: Option<Email>,
    pub display_name: String,
    pub role: Role,
    /// Always `None` for direction and billing.
    pub district_id: Option<i64>,
}

impl UserForm {
    /// `creating`: the email is asked only when creating (it is the login,
    /// it does not change afterwards).
    pub fn parse(&self, creating: bool) -> Result<UserDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let email = if creating {
            e.take("email", Email::parse(&self.email).map_err(String::from))
                .map(Some)
        } else {
            Some(None)
        };
        let display_name = e.take(
            "display_name",
            parse_display_name(&self.display_name).map_err(String::from),
        );
        let role = e.take(
            "role",
            Role::parse(self.role.trim()).ok_or_else(|| "Choisissez le rôle.".to_string()),
        );
        let district_id = e.take("district_id", v::optional_id(&self.district_id));
        if let (Some(role), Some(None)) = (role, district_id)
            && role.needs_district()
        {
            e.add(
                "district_id",
                format!(
                    "Choisissez le district : un rôle « {} » en demande un.",
                    role.label()
                ),
            );
        }
        match (email, display_name, role, district_id) {
            (Some(email), Some(display_name), Some(role), Some(district_id)) if e.is_empty() => {
                Ok(UserDraft {
                    email,
                    display_name,
                    district_id: district_id.filter(|_| role.needs_district()),
                    role,
                })
            }
            _ => Err(e),
        }
    }

    /// The version the form was opened on (optimistic locking).
    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
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
        assert!(check_new_password("onze-carac.").is_err());
        assert!(check_new_password("douze-carac.").is_ok());
        assert!(check_new_password(&"x".repeat(200)).is_ok());
        assert!(check_new_password(&"x".repeat(201)).is_err());
    }

    #[test]
    fn a_chosen_password_is_long_not_the_email_and_typed_twice() {
        let email = "marie.tremblay@exemple.ca";
        assert!(
            check_password_choice("un mot de passe solide", "un mot de passe solide", email)
                .is_empty()
        );
        let e = check_password_choice(
            "Marie.Tremblay@exemple.ca",
            "Marie.Tremblay@exemple.ca",
            email,
        );
        assert!(e.get("password").is_some_and(|m| m.contains("courriel")));
        let e = check_password_choice("marie.tremblay", "marie.tremblay", email);
        assert!(e.get("password").is_some());
        let e = check_password_choice("un mot de passe solide", "un mot de passe solid", email);
        assert!(e.get("password").is_none());
        assert!(e.get("confirmation").is_some());
        let e = check_password_choice("court", "", email);
        assert!(e.get("password").is_some() && e.get("confirmation").is_some());
    }

    #[test]
    fn the_user_form_asks_a_district_of_representatives_and_managers_only() {
        let form = |role: &str, district: &str| UserForm {
            email: "a@exemple.ca".into(),
            display_name: "Anne".into(),
            role: role.into(),
            district_id: district.into(),
            version: String::new(),
        };
        assert!(
            form("representative", "")
                .parse(true)
                .unwrap_err()
                .get("district_id")
                .is_some()
        );
        assert!(form("district_manager", "").parse(true).is_err());
        let d = form("direction", "4").parse(true).unwrap();
        assert_eq!(d.district_id, None, "direction has no district");
        let d = form("representative", "4").parse(true).unwrap();
        assert_eq!((d.role, d.district_id), (Role::Representative, Some(4)));
        assert!(
            form("admin", "4")
                .parse(true)
                .unwrap_err()
                .get("role")
                .is_some()
        );
        let mut f = form("billing", "");
        f.email = "pas un courriel".into();
        assert!(f.parse(true).unwrap_err().get("email").is_some());
        assert_eq!(
            f.parse(false).unwrap().email,
            None,
            "email not read when editing"
        );
    }
}
