//! Integration tests of mira-code: fixture projects written as real code, analysed by
//! the pure pipeline (walk, parse, resolve) and indexed into a real SQLite database.

mod fixture;
mod globs;
mod go;
mod incremental;
mod index;
mod lease;
mod python;
mod python_values;
mod queries;
mod reparse;
mod rust;
mod rust_values;
mod typescript;
mod watch;
