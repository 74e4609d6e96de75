//! Parsing speed on a large build log: `cargo run --release -p mira-build --example
//! parse_throughput [MB]` (default 50). The log repeats a realistic mix (cargo progress,
//! rustc errors and warnings with their excerpts, test results, tsc, eslint, pytest and
//! gcc output) until it reaches the size, then every parser reads it as one stream, once
//! with the tool known and once with every parser asked. Prints MB/s for each.

use std::time::Instant;

use mira_build::Tool;
use mira_build::parse::Pipeline;

const CARGO_BLOCK: &str = r#"   Compiling serde v1.0.219
   Compiling tokio v1.47.1
   Compiling mira-store v0.1.0 (/work/main/crates/mira-store)
warning: unused variable: `count`
  --> crates/mira-store/src/db.rs:41:13
   |
41 |         let count = rows.len();
   |             ^^^^^ help: if this is intentional, prefix it with an underscore: `_count`
   |
   = note: `#[warn(unused_variables)]` (part of `#[warn(unused)]`) on by default

error[E0308]: mismatched types
  --> crates/mira-store/src/projects.rs:88:24
   |
88 |     let id: String = row.get(0);
   |             ------   ^^^^^^^^^^ expected `String`, found `i64`
   |             |
   |             expected due to this

error[E0425]: cannot find value `missing_total` in this scope
   --> crates/mira-store/src/vectors/edge.rs:120:20
    |
120 |     println!("{}", missing_total);
    |                    ^^^^^^^^^^^^^ not found in this scope

test vectors::tests::round_trip ... ok
test projects::tests::remove_cascades ... ok
test db::tests::refuses_newer_schema ... FAILED
running 14 tests
"#;

const JS_BLOCK: &str = r#"src/app.ts(7,9): error TS2322: Type 'string' is not assignable to type 'number'.
src/app.ts(12,10): error TS2741: Property 'name' is missing in type '{ id: number; }' but required in type 'User'.

/home/dev/project/src/compute.js
  2:9   error    'unused' is assigned a value but never used  no-unused-vars
  3:3   warning  Unexpected console statement                 no-console
  4:20  error    Expected '===' and instead saw '=='          eqeqeq

> vite build
vite v8.3.8 building for production...
transforming (214) src/components/Editor.tsx
"#;

const PY_C_BLOCK: &str = r#"============================= test session starts ==============================
collected 4 items

test_calc.py FF.                                                         [100%]

=================================== FAILURES ===================================
___________________________________ test_add ___________________________________

    def test_add():
>       assert add(1, 2) == 3
E       assert 4 == 3

test_calc.py:5: AssertionError
=========================== short test summary info ============================
FAILED test_calc.py::test_add - assert 4 == 3
========================= 1 failed, 3 passed in 0.06s ==========================
main.c: In function 'main':
main.c:9:27: error: 'count' undeclared (first use in this function)
    9 |     printf("%d\n", square(count));
      |                           ^~~~~
main.c:9:27: note: each undeclared identifier is reported only once for each function it appears in
gcc -O2 -c util.c -o util.o
"#;

fn main() {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let target = mb * 1024 * 1024;
    let block = format!("{CARGO_BLOCK}{JS_BLOCK}{PY_C_BLOCK}");
    let mut log = String::with_capacity(target + block.len());
    while log.len() < target {
        log.push_str(&block);
    }
    let size = log.len() as f64 / 1e6;
    println!("log: {:.1} MB ({} lines)", size, log.lines().count());
    for (label, tool) in [
        ("tool known (cargo)", Some(Tool::Cargo)),
        ("tool unknown: every parser", None),
    ] {
        let mut best = f64::MAX;
        let mut found = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let mut pipeline = Pipeline::new(tool);
            // As the runner feeds it: 16 KiB chunks from a pipe.
            for chunk in log.as_bytes().chunks(16 * 1024) {
                pipeline.bytes(chunk);
            }
            found = pipeline.finish().len();
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!(
            "{label:<28} {:>7.0} MB/s  ({found} diagnostics, best of 3: {:.3} s)",
            size / best,
            best
        );
    }
}
