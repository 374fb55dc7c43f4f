//! Follow-ups, the member's state and planned follow-ups. Each write runs
//! in the caller's transaction, with its audit rows.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, QueryBuilder};

use crate::domain::follow_up::FollowUpDraft;
use crate::domain::formula::{Formula, State};
use crate::domain::scope::Scope;
use crate::domain::timeline::LateStart;
use crate::domain::timeline_edit::FIRST_KEY;
use crate::store::audit::{self, Change};
use crate::store::members::push_scope;
use crate::store::timeline::Timelines;

#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error("introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Locks the member (in scope) and returns what the stage needs.
async fn lock_member(
    conn: &mut PgConnection,
    scope: Scope,
    member_id: i64,
) -> Result<(String, NaiveDate, i32, String, i32, Option<String>), FollowUpError> {
    let mut qb = QueryBuilder::new(
        "SELECT m.formula, m.renewal_date, m.term_months, m.status, m.cycle, m.state \
         FROM members m WHERE m.id = ",
    );
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR UPDATE");
    qb.build_query_as()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(FollowUpError::NotFound)
}

/// The late start of the member's current cycle (a renewal recorded after
/// its date), with whether its first stage was followed up.
pub async fn late_start(
    conn: &mut PgConnection,
    member_id: i64,
) -> Result<Option<LateStart>, sqlx::Error> {
    let row: Option<(Option<NaiveDate>, bool)> = sqlx::query_as(
        "SELECT m.welcome_from, EXISTS (SELECT 1 FROM stage_follow_ups s \
         WHERE s.member_id = m.id AND s.cycle = m.cycle AND s.stage_key = $2) \
         FROM members m WHERE m.id = $1",
    )
    .bind(member_id)
    .bind(FIRST_KEY)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(|(from, first_done)| from.map(|from| LateStart { from, first_done })))
}

/// Logs a follow-up: stores the stage of the moment, sets the member's
/// state, closes the open planned follow-up and plans the next one.
pub async fn log(
    conn: &mut PgConnection,
    scope: Scope,
    author_id: i64,
    member_id: i64,
    draft: &FollowUpDraft,
    timelines: &Timelines,
    today: NaiveDate,
) -> Result<i64, FollowUpError> {
    let (formula, renewal, term, status, cycle, old_state) =
        lock_member(conn, scope, member_id).await?;
    let late = late_start(conn, member_id).await?;
    let stage = (status == "active")
        .then(|| {
            Formula::parse(&formula)
                .and_then(|f| timelines.current_late(f, renewal, term, today, late))
        })
        .flatten();
    // The member first, the follow-up after: the follow-up's insert adds
    // to its author's monthly count, a row every follow-up of that person
    // waits on until commit, so it comes as late as it can.
    sqlx::query("UPDATE members SET state = $2, last_contact_at = now() WHERE id = $1")
        .bind(member_id)
        .bind(draft.state.as_str())
        .execute(&mut *conn)
        .await?;
    if old_state.as_deref() != Some(draft.state.as_str()) {
        audit::record(
            conn,
            Some(author_id),
            Change {
                entity: "member",
                entity_id: member_id,
                field: "État",
                old_value: old_state
                    .as_deref()
                    .and_then(State::parse)
                    .map(|s| s.label().to_string()),
                new_value: Some(draft.state.label().to_string()),
            },
        )
        .await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO follow_ups (member_id, author_id, channel, body, cycle, stage_key, \
         stage_label, stage_colour, state, next_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(member_id)
    .bind(author_id)
    .bind(draft.channel.as_str())
    .bind(&draft.body)
    .bind(cycle)
    .bind(stage.as_ref().map(|s| s.def.key.clone()))
    .bind(stage.as_ref().map(|s| s.def.label.clone()))
    .bind(stage.as_ref().map(|s| s.def.colour.as_str()))
    .bind(draft.state.as_str())
    .bind(draft.next_date)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE planned_follow_ups SET status = 'done', closed_on = $2, \
         closed_by_follow_up_id = $3 WHERE member_id = $1 AND status = 'open'",
    )
    .bind(member_id)
    .bind(today)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if let Some(next) = draft.next_date {
        sqlx::query(
            "INSERT INTO planned_follow_ups (member_id, planned_by, from_follow_up_id, due_date) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(member_id)
        .bind(author_id)
        .bind(id)
        .bind(next)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Appends a correction to a follow-up: the original text stays as it was.
pub async fn correct(
    conn: &mut PgConnection,
    scope: Scope,
    author_id: i64,
    member_id: i64,
    follow_up_id: i64,
    body: &str,
) -> Result<i64, FollowUpError> {
    lock_member(conn, scope, member_id).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO follow_ups (member_id, author_id, channel, body, cycle, stage_key, \
         stage_label, stage_colour, state, corrects_id) \
         SELECT f.member_id, $3, f.channel, $4, f.cycle, f.stage_key, f.stage_label, \
         f.stage_colour, f.state, f.id FROM follow_ups f \
         WHERE f.id = $1 AND f.member_id = $2 AND f.corrects_id IS NULL RETURNING id",
    )
    .bind(follow_up_id)
    .bind(member_id)
    .bind(author_id)
    .bind(body)
    .fetch_optional(&mut *conn)
    .await?;
    id.ok_or(FollowUpError::NotFound)
}

/// Moves the open planned follow-up to another date; the old one is kept,
/// closed as "rescheduled" (missed if its date had already passed).
pub async fn reschedule(
    conn: &mut PgConnection,
    scope: Scope,
    author_id: i64,
    member_id: i64,
    new_date: NaiveDate,
    today: NaiveDate,
) -> Result<(), FollowUpError> {
    lock_member(conn, scope, member_id).await?;
    let closed = sqlx::query(
        "UPDATE planned_follow_ups SET status = 'rescheduled', closed_on = $2 \
         WHERE member_id = $1 AND status = 'open'",
    )
    .bind(member_id)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    if closed.rows_affected() == 0 {
        return Err(FollowUpError::NotFound);
    }
    sqlx::query(
        "INSERT INTO planned_follow_ups (member_id, planned_by, due_date) VALUES ($1, $2, $3)",
    )
    .bind(member_id)
    .bind(author_id)
    .bind(new_date)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub author_name: String,
    pub channel: String,
    pub body: String,
    pub stage_label: Option<String>,
    pub stage_colour: Option<String>,
    pub state: String,
    pub next_date: Option<NaiveDate>,
    pub corrects_id: Option<i64>,
}

/// A member's follow-ups, newest first (corrections included).
pub async fn history(pool: &PgPool, member_id: i64) -> Result<Vec<FollowUpRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.id, f.at, u.display_name AS author_name, f.channel, f.body, f.stage_label, \
         f.stage_colour, f.state, f.next_date, f.corrects_id \
         FROM follow_ups f JOIN users u ON u.id = f.author_id \
         WHERE f.member_id = $1 ORDER BY f.at DESC, f.id DESC",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}

/// The member's open planned follow-up, if any.
pub async fn open_plan(pool: &PgPool, member_id: i64) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT due_date FROM planned_follow_ups WHERE member_id = $1 AND status = 'open'",
    )
    .bind(member_id)
    .fetch_optional(pool)
    .await
}
