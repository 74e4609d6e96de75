//! SHA-256 of files and streams, as hex (the hub's and pip's RECORD encodings differ:
//! RECORD uses unpadded URL-safe base64).

use std::io::Read;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Converts a wheel RECORD hash (`sha256=<urlsafe base64>`) to hex.
pub fn record_hash_to_hex(record: &str) -> Option<String> {
    let b64 = record.strip_prefix("sha256=")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .ok()?;
    Some(hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_hashes_decode_to_the_hex_digest() {
        // The SmolLM2 wheel's RECORD line for its GGUF, against the file's sha256sum.
        assert_eq!(
            record_hash_to_hex("sha256=sXnJUj0Oag-YozDHVitoJ1Cm-MjBXlvHDqNzcoEQ21M").as_deref(),
            Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        );
        assert_eq!(record_hash_to_hex("md5=abc"), None);
    }

    #[test]
    fn file_digest_matches_a_known_vector() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
