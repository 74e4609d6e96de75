//! Co-change ranking on a real repository: commit size and recency must change the order
//! that shared-commit counts alone would give.

use mira_git::queries::{self, CochangeSuggestion};
use mira_git::structure::Relation;

use crate::fixture::{Repo, lines};
use crate::indexing::{git_config, index, setup};

const ANN: &str = "Ann Smith <ann@x.org>";
const YEAR: i64 = 365;

/// `src/core.rs` shares 3 two-file commits with `lib/small.rs` and 4 commits of 22 files
/// with `lib/big.rs`; `src/clock.rs` shares 3 commits with `lib/old.rs` three years before
/// its 2 with `lib/new.rs`. `tests/clock_test.rs` changes with `src/clock.rs` twice.
fn history() -> Repo {
    let repo = Repo::new();
    let mut version = 0;
    let mut touch = |repo: &Repo, paths: &[&str]| {
        version += 1;
        for p in paths {
            repo.write(p, &lines(&format!("{p} v{version}"), 3));
        }
    };
    for day in 0..3 {
        touch(&repo, &["src/core.rs", "lib/small.rs"]);
        repo.commit(ANN, day, "core and small");
    }
    for day in 3..7 {
        touch(&repo, &["src/core.rs", "lib/big.rs"]);
        let fillers: Vec<String> = (0..20).map(|i| format!("fill/d{day}_{i}.rs")).collect();
        touch(&repo, &fillers.iter().map(String::as_str).collect::<Vec<_>>());
        repo.commit(ANN, day, "core, big and twenty more");
    }
    for day in 10..13 {
        touch(&repo, &["src/clock.rs", "lib/old.rs"]);
        repo.commit(ANN, day, "clock and old");
    }
    for day in [3 * YEAR, 3 * YEAR + 1] {
        touch(&repo, &["src/clock.rs", "lib/new.rs"]);
        repo.commit(ANN, day, "clock and new");
        touch(&repo, &["src/clock.rs", "tests/clock_test.rs"]);
        repo.commit(ANN, day, "clock and its test");
    }
    repo
}

fn position(found: &[CochangeSuggestion], file: &str) -> usize {
    found
        .iter()
        .position(|s| s.file == file)
        .unwrap_or_else(|| panic!("{file} missing from {found:?}"))
}

#[tokio::test]
async fn small_commits_outweigh_more_shared_commits_in_big_ones() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let found = queries::cochange(&db, project.id, "src/core.rs", 10, &git_config())
        .await
        .unwrap();
    let (small, big) = (position(&found, "lib/small.rs"), position(&found, "lib/big.rs"));
    // By count alone big would lead: 4 shared commits against 3.
    assert_eq!(found[big].shared_commits, 4);
    assert_eq!(found[small].shared_commits, 3);
    assert!(small < big, "{found:?}");
    assert!(found[small].weighted > 10.0 * found[big].weighted);
    assert!(
        found[small].evidence.contains("in commits of about 2 files"),
        "{}",
        found[small].evidence
    );
    assert!(
        found[big].evidence.contains("in commits of about 22 files"),
        "{}",
        found[big].evidence
    );
}

#[tokio::test]
async fn recent_cochanges_outweigh_more_old_ones() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let found = queries::cochange(&db, project.id, "src/clock.rs", 10, &git_config())
        .await
        .unwrap();
    let (old, new) = (position(&found, "lib/old.rs"), position(&found, "lib/new.rs"));
    assert_eq!((found[old].shared_commits, found[new].shared_commits), (3, 2));
    assert!(new < old, "{found:?}");
    // The test of clock.rs: as many shared commits as new.rs, ranked above it by its name.
    let test = position(&found, "tests/clock_test.rs");
    assert_eq!(found[test].relation, Some(Relation::TestAndCode));
    assert!(found[test].evidence.ends_with("; a test and the code it names"));
    assert_eq!(test, 0, "{found:?}");
}

#[tokio::test]
async fn an_index_made_by_older_counts_is_rebuilt_not_added_to() {
    let repo = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let sized = || async {
        sqlx::query_scalar::<_, f64>(
            "SELECT sized_weight FROM file_cochange_patterns WHERE file_a = 'lib/small.rs' AND file_b = 'src/core.rs'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
    };
    let fresh = sized().await;
    assert!(fresh > 0.0);
    // An index from before sized weights: counts_version 1 (the migration's default), and
    // zeroed weights here so that only a rebuild can restore them.
    sqlx::query("UPDATE file_cochange_patterns SET sized_weight = 0")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE git_index_state SET counts_version = 1")
        .execute(db.pool())
        .await
        .unwrap();
    repo.write("README.md", "later\n");
    repo.commit(ANN, 3 * YEAR + 2, "docs");
    index(&db, &project).await;
    let rebuilt = sized().await;
    // Rebuilt against a new decay epoch: the same evidence, on a different scale.
    assert!(rebuilt > 0.0, "sized weights were not rebuilt");
    let version: i64 = sqlx::query_scalar("SELECT counts_version FROM git_index_state")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(version, 2);
}
