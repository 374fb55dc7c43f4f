//! Pure rules and types: no IO, no axum, no sqlx.
pub mod formula;
pub mod timeline;
pub mod user;
