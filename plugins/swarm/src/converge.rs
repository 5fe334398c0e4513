//! Waiting for a service to converge: its tasks running, as many as it asks for, and its
//! rolling update (if one was started) finished. Progress is reported as tasks start; a
//! paused update or a task that keeps failing is reported with the engine's reason.

use crate::rows::{self, text};
use serde_json::Value;
use std::time::{Duration, Instant};
use wharf_plugin_sdk::docker::swarm_read;
use wharf_plugin_sdk::{Context, Filters, ToolError, ToolResult};

const POLL: Duration = Duration::from_millis(500);
/// Converged must hold this long: a task that starts and crashes at once is not converged.
const STABLE: Duration = Duration::from_secs(1);
pub const DEFAULT_WAIT_SECS: u32 = 60;
pub const MAX_WAIT_SECS: u32 = 600;

/// What the caller waits for.
pub struct Goal {
    pub service: String,
    /// An update (or rollback) was started: wait for its end too. The engine's
    /// `UpdateStatus.StartedAt` before the change tells the new update from an old one.
    pub update_from: Option<Option<String>>,
    /// The change is a rollback the caller asked for, so `rollback_completed` is success.
    pub rollback: bool,
}

/// One look at the service and its tasks.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub running: u64,
    /// Running tasks of the service's current task template: an update's progress.
    pub current: u64,
    pub wanted: u64,
    /// Tasks the swarm wants running that are not running yet.
    pub pending: u64,
    /// The update's state (updating, paused, completed, rollback_started, ...), if any.
    pub update: Option<String>,
    pub update_started: Option<String>,
    pub update_message: String,
    /// The newest error of a failed or rejected task.
    pub last_error: Option<String>,
}

impl Snapshot {
    pub fn read(service: &Value, tasks: &[Value]) -> Snapshot {
        let desired: Vec<&Value> = tasks
            .iter()
            .filter(|t| t["DesiredState"] == "running")
            .collect();
        let running: Vec<&&Value> = desired
            .iter()
            .filter(|t| t["Status"]["State"] == "running")
            .collect();
        let template = &service["Spec"]["TaskTemplate"];
        let current = running
            .iter()
            .filter(|t| same_template(&t["Spec"], template))
            .count() as u64;
        let running = running.len() as u64;
        let wanted = match rows::replicas(&service["Spec"]) {
            Some(n) => n,
            // Global: one per eligible node, which is what the swarm scheduled.
            None => desired.len() as u64,
        };
        let mut failed: Vec<&Value> = tasks
            .iter()
            .filter(|t| {
                matches!(text(&t["Status"]["State"]), "failed" | "rejected")
                    && !text(&t["Status"]["Err"]).is_empty()
            })
            .collect();
        failed.sort_by_key(|t| text(&t["Status"]["Timestamp"]).to_owned());
        let u = &service["UpdateStatus"];
        Snapshot {
            running,
            current,
            wanted,
            pending: desired.len() as u64 - running,
            update: u["State"].as_str().map(str::to_owned),
            update_started: u["StartedAt"].as_str().map(str::to_owned),
            update_message: text(&u["Message"]).to_owned(),
            last_error: failed.last().map(|t| text(&t["Status"]["Err"]).to_owned()),
        }
    }

    /// Whether the update the goal started is over (successfully or not). A service with
    /// no task to replace gets no update status at all, so its update is over at once.
    fn update_over(&self, goal: &Goal) -> bool {
        match &goal.update_from {
            None => true,
            Some(_) if self.wanted == 0 && self.pending == 0 && self.update.is_none() => true,
            Some(before) => {
                self.update_started != *before
                    && matches!(
                        self.update.as_deref(),
                        Some("completed" | "rollback_completed" | "paused" | "rollback_paused")
                    )
            }
        }
    }

    fn converged(&self, goal: &Goal) -> bool {
        self.update_over(goal) && self.running == self.wanted && self.pending == 0
    }

    pub fn describe(&self) -> String {
        let mut s = format!("{}/{} running", self.running, self.wanted);
        if let Some(e) = &self.last_error {
            s.push_str(&format!("; last task error: {e}"));
        }
        s
    }
}

fn look(service: &str) -> ToolResult<Snapshot> {
    let svc: Value = serde_json::from_str(&swarm_read::inspect_service(service)?)?;
    let filters = Filters::new().opt("service", Some(service));
    let tasks = rows::array(&swarm_read::list_tasks(filters.as_slice())?)?;
    Ok(Snapshot::read(&svc, &tasks))
}

/// Whether a task was made from `template`. A task's spec is the service's task template
/// as it was when the task was made, less the `Runtime` the engine fills in.
fn same_template(task_spec: &Value, template: &Value) -> bool {
    template.as_object().is_some_and(|t| {
        t.iter()
            .filter(|(k, _)| k.as_str() != "Runtime")
            .all(|(k, v)| task_spec.get(k) == Some(v))
    })
}

/// Wait for `goal`, at most `wait_secs`, reporting each look as progress. The text says how
/// it ended; an update the swarm paused or rolled back is an error, as is running out of
/// time.
pub fn wait(goal: &Goal, wait_secs: u32, ctx: &Context) -> ToolResult<String> {
    let limit = Duration::from_secs(u64::from(wait_secs.min(MAX_WAIT_SECS)));
    let deadline = Instant::now() + limit;
    wait_until(goal, deadline, ctx, &mut |s| {
        // Progress only grows: an update counts tasks replaced, anything else tasks started.
        if goal.update_from.is_some() {
            let message = format!("{}/{} updated; {}", s.current, s.wanted, s.describe());
            ctx.progress(s.current, Some(s.wanted), &message);
        } else {
            ctx.progress(s.running, Some(s.wanted), &s.describe());
        }
    })
}

/// [`wait`] until `deadline`, handing each look to `report`.
pub fn wait_until(
    goal: &Goal,
    deadline: Instant,
    ctx: &Context,
    report: &mut dyn FnMut(&Snapshot),
) -> ToolResult<String> {
    let start = Instant::now();
    let mut stable_since: Option<Instant> = None;
    loop {
        let s = look(&goal.service)?;
        report(&s);
        if goal.update_from.is_some() && s.update_over(goal) {
            match s.update.as_deref() {
                Some("paused" | "rollback_paused") => {
                    return Err(ToolError::failed(format!(
                        "the swarm paused the update: {} ({})",
                        s.update_message,
                        s.describe()
                    )));
                }
                Some("rollback_completed") if !goal.rollback => {
                    return Err(ToolError::failed(format!(
                        "the update failed and the swarm rolled it back: {} ({})",
                        s.update_message,
                        s.describe()
                    )));
                }
                _ => {}
            }
        }
        if s.converged(goal) {
            let since = *stable_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= STABLE {
                return Ok(format!(
                    "{}/{} running (converged in {:.1} s)",
                    s.running,
                    s.wanted,
                    start.elapsed().as_secs_f64()
                ));
            }
        } else {
            stable_since = None;
        }
        if Instant::now() >= deadline {
            return Err(ToolError::new(
                wharf_plugin_sdk::ErrorKind::Timeout,
                format!(
                    "not converged after {} s: {}; service_tasks shows each task's state \
                     (the swarm keeps trying)",
                    start.elapsed().as_secs(),
                    s.describe()
                ),
            ));
        }
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(desired: &str, state: &str, err: &str, ts: &str) -> Value {
        json!({"DesiredState": desired, "Status": {"State": state, "Err": err, "Timestamp": ts}})
    }

    #[test]
    fn replicated_services_converge_when_every_replica_runs() {
        let svc = json!({"Spec": {"Mode": {"Replicated": {"Replicas": 2}}}});
        let goal = Goal {
            service: "web".into(),
            update_from: None,
            rollback: false,
        };
        let half = Snapshot::read(
            &svc,
            &[
                task("running", "running", "", "1"),
                task("running", "preparing", "", "2"),
                task("shutdown", "failed", "no such image", "3"),
            ],
        );
        assert_eq!((half.running, half.wanted, half.pending), (1, 2, 1));
        assert!(!half.converged(&goal));
        assert_eq!(
            half.describe(),
            "1/2 running; last task error: no such image"
        );
        let all = Snapshot::read(
            &svc,
            &[
                task("running", "running", "", "1"),
                task("running", "running", "", "2"),
            ],
        );
        assert!(all.converged(&goal));
    }

    #[test]
    fn an_update_counts_the_tasks_made_from_the_new_template() {
        let svc = json!({"Spec": {"Mode": {"Replicated": {"Replicas": 2}},
            "TaskTemplate": {"ContainerSpec": {"Image": "app:2"}, "ForceUpdate": 0, "Runtime": "container"}}});
        let made = |image: &str| {
            json!({"DesiredState": "running", "Status": {"State": "running"},
                   "Spec": {"ContainerSpec": {"Image": image}, "ForceUpdate": 0}})
        };
        let s = Snapshot::read(&svc, &[made("app:1"), made("app:2")]);
        assert_eq!((s.running, s.current, s.wanted), (2, 1, 2));
    }

    #[test]
    fn an_update_converges_only_once_the_new_update_is_over() {
        let before = Some("2026-01-01T00:00:00Z".to_owned());
        let goal = Goal {
            service: "web".into(),
            update_from: Some(before.clone()),
            rollback: false,
        };
        let tasks = [task("running", "running", "", "1")];
        let svc = |state: &str, started: &str| {
            json!({"Spec": {"Mode": {"Replicated": {"Replicas": 1}}},
                   "UpdateStatus": {"State": state, "StartedAt": started}})
        };
        // The old update's status, before the engine records the new one.
        let old = Snapshot::read(&svc("completed", "2026-01-01T00:00:00Z"), &tasks);
        assert!(!old.converged(&goal));
        let going = Snapshot::read(&svc("updating", "2026-01-02T00:00:00Z"), &tasks);
        assert!(!going.converged(&goal));
        let done = Snapshot::read(&svc("completed", "2026-01-02T00:00:00Z"), &tasks);
        assert!(done.converged(&goal));
        // A service that never had an update, updated for the first time.
        let first = Goal {
            service: "web".into(),
            update_from: Some(None),
            rollback: false,
        };
        assert!(done.converged(&first));
        // Scaled to nothing: the swarm records no update, and there is nothing to wait for.
        let none = json!({"Spec": {"Mode": {"Replicated": {"Replicas": 0}}}});
        assert!(Snapshot::read(&none, &[]).converged(&goal));
    }

    #[test]
    fn global_services_want_what_the_swarm_scheduled() {
        let svc = json!({"Spec": {"Mode": {"Global": {}}}});
        let s = Snapshot::read(
            &svc,
            &[
                task("running", "running", "", "1"),
                task("shutdown", "complete", "", "0"),
            ],
        );
        assert_eq!((s.running, s.wanted), (1, 1));
    }
}
