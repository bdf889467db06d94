//! The migrations are embedded by `sqlx::migrate!`; a new or changed migration file must
//! rebuild the crate, which cargo only knows if told (sqlx's own advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
