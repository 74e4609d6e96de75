//! A project in a temp dir (a git repository with a small Rust library), a real SQLite
//! database, and a gateway whose providers point at a scripted local server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use mira_agent::{AgentDeps, AgentEvent, Mode, Operation, OperationRequest, Outcome};
use mira_core::Config;
use mira_core::config::Sources;
use mira_llm::providers::local::Local;
use mira_store::Db;
use mira_store::projects::Project;

pub const LIB: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(2, 3), 5);\n    }\n}\n";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: Db,
    pub project: Project,
    pub config: Arc<Config>,
}

pub fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

impl Fixture {
    /// `env`: settings on top of the defaults (provider URLs and keys, models).
    pub async fn new(env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(root.join("src/lib.rs"), LIB).unwrap();
        git(&root, &["init", "-q"]);
        git(&root, &["add", "."]);
        git(&root, &["commit", "-q", "-m", "first"]);
        let mut vars: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        vars.insert(
            "MIRA_DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        );
        let config = Config::from_sources(&Sources {
            env: vars,
            ..Sources::default()
        })
        .unwrap();
        std::fs::create_dir_all(&config.data_dir).unwrap();
        let db = Db::open(&config.data_dir.join("mira.db")).await.unwrap();
        let project = mira_store::projects::add(&db, &root, None).await.unwrap();
        Self {
            dir,
            db,
            project,
            config: Arc::new(config),
        }
    }

    /// The user's home for `~/.mira/` and `~/.claude/` files.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn root(&self) -> PathBuf {
        self.project.root.clone()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel)).unwrap()
    }

    pub async fn deps(&self) -> AgentDeps {
        let local = Arc::new(Local::unavailable("no local model in this test"));
        let gateway = mira_llm::setup::gateway(&self.config, &self.db, local)
            .await
            .unwrap();
        AgentDeps {
            db: self.db.clone(),
            gateway,
            config: self.config.clone(),
            search: None,
            extensions: Some(Arc::new(mira_agent::extensions::Extensions::load(
                &self.root(),
                Some(&self.home()),
            ))),
        }
    }

    pub fn request(&self, task: &str, mode: Mode) -> OperationRequest {
        let mut r = OperationRequest::new(self.project.clone(), task);
        r.mode = mode;
        r
    }

    pub async fn start(&self, task: &str, mode: Mode) -> Operation {
        mira_agent::start(self.deps().await, self.request(task, mode), None)
            .await
            .unwrap()
    }
}

/// Runs an operation to its end, collecting its events.
pub async fn finish(op: Operation) -> (Outcome, Vec<AgentEvent>) {
    let mut events = Vec::new();
    let outcome = mira_agent::drive(op, |e| events.push(e.clone())).await;
    (outcome, events)
}

/// The outputs of the tool results, in order.
pub fn results(events: &[AgentEvent]) -> Vec<(String, bool, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolResult { name, ok, output, .. } => Some((name.clone(), *ok, output.clone())),
            _ => None,
        })
        .collect()
}

/// Settings that send every tier to the OpenAI-compatible server at `url`.
pub fn compat_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OPENAI_BASE_URL", url.to_string()),
        ("MODEL_FAST", "compat:tool-model".into()),
        ("MODEL_VOICE", "compat:tool-model".into()),
        ("MODEL_THINKER", "compat:tool-model".into()),
        ("LLM_PRICES", "tool-model=1:2".into()),
    ]
}
