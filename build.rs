//! `sqlx::migrate!` embeds migrations/ when src/db/mod.rs is compiled, and
//! cargo does not know that a new file there changes the binary: without
//! this, a new migration is missing from the server and the tests until
//! some Rust file changes (sqlx's documented fix).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
