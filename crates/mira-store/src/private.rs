//! Files and directories only their owner may read.
//!
//! The data dir holds the database (conversations, code, stored provider errors), the
//! token secret and `server.json`. SQLite and `create_dir_all` create with the umask's
//! 0644 / 0755, which lets every local user read them, so the data dir is made 0700 and
//! the database 0600 before SQLite opens it (SQLite gives its WAL and SHM files the
//! database's mode). Existing ones are tightened too, so an older install is fixed on
//! its next start.

use std::path::Path;

/// Creates `dir` (and missing parents) readable by the owner only; an existing `dir`
/// loses any group and other access.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        restrict(dir, 0o700, std::fs::metadata(dir)?.permissions().mode())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Creates `path` empty if it is missing, readable and writable by the owner only; an
/// existing file keeps its contents and loses any group and other access.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        // Not opened for writing: a read-only database stays openable.
        return restrict_file(path);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => restrict_file(path),
        // Another process created it in between.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => restrict_file(path),
        Err(e) => Err(e),
    }
}

/// Takes group and other access from `path` if it exists.
pub fn restrict_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) => restrict(path, 0o600, meta.permissions().mode()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(unix)]
fn restrict(path: &Path, want: u32, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if mode & 0o777 == want {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))
}
