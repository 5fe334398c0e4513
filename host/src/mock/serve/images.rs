//! images-read, images-write, registry and images-build on the model.

use super::{ModelHost, WitResult, done, filter_map, filters_json, render};
use crate::docker::{DockerError, ErrorKind, Job, pump::Pump};
use crate::mock::model::{BuildSpec, Filters, Fs, Progress, invalid};
use crate::runtime::bindings::wharf::docker::{
    images_build as b, images_read as r, images_write as w, registry as g, types,
};
use serde_json::json;
use std::collections::BTreeMap;
use wasmtime::component::Resource;

fn event(p: Progress) -> types::JobEvent {
    match p {
        Progress::Layer(id, status) => types::JobEvent::Layer(types::LayerProgress {
            id,
            status,
            current: None,
            total: None,
        }),
        Progress::Message(m) => types::JobEvent::Message(m),
        Progress::ImageId(id) => types::JobEvent::ImageId(id),
    }
}

/// A job that replays what the model did, then ends (with `error`, if the operation failed
/// part way, as a failed build step does).
fn job(progress: Vec<Progress>, error: Option<DockerError>) -> Job {
    Pump::spawn(move |tx| async move {
        for p in progress {
            if !tx.send(Ok(event(p))).await {
                return;
            }
        }
        if let Some(e) = error {
            tx.send(Err(e)).await;
        }
    })
}

fn io(what: &str, e: impl std::fmt::Display) -> DockerError {
    DockerError::new(ErrorKind::Engine, format!("{what}: {e}"))
}

impl r::Host for ModelHost<'_> {
    async fn list(
        &mut self,
        all: bool,
        filters: Vec<types::Filter>,
    ) -> WitResult<Vec<r::ImageSummary>> {
        self.record(
            "images-read",
            "list",
            json!({ "all": all, "filters": filters_json(&filters) }),
        );
        let m = self.docker.model();
        done((|| {
            let f = Filters::new(
                filter_map(filters),
                &["dangling", "label", "label!", "reference", "until"],
            )?;
            let mut out = Vec::new();
            for i in m.images.iter().rev() {
                if m.image_matches(&f, i)? {
                    let mut summary = render::image_summary(i);
                    summary.tags = f.image_tags(i);
                    out.push(summary);
                }
            }
            Ok(out)
        })())
    }

    async fn inspect(&mut self, name: String) -> WitResult<String> {
        self.record("images-read", "inspect", json!({ "name": name }));
        let m = self.docker.model();
        done(
            m.image(&name)
                .map(|i| render::image_inspect(i).to_string())
                .map_err(|e| {
                    // The engine's inspect words it twice.
                    DockerError::new(e.kind, format!("no such image: {}: {}", name, e.message))
                }),
        )
    }

    async fn history(&mut self, name: String) -> WitResult<Vec<r::HistoryEntry>> {
        self.record("images-read", "history", json!({ "name": name }));
        done(self.docker.model().image(&name).map(render::history))
    }
}

impl w::Host for ModelHost<'_> {
    async fn tag(&mut self, name: String, repo: String, tag: String) -> WitResult<()> {
        self.record(
            "images-write",
            "tag",
            json!({ "name": name, "repo": repo, "tag": tag }),
        );
        done(
            self.writable()
                .and_then(|()| self.docker.change(|m| m.tag_image(&name, &repo, &tag))),
        )
    }

    async fn remove(&mut self, name: String, force: bool, no_prune: bool) -> WitResult<w::Removed> {
        self.record(
            "images-write",
            "remove",
            json!({ "name": name, "force": force, "no_prune": no_prune }),
        );
        done(self.writable().and_then(|()| {
            self.docker
                .change(|m| m.remove_image(&name, force))
                .map(|(untagged, deleted)| w::Removed { untagged, deleted })
        }))
    }

    async fn prune(&mut self, filters: Vec<types::Filter>) -> WitResult<w::PruneReport> {
        self.record(
            "images-write",
            "prune",
            json!({ "filters": filters_json(&filters) }),
        );
        done(self.writable().and_then(|()| {
            let f = Filters::new(
                filter_map(filters),
                &["dangling", "label", "label!", "until"],
            )?;
            let all = f.bool("dangling")? == Some(false);
            self.docker.change(|m| {
                let keep: Vec<String> = m
                    .images
                    .iter()
                    .filter(|i| {
                        !(f.labels(&i.config.labels) && f.until(i.created).unwrap_or(false))
                    })
                    .map(|i| i.id.clone())
                    .collect();
                let (deleted, space_reclaimed) = m.prune_images(all, |i| keep.contains(&i.id));
                Ok(w::PruneReport {
                    deleted,
                    space_reclaimed,
                })
            })
        }))
    }

    async fn save(
        &mut self,
        images: Vec<String>,
        host_path: String,
        overwrite: bool,
    ) -> WitResult<u64> {
        self.record(
            "images-write",
            "save",
            json!({ "images": images, "host_path": host_path, "overwrite": overwrite }),
        );
        if let Err(e) = self.writable() {
            return done(Err(e));
        }
        if images.is_empty() {
            return done(Err(invalid("name at least one image to save")));
        }
        let roots = self.roots;
        let tar = self.docker.model().save(&images);
        done(tar.and_then(|tar| {
            let path = roots.writable(&host_path)?;
            if path.is_dir() {
                return Err(invalid(format!(
                    "`{host_path}` is a directory; give a file name like images.tar"
                )));
            }
            if path.exists() && !overwrite {
                return Err(DockerError::new(
                    ErrorKind::Conflict,
                    format!("`{host_path}` exists; set overwrite to replace it"),
                ));
            }
            std::fs::write(&path, &tar).map_err(|e| io("cannot write the tar", e))?;
            Ok(tar.len() as u64)
        }))
    }

    async fn load(&mut self, host_path: String) -> WitResult<Vec<String>> {
        self.record("images-write", "load", json!({ "host_path": host_path }));
        if let Err(e) = self.writable() {
            return done(Err(e));
        }
        let read = self
            .roots
            .existing(&host_path)
            .map_err(DockerError::from)
            .and_then(|p| {
                if !p.is_file() {
                    return Err(invalid(format!("`{host_path}` is not a file")));
                }
                std::fs::read(&p).map_err(|e| io("cannot open the tar", e))
            });
        done(read.and_then(|tar| self.docker.change(|m| m.load(&tar))))
    }
}

impl g::Host for ModelHost<'_> {
    async fn pull(
        &mut self,
        reference: String,
        platform: Option<String>,
    ) -> WitResult<Resource<Job>> {
        self.record(
            "registry",
            "pull",
            json!({ "reference": reference, "platform": platform }),
        );
        let made = self
            .writable()
            .and_then(|()| self.docker.change(|m| m.pull(&reference)))
            .map(|progress| job(progress, None));
        self.push(made)
    }

    async fn push(&mut self, reference: String) -> WitResult<Resource<Job>> {
        self.record("registry", "push", json!({ "reference": reference }));
        let made = self
            .writable()
            .and_then(|()| self.docker.change(|m| m.push(&reference)))
            .map(|progress| job(progress, None));
        ModelHost::push(self, made)
    }
}

impl b::Host for ModelHost<'_> {
    async fn build(&mut self, req: b::BuildRequest) -> WitResult<Resource<Job>> {
        self.record(
            "images-build",
            "build",
            json!({
                "context_dir": req.context_dir, "dockerfile": req.dockerfile,
                "dockerfile_path": req.dockerfile_path,
                "files": req.files.iter().map(|(p, _)| p).collect::<Vec<_>>(),
                "tags": req.tags, "build_args": req.build_args, "target": req.target,
                "labels": req.labels, "no_cache": req.no_cache, "pull": req.pull,
            }),
        );
        let made = self.writable().and_then(|()| self.build_job(req));
        self.push(made)
    }
}

impl ModelHost<'_> {
    fn build_job(&self, req: b::BuildRequest) -> Result<Job, DockerError> {
        let dir = match req.context_dir.as_deref() {
            Some(d) => {
                let dir = self.roots.existing(d)?;
                if !dir.is_dir() {
                    return Err(invalid(format!("build context `{d}` is not a directory")));
                }
                Some(dir)
            }
            None => None,
        };
        // The same context the real host would send: .dockerignore, inline files and all.
        let packed = crate::docker::build_context::pack(&crate::docker::build_context::Spec {
            dir: dir.as_deref(),
            dockerfile: req.dockerfile.as_deref(),
            dockerfile_path: req.dockerfile_path.as_deref(),
            files: &req.files,
        })?;
        let mut tar = Vec::new();
        let mut file = packed.tar;
        std::io::Read::read_to_end(&mut file, &mut tar)
            .map_err(|e| io("reading the build context", e))?;
        let mut context = Fs::default();
        context.mkdir_p("/");
        context.unpack_into("/", &tar, "build")?;
        let dockerfile = match context.get(&format!("/{}", packed.dockerfile)) {
            Some(crate::mock::model::fs::Node::File { data, .. }) => {
                String::from_utf8_lossy(data).into_owned()
            }
            _ => {
                return Err(invalid(format!(
                    "Cannot locate specified Dockerfile: {}",
                    packed.dockerfile
                )));
            }
        };
        let build_args: BTreeMap<String, String> = req.build_args.into_iter().collect();
        let labels: BTreeMap<String, String> = req.labels.into_iter().collect();
        let sending = Progress::Message(format!(
            "Sending build context: {} entries, {} bytes",
            packed.entries, packed.bytes
        ));
        let (mut progress, result) = self.docker.change(|m| {
            m.build(&BuildSpec {
                dockerfile: &dockerfile,
                context: &context,
                tags: &req.tags,
                build_args: &build_args,
                target: req.target.as_deref(),
                labels: &labels,
            })
        });
        progress.insert(0, sending);
        Ok(job(progress, result.err()))
    }
}
