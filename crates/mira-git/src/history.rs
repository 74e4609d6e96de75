//! Reading commits and their file changes from a repository with gitoxide.
//!
//! This is ground state: a function from a repository to commit records. Storing them
//! is `store.rs`'s job.

use std::collections::HashMap;
use std::path::Path;

use gix::bstr::ByteSlice;

use crate::GitError;
use crate::renames;

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
    /// Objects this commit needed that the object store lacks (a partial clone's
    /// filtered blobs, a shallow clone's cut-off parent): their line counts are unknown,
    /// and a commit whose parent is missing is stored without changes.
    pub missing_objects: u32,
}

impl CommitRecord {
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// Decoded trees and blobs kept per reader thread: a commit's diff re-reads the trees
/// its parent's diff just read.
const OBJECT_CACHE_BYTES: usize = 64 * 1024 * 1024;

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
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
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
    /// repository) and hands each to `sink` with its position in `shas` as soon as it is
    /// read, so the caller can store commits while later ones are still being diffed.
    /// Records arrive roughly, not exactly, in `shas`' order. `sink` returns `false` to
    /// stop the readers (the consumer went away); `progress(done)` is called as they go.
    pub fn read_commits(
        &self,
        shas: &[String],
        progress: &(dyn Fn(u64) + Sync),
        sink: &(dyn Fn(usize, CommitRecord) -> bool + Sync),
    ) -> Result<(), GitError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(shas.len().max(1));
        let shared = self.repo.clone().into_sync();
        let done = std::sync::atomic::AtomicU64::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Commits per claimed run.
        const RUN: usize = 32;
        let mailmap = &self.mailmap;
        let results: Vec<Result<(), GitError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (shared, done, stop, next) = (&shared, &done, &stop, &next);
                    let mailmap = mailmap.clone();
                    scope.spawn(move || {
                        let mut repo = shared.to_thread_local();
                        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
                        let worker = Repo { repo, mailmap };
                        let mut cache = worker.diff_cache()?;
                        // Runs of consecutive commits: a commit's parent is usually the next
                        // one, so its trees are still in this thread's object cache. Runs are
                        // claimed as threads get free, which keeps them busy and keeps the
                        // output close to `shas`' order.
                        loop {
                            let start = next.fetch_add(RUN, std::sync::atomic::Ordering::Relaxed);
                            if start >= shas.len() || stop.load(std::sync::atomic::Ordering::Relaxed) {
                                break;
                            }
                            for i in start..(start + RUN).min(shas.len()) {
                                let record = match worker.read_commit(&shas[i], &mut cache) {
                                    Ok(r) => r,
                                    Err(e) => {
                                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                                        return Err(e);
                                    }
                                };
                                if !sink(i, record) {
                                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                                    return Ok(());
                                }
                                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                                if n % 64 == 0 || n as usize == shas.len() {
                                    progress(n);
                                }
                            }
                        }
                        Ok(())
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
        results.into_iter().collect()
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
            missing_objects: 0,
        };
        if record.is_merge() {
            return Ok(record);
        }
        let tree = git!(commit.tree(), "cannot read tree")?;
        let parent_tree = match record.parents.first() {
            Some(p) => {
                let pid = git!(gix::ObjectId::from_hex(p.as_bytes()), "bad parent id")?;
                match git!(self.repo.try_find_object(pid), "cannot read parent")? {
                    Some(parent) => git!(parent.peel_to_tree(), "parent tree")?,
                    // A shallow clone's boundary: what the commit changed is unknown, and
                    // diffing against nothing would credit it with every file.
                    None => {
                        record.missing_objects = 1;
                        return Ok(record);
                    }
                }
            }
            None => self.repo.empty_tree(),
        };
        cache.missing = 0;
        record.changes = self.changes(&parent_tree, &tree, cache)?;
        record.missing_objects = cache.missing;
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
                Some(entry) => match git!(self.repo.try_find_object(entry.oid()), "cannot read blob")? {
                    Some(object) => Ok(Some(object.detach().data)),
                    // A partial clone's filtered blob: no diff to show.
                    None => Err(GitError::NotFound(format!(
                        "{p} at {sha} is not in this clone's object store (a partial clone): \
                         fetch it with `git fetch` or clone without --filter"
                    ))),
                },
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

    /// Buffers for tree diffs, reused across commits.
    pub fn diff_cache(&self) -> Result<DiffCaches, GitError> {
        let algorithm = match self
            .repo
            .config_snapshot()
            .string("diff.algorithm")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            Some(b"histogram") | Some(b"patience") => gix::diff::blob::Algorithm::Histogram,
            Some(b"minimal") => gix::diff::blob::Algorithm::MyersMinimal,
            _ => gix::diff::blob::Algorithm::Myers,
        };
        let mut blobs = self.repo.clone();
        blobs.object_cache_size(0);
        Ok(DiffCaches {
            state: Default::default(),
            recorder: Default::default(),
            algorithm,
            diff: Default::default(),
            blobs,
            previous_old: HashMap::new(),
            current_old: HashMap::new(),
            missing: 0,
        })
    }

    /// A commit's file changes as `git log --numstat -M` reports them: a plain tree
    /// diff, git's own rename detection (see [`crate::renames`]), and line counts from a
    /// line diff in which a line includes its newline (so a changed last-line newline
    /// counts, as in git), binary meaning a NUL byte in the first 8000 bytes.
    fn changes(
        &self,
        old: &gix::Tree<'_>,
        new: &gix::Tree<'_>,
        cache: &mut DiffCaches,
    ) -> Result<Vec<FileChange>, GitError> {
        use gix::diff::tree::recorder::Change as Raw;
        // A recorder keeps its path stack from the last diff: a fresh one per commit.
        cache.recorder = Default::default();
        git!(
            gix::diff::tree(
                gix::objs::TreeRefIter::from_bytes(&old.data, old.id.kind()),
                gix::objs::TreeRefIter::from_bytes(&new.data, new.id.kind()),
                &mut cache.state,
                &self.repo.objects,
                &mut cache.recorder,
            ),
            "cannot diff trees"
        )?;
        let mut added: Vec<(gix::bstr::BString, gix::ObjectId)> = Vec::new();
        let mut deleted: Vec<(gix::bstr::BString, gix::ObjectId)> = Vec::new();
        let mut modified: Vec<(gix::bstr::BString, gix::ObjectId, gix::ObjectId)> = Vec::new();
        // Regular files only, as before: submodules and symlinks carry no line counts.
        for change in cache.recorder.records.drain(..) {
            match change {
                Raw::Addition {
                    entry_mode,
                    oid,
                    path,
                    ..
                } if entry_mode.is_blob() => added.push((path, oid)),
                Raw::Deletion {
                    entry_mode,
                    oid,
                    path,
                    ..
                } if entry_mode.is_blob() => deleted.push((path, oid)),
                Raw::Modification {
                    previous_entry_mode,
                    previous_oid,
                    entry_mode,
                    oid,
                    path,
                } => match (previous_entry_mode.is_blob(), entry_mode.is_blob()) {
                    (true, true) => modified.push((path, previous_oid, oid)),
                    (true, false) => deleted.push((path, previous_oid)),
                    (false, true) => added.push((path, oid)),
                    (false, false) => {}
                },
                _ => {}
            }
        }
        // Git's diff queue is in path order; rename detection depends on that order.
        added.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        deleted.sort_unstable_by(|a, b| a.0.cmp(&b.0));

        let mut blobs = Blobs { repo: &cache.blobs };
        let renamed_from = {
            let sources: Vec<renames::File<'_>> = deleted
                .iter()
                .map(|(path, id)| renames::File {
                    path: path.as_slice(),
                    id: *id,
                })
                .collect();
            let dests: Vec<renames::File<'_>> = added
                .iter()
                .map(|(path, id)| renames::File {
                    path: path.as_slice(),
                    id: *id,
                })
                .collect();
            renames::detect(&sources, &dests, &mut blobs)?
        };
        let mut source_used = vec![false; deleted.len()];
        let mut out = Vec::with_capacity(added.len() + deleted.len() + modified.len());
        let text = |data: &[u8]| (!renames::is_binary(data)).then(|| line_count(data));
        for (path, old_id, new_id) in &modified {
            let (added, removed) = self.line_diff(*old_id, *new_id, cache)?.unzip();
            out.push(FileChange {
                path: path.to_str_lossy().into_owned(),
                old_path: None,
                status: ChangeStatus::Modified,
                added,
                removed,
            });
        }
        for ((path, id), from) in added.iter().zip(&renamed_from) {
            let change = match from {
                Some((source, _)) => {
                    source_used[*source] = true;
                    let (old_path, old_id) = &deleted[*source];
                    let (added, removed) = self.line_diff(*old_id, *id, cache)?.unzip();
                    FileChange {
                        path: path.to_str_lossy().into_owned(),
                        old_path: Some(old_path.to_str_lossy().into_owned()),
                        status: ChangeStatus::Renamed,
                        added,
                        removed,
                    }
                }
                None => {
                    let lines = cache.blob(*id)?.and_then(|data| text(&data));
                    FileChange {
                        path: path.to_str_lossy().into_owned(),
                        old_path: None,
                        status: ChangeStatus::Added,
                        added: lines,
                        removed: lines.map(|_| 0),
                    }
                }
            };
            out.push(change);
        }
        for ((path, id), used) in deleted.iter().zip(&source_used) {
            if *used {
                continue;
            }
            let data = cache.blob(*id)?;
            let lines = data.as_deref().and_then(text);
            if let Some(data) = data {
                cache.keep_old(*id, data);
            }
            out.push(FileChange {
                path: path.to_str_lossy().into_owned(),
                old_path: None,
                status: ChangeStatus::Deleted,
                added: lines.map(|_| 0),
                removed: lines,
            });
        }
        cache.next_commit();
        Ok(out)
    }

    /// Lines added and removed between two blobs, `None` if either is binary.
    fn line_diff(
        &self,
        old: gix::ObjectId,
        new: gix::ObjectId,
        cache: &mut DiffCaches,
    ) -> Result<Option<(u32, u32)>, GitError> {
        let Some(before) = cache.blob(old)? else {
            return Ok(None);
        };
        // Git checks for binary content before it looks at ids: an unchanged binary
        // file (a pure rename or mode change) is still `-`.
        let counts = if old == new {
            (!renames::is_binary(&before)).then_some((0, 0))
        } else {
            match cache.blob(new)? {
                Some(after) => cache.line_counts(&before, &after),
                None => None,
            }
        };
        cache.keep_old(old, before);
        Ok(counts)
    }
}

impl DiffCaches {
    /// A blob's content: the copy kept from the last commit when it was the old side
    /// there (this commit being that one's parent), else read from the object database;
    /// `None` (and counted) when the object store does not have it.
    fn blob(&mut self, id: gix::ObjectId) -> Result<Option<Vec<u8>>, GitError> {
        if let Some(data) = self.previous_old.remove(&id) {
            return Ok(Some(data));
        }
        match git!(self.blobs.try_find_object(id), "cannot read blob")? {
            Some(mut object) => Ok(Some(std::mem::take(&mut object.data))),
            None => {
                self.missing += 1;
                Ok(None)
            }
        }
    }

    /// Keeps an old-side blob for the next commit, which is usually this one's parent
    /// and then has it as its new side.
    fn keep_old(&mut self, id: gix::ObjectId, data: Vec<u8>) {
        self.current_old.insert(id, data);
    }

    /// Ends a commit: what it kept is what the next one may reuse.
    fn next_commit(&mut self) {
        self.previous_old = std::mem::take(&mut self.current_old);
    }

    /// Lines added and removed between two texts, `None` if either is binary.
    fn line_counts(&mut self, before: &[u8], after: &[u8]) -> Option<(u32, u32)> {
        if renames::is_binary(before) || renames::is_binary(after) {
            return None;
        }
        // A change that only inserts or only deletes lines needs no diff: past the lines
        // both ends share, one side is empty (the diff would trim the same ends).
        let (head, tail) = common_lines(before, after);
        let (old_middle, new_middle) = (
            &before[head..before.len() - tail],
            &after[head..after.len() - tail],
        );
        if old_middle.is_empty() || new_middle.is_empty() {
            return Some((line_count(new_middle), line_count(old_middle)));
        }
        // Lines keep their newline: "x" and "x\n" differ, as they do for git.
        let input = gix::diff::blob::InternedInput::new(before, after);
        self.diff.compute_with(
            self.algorithm,
            &input.before,
            &input.after,
            input.interner.num_tokens(),
        );
        Some((self.diff.count_additions(), self.diff.count_removals()))
    }
}

/// Per-thread state for reading changes, reused across commits.
pub struct DiffCaches {
    state: gix::diff::tree::State,
    recorder: gix::diff::tree::Recorder,
    /// `diff.algorithm`, as git's line counts use it.
    algorithm: gix::diff::blob::Algorithm,
    diff: gix::diff::blob::Diff,
    /// A handle for blobs without an object cache: blobs are reused through
    /// `previous_old` instead, which moves them rather than copying them in and out.
    blobs: gix::Repository,
    /// Old-side blobs of the commit diffed last, and of the one being diffed.
    previous_old: HashMap<gix::ObjectId, Vec<u8>>,
    current_old: HashMap<gix::ObjectId, Vec<u8>>,
    /// Blobs the commit being read needed and the object store lacks.
    missing: u32,
}

/// Blob sizes and contents for rename detection and line counts.
struct Blobs<'r> {
    repo: &'r gix::Repository,
}

/// A blob the object store lacks reads as empty: rename detection then never pairs it by
/// content (an empty side scores 0), only by identical ids.
impl renames::Contents for Blobs<'_> {
    fn size(&mut self, id: gix::ObjectId) -> Result<u64, GitError> {
        Ok(git!(self.repo.try_find_header(id), "cannot read blob header")?.map_or(0, |h| h.size()))
    }

    fn data(&mut self, id: gix::ObjectId) -> Result<Vec<u8>, GitError> {
        Ok(git!(self.repo.try_find_object(id), "cannot read blob")?
            .map(|mut o| std::mem::take(&mut o.data))
            .unwrap_or_default())
    }
}

/// Bytes of whole lines that two texts share at their start and at their end, without
/// overlapping: what a line diff would trim before comparing the rest.
fn common_lines(a: &[u8], b: &[u8]) -> (usize, usize) {
    let max = a.len().min(b.len());
    let same = common_prefix(a, b);
    // Back to the end of the last whole line both share (a line includes its newline).
    let head = if same == a.len() && same == b.len() {
        same
    } else {
        a[..same].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)
    };
    let rest = max - head;
    let same_tail = common_suffix(&a[a.len() - rest..], &b[b.len() - rest..]);
    // Forward to the start of a line in both: the shared tail must begin right after a
    // newline (or where the untrimmed part begins) on each side.
    let starts_line = |text: &[u8], at: usize| at == head || text[at - 1] == b'\n';
    let mut tail = same_tail;
    while tail > 0 && !(starts_line(a, a.len() - tail) && starts_line(b, b.len() - tail)) {
        tail -= 1;
    }
    (head, tail)
}

/// Bytes compared at once (a slice comparison is a memcmp) before looking at single bytes.
const CHUNK: usize = 64;

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let max = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= max && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    i + a[i..max]
        .iter()
        .zip(&b[i..max])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Equal bytes at the end of two slices of the same length.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len();
    let mut same = 0;
    while same + CHUNK <= n && a[n - same - CHUNK..n - same] == b[n - same - CHUNK..n - same] {
        same += CHUNK;
    }
    same + a[..n - same]
        .iter()
        .rev()
        .zip(b[..n - same].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Lines in a text, the last one counted whether or not it ends in a newline.
fn line_count(data: &[u8]) -> u32 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u32;
    newlines + u32::from(data.last().is_some_and(|&b| b != b'\n'))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_lines_stop_at_line_boundaries() {
        // Identical texts share everything.
        assert_eq!(common_lines(b"a\nb\n", b"a\nb\n"), (4, 0));
        // An inserted line: the rest is shared at both ends.
        let (head, tail) = common_lines(b"a\nc\n", b"a\nb\nc\n");
        assert_eq!((head, tail), (2, 2));
        // A last line gaining its newline shares nothing past the previous line.
        assert_eq!(common_lines(b"x\ny", b"x\ny\n"), (2, 0));
        // A partly equal line is not shared: "ab\n" vs "ac\n".
        assert_eq!(common_lines(b"ab\n", b"ac\n"), (0, 0));
        // Ends never overlap: "a\na\n" -> "a\n" shares one line, not two.
        let (head, tail) = common_lines(b"a\na\n", b"a\n");
        assert_eq!(head + tail, 2);
    }

    #[test]
    fn prefix_and_suffix_compare_chunks_and_bytes() {
        let long: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut other = long.clone();
        other[700] ^= 1;
        assert_eq!(common_prefix(&long, &other), 700);
        assert_eq!(common_suffix(&long, &other), 299);
        assert_eq!(common_prefix(&long, &long[..10]), 10);
        assert_eq!(common_suffix(&long, &long), 1000);
    }

    #[test]
    fn pure_insertions_and_deletions_count_like_a_diff() {
        for (old, new) in [
            (&b"a\nc\n"[..], &b"a\nb\nc\n"[..]),
            (b"a\nb\nc\n", b"a\nc\n"),
            (b"", b"x\ny\n"),
            (b"x\ny", b"x\ny\nz"),
            (b"a\na\na\n", b"a\n"),
        ] {
            let (head, tail) = common_lines(old, new);
            let quick = (
                line_count(&new[head..new.len() - tail]),
                line_count(&old[head..old.len() - tail]),
            );
            let input = gix::diff::blob::InternedInput::new(old, new);
            let diff = gix::diff::blob::Diff::compute(gix::diff::blob::Algorithm::Myers, &input);
            assert_eq!(
                quick,
                (diff.count_additions(), diff.count_removals()),
                "{old:?} -> {new:?}"
            );
        }
    }
}
