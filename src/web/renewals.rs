//! Recording a renewal by hand (direction), a departure, a reactivation.
use crate::web::form::Path;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};
use crate::store::renewals::{self, RenewalError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::members::{FileForms, refused};

/// Who may record a departure: those who follow the member.
const FOLLOWERS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];
/// Who may bring a lost member back.
const MANAGERS: [Role; 2] = [Role::DistrictManager, Role::Direction];

async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    result: Result<(), RenewalError>,
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    done: &str,
    on_refusal: FileForms,
) -> AppResult<Response> {
    match result {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/membres/{id}?{done}=1")).into_response())
        }
        Err(RenewalError::NotFound) => Err(AppError::NotFound),
        Err(RenewalError::Db(e)) => Err(e.into()),
        Err(e @ (RenewalError::Refused(_) | RenewalError::DepartureBeforeJoining(_))) => {
            let message = e.to_string();
            drop(tx);
            refused(
                state,
                user,
                id,
                FileForms {
                    cycle_error: Some(message),
                    ..on_refusal
                },
            )
            .await
        }
    }
}

/// « Enregistrer le renouvellement » without a billing request (direction).
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    user.require(&[Role::Direction])?;
    let mut tx = state.pool.begin().await?;
    let result = renewals::record(
        &mut tx,
        user.scope(),
        user.0.id,
        id,
        None,
        None,
        state.today(),
    )
    .await
    .map(|_| ());
    finish(
        &state,
        &user,
        id,
        result,
        tx,
        "renouvele",
        FileForms::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DepartureForm {
    lost_on: String,
    reason_id: String,
}

pub async fn depart(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<DepartureForm>,
) -> AppResult<Response> {
    user.require(&FOLLOWERS)?;
    let today = state.today();
    let mut errors = FieldErrors::new();
    let lost_on = match v::date(&form.lost_on, "La date de départ") {
        Ok(d) if d > today => {
            errors.add(
                "lost_on",
                "La date de départ ne peut pas être dans le futur.",
            );
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            errors.add("lost_on", message);
            None
        }
    };
    let reason = errors.take(
        "reason_id",
        v::optional_id(&form.reason_id)
            .and_then(|r| r.ok_or_else(|| "La raison principale est obligatoire.".to_string())),
    );
    let panel = FileForms {
        lost_on: form.lost_on.clone(),
        lost_reason: form.reason_id.clone(),
        ..FileForms::default()
    };
    if let (Some(lost_on), Some(reason)) = (lost_on, reason) {
        let mut tx = state.pool.begin().await?;
        match renewals::depart(&mut tx, user.scope(), user.0.id, id, lost_on, reason).await {
            // Told by the date field, like the form's own checks (the
            // transaction is dropped: nothing written).
            Err(e @ RenewalError::DepartureBeforeJoining(_)) => {
                errors.add("lost_on", e.to_string());
            }
            result => return finish(&state, &user, id, result, tx, "perdu", panel).await,
        }
    }
    refused(
        &state,
        &user,
        id,
        FileForms {
            lost_errors: errors,
            ..panel
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReactivationForm {
    renewal_date: String,
}

pub async fn reactivate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ReactivationForm>,
) -> AppResult<Response> {
    user.require(&MANAGERS)?;
    let panel = FileForms {
        reactivate_on: form.renewal_date.clone(),
        ..FileForms::default()
    };
    let date = match v::date(&form.renewal_date, "La nouvelle date de renouvellement") {
        Ok(d) if d > state.today() => d,
        Ok(_) => {
            return refused(
                &state,
                &user,
                id,
                FileForms {
                    cycle_error: Some(
                        "La nouvelle date de renouvellement doit être dans le futur.".into(),
                    ),
                    ..panel
                },
            )
            .await;
        }
        Err(message) => {
            return refused(
                &state,
                &user,
                id,
                FileForms {
                    cycle_error: Some(message),
                    ..panel
                },
            )
            .await;
        }
    };
    let mut tx = state.pool.begin().await?;
    let result = renewals::reactivate(&mut tx, user.scope(), user.0.id, id, date).await;
    finish(&state, &user, id, result, tx, "reactive", panel).await
}
