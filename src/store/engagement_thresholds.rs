//! The engagement light's thresholds: one row, read by the member file and
//! edited by direction, each changed value audited in the same transaction.
use sqlx::{PgConnection, PgPool};

use crate::domain::engagement_light::Thresholds;
use crate::store::audit::{self, Change};

/// The audit log's entity for the thresholds (one row: id 1).
pub const ENTITY: &str = "engagement_thresholds";

type Row = (i32, i32, i32, i32, i32);

fn thresholds(r: Row) -> Thresholds {
    Thresholds {
        min_meetings: r.0,
        red_attendance: r.1,
        yellow_attendance: r.2,
        red_received: r.3,
        yellow_drop: r.4,
    }
}

const SELECT: &str = "SELECT min_meetings, red_attendance, yellow_attendance, red_received, \
                      yellow_drop FROM engagement_thresholds";

/// The thresholds in force (the defaults if the row is missing).
pub async fn load(pool: &PgPool) -> Result<Thresholds, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(SELECT).fetch_optional(pool).await?;
    Ok(row.map(thresholds).unwrap_or_default())
}

/// Saves `new` and writes one audit row per changed value; returns how
/// many values changed. The row is locked so that two saves queue.
pub async fn save(
    conn: &mut PgConnection,
    actor: i64,
    new: &Thresholds,
) -> Result<usize, sqlx::Error> {
    let old: Option<Row> = sqlx::query_as(
        "SELECT min_meetings, red_attendance, yellow_attendance, red_received, yellow_drop \
         FROM engagement_thresholds FOR UPDATE",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let old = old.map(thresholds).unwrap_or_default();
    let fields = [
        (
            "Rencontres au minimum",
            old.min_meetings,
            new.min_meetings,
            "",
        ),
        (
            "Présence : seuil rouge",
            old.red_attendance,
            new.red_attendance,
            " %",
        ),
        (
            "Présence : seuil jaune",
            old.yellow_attendance,
            new.yellow_attendance,
            " %",
        ),
        (
            "Références reçues : seuil rouge",
            old.red_received,
            new.red_received,
            "",
        ),
        (
            "Baisse des références : seuil jaune",
            old.yellow_drop,
            new.yellow_drop,
            " %",
        ),
    ];
    let mut changed = 0;
    for (field, before, after, unit) in fields {
        if before == after {
            continue;
        }
        changed += 1;
        audit::record(
            conn,
            Some(actor),
            Change {
                entity: ENTITY,
                entity_id: 1,
                field,
                old_value: Some(format!("{before}{unit}")),
                new_value: Some(format!("{after}{unit}")),
            },
        )
        .await?;
    }
    if changed > 0 {
        sqlx::query(
            "INSERT INTO engagement_thresholds (only_row, min_meetings, red_attendance, \
             yellow_attendance, red_received, yellow_drop, updated_by, updated_at) \
             VALUES (true, $1, $2, $3, $4, $5, $6, now()) \
             ON CONFLICT (only_row) DO UPDATE SET min_meetings = $1, red_attendance = $2, \
             yellow_attendance = $3, red_received = $4, yellow_drop = $5, updated_by = $6, \
             updated_at = now()",
        )
        .bind(new.min_meetings)
        .bind(new.red_attendance)
        .bind(new.yellow_attendance)
        .bind(new.red_received)
        .bind(new.yellow_drop)
        .bind(actor)
        .execute(&mut *conn)
        .await?;
    }
    Ok(changed)
}

/// The changes to the thresholds, newest first: (when, who, field, old, new).
pub async fn history(pool: &PgPool, limit: i64) -> Result<Vec<HistoryLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.at, u.display_name, a.field, a.old_value, a.new_value FROM audit_log a \
         LEFT JOIN users u ON u.id = a.actor_id WHERE a.entity = $1 AND a.entity_id = 1 \
         ORDER BY a.at DESC, a.id DESC LIMIT $2",
    )
    .bind(ENTITY)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub type HistoryLine = (
    chrono::DateTime<chrono::Utc>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);
