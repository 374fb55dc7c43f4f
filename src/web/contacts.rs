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
use crate::web::members::{Conflict, ConflictLine, local_time};

const EDITORS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

#[derive(Template, WebTemplate)]
#[template(path = "members/contact.html")]
pub struct ContactPage {
    layout: Layout,
    member_id: i64,
    name: String,
    f: ContactForm,
    errors: FieldErrors,
    /// Someone else saved first: their version next to what was typed.
    conflict: Option<Conflict>,
}

fn contact_page(
    user: &CurrentUser,
    member_id: i64,
    name: String,
    f: ContactForm,
    errors: FieldErrors,
) -> ContactPage {
    ContactPage {
        layout: Layout::new(crate::fr!("Coordonnées de {name}"), &user.0, "/membres"),
        member_id,
        name,
        f,
        errors,
        conflict: None,
    }
}

/// The saved contact details of a member, as the form shows them.
fn contact_form_of(m: &members::Member) -> ContactForm {
    ContactForm {
        business_name: m.row.business_name.clone(),
        email: m.row.email.clone(),
        phone: m.row.phone.clone(),
        city: m.row.city.clone(),
        notes: m.notes.clone(),
        version: m.version.to_string(),
    }
}

/// The fields where the saved version and the typed one differ.
fn conflict_lines(theirs: &ContactForm, yours: &ContactForm) -> Vec<ConflictLine> {
    let shown = |s: &str| {
        if s.trim().is_empty() {
            "(vide)".to_string()
        } else {
            s.trim().to_string()
        }
    };
    [
        ("Entreprise", &theirs.business_name, &yours.business_name),
        ("Courriel", &theirs.email, &yours.email),
        ("Téléphone", &theirs.phone, &yours.phone),
        ("Ville", &theirs.city, &yours.city),
        ("Notes", &theirs.notes, &yours.notes),
    ]
    .into_iter()
    .filter(|(_, a, b)| a.trim() != b.trim())
    .map(|(label, a, b)| ConflictLine {
        label,
        theirs: shown(a),
        yours: shown(b),
    })
    .collect()
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
    let f = contact_form_of(&m);
    Ok(contact_page(
        &user,
        id,
        m.row.full_name(),
        f,
        FieldErrors::new(),
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
    if stale {
        // Their version, read now; the typed values stay in the form, which
        // now carries their version so that saving again goes on top of it.
        let current = members::find(&state.pool, user.scope(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let theirs = contact_form_of(&current);
        let last = members::audit_trail(&state.pool, id)
            .await?
            .into_iter()
            .next();
        let conflict = Conflict {
            by: last
                .and_then(|a| a.actor_name)
                .unwrap_or_else(|| "Quelqu'un d'autre".into()),
            at: local_time(current.updated_at, state.config.time_zone),
            lines: conflict_lines(&theirs, &f),
        };
        let f = ContactForm {
            version: current.version.to_string(),
            ..f
        };
        let mut page = contact_page(&user, id, current.row.full_name(), f, errors);
        page.conflict = Some(conflict);
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let page = contact_page(&user, id, m.row.full_name(), f, errors);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
