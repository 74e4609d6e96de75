//! Ask mode, artifacts, checkpoints and rewind.

use mira_agent::{AgentError, AgentEvent, Decision, Mode};
use serde_json::json;

use crate::harness::{Fixture, LIB, compat_env, finish};
use crate::script::*;
use crate::server::Scripted;

#[tokio::test]
async fn ask_mode_writes_nothing_until_applied_and_a_rejection_reaches_the_model() {
    let server = Scripted::start(vec![
        openai_calls(&[("c1", "edit_file", fix_args())]),
        openai_calls(&[("c2", "edit_file", fix_args())]),
        openai_text("Done."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let mut op = f.start("Fix add", Mode::Ask).await;
    let mut pending = 0;
    let mut decided = Vec::new();
    while let Some(e) = op.events.recv().await {
        match &e {
            AgentEvent::Artifact {
                artifact_id,
                status,
                diff,
                ..
            } => {
                assert_eq!(status, "pending");
                assert!(diff.contains("+    a + b"));
                assert_eq!(f.read("src/lib.rs"), LIB, "nothing is written while pending");
                let decision = if pending == 0 {
                    Decision::Reject
                } else {
                    Decision::Apply
                };
                pending += 1;
                op.handle.decide(*artifact_id, decision).unwrap();
                assert!(op.handle.decide(*artifact_id, decision).is_err(), "decided once");
            }
            AgentEvent::ArtifactDecided { status, .. } => {
                decided.push(status.clone());
                if status == "rejected" {
                    assert_eq!(f.read("src/lib.rs"), LIB);
                }
            }
            _ => {}
        }
    }
    let outcome = op.join.await.unwrap();
    assert_eq!(outcome.status, "complete");
    assert_eq!(decided, ["rejected", "applied"]);
    assert!(f.read("src/lib.rs").contains("a + b"));
    let rejection = server.request(1).body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(rejection["tool_call_id"], "c1");
    assert!(
        rejection["content"]
            .as_str()
            .unwrap()
            .contains("the user rejected this change to src/lib.rs"),
        "{rejection}"
    );
    let artifacts = mira_agent::artifacts::list(&f.db, op.id).await.unwrap();
    let statuses: Vec<&str> = artifacts.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["rejected", "applied"]);
    assert!(artifacts.iter().all(|a| a.decided_at.is_some()));
}

#[tokio::test]
async fn rewind_restores_bytes_exactly_and_is_idempotent() {
    // Bytes that a text round trip would change: no final newline, CRLF, a tab.
    let original: &[u8] = b"line one\r\n\tline two\r\nno newline at end";
    let server = Scripted::start(vec![
        openai_calls(&[
            (
                "c1",
                "edit_file",
                json!({"path": "notes.txt", "search": "line one", "replace": "line 1"}),
            ),
            (
                "c2",
                "write_file",
                json!({"path": "src/new/mod.rs", "content": "pub fn new() {}\n"}),
            ),
        ]),
        openai_calls(&[("c3", "edit_file", fix_args())]),
        openai_calls(&[(
            "c4",
            "edit_file",
            json!({"path": "notes.txt", "search": "line 1", "replace": "line I"}),
        )]),
        openai_text("Done."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    std::fs::write(f.root().join("notes.txt"), original).unwrap();
    let (outcome, events) = finish(f.start("Change things", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete");
    let checkpoints: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Artifact { checkpoint_id, .. } => Some(checkpoint_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(checkpoints.len(), 4);
    assert!(f.root().join("src/new/mod.rs").exists());

    // Rewinding to the third change puts back lib.rs and notes.txt as they were then.
    let r = mira_agent::checkpoints::rewind(&f.db, &checkpoints[2][..8])
        .await
        .unwrap();
    let mut files: Vec<(String, String)> = r
        .files
        .iter()
        .map(|f| (f.path.clone(), f.action.clone()))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ("notes.txt".into(), "restored".into()),
            ("src/lib.rs".into(), "restored".into())
        ]
    );
    assert_eq!(f.read("src/lib.rs"), LIB);
    assert_eq!(
        std::fs::read(f.root().join("notes.txt")).unwrap(),
        b"line 1\r\n\tline two\r\nno newline at end"
    );
    assert!(
        f.root().join("src/new/mod.rs").exists(),
        "changed before that checkpoint: kept"
    );

    // To the first: everything as before the operation, the created file deleted.
    let r = mira_agent::checkpoints::rewind(&f.db, &checkpoints[0])
        .await
        .unwrap();
    assert!(
        r.files
            .iter()
            .any(|f| f.path == "src/new/mod.rs" && f.action == "deleted")
    );
    assert_eq!(std::fs::read(f.root().join("notes.txt")).unwrap(), original);
    assert!(!f.root().join("src/new/mod.rs").exists());
    let again = mira_agent::checkpoints::rewind(&f.db, &checkpoints[0][..6])
        .await
        .unwrap();
    assert!(again.files.iter().all(|f| f.action == "unchanged"), "{again:?}");
    assert_eq!(std::fs::read(f.root().join("notes.txt")).unwrap(), original);

    let stored = mira_agent::store::events(&f.db, r.operation_id).await.unwrap();
    let rewinds = stored.iter().filter(|e| e.event["event"] == "rewound").count();
    assert_eq!(rewinds, 3, "each rewind is recorded");
    let listed = mira_agent::checkpoints::list(&f.db, f.project.id, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0].id, checkpoints[3], "newest first");
    assert_eq!(listed[0].artifact_status.as_deref(), Some("applied"));
}

#[tokio::test]
async fn unknown_short_and_ambiguous_prefixes_are_clear_errors() {
    let server = Scripted::start(vec![
        openai_calls(&[("c1", "edit_file", fix_args())]),
        openai_text("Done."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    let (_, events) = finish(f.start("Fix", Mode::Auto).await).await;
    let op_id = match &events[0] {
        AgentEvent::Started { operation_id, .. } => *operation_id,
        _ => unreachable!(),
    };
    for id in [
        "abcd000000000000000000000000000000000001",
        "abcd000000000000000000000000000000000002",
    ] {
        sqlx::query("INSERT INTO checkpoints (id, operation_id, seq, created_at) VALUES (?, ?, 100, 0)")
            .bind(id)
            .bind(op_id)
            .execute(f.db.pool())
            .await
            .unwrap();
    }
    let err = mira_agent::checkpoints::rewind(&f.db, "abcd").await.unwrap_err();
    assert!(matches!(err, AgentError::Ambiguous(_)), "{err}");
    assert!(err.to_string().contains("names 2 checkpoints"), "{err}");
    let err = mira_agent::checkpoints::rewind(&f.db, "0123456789")
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::NotFound(_)), "{err}");
    assert!(err.to_string().contains("mira checkpoints"), "{err}");
    let err = mira_agent::checkpoints::rewind(&f.db, "ab").await.unwrap_err();
    assert!(matches!(err, AgentError::Invalid(_)), "{err}");
    assert!(f.read("src/lib.rs").contains("a + b"), "nothing was rewound");
}
