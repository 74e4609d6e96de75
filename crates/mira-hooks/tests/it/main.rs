//! Integration tests of mira-hooks: real files in temp dirs, real `sh` processes.

mod bounds;
mod kill;
mod load;
mod matchers;
mod parallel;
mod problems;
mod results;
mod stdin;
mod support;
mod tools;
