//! Server push events (activity and progress) fanned out to every WebSocket client.

use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Something happened that the user may want to see in the activity panel.
    Activity {
        ts: String,
        kind: String,
        message: String,
    },
    /// A long operation advanced. `total` is unknown for open-ended work.
    Progress {
        task: String,
        label: String,
        done: u64,
        total: Option<u64>,
    },
    /// A build or test run began (`mira build` over the API or the WebSocket).
    BuildStarted {
        project_id: i64,
        run_id: i64,
        command_line: String,
        dir: String,
    },
    /// Output of a run as it arrives, in chunks (not whole lines).
    BuildOutput {
        project_id: i64,
        run_id: i64,
        stream: mira_build::runner::Stream,
        text: String,
    },
    /// A run ended; `run` is its summary as `GET .../build/runs/{run}` gives it, `error`
    /// says why it could not start.
    BuildFinished {
        project_id: i64,
        run_id: i64,
        run: serde_json::Value,
        new_errors: usize,
        resolved: usize,
        error: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<ServerEvent>,
}

impl Default for Events {
    fn default() -> Self {
        // Slow clients lag and skip rather than hold the server back.
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }
}

impl Events {
    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.sender.subscribe()
    }

    pub fn publish(&self, event: ServerEvent) {
        // No subscriber is fine: nobody is watching.
        let _ = self.sender.send(event);
    }

    /// A progress callback (done, total) that publishes `Progress` events for `task`.
    pub fn progress_fn(&self, task: &str, label: &str) -> std::sync::Arc<dyn Fn(u64, u64) + Send + Sync> {
        let (events, task, label) = (self.clone(), task.to_string(), label.to_string());
        std::sync::Arc::new(move |done: u64, total: u64| {
            events.publish(ServerEvent::Progress {
                task: task.clone(),
                label: label.clone(),
                done,
                total: Some(total),
            });
        })
    }

    pub fn activity(&self, kind: &str, message: impl Into<String>) {
        self.publish(ServerEvent::Activity {
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            kind: kind.to_string(),
            message: message.into(),
        });
    }
}
