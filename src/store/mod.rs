//! SQL, one file per aggregate. Every query over scoped data takes the
//! current user's scope and filters in SQL.
pub mod activity;
pub mod audit;
pub mod billing;
pub mod contacts;
pub mod dashboard;
pub mod deactivation;
pub mod districts;
pub mod escalations;
pub mod follow_ups;
pub mod groups;
pub mod import;
pub mod meetings;
pub mod members;
pub mod password_links;
pub mod portfolios;
pub mod reasons;
pub mod renewals;
pub mod reports;
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
