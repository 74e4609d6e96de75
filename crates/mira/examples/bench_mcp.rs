//! Latency of `mira mcp` over stdio on a real code base, end to end through rmcp's client
//! (JSON-RPC over the pipes, the real binary): start to first answer, warm `callers` /
//! `cochange` / `search` calls, and a saved file's new function seen by `callers`.
//!
//! ```sh
//! cargo build -p mira
//! cargo run -p mira --example bench_mcp -- --mira target/debug/mira \
//!     --source ~/.cargo/registry/src/*/tokio-1.54.1 --work /tmp/mcpbench
//! ```
//!
//! The source tree is copied into WORK/repo and given a git history (its files committed
//! in groups per directory, 300 commits), indexed with `mira index --no-embed` into
//! WORK/data, then measured. Results go to stdout; docs/benchmarks.md records them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

struct Args {
    mira: PathBuf,
    source: PathBuf,
    work: PathBuf,
    calls: usize,
    saves: usize,
}

fn args() -> Args {
    let mut a = Args {
        mira: PathBuf::from("target/debug/mira"),
        source: PathBuf::new(),
        work: std::env::temp_dir().join("mira-mcp-bench"),
        calls: 200,
        saves: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--mira" => a.mira = value.into(),
            "--source" => a.source = value.into(),
            "--work" => a.work = value.into(),
            "--calls" => a.calls = value.parse().expect("--calls N"),
            "--saves" => a.saves = value.parse().expect("--saves N"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        a.source.is_dir(),
        "--source DIR (a source tree, e.g. tokio from the cargo registry)"
    );
    a.mira = a.mira.canonicalize().expect("--mira: the built binary");
    a
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git(repo: &Path, args: &[&str], day: i64) {
    let date = format!("@{} +0000", 1_700_000_000 + day * 3_600);
    let who = if day % 3 == 0 {
        ("Ann", "ann@x.org")
    } else {
        ("Bob", "bob@x.org")
    };
    run(Command::new("git")
        .current_dir(repo)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date));
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A copy of the source with a history: an initial commit, then 300 commits that each
/// touch 2 to 5 files of one directory (as real changes cluster), so co-change has data.
fn prepare(a: &Args) -> PathBuf {
    let repo = a.work.join("repo");
    if repo.join(".git").exists() {
        return repo;
    }
    std::fs::create_dir_all(&a.work).unwrap();
    run(Command::new("cp").arg("-r").arg(&a.source).arg(&repo));
    git(&repo, &["init", "-q", "-b", "main"], 0);
    git(&repo, &["add", "-A"], 0);
    git(&repo, &["commit", "-q", "-m", "import"], 0);
    let mut files = Vec::new();
    rust_files(&repo.join("src"), &mut files);
    files.sort();
    let mut by_dir: std::collections::BTreeMap<PathBuf, Vec<PathBuf>> = Default::default();
    for f in files {
        by_dir
            .entry(f.parent().unwrap().to_path_buf())
            .or_default()
            .push(f);
    }
    let groups: Vec<Vec<PathBuf>> = by_dir.into_values().filter(|g| g.len() >= 2).collect();
    for i in 0..300usize {
        let group = &groups[i % groups.len()];
        let take = 2 + i % 4;
        for k in 0..take.min(group.len()) {
            let f = &group[(i / groups.len() + k) % group.len()];
            let mut text = std::fs::read_to_string(f).unwrap();
            text.push_str(&format!("// bench change {i}\n"));
            std::fs::write(f, text).unwrap();
        }
        git(
            &repo,
            &["commit", "-q", "-am", &format!("change {i}")],
            i as i64 + 1,
        );
    }
    repo
}

fn mira(a: &Args, repo: &Path) -> Command {
    let mut cmd = Command::new(&a.mira);
    cmd.current_dir(repo)
        .env("MIRA_DATA_DIR", a.work.join("data"))
        .env("MIRA_LOG", "warn")
        .env("WATCHER_DEBOUNCE_MS", "20");
    cmd
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name:<34} n={:<4} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1]
    );
}

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

async fn start(a: &Args, repo: &Path) -> Client {
    let mut cmd = mira(a, repo);
    cmd.arg("mcp");
    let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(cmd))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    ().serve(transport).await.unwrap()
}

async fn call(c: &Client, tool: &str, args: Value) -> Value {
    let r = c
        .call_tool(
            CallToolRequestParams::new(tool.to_string()).with_arguments(args.as_object().cloned().unwrap()),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{tool} {args}: {:?}", r.content);
    r.structured_content.unwrap()
}

#[tokio::main]
async fn main() {
    let a = args();
    let repo = prepare(&a);
    let t = Instant::now();
    run(mira(&a, &repo).args(["index", "--no-embed", "--json"]));
    println!("indexed {} in {:.1} s", repo.display(), t.elapsed().as_secs_f64());

    // Start to first answer (an indexed project), 10 times.
    let mut startup = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let c = start(&a, &repo).await;
        call(&c, "callers", json!({"symbol": "spawn_blocking"})).await;
        startup.push(t.elapsed().as_secs_f64() * 1000.0);
        c.cancel().await.unwrap();
    }
    report("start to first answer", startup);

    let c = start(&a, &repo).await;
    // Questions from the index itself: functions and the files they live in.
    let syms = call(&c, "symbols", json!({"query": "new", "limit": 500})).await;
    let symbols: Vec<(String, String)> = syms["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "function" || s["kind"] == "method")
        .map(|s| {
            (
                s["qualified_name"].as_str().unwrap().to_string(),
                s["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!symbols.is_empty());
    let words = [
        "spawn",
        "channel",
        "timeout",
        "read buffer",
        "waker",
        "semaphore permits",
        "shutdown",
        "tcp listener",
    ];
    for _ in 0..20 {
        // Warm-up: caches, the embedded store, the search index's first query.
        call(&c, "search", json!({"query": "spawn a task"})).await;
    }
    let mut callers = Vec::new();
    let mut cochange = Vec::new();
    let mut search = Vec::new();
    for i in 0..a.calls {
        let (sym, file) = &symbols[i % symbols.len()];
        let t = Instant::now();
        call(&c, "callers", json!({"symbol": sym})).await;
        callers.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        call(&c, "cochange", json!({"path": file})).await;
        cochange.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        call(&c, "search", json!({"query": words[i % words.len()]})).await;
        search.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    report("callers (warm)", callers);
    report("cochange (warm)", cochange);
    report("search (warm, hybrid or keyword)", search);

    // Save to queryable: a new file with a new function and its caller.
    let mut fresh = Vec::new();
    for i in 0..a.saves {
        let name = format!("bench_added_fn_{i}");
        let path = repo.join(format!("src/bench_added_{i}.rs"));
        let t = Instant::now();
        std::fs::write(
            &path,
            format!("pub fn {name}() {{}}\n\npub fn bench_caller_{i}() {{\n    {name}();\n}}\n"),
        )
        .unwrap();
        loop {
            let r = c
                .call_tool(
                    CallToolRequestParams::new("callers")
                        .with_arguments(json!({"symbol": name}).as_object().cloned().unwrap()),
                )
                .await
                .unwrap();
            if r.structured_content
                .is_some_and(|v| v.to_string().contains(&format!("bench_caller_{i}")))
            {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "callers of {name} never showed"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        fresh.push(t.elapsed().as_secs_f64() * 1000.0);
        std::fs::remove_file(&path).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Each sample, in order: a slow one at the start is a cold path, one in the middle a
    // collision with the previous removal's re-index.
    let each: Vec<String> = fresh.iter().map(|ms| format!("{ms:.0}")).collect();
    eprintln!("save samples (ms, in order): {}", each.join(" "));
    report("save to correct callers", fresh);
    c.cancel().await.unwrap();
}
