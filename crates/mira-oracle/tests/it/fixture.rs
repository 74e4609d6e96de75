//! A small Python shop with history: a currency fix that touched two files together.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use mira_oracle::{Context, ContextRequest, Oracle};
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects::{self, Project};
use mira_store::vectors::{EdgeStore, VectorStore};

pub const INVOICE_PY: &str = r#"from shop.currency import convert


class Invoice:
    def __init__(self, lines, currency):
        self.lines = lines
        self.currency = currency

    def total_due(self):
        return sum(qty * price for qty, price in self.lines)

    def apply_discount(self, percent):
        self.lines = [(q, p * (100 - percent) / 100) for q, p in self.lines]


def parse_invoice(data):
    lines = [(item["qty"], item["price"]) for item in data["items"]]
    currency = data.get("currency", "EUR")
    total = convert(sum(q * p for q, p in lines), data["rate"])
    return Invoice(lines, currency), total
"#;

pub const CURRENCY_PY: &str = r#"def convert(amount, rate):
    """Converts an amount with an exchange rate."""
    return amount * rate


def format_money(amount, symbol):
    """Formats an amount for display, rounded to cents."""
    rounded = round(amount + 0.005, 2)
    return f"{symbol}{rounded:.2f}"
"#;

pub const REPORT_PY: &str = r#"from shop.invoice import Invoice


def build_report(invoices):
    rows = []
    for invoice in invoices:
        rows.append(invoice.total_due())
    return rows


def summary(invoices):
    return sum(build_report(invoices))
"#;

pub const CLI_PY: &str = r#"import json
import sys

from shop.currency import format_money
from shop.invoice import parse_invoice


def main(path):
    with open(path) as f:
        data = json.load(f)
    invoice, total = parse_invoice(data)
    print(format_money(total, "$"))


if __name__ == "__main__":
    main(sys.argv[1])
"#;

pub const TEST_INVOICE_PY: &str = r#"from shop.invoice import parse_invoice


def test_parse_invoice():
    invoice, total = parse_invoice({"items": [{"qty": 2, "price": 3}], "rate": 1})
    assert total == 6


def test_parse_invoice_discount():
    invoice, total = parse_invoice({"items": [{"qty": 1, "price": 10}], "rate": 1})
    invoice.apply_discount(10)
    assert invoice.total_due() == 9
"#;

pub const README: &str = "# Shop\n\nInvoices and money for a small shop.\n";

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The fixture's history: an initial commit, a fix of a KeyError on invoices without a
/// currency (in invoice.py and currency.py together), and a later change to both.
/// Returns the sha of the fix.
pub fn write_fixture(root: &Path) -> String {
    let before = INVOICE_PY.replace("data.get(\"currency\", \"EUR\")", "data[\"currency\"]");
    write(root, "shop/__init__.py", "");
    write(root, "shop/invoice.py", &before);
    write(
        root,
        "shop/currency.py",
        &CURRENCY_PY.replace("    \"\"\"Converts an amount with an exchange rate.\"\"\"\n", ""),
    );
    write(root, "shop/report.py", REPORT_PY);
    write(root, "shop/cli.py", CLI_PY);
    write(root, "tests/test_invoice.py", TEST_INVOICE_PY);
    write(root, "README.md", README);
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "Invoices, currency and reports"]);
    write(root, "shop/invoice.py", INVOICE_PY);
    write(
        root,
        "shop/currency.py",
        &CURRENCY_PY.replace(
            "    \"\"\"Converts an amount with an exchange rate.\"\"\"\n",
            "    # rate: units of the target currency per unit\n",
        ),
    );
    git(
        root,
        &[
            "commit",
            "-q",
            "-am",
            "Fix KeyError: 'currency' when an invoice has no currency",
        ],
    );
    let fix = git(root, &["rev-parse", "HEAD"]);
    write(root, "shop/currency.py", CURRENCY_PY);
    write(
        root,
        "shop/invoice.py",
        &format!("{INVOICE_PY}\n\nDEFAULT_CURRENCY = \"EUR\"\n"),
    );
    git(
        root,
        &[
            "commit",
            "-q",
            "-am",
            "Document convert and name the default currency",
        ],
    );
    fix
}

pub struct Shop {
    pub project: Project,
    pub oracle: Oracle,
    pub db: Db,
    pub search: SearchService,
    pub fix_sha: String,
    pub _dir: tempfile::TempDir,
}

impl Shop {
    pub async fn new() -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("shop");
        std::fs::create_dir_all(&root).unwrap();
        let fix_sha = write_fixture(&root);
        let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
        let root = projects::canonical_root(&root).unwrap();
        let project = projects::add(&db, &root, None).await.unwrap();
        let mut config = mira_core::Config::with_data_dir(dir.path());
        // No model in the temp data dir: search runs by keyword, as with `--no-embed`.
        config.models.models_dir = dir.path().join("no-models");
        let config = Arc::new(config);
        let store: Arc<dyn VectorStore> =
            Arc::new(EdgeStore::open(&dir.path().join("vectors"), 384).await.unwrap());
        let search = SearchService::new(config.clone(), db.clone(), store);
        mira_code::index::index_project(&db, &project, Arc::new(|_, _| {}))
            .await
            .unwrap();
        mira_git::index::index_project(&db, &project, &config.git, Arc::new(|_, _| {}))
            .await
            .unwrap();
        search.index_project(&project, Arc::new(|_, _| {})).await.unwrap();
        let oracle = Oracle::new(db.clone(), config, Some(search.clone()));
        Shop {
            project,
            oracle,
            db,
            search,
            fix_sha,
            _dir: dir,
        }
    }

    /// Indexes the project again (code, then search), as after a save.
    pub async fn reindex(&self) {
        mira_code::index::index_project(&self.db, &self.project, Arc::new(|_, _| {}))
            .await
            .unwrap();
        self.search
            .index_project(&self.project, Arc::new(|_, _| {}))
            .await
            .unwrap();
    }

    pub async fn ask(&self, task: &str) -> Context {
        self.gather(ContextRequest::new(task)).await
    }

    pub async fn gather(&self, request: ContextRequest) -> Context {
        self.oracle.gather(&self.project, &request).await.unwrap()
    }
}

pub fn paths(context: &Context) -> Vec<&str> {
    context.files.iter().map(|f| f.path.as_str()).collect()
}
