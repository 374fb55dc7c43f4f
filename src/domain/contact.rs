//! A member's contact details, the part of the file a representative may
//! correct on their own members (SPEC §1): business name, email, phone,
//! city and notes. The rules are those of the member form.
use serde::Deserialize;

use crate::domain::member::{NOTES_MAX, parse_phone};
use crate::domain::validation::{self as v, FieldErrors};

/// The contact form as typed. Any other field posted with it (a formula,
/// a renewal date…) is not part of it and is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    pub business_name: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub notes: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDraft {
    pub business_name: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub notes: String,
}

impl ContactForm {
    pub fn parse(&self) -> Result<ContactDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let business_name = e.take("business_name", v::optional(&self.business_name, 160));
        let email = e.take("email", v::optional_email(&self.email));
        let phone = e.take("phone", parse_phone(&self.phone));
        let city = e.take("city", v::optional(&self.city, 120));
        let notes = e.take("notes", v::optional(&self.notes, NOTES_MAX));
        match (business_name, email, phone, city, notes) {
            (Some(business_name), Some(email), Some(phone), Some(city), Some(notes)) => {
                Ok(ContactDraft {
                    business_name,
                    email,
                    phone,
                    city,
                    notes,
                })
            }
            _ => Err(e),
        }
    }

    /// The version of the member file the form was opened on.
    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ContactForm {
        ContactForm {
            business_name: " Notaires Roy inc. ".into(),
            email: "Roy@Exemple.ca".into(),
            phone: "418 555-0101 poste 2".into(),
            city: "Lévis".into(),
            notes: "Préfère les appels le matin.".into(),
            version: "3".into(),
        }
    }

    #[test]
    fn contact_details_are_trimmed_and_kept() {
        let d = form().parse().unwrap();
        assert_eq!(d.business_name, "Notaires Roy inc.");
        assert_eq!(d.city, "Lévis");
        assert_eq!(form().version(), Some(3));
    }

    #[test]
    fn each_contact_field_is_refused_with_its_message() {
        let mut f = form();
        f.email = "roy@".into();
        f.phone = "appelle-moi".into();
        f.business_name = "x".repeat(161);
        f.notes = "n".repeat(NOTES_MAX + 1);
        let e = f.parse().unwrap_err();
        for field in ["email", "phone", "business_name", "notes"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        assert!(e.get("city").is_none());
    }

    #[test]
    fn everything_may_be_left_empty() {
        let d = ContactForm::default().parse().unwrap();
        assert_eq!(d.email, "");
        assert_eq!(ContactForm::default().version(), None);
    }
}
