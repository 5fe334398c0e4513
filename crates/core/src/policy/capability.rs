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

/// Everything wharf knows about one capability, in one place: the config, the loader's
/// reading of imports and `wharf tools --verbose` all take it from here.
#[derive(Debug)]
pub struct Descriptor {
    pub capability: Capability,
    /// The name used in config, and the last part of its interface.
    pub name: &'static str,
    /// The WIT interface it grants, without its version.
    pub interface: &'static str,
    /// What granting it allows, for `wharf tools --verbose` and the docs.
    pub describe: &'static str,
    /// Whether it reaches the Docker engine: such a plugin's calls are routed to an engine.
    pub docker: bool,
}

/// The major version of wharf's WIT packages this host speaks: any `0.1.x` links, since the
/// component linker accepts semver-compatible imports.
pub const WIT_VERSION: &str = "0.1.";

const fn docker(
    capability: Capability,
    name: &'static str,
    interface: &'static str,
    describe: &'static str,
) -> Descriptor {
    Descriptor {
        capability,
        name,
        interface,
        describe,
        docker: true,
    }
}

/// In the order of [`Capability`]'s variants (a test holds it).
const TABLE: [Descriptor; 15] = [
    docker(
        Capability::ContainersRead,
        "containers-read",
        "wharf:docker/containers-read",
        "list and inspect containers, read their logs, stats and processes, wait for them",
    ),
    docker(
        Capability::ContainersWrite,
        "containers-write",
        "wharf:docker/containers-write",
        "create, start, stop, kill, remove and rename containers",
    ),
    docker(
        Capability::Exec,
        "exec",
        "wharf:docker/exec",
        "run commands inside containers",
    ),
    docker(
        Capability::Files,
        "files",
        "wharf:docker/files",
        "copy files between containers and the allowed host roots",
    ),
    docker(
        Capability::Networks,
        "networks",
        "wharf:docker/networks",
        "list, create, remove, connect and prune networks",
    ),
    docker(
        Capability::Volumes,
        "volumes",
        "wharf:docker/volumes",
        "list, create, remove and prune volumes (and their data)",
    ),
    docker(
        Capability::ImagesRead,
        "images-read",
        "wharf:docker/images-read",
        "list and inspect local images and their history",
    ),
    docker(
        Capability::ImagesWrite,
        "images-write",
        "wharf:docker/images-write",
        "tag, remove and prune local images; save and load them as tar files under the \
         allowed roots",
    ),
    docker(
        Capability::Registry,
        "registry",
        "wharf:docker/registry",
        "pull and push images, with the registry credentials the host holds",
    ),
    docker(
        Capability::ImagesBuild,
        "images-build",
        "wharf:docker/images-build",
        "build images from a context under the allowed roots (runs the Dockerfile's commands)",
    ),
    docker(
        Capability::System,
        "system",
        "wharf:docker/system",
        "read the engine's information, version, disk usage and events",
    ),
    docker(
        Capability::SwarmRead,
        "swarm-read",
        "wharf:docker/swarm-read",
        "read the swarm: nodes, services, tasks, service logs, and secrets' and configs' \
         metadata (never a secret's value)",
    ),
    docker(
        Capability::SwarmWrite,
        "swarm-write",
        "wharf:docker/swarm-write",
        "change the swarm: init and leave it, read join tokens, update nodes, create, update \
         and remove services, secrets and configs",
    ),
    Descriptor {
        capability: Capability::Http,
        name: "http",
        interface: "wharf:http/outgoing",
        describe: "send HTTP requests to the hosts in the plugin's http_hosts, with the \
                   registry logins the host holds (never shown to the plugin)",
        docker: false,
    },
    Descriptor {
        capability: Capability::ReadFiles,
        name: "read-files",
        interface: "wharf:files/read",
        describe: "read text files under the allowed roots (compose files, env files)",
        docker: false,
    },
];

impl Capability {
    pub const ALL: [Capability; 15] = {
        let mut all = [Capability::ContainersRead; 15];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].capability;
            i += 1;
        }
        all
    };

    pub fn descriptor(self) -> &'static Descriptor {
        &TABLE[self as usize]
    }

    /// Whether it reaches the Docker engine (all but `http` and `read-files`).
    pub fn is_docker(self) -> bool {
        self.descriptor().docker
    }

    /// The name used in config.
    pub fn name(self) -> &'static str {
        self.descriptor().name
    }

    /// What granting it allows.
    pub fn describe(self) -> &'static str {
        self.descriptor().describe
    }

    /// The capability whose interface is `path` (an import name without its version).
    fn by_interface(path: &str) -> Option<Capability> {
        TABLE
            .iter()
            .find(|d| d.interface == path)
            .map(|d| d.capability)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability `{0}` (known: {known})", known = known_names())]
pub struct UnknownCapability(pub String);

fn known_names() -> String {
    TABLE.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
}

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TABLE
            .iter()
            .find(|d| d.name == s)
            .map(|d| d.capability)
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
    /// Classify an import name like `wharf:docker/exec@0.1.0`. wharf speaks
    /// [`WIT_VERSION`] of its packages; any other version is unknown.
    pub fn classify(name: &str) -> Import {
        let (path, version) = name.split_once('@').unwrap_or((name, ""));
        if path.starts_with("wasi:") {
            return Import::Wasi;
        }
        if !version.starts_with(WIT_VERSION) {
            return Import::Unknown;
        }
        match path {
            "wharf:plugin/types" | "wharf:plugin/context" => Import::Contract,
            "wharf:docker/types" => Import::Types,
            path => Capability::by_interface(path).map_or(Import::Unknown, Import::Granted),
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
    fn the_table_is_in_variant_order_and_names_each_interface_once() {
        for (i, d) in TABLE.iter().enumerate() {
            assert_eq!(d.capability as usize, i, "{} is out of order", d.name);
            assert!(d.interface.ends_with(d.name) || !d.docker, "{}", d.name);
        }
        let mut interfaces: Vec<_> = TABLE.iter().map(|d| d.interface).collect();
        interfaces.sort();
        interfaces.dedup();
        assert_eq!(interfaces.len(), TABLE.len());
        assert_eq!(
            Import::classify("wharf:http/outgoing@0.1.0"),
            Import::Granted(Capability::Http)
        );
        assert_eq!(
            Import::classify("wharf:files/read@0.1.2"),
            Import::Granted(Capability::ReadFiles)
        );
        // Only through their own packages.
        assert_eq!(Import::classify("wharf:docker/http@0.1.0"), Import::Unknown);
        let e = "bogus".parse::<Capability>().unwrap_err().to_string();
        assert!(e.ends_with("swarm-write, http, read-files)"), "{e}");
    }

    #[test]
    fn capabilities_round_trip_their_names() {
        for c in Capability::ALL {
            assert_eq!(c.name().parse::<Capability>().unwrap(), c);
        }
        assert!("docker-socket".parse::<Capability>().is_err());
    }
}
