//! What a user's SYMBOL argument names, told apart honestly: an empty name, a project
//! whose code is not indexed, a name that matches nothing (with the nearest names the
//! project has), or the qualified names it stands for. `callers` of a misspelt name
//! answering "0 callers" would be false reassurance.

use mira_store::Db;

use crate::CodeError;
use crate::queries::{callees, callers, find_symbols, lookup};

/// How many near names an unknown symbol's error offers.
const NEAR: usize = 5;

/// The qualified names SYMBOL stands for (see [`lookup`]); an error that says what to do
/// when it is empty, the code is not indexed, or nothing is defined or called by that
/// name (then with the nearest names defined in the project).
pub async fn resolve_symbol(db: &Db, project_id: i64, symbol: &str) -> Result<Vec<String>, CodeError> {
    let symbol = symbol.trim();
    if symbol.is_empty() {
        return Err(CodeError::BadInput(
            "give a symbol: a qualified name (`pricing.apply_discount`), a name (`apply_discount`) or part of one"
                .into(),
        ));
    }
    ensure_indexed(db, project_id).await?;
    let names = lookup(db, project_id, symbol).await?;
    let defined = !find_symbols(db, project_id, symbol, 1).await?.is_empty();
    // An external name (`json.dumps`, `serde_json::to_string`) is fine when calls reach it.
    if !defined
        && callers(db, project_id, symbol).await?.is_empty()
        && callees(db, project_id, symbol).await?.is_empty()
    {
        return Err(unknown(symbol, &near_names(db, project_id, symbol).await?));
    }
    Ok(names)
}

/// An error unless the project's code has been indexed at least once.
pub async fn ensure_indexed(db: &Db, project_id: i64) -> Result<(), CodeError> {
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE project_id = ?")
        .bind(project_id)
        .fetch_one(db.pool())
        .await?;
    if files == 0 {
        return Err(CodeError::NotIndexed(
            "the code of this project is not indexed yet: run `mira index` (or \"Index code\" in the Symbols panel)"
                .into(),
        ));
    }
    Ok(())
}

/// The error for a name nothing matches, naming the nearest ones.
pub fn unknown(symbol: &str, near: &[String]) -> CodeError {
    let hint = if near.is_empty() {
        "`mira symbols PART` lists names containing PART".to_string()
    } else {
        format!("did you mean {}?", near.join(", "))
    };
    CodeError::NotFound(format!(
        "no symbol `{symbol}` is defined or called in this project; {hint}"
    ))
}

/// Qualified names of the project's symbols whose name is closest to the last segment
/// of SYMBOL (a typo, a case slip, a missing letter), best first.
pub async fn near_names(db: &Db, project_id: i64, symbol: &str) -> Result<Vec<String>, CodeError> {
    let wanted = last_segment(symbol).to_lowercase();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, MIN(qualified_name) FROM code_elements WHERE project_id = ? AND kind != 'impl' GROUP BY name",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let mut scored: Vec<(f64, String)> = rows
        .into_iter()
        .filter_map(|(name, qualified)| {
            let score = closeness(&wanted, &name.to_lowercase());
            (score > 0.0).then_some((score, qualified))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(scored.into_iter().take(NEAR).map(|(_, q)| q).collect())
}

fn last_segment(symbol: &str) -> &str {
    symbol
        .rsplit(['.', ':', '/', '#'])
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

/// 0 when the two names are not plausibly the same word; else higher is closer. An edit
/// distance within about a quarter of the length (at least one edit) counts, as does a
/// high Jaro-Winkler similarity for longer names.
fn closeness(wanted: &str, name: &str) -> f64 {
    if wanted == name {
        return 2.0;
    }
    let edits = strsim::damerau_levenshtein(wanted, name);
    let allowed = (wanted.chars().count() / 4).max(1);
    let jw = strsim::jaro_winkler(wanted, name);
    if edits <= allowed {
        1.0 + jw - edits as f64 * 0.01
    } else if wanted.len() >= 6 && jw >= 0.92 {
        jw
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_close_and_other_words_are_not() {
        assert!(closeness("apply_discont", "apply_discount") > 1.0);
        assert!(closeness("aply_discount", "apply_discount") > 1.0);
        assert!(closeness("checkuot", "checkout") > 1.0);
        assert_eq!(closeness("apply_discont", "checkout"), 0.0);
        assert_eq!(closeness("run", "main"), 0.0);
        assert!(closeness("apply_discount", "apply_discount") > closeness("apply_discont", "apply_discount"));
    }

    #[test]
    fn the_last_segment_is_the_name() {
        assert_eq!(last_segment("pricing.apply_discont"), "apply_discont");
        assert_eq!(last_segment("crate::db::Db::open"), "open");
        assert_eq!(last_segment("Type::fmt#Display"), "Display");
        assert_eq!(last_segment("plain"), "plain");
    }
}
