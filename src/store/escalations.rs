//! Escalations: raising one, the receivers' moves (take charge, resolve,
//! escalate further), the queue, the chain, response times. Each write
//! runs in the caller's transaction with its audit rows.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::escalation::{self as rules, Action, EscalationDraft, Level, Status};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::audit::{self, Change};
use crate::store::members::push_scope;

/// An escalation with the names a page shows. Joined as `e`, its member
/// as `m` (so that `push_scope` applies).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscalationRow {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub district_id: i64,
    pub district_name: String,
    pub raised_by_name: String,
    pub raised_at: DateTime<Utc>,
    pub level: String,
    pub reason_label: Option<String>,
    pub body: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by_name: Option<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by_name: Option<String>,
    pub parent_id: Option<i64>,
}

impl EscalationRow {
    pub fn level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::District)
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Open)
    }
}

/// The columns of an `EscalationRow`, read from `e` (escalations, or a
/// page of them) and the joins of `JOINS`.
const COLUMNS: &str = "SELECT e.id, e.member_id, m.first_name || ' ' || m.last_name AS member_name, \
     m.district_id, d.name AS district_name, ru.display_name AS raised_by_name, e.raised_at, \
     e.level, r.label AS reason_label, e.body, e.due_on, e.status, e.acknowledged_at, \
     au.display_name AS acknowledged_by_name, e.resolution, e.resolved_at, \
     su.display_name AS resolved_by_name, e.parent_id";
const JOINS: &str = " JOIN members m ON m.id = e.member_id \
     JOIN districts d ON d.id = m.district_id JOIN users ru ON ru.id = e.raised_by \
     LEFT JOIN reasons r ON r.id = e.reason_id LEFT JOIN users au ON au.id = e.acknowledged_by \
     LEFT JOIN users su ON su.id = e.resolved_by";

fn select() -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::new(COLUMNS);
    qb.push(" FROM escalations e");
    qb.push(JOINS);
    qb
}

pub struct NewEscalation<'a> {
    pub member_id: i64,
    pub raised_by: i64,
    pub level: Level,
    pub reason_id: Option<i64>,
    pub body: &'a str,
    pub due_on: NaiveDate,
    pub parent_id: Option<i64>,
}

/// Opens an escalation (audited).
pub async fn insert(conn: &mut PgConnection, new: &NewEscalation<'_>) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO escalations (member_id, raised_by, level, reason_id, body, due_on, parent_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.member_id)
    .bind(new.raised_by)
    .bind(new.level.as_str())
    .bind(new.reason_id)
    .bind(new.body)
    .bind(new.due_on)
    .bind(new.parent_id)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        Some(new.raised_by),
        Change {
            entity: "escalation",
            entity_id: id,
            field: "Escalade ouverte",
            old_value: None,
            new_value: Some(new.level.label().to_string()),
        },
    )
    .await?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum RaiseError {
    #[error("membre introuvable")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Raises an escalation about a member in scope, due in 7 days.
pub async fn raise(
    conn: &mut PgConnection,
    scope: Scope,
    actor_id: i64,
    member_id: i64,
    draft: &EscalationDraft,
    today: NaiveDate,
) -> Result<i64, RaiseError> {
    let mut qb = QueryBuilder::new("SELECT m.id FROM members m WHERE m.id = ");
    qb.push_bind(member_id);
    push_scope(&mut qb, scope);
    qb.push(" FOR SHARE");
    let found: Option<i64> = qb.build_query_scalar().fetch_optional(&mut *conn).await?;
    found.ok_or(RaiseError::NotFound)?;
    let id = insert(
        conn,
        &NewEscalation {
            member_id,
            raised_by: actor_id,
            level: draft.level,
            reason_id: None,
            body: &draft.body,
            due_on: rules::due_on(today),
            parent_id: None,
        },
    )
    .await?;
    Ok(id)
}

/// One escalation, if its member is in scope.
pub async fn find(
    pool: &PgPool,
    scope: Scope,
    id: i64,
) -> Result<Option<EscalationRow>, sqlx::Error> {
    let mut qb = select();
    qb.push(" WHERE e.id = ");
    qb.push_bind(id);
    push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(pool).await
}

/// The whole chain an escalation belongs to (its root and every
/// escalation opened from it), oldest first. All share one member.
pub async fn chain(pool: &PgPool, id: i64) -> Result<Vec<EscalationRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "WITH RECURSIVE up AS ( \
           SELECT id, parent_id, 0 AS depth FROM escalations WHERE id = ",
    );
    qb.push_bind(id);
    qb.push(
        " UNION ALL SELECT p.id, p.parent_id, up.depth + 1 FROM escalations p \
           JOIN up ON p.id = up.parent_id WHERE up.depth < 50), \
         down AS ( \
           SELECT id, 0 AS depth FROM up WHERE parent_id IS NULL \
           UNION ALL SELECT c.id, down.depth + 1 FROM escalations c \
           JOIN down ON c.parent_id = down.id WHERE down.depth < 50) ",
    );
    qb.push(COLUMNS);
    qb.push(" FROM escalations e");
    qb.push(JOINS);
    qb.push(" WHERE e.id IN (SELECT id FROM down) ORDER BY e.raised_at, e.id");
    qb.build_query_as().fetch_all(pool).await
}

/// A member's escalations, newest first.
pub async fn of_member(pool: &PgPool, member_id: i64) -> Result<Vec<EscalationRow>, sqlx::Error> {
    let mut qb = select();
    qb.push(" WHERE e.member_id = ");
    qb.push_bind(member_id);
    qb.push(" ORDER BY e.raised_at DESC, e.id DESC");
    qb.build_query_as().fetch_all(pool).await
}

/// Whose queue it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueView {
    /// Direction: every escalation.
    Network,
    /// A district manager: district-level escalations of their district.
    District(i64),
    /// A representative: those they raised, about members in their scope.
    RaisedBy { user_id: i64, scope: Scope },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// « À traiter »: open or taken in charge.
    #[default]
    Pending,
    Open,
    Acknowledged,
    Overdue,
    Resolved,
    Escalated,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub level: Option<Level>,
    pub status: StatusFilter,
    pub district_id: Option<i64>,
}

fn push_queue_where(
    qb: &mut QueryBuilder<Postgres>,
    view: QueueView,
    f: &QueueFilter,
    today: NaiveDate,
) {
    qb.push(" WHERE true");
    match view {
        QueueView::Network => {}
        QueueView::District(d) => {
            // Written in (a number from the session, never from the
            // request): bound, PostgreSQL planned this join again on every
            // call (1.2 ms), its generic plan costing more than the one for
            // the district at hand; a district's statement keeps its plan.
            qb.push(format!(" AND e.level = 'district' AND m.district_id = {d}"));
        }
        QueueView::RaisedBy { user_id, scope } => {
            qb.push(" AND e.raised_by = ");
            qb.push_bind(user_id);
            push_scope(qb, scope);
        }
    }
    if let Some(level) = f.level {
        qb.push(" AND e.level = ");
        qb.push_bind(level.as_str());
    }
    if let Some(d) = f.district_id {
        qb.push(" AND m.district_id = ");
        qb.push_bind(d);
    }
    push_status_where(qb, f.status, today);
}

/// `AND …` of a status filter (alias `e`).
fn push_status_where(qb: &mut QueryBuilder<Postgres>, status: StatusFilter, today: NaiveDate) {
    match status {
        StatusFilter::Pending => {
            qb.push(" AND e.status IN ('open', 'acknowledged')");
        }
        StatusFilter::Open => {
            qb.push(" AND e.status = 'open'");
        }
        StatusFilter::Acknowledged => {
            qb.push(" AND e.status = 'acknowledged'");
        }
        StatusFilter::Overdue => {
            qb.push(" AND e.status IN ('open', 'acknowledged') AND e.due_on < ");
            qb.push_bind(today);
        }
        StatusFilter::Resolved => {
            qb.push(" AND e.status = 'resolved'");
        }
        StatusFilter::Escalated => {
            qb.push(" AND e.status = 'escalated'");
        }
        StatusFilter::All => {}
    }
}

/// `FROM escalations e`, joined to their members only when the view or
/// the filter reads them (a district, a portfolio): the network's queue
/// is chosen, counted and sorted on escalations alone.
fn push_queue_from(qb: &mut QueryBuilder<Postgres>, view: QueueView, filter: &QueueFilter) {
    qb.push(" FROM escalations e");
    if view != QueueView::Network || filter.district_id.is_some() {
        qb.push(" JOIN members m ON m.id = e.member_id");
    }
}

/// Overdue first, then by due date. Among escalations waiting for an
/// answer, the overdue ones are exactly those due before today, so the
/// due date alone gives that order (and the queue « À traiter » is a walk
/// of its index, migration 0021).
fn push_queue_order(qb: &mut QueryBuilder<Postgres>, filter: &QueueFilter, today: NaiveDate) {
    match filter.status {
        StatusFilter::Pending
        | StatusFilter::Open
        | StatusFilter::Acknowledged
        | StatusFilter::Overdue => {
            qb.push(" ORDER BY e.due_on, e.id");
        }
        StatusFilter::Resolved | StatusFilter::Escalated | StatusFilter::All => {
            qb.push(" ORDER BY (e.status IN ('open', 'acknowledged') AND e.due_on < ");
            qb.push_bind(today);
            qb.push(") DESC, e.due_on, e.id");
        }
    }
}

/// The whole queue, overdue first, then by due date: the CSV export
/// streams it.
pub fn queue_query(
    view: QueueView,
    filter: &QueueFilter,
    today: NaiveDate,
) -> QueryBuilder<Postgres> {
    let mut qb = select();
    push_queue_where(&mut qb, view, filter, today);
    push_queue_order(&mut qb, filter, today);
    qb
}

/// A page of the queue, overdue first, then by due date. The page is
/// chosen among the escalations first; only its rows are joined to
/// names.
pub async fn queue_page(
    pool: &PgPool,
    view: QueueView,
    filter: &QueueFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<Vec<EscalationRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(COLUMNS);
    qb.push(" FROM (SELECT e.*");
    push_queue_from(&mut qb, view, filter);
    push_queue_where(&mut qb, view, filter, today);
    push_queue_order(&mut qb, filter, today);
    crate::store::push_limit(&mut qb, limit, Some(offset));
    qb.push(") e");
    qb.push(JOINS);
    push_queue_order(&mut qb, filter, today);
    qb.build_query_as().fetch_all(pool).await
}

/// How many escalations the queue holds.
pub async fn queue_count(
    pool: &PgPool,
    view: QueueView,
    filter: &QueueFilter,
    today: NaiveDate,
) -> Result<i64, sqlx::Error> {
    let mut qb = QueryBuilder::new("SELECT ");
    if tallied(view) {
        qb.push("COALESCE(sum(e.escalations), 0)::bigint FROM escalation_days e");
        push_tally_where(&mut qb, view, filter, today);
    } else {
        qb.push("count(*)");
        push_queue_from(&mut qb, view, filter);
        push_queue_where(&mut qb, view, filter, today);
    }
    qb.build_query_scalar().fetch_one(pool).await
}

/// Whether a view's figures can be read from the tally of escalations per
/// district, level, status and due date (migration 0030): direction's and
/// a district manager's can; a representative's, chosen by who raised
/// them, cannot.
fn tallied(view: QueueView) -> bool {
    matches!(view, QueueView::Network | QueueView::District(_))
}

/// [`push_queue_where`] on the tally (alias `e`: its district is
/// `e.district_id`).
fn push_tally_where(
    qb: &mut QueryBuilder<Postgres>,
    view: QueueView,
    f: &QueueFilter,
    today: NaiveDate,
) {
    let mut view_district = None;
    if let QueueView::District(d) = view {
        qb.push(" WHERE e.level = 'district' AND e.district_id = ");
        qb.push_bind(d);
        view_district = Some(d);
    } else {
        qb.push(" WHERE true");
    }
    if let Some(level) = f.level {
        qb.push(" AND e.level = ");
        qb.push_bind(level.as_str());
    }
    if let Some(d) = f.district_id.filter(|&d| Some(d) != view_district) {
        qb.push(" AND e.district_id = ");
        qb.push_bind(d);
    }
    push_status_where(qb, f.status, today);
}

/// A page of the queue and the total.
pub async fn queue(
    pool: &PgPool,
    view: QueueView,
    filter: &QueueFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EscalationRow>, i64), sqlx::Error> {
    let rows = queue_page(pool, view, filter, today, limit, offset).await?;
    let total = queue_count(pool, view, filter, today).await?;
    Ok((rows, total))
}

/// First responses of one person (who acknowledged, or else resolved,
/// an escalation): how many, their median delay in seconds, and how many
/// came after the due date.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FirstResponses {
    pub receiver_name: String,
    pub count: i64,
    pub median_seconds: i64,
    pub late: i64,
}

/// First responses to the escalations raised since `since`, per person,
/// by name: aggregated by the database (one row per person, however many
/// escalations the network has), from the answered escalations' index
/// (0043), before the dozen people are looked up. The median is that of
/// whole seconds, the two middle ones averaged down when their number is
/// even; « late » is a response on a day (in `time_zone`) after the due
/// date.
pub async fn first_responses(
    pool: &PgPool,
    since: DateTime<Utc>,
    time_zone: &str,
) -> Result<Vec<FirstResponses>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.display_name AS receiver_name, a.count, a.median_seconds, a.late \
         FROM (SELECT r.receiver_id, count(*) AS count, \
                      floor(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.seconds))::bigint \
                          AS median_seconds, \
                      count(*) FILTER (WHERE r.late) AS late \
               FROM (SELECT CASE WHEN e.acknowledged_at IS NOT NULL THEN e.acknowledged_by \
                                 ELSE e.resolved_by END AS receiver_id, \
                            trunc(date_part('epoch', COALESCE(e.acknowledged_at, \
                                                              e.resolved_at) - e.raised_at)) \
                                AS seconds, \
                            (COALESCE(e.acknowledged_at, e.resolved_at) AT TIME ZONE $2)::date \
                                > e.due_on AS late \
                     FROM escalations e \
                     WHERE e.raised_at >= $1 \
                       AND COALESCE(e.acknowledged_at, e.resolved_at) IS NOT NULL) r \
               GROUP BY r.receiver_id) a \
         JOIN users u ON u.id = a.receiver_id \
         ORDER BY u.display_name, u.id",
    )
    .bind(since)
    .bind(time_zone)
    .fetch_all(pool)
    .await
}

/// The acting user, as the rules need them.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub id: i64,
    pub role: Role,
    pub district_id: Option<i64>,
    pub scope: Scope,
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("introuvable")]
    NotFound,
    #[error("pas destinataire")]
    NotReceiver,
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Takes `action` on an escalation (locked first, so that two receivers
/// acting at once cannot both succeed). `text` is the resolution or the
/// new escalation's text. Returns the new escalation when escalating.
pub async fn act(
    conn: &mut PgConnection,
    actor: Actor,
    id: i64,
    action: Action,
    text: &str,
    today: NaiveDate,
) -> Result<Option<i64>, ActError> {
    let mut qb = QueryBuilder::new(
        "SELECT e.level, e.status, m.district_id, e.member_id, e.reason_id \
         FROM escalations e JOIN members m ON m.id = e.member_id WHERE e.id = ",
    );
    qb.push_bind(id);
    push_scope(&mut qb, actor.scope);
    qb.push(" FOR UPDATE OF e");
    let row: Option<(String, String, i64, i64, Option<i64>)> =
        qb.build_query_as().fetch_optional(&mut *conn).await?;
    let (level, status, district_id, member_id, reason_id) = row.ok_or(ActError::NotFound)?;
    let level = Level::parse(&level).ok_or(ActError::NotFound)?;
    let status = Status::parse(&status).ok_or(ActError::NotFound)?;
    if !level.received_by(actor.role, actor.district_id, district_id) {
        return Err(ActError::NotReceiver);
    }
    let next = rules::check(action, level, status).map_err(ActError::Refused)?;
    let (new_status, child) = match action {
        Action::Acknowledge => {
            sqlx::query(
                "UPDATE escalations SET status = 'acknowledged', acknowledged_at = now(), \
                 acknowledged_by = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(actor.id)
            .execute(&mut *conn)
            .await?;
            (Status::Acknowledged, None)
        }
        Action::Resolve => {
            sqlx::query(
                "UPDATE escalations SET status = 'resolved', resolution = $3, \
                 resolved_at = now(), resolved_by = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(actor.id)
            .bind(text)
            .execute(&mut *conn)
            .await?;
            (Status::Resolved, None)
        }
        Action::EscalateUp => {
            let next = next.ok_or(ActError::Refused("Il n'y a pas de niveau supérieur."))?;
            let child = insert(
                conn,
                &NewEscalation {
                    member_id,
                    raised_by: actor.id,
                    level: next,
                    reason_id,
                    body: text,
                    due_on: rules::due_on(today),
                    parent_id: Some(id),
                },
            )
            .await?;
            // Escalating is this receiver's answer: it counts as taking
            // charge when nobody had yet.
            sqlx::query(
                "UPDATE escalations SET status = 'escalated', \
                 acknowledged_at = COALESCE(acknowledged_at, now()), \
                 acknowledged_by = COALESCE(acknowledged_by, $2) WHERE id = $1",
            )
            .bind(id)
            .bind(actor.id)
            .execute(&mut *conn)
            .await?;
            (Status::Escalated, Some(child))
        }
    };
    audit::record(
        conn,
        Some(actor.id),
        Change {
            entity: "escalation",
            entity_id: id,
            field: "Statut",
            old_value: Some(status.label().to_string()),
            new_value: Some(new_status.label().to_string()),
        },
    )
    .await?;
    if action == Action::Resolve {
        audit::record(
            conn,
            Some(actor.id),
            Change {
                entity: "escalation",
                entity_id: id,
                field: "Résolution",
                old_value: None,
                new_value: Some(text.to_string()),
            },
        )
        .await?;
    }
    Ok(child)
}

/// The audit rows of some escalations, oldest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub entity_id: i64,
    pub at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

pub async fn audit_trail(pool: &PgPool, ids: &[i64]) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.entity_id, a.at, u.display_name AS actor_name, a.field, a.old_value, a.new_value \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.entity = 'escalation' AND a.entity_id = ANY($1) ORDER BY a.at, a.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// Escalations waiting for an answer in `view`, and how many of them are
/// past their 7 days (for the home pages).
pub async fn pending_counts(
    pool: &PgPool,
    view: QueueView,
    today: NaiveDate,
) -> Result<(i64, i64), sqlx::Error> {
    let filter = QueueFilter {
        status: StatusFilter::Pending,
        ..QueueFilter::default()
    };
    let mut qb = QueryBuilder::new("SELECT ");
    if tallied(view) {
        qb.push(
            "COALESCE(sum(e.escalations), 0)::bigint, \
             COALESCE(sum(e.escalations) FILTER (WHERE e.due_on < ",
        );
        qb.push_bind(today);
        qb.push("), 0)::bigint FROM escalation_days e");
        push_tally_where(&mut qb, view, &filter, today);
    } else {
        qb.push("count(*), count(*) FILTER (WHERE e.due_on < ");
        qb.push_bind(today);
        qb.push(")");
        push_queue_from(&mut qb, view, &filter);
        push_queue_where(&mut qb, view, &filter, today);
    }
    qb.build_query_as().fetch_one(pool).await
}
