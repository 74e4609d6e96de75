//! Saving a file from the editor: confined like every file route, written atomically,
//! and never over a version the client has not seen.
//!
//! The client sends the hash of the text it opened (`hash` from `GET .../file`). When
//! the disk holds something else (another editor, a build, `git checkout`), the save is
//! refused with 409 and the disk's text, so the user chooses; an overwrite is a second
//! save naming the disk's hash, never a silent one.

use std::io::Read;
use std::path::Path as FsPath;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mira_agent::fsutil::write_atomic;
use mira_core::ErrorCode;
use mira_store::projects;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::confine;
use crate::error::ApiError;
use crate::state::AppState;

/// Saves through this server are one at a time, so two tabs saving the same base cannot
/// both pass the check and the second overwrite the first.
static SAVING: Mutex<()> = Mutex::new(());

#[derive(Debug, Deserialize)]
pub struct SaveRequest {
    pub path: String,
    pub content: String,
    /// SHA-256 (hex) of the text the client opened; `null` to create a file that must
    /// not exist yet.
    #[serde(default)]
    pub base_hash: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Saved {
    pub path: String,
    pub hash: String,
    pub size: u64,
}

/// What is on disk when a save is refused as stale.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct OnDisk {
    pub exists: bool,
    pub hash: Option<String>,
    /// `null` when the file is gone or not UTF-8 text any more.
    pub content: Option<String>,
}

#[derive(Debug)]
pub enum SaveRefusal {
    Api(ApiError),
    Stale(OnDisk),
}

impl From<ApiError> for SaveRefusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl IntoResponse for SaveRefusal {
    fn into_response(self) -> Response {
        match self {
            Self::Api(e) => e.into_response(),
            Self::Stale(current) => {
                let message = if current.exists {
                    "the file changed on disk since it was opened; nothing was written"
                } else {
                    "the file was removed from disk since it was opened; nothing was written"
                };
                let body = json!({
                    "error": {"code": ErrorCode::Conflict, "message": message},
                    "current": current,
                });
                (StatusCode::CONFLICT, Json(body)).into_response()
            }
        }
    }
}

/// `PUT /api/projects/{id}/file`.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(request): Json<SaveRequest>,
) -> Result<Json<Saved>, SaveRefusal> {
    let project = projects::get(&state.db, id).await.map_err(ApiError::from)?;
    let max = state.config.server.max_file_bytes;
    if request.content.len() as u64 > max {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "{} bytes is over MIRA_MAX_FILE_BYTES ({max}); nothing was written",
                request.content.len()
            ),
        )
        .into());
    }
    let root = project.root.clone();
    tokio::task::spawn_blocking(move || save_in(&root, &request))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map(Json)
}

/// Checks the base, then writes; both under [`SAVING`].
fn save_in(root: &FsPath, request: &SaveRequest) -> Result<Saved, SaveRefusal> {
    let relative = request.path.as_str();
    // Refuses `..`, absolute paths and symlinks out before anything is read.
    let target = confine::resolve_for_write(root, relative)?;
    let _one_at_a_time = SAVING.lock().unwrap_or_else(|e| e.into_inner());
    let current = on_disk(root, relative)?;
    if current.hash != request.base_hash {
        return Err(SaveRefusal::Stale(current));
    }
    write_atomic(root, &target, request.content.as_bytes())
        .map_err(|e| ApiError::internal(format!("cannot write {relative}: {e}")))?;
    Ok(Saved {
        path: confine::display_relative(root, &target),
        hash: hash_of(request.content.as_bytes()),
        size: request.content.len() as u64,
    })
}

/// The file as it is now, read through one checked open; only regular files are saved.
fn on_disk(root: &FsPath, relative: &str) -> Result<OnDisk, ApiError> {
    let opened = match confine::open(root, relative) {
        Ok(opened) => opened,
        Err(e) if e.code == ErrorCode::NotFound => {
            return Ok(OnDisk {
                exists: false,
                hash: None,
                content: None,
            });
        }
        Err(e) => return Err(e),
    };
    if !opened.metadata.is_file() {
        return Err(ApiError::bad_request(format!(
            "{relative} is not a regular file; only files can be saved"
        )));
    }
    let mut bytes = Vec::new();
    opened
        .read()
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| ApiError::internal(format!("cannot read {relative}: {e}")))?;
    let hash = hash_of(&bytes);
    Ok(OnDisk {
        exists: true,
        hash: Some(hash),
        content: String::from_utf8(bytes).ok(),
    })
}

/// SHA-256 (hex) of a file's bytes, as `GET .../file` answers it: for UTF-8 text it is
/// the code index's content hash. Bytes that are not UTF-8 are hashed in their lossy
/// form; the editor never opens those, so their hash only has to differ from its text's.
pub fn hash_of(bytes: &[u8]) -> String {
    mira_code::walk::hash(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, content: &str, base: Option<&str>) -> SaveRequest {
        SaveRequest {
            path: path.into(),
            content: content.into(),
            base_hash: base.map(str::to_string),
        }
    }

    #[test]
    fn a_save_needs_the_base_the_disk_holds() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.txt"), "one").unwrap();
        let base = hash_of(b"one");

        let saved = save_in(&root, &request("a.txt", "two", Some(&base))).unwrap();
        assert_eq!(saved.hash, hash_of(b"two"));
        assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "two");

        // The same base again is stale now: the disk holds "two".
        let Err(SaveRefusal::Stale(current)) = save_in(&root, &request("a.txt", "three", Some(&base))) else {
            panic!("a stale base is refused");
        };
        assert_eq!(current.content.as_deref(), Some("two"));
        assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "two");

        // No base creates a new file, and never overwrites an existing one.
        save_in(&root, &request("new/b.txt", "b", None)).unwrap();
        assert_eq!(std::fs::read_to_string(root.join("new/b.txt")).unwrap(), "b");
        assert!(matches!(
            save_in(&root, &request("a.txt", "x", None)),
            Err(SaveRefusal::Stale(_))
        ));
    }

    #[test]
    fn the_mode_is_kept_and_directories_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        save_in(
            &root,
            &request("run.sh", "#!/bin/sh\necho\n", Some(&hash_of(b"#!/bin/sh\n"))),
        )
        .unwrap();
        let mode = std::fs::metadata(root.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);

        std::fs::create_dir(root.join("d")).unwrap();
        let Err(SaveRefusal::Api(e)) = save_in(&root, &request("d", "x", None)) else {
            panic!("a directory is not saved over");
        };
        assert_eq!(e.code, ErrorCode::BadRequest);
    }
}
