//! Whose memory a call reads or writes. A user-scoped item (no project) is recalled in
//! every project; a project-scoped one only in its project, never in another.

use serde::{Deserialize, Serialize};

/// The user every local item belongs to until the server knows more than one.
pub const LOCAL_USER: &str = "local";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub user: String,
    /// The project being worked on; `None` outside any project.
    pub project_id: Option<i64>,
}

impl Scope {
    pub fn user() -> Self {
        Self {
            user: LOCAL_USER.to_string(),
            project_id: None,
        }
    }

    pub fn project(project_id: i64) -> Self {
        Self {
            user: LOCAL_USER.to_string(),
            project_id: Some(project_id),
        }
    }

    /// The SQL condition that keeps a table's rows to what this scope may see, given the
    /// table's alias: the user's own rows with no project or this project. Bind
    /// [`Self::bind_values`] in order.
    pub(crate) fn visible(alias: &str) -> String {
        format!("{alias}.user_id = ? AND ({alias}.project_id IS NULL OR {alias}.project_id = ?)")
    }

    /// The values for [`Self::visible`]: the user, and the project (`-1` matches no
    /// project, so outside a project only user-scoped rows are seen).
    pub(crate) fn bind_values(&self) -> (String, i64) {
        (self.user.clone(), self.project_id.unwrap_or(-1))
    }
}
