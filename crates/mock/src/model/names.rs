//! Container names: the engine's rule for what a name may be, and names for containers
//! created without one.

use super::invalid;
use regex::Regex;
use std::sync::LazyLock;
use wharf_core::engine::DockerError;

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$").unwrap());

/// The name without its leading slash, or the engine's refusal.
pub(crate) fn checked(name: &str) -> Result<String, DockerError> {
    if !NAME.is_match(name) {
        return Err(invalid(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(name.trim_start_matches('/').to_owned())
}

const ADJECTIVES: &[&str] = &[
    "brave", "calm", "eager", "fond", "gentle", "happy", "keen", "lucid", "merry", "quiet",
];
const NOUNS: &[&str] = &[
    "babbage", "curie", "darwin", "euler", "hopper", "lovelace", "noether", "turing",
];

/// `adjective_noun` from the `n`th pick, like the engine's generated names.
pub(crate) fn generated(n: usize) -> String {
    let a = ADJECTIVES[n % ADJECTIVES.len()];
    let b = NOUNS[(n / ADJECTIVES.len()) % NOUNS.len()];
    match n / (ADJECTIVES.len() * NOUNS.len()) {
        0 => format!("{a}_{b}"),
        round => format!("{a}_{b}{round}"),
    }
}
