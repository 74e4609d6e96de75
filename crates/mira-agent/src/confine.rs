//! Confines client- or model-given paths to a project's root: no `..`, no absolute
//! paths, and no symlink that resolves outside the root. The server's file API and the
//! agent's file tools share this one implementation, so both refuse the same paths.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfineKind {
    /// The path leaves the root (`..`, absolute, a symlink pointing out).
    Forbidden,
    NotFound,
    /// Not a path at all (a NUL byte).
    Invalid,
    Io,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfineError {
    pub kind: ConfineKind,
    pub message: String,
}

impl ConfineError {
    fn new(kind: ConfineKind, message: String) -> Self {
        Self { kind, message }
    }
}

/// Resolves `relative` (as sent by a client, already percent-decoded) inside `root`,
/// which must be canonical. Returns the canonical path of an existing file or directory.
pub fn resolve(root: &Path, relative: &str) -> Result<PathBuf, ConfineError> {
    let clean = clean_relative(relative)?;
    let joined = root.join(&clean);
    let canonical = joined.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ConfineError::new(
            ConfineKind::NotFound,
            format!("no such file or directory: {relative}"),
        ),
        // A file where a directory is expected (`a.rs/x`) names nothing.
        std::io::ErrorKind::NotADirectory => ConfineError::new(
            ConfineKind::NotFound,
            format!("no such file or directory: {relative}"),
        ),
        std::io::ErrorKind::InvalidFilename | std::io::ErrorKind::InvalidInput => {
            ConfineError::new(ConfineKind::Invalid, format!("{relative}: {e}"))
        }
        _ => ConfineError::new(ConfineKind::Io, format!("cannot read {relative}: {e}")),
    })?;
    inside(root, relative, canonical)
}

/// Like [`resolve`], for a file that may not exist yet (it is about to be written): the
/// deepest existing ancestor must resolve inside the root, and an existing file (or
/// symlink) must too. Returns where to write: the canonical path of the file if it
/// exists, else the canonical parent joined with the missing components.
pub fn resolve_for_write(root: &Path, relative: &str) -> Result<PathBuf, ConfineError> {
    let clean = clean_relative(relative)?;
    if clean.as_os_str().is_empty() {
        return Err(ConfineError::new(
            ConfineKind::Invalid,
            "the path is empty; give a file path relative to the project root".into(),
        ));
    }
    let joined = root.join(&clean);
    if std::fs::symlink_metadata(&joined).is_ok() {
        let canonical = joined.canonicalize().map_err(|e| {
            // A dangling symlink: where it points cannot be checked, so it is refused.
            ConfineError::new(
                ConfineKind::Forbidden,
                format!("{relative} cannot be resolved ({e}); only files inside the project can be written"),
            )
        })?;
        return inside(root, relative, canonical);
    }
    let mut existing = joined.as_path();
    let mut missing = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        missing.push(existing.file_name().map(|n| n.to_os_string()).unwrap_or_default());
        existing = match existing.parent() {
            Some(parent) => parent,
            None => break,
        };
    }
    let canonical = existing
        .canonicalize()
        .map_err(|e| ConfineError::new(ConfineKind::Io, format!("cannot resolve {relative}: {e}")))?;
    let mut target = inside(root, relative, canonical)?;
    for part in missing.into_iter().rev() {
        target.push(part);
    }
    Ok(target)
}

fn inside(root: &Path, relative: &str, canonical: PathBuf) -> Result<PathBuf, ConfineError> {
    if !canonical.starts_with(root) {
        return Err(ConfineError::new(
            ConfineKind::Forbidden,
            format!(
                "{relative} resolves outside the project root (through a symlink); only files inside the project can be used"
            ),
        ));
    }
    Ok(canonical)
}

/// The longest file name most file systems take (NAME_MAX); a longer one is a bad
/// request, not an I/O failure.
const MAX_NAME_BYTES: usize = 255;
/// The longest path the kernel resolves (PATH_MAX).
const MAX_PATH_BYTES: usize = 4096;

/// Checks the shape of a relative path without touching the disk.
pub fn clean_relative(relative: &str) -> Result<PathBuf, ConfineError> {
    if relative.contains('\0') {
        return Err(ConfineError::new(
            ConfineKind::Invalid,
            "the path contains a NUL byte".into(),
        ));
    }
    if relative.len() > MAX_PATH_BYTES {
        return Err(ConfineError::new(
            ConfineKind::Invalid,
            format!(
                "the path is {} bytes long; paths are at most {MAX_PATH_BYTES}",
                relative.len()
            ),
        ));
    }
    let normalized = relative.replace('\\', "/");
    let mut clean = PathBuf::new();
    for component in Path::new(&normalized).components() {
        match component {
            Component::Normal(part) if part.len() > MAX_NAME_BYTES => {
                return Err(ConfineError::new(
                    ConfineKind::Invalid,
                    format!(
                        "a file name in the path is {} bytes long; names are at most {MAX_NAME_BYTES}",
                        part.len()
                    ),
                ));
            }
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(ConfineError::new(
                    ConfineKind::Forbidden,
                    format!("{relative}: `..` is not allowed; give a path inside the project root"),
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(ConfineError::new(
                    ConfineKind::Forbidden,
                    format!(
                        "{relative}: absolute paths are not allowed; give a path relative to the project root"
                    ),
                ));
            }
        }
    }
    Ok(clean)
}

/// A client path, checked like `clean_relative`, as a root-relative string with `/`.
pub fn relative_string(relative: &str) -> Result<String, ConfineError> {
    Ok(slash_path(&clean_relative(relative)?))
}

/// The path of `path` relative to `root`, with `/` separators, for responses.
pub fn display_relative(root: &Path, path: &Path) -> String {
    slash_path(path.strip_prefix(root).unwrap_or(path))
}

/// `path`'s components joined with `/`, the separator every answer uses.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` with `.` and `..` removed without touching the disk (`..` at the top stays at
/// the top), for paths that may not exist.
pub fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(err.kind, ConfineKind::Forbidden, "{bad}");
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
            resolve(&root_path, "escape/secret.txt").unwrap_err().kind,
            ConfineKind::Forbidden
        );
        assert_eq!(
            resolve(&root_path, "alias.txt").unwrap(),
            root_path.join("in.txt")
        );
        assert_eq!(
            resolve(&root_path, "missing.txt").unwrap_err().kind,
            ConfineKind::NotFound
        );
        // Writing: through the escaping directory, or a new file under it, is refused;
        // a new file in a new directory inside is allowed.
        assert_eq!(
            resolve_for_write(&root_path, "escape/new.txt").unwrap_err().kind,
            ConfineKind::Forbidden
        );
        assert_eq!(
            resolve_for_write(&root_path, "escape/secret.txt")
                .unwrap_err()
                .kind,
            ConfineKind::Forbidden
        );
        assert_eq!(
            resolve_for_write(&root_path, "a/b/c.txt").unwrap(),
            root_path.join("a/b/c.txt")
        );
    }
}
