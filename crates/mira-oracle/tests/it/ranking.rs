//! What the oracle ranks first, what it brings, and the bounds it keeps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_oracle::{Context, ContextRequest, Found, Query, Selection, Source};

use crate::fixture::{INVOICE_PY, Shop, paths};

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text") as u32
        + 1
}

#[tokio::test]
async fn a_task_naming_a_function_ranks_its_file_first() {
    let shop = Shop::new().await;
    let context = shop
        .ask("Why does format_money round negative amounts the wrong way?")
        .await;
    assert_eq!(paths(&context)[0], "shop/currency.py", "{:#?}", context.files);
    assert!(
        context.files[0]
            .reasons
            .iter()
            .any(|r| r.contains("defines `format_money`")),
        "{:?}",
        context.files[0].reasons
    );
    // The definition is quoted once (by the search hit or the symbol source, whichever
    // ranks higher; the other overlaps it), with its citation.
    let defs: Vec<_> = context
        .items
        .iter()
        .filter(|i| i.path.as_deref() == Some("shop/currency.py") && i.text.contains("def format_money"))
        .collect();
    assert_eq!(defs.len(), 1, "{:#?}", context.items);
    let def = defs[0];
    assert!(def.text.contains("def format_money"), "{}", def.text);
    let lines = def.lines.unwrap();
    assert!(
        def.citation
            .starts_with(&format!("shop/currency.py:{}", lines[0]))
    );
    assert_eq!(context.config, "standard");
}

#[tokio::test]
async fn a_stack_trace_ranks_its_frames_files_first() {
    let shop = Shop::new().await;
    let cli_line = line_of(crate::fixture::CLI_PY, "parse_invoice(data)");
    let invoice_line = line_of(INVOICE_PY, "total = convert(");
    let task = format!(
        "Running the CLI on my export crashes:\n\nTraceback (most recent call last):\n  File \"/home/me/venv/lib/python3.11/site-packages/shop/cli.py\", line {cli_line}, in main\n    invoice, total = parse_invoice(data)\n  File \"/home/me/venv/lib/python3.11/site-packages/shop/invoice.py\", line {invoice_line}, in parse_invoice\n    total = convert(sum(q * p for q, p in lines), data[\"rate\"])\nKeyError: 'rate'\n"
    );
    let context = shop.ask(&task).await;
    let files = paths(&context);
    assert_eq!(
        &files[..2],
        &["shop/invoice.py", "shop/cli.py"],
        "{:#?}",
        context.files
    );
    assert!(
        context.files[0].reasons[0].contains("stack trace"),
        "{:?}",
        context.files[0].reasons
    );
    // The innermost frame's lines are quoted first, around the failing line.
    let first = &context.items[0];
    assert_eq!(first.source, "trace");
    assert_eq!(first.path.as_deref(), Some("shop/invoice.py"));
    let [a, b] = first.lines.unwrap();
    assert!(
        a <= invoice_line && invoice_line <= b,
        "{a}-{b} around {invoice_line}"
    );
    assert!(first.text.contains("convert("));
}

#[tokio::test]
async fn an_error_seen_before_brings_its_past_fix() {
    let shop = Shop::new().await;
    let task = "KeyError: 'currency'\n  File \"shop/invoice.py\", line 18, in parse_invoice";
    let context = shop.ask(task).await;
    let short = &shop.fix_sha[..7];
    let fix = context
        .items
        .iter()
        .find(|i| i.source == "fixes")
        .unwrap_or_else(|| panic!("no past fix in {:#?}", context.items));
    assert_eq!(fix.citation, format!("commit {short}"));
    assert!(fix.text.contains("Fix KeyError: 'currency'"), "{}", fix.text);
    assert!(context.config.len() > 3);
}

#[tokio::test]
async fn the_assembled_context_never_exceeds_its_token_budget() {
    let shop = Shop::new().await;
    let task =
        "How are invoices totalled and converted? parse_invoice total_due convert format_money build_report";
    let mut previous = 0;
    for budget in [0, 40, 120, 400, 1_000, 4_000, 20_000] {
        let mut request = ContextRequest::new(task);
        request.tokens = Some(budget);
        let context = shop.gather(request).await;
        assert_eq!(context.budget, budget);
        assert!(context.tokens <= budget, "{} > {budget}", context.tokens);
        assert_eq!(
            context.tokens,
            context.items.iter().map(|i| i.tokens).sum::<usize>()
        );
        // The prompt as rendered stays within what was counted (plus its one-line header).
        let rendered = mira_llm::gateway::estimate_text_tokens(context.to_prompt().len()) as usize;
        assert!(
            rendered <= context.tokens + 60,
            "{rendered} vs {}",
            context.tokens
        );
        assert!(
            context.items.len() >= previous,
            "a bigger budget never holds fewer items"
        );
        previous = context.items.len();
    }
    assert!(
        previous >= 4,
        "a large budget takes every source's items: {previous}"
    );
    // A window smaller than the level's budget bounds it.
    let mut request = ContextRequest::new(task);
    request.room = Some(300);
    let context = shop.gather(request).await;
    assert_eq!(context.budget, 300);
}

struct Slow;

#[async_trait::async_trait]
impl Source for Slow {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn collect(&self, _query: &Query<'_>) -> Result<Found, String> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(Found::default())
    }
}

struct Broken;

#[async_trait::async_trait]
impl Source for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }

    async fn collect(&self, _query: &Query<'_>) -> Result<Found, String> {
        Err("the memory store is closed".into())
    }
}

#[tokio::test]
async fn a_source_that_times_out_or_fails_is_named_and_not_waited_for() {
    let shop = Shop::new().await;
    let oracle = shop
        .oracle
        .clone()
        .with_source(Arc::new(Slow))
        .with_source(Arc::new(Broken))
        .with_deadline(Duration::from_millis(1_500));
    let started = Instant::now();
    let context = oracle
        .gather(
            &shop.project,
            &ContextRequest::new("where is format_money defined?"),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let memory = context
        .dropped_sources
        .iter()
        .find(|d| d.source == "memory")
        .expect("memory dropped");
    assert!(memory.reason.contains("deadline of 1500 ms"), "{}", memory.reason);
    let broken = context
        .dropped_sources
        .iter()
        .find(|d| d.source == "broken")
        .expect("broken dropped");
    assert_eq!(broken.reason, "the memory store is closed");
    // The other sources still answered.
    assert_eq!(paths(&context)[0], "shop/currency.py");
}

#[tokio::test]
async fn the_open_file_and_selection_come_first() {
    let shop = Shop::new().await;
    let request = ContextRequest {
        task: "what does this do?".into(),
        file: Some("shop/report.py".into()),
        selection: Some(Selection {
            start_line: 4,
            end_line: 8,
        }),
        ..ContextRequest::default()
    };
    let context = shop.gather(request).await;
    assert_eq!(paths(&context)[0], "shop/report.py");
    let first = &context.items[0];
    assert_eq!((first.source.as_str(), first.lines), ("open", Some([4, 8])));
    assert!(first.text.starts_with("def build_report"), "{}", first.text);
}

#[tokio::test]
async fn asking_what_breaks_brings_impact_and_tests_are_pushed_down() {
    let shop = Shop::new().await;
    let context = shop.ask("What breaks if I change total_due?").await;
    let impact = context
        .items
        .iter()
        .find(|i| i.source == "impact")
        .expect("impact item");
    assert!(impact.text.contains("build_report"), "{}", impact.text);
    let context = shop.ask("parse_invoice crashes on an empty items list").await;
    let files = paths(&context);
    let code = files.iter().position(|p| *p == "shop/invoice.py").unwrap();
    let test = files.iter().position(|p| *p == "tests/test_invoice.py").unwrap();
    assert!(code < test, "{files:?}");
    // Unless the task is about the tests.
    let context = shop.ask("the test test_parse_invoice_discount fails").await;
    assert_eq!(
        paths(&context)[0],
        "tests/test_invoice.py",
        "{:#?}",
        context.files
    );
}

#[tokio::test]
async fn history_brings_co_change_partners_and_experts() {
    let shop = Shop::new().await;
    let context = shop.ask("Change how parse_invoice reads the currency").await;
    let cochange = context
        .items
        .iter()
        .find(|i| i.source == "cochange")
        .expect("cochange item");
    assert!(cochange.text.contains("shop/currency.py"), "{}", cochange.text);
    let experts = context
        .items
        .iter()
        .find(|i| i.source == "experts")
        .expect("experts item");
    assert!(experts.text.contains("Ada"));
    let overview = context
        .items
        .iter()
        .find(|i| i.source == "overview")
        .expect("overview");
    assert!(overview.text.contains("python"), "{}", overview.text);
    assert!(overview.text.contains("Invoices and money"), "{}", overview.text);
}

#[tokio::test]
async fn an_empty_task_is_refused() {
    let shop = Shop::new().await;
    let err = shop
        .oracle
        .gather(&shop.project, &ContextRequest::new("  "))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[tokio::test]
async fn the_words_of_a_report_find_the_file_that_shares_them_and_follow_edits() {
    let shop = Shop::new().await;
    let mut request = ContextRequest::new("Amounts shown for display are rounded to cents wrongly");
    request.explain = true;
    let words = |c: &mira_oracle::Context| -> Vec<String> {
        c.ballots
            .as_ref()
            .expect("explain answers ballots")
            .iter()
            .find(|b| b.source == "words")
            .map(|b| b.files.clone())
            .unwrap_or_default()
    };
    let context = shop.gather(request.clone()).await;
    assert_eq!(
        words(&context).first().map(String::as_str),
        Some("shop/currency.py")
    );
    assert_eq!(paths(&context)[0], "shop/currency.py");
    let timings = context.source_ms.as_ref().expect("explain answers timings");
    assert!(
        timings.contains_key("words") && timings.contains_key("search"),
        "{timings:?}"
    );

    // The file loses those words: after a re-index the source no longer lists it.
    std::fs::write(
        shop.project.root.join("shop/currency.py"),
        "def convert(x, r):\n    return x * r\n",
    )
    .unwrap();
    shop.reindex().await;
    let context = shop.gather(request).await;
    assert!(
        !words(&context).contains(&"shop/currency.py".to_string()),
        "{:?}",
        words(&context)
    );

    // Without `explain` the answer carries neither.
    let plain = shop
        .ask("Amounts shown for display are rounded to cents wrongly")
        .await;
    assert!(plain.ballots.is_none() && plain.source_ms.is_none());
}

#[tokio::test]
async fn the_users_habits_go_into_every_context_cited_by_their_pattern() {
    use mira_memory::extract::{self, USER_SPEAKER};
    use mira_memory::{Scope, turns};
    let shop = Shop::new().await;
    let asks = [
        "Please add unit tests for the parser",
        "Can you write tests for the cache too?",
        "Add a test for the empty input case",
    ];
    let said: Vec<turns::NewTurn> = asks
        .iter()
        .enumerate()
        .map(|(i, text)| turns::NewTurn {
            conversation: "c1".into(),
            session: String::new(),
            message: format!("m{i}"),
            speaker: USER_SPEAKER.into(),
            text: (*text).into(),
            at: 1_000 + i as i64,
        })
        .collect();
    let keys = mira_llm::scrub::Scrubber::default();
    turns::add(&shop.db, &Scope::project(shop.project.id), &said[..2], &keys)
        .await
        .unwrap();
    extract::run_pending(&shop.db, "local", |_| {}).await.unwrap();
    let memory = |c: &Context| {
        c.items
            .iter()
            .find(|i| i.source == "memory")
            .map(|i| i.text.clone())
    };
    // Seen twice: not a habit yet.
    let before = shop.gather(ContextRequest::new("format money for display")).await;
    assert!(
        memory(&before).is_none_or(|t| !t.contains("habit")),
        "{:?}",
        memory(&before)
    );
    turns::add(&shop.db, &Scope::project(shop.project.id), &said[2..], &keys)
        .await
        .unwrap();
    extract::run_pending(&shop.db, "local", |_| {}).await.unwrap();
    let after = shop.gather(ContextRequest::new("format money for display")).await;
    let text = memory(&after).expect("no memory item");
    assert!(
        text.contains("[habit, seen 3 times] the user asks for tests (p1)"),
        "{text}"
    );
}
