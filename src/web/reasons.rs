//! Reasons a member gives for not renewing, on the member file: the
//! « Raisons évoquées » and « Escalades » panel, and recording a reason
//! (one transaction: the reason, its follow-up, its escalation, the audit).
use crate::web::form::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::escalation::{
    EscalationForm, Level, ReasonCategory, ReasonForm, Status, is_overdue,
};
use crate::domain::format::date_fr;
use crate::domain::user::Role;
use crate::domain::validation::FieldErrors;
use crate::store::escalations::{self as escalation_store, EscalationRow};
use crate::store::reasons::{self as store, RecordError};
use crate::store::timeline as timeline_store;
use crate::store::{members, members::Member};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;

/// Those who record reasons and raise escalations: representatives (their
/// own members), managers (their district), direction.
pub const ACTORS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];

/// A reason the member gave, ready to show.
pub struct RecordedReasonLine {
    pub label: String,
    pub category: &'static str,
    pub answer: String,
    pub answer_tried: String,
    pub author: String,
    pub at: String,
    /// The level of the escalation this reason opened, if any.
    pub escalation: Option<&'static str>,
}

/// A category of the catalogue with its reasons.
pub struct CatalogueGroup {
    pub category: &'static str,
    pub reasons: Vec<CatalogueReason>,
}

pub struct CatalogueReason {
    pub id: i64,
    pub label: String,
    pub answer: String,
    pub escalation: Option<&'static str>,
}

/// An escalation in a list (member file, queue).
pub struct EscalationLine {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub district: String,
    pub level: &'static str,
    pub status: &'static str,
    /// Badge class of the status.
    pub status_class: &'static str,
    pub raised_by: String,
    pub raised_on: String,
    pub due_on: String,
    pub overdue: bool,
    pub excerpt: String,
}

pub fn escalation_line(r: &EscalationRow, today: NaiveDate, tz: chrono_tz::Tz) -> EscalationLine {
    let status = r.status();
    EscalationLine {
        id: r.id,
        member_id: r.member_id,
        member_name: r.member_name.clone(),
        district: r.district_name.clone(),
        level: r.level().label(),
        status: status.label(),
        status_class: status_class(status),
        raised_by: r.raised_by_name.clone(),
        raised_on: local_date(r.raised_at, tz),
        due_on: date_fr(r.due_on),
        overdue: is_overdue(status, r.due_on, today),
        excerpt: excerpt(&r.body, 160),
    }
}

pub fn status_class(status: Status) -> &'static str {
    match status {
        Status::Open => "orange",
        Status::Acknowledged => "yellow",
        Status::Resolved => "green",
        Status::Escalated => "neutral",
    }
}

/// The reasons and escalations part of the member file. The forms keep
/// what was typed when they are refused.
pub struct MemberSide {
    pub member_id: i64,
    /// May record reasons and raise escalations here.
    pub can_act: bool,
    pub reasons: Vec<RecordedReasonLine>,
    pub catalogue: Vec<CatalogueGroup>,
    pub escalations: Vec<EscalationLine>,
    pub levels: [Level; 3],
    pub reason_form: ReasonForm,
    pub reason_errors: FieldErrors,
    pub escalation_form: EscalationForm,
    pub escalation_errors: FieldErrors,
}

impl MemberSide {
    pub fn is_reason_chosen(&self, id: &i64) -> bool {
        self.reason_form.reason_id.trim() == id.to_string()
    }

    pub fn is_level_chosen(&self, level: &Level) -> bool {
        let typed = self.escalation_form.level.trim();
        typed == level.as_str() || (typed.is_empty() && *level == Level::District)
    }
}

/// Builds the panel of a member the caller may see (scope already checked).
pub async fn member_side(
    pool: &PgPool,
    member_id: i64,
    today: NaiveDate,
    tz: chrono_tz::Tz,
    can_act: bool,
) -> Result<MemberSide, sqlx::Error> {
    let reasons = store::of_member(pool, member_id)
        .await?
        .into_iter()
        .map(|r| RecordedReasonLine {
            category: ReasonCategory::parse(&r.category).map_or("", ReasonCategory::label),
            escalation: r
                .escalation_level
                .as_deref()
                .and_then(Level::parse)
                .map(Level::label),
            label: r.label,
            answer: r.answer,
            answer_tried: r.answer_tried,
            author: r.author_name,
            at: local_date(r.at, tz),
        })
        .collect();
    let mut catalogue: Vec<CatalogueGroup> = Vec::new();
    for r in store::catalogue(pool).await? {
        let category = r.category().label();
        if catalogue.last().is_none_or(|g| g.category != category) {
            catalogue.push(CatalogueGroup {
                category,
                reasons: Vec::new(),
            });
        }
        if let Some(group) = catalogue.last_mut() {
            group.reasons.push(CatalogueReason {
                id: r.id,
                escalation: r.escalation_level().map(Level::label),
                label: r.label,
                answer: r.answer,
            });
        }
    }
    let escalations = escalation_store::of_member(pool, member_id)
        .await?
        .iter()
        .map(|r| escalation_line(r, today, tz))
        .collect();
    Ok(MemberSide {
        member_id,
        can_act,
        reasons,
        catalogue,
        escalations,
        levels: Level::ALL,
        reason_form: ReasonForm::default(),
        reason_errors: FieldErrors::new(),
        escalation_form: EscalationForm::default(),
        escalation_errors: FieldErrors::new(),
    })
}

/// A refused reason or escalation form: the member's panel again, with
/// the message and what was typed.
#[derive(Template, WebTemplate)]
#[template(path = "reasons/refused.html")]
pub struct RefusedPage {
    layout: Layout,
    heading: &'static str,
    member_name: String,
    side: MemberSide,
}

/// Which form of the panel was refused.
pub enum Refused {
    Reason(ReasonForm, FieldErrors),
    Escalation(EscalationForm, FieldErrors),
}

pub async fn refused_page(
    state: &AppState,
    user: &CurrentUser,
    member: &Member,
    refused: Refused,
) -> AppResult<Response> {
    let mut side = member_side(
        &state.pool,
        member.row.id,
        state.today(),
        state.config.time_zone,
        true,
    )
    .await?;
    let heading = match refused {
        Refused::Reason(form, errors) => {
            side.reason_form = form;
            side.reason_errors = errors;
            "La raison n'a pas été enregistrée"
        }
        Refused::Escalation(form, errors) => {
            side.escalation_form = form;
            side.escalation_errors = errors;
            "L'escalade n'a pas été enregistrée"
        }
    };
    let name = member.row.full_name();
    let page = RefusedPage {
        layout: Layout::new(format!("{heading} · {name}"), &user.0, "/membres"),
        heading,
        member_name: name,
        side,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /membres/{id}/raisons`.
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    user.require(&ACTORS)?;
    let scope = user.scope();
    let member = members::find(&state.pool, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = match form.parse() {
        Ok(d) => d,
        Err(errors) => {
            return refused_page(&state, &user, &member, Refused::Reason(form, errors)).await;
        }
    };
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let mut tx = state.pool.begin().await?;
    match store::record(&mut tx, scope, user.0.id, id, &draft, &timelines, today).await {
        Ok(_) => {}
        Err(RecordError::MemberNotFound) => return Err(AppError::NotFound),
        Err(RecordError::UnknownReason) => {
            drop(tx);
            let mut errors = FieldErrors::new();
            errors.add(
                "reason_id",
                "Cette raison n'est pas au catalogue : choisissez-en une dans la liste.",
            );
            return refused_page(&state, &user, &member, Refused::Reason(form, errors)).await;
        }
        Err(RecordError::Db(e)) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{id}?raison=1#raisons")).into_response())
}

/// `24 nov. 2026` of a timestamp, in the organisation's time zone.
pub fn local_date(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    date_fr(at.with_timezone(&tz).date_naive())
}

/// `24 nov. 2026 à 14 h 05`, in the organisation's time zone.
pub fn local_time(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{} à {}",
        date_fr(local.date_naive()),
        local.format("%-H h %M")
    )
}

/// The start of a long text, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut s: String = flat.chars().take(max).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(excerpt("Un\n  deux", 20), "Un deux");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
