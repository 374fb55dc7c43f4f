//! The reasons catalogue and the reasons members gave. Recording a reason
//! adds it to the follow-up history and, when the reason says so, opens an
//! escalation: all in the caller's transaction, with the audit row.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, QueryBuilder};

use crate::domain::escalation::{self as rules, Level, ReasonCategory, ReasonDraft};
use crate::domain::follow_up::Channel;
use crate::domain::formula::{Formula, State};
use crate::domain::scope::Scope;
use crate::store::audit::{self, Change};
use crate::store::escalations::{self, NewEscalation};
use crate::store::members::push_scope;
use crate::store::timeline::Timelines;

/// A reason of the catalogue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reason {
    pub id: i64,
    pub category: String,
    pub label: String,
    pub answer: String,
    pub escalation_level: Option<String>,
}

impl Reason {
    pub fn category(&self) -> ReasonCategory {
        ReasonCategory::parse(&self.category).unwrap_or(ReasonCategory::Recoverable)
    }

    pub fn escalation_level(&self) -> Option<Level> {
        self.escalation_level.as_deref().and_then(Level::parse)
    }
}

/// The active reasons, by category (irrecoverable first) then position.
pub async fn catalogue(pool: &PgPool) -> Result<Vec<Reason>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, category, label, answer, escalation_level FROM reasons WHERE active \
         ORDER BY CASE category WHEN 'irrecoverable' THEN 1 WHEN 'recoverable' THEN 2 ELSE 3 END, \
         position, id",
    )
    .fetch_all(pool)
    .await
}

/// A reason a member gave, with its suggested answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordedReason {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub author_name: String,
    pub category: String,
    pub label: String,
    pub answer: String,
    pub escalation_level: Option<String>,
    pub answer_tried: String,
}

/// A member's reasons, newest first.
pub async fn of_member(pool: &PgPool, member_id: i64) -> Result<Vec<RecordedReason>, sqlx::Error> {
    sqlx::query_as(
        "SELECT mr.id, mr.at, u.display_name AS author_name, r.category, r.label, r.answer, \
         r.escalation_level, mr.answer_tried \
         FROM member_reasons mr JOIN reasons r ON r.id = mr.reason_id \
         JOIN users u ON u.id = mr.author_id \
         WHERE mr.member_id = $1 ORDER BY mr.at DESC, mr.id DESC",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("membre introuvable")]
    MemberNotFound,
    #[error("raison inconnue")]
    UnknownReason,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What recording a reason wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub member_reason_id: i64,
    pub follow_up_id: i64,
    pub escalation_id: Option<i64>,
}

/// Records a reason given by a member in scope: the follow-up in the
/// history (with the stage of the moment), the reason linked to it, the
/// escalation its catalogue entry asks for, and the audit row.
pub async fn record(
    conn: &mut PgConnection,
    scope: Scope,
    author_id: i64,
    member_id: i64,
    draft: &ReasonDraft,
    timelines: &Timelines,
    today: NaiveDate,
) -> Result<Recorded, RecordError> {
    let mut qb = QueryBuilder::new(
        "SELECT m.formula, m.renewal_date, m.term_months, m.status, m.cycle, m.state \
         FROM members m WHERE m.id = ",
    );
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR UPDATE");
    let member: Option<(String, NaiveDate, i32, String, i32, Option<String>)> =
        qb.build_query_as().fetch_optional(&mut *conn).await?;
    let (formula, renewal, term, status, cycle, state) =
        member.ok_or(RecordError::MemberNotFound)?;
    let reason: Reason = sqlx::query_as(
        "SELECT id, category, label, answer, escalation_level FROM reasons \
         WHERE id = $1 AND active",
    )
    .bind(draft.reason_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(RecordError::UnknownReason)?;

    let stage = (status == "active")
        .then(|| Formula::parse(&formula).and_then(|f| timelines.current(f, renewal, term, today)))
        .flatten();
    // The follow-up keeps the member's state as it is (the reason does not
    // change it); a member without one is hesitant by definition.
    let state = state
        .as_deref()
        .and_then(State::parse)
        .unwrap_or(State::Yellow);
    let follow_up_id: i64 = sqlx::query_scalar(
        "INSERT INTO follow_ups (member_id, author_id, channel, body, cycle, stage_key, \
         stage_label, stage_colour, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(member_id)
    .bind(author_id)
    .bind(Channel::Other.as_str())
    .bind(rules::reason_follow_up_text(
        &reason.label,
        &reason.answer,
        &draft.answer_tried,
    ))
    .bind(cycle)
    .bind(stage.as_ref().map(|s| s.def.key.clone()))
    .bind(stage.as_ref().map(|s| s.def.label.clone()))
    .bind(stage.as_ref().map(|s| s.def.colour.as_str()))
    .bind(state.as_str())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE members SET last_contact_at = now() WHERE id = $1")
        .bind(member_id)
        .execute(&mut *conn)
        .await?;
    let member_reason_id: i64 = sqlx::query_scalar(
        "INSERT INTO member_reasons (member_id, reason_id, author_id, answer_tried, follow_up_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(member_id)
    .bind(reason.id)
    .bind(author_id)
    .bind(&draft.answer_tried)
    .bind(follow_up_id)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        Some(author_id),
        Change {
            entity: "member",
            entity_id: member_id,
            field: "Raison évoquée",
            old_value: None,
            new_value: Some(reason.label.clone()),
        },
    )
    .await?;
    let escalation_id = match reason.escalation_level() {
        Some(level) => Some(
            escalations::insert(
                conn,
                &NewEscalation {
                    member_id,
                    raised_by: author_id,
                    level,
                    reason_id: Some(reason.id),
                    body: &rules::reason_escalation_text(&reason.label, &draft.answer_tried),
                    due_on: rules::due_on(today),
                    parent_id: None,
                },
            )
            .await?,
        ),
        None => None,
    };
    Ok(Recorded {
        member_reason_id,
        follow_up_id,
        escalation_id,
    })
}
