//! Knowing that a file did not change without reading it: its size, modification and
//! status-change times and inode, remembered with the hash (or skip reason) they had.
//! This is what lets a re-index of a big project read only the files that changed.
//!
//! As in git's index, a stamp is trusted only when the file was last changed well
//! before it was read ("racy" files, written in the same instant as they were looked
//! at, could change again without their times moving): such a file is read again next
//! time. The status-change time cannot be set by tools that restore modification
//! times (`touch -d`, `cp -p`, `tar`), so those are seen too.

use std::collections::HashMap;
use std::fs::Metadata;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A file is trusted only if it was last changed this long before it was read; covers
/// file systems with coarse timestamps.
const RACY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
}

fn ns(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

impl Stamp {
    pub fn of(meta: &Metadata) -> Self {
        let modified_ns = meta.modified().map(ns).unwrap_or(0);
        #[cfg(unix)]
        let (changed_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (changed_ns, inode) = (modified_ns, 0);
        Self {
            size: meta.len(),
            modified_ns,
            changed_ns,
            inode,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Changed more than `window` before `read_at`, so a later change will move its times.
    fn settled(&self, read_at: SystemTime, window: Duration) -> bool {
        let last = self.modified_ns.max(self.changed_ns);
        last + (window.as_nanos() as i128) < ns(read_at)
    }
}

/// What a file held when it had a given stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Source code with this content hash.
    Code(String),
    /// Not indexed, for this reason (judged from the content).
    Skipped(String),
}

/// Path -> the stamp it had and what it held then, for the trusted stamps only.
#[derive(Debug, Clone)]
pub struct Stamps {
    files: HashMap<String, (Stamp, Known)>,
    window: Duration,
}

impl Default for Stamps {
    fn default() -> Self {
        Self::with_window(RACY)
    }
}

impl Stamps {
    /// Stamps trusted once a file was last changed more than `window` before it was read.
    pub fn with_window(window: Duration) -> Self {
        Self {
            files: HashMap::new(),
            window,
        }
    }

    /// What `path` holds, if its stamp is the one remembered.
    pub fn known(&self, path: &str, stamp: &Stamp) -> Option<&Known> {
        self.files.get(path).filter(|(s, _)| s == stamp).map(|(_, k)| k)
    }

    /// Remembers what `path` held when read at `read_at`, unless it changed so recently
    /// that its stamp cannot be trusted.
    pub fn remember(&mut self, path: &str, stamp: Stamp, known: Known, read_at: SystemTime) {
        if stamp.settled(read_at, self.window) {
            self.files.insert(path.to_string(), (stamp, known));
        } else {
            self.files.remove(path);
        }
    }

    /// Forgets files not in `present` (deleted or no longer walked).
    pub fn retain(&mut self, present: impl Fn(&str) -> bool) {
        self.files.retain(|p, _| present(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(modified_ns: i128) -> Stamp {
        Stamp {
            size: 10,
            modified_ns,
            changed_ns: modified_ns,
            inode: 1,
        }
    }

    #[test]
    fn a_file_changed_just_before_it_was_read_is_not_trusted() {
        let read_at = UNIX_EPOCH + Duration::from_secs(100);
        let mut stamps = Stamps::default();
        let old = stamp(90 * 1_000_000_000);
        stamps.remember("a.py", old, Known::Code("h".into()), read_at);
        assert_eq!(stamps.known("a.py", &old), Some(&Known::Code("h".into())));
        let other = Stamp { size: 11, ..old };
        assert_eq!(stamps.known("a.py", &other), None, "a different size is a change");

        let racy = stamp(99 * 1_000_000_000);
        stamps.remember("b.py", racy, Known::Code("h".into()), read_at);
        assert_eq!(stamps.known("b.py", &racy), None);
        // A racy read also forgets what was trusted before.
        stamps.remember("a.py", racy, Known::Code("h2".into()), read_at);
        assert_eq!(stamps.known("a.py", &old), None);
    }
}
