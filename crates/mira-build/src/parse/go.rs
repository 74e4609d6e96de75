//! The Go toolchain: `go build` and `go vet` (`./main.go:5:2: undefined: x`, grouped
//! under `# package` headers), and `go test` failures (`--- FAIL: TestX`, then the
//! test's own `file_test.go:8: message` lines, and panics with their stack).

use std::sync::LazyLock;

use regex::Regex;

use super::util::num;
use super::{LineParser, Step};
use crate::diagnostic::{Diagnostic, Severity, Tool};

static COMPILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:vet: )?(\S+\.go):(\d+):(\d+): (.*\S.*)$").expect("valid"));
static FAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*--- FAIL: (\S+) \(").expect("valid"));
static TEST_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+(\S+\.go):(\d+): (.*\S.*)$").expect("valid"));
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$").expect("valid"));

#[derive(Default)]
pub struct Go {
    /// The failing test whose log lines follow.
    test: Option<String>,
    test_had_lines: bool,
    /// A panic waiting for its first frame in the project's code.
    panic: Option<Diagnostic>,
    /// Inside a goroutine dump: its frames belong to the panic already reported.
    in_trace: bool,
}

impl Go {
    fn end_test(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(test) = self.test.take()
            && !self.test_had_lines
        {
            out.push(Diagnostic::new(Tool::Go, Severity::Error, format!("{test} failed")).with_code(test));
        }
        self.test_had_lines = false;
    }
}

impl LineParser for Go {
    fn feed(&mut self, line: &str, out: &mut Vec<Diagnostic>) -> Step {
        if self.panic.is_some() || self.in_trace {
            if let Some(c) = FRAME.captures(line) {
                let file = &c[1];
                // The first frame outside the Go runtime and testing package is where
                // the panic started in the user's code.
                if self.panic.is_some() && !file.contains("/src/runtime/") && !file.contains("/src/testing/")
                {
                    let d = self.panic.take().expect("checked").at(file, num(&c[2]), None);
                    out.push(d);
                }
                return Step::Open;
            }
            if line.is_empty()
                || line.starts_with("goroutine ")
                || line.starts_with('\t')
                || line.starts_with("created by ")
                || (line.ends_with(')') && line.contains('(') && !line.starts_with(' '))
            {
                return Step::Open;
            }
            self.flush(out);
            self.in_trace = false;
            if line == "FAIL" || line.starts_with("FAIL\t") || line.starts_with("exit status ") {
                return Step::Consumed;
            }
            return Step::Ignored;
        }
        if line.contains(".go:") {
            if let Some(c) = TEST_LINE.captures(line).filter(|_| self.test.is_some()) {
                let test = self.test.clone().expect("checked");
                self.test_had_lines = true;
                out.push(
                    Diagnostic::new(Tool::Go, Severity::Error, c[3].trim())
                        .at(&c[1], num(&c[2]), None)
                        .with_code(test),
                );
                return Step::Open;
            }
            if let Some(c) = COMPILE.captures(line) {
                self.end_test(out);
                out.push(Diagnostic::new(Tool::Go, Severity::Error, &c[4]).at(&c[1], num(&c[2]), num(&c[3])));
                return Step::Consumed;
            }
        }
        if let Some(c) = line.contains("--- FAIL").then(|| FAIL.captures(line)).flatten() {
            self.end_test(out);
            self.test = Some(c[1].to_string());
            return Step::Open;
        }
        if let Some(message) = line.strip_prefix("panic: ") {
            // The panic is the failing test's report: it names the test, which then needs
            // no "failed" line of its own.
            let test = self.test.take();
            self.test_had_lines = false;
            let message = message.strip_suffix(" [recovered]").unwrap_or(message);
            let mut d = Diagnostic::new(Tool::Go, Severity::Error, format!("panic: {message}"));
            d.code = test;
            self.panic = Some(d);
            self.in_trace = true;
            return Step::Open;
        }
        if line.starts_with("# ") && line[2..].split_whitespace().count() == 1 {
            self.end_test(out);
            return Step::Consumed;
        }
        if self.test.is_some() {
            // Other output of a failing test (its log without a location) belongs to it.
            if line.starts_with("    ") {
                return Step::Open;
            }
            self.end_test(out);
            if line == "FAIL"
                || line.starts_with("FAIL\t")
                || line.starts_with("ok  \t")
                || line.starts_with("=== ")
            {
                return Step::Consumed;
            }
            return Step::Ignored;
        }
        if line == "FAIL" || line.starts_with("FAIL\t") {
            return Step::Consumed;
        }
        Step::Ignored
    }

    fn flush(&mut self, out: &mut Vec<Diagnostic>) {
        if let Some(d) = self.panic.take() {
            out.push(d);
        }
        self.in_trace = false;
        self.end_test(out);
    }
}
