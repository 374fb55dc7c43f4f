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
