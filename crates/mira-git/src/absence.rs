//! Why a history query has nothing to say, told apart: the project is not a git
//! repository, its history is not indexed, the path names nothing (no file and no
//! commit), or (the only case answered with an empty list) nothing matched.

use mira_store::Db;
use mira_store::projects::Project;

use crate::GitError;

/// An error that says what to do unless the project's history is indexed and, when
/// `path` is given, it names a file or directory of the work tree or of an indexed commit.
pub async fn check_history(db: &Db, project: &Project, path: Option<&str>) -> Result<(), GitError> {
    let indexed: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM git_index_state WHERE project_id = ?)")
            .bind(project.id)
            .fetch_one(db.pool())
            .await?;
    if !indexed {
        if !project.is_git && !project.root.join(".git").exists() {
            return Err(GitError::NotARepository {
                path: project.root.clone(),
                message: "no .git directory, so there is no history".into(),
            });
        }
        return Err(GitError::NotIndexed(
            "the git history of this project is not indexed yet: run `mira index` (or \"Index git history\" in the Git panel)"
                .into(),
        ));
    }
    let Some(path) = path.filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    if project.root.join(path).exists() || touched(db, project.id, path).await? {
        return Ok(());
    }
    Err(GitError::NotFound(format!(
        "`{path}` is not in the project: no such file or directory, and no indexed commit touches it"
    )))
}

/// Whether any indexed commit touched `path` (a file, or a directory's files).
pub async fn touched(db: &Db, project_id: i64, path: &str) -> Result<bool, GitError> {
    let dir = format!("{}/%", path.trim_end_matches('/'));
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM git_file_changes WHERE project_id = ?1 \
         AND (path = ?2 OR old_path = ?2 OR path LIKE ?3))",
    )
    .bind(project_id)
    .bind(path)
    .bind(dir)
    .fetch_one(db.pool())
    .await?)
}
