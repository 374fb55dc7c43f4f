//! SQL, one file per aggregate. Every query over scoped data takes the
//! current user's scope and filters in SQL.
pub mod activity;
pub mod audit;
pub mod billing;
pub mod districts;
pub mod escalations;
pub mod follow_ups;
pub mod groups;
pub mod import;
pub mod members;
pub mod reasons;
pub mod renewals;
pub mod sessions;
pub mod timeline;
pub mod today;
pub mod users;
