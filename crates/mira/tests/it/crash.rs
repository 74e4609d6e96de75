//! Crash safety of the search index (issue 21 items 1 and 8). `mira index` killed with
//! SIGKILL while it writes used to leave SQLite claiming chunks whose vectors the
//! embedded store had lost (it keeps writes since its last flush in memory only), so
//! search found little, the next run called every file unchanged, and `mira doctor` said
//! ok. Now the next run answers searches exactly as a clean index does, `doctor` checks
//! the agreement, and two runs at once both finish.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Dirs, run, stdout_json};

/// Words each generated module is about; a query for one finds its own functions first.
const TOPICS: [&str; 8] = [
    "invoice", "glacier", "turbine", "lantern", "meadow", "quartz", "harbor", "saffron",
];

/// A project large enough that its keyword index is written in several batches (the
/// indexer commits 64 files at a time).
fn generate(project: &Path) {
    for i in 0..320 {
        let topic = TOPICS[i % TOPICS.len()];
        let dir = project.join(format!("pkg{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = format!("\"\"\"Helpers about {topic} number {i}.\"\"\"\n\n");
        for f in 0..12 {
            text.push_str(&format!(
                "def {topic}_step_{i}_{f}(value):\n    \"\"\"Moves the {topic} {f} of module {i} forward.\"\"\"\n    total = value + {f}\n    return {topic}_check_{i}(total)\n\n\n"
            ));
        }
        text.push_str(&format!("def {topic}_check_{i}(value):\n    return value * 2\n"));
        std::fs::write(dir.join(format!("mod_{i}.py")), text).unwrap();
    }
}

fn project_with_files() -> Dirs {
    let dirs = Dirs::new();
    generate(&dirs.project());
    dirs
}

/// What keyword search answers for functions spread over the whole project (so over
/// every write batch), each asked by its unique name: the top hit's path, lines and
/// symbol, and how many chunks the search saw.
fn answers(dirs: &Dirs) -> Vec<String> {
    (0..320)
        .step_by(20)
        .map(|i| {
            let name = format!("{}_step_{i}_{}", TOPICS[i % TOPICS.len()], i % 12);
            let out = run(
                dirs,
                &["search", &name, "--mode", "keyword", "--limit", "1", "--json"],
                &[],
            );
            let answer = stdout_json(&out);
            let top = &answer["results"][0];
            format!(
                "{name} -> {}:{}:{} of {}",
                top["path"], top["lines"], top["symbol"], answer["chunks"]
            )
        })
        .collect()
}

fn index(dirs: &Dirs) -> std::process::Output {
    let out = run(dirs, &["index", "--no-embed"], &[]);
    assert!(
        out.status.success(),
        "mira index failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `search index` check of `mira doctor --json`.
fn doctor_search_check(dirs: &Dirs) -> Value {
    let out = run(dirs, &["doctor", "--json"], &[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "search index")
        .unwrap_or_else(|| panic!("no search index check: {report}"))
        .clone()
}

/// Rows of code chunks SQLite has committed, read beside a running index.
fn committed_chunks(data: &Path) -> i64 {
    let db = data.join("mira.db");
    if !db.exists() {
        return 0;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", db.display());
        let Ok(pool) = sqlx::SqlitePool::connect(&url).await else {
            return 0;
        };
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM search_chunks WHERE collection = 'code'")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        pool.close().await;
        n
    })
}

#[test]
fn an_index_killed_mid_write_is_mended_by_the_next_run() {
    let clean = project_with_files();
    index(&clean);
    let expected = answers(&clean);
    for (i, answer) in (0..320).step_by(20).zip(&expected) {
        assert!(
            answer.contains(&format!("_step_{i}_{}\"", i % 12)),
            "a clean index finds each function by its name first: {answer}"
        );
    }
    let total = committed_chunks(&clean.data());
    assert!(
        total > 3000,
        "the project is large enough to write in batches ({total} chunks)"
    );

    for share in [0.15, 0.5, 0.8] {
        let dirs = project_with_files();
        let mut child = dirs
            .command(&[])
            .args(["index", "--no-embed"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        let at = loop {
            let n = committed_chunks(&dirs.data());
            if n as f64 >= share * total as f64 {
                break n;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "mira index ended before {share} of its chunks were seen committed"
            );
            assert!(Instant::now() < deadline, "mira index made no progress");
            std::thread::sleep(Duration::from_millis(5));
        };
        // SIGKILL: nothing of the process's own shutdown runs.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed mid-write, not finished ({status})");
        assert!(at < total, "killed with {at} of {total} chunks committed");

        let agreement = doctor_search_check(&dirs);
        assert_eq!(
            agreement["status"], "ok",
            "killed at {at} of {total}: what SQLite committed is in the store: {agreement}"
        );
        index(&dirs);
        assert_eq!(
            answers(&dirs),
            expected,
            "killed at {at} of {total} chunks, then indexed again"
        );
        assert_eq!(committed_chunks(&dirs.data()), total);
    }
}

#[test]
fn a_store_that_lost_points_is_found_by_doctor_and_mended_by_index() {
    let clean = project_with_files();
    index(&clean);
    let expected = answers(&clean);
    let total = committed_chunks(&clean.data());

    // A store rolled back behind SQLite's back (as a crash of an older version left it):
    // a third of the code points go, and one point no chunk claims appears.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use mira_store::vectors::{Collection, EdgeStore, VectorPoint, VectorStore};
        let store = EdgeStore::open(&clean.data().join("vectors"), 384).await.unwrap();
        let project_id = 1;
        let ids = store.ids(Collection::Code, project_id, false).await.unwrap();
        assert_eq!(ids.len() as i64, total);
        let lost: Vec<u64> = ids.iter().copied().step_by(3).collect();
        store.delete(Collection::Code, &lost).await.unwrap();
        store
            .upsert(
                Collection::Code,
                vec![VectorPoint {
                    id: 7,
                    project_id,
                    dense: None,
                    sparse: None,
                    payload: Default::default(),
                }],
            )
            .await
            .unwrap();
        store.flush().await.unwrap();
    });
    drop(rt);

    let agreement = doctor_search_check(&clean);
    assert_eq!(agreement["status"], "fail", "{agreement}");
    let detail = agreement["detail"].as_str().unwrap();
    assert!(
        detail.contains("chunk(s) without their vectors")
            && detail.contains("1 vector(s) of no chunk")
            && detail.contains("run `mira index"),
        "{detail}"
    );

    let out = index(&clean);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Search index mended first") && said.contains("1 stray vector(s) removed"),
        "{said}"
    );
    assert_eq!(doctor_search_check(&clean)["status"], "ok");
    assert_eq!(answers(&clean), expected);
    assert_eq!(committed_chunks(&clean.data()), total);
}

#[test]
fn two_index_runs_on_one_data_dir_both_finish() {
    let clean = project_with_files();
    index(&clean);
    let expected = answers(&clean);

    let dirs = project_with_files();
    let start = |dirs: &Dirs| -> std::process::Child {
        dirs.command(&[])
            .args(["index", "--no-embed"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = start(&dirs);
    let second = start(&dirs);
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for out in &outputs {
        assert!(
            out.status.success(),
            "both runs finish: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(answers(&dirs), expected);
    // Which one waited depends on timing; when one did, it said so.
    let waited: Vec<String> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stderr).to_string())
        .filter(|e| e.contains("waiting for it to finish"))
        .collect();
    assert!(waited.len() <= 1, "{waited:?}");
}
