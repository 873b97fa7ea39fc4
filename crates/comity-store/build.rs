//! `sqlx::migrate!` embeds the migrations at compile time; without this a new migration
//! file is not picked up until some source file changes (as sqlx's documentation says).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
