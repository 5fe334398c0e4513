//! The images a project's services run: pulled or built as the call asks, and resolved to
//! the image IDs the config hash covers.

use crate::names::{self, label};
use wharf_compose_project::{Opened, open, project_args};
use wharf_compose_spec::Service;
use wharf_plugin_sdk::docker::images_build::{self, BuildRequest};
use wharf_plugin_sdk::docker::{images_read, registry};
use wharf_plugin_sdk::jobs::{JobKind, follow};
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Output, ToolError, ToolResult};

/// The reference a service's containers run: `image:`, or the image its build makes.
pub fn reference(project: &str, name: &str, s: &Service) -> String {
    s.image
        .clone()
        .unwrap_or_else(|| names::built_image(project, name))
}

/// The local image's ID, or none if the engine does not have it.
pub fn local_id(reference: &str) -> ToolResult<Option<String>> {
    match images_read::inspect(reference) {
        Ok(json) => {
            let v: serde_json::Value = serde_json::from_str(&json)?;
            Ok(v["Id"].as_str().map(str::to_owned))
        }
        Err(e) if e.kind == wharf_plugin_sdk::docker::types::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Pull `reference`, reporting progress.
pub fn pull(reference: &str, ctx: &Context) -> ToolResult<()> {
    let job = registry::pull(reference, None)
        .map_err(|e| ToolError::from(e).context(format!("pull {reference}")))?;
    follow(job, JobKind::Pull, ctx).map_err(|e| e.context(format!("pull {reference}")))?;
    Ok(())
}

/// Build service `name` into `reference`, labelled as the project's so `down` can find the
/// images it built.
pub fn build(
    opened: &Opened,
    name: &str,
    s: &Service,
    reference: &str,
    ctx: &Context,
) -> ToolResult<()> {
    let Some(b) = &s.build else {
        return Err(ToolError::invalid(format!(
            "service {name} has no build section"
        )));
    };
    if b.context.contains("://") || b.context.starts_with("git@") {
        return Err(ToolError::invalid(format!(
            "services.{name}.build.context: remote contexts ({}) are not supported; use a directory",
            b.context
        )));
    }
    let context = if b.context.starts_with('/') {
        b.context.clone()
    } else {
        format!("{}/{}", opened.dir.trim_end_matches('/'), b.context)
    };
    let project = &opened.project().name;
    let job = images_build::build(&BuildRequest {
        context_dir: Some(context),
        dockerfile: None,
        dockerfile_path: b.dockerfile.clone(),
        files: Vec::new(),
        tags: vec![reference.to_owned()],
        build_args: b.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        target: b.target.clone(),
        labels: vec![
            (label::PROJECT.to_owned(), project.clone()),
            (label::SERVICE.to_owned(), name.to_owned()),
        ],
        no_cache: false,
        pull: false,
        platform: None,
    })
    .map_err(|e| ToolError::from(e).context(format!("build {name}")))?;
    follow(job, JobKind::Build, ctx).map_err(|e| e.context(format!("build {name}")))?;
    Ok(())
}

/// What [`ensure`] did to have the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obtained {
    Present,
    Pulled,
    Built,
}

/// Make sure service `name`'s image is there: built when `rebuild` is set or a service with
/// a build section lacks it, pulled when a service without one lacks it. Returns the
/// reference, the image ID and what was done.
pub fn ensure(
    opened: &Opened,
    name: &str,
    s: &Service,
    rebuild: bool,
    ctx: &Context,
) -> ToolResult<(String, String, Obtained)> {
    let reference = reference(&opened.project().name, name, s);
    let mut obtained = Obtained::Present;
    let have = local_id(&reference)?;
    if s.build.is_some() && (rebuild || have.is_none()) {
        build(opened, name, s, &reference, ctx)?;
        obtained = Obtained::Built;
    } else if have.is_none() {
        pull(&reference, ctx)?;
        obtained = Obtained::Pulled;
    }
    let id = match (obtained, have) {
        (Obtained::Present, Some(id)) => id,
        _ => local_id(&reference)?.ok_or_else(|| {
            ToolError::failed(format!(
                "image {reference} is still missing after it was obtained"
            ))
        })?,
    };
    Ok((reference, id, obtained))
}

project_args! {
    pub struct ImagesArgs {
        /// Default: all.
        #[serde(default)]
        pub services: Vec<String>,
    }
}

/// The services a pull or build acts on: the named ones, or all.
fn chosen<'a>(opened: &'a Opened, named: &[String]) -> ToolResult<Vec<(&'a String, &'a Service)>> {
    let p = opened.project();
    for n in named {
        if !p.services.contains_key(n) {
            return Err(ToolError::not_found(format!(
                "no service {n} in project {}",
                p.name
            )));
        }
    }
    Ok(p.services
        .iter()
        .filter(|(n, _)| named.is_empty() || named.contains(n))
        .collect())
}

/// `compose_pull`: pull the images of services that run one (built ones are skipped).
pub fn compose_pull(a: ImagesArgs, ctx: &Context) -> ToolResult<Output> {
    let opened = open(&a.source())?;
    let mut lines = Vec::new();
    for (name, s) in chosen(&opened, &a.services)? {
        match &s.image {
            Some(image) if s.build.is_none() => {
                pull(image, ctx)?;
                lines.push(format!("{name}: pulled {image}"));
            }
            _ => lines.push(format!("{name}: built, not pulled")),
        }
    }
    Ok(Output::text(format!(
        "project {}\n{}\n",
        opened.project().name,
        lines.join("\n")
    )))
}

/// `compose_build`: build the images of services with a build section.
pub fn compose_build(a: ImagesArgs, ctx: &Context) -> ToolResult<Output> {
    let opened = open(&a.source())?;
    let project = opened.project().name.clone();
    let mut lines = Vec::new();
    for (name, s) in chosen(&opened, &a.services)? {
        if s.build.is_none() {
            lines.push(format!("{name}: no build section"));
            continue;
        }
        let image = reference(&project, name, s);
        build(&opened, name, s, &image, ctx)?;
        let id = local_id(&image)?.unwrap_or_default();
        lines.push(format!("{name}: built {image} ({})", short_id(&id)));
    }
    Ok(Output::text(format!(
        "project {project}\n{}\n",
        lines.join("\n")
    )))
}
