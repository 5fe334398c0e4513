use std::fmt;
use std::str::FromStr;

/// One grantable capability: a `wharf:docker` interface, or `wharf:http/outgoing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    ContainersRead,
    ContainersWrite,
    Exec,
    Files,
    Networks,
    Volumes,
    ImagesRead,
    ImagesWrite,
    Registry,
    ImagesBuild,
    System,
    /// Reading a swarm: nodes, services, tasks, service logs, secrets' and configs' metadata.
    SwarmRead,
    /// Changing a swarm: init and leave, join tokens, nodes, services, secrets, configs.
    SwarmWrite,
    /// Outgoing HTTP to the hosts granted in `http_hosts` (`wharf:http/outgoing`).
    Http,
    /// Reading host files under the allowed roots (`wharf:files/read`).
    ReadFiles,
}

impl Capability {
    pub const ALL: [Capability; 15] = [
        Capability::ContainersRead,
        Capability::ContainersWrite,
        Capability::Exec,
        Capability::Files,
        Capability::Networks,
        Capability::Volumes,
        Capability::ImagesRead,
        Capability::ImagesWrite,
        Capability::Registry,
        Capability::ImagesBuild,
        Capability::System,
        Capability::SwarmRead,
        Capability::SwarmWrite,
        Capability::Http,
        Capability::ReadFiles,
    ];

    /// Whether it reaches the Docker engine (all but `http` and `read-files`): such a
    /// plugin's calls are routed to an engine.
    pub fn is_docker(self) -> bool {
        !matches!(self, Capability::Http | Capability::ReadFiles)
    }

    /// The name used in config and in `wharf:docker/<name>` (`wharf:http/outgoing` for http).
    pub fn name(self) -> &'static str {
        match self {
            Capability::ContainersRead => "containers-read",
            Capability::ContainersWrite => "containers-write",
            Capability::Exec => "exec",
            Capability::Files => "files",
            Capability::Networks => "networks",
            Capability::Volumes => "volumes",
            Capability::ImagesRead => "images-read",
            Capability::ImagesWrite => "images-write",
            Capability::Registry => "registry",
            Capability::ImagesBuild => "images-build",
            Capability::System => "system",
            Capability::SwarmRead => "swarm-read",
            Capability::SwarmWrite => "swarm-write",
            Capability::Http => "http",
            Capability::ReadFiles => "read-files",
        }
    }

    /// What granting it allows, for `wharf tools --verbose` and the docs.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::ContainersRead => {
                "list and inspect containers, read their logs, stats and processes, wait for them"
            }
            Capability::ContainersWrite => {
                "create, start, stop, kill, remove and rename containers"
            }
            Capability::Exec => "run commands inside containers",
            Capability::Files => "copy files between containers and the allowed host roots",
            Capability::Networks => "list, create, remove, connect and prune networks",
            Capability::Volumes => "list, create, remove and prune volumes (and their data)",
            Capability::ImagesRead => "list and inspect local images and their history",
            Capability::ImagesWrite => {
                "tag, remove and prune local images; save and load them as tar files under \
                 the allowed roots"
            }
            Capability::Registry => {
                "pull and push images, with the registry credentials the host holds"
            }
            Capability::ImagesBuild => {
                "build images from a context under the allowed roots (runs the Dockerfile's \
                 commands)"
            }
            Capability::System => "read the engine's information, version, disk usage and events",
            Capability::SwarmRead => {
                "read the swarm: nodes, services, tasks, service logs, and secrets' and configs' \
                 metadata (never a secret's value)"
            }
            Capability::SwarmWrite => {
                "change the swarm: init and leave it, read join tokens, update nodes, create, \
                 update and remove services, secrets and configs"
            }
            Capability::ReadFiles => {
                "read text files under the allowed roots (compose files, env files)"
            }
            Capability::Http => {
                "send HTTP requests to the hosts in the plugin's http_hosts, with the registry \
                 logins the host holds (never shown to the plugin)"
            }
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown capability `{0}` (known: containers-read, containers-write, exec, files, networks, \
     volumes, images-read, images-write, registry, images-build, system, swarm-read, swarm-write, \
     http, read-files)"
)]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCapability(s.to_owned()))
    }
}

/// The capabilities a plugin may use, and what happens to the ones it imports beyond them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    pub allowed: std::collections::BTreeSet<Capability>,
    /// The config narrowed a plugin's grants on purpose: it still loads, and a call into an
    /// ungranted capability fails with `denied`. Otherwise an ungranted import refuses the
    /// plugin at load, so nobody runs a plugin without knowing what it asks for.
    pub narrowed: bool,
    /// Hosts (`host` or `host:port`) the `http` capability may reach.
    pub http_hosts: Vec<String>,
}

/// What a component import is, as far as policy goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    /// WASI, linked with an empty sandbox (no files, sockets or environment).
    Wasi,
    /// The plugin contract itself (`wharf:plugin/*`).
    Contract,
    /// Shared definitions (`wharf:docker/types`): only the `job` resource has functions,
    /// and only a granted capability hands out a job, so there is nothing to grant.
    Types,
    /// A capability, linked only if granted.
    Granted(Capability),
    /// Something wharf does not provide, or a major version it does not speak.
    Unknown,
}

impl Import {
    /// Classify an import name like `wharf:docker/exec@0.1.0`. wharf speaks 0.1.x of its
    /// packages; any other version is unknown.
    pub fn classify(name: &str) -> Import {
        let (path, version) = name.split_once('@').unwrap_or((name, ""));
        if path.starts_with("wasi:") {
            return Import::Wasi;
        }
        let compatible = version.starts_with("0.1.");
        match path.split_once('/') {
            Some(("wharf:plugin", "types" | "context")) if compatible => Import::Contract,
            Some(("wharf:docker", "types")) if compatible => Import::Types,
            Some(("wharf:docker", iface)) if compatible => match iface.parse() {
                Ok(Capability::Http | Capability::ReadFiles) | Err(_) => Import::Unknown,
                Ok(c) => Import::Granted(c),
            },
            Some(("wharf:http", "outgoing")) if compatible => Import::Granted(Capability::Http),
            Some(("wharf:files", "read")) if compatible => Import::Granted(Capability::ReadFiles),
            _ => Import::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_classify_by_package_and_version() {
        assert_eq!(Import::classify("wasi:cli/environment@0.2.6"), Import::Wasi);
        assert_eq!(
            Import::classify("wharf:plugin/context@0.1.0"),
            Import::Contract
        );
        assert_eq!(Import::classify("wharf:docker/types@0.1.0"), Import::Types);
        assert_eq!(
            Import::classify("wharf:docker/exec@0.1.3"),
            Import::Granted(Capability::Exec)
        );
        assert_eq!(Import::classify("wharf:docker/exec@0.2.0"), Import::Unknown);
        assert_eq!(
            Import::classify("wharf:docker/swarm-write@0.1.0"),
            Import::Granted(Capability::SwarmWrite)
        );
        assert_eq!(
            Import::classify("wharf:docker/swarm@0.1.0"),
            Import::Unknown
        );
        assert_eq!(Import::classify("evil:net/socket@1.0.0"), Import::Unknown);
    }

    #[test]
    fn capabilities_round_trip_their_names() {
        for c in Capability::ALL {
            assert_eq!(c.name().parse::<Capability>().unwrap(), c);
        }
        assert!("docker-socket".parse::<Capability>().is_err());
    }
}
