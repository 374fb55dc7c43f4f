//! The engagement light's thresholds, as direction reads and edits them
//! (`/seuils-engagement`): the rule in words, the form, and the changes
//! made so far (from the audit log).
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::engagement_light::{DEFAULTS, Light, Thresholds, ThresholdsForm};
use crate::domain::format::date_fr;
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::engagement_thresholds as store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::form::{Form, Query};
use crate::web::layout::Layout;

const DIRECTION: &[Role] = &[Role::Direction];
pub const NAV: &str = "/seuils-engagement";
const HISTORY_LINES: i64 = 20;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    fait: String,
}

pub struct Change {
    pub at: String,
    pub who: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "engagement/thresholds.html")]
pub struct ThresholdsPage {
    layout: Layout,
    form: ThresholdsForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
    /// The rule in force, one sentence per colour.
    rule: Vec<(Light, String)>,
    defaults: Vec<(Light, String)>,
    changes: Vec<Change>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    current: &Thresholds,
    form: ThresholdsForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> AppResult<ThresholdsPage> {
    let tz = state.config.time_zone;
    let changes = store::history(&state.pool, HISTORY_LINES)
        .await?
        .into_iter()
        .map(|(at, who, field, old_value, new_value)| {
            let local = at.with_timezone(&tz);
            Change {
                at: format!(
                    "{} à {}",
                    date_fr(local.date_naive()),
                    local.format("%-H h %M")
                ),
                who: who.unwrap_or_else(|| "système".into()),
                field,
                old_value: old_value.unwrap_or_default(),
                new_value: new_value.unwrap_or_default(),
            }
        })
        .collect();
    Ok(ThresholdsPage {
        layout: Layout::new("Feu d'engagement : seuils", &user.0, NAV),
        form,
        errors,
        notice,
        rule: current.sentences(),
        defaults: DEFAULTS.sentences(),
        changes,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<ThresholdsPage> {
    user.require(DIRECTION)?;
    let current = store::load(&state.pool).await?;
    let notice = match q.fait.as_str() {
        "enregistre" => Some(
            "Les seuils ont été enregistrés : les fiches des membres montrent déjà le feu \
             calculé avec eux.",
        ),
        "inchange" => Some("Aucun seuil n'a changé : rien n'a été enregistré."),
        _ => None,
    };
    let form = ThresholdsForm::of(&current);
    page(&state, &user, &current, form, FieldErrors::new(), notice).await
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<ThresholdsForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let thresholds = match form.parse() {
        Ok(t) => t,
        Err(errors) => {
            let current = store::load(&state.pool).await?;
            let page = page(&state, &user, &current, form, errors, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = state.pool.begin().await?;
    let changed = store::save(&mut tx, user.0.id, &thresholds).await?;
    tx.commit().await?;
    tracing::info!(changed, "seuils du feu d'engagement enregistrés");
    let to = if changed > 0 {
        "/seuils-engagement?fait=enregistre"
    } else {
        "/seuils-engagement?fait=inchange"
    };
    Ok(Redirect::to(to).into_response())
}
