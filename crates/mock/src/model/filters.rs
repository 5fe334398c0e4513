//! Engine-side filters (`docker ps --filter`, `docker images --filter`...), with the engine's
//! refusal of keys it does not know. Values of one key are alternatives, except `label`,
//! whose values must all match.

use super::{Container, Image, Model, Network, Volume, invalid};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use wharf_core::engine::DockerError;

#[derive(Debug, Clone, Default)]
pub(crate) struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    /// `filters` checked against the keys `known` for the endpoint.
    pub fn new(
        filters: BTreeMap<String, Vec<String>>,
        known: &[&str],
    ) -> Result<Self, DockerError> {
        for key in filters.keys() {
            if !known.contains(&key.as_str()) {
                return Err(invalid(format!("Invalid filter '{key}'")));
            }
        }
        Ok(Filters(filters))
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.0.get(key).map(Vec::as_slice)
    }

    fn any(&self, key: &str, f: impl Fn(&str) -> bool) -> bool {
        self.get(key).is_none_or(|vs| vs.iter().any(|v| f(v)))
    }

    pub fn labels(&self, labels: &BTreeMap<String, String>) -> bool {
        let has = |l: &str| match l.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
            None => labels.contains_key(l),
        };
        self.get("label").is_none_or(|vs| vs.iter().all(|l| has(l)))
            && self
                .get("label!")
                .is_none_or(|vs| vs.iter().all(|l| !has(l)))
    }

    /// `until`: a Unix time or a duration ago (`24h`, `10m`), as prune takes it.
    pub fn until(&self, created: SystemTime) -> Result<bool, DockerError> {
        let Some(values) = self.get("until") else {
            return Ok(true);
        };
        for v in values {
            let limit = if let Ok(secs) = v.parse::<u64>() {
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
            } else {
                let ago = humantime::parse_duration(v).map_err(|_| {
                    invalid(format!(
                        "failed to parse value as time or duration: \"{v}\""
                    ))
                })?;
                SystemTime::now() - ago
            };
            if created >= limit {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, DockerError> {
        match self.get(key).and_then(|v| v.first()) {
            None => Ok(None),
            Some(v) if v == "true" || v == "1" => Ok(Some(true)),
            Some(v) if v == "false" || v == "0" => Ok(Some(false)),
            Some(v) => Err(invalid(format!("Invalid filter '{key}={v}'"))),
        }
    }

    /// The tags of a listed image the engine shows: with a reference filter, only those
    /// it matched.
    pub fn image_tags(&self, i: &Image) -> Vec<String> {
        i.tags
            .iter()
            .filter(|t| self.any("reference", |v| reference_matches(v, t)))
            .cloned()
            .collect()
    }
}

/// A `*`-and-`?` glob, as `reference=` filters take.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(&p, &t)
}

impl Model {
    pub fn container_matches(&self, f: &Filters, c: &Container) -> Result<bool, DockerError> {
        const STATES: [&str; 7] = [
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ];
        for s in f.get("status").unwrap_or_default() {
            if !STATES.contains(&s.as_str()) {
                return Err(invalid(format!("Invalid filter 'status={s}'")));
            }
        }
        let networks: Vec<&Network> = c
            .attachments
            .iter()
            .filter_map(|a| self.networks.iter().find(|n| n.id == a.network_id))
            .collect();
        Ok(f.any("id", |v| c.id.starts_with(v))
            && f.any("name", |v| c.name.contains(v.trim_start_matches('/')))
            && f.labels(&c.labels)
            && f.any("status", |v| v == c.state.as_str())
            && f.any("exited", |v| {
                c.state == super::RunState::Exited && v.parse::<i64>().ok() == Some(c.exit_code)
            })
            && f.any("ancestor", |v| {
                self.image(v).is_ok_and(|i| i.id == c.image_id) || c.image == v
            })
            && f.any("network", |v| {
                networks.iter().any(|n| n.name == v || n.id.starts_with(v))
            })
            && f.any("volume", |v| {
                c.mounts.iter().any(|m| match &m.source {
                    super::MountSource::Volume { name, .. } => name == v,
                    super::MountSource::Bind { source } => source == v,
                    super::MountSource::Tmpfs => false,
                } || m.destination == v)
            })
            && f.any("health", |v| c.health.as_deref().unwrap_or("none") == v))
    }

    pub fn image_matches(&self, f: &Filters, i: &Image) -> Result<bool, DockerError> {
        let dangling = f.bool("dangling")?;
        Ok(dangling.is_none_or(|d| d == i.tags.is_empty())
            && f.labels(&i.config.labels)
            && f.any("reference", |v| {
                i.tags.iter().any(|t| reference_matches(v, t))
            })
            && f.until(i.created)?)
    }

    pub fn network_matches(&self, f: &Filters, n: &Network) -> Result<bool, DockerError> {
        let dangling = f.bool("dangling")?;
        let used = self
            .containers
            .iter()
            .any(|c| c.attachments.iter().any(|a| a.network_id == n.id));
        Ok(f.any("id", |v| n.id.starts_with(v))
            && f.any("name", |v| n.name.contains(v))
            && f.any("driver", |v| n.driver == v)
            && f.any("scope", |v| n.scope == v)
            && f.any("type", |v| (v == "builtin") == n.predefined)
            && dangling.is_none_or(|d| d == (!used && !n.predefined))
            && f.labels(&n.labels)
            && f.until(n.created)?)
    }

    pub fn volume_matches(&self, f: &Filters, v: &Volume) -> Result<bool, DockerError> {
        let dangling = f.bool("dangling")?;
        Ok(f.any("name", |x| v.name.contains(x))
            && f.any("driver", |x| v.driver == x)
            && dangling.is_none_or(|d| d == self.volume_users(&v.name).is_empty())
            && f.labels(&v.labels))
    }
}

/// Whether reference filter `v` (a glob) matches tag `t`, whole or by its repository.
fn reference_matches(v: &str, t: &str) -> bool {
    glob(v, t) || glob(v, super::repository(t))
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_like_the_engine() {
        assert!(glob("busy*", "busybox:latest"));
        assert!(glob("*:1.?", "app:1.2"));
        assert!(!glob("app", "app:latest"));
    }
}
