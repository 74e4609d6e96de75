//! A chat turn end to end: stored conversation, streamed answer, stored answer.

use futures_util::StreamExt;
use mira_llm::chat::{ChatEvent, TurnRequest, start_turn};
use mira_llm::conversations;
use tokio_util::sync::CancellationToken;

use crate::harness::{Options, openai_answer, setup, url};
use crate::server::{Reply, Scripted};

#[tokio::test]
async fn a_turn_is_streamed_and_both_messages_are_stored() {
    let server = Scripted::start(vec![
        Reply::Sse(openai_answer("Use `cargo test`.", 40, 6)),
        Reply::Sse(openai_answer("Yes, with -p.", 60, 5)),
    ])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let turn = TurnRequest {
        message: "How do I run the tests?".into(),
        ..TurnRequest::default()
    };
    let events: Vec<ChatEvent> = start_turn(&s.gateway, &s.db, turn, CancellationToken::new())
        .await
        .unwrap()
        .collect()
        .await;
    let ChatEvent::Started { conversation_id, .. } = events[0] else {
        panic!("{events:?}")
    };
    assert!(matches!(&events[1], ChatEvent::Routed { route } if route.model == "gpt-5.1"));
    let ChatEvent::Done { report, status, .. } = events.last().unwrap() else {
        panic!("{events:?}")
    };
    assert_eq!(status, "complete");
    assert_eq!(report.usage.output, 6);

    let again = TurnRequest {
        conversation_id: Some(conversation_id),
        message: "Per crate?".into(),
        ..TurnRequest::default()
    };
    let _: Vec<ChatEvent> = start_turn(&s.gateway, &s.db, again, CancellationToken::new())
        .await
        .unwrap()
        .collect()
        .await;
    // The second call carried the history.
    let sent = server.request(1).body["messages"].clone();
    assert_eq!(sent[0]["role"], "system");
    assert_eq!(sent[1]["content"], "How do I run the tests?");
    assert_eq!(sent[2]["content"], "Use `cargo test`.");
    assert_eq!(sent[3]["content"], "Per crate?");

    let stored = conversations::messages(&s.db, conversation_id).await.unwrap();
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[1].model.as_deref(), Some("gpt-5.1"));
    assert_eq!(stored[1].tier.as_deref(), Some("voice"));
    assert!(stored[1].cost_usd.unwrap() > 0.0);
    let list = conversations::list(&s.db, 10).await.unwrap();
    assert_eq!(list[0].title, "How do I run the tests?");
    assert_eq!(list[0].messages, 4);
}

#[tokio::test]
async fn empty_messages_and_unknown_conversations_are_refused() {
    let s = setup(Options::default()).await;
    let empty = TurnRequest {
        message: "  ".into(),
        ..TurnRequest::default()
    };
    let err = start_turn(&s.gateway, &s.db, empty, CancellationToken::new())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("empty"), "{err}");
    let unknown = TurnRequest {
        conversation_id: Some(999),
        message: "hi".into(),
        ..TurnRequest::default()
    };
    let err = start_turn(&s.gateway, &s.db, unknown, CancellationToken::new())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("no conversation 999"), "{err}");
}
