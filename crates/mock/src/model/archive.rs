//! `docker save` and `docker load` on the model, in the engine's tar layout
//! (`manifest.json`, one config per image), so a saved file loads back with its tags and
//! its configuration.

use super::fs::Fs;
use super::images::ImageConfig;
use super::{Image, Model, invalid, normalize};
use serde_json::{Value, json};
use std::io::Read;
use wharf_core::engine::DockerError;

fn config_json(image: &Image) -> Value {
    let c = &image.config;
    json!({
        "architecture": c.architecture,
        "os": c.os,
        "config": {
            "Cmd": c.cmd,
            "Entrypoint": c.entrypoint,
            "Env": c.env,
            "Labels": c.labels,
            "WorkingDir": c.working_dir,
            "User": c.user,
            "ExposedPorts": c.exposed_ports.iter().map(|p| (p.clone(), json!({}))).collect::<serde_json::Map<_, _>>(),
            "Volumes": c.volumes.iter().map(|p| (p.clone(), json!({}))).collect::<serde_json::Map<_, _>>(),
            "Healthcheck": c.healthcheck.as_ref().map(|t| json!({ "Test": t })),
        },
        "wharf_mock": { "id": image.id, "size": image.size },
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

impl Model {
    /// The tar `docker save` writes for `references`.
    pub fn save(&self, references: &[String]) -> Result<Vec<u8>, DockerError> {
        let mut manifest = Vec::new();
        let mut b = tar::Builder::new(Vec::new());
        let io = |e: std::io::Error| invalid(format!("cannot write the tar: {e}"));
        for r in references {
            let image = self.image(r)?;
            let hex = image.id.trim_start_matches("sha256:");
            let config = serde_json::to_vec(&config_json(image)).unwrap_or_default();
            let mut h = tar::Header::new_gnu();
            h.set_size(config.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, format!("{hex}.json"), config.as_slice())
                .map_err(io)?;
            let tags: Vec<String> = if image.tags.contains(&normalize(r)) {
                vec![normalize(r)]
            } else {
                image.tags.clone()
            };
            manifest
                .push(json!({ "Config": format!("{hex}.json"), "RepoTags": tags, "Layers": [] }));
        }
        let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
        let mut h = tar::Header::new_gnu();
        h.set_size(manifest.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "manifest.json", manifest.as_slice())
            .map_err(io)?;
        b.into_inner().map_err(io)
    }

    /// Load a `docker save` tar: what was loaded, `repo:tag` or the id of untagged ones.
    pub fn load(&mut self, archive: &[u8]) -> Result<Vec<String>, DockerError> {
        let bad = |what: String| invalid(format!("the file is not a docker save archive: {what}"));
        let mut files = std::collections::BTreeMap::new();
        let mut a = tar::Archive::new(archive);
        for entry in a.entries().map_err(|e| bad(e.to_string()))? {
            let mut entry = entry.map_err(|e| bad(e.to_string()))?;
            let path = entry
                .path()
                .map_err(|e| bad(e.to_string()))?
                .to_string_lossy()
                .into_owned();
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| bad(e.to_string()))?;
            files.insert(path, data);
        }
        let manifest: Value = files
            .get("manifest.json")
            .and_then(|m| serde_json::from_slice(m).ok())
            .ok_or_else(|| bad("no manifest.json".into()))?;
        let mut loaded = Vec::new();
        for item in manifest.as_array().into_iter().flatten() {
            let name = item["Config"].as_str().unwrap_or_default();
            let config: Value = files
                .get(name)
                .and_then(|c| serde_json::from_slice(c).ok())
                .ok_or_else(|| bad(format!("no image config {name}")))?;
            let c = &config["config"];
            let image_config = ImageConfig {
                cmd: strings(&c["Cmd"]),
                entrypoint: strings(&c["Entrypoint"]),
                env: strings(&c["Env"]),
                labels: serde_json::from_value(c["Labels"].clone()).unwrap_or_default(),
                working_dir: c["WorkingDir"].as_str().unwrap_or_default().to_owned(),
                user: c["User"].as_str().unwrap_or_default().to_owned(),
                exposed_ports: keys(&c["ExposedPorts"]),
                volumes: keys(&c["Volumes"]),
                healthcheck: c["Healthcheck"]["Test"]
                    .as_array()
                    .map(|_| strings(&c["Healthcheck"]["Test"])),
                architecture: config["architecture"]
                    .as_str()
                    .unwrap_or("amd64")
                    .to_owned(),
                os: config["os"].as_str().unwrap_or("linux").to_owned(),
            };
            let mut image = Image::new(name, image_config, None, 0, Fs::default(), Vec::new());
            if let Some(id) = config["wharf_mock"]["id"].as_str() {
                image.id = id.to_owned();
            }
            image.size = config["wharf_mock"]["size"].as_u64().unwrap_or(0);
            let tags = strings(&item["RepoTags"]);
            let id = image.id.clone();
            self.add_image(image, &tags);
            self.record("image", "load", &id, &[("name", &id)]);
            if tags.is_empty() {
                loaded.push(id);
            } else {
                loaded.extend(tags.iter().map(|t| normalize(t)));
            }
        }
        Ok(loaded)
    }
}
