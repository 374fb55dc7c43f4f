//! Pure rules and types: no IO, no axum, no sqlx.
pub mod billing;
pub mod catalogue;
pub mod chart;
pub mod contact;
pub mod engagement;
pub mod escalation;
pub mod follow_up;
pub mod format;
pub mod formula;
pub mod import;
pub mod member;
pub mod report;
pub mod scope;
pub mod timeline;
pub mod timeline_edit;
pub mod user;
pub mod validation;
