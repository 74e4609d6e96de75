//! Point ids: a chunk's id is derived from what it is, so re-indexing finds it again.

use sha2::{Digest, Sha256};

/// 63 bits of SHA-256 over (project, collection, path, key): fits SQLite's signed
/// INTEGER and Qdrant's unsigned ids alike.
pub fn chunk_id(project_id: i64, collection: &str, path: &str, key: &str) -> i64 {
    let mut h = Sha256::new();
    h.update(project_id.to_le_bytes());
    for part in [collection, path, key] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_le_bytes(bytes) >> 1) as i64
}

/// Hex SHA-256 of a text (the content hash of what is embedded).
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_positive_and_distinct() {
        let a = chunk_id(1, "code", "src/a.rs", "crate::a#1");
        assert_eq!(a, chunk_id(1, "code", "src/a.rs", "crate::a#1"));
        assert!(a >= 0);
        assert_ne!(a, chunk_id(2, "code", "src/a.rs", "crate::a#1"));
        assert_ne!(a, chunk_id(1, "code", "src/a.rsc", "rate::a#1"));
    }
}
