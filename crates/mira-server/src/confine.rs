//! Confines client-given paths to a project's root: no `..`, no absolute paths, and no
//! symlink that resolves outside the root.

use std::path::{Component, Path, PathBuf};

use crate::error::ApiError;

/// Resolves `relative` (as sent by a client, already percent-decoded) inside `root`,
/// which must be canonical. Returns the canonical path of an existing file or directory.
pub fn resolve(root: &Path, relative: &str) -> Result<PathBuf, ApiError> {
    let clean = clean_relative(relative)?;
    let joined = root.join(&clean);
    let canonical = joined.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::not_found(format!("no such file or directory: {relative}")),
        _ => ApiError::internal(format!("cannot read {relative}: {e}")),
    })?;
    if !canonical.starts_with(root) {
        return Err(ApiError::forbidden(format!(
            "{relative} resolves outside the project root (through a symlink); only files inside the project can be read"
        )));
    }
    Ok(canonical)
}

/// Checks the shape of a relative path without touching the disk.
pub fn clean_relative(relative: &str) -> Result<PathBuf, ApiError> {
    if relative.contains('\0') {
        return Err(ApiError::bad_request("the path contains a NUL byte"));
    }
    let normalized = relative.replace('\\', "/");
    let mut clean = PathBuf::new();
    for component in Path::new(&normalized).components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(ApiError::forbidden(format!(
                    "{relative}: `..` is not allowed; give a path inside the project root"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ApiError::forbidden(format!(
                    "{relative}: absolute paths are not allowed; give a path relative to the project root"
                )));
            }
        }
    }
    Ok(clean)
}

/// A client path, checked like `clean_relative`, as a root-relative string with `/`.
pub fn relative_string(relative: &str) -> Result<String, ApiError> {
    let clean = clean_relative(relative)?;
    Ok(clean
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// The path of `path` relative to `root`, with `/` separators, for responses.
pub fn display_relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mira_core::ErrorCode;

    #[test]
    fn shapes_that_escape_are_refused() {
        for bad in [
            "../etc/passwd",
            "src/../../x",
            "/etc/passwd",
            "..",
            "a/..\\..\\b",
            "\\\\server\\share",
        ] {
            let err = clean_relative(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::Forbidden, "{bad}");
        }
        assert_eq!(clean_relative("a/./b").unwrap(), PathBuf::from("a/b"));
        assert_eq!(clean_relative("").unwrap(), PathBuf::new());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused_and_inside_ones_allowed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "s").unwrap();
        let root = tempfile::tempdir().unwrap();
        let root_path = root.path().canonicalize().unwrap();
        std::fs::write(root_path.join("in.txt"), "i").unwrap();
        std::os::unix::fs::symlink(outside.path(), root_path.join("escape")).unwrap();
        std::os::unix::fs::symlink(root_path.join("in.txt"), root_path.join("alias.txt")).unwrap();

        assert_eq!(
            resolve(&root_path, "escape/secret.txt").unwrap_err().code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            resolve(&root_path, "alias.txt").unwrap(),
            root_path.join("in.txt")
        );
        assert_eq!(
            resolve(&root_path, "missing.txt").unwrap_err().code,
            ErrorCode::NotFound
        );
    }
}
