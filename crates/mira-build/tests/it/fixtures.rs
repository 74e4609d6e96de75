//! Deliberately broken projects, written as real code.

use std::path::Path;

pub fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
}

pub const CARGO_TOML: &str = r#"[package]
name = "broken"
version = "0.1.0"
edition = "2021"

[dependencies]
"#;

/// Two errors in main.rs, one in a module, and warnings.
pub const RUST_MAIN: &str = r#"mod store;

use std::collections::HashMap;

struct Account {
    id: u64,
    balance: i64,
}

fn total(accounts: &[Account]) -> i64 {
    let mut sum = 0;
    for account in accounts {
        sum += account.balance;
    }
    sum
}

fn main() {
    let unused_count = 3;
    let accounts = vec![Account { id: 1, balance: 10 }];
    let by_id: HashMap<u64, &Account> = accounts.iter().map(|a| (a.id, a)).collect();
    let label: String = total(&accounts);
    println!("{} {}", label, by_id.len());
    println!("{}", missing_total);
}
"#;

pub const RUST_STORE: &str = r#"pub fn load(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| l.to_string()).collect::<Vec<String>>().len()
}
"#;

pub const CLIPPY_MAIN: &str = r#"fn double(x: i32) -> i32 {
    return x * 2;
}

fn main() {
    let values = vec![1, 2, 3];
    if values.len() == 0 {
        println!("empty");
    }
    println!("{}", double(values[0]));
}
"#;

pub const TS_CONFIG: &str = r#"{
  "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler" },
  "include": ["src"]
}
"#;

pub const TS_APP: &str = r#"interface User {
  id: number;
  name: string;
}

export function greet(user: User): string {
  const count: number = "three";
  return `Hello ${user.nam}`;
}

export function makeUser(): User {
  return { id: 1 };
}
"#;

pub const ESLINT_CONFIG: &str = r#"export default [
  {
    files: ["**/*.js"],
    rules: { "no-unused-vars": "error", "no-console": "warn", eqeqeq: "error" },
  },
];
"#;

pub const ESLINT_SRC: &str = r#"function compute(values) {
  const unused = 42;
  console.log(values);
  if (values.length == 0) {
    return null;
  }
  return values[0];
}

export { compute };
"#;

pub const JS_SUM: &str = "function sum(a, b) {\n  return a + b + 1;\n}\nmodule.exports = { sum };\n";

pub const JEST_TEST: &str = r#"const { sum } = require('./sum');

describe('sum', () => {
  test('adds two numbers', () => {
    expect(sum(1, 2)).toBe(3);
  });

  test('adds negatives', () => {
    expect(sum(-1, -2)).toEqual(-3);
  });
});

test('throws on strings', () => {
  throw new TypeError('strings are not numbers');
});
"#;

pub const VITEST_SUM: &str = "export function sum(a, b) {\n  return a + b + 1;\n}\n";

pub const VITEST_TEST: &str = r#"import { describe, test, expect } from 'vitest';
import { sum } from './sum.js';

describe('sum', () => {
  test('adds two numbers', () => {
    expect(sum(1, 2)).toBe(3);
  });

  test('adds negatives', () => {
    expect(sum(-1, -2)).toEqual(-3);
  });
});

test('throws on strings', () => {
  throw new TypeError('strings are not numbers');
});
"#;

pub const PY_CALC: &str = "def add(a, b):\n    return a + b + 1\n";

pub const PY_TEST: &str = r#"from calc import add


def test_add():
    assert add(1, 2) == 3


class TestCalc:
    def test_negative(self):
        assert add(-1, -1) == -2

    def test_ok(self):
        assert add(0, 0) == 1


def helper(x):
    raise ValueError(f"bad value {x}")


def test_raises():
    helper(3)


import pytest


@pytest.fixture
def database():
    raise RuntimeError("no database here")


def test_uses_database(database):
    assert database
"#;

pub const PY_BROKEN: &str = "import nonexistent_module_xyz\n";

pub const GO_MOD: &str = "module example.com/broken\n\ngo 1.19\n";

pub const GO_MAIN: &str = r#"package main

import "fmt"

func main() {
	total := 0
	fmt.Println(totl)
}
"#;

pub const GO_VET_MAIN: &str = r#"package main

import "fmt"

func main() {
	name := "mira"
	fmt.Printf("%d\n", name)
}
"#;

pub const GO_LIB: &str = r#"package calc

func Add(a, b int) int {
	return a + b + 1
}
"#;

pub const GO_TEST: &str = r#"package calc

import "testing"

func TestAdd(t *testing.T) {
	if got := Add(1, 2); got != 3 {
		t.Errorf("Add(1, 2) = %d, want 3", got)
	}
}

func TestIndex(t *testing.T) {
	values := []int{1, 2, 3}
	i := Add(2, 2)
	_ = values[i]
}
"#;

pub const C_MAIN: &str = r#"#include <stdio.h>

static int square(int x) {
    return x * x;
}

int main(void) {
    int unused;
    printf("%d\n", square(count));
    return 0;
}
"#;
