//! `fixes` on a real repository: several fix commits in different files, with different
//! messages and diffs, and errors written the way tools print them. The commit that
//! fixed each error must rank first; an unrelated error gets nothing; an empty one is
//! refused.

use mira_git::GitError;
use mira_git::fixes::{self, EMPTY_ERROR, NO_MATCH};

use crate::fixture::Repo;
use crate::indexing::{index, setup};

const ANN: &str = "Ann Smith <ann@x.org>";
const BOB: &str = "Bob Jones <bob@x.org>";

const CONFIG_V1: &str =
    "import os\n\ndef load_settings(path):\n    data = read_toml(path)\n    return data['database_url']\n";
const CONFIG_V2: &str = "import os\n\ndef load_settings(path):\n    data = read_toml(path)\n    return data.get('database_url', os.environ.get('DATABASE_URL'))\n";
const PARSER_V1: &str = "pub fn parse_header(line: &str) -> Header {\n    let (name, value) = line.split_once(':').unwrap();\n    Header { name, value }\n}\n";
const PARSER_V2: &str = "pub fn parse_header(line: &str) -> Option<Header> {\n    let (name, value) = line.split_once(':')?;\n    Some(Header { name, value: value.trim_start() })\n}\n";
const CART_V1: &str =
    "export function cartTotal(items) {\n  return items.reduce((sum, item) => sum + item.price, 0);\n}\n";
const CART_V2: &str = "export function cartTotal(items) {\n  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);\n}\n";
const RETRY_V1: &str = "def fetch_with_retry(client, url, max_retries=3):\n    for attempt in range(max_retries):\n        return client.get(url)\n";
const RETRY_V2: &str = "def fetch_with_retry(client, url, max_retries=3):\n    for attempt in range(max_retries):\n        try:\n            return client.get(url, timeout=10)\n        except ConnectionResetError:\n            backoff_sleep(attempt)\n    raise RetryExhausted(url)\n";

/// Five commits that fix something (and a few that do not), oldest first.
fn history() -> (Repo, [String; 4]) {
    let repo = Repo::new();
    repo.write("app/config.py", CONFIG_V1);
    repo.write("src/http/parser.rs", PARSER_V1);
    repo.write("web/cart.js", CART_V1);
    repo.write("app/net/retry.py", RETRY_V1);
    repo.write("README.md", "# shop\n");
    repo.commit(ANN, 0, "Initial import");
    repo.write("app/config.py", CONFIG_V2);
    let config = repo.commit(
        ANN,
        1,
        "Fall back to the environment when the settings file has no database URL",
    );
    repo.write("src/http/parser.rs", PARSER_V2);
    let parser = repo.commit(BOB, 2, "fix: malformed headers no longer crash the server");
    repo.write("README.md", "# shop\n\nRun it with `make run`.\n");
    repo.commit(ANN, 3, "docs: how to run");
    repo.write("web/cart.js", CART_V2);
    let cart = repo.commit(BOB, 4, "Fix cart total ignoring quantity");
    repo.write("app/net/retry.py", RETRY_V2);
    let retry = repo.commit(ANN, 5, "Retry on connection resets with backoff");
    repo.write("README.md", "# shop\n\nRun it with `make run`. Fixed a typo.\n");
    repo.commit(BOB, 6, "fix typo in readme");
    (repo, [config, parser, cart, retry])
}

#[tokio::test]
async fn the_commit_that_fixed_each_error_ranks_first_and_noise_gets_nothing() {
    let (repo, [config, parser, cart, retry]) = history();
    let (_data, db, project) = setup(&repo).await;
    index(&db, &project).await;
    let cases = [
        (
            "Traceback (most recent call last):\n  File \"/srv/shop/app/main.py\", line 12, in <module>\n    settings = load_settings('shop.toml')\n  File \"/srv/shop/app/config.py\", line 5, in load_settings\n    return data['database_url']\nKeyError: 'database_url'",
            &config,
            "app/config.py",
        ),
        (
            "thread 'main' panicked at src/http/parser.rs:2:52:\ncalled `Option::unwrap()` on a `None` value in parse_header",
            &parser,
            "src/http/parser.rs",
        ),
        // No file named: the identifiers and words alone must find it.
        (
            "cartTotal returns 20 for two items of price 10 and quantity 2; expected 40",
            &cart,
            "web/cart.js",
        ),
        (
            "requests failed: ConnectionResetError: [Errno 104] Connection reset by peer in fetch_with_retry",
            &retry,
            "app/net/retry.py",
        ),
    ];
    for (error, expected, file) in cases {
        let report = fixes::find(&db, &project, error, 5).await.unwrap();
        assert_eq!(
            report.fixes.first().map(|f| &f.commit),
            Some(expected),
            "for {error:?}: {:#?}",
            report.fixes
        );
        let top = &report.fixes[0];
        assert_eq!(top.files, vec![file.to_string()], "{top:#?}");
        assert!(
            top.diff
                .as_deref()
                .is_some_and(|d| d.contains(&format!("b/{file}"))),
            "{top:#?}"
        );
        assert!(!top.matched.is_empty() && top.score >= fixes::FLOOR, "{top:#?}");
        assert!(report.note.is_none());
    }
    // The retry fix's changed lines share the exception, shown as the error spells it.
    let report = fixes::find(&db, &project, cases[3].0, 5).await.unwrap();
    assert!(
        report.fixes[0]
            .matched
            .iter()
            .any(|m| m == "ConnectionResetError"),
        "{:?}",
        report.fixes[0].matched
    );

    // An error about none of this: no commit, and the report says so.
    let unrelated = "OSError: [Errno 28] No space left on device while writing thumbnails to the image cache";
    let report = fixes::find(&db, &project, unrelated, 5).await.unwrap();
    assert!(report.fixes.is_empty(), "{:#?}", report.fixes);
    assert_eq!(report.note.as_deref(), Some(NO_MATCH));

    for empty in ["", "  \n\t "] {
        match fixes::find(&db, &project, empty, 5).await {
            Err(GitError::BadInput(message)) => {
                assert_eq!(message, EMPTY_ERROR);
                assert!(message.contains("paste the error message or stack trace"));
            }
            other => panic!("{empty:?} gave {other:?}"),
        }
    }
}
