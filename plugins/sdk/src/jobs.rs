//! Following a long engine operation (pull, push, build) to its end: progress for the client
//! on the way, a short summary at the end, and a short error if it fails.
//!
//! Progress values only grow, as MCP requires: bytes transferred for a pull, layers done for
//! a push, the step number for a build.

use crate::bindings::wharf::docker::types::{Job, JobEvent, LayerProgress};
use crate::text::{human_bytes, truncate, untrusted};
use crate::{Context, ToolError, ToolResult};
use std::collections::{BTreeMap, VecDeque};

/// Build output lines kept for an error report: enough to see what failed, short enough for a
/// model's context.
const TAIL_LINES: usize = 8;
const LINE_BYTES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Pull,
    Push,
    Build,
}

/// What a finished job did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The built image's ID (build).
    pub image_id: Option<String>,
    /// The digest the registry reported (pull, push).
    pub digest: Option<String>,
    /// The engine's closing status, e.g. "Downloaded newer image for x" (pull).
    pub status: Option<String>,
    /// Layers transferred, and layers the other side already had.
    pub layers_transferred: usize,
    pub layers_present: usize,
    /// Bytes transferred, where the engine reported sizes.
    pub bytes: u64,
    /// Build steps run.
    pub steps: u64,
}

#[derive(Debug, Default)]
struct Layer {
    size: Option<u64>,
    transferred: u64,
    done: bool,
    present: bool,
}

/// The running tally of a job's events.
#[derive(Debug)]
struct Tally {
    kind: JobKind,
    layers: BTreeMap<String, Layer>,
    pushed: usize,
    present: usize,
    step: Option<(u64, u64)>,
    tail: VecDeque<String>,
    summary: Summary,
}

impl Tally {
    fn new(kind: JobKind) -> Self {
        Tally {
            kind,
            layers: BTreeMap::new(),
            pushed: 0,
            present: 0,
            step: None,
            tail: VecDeque::new(),
            summary: Summary::default(),
        }
    }

    /// Take one event in; the progress to report, if it advanced.
    fn take(&mut self, event: JobEvent) -> Option<(u64, Option<u64>, String)> {
        match event {
            JobEvent::Layer(l) => self.layer(l),
            JobEvent::Message(m) => self.message(m),
            JobEvent::ImageId(id) => {
                self.summary.image_id = Some(id);
                None
            }
        }
    }

    fn layer(&mut self, l: LayerProgress) -> Option<(u64, Option<u64>, String)> {
        let layer = self.layers.entry(l.id).or_default();
        match l.status.as_str() {
            "Downloading" | "Pushing" => {
                layer.transferred = l.current.unwrap_or(layer.transferred);
                layer.size = l.total.or(layer.size);
            }
            "Already exists" | "Layer already exists" => {
                layer.done = true;
                layer.present = true;
            }
            s if s.starts_with("Download complete")
                || s.starts_with("Verifying")
                || s.starts_with("Extracting")
                || s.starts_with("Pull complete")
                || s.starts_with("Pushed")
                || s.starts_with("Mounted from") =>
            {
                if let Some(size) = layer.size {
                    layer.transferred = size;
                }
                layer.done |= s.starts_with("Pull complete")
                    || s.starts_with("Pushed")
                    || s.starts_with("Mounted from");
            }
            _ => return None,
        }
        let bytes: u64 = self.layers.values().map(|l| l.transferred).sum();
        let total: u64 = self.layers.values().filter_map(|l| l.size).sum();
        let done = self.layers.values().filter(|l| l.done).count();
        let message = format!(
            "{done}/{} layers, {} of {}",
            self.layers.len(),
            human_bytes(bytes),
            human_bytes(total.max(bytes))
        );
        Some((bytes, (total > 0).then_some(total.max(bytes)), message))
    }

    fn message(&mut self, m: String) -> Option<(u64, Option<u64>, String)> {
        let line = truncate(&m, LINE_BYTES).0.to_owned();
        if let Some(d) = m.strip_prefix("Digest: ") {
            self.summary.digest = Some(d.trim().to_owned());
        } else if let Some(s) = m.strip_prefix("Status: ") {
            self.summary.status = Some(s.trim().to_owned());
        } else if let Some(i) = m.find(": digest: ") {
            // A push ends with "TAG: digest: sha256:... size: N".
            let rest = &m[i + ": digest: ".len()..];
            self.summary.digest = rest.split_whitespace().next().map(str::to_owned);
        }
        match self.kind {
            JobKind::Push => {
                // The engine's push messages carry no layer id in bollard's model; count
                // completions instead of bytes.
                if m.starts_with("Pushed") || m.starts_with("Mounted from") {
                    self.pushed += 1;
                } else if m.starts_with("Layer already exists") {
                    self.present += 1;
                } else {
                    return None;
                }
                let done = (self.pushed + self.present) as u64;
                Some((done, None, format!("{done} layers done")))
            }
            JobKind::Build => {
                // The builder's own bookkeeping says nothing about why a step failed.
                let chatter = m.starts_with(" ---> ") || m.starts_with("Removing intermediate");
                if !chatter {
                    if self.tail.len() == TAIL_LINES {
                        self.tail.pop_front();
                    }
                    self.tail.push_back(line.clone());
                }
                let step = parse_step(&m)?;
                self.step = Some(step);
                Some((step.0, Some(step.1), line))
            }
            JobKind::Pull => None,
        }
    }

    fn finish(mut self) -> Summary {
        self.summary.layers_transferred = match self.kind {
            JobKind::Push => self.pushed,
            _ => self
                .layers
                .values()
                .filter(|l| l.done && !l.present)
                .count(),
        };
        self.summary.layers_present = match self.kind {
            JobKind::Push => self.present,
            _ => self.layers.values().filter(|l| l.present).count(),
        };
        self.summary.bytes = self.layers.values().map(|l| l.transferred).sum();
        self.summary.steps = self.step.map_or(0, |s| s.0);
        self.summary
    }
}

/// "Step 3/7 : RUN make" (dockerd's builder) or "STEP 3/7: RUN make" (buildah, behind
/// Podman) as (3, 7).
fn parse_step(line: &str) -> Option<(u64, u64)> {
    let rest = line
        .strip_prefix("Step ")
        .or_else(|| line.strip_prefix("STEP "))?;
    let (n, rest) = rest.split_once('/')?;
    let total = rest.split(|c: char| c.is_whitespace() || c == ':').next()?;
    Some((n.parse().ok()?, total.parse().ok()?))
}

/// Read `job` to its end, reporting progress through `ctx`. A cancelled call drops the job,
/// which stops the engine's operation.
pub fn follow(job: Job, kind: JobKind, ctx: &Context) -> ToolResult<Summary> {
    let mut tally = Tally::new(kind);
    loop {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        match job.next() {
            Ok(Some(event)) => {
                if let Some((done, total, message)) = tally.take(event) {
                    ctx.progress(done, total, &message);
                }
            }
            Ok(None) => return Ok(tally.finish()),
            Err(e) => {
                let mut error = ToolError::from(e);
                if kind == JobKind::Build && !tally.tail.is_empty() {
                    // Build output comes from the Dockerfile's commands: data, not
                    // instructions.
                    let tail: Vec<&str> = tally.tail.iter().map(String::as_str).collect();
                    error.message = format!(
                        "{}\nlast build output:\n{}",
                        error.message,
                        untrusted("build", &tail.join("\n"))
                    );
                }
                return Err(error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(id: &str, status: &str, current: Option<u64>, total: Option<u64>) -> JobEvent {
        JobEvent::Layer(LayerProgress {
            id: id.into(),
            status: status.into(),
            current,
            total,
        })
    }

    #[test]
    fn a_pull_reports_growing_bytes_and_sums_up() {
        let mut t = Tally::new(JobKind::Pull);
        assert_eq!(t.take(layer("a", "Pulling fs layer", None, None)), None);
        t.take(layer("b", "Already exists", None, None));
        let p = t.take(layer("a", "Downloading", Some(500), Some(2000)));
        assert_eq!(p.map(|p| (p.0, p.1)), Some((500, Some(2000))));
        let p = t.take(layer("a", "Download complete", None, None)).unwrap();
        assert_eq!((p.0, p.1), (2000, Some(2000)));
        let p = t
            .take(layer("a", "Extracting", Some(10), Some(2000)))
            .unwrap();
        assert_eq!(p.0, 2000, "extraction does not move transfer progress back");
        let p = t.take(layer("a", "Pull complete", None, None)).unwrap();
        assert_eq!(p.2, "2/2 layers, 2kB of 2kB");
        t.take(JobEvent::Message("Digest: sha256:abc".into()));
        t.take(JobEvent::Message(
            "Status: Downloaded newer image for x".into(),
        ));
        let s = t.finish();
        assert_eq!(s.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(s.status.as_deref(), Some("Downloaded newer image for x"));
        assert_eq!(
            (s.layers_transferred, s.layers_present, s.bytes),
            (1, 1, 2000)
        );
    }

    #[test]
    fn a_push_counts_layers_and_finds_the_digest() {
        let mut t = Tally::new(JobKind::Push);
        assert_eq!(t.take(JobEvent::Message("Preparing".into())), None);
        assert_eq!(t.take(JobEvent::Message("Pushed".into())).unwrap().0, 1);
        assert_eq!(
            t.take(JobEvent::Message("Layer already exists".into()))
                .unwrap()
                .0,
            2
        );
        t.take(JobEvent::Message("v1: digest: sha256:def size: 527".into()));
        let s = t.finish();
        assert_eq!(s.digest.as_deref(), Some("sha256:def"));
        assert_eq!((s.layers_transferred, s.layers_present), (1, 1));
    }

    #[test]
    fn a_build_reports_steps_and_keeps_a_short_tail() {
        let mut t = Tally::new(JobKind::Build);
        let p = t.take(JobEvent::Message("Step 2/5 : RUN make".into()));
        assert_eq!(p, Some((2, Some(5), "Step 2/5 : RUN make".to_owned())));
        for i in 0..20 {
            assert_eq!(t.take(JobEvent::Message(format!("line {i}"))), None);
        }
        t.take(JobEvent::Message(" ---> Running in 0123".into()));
        t.take(JobEvent::Message(
            "Removing intermediate container 0123".into(),
        ));
        assert_eq!(t.tail.len(), TAIL_LINES);
        assert_eq!(t.tail.back().map(String::as_str), Some("line 19"));
        t.take(JobEvent::ImageId("sha256:1".into()));
        let s = t.finish();
        assert_eq!((s.steps, s.image_id.as_deref()), (2, Some("sha256:1")));
        assert_eq!(parse_step("Step 10/12 : COPY . ."), Some((10, 12)));
        assert_eq!(parse_step("STEP 2/2: RUN echo built > /b"), Some((2, 2)));
        assert_eq!(parse_step("Stepping"), None);
    }
}
