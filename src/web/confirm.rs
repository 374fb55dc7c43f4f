//! Irreversible actions ask first: a page says what will happen (who, which
//! dates), and only a second, explicit POST carrying `confirme=oui` acts.
//! Plain forms: it works without JavaScript.
use askama::Template;
use askama_web::WebTemplate;

use crate::web::layout::Layout;

/// Whether the form carries the explicit confirmation.
pub fn confirmed(value: &str) -> bool {
    value.trim() == "oui"
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm/confirm.html")]
pub struct ConfirmPage {
    layout: Layout,
    heading: String,
    what: Vec<String>,
    action: String,
    fields: Vec<(String, String)>,
    button: String,
    back: String,
    back_label: String,
}

impl ConfirmPage {
    /// A confirmation page posting back to `action`; `back` is where
    /// « Ne rien faire » leads.
    pub fn new(
        layout: Layout,
        heading: impl Into<String>,
        action: impl Into<String>,
        button: impl Into<String>,
        back: impl Into<String>,
    ) -> ConfirmPage {
        ConfirmPage {
            layout,
            heading: heading.into(),
            what: Vec::new(),
            action: action.into(),
            fields: Vec::new(),
            button: button.into(),
            back: back.into(),
            back_label: "Ne rien faire et revenir".into(),
        }
    }

    /// One sentence of what will happen.
    pub fn says(mut self, line: impl Into<String>) -> ConfirmPage {
        self.what.push(line.into());
        self
    }

    /// A field of the first form, posted again with the confirmation.
    pub fn keeps(mut self, name: &str, value: impl Into<String>) -> ConfirmPage {
        self.fields.push((name.to_string(), value.into()));
        self
    }
}
