//! The engines one wharf manages: named, each with its own endpoint and read-only switch,
//! one of them the default for tools called without an `engine` argument.

use super::Engine;
use super::endpoint::{Endpoint, EndpointError, Env, TlsFiles, cli_config_dir};
use std::collections::BTreeMap;
use std::sync::Arc;
use wharf_core::config::EngineConfig;
use wharf_core::engine::{DEFAULT_ENGINE, DockerEngine, Engines};

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

/// The engines of `[engines]` (none: the docker CLI's engine, named `default`), with
/// `default_engine` as the default. Nothing is contacted here.
pub fn engines(
    engines: &BTreeMap<String, EngineConfig>,
    default: Option<&str>,
    read_only: bool,
    env: &impl Env,
) -> Result<Engines, EnginesError> {
    if engines.is_empty() {
        let endpoint = Endpoint::from_docker_cli(env).map_err(|source| EnginesError::Endpoint {
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
    let default = match default {
        Some(d) => {
            engines
                .keys()
                .position(|k| k == d)
                .ok_or_else(|| EnginesError::UnknownDefault {
                    name: d.to_owned(),
                    known: known.clone(),
                })?
        }
        None if engines.len() == 1 => 0,
        None => return Err(EnginesError::NoDefault { known }),
    };
    let mut list = Vec::new();
    for (name, config) in engines {
        let endpoint = endpoint(name, config, env)?;
        let engine = Engine::new(name.clone(), endpoint).read_only(read_only || config.read_only);
        list.push(Arc::new(engine) as Arc<dyn DockerEngine>);
    }
    Ok(Engines::new(list, default))
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

    fn table(toml: &str) -> BTreeMap<String, EngineConfig> {
        #[derive(serde::Deserialize)]
        struct T {
            engines: BTreeMap<String, EngineConfig>,
        }
        toml::from_str::<T>(toml).unwrap().engines
    }

    #[test]
    fn no_table_is_one_default_engine_from_the_environment() {
        let env = |k: &str| (k == "DOCKER_HOST").then(|| "tcp://10.9.9.9:2375".to_owned());
        let e = engines(&BTreeMap::new(), None, false, &env).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e.default_engine().name(), DEFAULT_ENGINE);
        let described = e.default_engine().describe();
        assert!(described.starts_with("tcp://10.9.9.9:2375"), "{described}");
    }

    #[test]
    fn named_engines_with_a_default_and_a_read_only_one() {
        let config = table(
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
        let e = engines(&config, Some("local"), false, &no_env).unwrap();
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
        let e = engines(&config, Some("local"), true, &no_env).unwrap();
        assert!(e.iter().all(|e| e.is_read_only()));
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let two = table(
            r#"
            [engines.a]
            host = "unix:///a.sock"
            [engines.b]
            host = "unix:///b.sock"
            "#,
        );
        let err = |c: &BTreeMap<String, EngineConfig>, d: Option<&str>| {
            engines(c, d, false, &no_env).err().unwrap()
        };
        assert!(matches!(err(&two, None), EnginesError::NoDefault { .. }));
        assert_eq!(
            err(&two, Some("c")).to_string(),
            "default_engine is `c`, but [engines] only has `a`, `b`"
        );
        let both = table("[engines.x]\nhost = \"unix:///x\"\ncontext = \"y\"");
        assert_eq!(err(&both, None), EnginesError::HostAndContext("x".into()));
        let tls = table("[engines.x]\ncontext = \"y\"\ncert_path = \"/c\"");
        assert_eq!(err(&tls, None), EnginesError::TlsWithoutHost("x".into()));
        let bad = table("[engines.\"a b\"]\nhost = \"unix:///x\"");
        assert_eq!(err(&bad, None), EnginesError::BadName("a b".into()));
        let ssh = table("[engines.x]\nhost = \"ssh://me:pw@box\"");
        assert!(err(&ssh, None).to_string().contains("password"));
    }
}
