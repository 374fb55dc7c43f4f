//! `/compte`: everyone sees their account and changes their own password
//! (the current one asked; their other sessions end, this one stays).
use crate::web::form::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::user::check_password_choice;
use crate::domain::validation::FieldErrors;
use crate::password;
use crate::store::users;
use crate::web::AppState;
use crate::web::auth::{CurrentUser, session_token};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;

const NAV: &str = "/compte";

#[derive(Template, WebTemplate)]
#[template(path = "account/account.html")]
pub struct AccountPage {
    layout: Layout,
    email: String,
    name: String,
    role: &'static str,
    district: Option<String>,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

fn account_page(
    user: &CurrentUser,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> AccountPage {
    AccountPage {
        layout: Layout::new("Mon compte", &user.0, NAV),
        email: user.0.email.clone(),
        name: user.0.display_name.clone(),
        role: user.0.role.label(),
        district: user.0.district_name.clone(),
        errors,
        notice,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountQuery {
    fait: String,
}

pub async fn page(user: CurrentUser, Query(q): Query<AccountQuery>) -> AccountPage {
    let notice = (q.fait == "mot-de-passe").then_some(
        "Votre mot de passe est changé. Vos sessions ouvertes ailleurs (autre appareil, autre \
         navigateur) sont fermées ; celle-ci reste ouverte.",
    );
    account_page(&user, FieldErrors::new(), notice)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    password: String,
    confirmation: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let stored = users::password_hash(&state.pool, user.0.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current: String = f.current.chars().take(200).collect();
    let current_ok = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut errors = FieldErrors::new();
    if f.current.is_empty() {
        errors.add("current", "Tapez votre mot de passe actuel.");
    } else if !current_ok {
        errors.add("current", "Ce n'est pas votre mot de passe actuel.");
    }
    for (field, message) in
        check_password_choice(&f.password, &f.confirmation, &user.0.email).iter()
    {
        errors.add(field, message.clone());
    }
    if errors.get("password").is_none() && current_ok && f.password == f.current {
        errors.add(
            "password",
            "Le nouveau mot de passe doit être différent de l'actuel.",
        );
    }
    if !errors.is_empty() {
        let page = account_page(&user, errors, None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let chosen = f.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&chosen))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let keep = session_token(&headers).map(|t| password::token_hash(&t));
    let mut tx = state.pool.begin().await?;
    let ended = users::set_password(
        &mut tx,
        Some(user.0.id),
        user.0.id,
        &hash,
        keep.as_deref(),
        "changé par la personne",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = user.0.id, ended, "mot de passe changé");
    Ok(Redirect::to("/compte?fait=mot-de-passe").into_response())
}
