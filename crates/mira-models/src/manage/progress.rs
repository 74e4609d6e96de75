//! Progress of long model operations (downloads, unpacking), reported to whoever shows
//! it: a terminal progress bar in the CLI, events in the server.

pub trait Progress: Send {
    /// A new phase begins; `total` is its size in bytes when known.
    fn start(&mut self, label: &str, total: Option<u64>);
    fn advance(&mut self, bytes: u64);
    fn finish(&mut self);
    /// A one-line message, such as why a fallback is used.
    fn note(&mut self, message: &str);
}

/// Discards progress (tests, background work).
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
    fn note(&mut self, _: &str) {}
}
