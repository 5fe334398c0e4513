//! What a mock engine starts with, from a builder or a fixture file (JSON or TOML), both
//! the same types: `MockDocker::builder().image(..).container(..).build()` or
//! `MockDocker::from_fixture_file("tests/fixture.toml")`.

use super::MockDocker;
use super::model::{
    ExecReply, ExecRule, Extras, Fs, HistoryStep, Image, ImageConfig, Model, NetworkSpec,
    RemoteImage, Stream, Usage,
};
use bollard_stubs::models::{ContainerCreateBody, HostConfig, PortBinding};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read fixture {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("fixture {path} is not valid {format}: {error}")]
    Parse {
        path: String,
        format: &'static str,
        error: String,
    },
    #[error("seeding {what}: {error}")]
    Model { what: String, error: DockerError },
}

/// Everything a mock engine starts with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fixture {
    pub images: Vec<ImageSeed>,
    /// Images the mock registry holds: what `pull` finds.
    pub registry: Vec<ImageSeed>,
    pub volumes: Vec<VolumeSeed>,
    pub networks: Vec<NetworkSeed>,
    pub containers: Vec<ContainerSeed>,
    pub exec: Vec<ExecSeed>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageSeed {
    /// `repo:tag`.
    pub reference: String,
    /// More `repo:tag` references of the same image.
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    /// `80/tcp`.
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    /// `["CMD-SHELL", "true"]`.
    pub healthcheck: Option<Vec<String>>,
    pub size: u64,
    /// Files in the image: path to text.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SeedState {
    Created,
    #[default]
    Running,
    Paused,
    Exited,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContainerSeed {
    pub name: String,
    pub image: String,
    pub state: SeedState,
    /// The exit code of an exited container.
    pub exit_code: i64,
    /// The exit code when it is stopped (SIGTERM); a kill (SIGKILL) always gives 137.
    pub stop_exit_code: i64,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    /// Networks beyond the default bridge (the first replaces it).
    pub networks: Vec<String>,
    /// `name:/path` or `/host:/path[:ro]`.
    pub volumes: Vec<String>,
    /// `8080:80/tcp` or `80`.
    pub ports: Vec<String>,
    /// The healthcheck's status (healthy, unhealthy, starting); gives it a healthcheck.
    pub health: Option<String>,
    /// Log lines already written.
    pub logs: Vec<LogSeed>,
    pub files: BTreeMap<String, String>,
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<u64>,
    /// `docker top` rows (UID, PID, PPID, C, STIME, TTY, TIME, CMD).
    pub processes: Option<Vec<Vec<String>>>,
    pub auto_remove: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSeed {
    pub stderr: bool,
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSeed {
    pub name: String,
    pub driver: Option<String>,
    pub subnet: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VolumeSeed {
    pub name: String,
    pub driver: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Bytes it holds, as `df` reports them.
    pub size: u64,
}

/// A scripted exec answer: a command (prefix) in a container (any, if none).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecSeed {
    pub container: Option<String>,
    pub cmd: Vec<String>,
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl ImageSeed {
    pub fn new(reference: &str) -> Self {
        ImageSeed {
            reference: reference.to_owned(),
            size: 4 << 20,
            ..Default::default()
        }
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    pub fn tag(mut self, reference: &str) -> Self {
        self.tags.push(reference.into());
        self
    }
    pub fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = cmd.iter().map(|s| (*s).to_owned()).collect();
        self
    }
    pub fn env(mut self, entry: &str) -> Self {
        self.env.push(entry.into());
        self
    }
    pub fn healthcheck(mut self, test: &[&str]) -> Self {
        self.healthcheck = Some(test.iter().map(|s| (*s).to_owned()).collect());
        self
    }
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = bytes;
        self
    }

    fn image(&self) -> Image {
        let mut files = Fs::default();
        for (path, text) in &self.files {
            files.write(path, text.as_bytes().to_vec(), 0o644);
        }
        let config = ImageConfig {
            cmd: self.cmd.clone(),
            entrypoint: self.entrypoint.clone(),
            env: self.env.clone(),
            labels: self.labels.clone(),
            working_dir: self.working_dir.clone(),
            user: self.user.clone(),
            exposed_ports: self.exposed_ports.clone(),
            volumes: self.volumes.clone(),
            healthcheck: self.healthcheck.clone(),
            architecture: "amd64".into(),
            os: "linux".into(),
        };
        let history = vec![HistoryStep {
            created: SystemTime::now(),
            created_by: format!("wharf mock image {}", self.reference),
            size: self.size,
            comment: String::new(),
        }];
        Image::new(&self.reference, config, None, self.size, files, history)
    }
}

impl ContainerSeed {
    pub fn new(name: &str, image: &str) -> Self {
        ContainerSeed {
            name: name.into(),
            image: image.into(),
            ..Default::default()
        }
    }
    pub fn created(mut self) -> Self {
        self.state = SeedState::Created;
        self
    }
    pub fn paused(mut self) -> Self {
        self.state = SeedState::Paused;
        self
    }
    pub fn exited(mut self, code: i64) -> Self {
        self.state = SeedState::Exited;
        self.exit_code = code;
        self
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    pub fn env(mut self, entry: &str) -> Self {
        self.env.push(entry.into());
        self
    }
    pub fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = Some(cmd.iter().map(|s| (*s).to_owned()).collect());
        self
    }
    pub fn network(mut self, name: &str) -> Self {
        self.networks.push(name.into());
        self
    }
    pub fn volume(mut self, spec: &str) -> Self {
        self.volumes.push(spec.into());
        self
    }
    pub fn port(mut self, spec: &str) -> Self {
        self.ports.push(spec.into());
        self
    }
    pub fn health(mut self, status: &str) -> Self {
        self.health = Some(status.into());
        self
    }
    pub fn log(mut self, text: &str) -> Self {
        self.logs.push(LogSeed {
            stderr: false,
            text: text.into(),
        });
        self
    }
    pub fn log_stderr(mut self, text: &str) -> Self {
        self.logs.push(LogSeed {
            stderr: true,
            text: text.into(),
        });
        self
    }
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
    pub fn usage(mut self, cpu_percent: f64, memory_bytes: u64) -> Self {
        self.cpu_percent = Some(cpu_percent);
        self.memory_bytes = Some(memory_bytes);
        self
    }
    pub fn stop_exit_code(mut self, code: i64) -> Self {
        self.stop_exit_code = code;
        self
    }

    /// The create body `docker run` would send for this seed.
    fn body(&self) -> Result<ContainerCreateBody, DockerError> {
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        let mut exposed = Vec::new();
        for p in &self.ports {
            let (spec, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let (public, private) = match spec.rsplit_once(':') {
                Some((public, private)) => (Some(public.to_owned()), private),
                None => (None, spec),
            };
            let key = format!("{private}/{proto}");
            exposed.push(key.clone());
            if let Some(public) = public {
                port_bindings
                    .entry(key)
                    .or_default()
                    .get_or_insert_with(Vec::new)
                    .push(PortBinding {
                        host_ip: None,
                        host_port: Some(public),
                    });
            }
        }
        let healthcheck = self
            .health
            .as_ref()
            .map(|_| bollard_stubs::models::HealthConfig {
                test: Some(vec!["CMD-SHELL".into(), "true".into()]),
                ..Default::default()
            });
        let mut networks = self.networks.iter();
        let network_mode = networks.next().cloned();
        let endpoints: HashMap<String, bollard_stubs::models::EndpointSettings> =
            networks.map(|n| (n.clone(), Default::default())).collect();
        Ok(ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: self.cmd.clone(),
            env: (!self.env.is_empty()).then(|| self.env.clone()),
            labels: (!self.labels.is_empty()).then(|| {
                self.labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            healthcheck,
            host_config: Some(HostConfig {
                binds: (!self.volumes.is_empty()).then(|| self.volumes.clone()),
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                network_mode,
                auto_remove: self.auto_remove.then_some(true),
                ..Default::default()
            }),
            networking_config: (!endpoints.is_empty()).then_some(
                bollard_stubs::models::NetworkingConfig {
                    endpoints_config: Some(endpoints),
                },
            ),
            ..Default::default()
        })
    }
}

impl NetworkSeed {
    pub fn new(name: &str) -> Self {
        NetworkSeed {
            name: name.into(),
            ..Default::default()
        }
    }
    pub fn subnet(mut self, cidr: &str) -> Self {
        self.subnet = Some(cidr.into());
        self
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    pub fn internal(mut self) -> Self {
        self.internal = true;
        self
    }
}

impl VolumeSeed {
    pub fn new(name: &str) -> Self {
        VolumeSeed {
            name: name.into(),
            ..Default::default()
        }
    }
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = bytes;
        self
    }
}

impl ExecSeed {
    /// Answer `cmd` (and longer commands starting with it) in any container.
    pub fn new(cmd: &[&str]) -> Self {
        ExecSeed {
            cmd: cmd.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }
    pub fn in_container(mut self, name: &str) -> Self {
        self.container = Some(name.into());
        self
    }
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = text.into();
        self
    }
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = text.into();
        self
    }
    pub fn exit_code(mut self, code: i64) -> Self {
        self.exit_code = code;
        self
    }
}

/// Seeds a [`MockDocker`].
#[derive(Debug, Clone, Default)]
pub struct MockBuilder {
    fixture: Fixture,
}

impl MockBuilder {
    pub fn image(mut self, seed: ImageSeed) -> Self {
        self.fixture.images.push(seed);
        self
    }
    /// An image the mock registry holds: `pull` finds it.
    pub fn registry_image(mut self, seed: ImageSeed) -> Self {
        self.fixture.registry.push(seed);
        self
    }
    pub fn container(mut self, seed: ContainerSeed) -> Self {
        self.fixture.containers.push(seed);
        self
    }
    pub fn network(mut self, seed: NetworkSeed) -> Self {
        self.fixture.networks.push(seed);
        self
    }
    pub fn volume(mut self, seed: VolumeSeed) -> Self {
        self.fixture.volumes.push(seed);
        self
    }
    pub fn exec(mut self, seed: ExecSeed) -> Self {
        self.fixture.exec.push(seed);
        self
    }
    /// Everything of `fixture` too.
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        let f = &mut self.fixture;
        f.images.extend(fixture.images);
        f.registry.extend(fixture.registry);
        f.volumes.extend(fixture.volumes);
        f.networks.extend(fixture.networks);
        f.containers.extend(fixture.containers);
        f.exec.extend(fixture.exec);
        self
    }

    /// The engine, or the first seed it cannot make (a container of an unknown image, a
    /// name twice...), with the engine's reason.
    pub fn build(self) -> Result<MockDocker, SeedError> {
        let mut m = Model::new();
        let f = self.fixture;
        let fail = |what: String| move |error| SeedError::Model { what, error };
        for seed in &f.images {
            let mut tags = vec![seed.reference.clone()];
            tags.extend(seed.tags.iter().cloned());
            m.add_image(seed.image(), &tags);
        }
        for seed in &f.registry {
            let mut image = seed.image();
            let digest = format!(
                "{}@sha256:{}",
                super::model::repository(&super::model::normalize(&seed.reference)),
                image.id.trim_start_matches("sha256:")
            );
            image.digests = vec![digest];
            m.remote.push(RemoteImage {
                reference: super::model::normalize(&seed.reference),
                image,
            });
        }
        for seed in &f.volumes {
            let i = m.create_volume(
                &seed.name,
                seed.driver.as_deref().unwrap_or("local"),
                seed.labels.clone(),
                BTreeMap::new(),
            );
            m.volumes[i].size = seed.size;
        }
        for seed in &f.networks {
            m.create_network(NetworkSpec {
                name: seed.name.clone(),
                driver: seed.driver.clone(),
                internal: seed.internal,
                attachable: seed.attachable,
                subnets: seed.subnet.clone().into_iter().collect(),
                gateway: None,
                labels: seed.labels.clone(),
                options: BTreeMap::new(),
            })
            .map_err(fail(format!("network {}", seed.name)))?;
        }
        for seed in &f.containers {
            let what = format!("container {}", seed.name);
            let body = seed.body().map_err(fail(what.clone()))?;
            let usage = Usage {
                cpu_percent: seed.cpu_percent.unwrap_or(Usage::default().cpu_percent),
                memory_bytes: seed.memory_bytes.unwrap_or(Usage::default().memory_bytes),
                ..Usage::default()
            };
            let extras = Extras {
                stop_exit_code: seed.stop_exit_code,
                health: seed.health.clone(),
                usage: Some(usage),
                processes: seed.processes.clone(),
            };
            let id = m
                .create_container(Some(&seed.name), body, extras)
                .map_err(fail(what.clone()))?;
            for (path, text) in &seed.files {
                let i = m.container_index(&id).map_err(fail(what.clone()))?;
                m.containers[i]
                    .files
                    .write(path, text.as_bytes().to_vec(), 0o644);
            }
            for log in &seed.logs {
                let stream = if log.stderr {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                };
                let mut text = log.text.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                m.append_log(&id, stream, text.as_bytes())
                    .map_err(fail(what.clone()))?;
            }
            match seed.state {
                SeedState::Created => {}
                SeedState::Running => m.start_container(&id).map_err(fail(what.clone()))?,
                SeedState::Paused => {
                    m.start_container(&id).map_err(fail(what.clone()))?;
                    m.pause_container(&id).map_err(fail(what.clone()))?;
                }
                SeedState::Exited => {
                    m.start_container(&id).map_err(fail(what.clone()))?;
                    m.exit_container(&id, seed.exit_code)
                        .map_err(fail(what.clone()))?;
                }
            }
        }
        m.exec_rules = f
            .exec
            .iter()
            .map(|e| ExecRule {
                container: e.container.clone(),
                cmd: e.cmd.clone(),
                reply: ExecReply {
                    exit_code: e.exit_code,
                    stdout: e.stdout.clone().into_bytes(),
                    stderr: e.stderr.clone().into_bytes(),
                },
            })
            .collect();
        // The seed is the engine's past: the event log starts now.
        m.events.clear();
        Ok(MockDocker::from_model(m))
    }
}

impl MockDocker {
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// An engine seeded from a fixture file: TOML if it ends in `.toml`, JSON otherwise.
    pub fn from_fixture_file(path: impl AsRef<Path>) -> Result<MockDocker, SeedError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| SeedError::Read {
            path: path.display().to_string(),
            error,
        })?;
        let toml = path.extension().is_some_and(|e| e == "toml");
        let fixture =
            Self::parse_fixture(&text, toml).map_err(|(format, error)| SeedError::Parse {
                path: path.display().to_string(),
                format,
                error,
            })?;
        MockDocker::builder().fixture(fixture).build()
    }

    fn parse_fixture(text: &str, toml: bool) -> Result<Fixture, (&'static str, String)> {
        if toml {
            toml::from_str(text).map_err(|e| ("TOML", e.to_string()))
        } else {
            serde_json::from_str(text).map_err(|e| ("JSON", e.to_string()))
        }
    }
}
