//! The audit log: written in the same transaction as the change it records.
use sqlx::PgConnection;

pub struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: i64,
    pub field: &'a str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

pub async fn record(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    change: Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, field, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor_id)
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(change.field)
    .bind(change.old_value)
    .bind(change.new_value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who made the latest recorded change to an entity, and when (for a
/// refused save: « X a enregistré … le … »).
pub async fn last_change(
    pool: &sqlx::PgPool,
    entity: &str,
    entity_id: i64,
) -> Result<Option<(Option<String>, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.display_name, a.at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.at DESC, a.id DESC LIMIT 1",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_optional(pool)
    .await
}
