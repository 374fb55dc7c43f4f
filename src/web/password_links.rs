//! `/mot-de-passe/{token}`: a person chooses their password with the
//! one-time link the direction gave them, then is logged in.
use crate::web::form::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::user::check_password_choice;
use crate::domain::validation::FieldErrors;
use crate::password;
use crate::store::{password_links, sessions, users};
use crate::web::AppState;
use crate::web::auth::{see_other_with_cookie, session_cookie};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;

#[derive(Template, WebTemplate)]
#[template(path = "auth/set_password.html")]
pub struct SetPasswordPage {
    layout: Layout,
    /// `None`: the link cannot be used (the page says so).
    email: Option<String>,
    name: String,
    action: String,
    errors: FieldErrors,
}

/// The token as the address carries it: 64 hex digits, or nothing valid.
fn token_of(raw: &str) -> Option<&str> {
    (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())).then_some(raw)
}

fn unusable() -> Response {
    let page = SetPasswordPage {
        layout: Layout::anonymous("Lien expiré"),
        email: None,
        name: String::new(),
        action: String::new(),
        errors: FieldErrors::new(),
    };
    (StatusCode::GONE, page).into_response()
}

pub async fn page(State(state): State<AppState>, Path(raw): Path<String>) -> AppResult<Response> {
    // Not even shaped like a token: no such page.
    let token = token_of(&raw).ok_or(AppError::NotFound)?;
    let Some(owner) = password_links::find_valid(&state.pool, token).await? else {
        return Ok(unusable());
    };
    Ok(SetPasswordPage {
        layout: Layout::anonymous("Choisir votre mot de passe"),
        email: Some(owner.email),
        name: owner.display_name,
        action: format!("/mot-de-passe/{token}"),
        errors: FieldErrors::new(),
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChoiceForm {
    password: String,
    confirmation: String,
}

pub async fn choose(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Form(f): Form<ChoiceForm>,
) -> AppResult<Response> {
    // Not even shaped like a token: no such page.
    let token = token_of(&raw).ok_or(AppError::NotFound)?;
    let Some(owner) = password_links::find_valid(&state.pool, token).await? else {
        return Ok(unusable());
    };
    let errors = check_password_choice(&f.password, &f.confirmation, &owner.email);
    if !errors.is_empty() {
        let page = SetPasswordPage {
            layout: Layout::anonymous("Choisir votre mot de passe"),
            email: Some(owner.email),
            name: owner.display_name,
            action: format!("/mot-de-passe/{token}"),
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let chosen = f.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&chosen))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    // The link is used, the password set, older sessions ended and a new
    // one opened: one transaction. `consume` is the last word when the
    // same link is posted twice at once.
    let mut tx = state.pool.begin().await?;
    let Some(owner) = password_links::consume(&mut tx, token).await? else {
        return Ok(unusable());
    };
    users::set_password(
        &mut tx,
        Some(owner.user_id),
        owner.user_id,
        &hash,
        None,
        "choisi avec un lien",
    )
    .await?;
    let (session, session_hash) = password::new_token();
    sessions::create(
        &mut tx,
        owner.user_id,
        &session_hash,
        state.config.session_max,
    )
    .await?;
    users::record_login(&mut tx, owner.user_id).await?;
    tx.commit().await?;
    tracing::info!(user_id = owner.user_id, "mot de passe choisi avec un lien");
    let cookie = session_cookie(&state, &session, state.config.session_max.as_secs());
    Ok(see_other_with_cookie("/", cookie))
}
