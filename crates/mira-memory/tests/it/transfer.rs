use mira_llm::scrub::Scrubber;
use mira_memory::extract::{self, USER_SPEAKER};
use mira_memory::transfer::{self, Incoming};
use mira_memory::{Scope, facts, turns};

use crate::{db, turn};

#[tokio::test]
async fn export_then_import_into_an_empty_data_dir_gives_the_same_items_and_sources() {
    let from = db().await;
    let project = crate::project(&from, "app").await;
    let keys = Scrubber::default();
    turns::add(
        &from.db,
        &Scope::project(project),
        &[
            turn("4", "", "10", USER_SPEAKER, "We use Jest for tests.", 1_000),
            turn("4", "", "11", USER_SPEAKER, "I prefer tabs over spaces.", 2_000),
            turn(
                "5",
                "",
                "20",
                USER_SPEAKER,
                "We switched from Jest to Vitest for tests.",
                9_000,
            ),
        ],
        &keys,
    )
    .await
    .unwrap();
    extract::run_pending(&from.db, "local", |_| {}).await.unwrap();
    let scope = Scope::project(project);
    let exported = transfer::export(&from.db, &scope, 10_000).await.unwrap();
    assert_eq!((exported.facts.len(), exported.turns.len()), (3, 3));
    let path = from.dir.path().join("memory.json");
    std::fs::write(&path, serde_json::to_vec(&exported).unwrap()).unwrap();

    let to = db().await;
    let Incoming::Export(file) = transfer::read(&path).unwrap() else {
        panic!("an export read as a transcript");
    };
    let report = transfer::import_export(&to.db, "local", &file, &keys)
        .await
        .unwrap();
    assert_eq!((report.facts, report.turns), (3, 3));
    // The project is registered by its root path, here as it was there.
    let there = mira_store::projects::find(
        &to.db,
        &from
            .dir
            .path()
            .join("app")
            .canonicalize()
            .unwrap()
            .to_string_lossy(),
    )
    .await
    .unwrap();
    let strip = |list: Vec<facts::Fact>| {
        list.into_iter()
            .map(|f| {
                (
                    f.subject,
                    f.text,
                    f.category,
                    f.valid_from,
                    f.valid_to,
                    f.superseded_by.is_some(),
                    f.sources,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(
            facts::list(&to.db, &Scope::project(there.id), true)
                .await
                .unwrap()
        ),
        strip(facts::list(&from.db, &scope, true).await.unwrap())
    );
    let texts = |list: Vec<turns::Turn>| {
        list.into_iter()
            .map(|t| (t.conversation, t.message, t.text))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(turns::all(&to.db, &Scope::project(there.id)).await.unwrap()),
        texts(turns::all(&from.db, &scope).await.unwrap())
    );
    // Imported turns come with their facts: nothing is left for the extractor.
    assert_eq!(
        extract::run_pending(&to.db, "local", |_| {}).await.unwrap().turns,
        0
    );
}

#[tokio::test]
async fn a_transcript_keeps_its_message_ids_and_a_bad_one_says_what_is_wrong() {
    let t = db().await;
    let path = t.dir.path().join("t.json");
    std::fs::write(
        &path,
        r#"{"conversation_id": "conv-9", "sessions": [
            {"id": "s1", "started_at": "2023-05-08T13:56:00Z", "messages": [
                {"id": "D1:1", "speaker": "Ana", "text": "We use Terraform for infrastructure."},
                {"id": "D1:2", "speaker": "Ben", "text": "Nice."}]}]}"#,
    )
    .unwrap();
    let Incoming::Transcripts(list) = transfer::read(&path).unwrap() else {
        panic!("a transcript read as an export");
    };
    let all = transfer::transcript_turns(&list).unwrap();
    assert_eq!(all[0].at, 1_683_554_160_000);
    transfer::import_turns(&t.db, &Scope::user(), &all, &Scrubber::default(), |_| {})
        .await
        .unwrap();
    extract::run_pending(&t.db, "local", |_| {}).await.unwrap();
    let found = facts::list(&t.db, &Scope::user(), false).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].text, "Ana: We use Terraform for infrastructure.");
    assert_eq!(found[0].sources[0].message, "D1:1");

    std::fs::write(
        &path,
        r#"{"conversation_id": "c", "sessions": [{"id": "s", "started_at": "May 8", "messages": []}]}"#,
    )
    .unwrap();
    let Incoming::Transcripts(list) = transfer::read(&path).unwrap() else {
        panic!()
    };
    let e = transfer::transcript_turns(&list).unwrap_err().to_string();
    assert!(e.contains("started_at") && e.contains("RFC 3339"), "{e}");
    std::fs::write(&path, r#"{"sessions": 3}"#).unwrap();
    let e = transfer::read(&path).err().unwrap().to_string();
    assert!(e.contains("conversation_id"), "{e}");
}
