//! Logging follow-ups on the member file, correcting them, and moving a
//! planned follow-up. Each is one transaction.
use crate::web::form::Path;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::follow_up::{self, FollowUpForm};
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::follow_ups::{self as store, FollowUpError};
use crate::store::timeline as timeline_store;
use crate::web::AppState;
use crate::web::auth::{CurrentUser, safe_next, with_param};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::members::{FileForms, refused};

/// Those who follow members up: representatives (their own), managers
/// (their district), direction.
const FOLLOWERS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

fn not_found(e: FollowUpError) -> AppError {
    match e {
        FollowUpError::NotFound => AppError::NotFound,
        FollowUpError::Db(e) => AppError::Db(e),
    }
}

pub async fn log(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<FollowUpForm>,
) -> AppResult<Response> {
    user.require(&FOLLOWERS)?;
    let today = state.today();
    let draft = match form.parse(today) {
        Ok(d) => d,
        Err(errors) => {
            let panel = FileForms {
                form,
                errors,
                ..FileForms::default()
            };
            return refused(&state, &user, id, panel).await;
        }
    };
    let timelines = timeline_store::load(&state.pool).await?;
    let mut tx = state.pool.begin().await?;
    store::log(
        &mut tx,
        user.scope(),
        user.0.id,
        id,
        &draft,
        &timelines,
        today,
    )
    .await
    .map_err(not_found)?;
    tx.commit().await?;
    let target = safe_next(Some(&form.retour))
        .map(|back| with_param(&back, &format!("suivi=1&membre={id}")))
        .unwrap_or_else(|| format!("/membres/{id}?suivi=1#suivis"));
    Ok(Redirect::to(&target).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CorrectionForm {
    body: String,
}

pub async fn correct(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, follow_up_id)): Path<(i64, i64)>,
    Form(form): Form<CorrectionForm>,
) -> AppResult<Response> {
    user.require(&FOLLOWERS)?;
    let body = match follow_up::body(&form.body) {
        Ok(b) => b,
        Err(message) => {
            let panel = FileForms {
                correction_error: Some((follow_up_id, message)),
                ..FileForms::default()
            };
            return refused(&state, &user, id, panel).await;
        }
    };
    let mut tx = state.pool.begin().await?;
    store::correct(&mut tx, user.scope(), user.0.id, id, follow_up_id, &body)
        .await
        .map_err(not_found)?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{id}?correction=1#suivis")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RescheduleForm {
    next_date: String,
}

pub async fn reschedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<RescheduleForm>,
) -> AppResult<Response> {
    user.require(&FOLLOWERS)?;
    let today = state.today();
    let date = match follow_up::planned_date(&form.next_date, today) {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err("Choisissez la nouvelle date de relance.".to_string()),
        Err(e) => Err(e),
    };
    let date = match date {
        Ok(d) => d,
        Err(message) => {
            let panel = FileForms {
                reschedule_error: Some(message),
                reschedule_value: form.next_date.clone(),
                errors: FieldErrors::new(),
                ..FileForms::default()
            };
            return refused(&state, &user, id, panel).await;
        }
    };
    let mut tx = state.pool.begin().await?;
    store::reschedule(&mut tx, user.scope(), user.0.id, id, date, today)
        .await
        .map_err(not_found)?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{id}?relance=1#suivis")).into_response())
}
