//! mira-memory against a real SQLite database in a temp dir.

mod dense;
mod facts;
mod learned;
mod recall;
mod transfer;

use mira_store::Db;

pub struct TempDb {
    pub db: Db,
    pub dir: tempfile::TempDir,
}

pub async fn db() -> TempDb {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    TempDb { db, dir }
}

/// A registered project (a real directory) and its id.
pub async fn project(t: &TempDb, name: &str) -> i64 {
    let root = t.dir.path().join(name);
    std::fs::create_dir_all(&root).unwrap();
    mira_store::projects::add(&t.db, &root, Some(name))
        .await
        .unwrap()
        .id
}

pub fn turn(
    conversation: &str,
    session: &str,
    message: &str,
    speaker: &str,
    text: &str,
    at: i64,
) -> mira_memory::turns::NewTurn {
    mira_memory::turns::NewTurn {
        conversation: conversation.into(),
        session: session.into(),
        message: message.into(),
        speaker: speaker.into(),
        text: text.into(),
        at,
    }
}

/// A recall of QUERY in SCOPE as a chat asks it: turns too, limit 10, keywords only.
pub fn request(query: &str, scope: mira_memory::Scope) -> mira_memory::recall::RecallRequest {
    mira_memory::recall::RecallRequest {
        query: query.into(),
        scope,
        conversation: None,
        limit: 10,
        budget_tokens: None,
        include_turns: true,
        dense: None,
        candidates: mira_memory::gate::CANDIDATE_TURNS,
    }
}
