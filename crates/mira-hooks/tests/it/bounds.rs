//! A hook's output is kept within bounds, with a note of what was cut.

use mira_hooks::{HookEvent, OUTPUT_LIMIT, fields};

use crate::support::{Fixture, command, one_hook};

#[tokio::test]
async fn large_output_is_bounded_and_counted() {
    let fx = Fixture::new();
    let flood = "head -c 300000 /dev/zero | tr '\\0' a; head -c 100000 /dev/zero | tr '\\0' b >&2; exit 2";
    let report = fx
        .run_mira_hooks(
            one_hook("Stop", "", command(flood)),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let result = &report.results[0];
    assert_eq!(
        result.exit_code,
        Some(2),
        "the hook was read to its end, never blocked on a full pipe"
    );
    assert_eq!(result.stdout.text.len(), OUTPUT_LIMIT);
    assert!(result.stdout.text.bytes().all(|b| b == b'a'));
    assert_eq!(result.stdout.total_bytes, 300_000);
    assert!(result.stdout.truncated);
    assert!(
        result
            .stdout
            .text_with_note()
            .ends_with(&format!("[output cut: {OUTPUT_LIMIT} of 300000 bytes kept]"))
    );
    assert_eq!(result.stderr.text.len(), OUTPUT_LIMIT);
    assert_eq!(result.stderr.total_bytes, 100_000);
    // The block reason is the bounded stderr.
    assert_eq!(report.block_reason().unwrap().len(), OUTPUT_LIMIT);
}

#[tokio::test]
async fn small_output_is_whole() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("Stop", "", command("printf 'short'")),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let stdout = &report.results[0].stdout;
    assert_eq!(
        (stdout.text.as_str(), stdout.total_bytes, stdout.truncated),
        ("short", 5, false)
    );
}
