//! Images: references, tag and remove with the engine's refusals, prune, and the registry
//! the mock pulls from and pushes to.

use super::{HistoryStep, Image, Model, RemoteImage, conflict, hex, not_found, resolve};
use sha2::Digest;
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

/// What an image gives the containers made from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ImageConfig {
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub working_dir: String,
    pub user: String,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub healthcheck: Option<Vec<String>>,
    pub architecture: String,
    pub os: String,
}

/// A reference as the engine shows it: `docker.io/library/` dropped, `:latest` added.
pub(crate) fn normalize(reference: &str) -> String {
    let mut r = reference;
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
    ] {
        if let Some(rest) = r.strip_prefix(prefix) {
            r = rest;
            break;
        }
    }
    if r.contains('@') {
        return r.to_owned();
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') {
        r.to_owned()
    } else {
        format!("{r}:latest")
    }
}

/// The repository part of a normalized reference.
pub(crate) fn repository(reference: &str) -> &str {
    if let Some((repo, _)) = reference.split_once('@') {
        return repo;
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => &reference[..slash + i],
        None => reference,
    }
}

/// Progress of a pull, push or build, in the engine's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Progress {
    Layer(String, String),
    Message(String),
    ImageId(String),
}

impl Image {
    /// A new image; its id is the digest of what it is, as the engine's are.
    pub fn new(
        seed_name: &str,
        config: ImageConfig,
        parent: Option<String>,
        size: u64,
        files: super::Fs,
        history: Vec<HistoryStep>,
    ) -> Image {
        let mut h = sha2::Sha256::new();
        h.update(seed_name.as_bytes());
        h.update(serde_json::to_vec(&config).unwrap_or_default());
        h.update(parent.as_deref().unwrap_or("").as_bytes());
        h.update(format!("{files:?}").as_bytes());
        let digest = hex(&h.finalize());
        let layers = vec![format!(
            "sha256:{}",
            hex(&sha2::Sha256::digest(format!("layer/{digest}")))
        )];
        Image {
            id: format!("sha256:{digest}"),
            tags: Vec::new(),
            digests: Vec::new(),
            created: SystemTime::now(),
            size,
            config,
            parent,
            history,
            files,
            layers,
        }
    }
}

impl Model {
    pub fn image_index(&self, reference: &str) -> Result<usize, DockerError> {
        let missing = || not_found(format!("No such image: {}", normalize(reference)));
        let bare = reference.strip_prefix("sha256:").unwrap_or(reference);
        if reference.contains('@') {
            return self
                .images
                .iter()
                .position(|i| i.digests.iter().any(|d| *d == normalize(reference)))
                .ok_or_else(missing);
        }
        let wanted = normalize(reference);
        if let Some(i) = self.images.iter().position(|i| i.tags.contains(&wanted)) {
            return Ok(i);
        }
        let is_hex = !bare.is_empty() && bare.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            let found = resolve(
                &self.images,
                bare,
                |i| i.id.trim_start_matches("sha256:"),
                |_| "",
                "image",
            )?;
            if let Some(i) = found {
                return Ok(i);
            }
        }
        Err(missing())
    }

    pub fn image(&self, reference: &str) -> Result<&Image, DockerError> {
        Ok(&self.images[self.image_index(reference)?])
    }

    /// Add `image` (or, if one with its id exists, give that one the tags) and take each
    /// of `tags` from whichever image had it.
    pub fn add_image(&mut self, image: Image, tags: &[String]) -> usize {
        let tags: Vec<String> = tags.iter().map(|t| normalize(t)).collect();
        for other in &mut self.images {
            other.tags.retain(|t| !tags.contains(t));
        }
        let i = match self.images.iter().position(|i| i.id == image.id) {
            Some(i) => i,
            None => {
                self.images.push(image);
                self.images.len() - 1
            }
        };
        for t in tags {
            if !self.images[i].tags.contains(&t) {
                self.images[i].tags.push(t);
            }
        }
        i
    }

    pub fn tag_image(&mut self, reference: &str, repo: &str, tag: &str) -> Result<(), DockerError> {
        let i = self.image_index(reference)?;
        let tag = if tag.is_empty() { "latest" } else { tag };
        let target = normalize(&format!("{repo}:{tag}"));
        let image = self.images[i].clone();
        self.add_image(image, std::slice::from_ref(&target));
        let id = self.images[i].id.clone();
        self.record("image", "tag", &id, &[("name", &target)]);
        Ok(())
    }

    fn users(&self, image_id: &str) -> impl Iterator<Item = &super::Container> {
        self.containers
            .iter()
            .filter(move |c| c.image_id == image_id)
    }

    /// `DELETE /images/{name}`: (untagged, deleted).
    pub fn remove_image(
        &mut self,
        reference: &str,
        force: bool,
    ) -> Result<(Vec<String>, Vec<String>), DockerError> {
        let i = self.image_index(reference)?;
        let image = self.images[i].clone();
        let short = image.short_id().to_owned();
        let by_tag =
            image.tags.contains(&normalize(reference)) && !reference.starts_with("sha256:");
        let running = self
            .users(&image.id)
            .find(|c| c.state.is_up())
            .map(|c| c.short_id().to_owned());
        let stopped = self
            .users(&image.id)
            .find(|c| !c.state.is_up())
            .map(|c| c.short_id().to_owned());
        let children = self
            .images
            .iter()
            .any(|c| c.parent.as_deref() == Some(image.id.as_str()));

        if by_tag && (image.tags.len() > 1 || force) {
            let tag = normalize(reference);
            self.images[i].tags.retain(|t| *t != tag);
            self.record("image", "untag", &image.id, &[("name", &tag)]);
            if !self.images[i].tags.is_empty() || running.is_some() || stopped.is_some() || children
            {
                return Ok((vec![tag], Vec::new()));
            }
            self.images.remove(i);
            self.record("image", "delete", &image.id, &[("name", &image.id)]);
            return Ok((vec![tag], vec![image.id]));
        }
        if by_tag && let Some(c) = running.as_ref().or(stopped.as_ref()) {
            return Err(conflict(format!(
                "conflict: unable to remove repository reference \"{reference}\" (must force) - \
                 container {c} is using its referenced image {short}"
            )));
        }
        if let Some(c) = running {
            return Err(conflict(format!(
                "conflict: unable to delete {short} (cannot be forced) - image is being used by \
                 running container {c}"
            )));
        }
        if children {
            return Err(conflict(format!(
                "conflict: unable to delete {short} (cannot be forced) - image has dependent \
                 child images"
            )));
        }
        if !by_tag && image.tags.len() > 1 && !force {
            return Err(conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is referenced in \
                 multiple repositories"
            )));
        }
        if let (Some(c), false) = (&stopped, force) {
            return Err(conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is being used by \
                 stopped container {c}"
            )));
        }
        let mut untagged = image.tags.clone();
        untagged.extend(image.digests.iter().cloned());
        for t in &image.tags {
            self.record("image", "untag", &image.id, &[("name", t)]);
        }
        if stopped.is_some() {
            // Forced: the tags go, the image stays for the containers that use it.
            self.images[i].tags.clear();
            return Ok((untagged, Vec::new()));
        }
        self.images.remove(i);
        self.record("image", "delete", &image.id, &[("name", &image.id)]);
        Ok((untagged, vec![image.id]))
    }

    /// `POST /images/prune`: dangling images only unless `all`; those no container uses.
    pub fn prune_images(&mut self, all: bool, keep: impl Fn(&Image) -> bool) -> (Vec<String>, u64) {
        let mut deleted = Vec::new();
        let mut space = 0;
        let in_use: Vec<String> = self.containers.iter().map(|c| c.image_id.clone()).collect();
        let parents: Vec<String> = self
            .images
            .iter()
            .filter_map(|i| i.parent.clone())
            .collect();
        let mut kept = Vec::new();
        for image in std::mem::take(&mut self.images) {
            let unused = !in_use.contains(&image.id) && !parents.contains(&image.id);
            if unused && (all || image.tags.is_empty()) && !keep(&image) {
                space += image.size;
                deleted.push(image.id.clone());
                self.events.push(super::Event {
                    kind: "image".into(),
                    action: "delete".into(),
                    actor: image.id.clone(),
                    attributes: BTreeMap::from([("name".to_owned(), image.id.clone())]),
                    time_nano: super::events::unix_nanos(SystemTime::now()),
                });
            } else {
                kept.push(image);
            }
        }
        self.images = kept;
        (deleted, space)
    }

    /// `docker pull`: the engine's progress, or why the registry refused.
    pub fn pull(&mut self, reference: &str) -> Result<Vec<Progress>, DockerError> {
        let wanted = normalize(reference);
        let Some(remote) = self.remote.iter().find(|r| r.reference == wanted).cloned() else {
            let repo = repository(&wanted);
            let local_registry = repo
                .split('/')
                .next()
                .is_some_and(|h| h.contains(':') || h.contains('.'));
            return Err(not_found(if local_registry {
                format!("manifest for {wanted} not found: manifest unknown: manifest unknown")
            } else {
                format!(
                    "pull access denied for {repo}, repository does not exist or may require \
                     'docker login': denied: requested access to the resource is denied"
                )
            }));
        };
        let tag = wanted.rsplit(':').next().unwrap_or("latest").to_owned();
        let mut progress = vec![Progress::Layer(
            tag,
            format!("Pulling from {}", repository(&wanted)),
        )];
        let fresh = self
            .images
            .iter()
            .all(|i| !(i.id == remote.image.id && i.tags.contains(&wanted)));
        for layer in &remote.image.layers {
            let short = layer.trim_start_matches("sha256:")[..12].to_owned();
            if fresh {
                progress.push(Progress::Layer(short.clone(), "Pulling fs layer".into()));
                progress.push(Progress::Layer(short.clone(), "Download complete".into()));
                progress.push(Progress::Layer(short, "Pull complete".into()));
            } else {
                progress.push(Progress::Layer(short, "Already exists".into()));
            }
        }
        let digest = remote.image.digests.first().cloned().unwrap_or_default();
        progress.push(Progress::Message(format!(
            "Digest: {}",
            digest.rsplit('@').next().unwrap_or_default()
        )));
        progress.push(Progress::Message(if fresh {
            format!("Status: Downloaded newer image for {wanted}")
        } else {
            format!("Status: Image is up to date for {wanted}")
        }));
        let i = self.add_image(remote.image.clone(), std::slice::from_ref(&wanted));
        if !self.images[i].digests.contains(&digest) {
            self.images[i].digests.push(digest);
        }
        self.record("image", "pull", &wanted, &[("name", &wanted)]);
        Ok(progress)
    }

    /// `docker push` of a local `name:tag` to the mock registry.
    pub fn push(&mut self, reference: &str) -> Result<Vec<Progress>, DockerError> {
        let wanted = normalize(reference);
        let repo = repository(&wanted).to_owned();
        let Some(i) = self.images.iter().position(|i| i.tags.contains(&wanted)) else {
            return Err(not_found(format!(
                "An image does not exist locally with the tag: {repo}"
            )));
        };
        let image = &self.images[i];
        let digest = format!(
            "sha256:{}",
            hex(&sha2::Sha256::digest(format!(
                "manifest/{}/{}",
                image.id, wanted
            )))
        );
        let mut progress = vec![Progress::Message(format!(
            "The push refers to repository [{repo}]"
        ))];
        for _ in &image.layers {
            progress.push(Progress::Message("Preparing".into()));
            progress.push(Progress::Message("Pushed".into()));
        }
        let tag = wanted.rsplit(':').next().unwrap_or("latest");
        progress.push(Progress::Message(format!(
            "{tag}: digest: {digest} size: 527"
        )));
        let with_digest = format!("{repo}@{digest}");
        if !self.images[i].digests.contains(&with_digest) {
            self.images[i].digests.push(with_digest.clone());
        }
        let mut pushed = self.images[i].clone();
        pushed.tags = Vec::new();
        pushed.digests = vec![with_digest];
        self.remote.retain(|r| r.reference != wanted);
        self.remote.push(RemoteImage {
            reference: wanted.clone(),
            image: pushed,
        });
        self.record("image", "push", &wanted, &[("name", &wanted)]);
        Ok(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_as_the_engine_shows_them() {
        assert_eq!(normalize("busybox"), "busybox:latest");
        assert_eq!(normalize("docker.io/library/busybox:1"), "busybox:1");
        assert_eq!(normalize("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
        assert_eq!(repository("127.0.0.1:5000/app:v1"), "127.0.0.1:5000/app");
    }
}
