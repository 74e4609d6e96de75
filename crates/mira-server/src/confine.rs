//! Confines client-given paths to a project's root. The logic lives in
//! [`mira_agent::confine`], shared with the agent's file tools so both refuse the same
//! paths; this module turns its refusals into API errors.

use std::path::{Path, PathBuf};

use mira_agent::confine::{self, ConfineError, ConfineKind};
use mira_agent::confine_open;

use crate::error::ApiError;

pub use mira_agent::confine::display_relative;

fn api_error(e: ConfineError) -> ApiError {
    match e.kind {
        ConfineKind::Forbidden => ApiError::forbidden(e.message),
        ConfineKind::NotFound => ApiError::not_found(e.message),
        ConfineKind::Invalid => ApiError::bad_request(e.message),
        ConfineKind::Io => ApiError::internal(e.message),
    }
}

/// Resolves `relative` (as sent by a client, already percent-decoded) inside `root`,
/// which must be canonical. Returns the canonical path of an existing file or directory.
pub fn resolve(root: &Path, relative: &str) -> Result<PathBuf, ApiError> {
    confine::resolve(root, relative).map_err(api_error)
}

/// Resolves `relative` like [`resolve`] and opens it once, checking that what was
/// opened is the checked path (see [`mira_agent::confine_open`]).
pub fn open(root: &Path, relative: &str) -> Result<confine_open::Opened, ApiError> {
    confine_open::open(root, relative).map_err(api_error)
}

/// Resolves `relative` for a file about to be written (it may not exist yet); see
/// [`mira_agent::confine::resolve_for_write`].
pub fn resolve_for_write(root: &Path, relative: &str) -> Result<PathBuf, ApiError> {
    confine::resolve_for_write(root, relative).map_err(api_error)
}

/// Checks the shape of a relative path without touching the disk.
pub fn clean_relative(relative: &str) -> Result<PathBuf, ApiError> {
    confine::clean_relative(relative).map_err(api_error)
}

/// A client path, checked like `clean_relative`, as a root-relative string with `/`.
pub fn relative_string(relative: &str) -> Result<String, ApiError> {
    confine::relative_string(relative).map_err(api_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mira_core::ErrorCode;

    #[test]
    fn refusals_keep_their_http_codes() {
        assert_eq!(clean_relative("../x").unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(clean_relative("a\0b").unwrap_err().code, ErrorCode::BadRequest);
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        assert_eq!(resolve(&root, "missing").unwrap_err().code, ErrorCode::NotFound);
    }
}
