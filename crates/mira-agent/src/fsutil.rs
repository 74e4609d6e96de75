//! Atomic file writes: a temp file in the same directory, then a rename, so a reader
//! (or a crash) never sees half a file. The directory is opened once and checked to be
//! inside the root (`confine_open::open_dir`); the temp file and the rename go through
//! that descriptor, so a directory swapped for a symlink cannot send the write outside.

use std::io::Write;
use std::path::Path;

use crate::confine_open;

/// Writes `bytes` to `path`, a path inside the canonical `root` as
/// `confine::resolve_for_write` returns it, making missing directories.
pub fn write_atomic(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let refused = |e: crate::confine::ConfineError| std::io::Error::other(e.message);
    let shown = path.display().to_string();
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a file path needs a parent directory"))?;
    let below = dir
        .strip_prefix(root)
        .map_err(|_| std::io::Error::other(format!("{shown} is outside the project root")))?;
    // Each missing directory is made inside its checked parent, one level at a time.
    let mut current = root.to_path_buf();
    for part in below.components() {
        let parent = confine_open::open_dir(root, &current, &shown).map_err(refused)?;
        match std::fs::create_dir(parent.dir_path().join(part)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        current.push(part);
    }
    let dir = confine_open::open_dir(root, &current, &shown).map_err(refused)?;
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("a file path needs a file name"))?;
    let target = dir.dir_path().join(name);
    let suffix = getrandom::u64().unwrap_or(0);
    let temp = dir
        .dir_path()
        .join(format!(".{}.mira-{suffix:016x}.tmp", name.to_string_lossy()));
    let result = (|| {
        let mut file = std::fs::File::create_new(&temp)?;
        file.write_all(bytes)?;
        // Keep the mode of the file being replaced (an executable script stays one);
        // a symlink's target is not looked at.
        if let Ok(meta) = std::fs::symlink_metadata(&target)
            && meta.is_file()
        {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The bytes of the file at `relative` inside `root`, opened once and checked
/// (`confine_open::open`); `None` when it does not exist. A FIFO, socket or device is an
/// error, never read.
pub fn read_in(root: &Path, relative: &str) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let opened = match confine_open::open(root, relative) {
        Ok(opened) => opened,
        Err(e) if e.kind == crate::confine::ConfineKind::NotFound => return Ok(None),
        Err(e) => return Err(std::io::Error::other(e.message)),
    };
    let mut bytes = Vec::new();
    opened.read()?.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Removes the file `path` (inside the canonical `root`) through its checked directory.
pub fn remove_in(root: &Path, path: &Path) -> std::io::Result<()> {
    let shown = path.display().to_string();
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(std::io::Error::other("a file path needs a parent directory"));
    };
    let dir = confine_open::open_dir(root, dir, &shown).map_err(|e| std::io::Error::other(e.message))?;
    std::fs::remove_file(dir.dir_path().join(name))
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_replace_whole_files_and_make_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let path = root.join("a/b/c.txt");
        super::write_atomic(&root, &path, b"one").unwrap();
        super::write_atomic(&root, &path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(root.join("a/b")).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_that_points_out_is_not_written_into() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("d")).unwrap();
        // As if `d` was a directory when the path was checked and swapped since.
        assert!(super::write_atomic(&root, &root.join("d/x.txt"), b"x").is_err());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
