//! The short text rendering of each tool's answer: what a host that ignores
//! `structuredContent` shows its model. A line per result, at most [`MAX_LINES`].

use serde_json::Value;

pub const MAX_LINES: usize = 60;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn at(v: &Value, file: &str, line: &str) -> String {
    format!("{}:{}", s(v, file), n(v, line))
}

/// Lines for `tool`'s structured answer.
pub fn text(tool: &str, v: &Value) -> String {
    let mut out: Vec<String> = Vec::new();
    match tool {
        "search" => {
            if let Some(notice) = v.get("notice").and_then(Value::as_str) {
                out.push(format!("({notice})"));
            }
            for h in list(v, "results") {
                let lines = list(h, "lines");
                let from = lines.first().and_then(Value::as_u64).unwrap_or(0);
                let to = lines.get(1).and_then(Value::as_u64).unwrap_or(0);
                out.push(format!(
                    "{}:{from}-{to} {} {}",
                    s(h, "path"),
                    s(h, "kind"),
                    s(h, "symbol")
                ));
            }
        }
        "context" => {
            for f in list(v, "files").iter().take(15) {
                let reasons: Vec<&str> = list(f, "reasons").iter().filter_map(Value::as_str).collect();
                out.push(format!("{} ({})", s(f, "path"), reasons.join("; ")));
            }
            for (i, item) in list(v, "items").iter().enumerate() {
                out.push(format!(
                    "[{}] {} ({})",
                    i + 1,
                    s(item, "citation"),
                    s(item, "source")
                ));
            }
        }
        "symbols" | "definition" => {
            let key = if tool == "symbols" {
                "symbols"
            } else {
                "definitions"
            };
            for sym in list(v, key) {
                out.push(format!(
                    "{} {} {}",
                    s(sym, "kind"),
                    s(sym, "qualified_name"),
                    at(sym, "file", "start_line")
                ));
            }
        }
        "callers" | "callees" => {
            for m in list(v, "matches") {
                let calls = list(m, tool);
                out.push(format!("{} ({} {tool}):", s(m, "symbol"), calls.len()));
                for c in calls {
                    let test = if c["is_test"].as_bool() == Some(true) {
                        " [test]"
                    } else {
                        ""
                    };
                    out.push(format!(
                        "  {} {} {}{test}",
                        s(c, "symbol"),
                        at(c, "file", "line"),
                        s(c, "resolution")
                    ));
                }
            }
        }
        "impact" => {
            for r in list(v, "results") {
                out.push(format!(
                    "if {} changes, {} symbol(s) may break ({} test(s)):",
                    s(r, "symbol"),
                    list(r, "impacted").len(),
                    n(r, "tests")
                ));
                for i in list(r, "impacted") {
                    out.push(format!(
                        "  depth {} {} {}",
                        n(i, "depth"),
                        s(i, "symbol"),
                        at(i, "file", "line")
                    ));
                }
            }
        }
        "callgraph" => {
            for e in list(v, "edges") {
                out.push(format!(
                    "{} -> {} {}",
                    s(e, "caller"),
                    s(e, "callee"),
                    at(e, "file", "line")
                ));
            }
        }
        "cochange" => {
            for c in list(v, "suggestions") {
                let conf = c["confidence"].as_f64().unwrap_or(0.0) * 100.0;
                out.push(format!("{conf:.0}% {} ({})", s(c, "file"), s(c, "evidence")));
            }
        }
        "experts" => {
            for e in list(v, "experts") {
                out.push(format!(
                    "{:.1} {} <{}>",
                    e["score"].as_f64().unwrap_or(0.0),
                    s(e, "name"),
                    s(e, "email")
                ));
            }
        }
        "blame" => {
            for l in list(v, "lines") {
                let commit = s(l, "commit");
                out.push(format!(
                    "{} {} {} {}",
                    n(l, "line"),
                    &commit[..commit.len().min(10)],
                    s(l, "author_name"),
                    s(l, "summary")
                ));
            }
        }
        "file_history" => {
            for c in list(v, "commits") {
                let sha = s(c, "sha");
                out.push(format!(
                    "{} {} {}",
                    &sha[..sha.len().min(10)],
                    s(c, "author_name"),
                    s(c, "summary")
                ));
            }
        }
        "fixes" => {
            out.push(format!("error pattern: {}", s(v, "pattern")));
            if let Some(note) = v.get("note").and_then(Value::as_str) {
                out.push(note.to_string());
            }
            for f in list(v, "fixes") {
                let sha = s(f, "commit");
                out.push(format!(
                    "{} {} (by {})",
                    &sha[..sha.len().min(10)],
                    s(f, "summary"),
                    s(f, "author_name")
                ));
            }
        }
        "build_errors" => {
            for e in list(v, "errors") {
                let place = match (
                    e.get("file").and_then(Value::as_str),
                    e.get("line").and_then(Value::as_i64),
                ) {
                    (Some(f), Some(l)) => format!("{f}:{l}: "),
                    (Some(f), None) => format!("{f}: "),
                    _ => String::new(),
                };
                out.push(format!(
                    "#{} {} {place}{}",
                    n(e, "id"),
                    s(e, "severity"),
                    s(e, "message")
                ));
            }
        }
        "concepts" => {
            for c in list(v, "concepts") {
                out.push(format!("{} ({} symbols)", s(c, "concept"), n(c, "symbols")));
            }
            for t in list(v, "symbols") {
                out.push(format!("{} {}", s(t, "path"), s(t, "symbol")));
            }
        }
        "memory" => {
            for item in list(v, "items") {
                let until = item
                    .get("valid_to")
                    .and_then(Value::as_i64)
                    .map(|_| " (superseded)")
                    .unwrap_or("");
                out.push(format!(
                    "{} {}: {}{until}",
                    s(item, "id"),
                    s(item, "kind"),
                    s(item, "text")
                ));
            }
        }
        "index_status" => {
            out.push(format!(
                "{}: {} files, {} symbols, {} call edges, {} commits",
                s(&v["project"], "name"),
                n(&v["code"], "files"),
                n(&v["code"], "symbols"),
                n(&v["code"], "call_edges"),
                n(&v["git"], "commits")
            ));
        }
        "run_build" => {
            let run = &v["run"];
            out.push(format!(
                "`{}`: {} ({} errors, {} warnings; run {})",
                s(run, "command_line"),
                s(run, "status"),
                n(run, "errors"),
                n(run, "warnings"),
                n(run, "id")
            ));
            for d in list(v, "diagnostics").iter().take(20) {
                out.push(format!("{} {}", s(d, "severity"), s(d, "message")));
            }
            out.push("--- end of output ---".into());
            out.push(s(v, "output_tail").to_string());
        }
        "reindex" => {
            out.push(format!(
                "code: {} files ({} parsed); git: {} new commits",
                n(&v["code"], "files"),
                n(&v["code"], "parsed"),
                n(&v["git"], "new_commits")
            ));
        }
        _ => {}
    }
    if out.is_empty() {
        out.push("no results".into());
    }
    let total = out.len();
    if total > MAX_LINES && tool != "run_build" {
        out.truncate(MAX_LINES);
        out.push(format!(
            "... {} more lines in the structured result",
            total - MAX_LINES
        ));
    }
    if v["truncated"].as_bool() == Some(true) {
        out.push("(truncated: more results exist; raise `limit` or narrow the query)".into());
    }
    out.join("\n")
}
