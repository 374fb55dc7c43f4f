//! What every page's layout needs: the user, the navigation, the assets.
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use crate::domain::user::Role;
use crate::store::users::User;

pub const APP_CSS: &str = include_str!("../../static/app.css");
pub const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");

/// Versioned stylesheet URL, so browsers may cache it for a year.
pub static CSS_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(APP_CSS.as_bytes());
    format!("/static/app.css?v={}", hex::encode(&digest[..6]))
});

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    pub nav: Vec<NavItem>,
    pub css_url: &'static str,
}

impl Layout {
    /// Layout of a page seen by a logged-in user; `current` is the path of
    /// the navigation entry to highlight.
    pub fn new(title: impl Into<String>, user: &User, current: &str) -> Layout {
        Layout {
            title: title.into(),
            nav: nav_for(user.role, current),
            user: Some(user.clone()),
            css_url: CSS_URL.as_str(),
        }
    }

    /// Layout of a page seen before login (or of an error page).
    pub fn anonymous(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            user: None,
            nav: Vec::new(),
            css_url: CSS_URL.as_str(),
        }
    }
}

/// The navigation shows only what the role may use.
pub fn nav_for(role: Role, current: &str) -> Vec<NavItem> {
    let entries: &[(&'static str, &'static str)] = match role {
        Role::Representative => &[
            ("/aujourdhui", "Aujourd'hui"),
            ("/membres", "Mes membres"),
            ("/risque", "À risque"),
            ("/groupes", "Groupes"),
            ("/escalades", "Mes escalades"),
            ("/rapports", "Rapports"),
        ],
        Role::DistrictManager => &[
            ("/district", "Mon district"),
            ("/district/activite", "Activité"),
            ("/membres", "Membres"),
            ("/risque", "À risque"),
            ("/groupes", "Groupes"),
            ("/escalades", "Escalades"),
            ("/rapports", "Rapports"),
            ("/utilisateurs", "Utilisateurs"),
        ],
        Role::Direction => &[
            ("/direction", "Direction"),
            ("/membres", "Membres"),
            ("/risque", "À risque"),
            ("/groupes", "Groupes"),
            ("/districts", "Districts"),
            ("/escalades", "Escalades"),
            ("/facturation", "Facturation"),
            ("/rapports", "Rapports"),
            ("/utilisateurs", "Utilisateurs"),
            ("/raisons", "Raisons"),
            ("/echeanciers", "Échéanciers"),
            ("/seuils-engagement", "Feu d'engagement"),
        ],
        Role::Billing => &[("/facturation", "Facturation")],
    };
    entries
        .iter()
        .map(|&(href, label)| NavItem {
            href,
            label,
            active: current == href,
        })
        .collect()
}
