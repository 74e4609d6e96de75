//! The concept index: what a symbol is about ("database", "authentication"), derived
//! without an LLM from the packages it uses, its name and its doc comment, by rules kept
//! in SQLite (`concept_rules`, `concept_synonyms`) that users extend. A query that names
//! a concept, or one of its synonyms, also finds the symbols tagged with it. Concepts a
//! model gave (`mira analyze`, source `llm`) live in the same index and survive re-index.

mod builtin;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mira_store::Db;
use serde::Serialize;

use crate::SearchError;
use crate::tokenize;

/// The pseudo-term a tagged chunk carries in its BM25 vector, so that a concept can be
/// looked up by keyword alone (before any dense vector exists).
pub fn concept_term(concept: &str) -> String {
    format!("concept:{concept}")
}

/// A concept found for a symbol, with what matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    pub concept: String,
    /// `package`, `identifier` or `doc`.
    pub source: &'static str,
    pub evidence: String,
    pub confidence: f64,
}

/// An import of the file a chunk is in: the module as written and the name it binds.
#[derive(Debug, Clone)]
pub struct Import {
    pub module: String,
    pub alias: String,
}

/// A rule row: (kind, pattern, concept).
pub type RuleRow = (String, String, String);
/// A synonym row: (concept, term).
pub type SynonymRow = (String, String);

#[derive(Debug, Clone, Default)]
pub struct ConceptRules {
    /// Package name (`-` written `_`) -> concepts.
    packages: HashMap<String, Vec<String>>,
    /// Identifier word -> concepts.
    words: HashMap<String, Vec<String>>,
    /// Query phrases (stemmed terms) -> concept; a concept's own name is one.
    synonyms: Vec<(Vec<String>, String)>,
}

fn normalise_package(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// The package an import names: its first segment (`sqlx::query` -> sqlx,
/// `django.db.models` -> django), for Go the last segment that is not a version
/// (`github.com/jackc/pgx/v5` -> pgx), for npm the package of a scoped path.
fn package_of(module: &str) -> String {
    let m = module.trim_matches(['"', '\'']);
    if m.contains('/') && (m.contains('.') && !m.starts_with('.')) {
        let seg = m
            .split('/')
            .rev()
            .find(|s| !(s.is_empty() || s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit())))
            .unwrap_or(m);
        return normalise_package(seg);
    }
    if let Some(scoped) = m.strip_prefix('@') {
        // `@prisma/client`: the scope names the project.
        return normalise_package(scoped.split('/').next().unwrap_or(scoped));
    }
    let first = m
        .split(['.', ':', '/'])
        .find(|s| !s.is_empty() && *s != "crate" && *s != "self" && *s != "super")
        .unwrap_or(m);
    normalise_package(first)
}

impl ConceptRules {
    /// Builds the rules from rows: (kind, pattern, concept) and (concept, term).
    pub fn from_rows(rules: &[RuleRow], synonyms: &[SynonymRow]) -> Self {
        let mut out = ConceptRules::default();
        let mut concepts = BTreeSet::new();
        for (kind, pattern, concept) in rules {
            concepts.insert(concept.clone());
            let map = if kind == "package" {
                &mut out.packages
            } else {
                &mut out.words
            };
            let key = if kind == "package" {
                normalise_package(pattern)
            } else {
                pattern.to_lowercase()
            };
            let list = map.entry(key).or_default();
            if !list.contains(concept) {
                list.push(concept.clone());
            }
        }
        let mut phrases = BTreeSet::new();
        for (concept, term) in synonyms {
            concepts.insert(concept.clone());
            phrases.insert((tokenize::terms(term), concept.clone()));
        }
        for concept in concepts {
            phrases.insert((tokenize::terms(&concept), concept));
        }
        out.synonyms = phrases.into_iter().filter(|(t, _)| !t.is_empty()).collect();
        out
    }

    /// Mira's built-in rules only (what a fresh database is seeded with).
    pub fn builtin() -> Self {
        let (rules, synonyms) = builtin_rows();
        Self::from_rows(&rules, &synonyms)
    }

    /// Concepts of a chunk of symbol `symbol` (qualified name) with doc comment `doc`,
    /// whose text is `text`, in a file with `imports`.
    pub fn derive(
        &self,
        symbol: Option<&str>,
        doc: Option<&str>,
        text: &str,
        imports: &[Import],
    ) -> Vec<Derived> {
        let mut found: BTreeMap<String, Derived> = BTreeMap::new();
        let mut add = |concept: &str, source: &'static str, evidence: &str, confidence: f64| {
            let entry = found.entry(concept.to_string()).or_insert_with(|| Derived {
                concept: concept.to_string(),
                source,
                evidence: evidence.to_string(),
                confidence,
            });
            if confidence > entry.confidence {
                *entry = Derived {
                    concept: concept.to_string(),
                    source,
                    evidence: evidence.to_string(),
                    confidence,
                };
            }
        };
        let words: BTreeSet<&str> = tokenize::words(text).collect();
        // Packages: imported and referenced in the chunk, or used by path (`sqlx::query`).
        for import in imports {
            let package = package_of(&import.module);
            let Some(concepts) = self.packages.get(&package) else {
                continue;
            };
            let alias = import.alias.trim();
            if words.contains(alias) || words.contains(package.as_str()) {
                for c in concepts {
                    add(c, "package", &package, 0.9);
                }
            }
        }
        for word in &words {
            let key = normalise_package(word);
            if let Some(concepts) = self.packages.get(&key)
                && (text.contains(&format!("{word}::")) || text.contains(&format!("{word}.")))
                && key.len() >= 3
            {
                for c in concepts {
                    add(c, "package", &key, 0.8);
                }
            }
        }
        // The symbol's own name and its owner's (`Database::open` is about a database).
        if let Some(symbol) = symbol {
            let segments: Vec<&str> = symbol
                .rsplit(['.', ':'])
                .filter(|s| !s.is_empty())
                .take(2)
                .collect();
            for seg in segments {
                for part in tokenize::identifier_parts(seg) {
                    if let Some(concepts) = self.words.get(&part) {
                        for c in concepts {
                            add(c, "identifier", &part, 0.7);
                        }
                    }
                }
            }
        }
        if let Some(doc) = doc {
            for word in tokenize::words(doc) {
                let w = word.to_lowercase();
                if let Some(concepts) = self.words.get(&w) {
                    for c in concepts {
                        add(c, "doc", &w, 0.6);
                    }
                }
            }
        }
        found.into_values().collect()
    }

    /// Concepts a query names: its terms contain a concept's name or a synonym phrase.
    pub fn in_query(&self, query: &str) -> Vec<String> {
        let terms = tokenize::terms(query);
        let mut out: Vec<String> = Vec::new();
        for (phrase, concept) in &self.synonyms {
            let hit = terms.windows(phrase.len()).any(|w| w == phrase.as_slice());
            if hit && !out.contains(concept) {
                out.push(concept.clone());
            }
        }
        out
    }
}

/// The built-in rules as rows: (kind, pattern, concept) and (concept, term).
pub fn builtin_rows() -> (Vec<RuleRow>, Vec<SynonymRow>) {
    let mut rules = Vec::new();
    let mut synonyms = Vec::new();
    for (concept, packages, words, terms) in builtin::RULES {
        for p in *packages {
            rules.push(("package".to_string(), (*p).to_string(), (*concept).to_string()));
        }
        for w in *words {
            rules.push(("identifier".to_string(), (*w).to_string(), (*concept).to_string()));
        }
        for t in *terms {
            synonyms.push(((*concept).to_string(), (*t).to_string()));
        }
    }
    (rules, synonyms)
}

/// Brings the built-in rows up to this version (user rows untouched) and loads all rules.
pub async fn load(db: &Db) -> Result<ConceptRules, SearchError> {
    let (rules, synonyms) = builtin_rows();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM concept_rules WHERE builtin = 1")
        .fetch_one(db.pool())
        .await?;
    let stored_syn: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM concept_synonyms WHERE builtin = 1")
        .fetch_one(db.pool())
        .await?;
    if stored as usize != rules.len() || stored_syn as usize != synonyms.len() {
        let mut tx = db.pool().begin().await?;
        sqlx::query("DELETE FROM concept_rules WHERE builtin = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM concept_synonyms WHERE builtin = 1")
            .execute(&mut *tx)
            .await?;
        for (kind, pattern, concept) in &rules {
            sqlx::query(
                "INSERT OR IGNORE INTO concept_rules (kind, pattern, concept, builtin) VALUES (?, ?, ?, 1)",
            )
            .bind(kind)
            .bind(pattern)
            .bind(concept)
            .execute(&mut *tx)
            .await?;
        }
        for (concept, term) in &synonyms {
            sqlx::query("INSERT OR IGNORE INTO concept_synonyms (concept, term, builtin) VALUES (?, ?, 1)")
                .bind(concept)
                .bind(term)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let rules: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, pattern, concept FROM concept_rules")
            .fetch_all(db.pool())
            .await?;
    let synonyms: Vec<SynonymRow> = sqlx::query_as("SELECT concept, term FROM concept_synonyms")
        .fetch_all(db.pool())
        .await?;
    Ok(ConceptRules::from_rows(&rules, &synonyms))
}

/// Adds a user rule: `kind` is `package`, `identifier` or `synonym`. Takes effect at the
/// next index (for packages and identifiers: every file is re-tagged) or the next query
/// (synonyms).
pub async fn add_rule(db: &Db, kind: &str, pattern: &str, concept: &str) -> Result<(), SearchError> {
    let concept = concept.trim().to_lowercase();
    let pattern = pattern.trim();
    if concept.is_empty() || pattern.is_empty() {
        return Err(SearchError::Invalid(
            "a concept rule needs a pattern and a concept".into(),
        ));
    }
    match kind {
        "package" | "identifier" => {
            let pattern = if kind == "identifier" {
                pattern.to_lowercase()
            } else {
                pattern.to_string()
            };
            sqlx::query(
                "INSERT OR IGNORE INTO concept_rules (kind, pattern, concept, builtin) VALUES (?, ?, ?, 0)",
            )
            .bind(kind)
            .bind(pattern)
            .bind(&concept)
            .execute(db.pool())
            .await?;
        }
        "synonym" => {
            sqlx::query("INSERT OR IGNORE INTO concept_synonyms (concept, term, builtin) VALUES (?, ?, 0)")
                .bind(&concept)
                .bind(pattern.to_lowercase())
                .execute(db.pool())
                .await?;
        }
        other => {
            return Err(SearchError::Invalid(format!(
                "unknown rule kind `{other}`: use package, identifier or synonym"
            )));
        }
    }
    if kind != "synonym" {
        // Every file is chunked again at the next index so the rule tags existing code;
        // chunks whose text did not change keep their vectors (only their tags change).
        sqlx::query("UPDATE search_files SET content_hash = ''")
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// A concept with the number of symbols tagged with it in a project.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptCount {
    pub concept: String,
    pub symbols: i64,
}

pub async fn counts(db: &Db, project_id: i64) -> Result<Vec<ConceptCount>, SearchError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT concept, COUNT(*) FROM concept_index WHERE project_id = ? GROUP BY concept ORDER BY COUNT(*) DESC, concept",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(concept, symbols)| ConceptCount { concept, symbols })
        .collect())
}

/// A symbol tagged with a concept.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tagged {
    pub path: String,
    pub symbol: String,
    pub concept: String,
    pub source: String,
    pub evidence: String,
    pub confidence: f64,
}

/// The symbols tagged with `concept` (or a concept one of whose synonyms it is).
pub async fn symbols_with(
    db: &Db,
    rules: &ConceptRules,
    project_id: i64,
    concept: &str,
) -> Result<Vec<Tagged>, SearchError> {
    let mut names = rules.in_query(concept);
    if names.is_empty() {
        names.push(concept.trim().to_lowercase());
    }
    let mut out = Vec::new();
    for name in names {
        let rows: Vec<(String, String, String, String, String, f64)> = sqlx::query_as(
            "SELECT path, symbol, concept, source, evidence, confidence FROM concept_index
             WHERE project_id = ? AND concept = ? ORDER BY confidence DESC, path, symbol",
        )
        .bind(project_id)
        .bind(&name)
        .fetch_all(db.pool())
        .await?;
        out.extend(
            rows.into_iter()
                .map(|(path, symbol, concept, source, evidence, confidence)| Tagged {
                    path,
                    symbol,
                    concept,
                    source,
                    evidence,
                    confidence,
                }),
        );
    }
    Ok(out)
}

/// The `llm` concepts of a file's symbols (from `mira analyze`), by qualified name.
pub async fn llm_tags(
    db: &Db,
    project_id: i64,
    path: &str,
) -> Result<HashMap<String, Vec<String>>, SearchError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT symbol, concept FROM concept_index WHERE project_id = ? AND path = ? AND source = 'llm'
         ORDER BY symbol, concept",
    )
    .bind(project_id)
    .bind(path)
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (symbol, concept) in rows {
        out.entry(symbol).or_default().push(concept);
    }
    Ok(out)
}

/// Words of a query that name a concept of the project's index though no rule knows
/// them (concepts a model gave): the rules' vocabulary cannot list those.
pub async fn stored_in_query(db: &Db, project_id: i64, query: &str) -> Result<Vec<String>, SearchError> {
    let mut words: Vec<String> = tokenize::words(query)
        .map(str::to_lowercase)
        .filter(|w| !tokenize::is_stopword(w))
        .collect();
    words.sort();
    words.dedup();
    let mut out = Vec::new();
    for word in words.iter().take(16) {
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM concept_index WHERE project_id = ? AND concept = ? AND source = 'llm' LIMIT 1",
        )
        .bind(project_id)
        .bind(word)
        .fetch_optional(db.pool())
        .await?;
        if hit.is_some() {
            out.push(word.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(list: &[(&str, &str)]) -> Vec<Import> {
        list.iter()
            .map(|(m, a)| Import {
                module: m.to_string(),
                alias: a.to_string(),
            })
            .collect()
    }

    #[test]
    fn packages_used_by_the_chunk_tag_it() {
        let rules = ConceptRules::builtin();
        let text = "def load_user(conn, uid):\n    return Session(conn).get(uid)";
        let found = rules.derive(
            Some("app.users.load_user"),
            None,
            text,
            &imports(&[("sqlalchemy.orm", "Session")]),
        );
        assert!(
            found
                .iter()
                .any(|d| d.concept == "database" && d.source == "package"),
            "{found:?}"
        );
        // Imported by the file but not used in this chunk: no tag.
        let other = rules.derive(
            Some("app.users.greet"),
            None,
            "def greet(): return 'hi'",
            &imports(&[("sqlalchemy.orm", "Session")]),
        );
        assert!(other.iter().all(|d| d.concept != "database"), "{other:?}");
    }

    #[test]
    fn names_and_docs_tag_symbols_and_queries_find_concepts_by_synonym() {
        let rules = ConceptRules::builtin();
        let found = rules.derive(
            Some("crate::auth::verify_password"),
            Some("Checks a login."),
            "fn verify_password() {}",
            &[],
        );
        assert!(found.iter().any(|d| d.concept == "authentication"), "{found:?}");
        assert_eq!(rules.in_query("find all database access code"), ["database"]);
        assert!(
            rules
                .in_query("where do we persist things")
                .contains(&"database".to_string())
        );
        assert!(rules.in_query("rename a variable").is_empty());
    }

    #[test]
    fn package_names_come_from_every_import_style() {
        assert_eq!(package_of("sqlx::query"), "sqlx");
        assert_eq!(package_of("django.db.models"), "django");
        assert_eq!(package_of("github.com/jackc/pgx/v5"), "pgx");
        assert_eq!(package_of("@prisma/client"), "prisma");
        assert_eq!(package_of("better-sqlite3"), "better_sqlite3");
        assert_eq!(package_of("crate::store"), "store");
    }
}
