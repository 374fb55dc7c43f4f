//! `/membres/{id}/coordonnees`: whoever follows a member (a representative
//! for their own members) corrects the contact details. Formula, group,
//! dates and representative stay on the full form of managers and
//! direction.
use crate::web::form::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::domain::contact::ContactForm;
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::contacts;
use crate::store::members::{self, SaveError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::groups::parse_id;
use crate::web::layout::Layout;

const EDITORS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

#[derive(Template, WebTemplate)]
#[template(path = "members/contact.html")]
pub struct ContactPage {
    layout: Layout,
    member_id: i64,
    name: String,
    f: ContactForm,
    errors: FieldErrors,
    stale: bool,
}

fn contact_page(
    user: &CurrentUser,
    member_id: i64,
    name: String,
    f: ContactForm,
    errors: FieldErrors,
    stale: bool,
) -> ContactPage {
    ContactPage {
        layout: Layout::new(crate::fr!("Coordonnées de {name}"), &user.0, "/membres"),
        member_id,
        name,
        f,
        errors,
        stale,
    }
}

pub async fn form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<ContactPage> {
    user.require(&EDITORS)?;
    let id = parse_id(&id)?;
    let m = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = ContactForm {
        business_name: m.row.business_name.clone(),
        email: m.row.email.clone(),
        phone: m.row.phone.clone(),
        city: m.row.city.clone(),
        notes: m.notes.clone(),
        version: m.version.to_string(),
    };
    Ok(contact_page(
        &user,
        id,
        m.row.full_name(),
        f,
        FieldErrors::new(),
        false,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> AppResult<Response> {
    user.require(&EDITORS)?;
    let id = parse_id(&id)?;
    let m = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (errors, stale) = match (f.parse(), f.version()) {
        (Ok(draft), Some(version)) => {
            let mut tx = state.pool.begin().await?;
            match contacts::update(&mut tx, user.scope(), user.0.id, id, version, &draft).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!("/membres/{id}?enregistre=1")).into_response());
                }
                Err(SaveError::Stale) => (FieldErrors::new(), true),
                Err(SaveError::Invalid(e)) => (e, false),
                Err(SaveError::NotFound) => return Err(AppError::NotFound),
                Err(SaveError::Db(e)) => return Err(e.into()),
            }
        }
        (Ok(_), None) => {
            return Err(AppError::BadRequest(
                "Le formulaire ne dit pas quelle version de la fiche il modifie.".into(),
            ));
        }
        (Err(e), _) => (e, false),
    };
    let page = contact_page(&user, id, m.row.full_name(), f, errors, stale);
    let status = if stale {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}
