//! One writer per project at a time in this process: the keyword index and the dense
//! filler interleave batch by batch, never inside one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

type Locks = Mutex<HashMap<(PathBuf, i64), Arc<tokio::sync::Mutex<()>>>>;

pub(crate) fn project_lock(db: &mira_store::Db, project_id: i64) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Locks> = OnceLock::new();
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    Arc::clone(map.entry((db.path().to_path_buf(), project_id)).or_default())
}
