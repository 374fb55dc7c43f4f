//! The reasons catalogue, as direction edits it (`/raisons`): list by
//! category, add, edit (with the version check), move up or down, retire
//! or re-activate, delete when never used. The member-side panel where a
//! reason is recorded is `web/reasons.rs`.
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::catalogue::{ReasonEntry, ReasonForm};
use crate::domain::escalation::{Level, ReasonCategory};
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::reasons::{self as store, CatalogueError, CatalogueReason};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::groups::{ActivationForm, parse_id};
use crate::web::layout::Layout;

const DIRECTION: &[Role] = &[Role::Direction];
const NAV: &str = "/raisons";

impl From<CatalogueError> for AppError {
    fn from(e: CatalogueError) -> AppError {
        match e {
            CatalogueError::NotFound => AppError::NotFound,
            CatalogueError::Db(e) => AppError::Db(e),
            other => AppError::Internal(anyhow::anyhow!(other.to_string())),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    fait: String,
}

fn done_notice(key: &str) -> Option<&'static str> {
    match key {
        "ajoutee" => Some("La raison a été ajoutée au catalogue."),
        "modifiee" => Some("La raison a été enregistrée."),
        "deplacee" => Some("L'ordre des raisons a été enregistré."),
        "retiree" => Some(
            "La raison a été retirée : elle n'est plus proposée dans les formulaires, et reste \
             dans l'historique des membres et les rapports.",
        ),
        "reactivee" => Some("La raison est de nouveau proposée dans les formulaires."),
        "supprimee" => Some("La raison a été supprimée du catalogue."),
        _ => None,
    }
}

/// A category and its reasons, in order.
pub struct CategoryBlock {
    pub category: ReasonCategory,
    pub reasons: Vec<CatalogueReason>,
    /// Places of the first and last reasons (for the move buttons).
    pub last_position: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "catalogue/list.html")]
pub struct ListPage {
    layout: Layout,
    blocks: Vec<CategoryBlock>,
    notice: Option<&'static str>,
    alert: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<&'static str>,
    alert: Option<String>,
) -> AppResult<ListPage> {
    let all = store::catalogue_all(&state.pool).await?;
    let blocks = ReasonCategory::ALL
        .into_iter()
        .map(|category| {
            let reasons: Vec<CatalogueReason> = all
                .iter()
                .filter(|r| r.category() == category)
                .cloned()
                .collect();
            CategoryBlock {
                category,
                last_position: reasons.iter().map(|r| r.position).max().unwrap_or(0),
                reasons,
            }
        })
        .collect();
    Ok(ListPage {
        layout: Layout::new("Catalogue des raisons", &user.0, NAV),
        blocks,
        notice,
        alert,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<ListPage> {
    user.require(DIRECTION)?;
    list_page(&state, &user, done_notice(&q.fait), None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "catalogue/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    form: ReasonForm,
    errors: FieldErrors,
    /// The reason being edited (none for a new one).
    reason: Option<CatalogueReason>,
    categories: [ReasonCategory; 3],
    levels: [Level; 3],
    /// Someone saved this reason since the form was drawn.
    stale: bool,
}

fn form_page(
    user: &CurrentUser,
    reason: Option<CatalogueReason>,
    form: ReasonForm,
    errors: FieldErrors,
    stale: bool,
) -> FormPage {
    let (heading, action) = match &reason {
        None => (
            "Nouvelle raison".to_string(),
            "/raisons/nouvelle".to_string(),
        ),
        Some(r) => (
            format!("Modifier la raison « {} »", r.label),
            format!("/raisons/{}/modifier", r.id),
        ),
    };
    FormPage {
        layout: Layout::new(heading.clone(), &user.0, NAV),
        heading,
        action,
        form,
        errors,
        reason,
        categories: ReasonCategory::ALL,
        levels: Level::ALL,
        stale,
    }
}

fn refused(page: FormPage, status: StatusCode) -> Response {
    (status, page).into_response()
}

fn form_of(r: &CatalogueReason) -> ReasonForm {
    ReasonForm {
        category: r.category.clone(),
        label: r.label.clone(),
        answer: r.answer.clone(),
        escalation_level: r.escalation_level.clone().unwrap_or_default(),
        position: r.position.to_string(),
        version: r.version.to_string(),
    }
}

pub async fn new_form(user: CurrentUser) -> AppResult<FormPage> {
    user.require(DIRECTION)?;
    let form = ReasonForm {
        category: ReasonCategory::Recoverable.as_str().to_string(),
        ..ReasonForm::default()
    };
    Ok(form_page(&user, None, form, FieldErrors::new(), false))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let entry: ReasonEntry = match form.parse() {
        Ok(entry) => entry,
        Err(errors) => {
            let page = form_page(&user, None, form, errors, false);
            return Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let mut tx = state.pool.begin().await?;
    let id = store::create_reason(&mut tx, user.0.id, &entry).await?;
    tx.commit().await?;
    tracing::info!(reason_id = id, "raison ajoutée au catalogue");
    Ok(Redirect::to("/raisons?fait=ajoutee").into_response())
}

async fn find(state: &AppState, raw: &str) -> AppResult<CatalogueReason> {
    let id = parse_id(raw)?;
    store::find_in_catalogue(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<FormPage> {
    user.require(DIRECTION)?;
    let reason = find(&state, &raw).await?;
    let form = form_of(&reason);
    Ok(form_page(
        &user,
        Some(reason),
        form,
        FieldErrors::new(),
        false,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let reason = find(&state, &raw).await?;
    let (entry, version) = match (form.parse(), form.version()) {
        (Ok(entry), Some(version)) => (entry, version),
        (Ok(_), None) => {
            return Err(AppError::BadRequest(
                "Le formulaire ne dit pas quelle version de la raison il modifie.".into(),
            ));
        }
        (Err(errors), _) => {
            let page = form_page(&user, Some(reason), form, errors, false);
            return Ok(refused(page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let mut tx = state.pool.begin().await?;
    match store::update_reason(&mut tx, user.0.id, reason.id, version, &entry).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/raisons?fait=modifiee").into_response())
        }
        Err(CatalogueError::Stale) => {
            drop(tx);
            // The page shows what is saved now next to what was typed.
            let fresh = find(&state, &raw).await?;
            let page = form_page(&user, Some(fresh), form, FieldErrors::new(), true);
            Ok(refused(page, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    /// `haut` or `bas`.
    sens: String,
}

pub async fn move_reason(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let reason = find(&state, &raw).await?;
    let delta = match form.sens.as_str() {
        "haut" => -1,
        "bas" => 1,
        _ => return Err(AppError::BadRequest("Sens de déplacement inconnu.".into())),
    };
    let mut tx = state.pool.begin().await?;
    let moved = store::move_reason(&mut tx, user.0.id, reason.id, delta).await?;
    tx.commit().await?;
    let to = if moved {
        format!("/raisons?fait=deplacee#raison-{}", reason.id)
    } else {
        format!("/raisons#raison-{}", reason.id)
    };
    Ok(Redirect::to(&to).into_response())
}

pub async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<ActivationForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let reason = find(&state, &raw).await?;
    let active = form.target(reason.active);
    let mut tx = state.pool.begin().await?;
    let changed = store::set_reason_active(&mut tx, user.0.id, reason.id, active).await?;
    tx.commit().await?;
    let to = match (changed, active) {
        (false, _) => "/raisons",
        (true, true) => "/raisons?fait=reactivee",
        (true, false) => "/raisons?fait=retiree",
    };
    Ok(Redirect::to(to).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let reason = find(&state, &raw).await?;
    let mut tx = state.pool.begin().await?;
    match store::delete_reason(&mut tx, user.0.id, reason.id).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/raisons?fait=supprimee").into_response())
        }
        Err(CatalogueError::InUse) => {
            drop(tx);
            let message = format!(
                "La raison « {} » a déjà servi (historique d'un membre, départ ou escalade) : \
                 elle ne peut pas être supprimée. Retirez-la plutôt : elle ne sera plus \
                 proposée et restera dans l'historique.",
                reason.label
            );
            let page = list_page(&state, &user, None, Some(message)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
