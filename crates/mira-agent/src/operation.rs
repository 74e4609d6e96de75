//! A running operation as others see it: the handle that decides artifacts, answers
//! questions and cancels, the emitter that stores and streams events, and the registry
//! of running operations a server keeps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mira_store::Db;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::artifacts::Decision;
use crate::error::AgentError;
use crate::events::AgentEvent;
use crate::store;

/// Decides, answers and cancels a running operation. Cheap to clone.
#[derive(Clone)]
pub struct OperationHandle {
    pub id: i64,
    inner: Arc<Inner>,
}

struct Inner {
    cancel: CancellationToken,
    decisions: Mutex<HashMap<i64, oneshot::Sender<Decision>>>,
    answer: Mutex<Option<oneshot::Sender<String>>>,
}

impl std::fmt::Debug for OperationHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationHandle").field("id", &self.id).finish()
    }
}

impl OperationHandle {
    pub(crate) fn new(id: i64, cancel: CancellationToken) -> Self {
        Self {
            id,
            inner: Arc::new(Inner {
                cancel,
                decisions: Mutex::default(),
                answer: Mutex::default(),
            }),
        }
    }

    /// Applies or rejects a pending artifact of this operation.
    pub fn decide(&self, artifact_id: i64, decision: Decision) -> Result<(), AgentError> {
        let sender = self
            .inner
            .decisions
            .lock()
            .expect("decisions")
            .remove(&artifact_id);
        match sender {
            Some(sender) => sender.send(decision).map_err(|_| {
                AgentError::NotFound(format!(
                    "artifact {artifact_id} is no longer waiting for a decision"
                ))
            }),
            None => Err(AgentError::NotFound(format!(
                "artifact {artifact_id} of operation {} is not waiting for a decision",
                self.id
            ))),
        }
    }

    /// Answers the question the model asked (`ask_user`).
    pub fn answer(&self, text: &str) -> Result<(), AgentError> {
        let sender = self.inner.answer.lock().expect("answer").take();
        match sender {
            Some(sender) => sender
                .send(text.to_string())
                .map_err(|_| AgentError::NotFound("the question is no longer waiting".into())),
            None => Err(AgentError::NotFound(format!(
                "operation {} is not waiting for an answer",
                self.id
            ))),
        }
    }

    /// Stops the operation: the model call or tool under way is stopped (a build's
    /// process group is killed), pending artifacts are rejected.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    pub fn token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// Registers interest in a decision before the artifact is announced, so a quick
    /// decision is never missed.
    pub(crate) fn expect_decision(&self, artifact_id: i64) -> oneshot::Receiver<Decision> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .decisions
            .lock()
            .expect("decisions")
            .insert(artifact_id, tx);
        rx
    }

    pub(crate) fn forget_decision(&self, artifact_id: i64) {
        self.inner
            .decisions
            .lock()
            .expect("decisions")
            .remove(&artifact_id);
    }

    pub(crate) fn expect_answer(&self) -> oneshot::Receiver<String> {
        let (tx, rx) = oneshot::channel();
        *self.inner.answer.lock().expect("answer") = Some(tx);
        rx
    }
}

/// Stores each event and sends it to whoever watches the operation.
#[derive(Clone)]
pub(crate) struct Emitter {
    pub db: Db,
    pub operation_id: i64,
    pub tx: mpsc::UnboundedSender<AgentEvent>,
}

impl Emitter {
    pub async fn emit(&self, event: AgentEvent, duration_ms: Option<u64>) {
        if let Err(e) = store::append_event(&self.db, self.operation_id, &event, duration_ms).await {
            tracing::warn!(operation = self.operation_id, error = %e, "cannot store an agent event");
        }
        // Nobody watching (an operation started over HTTP, a closed terminal) is fine.
        let _ = self.tx.send(event);
    }

    /// Sends without storing (the model's text as it streams; stored once per step).
    pub fn stream_only(&self, event: AgentEvent) {
        let _ = self.tx.send(event);
    }
}

/// The operations running in this process, by id (the server decides and cancels
/// through it).
#[derive(Clone, Default, Debug)]
pub struct Registry {
    running: Arc<Mutex<HashMap<i64, OperationHandle>>>,
}

impl Registry {
    pub fn insert(&self, handle: OperationHandle) {
        self.running.lock().expect("registry").insert(handle.id, handle);
    }

    pub fn remove(&self, id: i64) {
        self.running.lock().expect("registry").remove(&id);
    }

    pub fn get(&self, id: i64) -> Option<OperationHandle> {
        self.running.lock().expect("registry").get(&id).cloned()
    }

    pub fn cancel_all(&self) {
        for handle in self.running.lock().expect("registry").values() {
            handle.cancel();
        }
    }
}
