//! The engines one wharf manages: named, each with its own endpoint and read-only switch,
//! one of them the default for tools called without an `engine` argument.

use super::Engine;
use super::endpoint::{Endpoint, EndpointError, Env, TlsFiles, cli_config_dir};
use crate::engine::{DockerEngine, Engines};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The name of the engine wharf uses when `wharf.toml` names none.
pub const DEFAULT_ENGINE: &str = "default";

/// `[engines.NAME]` in wharf.toml. Give `host` or `context`, or neither for the engine the
/// docker CLI would use.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `unix:///path/docker.sock` or `tcp://host:port`.
    pub host: Option<String>,
    /// A docker CLI context (`docker context ls`), read from the CLI's config directory.
    pub context: Option<String>,
    /// A directory holding `ca.pem`, `cert.pem` and `key.pem`: TLS for a `tcp://` host.
    pub cert_path: Option<PathBuf>,
    /// Check the engine's certificate against `ca.pem` (default true when TLS is on).
    pub tls_verify: Option<bool>,
    /// Refuse every request that would change this engine's state.
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnginesError {
    #[error("engine `{name}`: {source}")]
    Endpoint {
        name: String,
        #[source]
        source: EndpointError,
    },
    #[error("engine `{0}`: give `host` or `context`, not both")]
    HostAndContext(String),
    #[error(
        "engine `{0}`: cert_path and tls_verify go with `host`; a context carries its own TLS \
         settings"
    )]
    TlsWithoutHost(String),
    #[error("engine name `{0}` may only hold letters, digits, `-`, `_` and `.`")]
    BadName(String),
    #[error("default_engine is `{name}`, but [engines] only has {known}")]
    UnknownDefault { name: String, known: String },
    #[error(
        "several engines are configured ({known}): say which is the default with default_engine"
    )]
    NoDefault { known: String },
}

impl Engines {
    /// The engines of `[engines]` (none: the docker CLI's engine, named `default`), with
    /// `default_engine` as the default. Nothing is contacted here.
    pub fn from_config(
        engines: &BTreeMap<String, EngineConfig>,
        default: Option<&str>,
        read_only: bool,
        env: &impl Env,
    ) -> Result<Self, EnginesError> {
        if engines.is_empty() {
            let endpoint =
                Endpoint::from_docker_cli(env).map_err(|source| EnginesError::Endpoint {
                    name: DEFAULT_ENGINE.into(),
                    source,
                })?;
            let engine = Engine::new(default.unwrap_or(DEFAULT_ENGINE), endpoint);
            return Ok(Engines::single(engine.read_only(read_only)));
        }
        let known = engines
            .keys()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let default =
            match default {
                Some(d) => engines.keys().position(|k| k == d).ok_or_else(|| {
                    EnginesError::UnknownDefault {
                        name: d.to_owned(),
                        known: known.clone(),
                    }
                })?,
                None if engines.len() == 1 => 0,
                None => return Err(EnginesError::NoDefault { known }),
            };
        let mut list = Vec::new();
        for (name, config) in engines {
            let endpoint = endpoint(name, config, env)?;
            let engine =
                Engine::new(name.clone(), endpoint).read_only(read_only || config.read_only);
            list.push(Arc::new(engine) as Arc<dyn DockerEngine>);
        }
        Ok(Engines::new(list, default))
    }
}

fn endpoint(name: &str, config: &EngineConfig, env: &impl Env) -> Result<Endpoint, EnginesError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(EnginesError::BadName(name.to_owned()));
    }
    let wrap = |source| EnginesError::Endpoint {
        name: name.to_owned(),
        source,
    };
    let tls_settings = config.cert_path.is_some() || config.tls_verify.is_some();
    match (&config.host, &config.context) {
        (Some(_), Some(_)) => Err(EnginesError::HostAndContext(name.to_owned())),
        (Some(host), None) => {
            let tls = match (&config.cert_path, config.tls_verify) {
                (Some(dir), verify) => Some(TlsFiles::in_dir(dir, verify.unwrap_or(true))),
                // TLS asked for without a directory: the CLI's default one.
                (None, Some(verify)) => Some(TlsFiles::in_dir(
                    &cli_config_dir(env).unwrap_or_default(),
                    verify,
                )),
                (None, None) => None,
            };
            Endpoint::checked(host.clone(), tls, "wharf.toml".into()).map_err(wrap)
        }
        (None, _) if tls_settings => Err(EnginesError::TlsWithoutHost(name.to_owned())),
        (None, Some(context)) => {
            let dir = cli_config_dir(env).unwrap_or_default();
            Endpoint::from_context(&dir, context).map_err(wrap)
        }
        (None, None) => Endpoint::from_docker_cli(env).map_err(wrap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn engines(toml: &str) -> BTreeMap<String, EngineConfig> {
        #[derive(Deserialize)]
        struct T {
            engines: BTreeMap<String, EngineConfig>,
        }
        toml::from_str::<T>(toml).unwrap().engines
    }

    #[test]
    fn no_table_is_one_default_engine_from_the_environment() {
        let env = |k: &str| (k == "DOCKER_HOST").then(|| "tcp://10.9.9.9:2375".to_owned());
        let e = Engines::from_config(&BTreeMap::new(), None, false, &env).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e.default_engine().name(), DEFAULT_ENGINE);
        let described = e.default_engine().describe();
        assert!(described.starts_with("tcp://10.9.9.9:2375"), "{described}");
    }

    #[test]
    fn named_engines_with_a_default_and_a_read_only_one() {
        let config = engines(
            r#"
            [engines.local]
            host = "unix:///var/run/docker.sock"
            [engines.prod]
            host = "tcp://10.0.0.1"
            cert_path = "/nonexistent"
            tls_verify = false
            read_only = true
            "#,
        );
        let e = Engines::from_config(&config, Some("local"), false, &no_env).unwrap();
        assert_eq!(e.default_engine().name(), "local");
        let prod = e.get("prod").unwrap();
        assert!(prod.is_read_only());
        assert!(
            prod.describe().starts_with("tcp://10.0.0.1:2376"),
            "{}",
            prod.describe()
        );
        assert!(!e.get("local").unwrap().is_read_only());
        // The global read-only mode makes every engine read-only.
        let e = Engines::from_config(&config, Some("local"), true, &no_env).unwrap();
        assert!(e.iter().all(|e| e.is_read_only()));
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let two = engines(
            r#"
            [engines.a]
            host = "unix:///a.sock"
            [engines.b]
            host = "unix:///b.sock"
            "#,
        );
        let err = |c: &BTreeMap<String, EngineConfig>, d: Option<&str>| {
            Engines::from_config(c, d, false, &no_env).err().unwrap()
        };
        assert!(matches!(err(&two, None), EnginesError::NoDefault { .. }));
        assert_eq!(
            err(&two, Some("c")).to_string(),
            "default_engine is `c`, but [engines] only has `a`, `b`"
        );
        let both = engines("[engines.x]\nhost = \"unix:///x\"\ncontext = \"y\"");
        assert_eq!(err(&both, None), EnginesError::HostAndContext("x".into()));
        let tls = engines("[engines.x]\ncontext = \"y\"\ncert_path = \"/c\"");
        assert_eq!(err(&tls, None), EnginesError::TlsWithoutHost("x".into()));
        let bad = engines("[engines.\"a b\"]\nhost = \"unix:///x\"");
        assert_eq!(err(&bad, None), EnginesError::BadName("a b".into()));
        let ssh = engines("[engines.x]\nhost = \"ssh://me@box\"");
        assert!(
            err(&ssh, None)
                .to_string()
                .starts_with("engine `x`: unsupported")
        );
    }
}
