//! Integration tests of mira-store against the real SQLite and the real embedded Qdrant
//! engine (and a Qdrant server when QDRANT_URL is set).

mod db;
mod file_terms;
mod modes;
mod projects;
mod vector_suite;
