//! Replays the key-echo attack of issue 21: a provider (or a proxy in front of it) that
//! answers 401 with the key it was sent. The key must appear nowhere: not in the error
//! the caller shows, not in the rows the budget and the conversation store, not in the
//! log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use mira_llm::chat::{ChatEvent, TurnRequest, start_turn};
use mira_llm::providers::openai::OpenAi;
use mira_llm::{ChatRequest, Message, Provider};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::fast_settings;
use crate::harness::{Options, setup, url};
use crate::server::{Reply, Scripted};

/// A key shaped like OpenAI's.
const KEY: &str = "sk-proj-Zx81sEcReT0000aaaa1111bbbb";
/// A key of a local proxy, shaped like nothing: only knowing it finds it.
const PROXY_KEY: &str = "proxy-7d1c0ffee-42-tok";

/// What the log subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A 401 whose body echoes the key the way OpenAI and compatible proxies word it.
fn echo(key: &str) -> Reply {
    Reply::Json(
        401,
        json!({"error": {
            "message": format!("Incorrect API key provided: Bearer {key}. You can find your API key at https://platform.openai.com/account/api-keys."),
            "type": "invalid_request_error",
            "code": "invalid_api_key"
        }}),
    )
}

#[tokio::test]
async fn a_key_echoed_by_the_provider_is_never_shown_logged_or_stored() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _log = tracing::subscriber::set_default(subscriber);

    // Enough 401s for every retry and fallback of the turn.
    let server = Scripted::start((0..8).map(|_| echo(KEY)).collect()).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        openai_key: Some(KEY),
        ..Options::default()
    })
    .await;
    let turn = TurnRequest {
        message: "What does main do?".into(),
        ..TurnRequest::default()
    };
    let shown = match start_turn(&s.gateway, &s.db, turn, CancellationToken::new()).await {
        Err(e) => e.to_string(),
        Ok(events) => events
            .map(|e| match e {
                ChatEvent::Failed { error, .. } => error,
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .await
            .join("\n"),
    };
    assert_eq!(
        server.request(0).header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(shown.contains("Incorrect API key provided"), "{shown}");
    assert!(!shown.contains(KEY), "shown: {shown}");
    assert!(!shown.contains("Zx81sEcReT"), "shown: {shown}");

    s.gateway.flush().await;
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT error FROM budget_tracking WHERE error IS NOT NULL
         UNION ALL SELECT error FROM messages WHERE error IS NOT NULL",
    )
    .fetch_all(s.db.pool())
    .await
    .unwrap();
    assert!(
        stored.len() >= 2,
        "the failure is stored in both tables: {stored:?}"
    );
    for row in &stored {
        assert!(!row.contains("Zx81sEcReT"), "stored: {row}");
        assert!(row.contains("[redacted]"), "stored: {row}");
    }
    // Nothing anywhere in the database files either (any table, the WAL).
    for suffix in ["", "-wal"] {
        let mut file = s.db.path().as_os_str().to_owned();
        file.push(suffix);
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!bytes.windows(10).any(|w| w == b"Zx81sEcReT"), "key in {file:?}");
    }
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("provider failed"),
        "the failure is logged: {logged}"
    );
    assert!(!logged.contains("Zx81sEcReT"), "logged: {logged}");
}

#[tokio::test]
async fn a_configured_key_of_any_shape_is_cut_from_provider_errors() {
    // A proxy that echoes the key bare, in a plain-text body, in a 500 and a 400.
    let server = Scripted::start(vec![
        Reply::Raw(403, vec![], format!("token {PROXY_KEY} is not allowed here")),
        Reply::Raw(
            400,
            vec![],
            format!("{{\"error\":\"bad model for {PROXY_KEY}\"}}"),
        ),
    ])
    .await;
    let provider = OpenAi::compatible(
        &server.url("/v1"),
        Some(mira_core::Secret::new(PROXY_KEY)),
        "m",
        fast_settings(),
    );
    let request = ChatRequest {
        model: "m".into(),
        messages: vec![Message::user("hi")],
        ..ChatRequest::default()
    };
    for _ in 0..2 {
        let error = provider.chat_stream(&request).await.err().expect("refused");
        let text = error.to_string();
        assert!(!text.contains(PROXY_KEY), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

/// Issue 18: a token pasted into a chat is neither sent to the provider nor stored (the
/// message, the conversation's title, any file of the database).
#[tokio::test]
async fn a_token_pasted_into_a_chat_is_neither_sent_nor_stored() {
    let server = Scripted::start(vec![Reply::Sse(crate::harness::openai_answer(
        "Rotate it.",
        30,
        3,
    ))])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        openai_key: Some(KEY),
        ..Options::default()
    })
    .await;
    let pasted = "ghp_R3alLook1ngT0kenAAAABBBBCCCCDDDD1234 fails with 401, and so does \
                  -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretbody\n-----END RSA PRIVATE KEY-----";
    let turn = TurnRequest {
        message: pasted.into(),
        ..TurnRequest::default()
    };
    let events: Vec<ChatEvent> = start_turn(&s.gateway, &s.db, turn, CancellationToken::new())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(
        matches!(events.last(), Some(ChatEvent::Done { .. })),
        "{events:?}"
    );
    let sent = server.request(0).body.to_string();
    assert!(sent.contains("fails with 401"), "{sent}");
    for secret in ["R3alLook1ngT0ken", "MIIEpAIBAAKCAQEAsecretbody"] {
        assert!(!sent.contains(secret), "sent: {sent}");
    }
    s.gateway.flush().await;
    for suffix in ["", "-wal"] {
        let mut file = s.db.path().as_os_str().to_owned();
        file.push(suffix);
        let bytes = std::fs::read(&file).unwrap_or_default();
        for secret in [&b"R3alLook1ngT0ken"[..], &b"MIIEpAIBAAKCAQEAsecretbody"[..]] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "secret in {file:?}"
            );
        }
    }
}
