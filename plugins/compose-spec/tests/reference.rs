//! Interpolation, override merging and normalisation against the reference: for each
//! project under tests/fixtures, `docker-compose config` (Debian's 1.29) on the same files
//! and `.env` must describe the same services, field by field.

use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use wharf_compose_spec::{ComposeFile, MountKind, Options, Project, load};

/// What both sides must agree on, in one comparable shape.
#[derive(Debug, PartialEq, Default)]
struct Facts {
    image: Option<String>,
    build: Option<(String, Option<String>, BTreeMap<String, String>)>,
    command: Option<Vec<String>>,
    environment: BTreeMap<String, Option<String>>,
    /// (host ip, published, target, protocol)
    ports: BTreeSet<(Option<String>, Option<String>, u16, String)>,
    /// (target, read only, what): `volume:NAME`, `bind:BASENAME`, `anonymous`.
    volumes: BTreeSet<(String, bool, String)>,
    networks: BTreeMap<String, BTreeSet<String>>,
    depends_on: BTreeMap<String, String>,
    restart: Option<String>,
    replicas: u32,
    healthcheck: Option<Vec<String>>,
}

fn basename(p: &str) -> String {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(p)
        .to_owned()
}

fn ours(p: &Project) -> BTreeMap<String, Facts> {
    p.services
        .iter()
        .map(|(name, s)| {
            let facts = Facts {
                image: s.image.clone(),
                build: s
                    .build
                    .as_ref()
                    .map(|b| (basename(&b.context), b.dockerfile.clone(), b.args.clone())),
                command: s.command.clone(),
                environment: s.environment.clone(),
                ports: s
                    .ports
                    .iter()
                    .map(|p| {
                        (
                            p.host_ip.clone(),
                            p.published.clone(),
                            p.target,
                            p.protocol.clone(),
                        )
                    })
                    .collect(),
                volumes: s
                    .volumes
                    .iter()
                    .map(|m| {
                        let what = match (m.kind, &m.source) {
                            (MountKind::Volume, Some(n)) => format!("volume:{n}"),
                            (MountKind::Bind, Some(p)) => format!("bind:{}", basename(p)),
                            _ => "anonymous".into(),
                        };
                        (m.target.clone(), m.read_only, what)
                    })
                    .collect(),
                networks: s
                    .networks
                    .iter()
                    .map(|(n, a)| (n.clone(), a.aliases.iter().cloned().collect()))
                    .collect(),
                depends_on: s
                    .depends_on
                    .iter()
                    .map(|(n, d)| {
                        (
                            n.clone(),
                            serde_json::to_value(d.condition)
                                .unwrap()
                                .as_str()
                                .unwrap()
                                .to_owned(),
                        )
                    })
                    .collect(),
                restart: s.restart.clone(),
                replicas: s.replicas,
                healthcheck: s.healthcheck.as_ref().map(|h| h.test.clone()),
            };
            (name.clone(), facts)
        })
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn words(v: &Value) -> Vec<String> {
    match v {
        Value::Sequence(s) => s.iter().map(text).collect(),
        // The reference keeps a string command as written; split it as a shell would.
        Value::String(s) => shell_words(s),
        other => panic!("not a command: {other:?}"),
    }
}

fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            (_, c) => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn reference(v: &Value) -> BTreeMap<String, Facts> {
    let mut out = BTreeMap::new();
    for (name, s) in v["services"].as_mapping().expect("services") {
        let mut f = Facts {
            replicas: 1,
            ..Default::default()
        };
        f.image = s.get("image").map(text);
        f.build = s.get("build").map(|b| {
            let args = b
                .get("args")
                .and_then(|a| a.as_mapping())
                .map(|m| m.iter().map(|(k, v)| (text(k), text(v))).collect())
                .unwrap_or_default();
            (
                basename(&text(&b["context"])),
                b.get("dockerfile").map(text),
                args,
            )
        });
        f.command = s.get("command").map(words);
        if let Some(env) = s.get("environment").and_then(|e| e.as_mapping()) {
            f.environment = env
                .iter()
                .map(|(k, v)| (text(k), if v.is_null() { None } else { Some(text(v)) }))
                .collect();
        }
        for p in s
            .get("ports")
            .and_then(|p| p.as_sequence())
            .into_iter()
            .flatten()
        {
            let port = match p {
                Value::Mapping(_) => (
                    p.get("host_ip").map(text),
                    p.get("published").map(text),
                    text(&p["target"]).parse().unwrap(),
                    p.get("protocol").map_or("tcp".into(), text),
                ),
                other => {
                    // The reference's canonical short form: ip:published:target/proto.
                    let s = text(other);
                    let (rest, proto) = s.rsplit_once('/').unwrap_or((&s, "tcp"));
                    let parts: Vec<&str> = rest.split(':').collect();
                    let (ip, published, target) = match parts.as_slice() {
                        [t] => (None, None, *t),
                        [p, t] => (None, Some(*p), *t),
                        [ip, p, t] => (Some(*ip), Some(*p), *t),
                        _ => panic!("unexpected port {s}"),
                    };
                    (
                        ip.map(str::to_owned),
                        published.map(str::to_owned),
                        target.parse().unwrap(),
                        proto.to_owned(),
                    )
                }
            };
            f.ports.insert(port);
        }
        for m in s
            .get("volumes")
            .and_then(|p| p.as_sequence())
            .into_iter()
            .flatten()
        {
            let volume = match m {
                Value::Mapping(_) => {
                    let what = match (text(&m["type"]).as_str(), m.get("source").map(text)) {
                        ("volume", Some(n)) => format!("volume:{n}"),
                        ("bind", Some(p)) => format!("bind:{}", basename(&p)),
                        _ => "anonymous".into(),
                    };
                    (
                        text(&m["target"]),
                        m.get("read_only")
                            .is_some_and(|r| r.as_bool() == Some(true)),
                        what,
                    )
                }
                other => {
                    let s = text(other);
                    let parts: Vec<&str> = s.split(':').collect();
                    match parts.as_slice() {
                        [t] => ((*t).to_owned(), false, "anonymous".into()),
                        [src, t, mode] | [src, t, mode, ..] => {
                            let what = if src.starts_with('/') {
                                format!("bind:{}", basename(src))
                            } else {
                                format!("volume:{src}")
                            };
                            ((*t).to_owned(), mode.split(',').any(|m| m == "ro"), what)
                        }
                        [src, t] => ((*t).to_owned(), false, format!("volume:{src}")),
                        _ => panic!("unexpected volume {s}"),
                    }
                }
            };
            f.volumes.insert(volume);
        }
        match s.get("networks").and_then(|n| n.as_mapping()) {
            Some(nets) => {
                for (n, a) in nets {
                    let aliases = a
                        .get("aliases")
                        .and_then(|a| a.as_sequence())
                        .map(|s| s.iter().map(text).collect())
                        .unwrap_or_default();
                    f.networks.insert(text(n), aliases);
                }
            }
            None => {
                f.networks.insert("default".into(), BTreeSet::new());
            }
        }
        if let Some(d) = s.get("depends_on").and_then(|d| d.as_mapping()) {
            f.depends_on = d
                .iter()
                .map(|(k, v)| (text(k), text(&v["condition"])))
                .collect();
        }
        f.restart = s.get("restart").map(text);
        if let Some(r) = s.get("deploy").and_then(|d| d.get("replicas")) {
            f.replicas = text(r).parse().unwrap();
        }
        f.healthcheck = s
            .get("healthcheck")
            .and_then(|h| h.get("test"))
            .map(|t| match t {
                Value::String(s) => vec!["CMD-SHELL".to_owned(), s.clone()],
                other => words(other),
            });
        out.insert(text(name), f);
    }
    out
}

fn case(dir: &str, files: &[&str], env: &[(&str, &str)]) -> Project {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut cmd = Command::new("docker-compose");
    cmd.current_dir(&root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.args(["-p", "reference"]);
    for f in files {
        cmd.args(["-f", f]);
    }
    cmd.arg("config");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("the reference, docker-compose, cannot run ({e}): apt-get install docker-compose, or run .ci/run")
    });
    assert!(
        out.status.success(),
        "docker-compose config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_yaml_ng::from_slice(&out.stdout).unwrap();

    let compose_files: Vec<ComposeFile> = files
        .iter()
        .map(|f| ComposeFile {
            name: (*f).into(),
            text: std::fs::read_to_string(root.join(f)).unwrap(),
        })
        .collect();
    let dotenv = std::fs::read_to_string(root.join(".env")).ok();
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    let loaded = load(
        &compose_files,
        &Options {
            project_name: Some("reference"),
            directory_name: dir,
            env: &lookup,
            dotenv: dotenv.as_deref(),
        },
    )
    .unwrap();
    let theirs = reference(&theirs);
    assert!(!theirs.is_empty(), "{dir}: the reference lists no services");
    assert_eq!(
        ours(&loaded.project),
        theirs,
        "{dir}: wharf (left) and docker-compose config (right) differ"
    );
    loaded.project
}

#[test]
fn a_web_and_db_project_with_overrides_and_dotenv() {
    let p = case(
        "web-db",
        &["compose.yaml", "compose.override.yaml"],
        &[("TAG", "from-env")],
    );
    // The environment wins over .env; the override's volume replaces the base's on /data.
    assert_eq!(p.services["web"].image.as_deref(), Some("nginx:from-env"));
    assert!(
        p.services["web"]
            .volumes
            .iter()
            .any(|m| m.source.as_deref() == Some("other"))
    );
}

#[test]
fn builds_networks_aliases_and_external_volumes() {
    let p = case(
        "build-networks",
        &["compose.yaml", "compose.prod.yaml"],
        &[],
    );
    assert_eq!(p.services["db"].image.as_deref(), Some("postgres:15"));
    assert_eq!(
        p.volumes["uploads"].name, "uploads",
        "an external volume keeps its name"
    );
    assert_eq!(p.networks["backend"].name, "reference_backend");
}
