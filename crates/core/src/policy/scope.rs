//! Provenance and scope labels. Every container, network, volume and swarm service, secret
//! and config wharf creates carries [`PROVENANCE`]. With a scope configured, wharf sees and
//! touches only the objects of those kinds carrying the scope label (and gives it to what it
//! creates); the guard enforces this, whatever a plugin asks.

use std::collections::HashMap;
use std::fmt;

/// The label wharf puts on what it creates.
pub const PROVENANCE: (&str, &str) = ("org.wharf.created-by", "wharf");

/// `key` or `key=value`: objects carrying that label are in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    key: String,
    value: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid scope label `{0}`: write `key` or `key=value`, with a non-empty key")]
pub struct InvalidScope(String);

impl std::str::FromStr for Scope {
    type Err = InvalidScope;

    fn from_str(s: &str) -> Result<Scope, InvalidScope> {
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (s, None),
        };
        if key.trim().is_empty() || key != key.trim() {
            return Err(InvalidScope(s.to_owned()));
        }
        Ok(Scope {
            key: key.to_owned(),
            value,
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

impl Scope {
    pub fn matches(&self, labels: &HashMap<String, String>) -> bool {
        match (&self.value, labels.get(&self.key)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(want), Some(have)) => want == have,
        }
    }

    /// The label a created object gets to be in scope.
    pub fn label(&self) -> (String, String) {
        (self.key.clone(), self.value.clone().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_match() {
        let team: Scope = "team=web".parse().unwrap();
        let any: Scope = "team".parse().unwrap();
        let labels = |k: &str, v: &str| HashMap::from([(k.to_owned(), v.to_owned())]);
        assert!(team.matches(&labels("team", "web")));
        assert!(!team.matches(&labels("team", "db")));
        assert!(any.matches(&labels("team", "db")));
        assert!(!any.matches(&labels("owner", "web")));
        assert_eq!(team.to_string(), "team=web");
        assert!("=web".parse::<Scope>().is_err());
        assert!(" team".parse::<Scope>().is_err());
    }
}
