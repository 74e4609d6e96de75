//! Opening a confined path once and checking what was opened.
//!
//! [`confine::resolve`] checks a path, but a later `open` of that path walks it again:
//! swapping a symlink in between (a component or the file itself) would serve a file
//! outside the root. So the path is opened once without following its last component
//! (`O_PATH | O_NOFOLLOW`, which neither blocks on a FIFO nor opens a device) and the
//! kernel is asked what that descriptor is (`/proc/self/fd/N`): only when it is the
//! checked path is it used, and reads and writes then go through the descriptor, never
//! through the path again. A lost race is retried a few times, then refused.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

use crate::confine::{self, ConfineError, ConfineKind};

/// How often a path that changed between the check and the open is tried again before
/// the request is refused (a legitimate rename finishes well within this).
const ATTEMPTS: usize = 4;

/// A confined path opened once: its checked canonical path, the descriptor (`O_PATH`,
/// so nothing has been read from it) and its metadata taken from that descriptor.
#[derive(Debug)]
pub struct Opened {
    pub path: PathBuf,
    pub metadata: Metadata,
    handle: File,
}

impl Opened {
    /// Opens the very file that was checked for reading; only regular files, since a
    /// FIFO read blocks forever and a device may be endless or act on being opened.
    pub fn read(&self) -> std::io::Result<File> {
        if !self.metadata.is_file() {
            return Err(std::io::Error::other(format!(
                "{} is a {}, not a regular file; it is never read",
                self.path.display(),
                special_kind(&self.metadata)
            )));
        }
        reopen(&self.handle)
    }

    /// A path that names this descriptor's directory itself (`/proc/self/fd/N`): paths
    /// under it stay in the checked directory whatever happens to the names above it.
    pub fn dir_path(&self) -> PathBuf {
        fd_path(&self.handle)
    }

    /// The descriptor itself (`O_PATH`), for a caller that keeps it beyond this value:
    /// a build run pins its working directory with it.
    pub fn into_handle(self) -> File {
        self.handle
    }
}

/// What kind of file `metadata` describes, as answered to clients: `file`, `dir`,
/// `symlink`, `fifo`, `socket`, `char_device` or `block_device`.
pub fn special_kind(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = metadata.file_type();
    if t.is_file() {
        "file"
    } else if t.is_dir() {
        "dir"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "char_device"
    } else {
        "block_device"
    }
}

/// Resolves `relative` inside `root` (canonical) like [`confine::resolve`] and opens
/// what it names once, checking the descriptor is the checked path.
pub fn open(root: &Path, relative: &str) -> Result<Opened, ConfineError> {
    for _ in 0..ATTEMPTS {
        let path = confine::resolve(root, relative)?;
        match open_checked(&path) {
            Ok(Some(opened)) => return Ok(opened),
            // Gone or changed since the check: resolve again.
            Ok(None) => continue,
            Err(e) => {
                return Err(ConfineError {
                    kind: ConfineKind::Io,
                    message: format!("cannot open {relative}: {e}"),
                });
            }
        }
    }
    Err(raced(relative))
}

/// Opens the existing directory `dir` (a canonical path inside `root`, as
/// [`confine::resolve_for_write`] builds from it) for writing into, checked the same way.
pub fn open_dir(root: &Path, dir: &Path, relative: &str) -> Result<Opened, ConfineError> {
    for _ in 0..ATTEMPTS {
        let canonical = dir.canonicalize().map_err(|e| ConfineError {
            kind: ConfineKind::Io,
            message: format!("cannot resolve the directory of {relative}: {e}"),
        })?;
        if !canonical.starts_with(root) {
            return Err(ConfineError {
                kind: ConfineKind::Forbidden,
                message: format!(
                    "{relative} resolves outside the project root; only files inside it can be written"
                ),
            });
        }
        match open_checked(&canonical) {
            Ok(Some(opened)) if opened.metadata.is_dir() => return Ok(opened),
            Ok(_) => continue,
            Err(e) => {
                return Err(ConfineError {
                    kind: ConfineKind::Io,
                    message: format!("cannot open the directory of {relative}: {e}"),
                });
            }
        }
    }
    Err(raced(relative))
}

fn raced(relative: &str) -> ConfineError {
    ConfineError {
        kind: ConfineKind::Forbidden,
        message: format!(
            "{relative} kept changing while it was being opened (a symlink swapped?); it was not used"
        ),
    }
}

/// Opens `path` without following its last component; `None` when what was opened is
/// not `path` any more (a component swapped for a symlink, or the file replaced by one).
fn open_checked(path: &Path) -> std::io::Result<Option<Opened>> {
    let handle = match open_path(path) {
        Ok(h) => h,
        Err(e) if is_race(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let metadata = handle.metadata()?;
    if metadata.file_type().is_symlink() || !is_at(&handle, path, &metadata)? {
        return Ok(None);
    }
    Ok(Some(Opened {
        path: path.to_path_buf(),
        metadata,
        handle,
    }))
}

fn is_race(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    ) || e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(target_os = "linux")]
fn open_path(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Where `/proc` is missing, a non-blocking open that does not follow the last
/// component; devices are still not read (see [`Opened::read`]).
#[cfg(not(target_os = "linux"))]
fn open_path(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// The kernel's name for the open descriptor is the checked path: every component was
/// the directory the check saw, none a symlink swapped in since.
#[cfg(target_os = "linux")]
fn is_at(handle: &File, path: &Path, _metadata: &Metadata) -> std::io::Result<bool> {
    Ok(std::fs::read_link(fd_path(handle))? == path)
}

/// Without `/proc`: the opened file is the one the path names now (same device and
/// inode), a weaker check that a swap back could pass.
#[cfg(not(target_os = "linux"))]
fn is_at(_handle: &File, path: &Path, metadata: &Metadata) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let now = std::fs::metadata(path)?;
    Ok(now.dev() == metadata.dev() && now.ino() == metadata.ino())
}

fn fd_path(handle: &File) -> PathBuf {
    use std::os::fd::AsRawFd;
    if cfg!(target_os = "linux") {
        PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd()))
    } else {
        PathBuf::from(format!("/dev/fd/{}", handle.as_raw_fd()))
    }
}

/// Opens the file an `O_PATH` descriptor names for reading, through its `/proc` link,
/// which reaches that inode whatever its path has become.
fn reopen(handle: &File) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(fd_path(handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn regular_files_are_read_and_special_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.txt"), "inside").unwrap();
        let opened = open(&root, "a.txt").unwrap();
        let mut text = String::new();
        opened.read().unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");

        let fifo = std::ffi::CString::new(root.join("pipe").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let opened = open(&root, "pipe").unwrap();
        assert_eq!(special_kind(&opened.metadata), "fifo");
        assert!(opened.read().is_err());
    }

    #[test]
    fn a_path_through_a_symlink_out_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        assert_eq!(
            open(&root, "out/secret").unwrap_err().kind,
            ConfineKind::Forbidden
        );
        // The checked directory is opened itself, not the path's later target.
        std::fs::create_dir(root.join("d")).unwrap();
        let d = open_dir(&root, &root.join("d"), "d/x").unwrap();
        assert!(d.dir_path().join(".").is_dir());
    }
}
