//! Looking at an image in a registry without pulling it: its manifest, and the config of one
//! platform's image.

use crate::args::{ImageConfigArgs, ManifestArgs, Platform, Reference, Registry, check_digest};
use crate::client::{Client, HostTransport, MAX_BODY, Transport};
use crate::digest;
use crate::manifest::{self, Descriptor, Fetched, Manifest, at, pull_scope};
use crate::sanitize::line;
use schemars::JsonSchema;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wharf_plugin_sdk::redact;
use wharf_plugin_sdk::text::{human_bytes, truncate};
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

/// Config media types of images, as opposed to OCI artifacts (Helm charts, signatures...).
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
];
/// Labels shown in the text; the structured result has them all.
const TEXT_LABELS: usize = 30;

#[derive(Debug, Serialize, JsonSchema)]
pub struct BlobOutput {
    digest: String,
    /// Bytes.
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlatformOutput {
    /// `os/arch[/variant]`; `unknown/unknown` for attestations.
    platform: String,
    digest: String,
    /// Bytes of that platform's manifest.
    size: u64,
    /// Provenance or SBOM rather than an image.
    attestation: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestOutput {
    /// `registry/repository:tag` or `registry/repository@digest`.
    reference: String,
    media_type: String,
    digest: String,
    /// Bytes of the manifest itself.
    size: u64,
    /// Image manifests: the config blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<BlobOutput>,
    /// Image manifests: how many layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    layers: Option<usize>,
    /// Image manifests: the layers' compressed size, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    layers_size: Option<u64>,
    /// OCI artifacts (not images): their type.
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    /// Indexes and manifest lists: one entry per platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    platforms: Option<Vec<PlatformOutput>>,
}

pub fn get_manifest(a: ManifestArgs, ctx: &Context) -> ToolResult<Output> {
    let registry = Registry::parse(&a.registry)?;
    let repository = registry.repository(&a.repository)?;
    let reference = Reference::parse(&a.reference)?;
    let cancelled = || ctx.cancelled();
    let client = Client::new(HostTransport, registry).cancel_with(&cancelled);
    manifest_of(&client, &repository, &reference)
}

pub fn manifest_of<T: Transport>(
    client: &Client<'_, T>,
    repository: &str,
    reference: &Reference,
) -> ToolResult<Output> {
    let fetched = manifest::fetch(client, repository, reference)?;
    let name = full_name(client.registry(), repository, reference);
    let mut text = format!(
        "{name}\nmedia type: {}\ndigest: {}\n",
        line(fetched.manifest.media_type()),
        line(&fetched.digest)
    );
    let mut out = ManifestOutput {
        reference: name,
        media_type: fetched.manifest.media_type().to_owned(),
        digest: fetched.digest,
        size: fetched.size,
        config: None,
        layers: None,
        layers_size: None,
        artifact_type: None,
        platforms: None,
    };
    match fetched.manifest {
        Manifest::Image {
            config,
            layers,
            artifact_type,
            ..
        } => {
            let size = layers_size(&layers);
            if let Some(t) = &artifact_type {
                text.push_str(&format!("artifact type: {}\n", line(t)));
            }
            text.push_str(&format!(
                "config: {} ({}",
                line(&config.digest),
                human_bytes(config.size)
            ));
            if let Some(t) = config
                .media_type
                .as_deref()
                .filter(|t| !IMAGE_CONFIGS.contains(t))
            {
                text.push_str(&format!(", {}", line(t)));
            }
            text.push_str(&format!(
                ")\nlayers: {}, {} compressed\n",
                layers.len(),
                human_bytes(size)
            ));
            out.config = Some(BlobOutput {
                digest: config.digest,
                size: config.size,
                media_type: config.media_type,
            });
            out.layers = Some(layers.len());
            out.layers_size = Some(size);
            out.artifact_type = artifact_type;
        }
        Manifest::Index { manifests, .. } => {
            let (images, attestations): (Vec<&Descriptor>, Vec<&Descriptor>) =
                manifests.iter().partition(|d| !d.is_attestation());
            text.push_str(&format!("platforms ({}", images.len()));
            if !attestations.is_empty() {
                text.push_str(&format!(", plus {} attestations", attestations.len()));
            }
            text.push_str("):\nPLATFORM | DIGEST | SIZE\n");
            for d in &images {
                text.push_str(&format!(
                    "{} | {} | {}\n",
                    line(&d.platform_name()),
                    line(&d.digest),
                    human_bytes(d.size)
                ));
            }
            out.platforms = Some(
                manifests
                    .iter()
                    .map(|d| PlatformOutput {
                        platform: d.platform_name(),
                        digest: d.digest.clone(),
                        size: d.size,
                        attestation: d.is_attestation(),
                    })
                    .collect(),
            );
        }
    }
    Ok(Output::structured(text.trim_end(), &out))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageConfigOutput {
    /// `registry/repository:tag` or `registry/repository@digest`.
    reference: String,
    /// `os/arch[/variant]` of the image.
    platform: String,
    /// The platform's image manifest.
    manifest_digest: String,
    config_digest: String,
    /// RFC 3339, as the image records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    architecture: String,
    os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    working_dir: Option<String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    /// `NAME=<redacted>`: values can hold secrets.
    env: Vec<String>,
    exposed_ports: Vec<String>,
    labels: BTreeMap<String, String>,
    /// The layers' compressed size, bytes.
    size: u64,
    layers: usize,
    /// Steps in the image's build history.
    history: usize,
}

pub fn get_image_config(a: ImageConfigArgs, ctx: &Context) -> ToolResult<Output> {
    let registry = Registry::parse(&a.registry)?;
    let repository = registry.repository(&a.repository)?;
    let reference = Reference::parse(&a.reference)?;
    let platform = a.platform.as_deref().map(Platform::parse).transpose()?;
    let cancelled = || ctx.cancelled();
    let client = Client::new(HostTransport, registry).cancel_with(&cancelled);
    config_of(&client, &repository, &reference, platform.as_ref())
}

/// The image config fields this tool reports; the rest of the blob is ignored.
#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RunConfig>,
    #[serde(default)]
    history: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, IgnoredAny>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

pub fn config_of<T: Transport>(
    client: &Client<'_, T>,
    repository: &str,
    reference: &Reference,
    platform: Option<&Platform>,
) -> ToolResult<Output> {
    let name = full_name(client.registry(), repository, reference);
    let top = manifest::fetch(client, repository, reference)?;
    // `platform` only chose among an index's entries; a single image is what it is.
    let single = matches!(top.manifest, Manifest::Image { .. });
    let image = match top.manifest {
        Manifest::Image { .. } => top,
        Manifest::Index { manifests, .. } => {
            let entry = manifest::select(&manifests, platform)?;
            let by_digest = Reference::parse(&entry.digest).map_err(|_| {
                ToolError::failed(format!(
                    "{name}: the index entry for {} has digest `{}`, which is not a sha256 \
                     digest",
                    line(&entry.platform_name()),
                    line(&entry.digest)
                ))
            })?;
            manifest::fetch(client, repository, &by_digest)?
        }
    };
    let Fetched {
        manifest:
            Manifest::Image {
                config,
                layers,
                artifact_type,
                ..
            },
        digest: manifest_digest,
        ..
    } = image
    else {
        return Err(ToolError::failed(format!(
            "{name}: the index points at another index; this tool reads one level"
        )));
    };
    let config_type = config.media_type.as_deref();
    if let Some(t) = artifact_type
        .as_deref()
        .or(config_type.filter(|t| !IMAGE_CONFIGS.contains(t)))
    {
        return Err(ToolError::invalid(format!(
            "{name} is an OCI artifact of type {}, not an image; registry_get_manifest \
             describes it",
            line(t)
        )));
    }
    check_digest(&config.digest)
        .map_err(|e| ToolError::failed(format!("{name}: the manifest's config digest: {e}")))?;
    if config.size > u64::from(MAX_BODY) {
        return Err(ToolError::failed(format!(
            "{name}: the image config is {}, more than the {} this tool reads",
            human_bytes(config.size),
            human_bytes(u64::from(MAX_BODY))
        )));
    }
    let what = format!("config blob {} of {name}", config.digest);
    let resp = client.get(
        &format!("/v2/{repository}/blobs/{}", config.digest),
        None,
        &pull_scope(repository),
        &what,
    )?;
    digest::verify(&config.digest, &resp.body, &what)?;
    let image: ImageConfig = serde_json::from_slice(&resp.body)
        .map_err(|e| ToolError::failed(format!("{what} is not an image config: {e}")))?;
    let run = image.config.unwrap_or_default();
    let os = image.os.unwrap_or_default();
    let architecture = image.architecture.unwrap_or_default();
    let variant = image.variant.filter(|v| !v.is_empty());
    let mut platform_name = format!("{os}/{architecture}");
    if let Some(v) = &variant {
        platform_name.push('/');
        platform_name.push_str(v);
    }
    let out = ImageConfigOutput {
        reference: name,
        platform: platform_name,
        manifest_digest,
        config_digest: config.digest,
        created: image.created,
        architecture,
        os,
        variant,
        user: run.user.filter(|u| !u.is_empty()),
        working_dir: run.working_dir.filter(|w| !w.is_empty()),
        entrypoint: run.entrypoint.unwrap_or_default(),
        cmd: run.cmd.unwrap_or_default(),
        env: run
            .env
            .unwrap_or_default()
            .iter()
            .map(|v| redact::env_entry(v))
            .collect(),
        exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
        labels: run.labels.unwrap_or_default(),
        size: layers_size(&layers),
        layers: layers.len(),
        history: image.history.map_or(0, |h| h.len()),
    };
    let text = config_text(&out, platform.filter(|_| single));
    Ok(Output::structured(text, &out))
}

fn config_text(c: &ImageConfigOutput, asked: Option<&Platform>) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            serde_json::to_string(v).unwrap_or_default()
        }
    };
    let mut t = format!(
        "{} ({})\nmanifest: {}\nconfig: {}\ncreated: {}\nsize: {} compressed in {} layers; \
         history: {} steps\nentrypoint: {}\ncmd: {}\nworking dir: {}\nuser: {}\n\
         exposed ports: {}\nenv: {}\n",
        c.reference,
        line(&c.platform),
        c.manifest_digest,
        c.config_digest,
        line(c.created.as_deref().unwrap_or("-")),
        human_bytes(c.size),
        c.layers,
        c.history,
        list(&c.entrypoint),
        list(&c.cmd),
        line(c.working_dir.as_deref().unwrap_or("- (/)")),
        line(c.user.as_deref().unwrap_or("- (root)")),
        joined(&c.exposed_ports),
        joined(&c.env),
    );
    if c.labels.is_empty() {
        t.push_str("labels: -\n");
    } else {
        t.push_str(&format!("labels ({}):\n", c.labels.len()));
        for (k, v) in c.labels.iter().take(TEXT_LABELS) {
            let (v, cut) = truncate(v, 200);
            t.push_str(&format!(
                "  {}={}{}\n",
                line(k),
                line(v),
                if cut { "…" } else { "" }
            ));
        }
        if c.labels.len() > TEXT_LABELS {
            t.push_str(&format!(
                "  … {} more in the structured result\n",
                c.labels.len() - TEXT_LABELS
            ));
        }
    }
    // A single-platform image is what it is whatever `platform` asked for: say so rather
    // than fail, as its config is still what the model asked about.
    if let Some(asked) = asked
        && (asked.os != c.os || !same_arch(&asked.architecture, &c.architecture))
    {
        t.push_str(&format!(
            "note: this image is {}, not the {asked} asked for (it is not multi-platform)\n",
            line(&c.platform)
        ));
    }
    t.trim_end().to_owned()
}

/// "a, b" with each item kept on its line, or "-".
fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.iter().map(|i| line(i)).collect::<Vec<_>>().join(", ")
    }
}

fn same_arch(a: &str, b: &str) -> bool {
    let norm = |s: &str| match s {
        "x86_64" | "x86-64" => "amd64".to_owned(),
        "aarch64" => "arm64".to_owned(),
        other => other.to_owned(),
    };
    norm(a) == norm(b)
}

fn layers_size(layers: &[Descriptor]) -> u64 {
    layers
        .iter()
        .fold(0u64, |sum, l| sum.saturating_add(l.size))
}

/// `registry/repository:tag` (or `@digest`), as a model would pass it to `pull_image`.
fn full_name(registry: &Registry, repository: &str, reference: &Reference) -> String {
    format!("{}/{repository}{}", registry.name, at(reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
    use crate::testing::{Fake, reply};
    use serde_json::json;
    use wharf_plugin_sdk::ErrorKind;

    const BASE: &str = "http://localhost:5000/v2/team/app";

    fn client(fake: &Fake) -> Client<'_, &Fake> {
        Client::new(fake, Registry::parse("http://localhost:5000").unwrap())
    }

    fn config_blob() -> Vec<u8> {
        json!({
            "created": "2024-05-01T10:00:00Z",
            "architecture": "arm64",
            "variant": "v8",
            "os": "linux",
            "config": {
                "User": "app",
                "Env": ["PATH=/usr/bin", "API_TOKEN=hunter2"],
                "Entrypoint": ["/entry.sh"],
                "Cmd": ["serve", "--port", "8080"],
                "WorkingDir": "/srv",
                "ExposedPorts": {"8080/tcp": {}},
                "Labels": {"org.opencontainers.image.source": "https://example.com/app"}
            },
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [{"created_by": "a"}, {"created_by": "b"}, {"created_by": "c"}]
        })
        .to_string()
        .into_bytes()
    }

    fn image_manifest(config: &[u8]) -> Vec<u8> {
        json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": digest::sha256(config), "size": config.len()},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:l1", "size": 3_000_000},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:l2", "size": 1_500_000}
            ]
        })
        .to_string()
        .into_bytes()
    }

    fn index(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let manifests: Vec<_> = entries
            .iter()
            .map(|(platform, body)| {
                let p: Vec<&str> = platform.split('/').collect();
                let mut plat = json!({"os": p[0], "architecture": p[1]});
                if let Some(v) = p.get(2) {
                    plat["variant"] = json!(v);
                }
                json!({"mediaType": DOCKER_MANIFEST, "digest": digest::sha256(body),
                       "size": body.len(), "platform": plat})
            })
            .chain(std::iter::once(json!({
                "mediaType": OCI_MANIFEST, "digest": format!("sha256:{}", "0".repeat(64)), "size": 566,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"}
            })))
            .collect();
        json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn image_manifest_reports_config_and_layers() {
        let body = image_manifest(&config_blob());
        let fake = Fake::new().on(
            &format!("{BASE}/manifests/1.0"),
            reply(
                200,
                &[
                    ("content-type", OCI_MANIFEST),
                    ("docker-content-digest", &digest::sha256(&body)),
                ],
                body.clone(),
            ),
        );
        let out = manifest_of(
            &client(&fake),
            "team/app",
            &Reference::parse("1.0").unwrap(),
        )
        .unwrap();
        let sent = fake.done();
        assert!(sent[0].headers.iter().any(|(k, v)| k == "accept"
            && v.contains(DOCKER_MANIFEST)
            && v.contains(DOCKER_LIST)
            && v.contains(OCI_MANIFEST)
            && v.contains(OCI_INDEX)));
        assert!(out.text.starts_with("localhost:5000/team/app:1.0\nmedia type: application/vnd.oci.image.manifest.v1+json\n"), "{}", out.text);
        assert!(
            out.text.ends_with("layers: 2, 4.5MB compressed"),
            "{}",
            out.text
        );
        let s = out.structured.unwrap();
        assert_eq!(s["digest"], digest::sha256(&body));
        assert_eq!(s["layers"], 2);
        assert_eq!(s["layers_size"], 4_500_000);
        assert_eq!(s["config"]["digest"], digest::sha256(&config_blob()));
        assert!(s.get("platforms").is_none());
    }

    #[test]
    fn index_lists_platforms_and_digest_falls_back_to_the_body() {
        let amd = image_manifest(b"amd");
        let arm = image_manifest(b"arm");
        let body = index(&[("linux/amd64", &amd), ("linux/arm64/v8", &arm)]);
        let fake = Fake::new().on(
            &format!("{BASE}/manifests/latest"),
            // No Docker-Content-Digest, and a Content-Type that says nothing.
            reply(200, &[("content-type", "application/json")], body.clone()),
        );
        let out = manifest_of(
            &client(&fake),
            "team/app",
            &Reference::parse("latest").unwrap(),
        )
        .unwrap();
        assert!(
            out.text
                .contains(&format!("digest: {}\n", digest::sha256(&body)))
        );
        assert!(
            out.text
                .contains("media type: application/vnd.docker.distribution.manifest.list.v2+json")
        );
        assert!(
            out.text.contains("platforms (2, plus 1 attestations):"),
            "{}",
            out.text
        );
        assert!(
            out.text
                .contains(&format!("linux/arm64/v8 | {} |", digest::sha256(&arm)))
        );
        assert!(!out.text.contains("unknown/unknown"));
        let s = out.structured.unwrap();
        assert_eq!(s["platforms"].as_array().unwrap().len(), 3);
        assert_eq!(s["platforms"][2]["attestation"], true);
    }

    #[test]
    fn a_manifest_by_digest_must_hash_to_it() {
        let body = image_manifest(b"x");
        let wrong = format!("sha256:{}", "a".repeat(64));
        let fake = Fake::new().on(
            &format!("{BASE}/manifests/{wrong}"),
            // The header cannot vouch for content that does not match.
            reply(200, &[("docker-content-digest", &wrong)], body.clone()),
        );
        let e = manifest_of(
            &client(&fake),
            "team/app",
            &Reference::parse(&wrong).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Failed);
        assert!(
            e.message
                .contains(&format!("digest is {}", digest::sha256(&body))),
            "{}",
            e.message
        );

        let right = digest::sha256(&body);
        let fake = Fake::new().on(&format!("{BASE}/manifests/{right}"), reply(200, &[], body));
        let out = manifest_of(
            &client(&fake),
            "team/app",
            &Reference::parse(&right).unwrap(),
        )
        .unwrap();
        assert!(
            out.text
                .starts_with(&format!("localhost:5000/team/app@{right}\n"))
        );
    }

    #[test]
    fn image_config_resolves_the_platform_and_verifies_the_blob() {
        let config = config_blob();
        let arm = image_manifest(&config);
        let amd = image_manifest(b"{}");
        let body = index(&[("linux/amd64", &amd), ("linux/arm64/v8", &arm)]);
        let fake = Fake::new()
            .on(&format!("{BASE}/manifests/2.0"), reply(200, &[], body))
            .on(
                &format!("{BASE}/manifests/{}", digest::sha256(&arm)),
                reply(200, &[], arm.clone()),
            )
            .on(
                &format!("{BASE}/blobs/{}", digest::sha256(&config)),
                reply(307, &[("location", "https://blobs.example/c?sig=1")], ""),
            )
            .on(
                "https://blobs.example/c?sig=1",
                reply(200, &[], config.clone()),
            );
        let want = Platform::parse("linux/arm64").unwrap();
        let out = config_of(
            &client(&fake),
            "team/app",
            &Reference::parse("2.0").unwrap(),
            Some(&want),
        )
        .unwrap();
        fake.done();
        let t = &out.text;
        assert!(
            t.starts_with("localhost:5000/team/app:2.0 (linux/arm64/v8)\n"),
            "{t}"
        );
        assert!(t.contains("created: 2024-05-01T10:00:00Z"));
        assert!(t.contains("size: 4.5MB compressed in 2 layers; history: 3 steps"));
        assert!(t.contains(r#"cmd: ["serve","--port","8080"]"#));
        assert!(t.contains("env: PATH=<redacted>, API_TOKEN=<redacted>"));
        assert!(!t.contains("hunter2"));
        assert!(t.contains("exposed ports: 8080/tcp"));
        assert!(t.contains("user: app\n") && t.contains("working dir: /srv\n"));
        assert!(t.contains("org.opencontainers.image.source=https://example.com/app"));
        let s = out.structured.unwrap();
        assert_eq!(s["manifest_digest"], digest::sha256(&arm));
        assert_eq!(s["size"], 4_500_000);
        assert_eq!(s["history"], 3);
        assert_eq!(s["entrypoint"], json!(["/entry.sh"]));
    }

    #[test]
    fn image_config_refuses_a_tampered_blob() {
        let config = config_blob();
        let manifest = image_manifest(&config);
        let fake = Fake::new()
            .on(&format!("{BASE}/manifests/1"), reply(200, &[], manifest))
            .on(
                &format!("{BASE}/blobs/{}", digest::sha256(&config)),
                reply(200, &[], b"{\"os\":\"evil\"}".to_vec()),
            );
        let e = config_of(
            &client(&fake),
            "team/app",
            &Reference::parse("1").unwrap(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Failed);
        assert!(
            e.message.starts_with("config blob sha256:"),
            "{}",
            e.message
        );
        assert!(e.message.contains("not the"));
    }

    #[test]
    fn image_config_names_the_platforms_when_none_matches() {
        let arm = image_manifest(b"a");
        let s390 = image_manifest(b"s");
        let body = index(&[("linux/arm64", &arm), ("linux/s390x", &s390)]);
        let fake = Fake::new().on(&format!("{BASE}/manifests/1"), reply(200, &[], body));
        let e = config_of(
            &client(&fake),
            "team/app",
            &Reference::parse("1").unwrap(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("no linux/amd64 image (the default; pass `platform`); it has linux/arm64, linux/s390x"), "{}", e.message);
        fake.done();
    }

    #[test]
    fn single_platform_image_notes_a_different_platform_and_artifacts_are_refused() {
        let config = config_blob();
        let manifest = image_manifest(&config);
        let fake = Fake::new()
            .on(&format!("{BASE}/manifests/1"), reply(200, &[], manifest))
            .on(
                &format!("{BASE}/blobs/{}", digest::sha256(&config)),
                reply(200, &[], config),
            );
        let want = Platform::parse("linux/amd64").unwrap();
        let out = config_of(
            &client(&fake),
            "team/app",
            &Reference::parse("1").unwrap(),
            Some(&want),
        )
        .unwrap();
        assert!(out.text.ends_with("note: this image is linux/arm64/v8, not the linux/amd64 asked for (it is not multi-platform)"), "{}", out.text);

        let helm = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:c", "size": 10},
            "layers": []}).to_string();
        let fake = Fake::new().on(&format!("{BASE}/manifests/chart"), reply(200, &[], helm));
        let e = config_of(
            &client(&fake),
            "team/app",
            &Reference::parse("chart").unwrap(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArguments);
        assert!(
            e.message
                .contains("OCI artifact of type application/vnd.cncf.helm.config.v1+json")
        );
    }
}
