//! Members: the form's rules (parse, don't validate) and derived facts.
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::formula::Formula;
use crate::domain::validation::{self as v, FieldErrors};

/// Term lengths offered, in months (the database accepts these only).
pub const TERMS: [i32; 5] = [6, 12, 18, 24, 36];
pub const DEFAULT_TERM: i32 = 12;
pub const NOTES_MAX: usize = 4000;

/// The member form as typed (kept as is to show it back with the errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub first_name: String,
    pub last_name: String,
    pub business_name: String,
    pub profession: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub district_id: String,
    pub group_id: String,
    pub formula: String,
    pub representative_id: String,
    pub join_date: String,
    pub renewal_date: String,
    pub term_months: String,
    pub board_member: Option<String>,
    pub gr_credits: String,
    pub notes: String,
    pub version: String,
}

/// A member as the form describes it, valid by construction (the checks
/// that need the database — group of the district, free seat — come after).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDraft {
    pub first_name: String,
    pub last_name: String,
    pub business_name: String,
    pub profession: String,
    pub profession_key: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub district_id: i64,
    pub group_id: Option<i64>,
    pub formula: Formula,
    pub representative_id: Option<i64>,
    pub join_date: NaiveDate,
    pub renewal_date: NaiveDate,
    pub term_months: i32,
    pub board_member: bool,
    pub gr_credits_cents: i64,
    pub notes: String,
}

impl MemberForm {
    pub fn parse(&self) -> Result<MemberDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let first_name = e.take("first_name", v::required(&self.first_name, "Le prénom", 80));
        let last_name = e.take("last_name", v::required(&self.last_name, "Le nom", 80));
        let business_name = e.take("business_name", v::optional(&self.business_name, 160));
        let profession = e.take(
            "profession",
            v::required(&self.profession, "La profession", 120),
        );
        let email = e.take("email", v::optional_email(&self.email));
        let phone = e.take("phone", parse_phone(&self.phone));
        let city = e.take("city", v::optional(&self.city, 120));
        let district_id = e.take(
            "district_id",
            v::optional_id(&self.district_id)
                .and_then(|d| d.ok_or_else(|| "Choisissez le district.".to_string())),
        );
        let formula = e.take(
            "formula",
            Formula::parse(self.formula.trim()).ok_or_else(|| "Choisissez la formule.".to_string()),
        );
        let group_id = e.take("group_id", v::optional_id(&self.group_id));
        let representative_id =
            e.take("representative_id", v::optional_id(&self.representative_id));
        let join_date = e.take("join_date", v::date(&self.join_date, "La date d'adhésion"));
        let renewal_date = e.take(
            "renewal_date",
            v::date(&self.renewal_date, "La date de renouvellement"),
        );
        let term_months = e.take("term_months", parse_term(&self.term_months));
        let gr_credits_cents = e.take("gr_credits", v::money_cents(&self.gr_credits));
        let notes = e.take("notes", v::optional(&self.notes, NOTES_MAX));

        if let (Some(j), Some(r)) = (join_date, renewal_date)
            && r <= j
        {
            e.add(
                "renewal_date",
                "La date de renouvellement doit suivre la date d'adhésion.",
            );
        }
        match (formula, group_id) {
            (Some(Formula::Exclusive), Some(None)) => {
                e.add("group_id", "Un siège exclusif demande un groupe.")
            }
            (Some(f @ (Formula::Regional | Formula::Partner)), Some(Some(_))) => e.add(
                "group_id",
                format!("{} : pas de groupe (laissez le champ vide).", f.label()),
            ),
            _ => {}
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (
            first_name,
            last_name,
            business_name,
            profession,
            email,
            phone,
            city,
            district_id,
            formula,
            group_id,
            representative_id,
            join_date,
            renewal_date,
            term_months,
            gr_credits_cents,
            notes,
        ) {
            (
                Some(first_name),
                Some(last_name),
                Some(business_name),
                Some(profession),
                Some(email),
                Some(phone),
                Some(city),
                Some(district_id),
                Some(formula),
                Some(group_id),
                Some(representative_id),
                Some(join_date),
                Some(renewal_date),
                Some(term_months),
                Some(gr_credits_cents),
                Some(notes),
            ) => Ok(MemberDraft {
                profession_key: profession_key(&profession),
                first_name,
                last_name,
                business_name,
                profession,
                email,
                phone,
                city,
                district_id,
                group_id,
                formula,
                representative_id,
                join_date,
                renewal_date,
                term_months,
                board_member: self.board_member.is_some(),
                gr_credits_cents,
                notes,
            }),
            _ => Err(e),
        }
    }

    /// The version the form was opened on (optimistic locking).
    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

fn parse_term(raw: &str) -> Result<i32, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(DEFAULT_TERM);
    }
    s.parse::<i32>()
        .ok()
        .filter(|t| TERMS.contains(t))
        .ok_or_else(|| "Choisissez une durée proposée (6, 12, 18, 24 ou 36 mois).".to_string())
}

pub fn parse_phone(raw: &str) -> Result<String, String> {
    let s = v::optional(raw, 40)?;
    let ok = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().poste#x".contains(c));
    if ok {
        Ok(s)
    } else {
        Err("Ce numéro de téléphone contient des caractères inattendus.".into())
    }
}

/// The key under which a profession holds a seat: lower case, no accents,
/// single spaces. « Notaire », « NOTAIRE » and « notaire » are one seat.
pub fn profession_key(profession: &str) -> String {
    let folded: String = profession
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => 'a',
        'ç' => 'c',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' | 'ì' => 'i',
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
        'û' | 'ü' | 'ù' | 'ú' => 'u',
        'ÿ' | 'ý' => 'y',
        'ñ' => 'n',
        'œ' => 'o',
        'æ' => 'a',
        '’' | '‘' | '`' => '\'',
        '–' | '—' | '‐' => '-',
        other => other,
    }
}

/// Whole years and months since joining, in French (« 3 ans et 2 mois »).
pub fn seniority(join: NaiveDate, today: NaiveDate) -> String {
    if today < join {
        return "pas encore membre".into();
    }
    let mut months = (today.year() - join.year()) * 12 + today.month() as i32 - join.month() as i32;
    if today.day() < join.day() {
        months -= 1;
    }
    let (y, m) = (months / 12, months % 12);
    let years = match y {
        0 => String::new(),
        1 => "1 an".into(),
        n => format!("{n} ans"),
    };
    let months_txt = match m {
        0 => String::new(),
        n => format!("{n} mois"),
    };
    match (years.is_empty(), months_txt.is_empty()) {
        (true, true) => "moins d'un mois".into(),
        (false, true) => years,
        (true, false) => months_txt,
        (false, false) => format!("{years} et {months_txt}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> MemberForm {
        MemberForm {
            first_name: "Marie".into(),
            last_name: "Tremblay".into(),
            profession: "Notaire".into(),
            district_id: "1".into(),
            group_id: "2".into(),
            formula: "exclusive".into(),
            join_date: "2020-03-15".into(),
            renewal_date: "2027-03-15".into(),
            ..MemberForm::default()
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_complete_form_parses() {
        let m = form().parse().unwrap();
        assert_eq!(m.profession_key, "notaire");
        assert_eq!(m.term_months, 12);
        assert_eq!(m.group_id, Some(2));
        assert!(!m.board_member);
    }

    #[test]
    fn each_faulty_field_gets_its_own_message() {
        let mut f = form();
        f.first_name = " ".into();
        f.email = "pas-un-courriel".into();
        f.renewal_date = "2019-01-01".into();
        f.term_months = "7".into();
        f.gr_credits = "beaucoup".into();
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("first_name"), Some("Le prénom est obligatoire."));
        assert!(e.get("email").is_some());
        assert_eq!(
            e.get("renewal_date"),
            Some("La date de renouvellement doit suivre la date d'adhésion.")
        );
        assert!(e.get("term_months").is_some());
        assert!(e.get("gr_credits").is_some());
        assert_eq!(e.get("last_name"), None);
    }

    #[test]
    fn the_group_follows_the_formula() {
        let mut f = form();
        f.group_id = String::new();
        assert_eq!(
            f.parse().unwrap_err().get("group_id"),
            Some("Un siège exclusif demande un groupe.")
        );
        f.formula = "regional".into();
        assert!(f.parse().is_ok());
        f.group_id = "3".into();
        assert!(f.parse().unwrap_err().get("group_id").is_some());
    }

    #[test]
    fn oversized_notes_are_refused() {
        let mut f = form();
        f.notes = "x".repeat(1_000_000);
        assert!(
            f.parse()
                .unwrap_err()
                .get("notes")
                .unwrap()
                .contains("trop long")
        );
    }

    #[test]
    fn profession_keys_ignore_case_accents_and_spaces() {
        assert_eq!(profession_key("  Comptable   AGRÉÉ "), "comptable agree");
        assert_eq!(
            profession_key("Électricienne"),
            profession_key("electricienne")
        );
    }

    #[test]
    fn seniority_in_french() {
        assert_eq!(
            seniority(d(2020, 3, 15), d(2026, 11, 29)),
            "6 ans et 8 mois"
        );
        assert_eq!(seniority(d(2025, 11, 29), d(2026, 11, 29)), "1 an");
        assert_eq!(
            seniority(d(2026, 11, 1), d(2026, 11, 29)),
            "moins d'un mois"
        );
        assert_eq!(seniority(d(2026, 9, 30), d(2026, 11, 29)), "1 mois");
    }
}
