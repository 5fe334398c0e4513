//! Manifests: the media types asked for, fetching one with its digest checked, telling an
//! image manifest from an index, and picking a platform's entry out of an index.

use crate::args::{Platform, Reference, check_digest};
use crate::client::{Client, Transport, header};
use crate::digest;
use serde::Deserialize;
use std::collections::BTreeMap;
use wharf_plugin_sdk::{ToolError, ToolResult};

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_SCHEMA1: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// Without an Accept header a registry answers with the old schema 1, or converts.
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json";

/// What the platform-less entries of an index are: BuildKit's provenance and SBOMs.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<PlatformSpec>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlatformSpec {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Descriptor {
    /// `os/arch[/variant]`, or `unknown` for an entry without a platform.
    pub fn platform_name(&self) -> String {
        match &self.platform {
            None => "unknown".into(),
            Some(p) => {
                let mut s = format!("{}/{}", p.os, p.architecture);
                if let Some(v) = p.variant.as_deref().filter(|v| !v.is_empty()) {
                    s.push('/');
                    s.push_str(v);
                }
                s
            }
        }
    }

    /// An attestation (provenance, SBOM) rather than an image for a platform.
    pub fn is_attestation(&self) -> bool {
        let typed = self
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(REFERENCE_TYPE));
        let unknown = self
            .platform
            .as_ref()
            .is_none_or(|p| p.os == "unknown" && p.architecture == "unknown");
        typed || unknown
    }
}

#[derive(Debug, Clone)]
pub enum Manifest {
    Image {
        media_type: String,
        config: Descriptor,
        layers: Vec<Descriptor>,
        /// Set on OCI artifacts (signatures, Helm charts, SBOMs) that are not images.
        artifact_type: Option<String>,
    },
    Index {
        media_type: String,
        manifests: Vec<Descriptor>,
    },
}

impl Manifest {
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Image { media_type, .. } | Manifest::Index { media_type, .. } => media_type,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// Parse a manifest. The body's own `mediaType` wins over `Content-Type` (some registries
/// and proxies answer `application/json`); OCI lets both be absent, and then the fields
/// tell.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> ToolResult<Manifest> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| ToolError::failed(format!("the manifest is not valid JSON: {e}")))?;
    let content_type = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|c| !c.is_empty());
    let known = |t: &String| {
        [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX].contains(&t.as_str())
            || DOCKER_SCHEMA1.contains(&t.as_str())
    };
    let declared = raw
        .media_type
        .clone()
        .or_else(|| content_type.filter(known));
    if raw.schema_version == Some(1)
        || declared
            .as_deref()
            .is_some_and(|t| DOCKER_SCHEMA1.contains(&t))
    {
        return Err(ToolError::failed(
            "the registry sent a schema 1 manifest, which this tool does not read (Docker \
             retired it in 2019); push the image again with a current docker",
        ));
    }
    let is_index = match declared.as_deref() {
        Some(DOCKER_LIST | OCI_INDEX) => true,
        Some(DOCKER_MANIFEST | OCI_MANIFEST) => false,
        _ => raw.manifests.is_some(),
    };
    if is_index {
        let manifests = raw.manifests.ok_or_else(|| {
            ToolError::failed("the registry sent an index without a `manifests` list")
        })?;
        return Ok(Manifest::Index {
            media_type: declared.unwrap_or_else(|| OCI_INDEX.into()),
            manifests,
        });
    }
    match (raw.config, raw.layers) {
        (Some(config), layers) => Ok(Manifest::Image {
            media_type: declared.unwrap_or_else(|| OCI_MANIFEST.into()),
            config,
            layers: layers.unwrap_or_default(),
            artifact_type: raw.artifact_type,
        }),
        (None, _) => Err(ToolError::failed(format!(
            "the registry sent a manifest of type {} that is neither an image manifest nor \
             an index",
            declared.as_deref().unwrap_or("(none)")
        ))),
    }
}

pub struct Fetched {
    pub manifest: Manifest,
    pub digest: String,
    /// Bytes of the manifest as served.
    pub size: u64,
}

/// GET a manifest by tag or digest. By digest, the body must hash to it; by tag, the digest
/// is the registry's `Docker-Content-Digest`, else the body's own.
pub fn fetch<T: Transport>(
    client: &Client<'_, T>,
    repository: &str,
    reference: &Reference,
) -> ToolResult<Fetched> {
    let what = format!("manifest {repository}{}", at(reference));
    let resp = client.get(
        &format!("/v2/{repository}/manifests/{reference}"),
        Some(ACCEPT),
        &pull_scope(repository),
        &what,
    )?;
    let digest = match reference.digest() {
        Some(d) => {
            digest::verify(d, &resp.body, &what)?;
            d.to_owned()
        }
        None => header(&resp, "docker-content-digest")
            .map(str::trim)
            .filter(|d| check_digest(d).is_ok())
            .map_or_else(|| digest::sha256(&resp.body), str::to_owned),
    };
    let manifest =
        parse(header(&resp, "content-type"), &resp.body).map_err(|e| e.context(&what))?;
    Ok(Fetched {
        manifest,
        digest,
        size: resp.body.len() as u64,
    })
}

/// `:tag` or `@digest`, as image references write them.
pub fn at(reference: &Reference) -> String {
    match reference {
        Reference::Tag(t) => format!(":{t}"),
        Reference::Digest(d) => format!("@{d}"),
    }
}

pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The entry of an index for `want`: by default linux/amd64, or the only image there is.
/// Attestations never count as a platform.
pub fn select<'m>(
    manifests: &'m [Descriptor],
    want: Option<&Platform>,
) -> ToolResult<&'m Descriptor> {
    let images: Vec<&Descriptor> = manifests.iter().filter(|d| !d.is_attestation()).collect();
    let default = Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    };
    let (want, defaulted) = match want {
        Some(w) => (w, false),
        None if images.len() == 1 => return Ok(images[0]),
        None => (&default, true),
    };
    let (os, arch, variant) = normalize(&want.os, &want.architecture, want.variant.as_deref());
    let candidates: Vec<&Descriptor> = images
        .iter()
        .copied()
        .filter(|d| {
            d.platform.as_ref().is_some_and(|p| {
                let (o, a, v) = normalize(&p.os, &p.architecture, p.variant.as_deref());
                o == os && a == arch && (variant.is_none() || v == variant)
            })
        })
        .collect();
    // Without a variant asked for, the baseline (no variant) is the safe pick: an amd64 v3
    // build does not run on every amd64 machine.
    let pick = candidates
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.variant.as_deref().unwrap_or("").is_empty())
        })
        .or(candidates.first());
    pick.copied().ok_or_else(|| {
        let available: Vec<String> = images.iter().map(|d| d.platform_name()).collect();
        let default_note = if defaulted {
            " (the default; pass `platform`)"
        } else {
            ""
        };
        if available.is_empty() {
            ToolError::not_found("the index lists no platform images (only attestations)")
        } else {
            ToolError::not_found(format!(
                "the index has no {want} image{default_note}; it has {}",
                available.join(", ")
            ))
        }
    })
}

/// The names docker treats as the same platform (`aarch64` is `arm64`, whose variant
/// defaults to v8; `arm` without a variant means v7).
fn normalize(os: &str, arch: &str, variant: Option<&str>) -> (String, String, Option<String>) {
    let os = os.to_ascii_lowercase();
    let variant = variant
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_lowercase);
    let (arch, variant) = match arch.to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" | "amd64" => ("amd64", variant.filter(|v| v != "v1")),
        "aarch64" | "arm64" => ("arm64", variant.or_else(|| Some("v8".into()))),
        "armhf" => ("arm", Some("v7".into())),
        "armel" => ("arm", Some("v6".into())),
        "arm" => ("arm", variant.or_else(|| Some("v7".into()))),
        "i386" | "i686" | "386" => ("386", variant),
        other => return (os, other.to_owned(), variant),
    };
    (os, arch.to_owned(), variant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wharf_plugin_sdk::ErrorKind;

    fn entry(platform: &str, digest: &str) -> serde_json::Value {
        let parts: Vec<&str> = platform.split('/').collect();
        let mut p = json!({"os": parts[0], "architecture": parts[1]});
        if let Some(v) = parts.get(2) {
            p["variant"] = json!(v);
        }
        json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": 500, "platform": p})
    }

    fn index(entries: Vec<serde_json::Value>) -> Vec<Descriptor> {
        let body = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
        match parse(None, body.to_string().as_bytes()).unwrap() {
            Manifest::Index { manifests, .. } => manifests,
            Manifest::Image { .. } => panic!("not an index"),
        }
    }

    fn attestation() -> serde_json::Value {
        json!({
            "mediaType": OCI_MANIFEST, "digest": "sha256:att", "size": 800,
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"}
        })
    }

    fn pick(m: &[Descriptor], want: Option<&str>) -> ToolResult<String> {
        let want = want.map(|w| Platform::parse(w).unwrap());
        select(m, want.as_ref()).map(|d| d.digest.clone())
    }

    #[test]
    fn media_types_decide_and_fields_fill_in() {
        let image = json!({"schemaVersion": 2, "config": {"digest": "sha256:c", "size": 7},
                           "layers": [{"digest": "sha256:l", "size": 9}]});
        let body = image.to_string();
        match parse(
            Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
            body.as_bytes(),
        )
        .unwrap()
        {
            Manifest::Image {
                media_type,
                config,
                layers,
                ..
            } => {
                assert_eq!(media_type, DOCKER_MANIFEST);
                assert_eq!(config.digest, "sha256:c");
                assert_eq!(layers.len(), 1);
            }
            Manifest::Index { .. } => panic!("an image manifest"),
        }
        let m = parse(Some("application/json"), body.as_bytes()).unwrap();
        assert_eq!(m.media_type(), OCI_MANIFEST);
        let m = parse(None, json!({"manifests": []}).to_string().as_bytes()).unwrap();
        assert!(matches!(m, Manifest::Index { .. }));
        assert_eq!(m.media_type(), OCI_INDEX);
    }

    #[test]
    fn unreadable_manifests_are_errors() {
        let schema1 = json!({"schemaVersion": 1, "name": "a", "fsLayers": []}).to_string();
        let e = parse(None, schema1.as_bytes()).unwrap_err();
        assert!(e.message.contains("schema 1"));
        assert!(parse(Some(DOCKER_SCHEMA1[1]), b"{}").is_err());
        assert!(
            parse(None, b"not json")
                .unwrap_err()
                .message
                .contains("not valid JSON")
        );
        let e = parse(Some(OCI_INDEX), b"{}").unwrap_err();
        assert!(e.message.contains("without a `manifests`"));
        assert!(parse(Some(OCI_MANIFEST), br#"{"layers":[]}"#).is_err());
        assert!(
            parse(None, br#"{"config":{"size":1}}"#).is_err(),
            "a descriptor needs a digest"
        );
    }

    #[test]
    fn default_platform_is_linux_amd64_or_the_only_image() {
        let m = index(vec![
            entry("linux/arm64/v8", "sha256:arm64"),
            entry("linux/amd64", "sha256:amd64"),
            attestation(),
        ]);
        assert_eq!(pick(&m, None).unwrap(), "sha256:amd64");
        let only = index(vec![entry("linux/arm64", "sha256:arm64"), attestation()]);
        assert_eq!(pick(&only, None).unwrap(), "sha256:arm64");
        let no_amd64 = index(vec![
            entry("linux/arm64", "sha256:arm64"),
            entry("linux/s390x", "sha256:s390x"),
        ]);
        let e = pick(&no_amd64, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.message,
            "the index has no linux/amd64 image (the default; pass `platform`); it has \
             linux/arm64, linux/s390x"
        );
    }

    #[test]
    fn platform_selection_normalises_like_docker() {
        let m = index(vec![
            entry("linux/amd64/v3", "sha256:amd64v3"),
            entry("linux/amd64", "sha256:amd64"),
            entry("linux/arm/v6", "sha256:armv6"),
            entry("linux/arm/v7", "sha256:armv7"),
            entry("linux/arm64/v8", "sha256:arm64"),
            entry("windows/amd64", "sha256:win"),
        ]);
        assert_eq!(pick(&m, Some("linux/amd64")).unwrap(), "sha256:amd64");
        assert_eq!(pick(&m, Some("linux/amd64/v3")).unwrap(), "sha256:amd64v3");
        assert_eq!(pick(&m, Some("linux/x86_64")).unwrap(), "sha256:amd64");
        assert_eq!(pick(&m, Some("linux/arm64")).unwrap(), "sha256:arm64");
        assert_eq!(pick(&m, Some("linux/aarch64")).unwrap(), "sha256:arm64");
        assert_eq!(pick(&m, Some("linux/arm")).unwrap(), "sha256:armv7");
        assert_eq!(pick(&m, Some("linux/arm/v6")).unwrap(), "sha256:armv6");
        assert_eq!(pick(&m, Some("windows/amd64")).unwrap(), "sha256:win");
        let e = pick(&m, Some("linux/riscv64")).unwrap_err();
        assert!(
            e.message
                .starts_with("the index has no linux/riscv64 image; it has linux/amd64/v3"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("default"));
        let e = pick(&index(vec![attestation()]), None).unwrap_err();
        assert!(e.message.contains("only attestations"));
    }

    #[test]
    fn entries_name_their_platform() {
        let m = index(vec![entry("linux/arm/v7", "sha256:a"), attestation()]);
        assert_eq!(m[0].platform_name(), "linux/arm/v7");
        assert!(!m[0].is_attestation());
        assert!(m[1].is_attestation());
        assert_eq!(m[1].platform_name(), "unknown/unknown");
    }
}
