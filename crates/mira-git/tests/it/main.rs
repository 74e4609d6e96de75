//! mira-git against real repositories built by the tests with the `git` CLI.

mod fixes;
mod fixture;
mod indexing;
mod partial;
mod ranking;
