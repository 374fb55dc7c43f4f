//! Districts: list, create, rename, deactivate / reactivate (direction only).
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::user::Role;
use crate::domain::validation::{self as v, FieldErrors};
use crate::store::districts::{self, District, DistrictError, DistrictSummary};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::groups::{ActivationForm, count_of, parse_id};
use crate::web::layout::Layout;

const MANAGERS: &[Role] = &[Role::Direction];
const NAV: &str = "/districts";
const DUPLICATE_NAME: &str = "Un district porte déjà ce nom.";

impl From<DistrictError> for AppError {
    fn from(e: DistrictError) -> AppError {
        match e {
            DistrictError::NotFound => AppError::NotFound,
            DistrictError::Db(e) => AppError::Db(e),
            other => AppError::Internal(anyhow::anyhow!(other.to_string())),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    fait: String,
    /// The district the action was about (named in its message).
    district: String,
}

/// The message after an action on the district named `name`.
fn done_notice(key: &str, name: &str) -> Option<String> {
    match key {
        "cree" => Some(format!("Le district {name} a été créé.")),
        "modifie" => Some(format!("Le district a été renommé : {name}.")),
        "active" => Some(format!("Le district {name} a été réactivé.")),
        "desactive" => Some(format!("Le district {name} a été désactivé.")),
        _ => None,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "districts/list.html")]
pub struct DistrictListPage {
    layout: Layout,
    districts: Vec<DistrictSummary>,
    csv_href: String,
    csv_comma_href: String,
    notice: Option<String>,
    alert: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    done: Option<&DoneQuery>,
    alert: Option<String>,
) -> AppResult<DistrictListPage> {
    let districts = districts::list(&state.pool).await?;
    let notice = done.and_then(|q| {
        let id = q.district.trim().parse::<i64>().ok()?;
        let d = districts.iter().find(|d| d.id == id)?;
        done_notice(&q.fait, &d.name)
    });
    Ok(DistrictListPage {
        layout: Layout::new("Districts", &user.0, NAV),
        districts,
        csv_href: EXPORT_PATH.to_string(),
        csv_comma_href: csv::comma_href(EXPORT_PATH),
        notice,
        alert,
    })
}

const EXPORT_PATH: &str = "/districts/export.csv";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    /// `virgule` for the comma-separated CSV.
    format: Option<String>,
}

/// `GET /districts/export.csv`: the districts as listed (a few dozen).
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    user.require(MANAGERS)?;
    let header = [
        "District",
        "État",
        "Groupes",
        "Groupes actifs",
        "Membres actifs",
        "Gestionnaires",
        "Représentant·e·s",
    ];
    let mut out = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    for d in districts::list(&state.pool).await? {
        out.row([
            Cell::from(d.name),
            Cell::from(if d.active { "actif" } else { "inactif" }),
            Cell::Int(d.groups),
            Cell::Int(d.active_groups),
            Cell::Int(d.active_members),
            Cell::Int(d.managers),
            Cell::Int(d.representatives),
        ])?;
    }
    out.into_response("districts")
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<DistrictListPage> {
    user.require(MANAGERS)?;
    list_page(&state, &user, Some(&q), None).await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DistrictForm {
    name: String,
    /// The version the form was opened on (edits only).
    version: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "districts/form.html")]
pub struct DistrictFormPage {
    layout: Layout,
    heading: String,
    action: String,
    form: DistrictForm,
    errors: FieldErrors,
    /// The district being edited (none for a new one).
    district: Option<District>,
}

fn form_page(
    user: &CurrentUser,
    district: Option<District>,
    form: DistrictForm,
    errors: FieldErrors,
) -> DistrictFormPage {
    let (heading, action) = match &district {
        None => (
            "Nouveau district".to_string(),
            "/districts/nouveau".to_string(),
        ),
        Some(d) => (
            format!("Modifier le district {}", d.name),
            format!("/districts/{}/modifier", d.id),
        ),
    };
    DistrictFormPage {
        layout: Layout::new(heading.clone(), &user.0, NAV),
        heading,
        action,
        form,
        errors,
        district,
    }
}

fn parse_name(form: &DistrictForm, e: &mut FieldErrors) -> Option<String> {
    e.take(
        "name",
        v::required(&form.name, "Le nom du district", districts::NAME_MAX),
    )
}

pub async fn new_form(user: CurrentUser) -> AppResult<DistrictFormPage> {
    user.require(MANAGERS)?;
    Ok(form_page(
        &user,
        None,
        DistrictForm::default(),
        FieldErrors::new(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<DistrictForm>,
) -> AppResult<Response> {
    user.require(MANAGERS)?;
    let mut errors = FieldErrors::new();
    if let Some(name) = parse_name(&form, &mut errors) {
        let mut tx = state.pool.begin().await?;
        match districts::create(&mut tx, Some(user.0.id), &name).await {
            Ok(id) => {
                tx.commit().await?;
                tracing::info!(district_id = id, "district créé");
                return Ok(
                    Redirect::to(&format!("/districts?fait=cree&district={id}")).into_response()
                );
            }
            Err(DistrictError::DuplicateName) => errors.add("name", DUPLICATE_NAME),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page(&user, None, form, errors),
    )
        .into_response())
}

async fn find(state: &AppState, raw: &str) -> AppResult<District> {
    let id = parse_id(raw)?;
    districts::find(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<DistrictFormPage> {
    user.require(MANAGERS)?;
    let district = find(&state, &raw).await?;
    let form = DistrictForm {
        name: district.name.clone(),
        version: district.version.to_string(),
    };
    Ok(form_page(&user, Some(district), form, FieldErrors::new()))
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<DistrictForm>,
) -> AppResult<Response> {
    user.require(MANAGERS)?;
    let district = find(&state, &raw).await?;
    let mut errors = FieldErrors::new();
    let version = form.version.trim().parse::<i32>().unwrap_or(0);
    if let Some(name) = parse_name(&form, &mut errors) {
        let mut tx = state.pool.begin().await?;
        match districts::rename(&mut tx, Some(user.0.id), district.id, version, &name).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(Redirect::to(&format!(
                    "/districts?fait=modifie&district={}",
                    district.id
                ))
                .into_response());
            }
            Err(DistrictError::DuplicateName) => errors.add("name", DUPLICATE_NAME),
            Err(DistrictError::Stale) => {
                drop(tx);
                // Keep what was typed, show what the other person saved,
                // and let a second save go on top of their version.
                let message = format!(
                    "Quelqu'un d'autre a modifié ce district pendant que vous le modifiiez : \
                     il s'appelle maintenant « {} ». Vérifiez le nom ci-dessous, puis \
                     enregistrez de nouveau pour garder le vôtre.",
                    district.name
                );
                errors.add("name", message);
                let form = DistrictForm {
                    version: district.version.to_string(),
                    ..form
                };
                let page = form_page(&user, Some(district), form, errors);
                return Ok((StatusCode::CONFLICT, page).into_response());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page(&user, Some(district), form, errors),
    )
        .into_response())
}

pub async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<ActivationForm>,
) -> AppResult<Response> {
    user.require(MANAGERS)?;
    let district = find(&state, &raw).await?;
    let active = form.target(district.active);
    // Refused before the question as well as after it: asking to confirm
    // something that cannot be done would only lead to a second refusal.
    let refuse = |n: i64| {
        format!(
            "Le district {} compte encore {} : désactivez d'abord ces groupes, puis le district.",
            district.name,
            count_of(n, "groupe actif", "groupes actifs")
        )
    };
    if !active && district.active && !form.confirmed() {
        let groups = districts::active_groups(&state.pool, district.id).await?;
        if groups > 0 {
            let page = list_page(&state, &user, None, Some(refuse(groups))).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        let name = &district.name;
        let page = crate::web::confirm::ConfirmPage::new(
            Layout::new(format!("Désactiver {name}"), &user.0, NAV),
            format!("Désactiver le district {name} ?"),
            format!("/districts/{}/activation", district.id),
            "Oui, désactiver le district",
            "/districts",
        )
        .says(format!(
            "Le district {name} ne sera plus proposé pour les membres, les groupes ni les \
             comptes. Il pourra être réactivé plus tard."
        ))
        .keeps("active", "non");
        return Ok(page.into_response());
    }
    let mut tx = state.pool.begin().await?;
    match districts::set_active(&mut tx, Some(user.0.id), district.id, active).await {
        Ok(changed) => {
            tx.commit().await?;
            let id = district.id;
            let to = match (changed, active) {
                (false, _) => "/districts".to_string(),
                (true, true) => format!("/districts?fait=active&district={id}"),
                (true, false) => format!("/districts?fait=desactive&district={id}"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(DistrictError::HasActiveGroups(n)) => {
            drop(tx);
            let page = list_page(&state, &user, None, Some(refuse(n))).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
