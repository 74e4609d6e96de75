//! Issue 21: what the server writes in the data dir is its owner's only: the dir 0700,
//! the database, its WAL and SHM, `server.json` and the token files 0600.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Dirs, Server};

#[tokio::test]
async fn the_data_dir_and_what_the_server_writes_in_it_are_private() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    // A request that writes, so the WAL and SHM exist.
    server.get_json("/api/projects").await;
    let data = dirs.data();
    let mode = |name: &str| {
        std::fs::metadata(data.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "the data dir");
    for file in ["mira.db", "mira.db-wal", "mira.db-shm", "server.json"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    drop(server);
}
