use mira_llm::scrub::Scrubber;
use mira_memory::extract::{self, USER_SPEAKER};
use mira_memory::{Scope, facts, turns};

use crate::{db, turn};

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn a_contradicting_statement_supersedes_and_both_are_listed_with_their_validity() {
    let t = db().await;
    let keys = Scrubber::default();
    let scope = Scope::user();
    turns::add(
        &t.db,
        &scope,
        &[
            turn("7", "", "1", USER_SPEAKER, "I prefer tabs for indentation.", DAY),
            turn("7", "", "2", "assistant", "Noted.", DAY + 1),
            turn(
                "9",
                "",
                "5",
                USER_SPEAKER,
                "Also, I prefer tabs for indentation",
                3 * DAY,
            ),
            turn(
                "12",
                "",
                "8",
                USER_SPEAKER,
                "I prefer spaces over tabs now.",
                10 * DAY,
            ),
        ],
        &keys,
    )
    .await
    .unwrap();
    let report = extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    assert_eq!(
        (report.turns, report.added, report.unchanged, report.superseded),
        (4, 1, 1, 1),
        "{report:?}"
    );

    let current = facts::list(&t.db, &scope, false).await.unwrap();
    assert_eq!(current.len(), 1, "{current:#?}");
    assert_eq!(current[0].text, "I prefer spaces over tabs now.");
    assert_eq!(current[0].valid_from, 10 * DAY);

    let history = facts::list(&t.db, &scope, true).await.unwrap();
    assert_eq!(history.len(), 2);
    let old = history.iter().find(|f| f.text.contains("tabs for")).unwrap();
    assert_eq!(old.valid_from, DAY);
    assert_eq!(old.valid_to, Some(10 * DAY));
    assert_eq!(old.superseded_by, Some(current[0].id));
    // Said twice: both messages are its sources, and nothing else.
    let sources: Vec<(&str, &str)> = old
        .sources
        .iter()
        .map(|s| (s.conversation.as_str(), s.message.as_str()))
        .collect();
    assert_eq!(sources, vec![("7", "1"), ("9", "5")]);

    // Reading the same turns again learns nothing twice.
    let again = extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    assert_eq!(again.turns, 0);
}

#[tokio::test]
async fn switching_tools_closes_the_old_one_and_more_detail_updates_in_place() {
    let t = db().await;
    let project = crate::project(&t, "shop").await;
    let scope = Scope::project(project);
    turns::add(
        &t.db,
        &scope,
        &[
            turn("1", "", "1", USER_SPEAKER, "We use Postgres.", DAY),
            turn("1", "", "2", USER_SPEAKER, "We use pytest", DAY),
            turn("1", "", "3", USER_SPEAKER, "We use pytest with xdist", 2 * DAY),
            turn(
                "2",
                "",
                "4",
                USER_SPEAKER,
                "We switched from Postgres to SQLite.",
                5 * DAY,
            ),
        ],
        &Scrubber::default(),
    )
    .await
    .unwrap();
    let report = extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    assert_eq!(
        (report.added, report.updated, report.superseded),
        (2, 1, 1),
        "{report:?}"
    );
    let current: Vec<String> = facts::list(&t.db, &scope, false)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.text)
        .collect();
    assert_eq!(
        current,
        vec![
            "We switched from Postgres to SQLite.",
            "We use pytest with xdist."
        ]
    );
    // Project facts are the project's: the user scope outside it does not see them.
    assert!(facts::list(&t.db, &Scope::user(), true).await.unwrap().is_empty());
}

#[tokio::test]
async fn forget_and_edit_act_on_one_item() {
    let t = db().await;
    let scope = Scope::user();
    turns::add(
        &t.db,
        &scope,
        &[turn("1", "", "1", USER_SPEAKER, "Never force-push to main.", DAY)],
        &Scrubber::default(),
    )
    .await
    .unwrap();
    extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    let fact = facts::list(&t.db, &scope, false).await.unwrap().remove(0);
    assert_eq!(fact.category, "constraint");
    let edited = facts::edit(&t.db, fact.id, "Never force-push to main or release branches.")
        .await
        .unwrap();
    assert_eq!(edited.sources, fact.sources);
    facts::forget(&t.db, fact.id).await.unwrap();
    assert!(facts::list(&t.db, &scope, true).await.unwrap().is_empty());
    assert!(matches!(
        facts::forget(&t.db, fact.id).await,
        Err(mira_memory::MemoryError::NoSuchItem(_))
    ));
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memory_fact_sources")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn secrets_in_a_message_are_never_stored() {
    let t = db().await;
    let keys = Scrubber::new([mira_core::Secret::new("configured-provider-key-0123456789")]);
    let secret_lines = "Remember that our deploy token is ghp_0123456789abcdefghijABCDEFGHIJ0123 \
        and the password: Tr0ub4dor&3, mail ops@example.org, key configured-provider-key-0123456789";
    turns::add(
        &t.db,
        &Scope::user(),
        &[turn("1", "", "1", USER_SPEAKER, secret_lines, DAY)],
        &keys,
    )
    .await
    .unwrap();
    extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    t.db.close().await;
    for text in data_dir_texts(t.dir.path()) {
        for secret in [
            "ghp_0123456789abcdefghij",
            "Tr0ub4dor",
            "ops@example.org",
            "configured-provider-key",
        ] {
            assert!(!text.contains(secret), "{secret} reached the data dir");
        }
    }
}

/// Every file's text in `dir`. SQLite removes the -wal and -shm files when its
/// last connection closes, which the pool's worker threads may do just after
/// `close()` returns: a file that vanishes mid-scan restarts the scan, so the
/// main file is read again after the checkpoint folded the log into it.
fn data_dir_texts(dir: &std::path::Path) -> Vec<String> {
    'scan: for _ in 0..100 {
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            match std::fs::read(entry.unwrap().path()) {
                Ok(bytes) => texts.push(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue 'scan;
                }
                Err(e) => panic!("reading the data dir: {e}"),
            }
        }
        return texts;
    }
    panic!("files in {} kept vanishing for 2 s", dir.display());
}

#[tokio::test]
async fn the_profile_follows_the_users_current_preferences_and_names_through_every_change() {
    let t = db().await;
    let a = crate::project(&t, "a").await;
    let keys_of = |p: &[mira_memory::profile::ProfileEntry]| -> Vec<(String, String)> {
        p.iter().map(|e| (e.key.clone(), e.value.clone())).collect()
    };
    let user = Scope::user();
    let tabs = facts::learn(
        &t.db,
        &user,
        &facts::told("I prefer tabs over spaces.".into(), DAY),
    )
    .await
    .unwrap();
    facts::learn(&t.db, &user, &facts::told("My name is Ada.".into(), DAY))
        .await
        .unwrap();
    // A project's decision is not the user's profile.
    facts::learn(
        &t.db,
        &Scope::project(a),
        &facts::told("We use pytest for tests.".into(), DAY),
    )
    .await
    .unwrap();
    let profile = mira_memory::profile::list(&t.db, "local").await.unwrap();
    assert_eq!(profile.len(), 2, "{profile:#?}");
    let tabs_entry = profile.iter().find(|e| e.value.contains("tabs")).unwrap();
    assert_eq!(tabs_entry.fact, format!("f{}", tabs.id()));

    // Superseded: the old preference leaves, the new one comes.
    facts::learn(
        &t.db,
        &user,
        &facts::told("I prefer spaces over tabs.".into(), 2 * DAY),
    )
    .await
    .unwrap();
    let profile = mira_memory::profile::list(&t.db, "local").await.unwrap();
    let values: Vec<String> = keys_of(&profile).into_iter().map(|(_, v)| v).collect();
    assert!(
        values.iter().any(|v| v == "I prefer spaces over tabs."),
        "{profile:#?}"
    );
    assert!(
        !values.iter().any(|v| v == "I prefer tabs over spaces."),
        "{profile:#?}"
    );

    // Edited, then forgotten.
    let spaces = profile.iter().find(|e| e.value.contains("spaces over")).unwrap();
    let id: i64 = spaces.fact.trim_start_matches('f').parse().unwrap();
    facts::edit(&t.db, id, "I prefer four spaces over tabs.")
        .await
        .unwrap();
    let profile = mira_memory::profile::list(&t.db, "local").await.unwrap();
    assert!(
        profile
            .iter()
            .any(|e| e.value == "I prefer four spaces over tabs."),
        "{profile:#?}"
    );
    facts::forget(&t.db, id).await.unwrap();
    let profile = mira_memory::profile::list(&t.db, "local").await.unwrap();
    assert_eq!(profile.len(), 1, "only the name is left: {profile:#?}");
    assert!(profile[0].value.contains("Ada"));
}
