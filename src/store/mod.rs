//! SQL, one file per aggregate. Every query over scoped data takes the
//! current user's scope and filters in SQL.
pub mod activity;
pub mod audit;
pub mod districts;
pub mod follow_ups;
pub mod groups;
pub mod members;
pub mod sessions;
pub mod timeline;
pub mod today;
pub mod users;
