//! Recording a renewal by hand (direction), a departure, a reactivation.
use crate::web::form::Path;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use chrono::NaiveDate;

use crate::domain::billing::Status as BillingStatus;
use crate::domain::format::date_fr;
use crate::domain::formula::Formula;
use crate::domain::scope::Scope;
use crate::domain::timeline::add_months;
use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};
use crate::store::members::{self, Member};
use crate::store::renewals::{self, RenewalError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    confirme: String,
}

/// The member in scope, or 404.
async fn member_in_scope(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Member> {
    members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A departure's date, checked as the form's own fields are: a date, not
/// in the future.
pub fn departure_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    match v::date(raw, "La date de départ") {
        Ok(d) if d > today => Err("La date de départ ne peut pas être dans le futur.".into()),
        other => other,
    }
}

/// What recording a renewal will do, in words.
pub fn renewal_sentences(
    name: &str,
    from: NaiveDate,
    term_months: i32,
    today: NaiveDate,
) -> Vec<String> {
    let to = add_months(from, term_months);
    let mut out = vec![crate::fr!(
        "Le renouvellement de {name} passera du {} au {}, et un nouveau cycle commencera.",
        date_fr(from),
        date_fr(to)
    )];
    if today > from {
        out.push(format!(
            "Le renouvellement est enregistré après sa date : l'étape « Inscription \
             (vérification) » comptera à partir d'aujourd'hui, le {}.",
            date_fr(today)
        ));
    }
    out
}

/// « Enregistrer le renouvellement » without a billing request (direction).
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    user.require(&[Role::Direction])?;
    if !confirmed(&form.confirme) {
        let m = member_in_scope(&state, &user, id).await?;
        let row = &m.row;
        if !row.is_active() {
            return refused(
                &state,
                &user,
                id,
                FileForms {
                    cycle_error: Some(
                        "Ce membre est perdu : réactivez-le avant d'enregistrer un \
                         renouvellement."
                            .into(),
                    ),
                    ..FileForms::default()
                },
            )
            .await;
        }
        let name = row.full_name();
        let mut page = ConfirmPage::new(
            Layout::new(format!("Renouveler {name}"), &user.0, "/membres"),
            crate::fr!("Enregistrer le renouvellement de {name} ?"),
            format!("/membres/{id}/renouvellement"),
            "Oui, enregistrer le renouvellement",
            format!("/membres/{id}"),
        );
        for line in renewal_sentences(&name, row.renewal_date, row.term_months, state.today()) {
            page = page.says(line);
        }
        let page = page.says(
            "Une erreur reste réparable : la direction peut annuler ce renouvellement tant \
             que rien n'a été consigné dans le nouveau cycle.",
        );
        return Ok(page.into_response());
    }
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
    confirme: String,
}

/// The confirmation of a departure: who, from when, why, and what closes.
#[allow(clippy::too_many_arguments)]
pub async fn departure_page(
    state: &AppState,
    user: &CurrentUser,
    scope: Scope,
    member_id: i64,
    lost_on: NaiveDate,
    reason_id: i64,
    action: String,
    back: String,
) -> AppResult<Response> {
    let m = members::find(&state.pool, scope, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = m.row.full_name();
    let reason: Option<String> =
        sqlx::query_scalar("SELECT label FROM reasons WHERE id = $1 AND active")
            .bind(reason_id)
            .fetch_optional(&state.pool)
            .await?;
    let page = ConfirmPage::new(
        Layout::new(crate::fr!("Départ de {name}"), &user.0, "/membres"),
        crate::fr!("Enregistrer le départ de {name} ?"),
        action,
        "Oui, enregistrer le départ",
        back,
    )
    .says(format!(
        "{name} ne sera plus membre à compter du {}{}.",
        date_fr(lost_on),
        reason
            .map(|r| format!(", pour la raison « {r} »"))
            .unwrap_or_default()
    ))
    .says(
        "Sa relance prévue sera fermée et une demande de facturation dont la facture \
         n'est pas encore partie sera annulée. Pour revenir en arrière, il faudra réactiver ce \
         membre avec une nouvelle date de renouvellement.",
    )
    .keeps("lost_on", lost_on.to_string())
    .keeps("reason_id", reason_id.to_string());
    Ok(page.into_response())
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
    let lost_on = match departure_date(&form.lost_on, today) {
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
        if !confirmed(&form.confirme) {
            let m = member_in_scope(&state, &user, id).await?;
            // Otherwise the store refuses, with its message.
            if lost_on >= m.row.join_date && m.row.is_active() {
                return departure_page(
                    &state,
                    &user,
                    user.scope(),
                    id,
                    lost_on,
                    reason,
                    format!("/membres/{id}/depart"),
                    format!("/membres/{id}#depart"),
                )
                .await;
            }
        }
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
    confirme: String,
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
    let m = member_in_scope(&state, &user, id).await?;
    // An active member: the store refuses, nothing to confirm.
    if !confirmed(&form.confirme) && !m.row.is_active() {
        let name = m.row.full_name();
        let page = ConfirmPage::new(
            Layout::new(format!("Réactiver {name}"), &user.0, "/membres"),
            format!("Réactiver {name} ?"),
            format!("/membres/{id}/reactivation"),
            "Oui, réactiver",
            format!("/membres/{id}"),
        )
        .says(format!(
            "{name} redeviendra membre actif, avec un nouveau cycle et un prochain \
             renouvellement le {}.",
            date_fr(date)
        ))
        .keeps("renewal_date", date.to_string());
        return Ok(page.into_response());
    }
    let mut tx = state.pool.begin().await?;
    let result = renewals::reactivate(&mut tx, user.scope(), user.0.id, id, date).await;
    finish(&state, &user, id, result, tx, "reactive", panel).await
}

/// `POST /membres/{id}/renouvellement/annulation` (direction): undoes the
/// renewal that started the current cycle, after a confirmation saying
/// what comes back.
pub async fn undo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    user.require(&[Role::Direction])?;
    if !confirmed(&form.confirme) {
        let m = member_in_scope(&state, &user, id).await?;
        let Some(last) = renewals::last_renewal(&state.pool, user.scope(), id).await? else {
            return refused(
                &state,
                &user,
                id,
                FileForms {
                    cycle_error: Some(
                        "Aucun renouvellement à annuler : le cycle en cours ne vient pas \
                         d'un renouvellement enregistré."
                            .into(),
                    ),
                    ..FileForms::default()
                },
            )
            .await;
        };
        let name = m.row.full_name();
        let tz = state.config.time_zone;
        let mut page = ConfirmPage::new(
            Layout::new(
                crate::fr!("Annuler le renouvellement de {name}"),
                &user.0,
                "/membres",
            ),
            crate::fr!("Annuler le renouvellement de {name} ?"),
            format!("/membres/{id}/renouvellement/annulation"),
            "Oui, annuler ce renouvellement",
            format!("/membres/{id}#facturation"),
        )
        .says(crate::fr!(
            "Le renouvellement enregistré le {} sera annulé : la date de renouvellement de \
             {name} reviendra au {} (au lieu du {}) et le cycle précédent reprendra.",
            date_fr(last.recorded_at.with_timezone(&tz).date_naive()),
            date_fr(last.previous_renewal),
            date_fr(last.new_renewal)
        ));
        if last.previous_formula != last.new_formula {
            let label = |f: &str| Formula::parse(f).map_or("—", Formula::label);
            page = page.says(format!(
                "Sa formule redeviendra « {} » (au lieu de « {} »).",
                label(&last.previous_formula),
                label(&last.new_formula)
            ));
        }
        if let Some(back) = last
            .request_back_to
            .as_deref()
            .and_then(BillingStatus::parse)
        {
            page = page.says(format!(
                "Sa demande de facturation reviendra à l'étape « {} » : le paiement ne sera \
                 plus inscrit.",
                back.label()
            ));
        }
        return Ok(page.into_response());
    }
    let mut tx = state.pool.begin().await?;
    let result = renewals::undo(&mut tx, user.scope(), user.0.id, id)
        .await
        .map(|_| ());
    finish(
        &state,
        &user,
        id,
        result,
        tx,
        "annule",
        FileForms::default(),
    )
    .await
}
