//! mira-build against the real tools: broken fixture projects written by the tests,
//! built and tested with cargo, rustc, clippy, tsc, eslint, jest, vitest, pytest, go and
//! gcc, their output parsed; runs recorded in a real SQLite database.

mod fixtures;
mod hostile;
mod parsers;
mod runs;
mod tools;
