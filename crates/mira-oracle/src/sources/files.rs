//! The project's indexed files, and how a path as a task writes it (absolute, under
//! `site-packages/`, relative to a subdirectory) or a dotted module name finds one.

use std::collections::{HashMap, HashSet};

use mira_store::Db;

#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    paths: HashSet<String>,
    /// File name -> paths with that name.
    by_name: HashMap<String, Vec<String>>,
}

impl ProjectFiles {
    pub async fn load(db: &Db, project_id: i64) -> Result<Self, sqlx::Error> {
        let paths: Vec<String> = sqlx::query_scalar("SELECT path FROM files WHERE project_id = ?")
            .bind(project_id)
            .fetch_all(db.pool())
            .await?;
        Ok(Self::from_paths(paths))
    }

    pub fn from_paths(paths: impl IntoIterator<Item = String>) -> Self {
        let mut out = Self::default();
        for p in paths {
            let name = p.rsplit('/').next().unwrap_or(&p).to_string();
            out.by_name.entry(name).or_default().push(p.clone());
            out.paths.insert(p);
        }
        for list in out.by_name.values_mut() {
            list.sort();
        }
        out
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// The project file a written path means: itself, else the file whose path is the
    /// longest tail of it (`/usr/lib/python3/site-packages/pkg/a.py` -> `pkg/a.py`), else
    /// the only file that ends with it (`a/b.py` written from a subdirectory).
    pub fn resolve(&self, written: &str) -> Option<String> {
        let written = written.trim().trim_start_matches("./").replace('\\', "/");
        if self.paths.contains(&written) {
            return Some(written);
        }
        let name = written.rsplit('/').next()?;
        let candidates = self.by_name.get(name)?;
        let parts: Vec<&str> = written.split('/').collect();
        // Candidates whose whole path is a tail of what was written, or of which what
        // was written is a tail, by how many trailing components they share.
        let mut matches: Vec<(usize, &String)> = candidates
            .iter()
            .filter_map(|c| {
                let cparts: Vec<&str> = c.split('/').collect();
                let common = parts
                    .iter()
                    .rev()
                    .zip(cparts.iter().rev())
                    .take_while(|(a, b)| a == b)
                    .count();
                (common == cparts.len() || common == parts.len()).then_some((common, c))
            })
            .collect();
        matches.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        match matches.as_slice() {
            [] => None,
            [(_, only)] => Some((*only).clone()),
            [(n, first), (m, _), ..] if n > m => Some((*first).clone()),
            // Equally good tails (`core.py` of two packages): ambiguous.
            _ => None,
        }
    }

    /// Files a module stem (`pkg/io/fits`) may mean, in the conventions of Python, Rust,
    /// Go and JS.
    pub fn module_files(&self, stem: &str) -> Vec<String> {
        let suffixes = [
            ".py",
            "/__init__.py",
            ".rs",
            "/mod.rs",
            ".ts",
            ".js",
            "/index.ts",
            "/index.js",
        ];
        let mut out = Vec::new();
        for s in suffixes {
            let candidate = format!("{stem}{s}");
            if let Some(found) = self.resolve_tail(&candidate) {
                out.push(found);
            }
        }
        out
    }

    /// Like [`resolve`](Self::resolve) for a module path, which may sit under a source
    /// directory (`src/pkg/a.py` for `pkg.a`).
    fn resolve_tail(&self, tail: &str) -> Option<String> {
        if self.paths.contains(tail) {
            return Some(tail.to_string());
        }
        let name = tail.rsplit('/').next()?;
        let candidates = self.by_name.get(name)?;
        let mut matching = candidates.iter().filter(|c| c.ends_with(&format!("/{tail}")));
        let first = matching.next()?;
        matching.next().is_none().then(|| first.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> ProjectFiles {
        ProjectFiles::from_paths(
            [
                "pkg/io/writer.py",
                "pkg/core.py",
                "pkg/io/__init__.py",
                "src/lib.rs",
                "tests/test_core.py",
                "docs/core.py",
            ]
            .map(String::from),
        )
    }

    #[test]
    fn written_paths_find_project_files() {
        let f = files();
        assert_eq!(f.resolve("pkg/core.py").as_deref(), Some("pkg/core.py"));
        assert_eq!(
            f.resolve("/usr/lib/python3/site-packages/pkg/io/writer.py")
                .as_deref(),
            Some("pkg/io/writer.py")
        );
        assert_eq!(f.resolve("./src/lib.rs").as_deref(), Some("src/lib.rs"));
        assert_eq!(f.resolve("writer.py").as_deref(), Some("pkg/io/writer.py"));
        // Two files are named core.py: a bare name is ambiguous.
        assert_eq!(f.resolve("core.py"), None);
        assert_eq!(f.resolve("/elsewhere/other.py"), None);
    }

    #[test]
    fn module_names_find_their_files() {
        let f = files();
        assert_eq!(f.module_files("pkg/io"), vec!["pkg/io/__init__.py".to_string()]);
        assert_eq!(
            f.module_files("pkg/io/writer"),
            vec!["pkg/io/writer.py".to_string()]
        );
        assert!(f.module_files("numpy/linalg").is_empty());
    }
}
