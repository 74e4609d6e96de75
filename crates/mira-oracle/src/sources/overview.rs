//! A short overview of the project: its languages, its top-level layout and the head
//! of its README, so the model knows where it is before it reads the details.

use super::{Found, Query, Scored, item};

const README_LINES: usize = 25;

pub async fn overview(q: &Query<'_>) -> Result<Found, String> {
    let languages: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT language, COUNT(*), SUM(line_count) FROM files WHERE project_id = ? AND language IS NOT NULL \
         GROUP BY language ORDER BY SUM(line_count) DESC",
    )
    .bind(q.project.id)
    .fetch_all(q.db.pool())
    .await
    .map_err(|e| e.to_string())?;
    let mut text = format!("Project {} at {}.\n", q.project.name, q.project.root.display());
    if !languages.is_empty() {
        let parts: Vec<String> = languages
            .iter()
            .filter_map(|(l, files, lines)| l.as_ref().map(|l| format!("{l} ({files} files, {lines} lines)")))
            .collect();
        text.push_str(&format!("Languages: {}.\n", parts.join(", ")));
    }
    let root = q.project.root.clone();
    let (layout, readme) = tokio::task::spawn_blocking(move || (layout(&root), readme(&root)))
        .await
        .map_err(|e| e.to_string())?;
    if !layout.is_empty() {
        text.push_str(&format!("Top level: {}.\n", layout.join(", ")));
    }
    if let Some((name, head)) = readme {
        text.push_str(&format!("Start of {name}:\n{head}"));
    }
    let mut found = Found::default();
    found.items.push(Scored {
        item: item("overview", None, None, text, "project overview".into()),
        base: 0.15,
    });
    Ok(found)
}

fn layout(root: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                return None;
            }
            let dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            Some(if dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    names.truncate(40);
    names
}

fn readme(root: &std::path::Path) -> Option<(String, String)> {
    for name in ["README.md", "README.rst", "README.txt", "README", "readme.md"] {
        if let Ok(text) = std::fs::read_to_string(root.join(name)) {
            let head: String = text
                .lines()
                .take(README_LINES)
                .map(|l| format!("{}\n", l.chars().take(200).collect::<String>()))
                .collect();
            return Some((name.to_string(), head));
        }
    }
    None
}
