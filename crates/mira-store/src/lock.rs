//! An exclusive lock on a data dir. The embedded vector engine has no lock of its own
//! and two processes writing the same segments would corrupt them, so the owner of the
//! embedded stores (the server, or a CLI command while no server runs) holds this.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::StoreError;

#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock, or says which process holds it. Released when dropped (and by the
    /// OS when the process dies, so a crash never leaves a stale lock).
    pub fn acquire(data_dir: &Path) -> Result<Self, StoreError> {
        crate::private::create_dir(data_dir).map_err(StoreError::io(format!(
            "cannot create data dir {}",
            data_dir.display()
        )))?;
        let path = data_dir.join("mira.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(StoreError::io(format!("cannot open {}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(StoreError::Locked {
                    dir: data_dir.to_path_buf(),
                    pid: pid.trim().to_string(),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::io(format!("cannot lock {}", path.display()))(e));
            }
        }
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| write!(file, "{}", std::process::id()))
            .and_then(|_| file.flush())
            .map_err(StoreError::io(format!("cannot write {}", path.display())))?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::Locked { ref pid, .. } if pid == &std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
