//! Content digests. A registry is addressed by content: whatever it sends for a digest must
//! hash to that digest, or it is not what was asked for.

use sha2::{Digest, Sha256};
use wharf_plugin_sdk::{ToolError, ToolResult};

/// `sha256:` and the hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in Sha256::digest(bytes).iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Refuse content that does not hash to the digest it was fetched by.
pub fn verify(expected: &str, body: &[u8], what: &str) -> ToolResult<()> {
    let actual = sha256(body);
    if actual == expected {
        Ok(())
    } else {
        Err(ToolError::failed(format!(
            "{what}: the registry sent content whose digest is {actual}, not the {expected} \
             asked for; it is corrupt or not what it claims to be"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digests_and_verification() {
        assert_eq!(sha256(b""), EMPTY);
        assert!(verify(EMPTY, b"", "x").is_ok());
        let e = verify(EMPTY, b"tampered", "config blob").unwrap_err();
        assert_eq!(e.kind, wharf_plugin_sdk::ErrorKind::Failed);
        assert!(
            e.message
                .starts_with("config blob: the registry sent content whose digest")
        );
        assert!(e.message.contains(&sha256(b"tampered")));
    }
}
