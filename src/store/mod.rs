//! SQL, one file per aggregate. Every query over scoped data takes the
//! current user's scope and filters in SQL.
pub mod audit;
pub mod sessions;
pub mod users;
