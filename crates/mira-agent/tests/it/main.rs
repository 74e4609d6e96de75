//! Integration tests of mira-agent: the loop against local servers that speak each
//! provider's wire format (requests checked, answers scripted), over a real SQLite
//! database and real git repositories and files in temp dirs.

mod harness;
mod script;
mod server;

mod checkpoints;
mod extensions;
mod refusals;
mod wire;
