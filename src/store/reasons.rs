//! The reasons catalogue and the reasons members gave. Recording a reason
//! adds it to the follow-up history and, when the reason says so, opens an
//! escalation: all in the caller's transaction, with the audit row.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, QueryBuilder};

use crate::domain::catalogue::ReasonEntry as CatalogueEntry;
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

    let late = crate::store::follow_ups::late_start(conn, member_id).await?;
    let stage = (status == "active")
        .then(|| {
            Formula::parse(&formula)
                .and_then(|f| timelines.current_late(f, renewal, term, today, late))
        })
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

// -- The catalogue as direction edits it (issue 9, point 3). --

/// A reason of the catalogue with what the editing page needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogueReason {
    pub id: i64,
    pub category: String,
    pub label: String,
    pub answer: String,
    pub escalation_level: Option<String>,
    /// 1-based place within the category (retired reasons keep theirs).
    pub position: i32,
    pub active: bool,
    pub version: i32,
    /// Recorded for a member, given as a departure's reason, or behind an
    /// escalation: then it may be retired, never deleted.
    pub used: bool,
}

impl CatalogueReason {
    pub fn category(&self) -> ReasonCategory {
        ReasonCategory::parse(&self.category).unwrap_or(ReasonCategory::Recoverable)
    }

    pub fn escalation_level(&self) -> Option<Level> {
        self.escalation_level.as_deref().and_then(Level::parse)
    }
}

const CATALOGUE_COLUMNS: &str = "r.id, r.category, r.label, r.answer, r.escalation_level, \
     r.position, r.active, r.version, \
     (EXISTS (SELECT 1 FROM member_reasons mr WHERE mr.reason_id = r.id) \
      OR EXISTS (SELECT 1 FROM members m WHERE m.lost_reason_id = r.id) \
      OR EXISTS (SELECT 1 FROM escalations e WHERE e.reason_id = r.id)) AS used";

const CATEGORY_ORDER: &str = "CASE r.category WHEN 'irrecoverable' THEN 1 \
     WHEN 'recoverable' THEN 2 ELSE 3 END";

/// Every reason, retired ones included, by category then position.
pub async fn catalogue_all(pool: &PgPool) -> Result<Vec<CatalogueReason>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CATALOGUE_COLUMNS} FROM reasons r ORDER BY {CATEGORY_ORDER}, r.position, r.id"
    )))
    .fetch_all(pool)
    .await
}

pub async fn find_in_catalogue(
    pool: &PgPool,
    id: i64,
) -> Result<Option<CatalogueReason>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CATALOGUE_COLUMNS} FROM reasons r WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("raison introuvable")]
    NotFound,
    /// Someone saved this reason since the form was drawn.
    #[error("raison modifiée entre-temps")]
    Stale,
    /// Referenced by a member's history, a departure or an escalation.
    #[error("raison déjà utilisée")]
    InUse,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Locks the reasons of the categories touched, so that two moves in the
/// same category run one after the other.
async fn lock_categories(
    conn: &mut PgConnection,
    categories: &[ReasonCategory],
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    sqlx::query("SELECT id FROM reasons WHERE category = ANY($1) ORDER BY id FOR UPDATE")
        .bind(names)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Puts reason `id` in `category` at place `wanted` (clamped; the end when
/// `None`) and numbers the category 1, 2, 3… again. Returns the place.
async fn place_in(
    conn: &mut PgConnection,
    id: i64,
    category: ReasonCategory,
    wanted: Option<i32>,
) -> Result<i32, sqlx::Error> {
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM reasons WHERE category = $1 AND id <> $2")
            .bind(category.as_str())
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let place = crate::domain::catalogue::place(wanted, i32::try_from(others).unwrap_or(i32::MAX));
    sqlx::query(
        "WITH others AS (SELECT id, row_number() OVER (ORDER BY position, id) AS r \
         FROM reasons WHERE category = $1 AND id <> $2) \
         UPDATE reasons SET position = CASE WHEN o.r < $3 THEN o.r ELSE o.r + 1 END \
         FROM others o WHERE reasons.id = o.id",
    )
    .bind(category.as_str())
    .bind(id)
    .bind(i64::from(place))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE reasons SET category = $1, position = $2 WHERE id = $3")
        .bind(category.as_str())
        .bind(place)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(place)
}

/// Numbers a category 1, 2, 3… again (after a reason left it).
async fn renumber(conn: &mut PgConnection, category: ReasonCategory) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH ranked AS (SELECT id, row_number() OVER (ORDER BY position, id) AS r \
         FROM reasons WHERE category = $1) \
         UPDATE reasons SET position = ranked.r FROM ranked WHERE reasons.id = ranked.id",
    )
    .bind(category.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn level_text(level: Option<Level>) -> String {
    level.map_or("aucune", Level::label).to_string()
}

async fn audit_reason(
    conn: &mut PgConnection,
    actor: i64,
    id: i64,
    field: &str,
    old_value: Option<String>,
    new_value: Option<String>,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        Some(actor),
        Change {
            entity: "reason",
            entity_id: id,
            field,
            old_value,
            new_value,
        },
    )
    .await
}

/// Adds a reason to the catalogue; returns its id.
pub async fn create_reason(
    conn: &mut PgConnection,
    actor: i64,
    entry: &CatalogueEntry,
) -> Result<i64, sqlx::Error> {
    lock_categories(conn, &[entry.category]).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reasons (category, position, label, answer, escalation_level) \
         VALUES ($1, 0, $2, $3, $4) RETURNING id",
    )
    .bind(entry.category.as_str())
    .bind(&entry.label)
    .bind(&entry.answer)
    .bind(entry.escalation_level.map(Level::as_str))
    .fetch_one(&mut *conn)
    .await?;
    let place = place_in(conn, id, entry.category, entry.position).await?;
    let summary = format!(
        "{} ({}, rang {place}, escalade : {})",
        entry.label,
        entry.category.label(),
        level_text(entry.escalation_level)
    );
    audit_reason(conn, actor, id, "Raison ajoutée", None, Some(summary)).await?;
    Ok(id)
}

/// Saves an edit made on `version`; refused if someone saved meanwhile.
pub async fn update_reason(
    conn: &mut PgConnection,
    actor: i64,
    id: i64,
    version: i32,
    entry: &CatalogueEntry,
) -> Result<(), CatalogueError> {
    let current: Option<(String, String, String, Option<String>, i32, i32)> = sqlx::query_as(
        "SELECT category, label, answer, escalation_level, position, version FROM reasons \
         WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (category, label, answer, level, position, current_version) =
        current.ok_or(CatalogueError::NotFound)?;
    if current_version != version {
        return Err(CatalogueError::Stale);
    }
    let old_category = ReasonCategory::parse(&category).unwrap_or(ReasonCategory::Recoverable);
    lock_categories(conn, &[old_category, entry.category]).await?;
    sqlx::query(
        "UPDATE reasons SET label = $2, answer = $3, escalation_level = $4, \
         version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(&entry.label)
    .bind(&entry.answer)
    .bind(entry.escalation_level.map(Level::as_str))
    .execute(&mut *conn)
    .await?;
    let place = place_in(conn, id, entry.category, entry.position.or(Some(position))).await?;
    if old_category != entry.category {
        renumber(conn, old_category).await?;
    }
    let old_level = level.as_deref().and_then(Level::parse);
    let changes: [(&str, String, String); 5] = [
        ("Libellé", label, entry.label.clone()),
        ("Réponse suggérée", answer, entry.answer.clone()),
        (
            "Catégorie",
            old_category.label().to_string(),
            entry.category.label().to_string(),
        ),
        (
            "Niveau d'escalade",
            level_text(old_level),
            level_text(entry.escalation_level),
        ),
        ("Rang", position.to_string(), place.to_string()),
    ];
    for (field, old, new) in changes {
        if old != new {
            audit_reason(conn, actor, id, field, Some(old), Some(new)).await?;
        }
    }
    Ok(())
}

/// Moves a reason one place up (`-1`) or down (`+1`) in its category.
/// Returns whether it moved.
pub async fn move_reason(
    conn: &mut PgConnection,
    actor: i64,
    id: i64,
    delta: i32,
) -> Result<bool, CatalogueError> {
    let current: Option<(String, i32)> =
        sqlx::query_as("SELECT category, position FROM reasons WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (category, position) = current.ok_or(CatalogueError::NotFound)?;
    let category = ReasonCategory::parse(&category).unwrap_or(ReasonCategory::Recoverable);
    lock_categories(conn, &[category]).await?;
    let wanted = position.saturating_add(delta).max(1);
    let place = place_in(conn, id, category, Some(wanted)).await?;
    if place == position {
        return Ok(false);
    }
    sqlx::query("UPDATE reasons SET version = version + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit_reason(
        conn,
        actor,
        id,
        "Rang",
        Some(position.to_string()),
        Some(place.to_string()),
    )
    .await?;
    Ok(true)
}

/// Retires (`false`) or re-activates (`true`) a reason. A retired reason
/// leaves the forms where reasons are chosen and stays wherever it was
/// used. Returns whether anything changed.
pub async fn set_reason_active(
    conn: &mut PgConnection,
    actor: i64,
    id: i64,
    active: bool,
) -> Result<bool, CatalogueError> {
    let was: Option<bool> =
        sqlx::query_scalar("SELECT active FROM reasons WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let was = was.ok_or(CatalogueError::NotFound)?;
    if was == active {
        return Ok(false);
    }
    sqlx::query("UPDATE reasons SET active = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(active)
        .execute(&mut *conn)
        .await?;
    let yes_no = |b: bool| if b { "oui" } else { "non" }.to_string();
    audit_reason(
        conn,
        actor,
        id,
        "Active",
        Some(yes_no(was)),
        Some(yes_no(active)),
    )
    .await?;
    Ok(true)
}

/// Deletes a reason nobody ever used; a used one is refused (`InUse`).
/// Returns the label deleted.
pub async fn delete_reason(
    conn: &mut PgConnection,
    actor: i64,
    id: i64,
) -> Result<String, CatalogueError> {
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT category, label FROM reasons WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (category, label) = current.ok_or(CatalogueError::NotFound)?;
    // The row lock above makes a new reference wait for this transaction;
    // the foreign keys have the last word all the same.
    let used: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM member_reasons WHERE reason_id = $1) \
         OR EXISTS (SELECT 1 FROM members WHERE lost_reason_id = $1) \
         OR EXISTS (SELECT 1 FROM escalations WHERE reason_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if used {
        return Err(CatalogueError::InUse);
    }
    let deleted = sqlx::query("DELETE FROM reasons WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await;
    match deleted {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23503") => {
            return Err(CatalogueError::InUse);
        }
        other => {
            other?;
        }
    }
    let category = ReasonCategory::parse(&category).unwrap_or(ReasonCategory::Recoverable);
    renumber(conn, category).await?;
    audit_reason(
        conn,
        actor,
        id,
        "Raison supprimée",
        Some(label.clone()),
        None,
    )
    .await?;
    Ok(label)
}
