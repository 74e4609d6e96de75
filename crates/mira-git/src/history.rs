//! Reading commits and their file changes from a repository with gitoxide.
//!
//! This is ground state: a function from a repository to commit records. Storing them
//! is `store.rs`'s job.

use std::path::Path;

use gix::bstr::ByteSlice;
use gix::object::tree::diff::Change;
use gix::prelude::ObjectIdExt;

use crate::GitError;

/// How a file changed in a commit, as `git log --name-status` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChangeStatus {
    #[serde(rename = "A")]
    Added,
    #[serde(rename = "M")]
    Modified,
    #[serde(rename = "D")]
    Deleted,
    #[serde(rename = "R")]
    Renamed,
    #[serde(rename = "C")]
    Copied,
}

impl ChangeStatus {
    pub fn letter(self) -> &'static str {
        match self {
            Self::Added => "A",
            Self::Modified => "M",
            Self::Deleted => "D",
            Self::Renamed => "R",
            Self::Copied => "C",
        }
    }

    pub fn from_letter(letter: &str) -> Option<Self> {
        Some(match letter {
            "A" => Self::Added,
            "M" => Self::Modified,
            "D" => Self::Deleted,
            "R" => Self::Renamed,
            "C" => Self::Copied,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    pub path: String,
    /// The path before a rename or copy.
    pub old_path: Option<String>,
    pub status: ChangeStatus,
    /// Lines added and removed; `None` for binary files (git's `-`).
    pub added: Option<u32>,
    pub removed: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitRecord {
    pub sha: String,
    pub parents: Vec<String>,
    /// After .mailmap.
    pub author: Person,
    pub committer: Person,
    /// Seconds since the epoch.
    pub authored_at: i64,
    pub committed_at: i64,
    pub message: String,
    /// Changes against the first parent (the empty tree for a root commit).
    pub changes: Vec<FileChange>,
}

impl CommitRecord {
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// An opened repository, with the caches that make walking history fast.
pub struct Repo {
    repo: gix::Repository,
    mailmap: gix::mailmap::Snapshot,
}

macro_rules! git {
    ($e:expr, $ctx:expr) => {
        $e.map_err(|e| GitError::Git(format!("{}: {e}", $ctx)))
    };
}

impl Repo {
    /// Opens the repository whose work tree contains `path`.
    pub fn discover(path: &Path) -> Result<Self, GitError> {
        let mut repo = gix::discover(path).map_err(|e| GitError::NotARepository {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        // Trees and blobs are read many times while diffing; a cache avoids re-inflating them.
        repo.object_cache_size_if_unset(64 * 1024 * 1024);
        let mailmap = repo.open_mailmap();
        Ok(Self { repo, mailmap })
    }

    /// HEAD of the repository containing `path`, without the set-up that walking history
    /// needs (mailmap, caches): what a cache check wants.
    pub fn head_of(path: &Path) -> Result<Option<String>, GitError> {
        let repo = gix::discover(path).map_err(|e| GitError::NotARepository {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        match repo.head_id() {
            Ok(id) => Ok(Some(id.to_string())),
            Err(_) if repo.head().map(|h| h.is_unborn()).unwrap_or(false) => Ok(None),
            Err(e) => Err(GitError::Git(format!("cannot read HEAD: {e}"))),
        }
    }

    /// The commit HEAD points at, or `None` in a repository without commits.
    pub fn head(&self) -> Result<Option<String>, GitError> {
        match self.repo.head_id() {
            Ok(id) => Ok(Some(id.to_string())),
            Err(_) if self.repo.head().map(|h| h.is_unborn()).unwrap_or(false) => Ok(None),
            Err(e) => Err(GitError::Git(format!("cannot read HEAD: {e}"))),
        }
    }

    /// Reads many commits on all cores (each thread with its own handle on the
    /// repository), calling `progress(done)` as they complete; results keep `shas`' order.
    pub fn read_commits(
        &self,
        shas: &[String],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<CommitRecord>, GitError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(shas.len().max(1));
        let shared = self.repo.clone().into_sync();
        let done = std::sync::atomic::AtomicU64::new(0);
        let mailmap = &self.mailmap;
        let chunks: Vec<Result<Vec<(usize, CommitRecord)>, GitError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (shared, done) = (&shared, &done);
                    let mailmap = mailmap.clone();
                    scope.spawn(move || {
                        let mut repo = shared.to_thread_local();
                        repo.object_cache_size_if_unset(64 * 1024 * 1024);
                        let worker = Repo { repo, mailmap };
                        let mut cache = worker.diff_cache()?;
                        let mut out = Vec::new();
                        // Interleaved, so each thread gets old and new, big and small commits.
                        for i in (t..shas.len()).step_by(threads) {
                            out.push((i, worker.read_commit(&shas[i], &mut cache)?));
                            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                            if n % 64 == 0 || n as usize == shas.len() {
                                progress(n);
                            }
                        }
                        Ok(out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(GitError::Git("reader thread panicked".into())))
                })
                .collect()
        });
        let mut all = Vec::with_capacity(shas.len());
        for chunk in chunks {
            all.extend(chunk?);
        }
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, r)| r).collect())
    }

    /// Whether the object exists (a rewritten history's old head may be gone after gc).
    pub fn has_commit(&self, sha: &str) -> bool {
        gix::ObjectId::from_hex(sha.as_bytes())
            .ok()
            .is_some_and(|id| self.repo.find_commit(id).is_ok())
    }

    /// Ids of commits reachable from `tips` but not from `hidden`, newest first.
    pub fn commits_between(&self, tips: &[String], hidden: &[String]) -> Result<Vec<String>, GitError> {
        let parse = |s: &String| git!(gix::ObjectId::from_hex(s.as_bytes()), "bad commit id");
        let tips: Vec<gix::ObjectId> = tips.iter().map(parse).collect::<Result<_, _>>()?;
        let hidden: Vec<gix::ObjectId> = hidden.iter().map(parse).collect::<Result<_, _>>()?;
        let walk = git!(
            self.repo
                .rev_walk(tips)
                .sorting(gix::revision::walk::Sorting::ByCommitTime(Default::default()))
                .with_hidden(hidden)
                .all(),
            "cannot walk history"
        )?;
        let mut out = Vec::new();
        for info in walk {
            out.push(git!(info, "cannot walk history")?.id.to_string());
        }
        Ok(out)
    }

    /// The work tree's root, canonical; `None` for a bare repository.
    pub fn workdir(&self) -> Option<std::path::PathBuf> {
        self.repo.workdir().and_then(|p| p.canonicalize().ok())
    }

    /// Reads one commit with its changes against its first parent. Merge commits carry no
    /// changes of their own (like `git log --numstat`): what they bring in is counted in
    /// the commits they merge.
    pub fn read_commit(&self, sha: &str, cache: &mut DiffCaches) -> Result<CommitRecord, GitError> {
        let id = git!(gix::ObjectId::from_hex(sha.as_bytes()), "bad commit id")?;
        let commit = git!(self.repo.find_commit(id), "cannot read commit")?;
        let decoded = git!(commit.decode(), "cannot decode commit")?;
        let author = self.mailmap.resolve(git!(decoded.author(), "bad author")?);
        let committer = self.mailmap.resolve(git!(decoded.committer(), "bad committer")?);
        let parents: Vec<String> = decoded.parents().map(|p| p.to_string()).collect();
        let message = decoded.message.to_str_lossy().into_owned();
        drop(decoded);
        let mut record = CommitRecord {
            sha: sha.to_string(),
            parents,
            author: person(&author),
            committer: person(&committer),
            authored_at: author.time.seconds,
            committed_at: committer.time.seconds,
            message,
            changes: Vec::new(),
        };
        if record.is_merge() {
            return Ok(record);
        }
        let tree = git!(commit.tree(), "cannot read tree")?;
        let parent_tree = match record.parents.first() {
            Some(p) => {
                let pid = git!(gix::ObjectId::from_hex(p.as_bytes()), "bad parent id")?;
                git!(
                    git!(pid.attach(&self.repo).object(), "cannot read parent")?.peel_to_tree(),
                    "parent tree"
                )?
            }
            None => self.repo.empty_tree(),
        };
        record.changes = self.changes(&parent_tree, &tree, cache)?;
        Ok(record)
    }

    /// The unified diff (3 lines of context) a commit made to one file, against its first
    /// parent; `None` for binary files or when the file is in neither tree.
    pub fn file_diff(
        &self,
        sha: &str,
        path: &str,
        old_path: Option<&str>,
    ) -> Result<Option<String>, GitError> {
        let id = git!(gix::ObjectId::from_hex(sha.as_bytes()), "bad commit id")?;
        let commit = git!(self.repo.find_commit(id), "cannot read commit")?;
        let new_tree = git!(commit.tree(), "cannot read tree")?;
        let old_tree = match commit.parent_ids().next() {
            Some(parent) => git!(
                git!(parent.object(), "cannot read parent")?.peel_to_tree(),
                "parent tree"
            )?,
            None => self.repo.empty_tree(),
        };
        let read = |tree: &gix::Tree<'_>, p: &str| -> Result<Option<Vec<u8>>, GitError> {
            match git!(tree.lookup_entry_by_path(p), "cannot look up path")? {
                Some(entry) => Ok(Some(git!(entry.object(), "cannot read blob")?.detach().data)),
                None => Ok(None),
            }
        };
        let before = read(&old_tree, old_path.unwrap_or(path))?.unwrap_or_default();
        let Some(after) = read(&new_tree, path)? else {
            if before.is_empty() {
                return Ok(None);
            }
            return Ok(unified(&before, &[], old_path.unwrap_or(path), path));
        };
        Ok(unified(&before, &after, old_path.unwrap_or(path), path))
    }

    /// Resource caches for blob diffs, reused across commits.
    pub fn diff_cache(&self) -> Result<DiffCaches, GitError> {
        Ok(DiffCaches {
            rewrites: git!(
                self.repo.diff_resource_cache_for_tree_diff(),
                "cannot prepare diffs"
            )?,
            lines: git!(
                self.repo.diff_resource_cache_for_tree_diff(),
                "cannot prepare diffs"
            )?,
        })
    }

    fn changes(
        &self,
        old: &gix::Tree<'_>,
        new: &gix::Tree<'_>,
        cache: &mut DiffCaches,
    ) -> Result<Vec<FileChange>, GitError> {
        let mut out = Vec::new();
        let mut platform = git!(old.changes(), "cannot diff trees")?;
        platform.options(|o| {
            o.track_path()
                .track_rewrites(Some(gix::diff::Rewrites::default()));
        });
        let DiffCaches { rewrites, lines } = cache;
        git!(
            platform.for_each_to_obtain_tree_with_cache(new, rewrites, |change| {
                if !change.entry_mode().is_blob() {
                    return Ok(std::ops::ControlFlow::Continue(()));
                }
                let (status, old_path) = match &change {
                    Change::Addition { .. } => (ChangeStatus::Added, None),
                    Change::Deletion { .. } => (ChangeStatus::Deleted, None),
                    Change::Modification { .. } => (ChangeStatus::Modified, None),
                    Change::Rewrite {
                        source_location,
                        copy,
                        ..
                    } => (
                        if *copy {
                            ChangeStatus::Copied
                        } else {
                            ChangeStatus::Renamed
                        },
                        Some(source_location.to_str_lossy().into_owned()),
                    ),
                };
                let counts = change
                    .diff(lines)
                    .ok()
                    .and_then(|mut d| d.line_counts().ok())
                    .flatten();
                out.push(FileChange {
                    path: change.location().to_str_lossy().into_owned(),
                    old_path,
                    status,
                    added: counts.map(|c| c.insertions),
                    removed: counts.map(|c| c.removals),
                });
                lines.clear_resource_cache_keep_allocation();
                Ok(std::ops::ControlFlow::Continue(()))
            }),
            "cannot diff trees"
        )?;
        rewrites.clear_resource_cache_keep_allocation();
        Ok(out)
    }
}

/// One cache for the tree diff's rename detection, one for line counts: the tree diff
/// holds the first while it calls back for each change.
pub struct DiffCaches {
    rewrites: gix::diff::blob::Platform,
    lines: gix::diff::blob::Platform,
}

fn person(sig: &gix::actor::Signature) -> Person {
    Person {
        name: sig.name.to_str_lossy().into_owned(),
        email: sig.email.to_str_lossy().into_owned(),
    }
}

/// A unified diff of two texts, or `None` if either is binary.
fn unified(before: &[u8], after: &[u8], old_name: &str, new_name: &str) -> Option<String> {
    if before.contains(&0) || after.contains(&0) {
        return None;
    }
    let before = String::from_utf8_lossy(before);
    let after = String::from_utf8_lossy(after);
    let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{old_name}"), &format!("b/{new_name}"))
            .to_string(),
    )
}
