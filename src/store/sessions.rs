//! Sessions stored in PostgreSQL: they survive restarts and work with
//! several app servers. Only the token's hash is stored.
use std::time::Duration;

use sqlx::PgPool;

use crate::store::users::{User, UserRow, user_columns};

pub async fn create(
    conn: &mut sqlx::PgConnection,
    user_id: i64,
    token_hash: &[u8],
    max_age: Duration,
) -> Result<(), sqlx::Error> {
    let secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX / 2);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(secs as f64)
    .execute(conn)
    .await?;
    Ok(())
}

/// The active user of a live session; refreshes its idle clock at most once a
/// minute so that browsing does not write on every request.
pub async fn user_for(
    pool: &PgPool,
    token_hash: &[u8],
    idle: Duration,
) -> Result<Option<User>, sqlx::Error> {
    let idle_secs = idle.as_secs() as f64;
    let sql = concat!(
        "WITH live AS ( \
           SELECT s.user_id FROM sessions s \
           WHERE s.token_hash = $1 AND s.expires_at > now() \
             AND s.last_seen_at > now() - make_interval(secs => $2) \
         ), touch AS ( \
           UPDATE sessions SET last_seen_at = now() \
           WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute' \
             AND EXISTS (SELECT 1 FROM live) \
         ) SELECT ",
        user_columns!(),
        " FROM live \
         JOIN users u ON u.id = live.user_id AND u.active \
         LEFT JOIN districts d ON d.id = u.district_id"
    );
    let row: Option<UserRow> = sqlx::query_as(sql)
        .bind(token_hash)
        .bind(idle_secs)
        .fetch_optional(pool)
        .await?;
    row.map(UserRow::into_user).transpose()
}

pub async fn delete(pool: &PgPool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes expired sessions (called now and then at login).
pub async fn purge_expired(
    conn: &mut sqlx::PgConnection,
    idle: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM sessions WHERE expires_at < now() \
         OR last_seen_at < now() - make_interval(secs => $1)",
    )
    .bind(idle.as_secs() as f64)
    .execute(conn)
    .await?;
    Ok(())
}
