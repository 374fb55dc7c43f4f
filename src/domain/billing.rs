//! Billing requests: the decision, the steps, and which step may follow
//! which (SPEC §2: requested → invoice sent → received → paid).
use serde::Deserialize;

use crate::domain::formula::Formula;
use crate::domain::validation::{self as v, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    RenewSame,
    ChangeFormula(Formula),
    NotRenewing,
}

impl Decision {
    pub fn key(self) -> &'static str {
        match self {
            Decision::RenewSame => "renew_same",
            Decision::ChangeFormula(_) => "change_formula",
            Decision::NotRenewing => "not_renewing",
        }
    }

    pub fn new_formula(self) -> Option<Formula> {
        match self {
            Decision::ChangeFormula(f) => Some(f),
            _ => None,
        }
    }

    pub fn from_parts(key: &str, new_formula: Option<&str>) -> Option<Decision> {
        match key {
            "renew_same" => Some(Decision::RenewSame),
            "not_renewing" => Some(Decision::NotRenewing),
            "change_formula" => new_formula
                .and_then(Formula::parse)
                .map(Decision::ChangeFormula),
            _ => None,
        }
    }

    pub fn label(self) -> String {
        match self {
            Decision::RenewSame => "Renouvelle tel quel".into(),
            Decision::ChangeFormula(f) => format!("Change de formule : {}", f.label()),
            Decision::NotRenewing => "Ne renouvelle pas".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Requested,
    InvoiceSent,
    Received,
    Paid,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Requested,
        Status::InvoiceSent,
        Status::Received,
        Status::Paid,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::InvoiceSent => "invoice_sent",
            Status::Received => "received",
            Status::Paid => "paid",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Requested => "Demandée",
            Status::InvoiceSent => "Facture envoyée",
            Status::Received => "Facture reçue par le membre",
            Status::Paid => "Payée",
            Status::Cancelled => "Annulée",
        }
    }
}

/// What someone does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Billing sent the invoice.
    SendInvoice,
    /// The representative confirms the member received it.
    ConfirmReceived,
    /// Billing records the payment (a renewal follows).
    MarkPaid,
    /// The requester withdraws a request not yet invoiced.
    Cancel,
}

/// The status after `step`, or why the step is refused.
pub fn apply(status: Status, decision: Decision, step: Step) -> Result<Status, &'static str> {
    use Status::*;
    match (status, step) {
        (Cancelled, _) => Err("Cette demande a été annulée."),
        (Paid, _) => Err("Cette demande est déjà payée."),
        (Requested, Step::SendInvoice) if decision == Decision::NotRenewing => {
            Err("Le membre ne renouvelle pas : il n'y a pas de facture à envoyer.")
        }
        (Requested, Step::SendInvoice) => Ok(InvoiceSent),
        (_, Step::SendInvoice) => Err("La facture a déjà été envoyée."),
        (InvoiceSent, Step::ConfirmReceived) => Ok(Received),
        (Requested, Step::ConfirmReceived) => Err("La facture n'a pas encore été envoyée."),
        (_, Step::ConfirmReceived) => Err("La réception de la facture est déjà confirmée."),
        // A payment proves the invoice arrived, confirmed or not.
        (InvoiceSent | Received, Step::MarkPaid) => Ok(Paid),
        (Requested, Step::MarkPaid) => {
            Err("La facture n'a pas encore été envoyée : elle ne peut pas être payée.")
        }
        (Requested, Step::Cancel) => Ok(Cancelled),
        (_, Step::Cancel) => {
            Err("La facture est déjà partie : la demande ne peut plus être annulée.")
        }
    }
}

/// The billing request form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BillingForm {
    pub decision: String,
    pub new_formula: String,
    pub amount: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingDraft {
    pub decision: Decision,
    pub amount_cents: Option<i64>,
    pub note: String,
}

impl BillingForm {
    /// `current` is the member's formula: changing to it is no change.
    pub fn parse(&self, current: Formula) -> Result<BillingDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let decision = match self.decision.trim() {
            "change_formula" => match Formula::parse(self.new_formula.trim()) {
                None => {
                    e.add("new_formula", "Choisissez la nouvelle formule.");
                    None
                }
                Some(f) if f == current => {
                    e.add(
                        "new_formula",
                        "C'est déjà sa formule : choisissez « Renouvelle tel quel ».",
                    );
                    None
                }
                Some(Formula::Exclusive) => {
                    e.add(
                        "new_formula",
                        "Le passage à un siège exclusif se fait en modifiant la fiche \
                         (choix du groupe et de la profession) : demandez-le au gestionnaire.",
                    );
                    None
                }
                Some(f) => Some(Decision::ChangeFormula(f)),
            },
            other => {
                let d = Decision::from_parts(other, None);
                if d.is_none() {
                    e.add("decision", "Indiquez la décision du membre.");
                }
                d
            }
        };
        let amount_cents = if self.amount.trim().is_empty() {
            Some(None)
        } else {
            e.take("amount", v::money_cents(&self.amount)).map(Some)
        };
        let note = e.take("note", v::optional(&self.note, 2000));
        match (decision, amount_cents, note) {
            (Some(decision), Some(amount_cents), Some(note)) if e.is_empty() => Ok(BillingDraft {
                decision,
                amount_cents,
                note,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use Step::*;

    #[test]
    fn the_happy_path_and_each_refusal() {
        let d = Decision::RenewSame;
        assert_eq!(apply(Requested, d, SendInvoice), Ok(InvoiceSent));
        assert_eq!(apply(InvoiceSent, d, ConfirmReceived), Ok(Received));
        assert_eq!(apply(Received, d, MarkPaid), Ok(Paid));
        assert_eq!(apply(InvoiceSent, d, MarkPaid), Ok(Paid));
        assert_eq!(apply(Requested, d, Cancel), Ok(Cancelled));
        assert!(
            apply(Requested, d, MarkPaid)
                .unwrap_err()
                .contains("pas encore été envoyée")
        );
        assert!(
            apply(InvoiceSent, d, SendInvoice)
                .unwrap_err()
                .contains("déjà été envoyée")
        );
        assert!(apply(Requested, d, ConfirmReceived).is_err());
        assert!(apply(Received, d, ConfirmReceived).is_err());
        assert!(apply(Paid, d, MarkPaid).unwrap_err().contains("déjà payée"));
        assert!(apply(Paid, d, Cancel).is_err());
        assert!(apply(InvoiceSent, d, Cancel).is_err());
        assert!(apply(Cancelled, d, SendInvoice).is_err());
        assert!(apply(Requested, Decision::NotRenewing, SendInvoice).is_err());
    }

    #[test]
    fn the_form_says_what_is_missing() {
        let f = |decision: &str, formula: &str| BillingForm {
            decision: decision.into(),
            new_formula: formula.into(),
            ..BillingForm::default()
        };
        assert!(
            f("", "")
                .parse(Formula::Exclusive)
                .unwrap_err()
                .get("decision")
                .is_some()
        );
        assert!(f("change_formula", "").parse(Formula::Exclusive).is_err());
        assert!(
            f("change_formula", "exclusive")
                .parse(Formula::Exclusive)
                .is_err()
        );
        assert!(
            f("change_formula", "exclusive")
                .parse(Formula::Regional)
                .is_err()
        );
        assert_eq!(
            f("change_formula", "regional")
                .parse(Formula::Exclusive)
                .unwrap()
                .decision,
            Decision::ChangeFormula(Formula::Regional)
        );
        let mut with_amount = f("renew_same", "");
        with_amount.amount = "1 250,00".into();
        assert_eq!(
            with_amount.parse(Formula::Partner).unwrap().amount_cents,
            Some(125_000)
        );
    }
}
