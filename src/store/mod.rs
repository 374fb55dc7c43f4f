//! SQL, one file per aggregate. Every query over scoped data takes the
//! current user's scope and filters in SQL.
pub mod activity;
pub mod audit;
pub mod billing;
pub mod contacts;
pub mod dashboard;
pub mod deactivation;
pub mod districts;
pub mod engagement_thresholds;
pub mod escalations;
pub mod follow_ups;
pub mod groups;
pub mod import;
pub mod meeting_import;
pub mod meetings;
pub mod members;
pub mod password_links;
pub mod portfolios;
pub mod reasons;
pub mod renewals;
pub mod reports;
pub mod risk;
pub mod sessions;
pub mod timeline;
pub mod timeline_versions;
pub mod today;
pub mod users;

/// Whether `e` is the violation of the named constraint or unique index
/// (the database has the last word on races; the caller turns it into a
/// French message by the field).
pub fn violates(e: &sqlx::Error, constraint: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.constraint() == Some(constraint))
}

/// ` LIMIT n` (and ` OFFSET o`) written into the statement as numbers, not
/// bound as parameters. A bound LIMIT makes PostgreSQL plan the statement
/// again on every call: its generic plan has to assume a tenth of the
/// table, which always costs more than the plan made for the actual
/// figure, so the custom plan wins each time and its planning (half a
/// millisecond for a member list) is paid on every page. Written in, the
/// prepared statement keeps one plan per page size. Both are integers
/// computed by the server (never text from the request).
pub fn push_limit(qb: &mut sqlx::QueryBuilder<sqlx::Postgres>, limit: i64, offset: Option<i64>) {
    qb.push(format!(" LIMIT {}", limit.max(0)));
    if let Some(offset) = offset.filter(|&o| o > 0) {
        qb.push(format!(" OFFSET {offset}"));
    }
}
