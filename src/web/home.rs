//! The home page of each role.
use askama::Template;
use askama_web::WebTemplate;
use axum::response::Redirect;

use crate::domain::user::Role;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::layout::Layout;

/// `/` sends each user to their role's home.
pub async fn root(CurrentUser(user): CurrentUser) -> Redirect {
    Redirect::to(user.role.home_path())
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
}

fn home(
    user: &CurrentUser,
    role: Role,
    heading: &'static str,
    intro: &'static str,
) -> AppResult<HomePage> {
    user.require(&[role])?;
    Ok(HomePage {
        layout: Layout::new(heading, &user.0, role.home_path()),
        heading,
        intro,
    })
}

pub async fn representative(user: CurrentUser) -> AppResult<HomePage> {
    home(
        &user,
        Role::Representative,
        "Aujourd'hui",
        "Vos membres à suivre aujourd'hui, par ordre d'urgence.",
    )
}

pub async fn district_manager(user: CurrentUser) -> AppResult<HomePage> {
    home(
        &user,
        Role::DistrictManager,
        "Mon district",
        "Les membres de votre district selon l'étape de leur renouvellement.",
    )
}

pub async fn direction(user: CurrentUser) -> AppResult<HomePage> {
    home(
        &user,
        Role::Direction,
        "Direction",
        "Vue d'ensemble du réseau : renouvellements à venir et escalades.",
    )
}

pub async fn billing(user: CurrentUser) -> AppResult<HomePage> {
    home(
        &user,
        Role::Billing,
        "Facturation",
        "Les demandes de facturation à traiter.",
    )
}
