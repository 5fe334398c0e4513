//! `docker build` with the classic builder's output, on the model: FROM, the metadata
//! instructions, COPY/ADD from the context, and RUN answered like exec (scripts and
//! built-in commands), so a failing step fails the build with the engine's message.

use super::fs::{Fs, Node, normalize as normalize_path};
use super::images::{ImageConfig, Progress};
use super::{ExecRule, HistoryStep, Image, Model, engine, invalid};
use std::collections::BTreeMap;
use std::time::SystemTime;
use wharf_core::engine::DockerError;

pub(crate) struct BuildSpec<'a> {
    pub dockerfile: &'a str,
    pub context: &'a Fs,
    pub tags: &'a [String],
    pub build_args: &'a BTreeMap<String, String>,
    pub target: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
}

/// One stage being built.
struct Stage {
    name: Option<String>,
    image: Image,
    history: Vec<HistoryStep>,
}

/// Instructions with their line continuations joined and comments dropped.
fn instructions(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start = 0;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if pending.is_empty() {
            start = n + 1;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            pending.push_str(body);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let (word, rest) = pending
            .split_once(char::is_whitespace)
            .unwrap_or((&pending, ""));
        out.push((start, word.to_ascii_uppercase(), rest.trim().to_owned()));
        pending.clear();
    }
    out
}

/// `$VAR` and `${VAR}` from the build's variables; unknown ones are empty, as in Docker.
fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if braced && chars.peek() == Some(&'}') {
            chars.next();
        }
        if name.is_empty() {
            out.push('$');
        } else {
            out.push_str(vars.get(&name).map_or("", String::as_str));
        }
    }
    out
}

/// `["a", "b"]` or shell form wrapped in `/bin/sh -c`.
fn command(rest: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(rest) {
        Ok(v) => v,
        Err(_) => vec!["/bin/sh".into(), "-c".into(), rest.to_owned()],
    }
}

/// `k=v k2="v 2"` pairs (or the old `k v` form).
fn pairs(rest: &str) -> Vec<(String, String)> {
    if !rest.contains('=') {
        let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return vec![(k.to_owned(), v.trim().to_owned())];
    }
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_owned(), value));
    }
    out
}

impl Model {
    /// Build; the progress so far, and the error that stopped it if one did.
    pub fn build(&mut self, spec: &BuildSpec<'_>) -> (Vec<Progress>, Result<String, DockerError>) {
        let mut progress = Vec::new();
        let result = self.build_steps(spec, &mut progress);
        (progress, result)
    }

    fn build_steps(
        &mut self,
        spec: &BuildSpec<'_>,
        progress: &mut Vec<Progress>,
    ) -> Result<String, DockerError> {
        let steps = instructions(spec.dockerfile);
        if steps.is_empty() {
            return Err(invalid("the Dockerfile (Dockerfile) cannot be empty"));
        }
        let mut vars: BTreeMap<String, String> = spec.build_args.clone();
        let mut stages: Vec<Stage> = Vec::new();
        let total = steps.len();
        for (n, (line, word, rest)) in steps.iter().enumerate() {
            progress.push(Progress::Message(format!(
                "Step {}/{total} : {word} {rest}",
                n + 1
            )));
            let rest = expand(rest, &vars);
            if word != "FROM" && word != "ARG" && stages.is_empty() {
                return Err(engine(
                    "Please provide a source image with `from` prior to commit",
                ));
            }
            match word.as_str() {
                "FROM" => {
                    let mut parts = rest.split_whitespace();
                    let base = parts.next().unwrap_or_default().to_owned();
                    let name = match (parts.next(), parts.next()) {
                        (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => Some(n.to_owned()),
                        _ => None,
                    };
                    let image = if base == "scratch" {
                        Image::new(
                            "scratch",
                            ImageConfig::default(),
                            None,
                            0,
                            Fs::default(),
                            Vec::new(),
                        )
                    } else if let Some(s) = stages.iter().find(|s| s.name.as_deref() == Some(&base))
                    {
                        s.image.clone()
                    } else {
                        match self.image(&base) {
                            Ok(i) => i.clone(),
                            Err(_) => {
                                self.pull(&base)?;
                                self.image(&base)?.clone()
                            }
                        }
                    };
                    let mut derived = image.clone();
                    derived.parent = Some(image.id.clone());
                    derived.tags.clear();
                    derived.digests.clear();
                    stages.push(Stage {
                        name,
                        history: image.history.clone(),
                        image: derived,
                    });
                }
                "ARG" => {
                    let (k, v) = rest.split_once('=').unwrap_or((&rest, ""));
                    vars.entry(k.trim().to_owned())
                        .or_insert_with(|| v.trim().to_owned());
                }
                _ => {
                    let stage = stages.last_mut().expect("checked above");
                    apply(
                        stage,
                        word,
                        &rest,
                        *line,
                        spec.context,
                        &mut vars,
                        &self.exec_rules,
                        progress,
                    )?;
                }
            }
            let stage = stages.last_mut().expect("a stage exists after FROM");
            stage.history.push(HistoryStep {
                created: SystemTime::now(),
                created_by: format!("/bin/sh -c #(nop) {word} {rest}"),
                size: 0,
                comment: String::new(),
            });
            progress.push(Progress::Message(format!(
                " ---> {}",
                &stage_digest(stage)[..12]
            )));
        }
        let chosen = match spec.target {
            Some(t) => stages
                .iter()
                .position(|s| s.name.as_deref() == Some(t))
                .ok_or_else(|| {
                    invalid(format!("failed to reach build target {t} in Dockerfile"))
                })?,
            None => stages.len() - 1,
        };
        let stage = stages.swap_remove(chosen);
        let mut config = stage.image.config.clone();
        config.labels.extend(spec.labels.clone());
        let size = stage.image.size + stage.image.files.bytes();
        let image = Image::new(
            "",
            config,
            stage.image.parent.clone(),
            size,
            stage.image.files.clone(),
            stage.history,
        );
        let id = image.id.clone();
        let short = image.short_id().to_owned();
        self.add_image(image, spec.tags);
        progress.push(Progress::ImageId(id.clone()));
        progress.push(Progress::Message(format!("Successfully built {short}")));
        for t in spec.tags {
            progress.push(Progress::Message(format!(
                "Successfully tagged {}",
                super::normalize(t)
            )));
            self.record("image", "tag", &id, &[("name", &super::normalize(t))]);
        }
        Ok(id)
    }
}

fn stage_digest(stage: &Stage) -> String {
    use sha2::Digest;
    super::hex(&sha2::Sha256::digest(format!(
        "{:?}{:?}",
        stage.image.config,
        stage.history.len()
    )))
}

#[allow(clippy::too_many_arguments)]
fn apply(
    stage: &mut Stage,
    word: &str,
    rest: &str,
    line: usize,
    context: &Fs,
    vars: &mut BTreeMap<String, String>,
    rules: &[ExecRule],
    progress: &mut Vec<Progress>,
) -> Result<(), DockerError> {
    let config = &mut stage.image.config;
    match word {
        "ENV" => {
            for (k, v) in pairs(rest) {
                config.env.retain(|e| !e.starts_with(&format!("{k}=")));
                config.env.push(format!("{k}={v}"));
                vars.insert(k, v);
            }
        }
        "LABEL" => {
            for (k, v) in pairs(rest) {
                config.labels.insert(k, v);
            }
        }
        "CMD" => config.cmd = command(rest),
        "ENTRYPOINT" => config.entrypoint = command(rest),
        "WORKDIR" => {
            let dir = normalize_path(
                rest,
                if config.working_dir.is_empty() {
                    "/"
                } else {
                    &config.working_dir
                },
            );
            stage.image.files.mkdir_p(&dir);
            config.working_dir = dir;
        }
        "USER" => config.user = rest.to_owned(),
        "EXPOSE" => {
            for p in rest.split_whitespace() {
                let p = if p.contains('/') {
                    p.to_owned()
                } else {
                    format!("{p}/tcp")
                };
                if !config.exposed_ports.contains(&p) {
                    config.exposed_ports.push(p);
                }
            }
        }
        "VOLUME" => {
            let paths = serde_json::from_str::<Vec<String>>(rest)
                .unwrap_or_else(|_| rest.split_whitespace().map(str::to_owned).collect());
            config.volumes.extend(paths);
        }
        "HEALTHCHECK" => {
            config.healthcheck = if rest.eq_ignore_ascii_case("NONE") {
                Some(vec!["NONE".into()])
            } else {
                let cmd = rest
                    .split_once("CMD")
                    .map(|(_, c)| c.trim())
                    .ok_or_else(|| engine(format!("Dockerfile parse error line {line}: Unknown type \"\" in HEALTHCHECK (try CMD)")))?;
                let mut test = vec!["CMD-SHELL".to_owned(), cmd.to_owned()];
                if let Ok(v) = serde_json::from_str::<Vec<String>>(cmd) {
                    test = std::iter::once("CMD".to_owned()).chain(v).collect();
                }
                Some(test)
            };
        }
        "SHELL" | "STOPSIGNAL" | "ONBUILD" | "MAINTAINER" => {}
        "COPY" | "ADD" => {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let Some((dest, sources)) = words.split_last() else {
                return Err(engine(format!(
                    "Dockerfile parse error line {line}: {word} requires at least two arguments"
                )));
            };
            if sources.is_empty() {
                return Err(engine(format!(
                    "Dockerfile parse error line {line}: {word} requires at least two arguments"
                )));
            }
            let cwd = if config.working_dir.is_empty() {
                "/".to_owned()
            } else {
                config.working_dir.clone()
            };
            let dest_dir = dest.ends_with('/') || sources.len() > 1;
            let dest = normalize_path(dest, &cwd);
            for src in sources {
                let from = normalize_path(src, "/");
                match context.get(&from) {
                    None => {
                        return Err(engine(format!(
                            "COPY failed: file not found in build context or excluded by \
                             .dockerignore: stat {}: file does not exist",
                            src.trim_start_matches("./")
                        )));
                    }
                    Some(Node::File { data, mode }) => {
                        let to = if dest_dir || stage.image.files.is_dir(&dest) {
                            format!("{dest}/{}", from.rsplit('/').next().unwrap_or_default())
                        } else {
                            dest.clone()
                        };
                        stage.image.files.write(&to, data.clone(), *mode);
                    }
                    Some(_) => {
                        // A directory's contents are copied, not the directory itself.
                        stage.image.files.mkdir_p(&dest);
                        for (rel, node) in context.walk(&from) {
                            stage
                                .image
                                .files
                                .put(&format!("{dest}/{rel}"), node.clone());
                        }
                    }
                }
            }
        }
        "RUN" => {
            let cmd = command(rest);
            let shown = cmd.join(" ");
            let reply = rules
                .iter()
                .find(|r| r.container.is_none() && cmd.starts_with(&r.cmd))
                .map(|r| r.reply.clone())
                .unwrap_or_else(|| {
                    let cwd = if config.working_dir.is_empty() {
                        "/".to_owned()
                    } else {
                        config.working_dir.clone()
                    };
                    let env = config.env.clone();
                    super::containers::builtin(&mut stage.image.files, &cmd, &cwd, &env)
                });
            for text in [&reply.stdout, &reply.stderr] {
                for l in String::from_utf8_lossy(text).lines() {
                    progress.push(Progress::Message(l.to_owned()));
                }
            }
            if reply.exit_code != 0 {
                return Err(engine(format!(
                    "The command '{shown}' returned a non-zero code: {}",
                    reply.exit_code
                )));
            }
        }
        other => {
            return Err(engine(format!(
                "Dockerfile parse error line {line}: unknown instruction: {other}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_join_continuations_and_skip_comments() {
        let got = instructions("# c\nFROM a\nRUN echo \\\n  hi\n\nlabel x=1");
        assert_eq!(
            got,
            [
                (2, "FROM".to_owned(), "a".to_owned()),
                (3, "RUN".to_owned(), "echo  hi".to_owned()),
                (6, "LABEL".to_owned(), "x=1".to_owned())
            ]
        );
    }

    #[test]
    fn label_pairs_take_quotes() {
        assert_eq!(
            pairs(r#"a=1 b="two words" c"#),
            [
                ("a".into(), "1".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(
            expand(
                "${A}-$B-$C",
                &BTreeMap::from([("A".into(), "x".into()), ("B".into(), "y".into())])
            ),
            "x-y-"
        );
    }
}
