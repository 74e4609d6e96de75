// `sqlx::migrate!` embeds the migrations at compile time but cannot tell cargo it read
// the directory; without this, adding a migration to a warm build leaves it out.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
