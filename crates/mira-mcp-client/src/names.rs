//! `mcp__<server>__<tool>`: the names a model sees for MCP tools and prompts.
//!
//! Model APIs accept tool names of `[A-Za-z0-9_-]` only, at most 64 characters
//! (OpenAI's limit, the strictest of the providers Mira speaks). Claude Code uses the same
//! `mcp__server__tool` shape, so a user's habits and hooks carry over.

use std::collections::HashSet;

/// The longest qualified name (OpenAI's limit on function names).
pub const MAX_NAME_LEN: usize = 64;

const PREFIX: &str = "mcp__";
const SEPARATOR: &str = "__";
/// `_` and 8 hex digits.
const SUFFIX_LEN: usize = 9;

/// `text` with every character outside `[A-Za-z0-9_-]` replaced by `_`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The qualified name of `item` (a tool or prompt) of `server`, before clashes are
/// resolved: `mcp__<server>__<item>` sanitised, and when that is longer than
/// [`MAX_NAME_LEN`], cut and ended with `_` and a hash of the original names, so two long
/// names that share a beginning still differ.
pub fn qualify(server: &str, item: &str) -> String {
    let full = format!("{PREFIX}{}{SEPARATOR}{}", sanitize(server), sanitize(item));
    if full.len() <= MAX_NAME_LEN {
        return full;
    }
    // Only ASCII is left after sanitising, so byte offsets are character offsets.
    format!(
        "{}_{}",
        &full[..MAX_NAME_LEN - SUFFIX_LEN],
        hash_hex(server, item)
    )
}

/// Hands out qualified names, unique within one listing. Items are offered in precedence
/// order (servers as configured, tools as listed); the first keeps the plain name and a
/// later one that would clash (`a.b` and `a_b` both sanitise to `a_b`, and `mcp__a__b__c`
/// is both server `a` tool `b__c` and server `a__b` tool `c`) gets a hash suffix.
#[derive(Default)]
pub(crate) struct NameTable {
    taken: HashSet<String>,
}

impl NameTable {
    pub(crate) fn assign(&mut self, server: &str, item: &str) -> String {
        let plain = qualify(server, item);
        if self.taken.insert(plain.clone()) {
            return plain;
        }
        let hash = hash_hex(server, item);
        let keep = plain.len().min(MAX_NAME_LEN - SUFFIX_LEN);
        let mut name = format!("{}_{hash}", &plain[..keep]);
        // A clash even with the hash (the same server and item twice in one listing):
        // count up until the name is free.
        let mut n = 2u32;
        while !self.taken.insert(name.clone()) {
            let tail = format!("_{hash}{n}");
            let keep = plain.len().min(MAX_NAME_LEN - tail.len());
            name = format!("{}{tail}", &plain[..keep]);
            n += 1;
        }
        name
    }
}

/// FNV-1a over the server and item names: stable across Rust releases and runs, unlike
/// `DefaultHasher`, so a model sees the same name for a tool every session.
fn hash_hex(server: &str, item: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in server.bytes().chain([0u8]).chain(item.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", (hash >> 32) as u32 ^ hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_through() {
        assert_eq!(qualify("files", "read_file"), "mcp__files__read_file");
        assert_eq!(qualify("my-server", "get-sum"), "mcp__my-server__get-sum");
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let a = qualify("server", &"x".repeat(100));
        let b = qualify("server", &format!("{}y", "x".repeat(99)));
        assert_eq!(a.len(), MAX_NAME_LEN);
        assert_eq!(b.len(), MAX_NAME_LEN);
        assert_ne!(a, b);
        assert!(a.starts_with("mcp__server__xxx"));
    }

    #[test]
    fn clashes_get_distinct_names() {
        let mut table = NameTable::default();
        let first = table.assign("a", "b__c");
        let second = table.assign("a__b", "c");
        let third = table.assign("a__b", "c");
        assert_eq!(first, "mcp__a__b__c");
        assert!(second.starts_with("mcp__a__b__c_") && second.len() == first.len() + SUFFIX_LEN);
        assert_ne!(third, second);
        assert!(third.len() <= MAX_NAME_LEN);
    }
}
