//! `docker stats`: usage computed from the engine's samples exactly as the docker CLI does.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use wharf_plugin_sdk::docker::containers_read::{self, StatsStream};
use wharf_plugin_sdk::text::human_bytes;
use wharf_plugin_sdk::{Context, Filters, Output, ToolError, ToolResult};

/// More would make the table longer than a model wants to read.
const MAX_CONTAINERS: usize = 30;
const MAX_SECONDS: u32 = 60;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsArgs {
    /// Default: every running one, up to 30.
    #[serde(default)]
    containers: Vec<String>,
    /// Sample 1-60 s for average and peak CPU (default: one reading).
    #[serde(default)]
    seconds: Option<u32>,
}

/// One reading, in the CLI's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub name: String,
    pub cpu_percent: f64,
    pub mem_used: u64,
    pub mem_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub blk_read: u64,
    pub blk_write: u64,
    pub pids: u64,
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// CPU % as `docker stats`: the container's share of the host's CPU time since the previous
/// sample, times the number of CPUs.
fn cpu_percent(s: &Value) -> f64 {
    let cpu = &s["cpu_stats"];
    let pre = &s["precpu_stats"];
    let cpu_delta =
        u(&cpu["cpu_usage"]["total_usage"]) as f64 - u(&pre["cpu_usage"]["total_usage"]) as f64;
    let system_delta = u(&cpu["system_cpu_usage"]) as f64 - u(&pre["system_cpu_usage"]) as f64;
    let cpus = match u(&cpu["online_cpus"]) {
        0 => cpu["cpu_usage"]["percpu_usage"]
            .as_array()
            .map_or(0, Vec::len) as f64,
        n => n as f64,
    };
    if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    }
}

/// Memory in use without the page cache, as the CLI counts it (cgroup v1 and v2).
fn mem_used(m: &Value) -> u64 {
    let usage = u(&m["usage"]);
    let stats = &m["stats"];
    if let Some(v) = stats["total_inactive_file"].as_u64().filter(|v| *v < usage) {
        return usage - v;
    }
    if let Some(v) = stats["inactive_file"].as_u64().filter(|v| *v < usage) {
        return usage - v;
    }
    usage
}

fn blkio(s: &Value, op: &str) -> u64 {
    s["blkio_stats"]["io_service_bytes_recursive"]
        .as_array()
        .map_or(0, |entries| {
            entries
                .iter()
                .filter(|e| e["op"].as_str().is_some_and(|o| o.eq_ignore_ascii_case(op)))
                .map(|e| u(&e["value"]))
                .sum()
        })
}

pub fn reading(s: &Value) -> Reading {
    let nets = s["networks"].as_object();
    let net = |key: &str| nets.map_or(0, |n| n.values().map(|i| u(&i[key])).sum());
    Reading {
        name: s["name"]
            .as_str()
            .unwrap_or("?")
            .trim_start_matches('/')
            .to_owned(),
        cpu_percent: cpu_percent(s),
        mem_used: mem_used(&s["memory_stats"]),
        mem_limit: u(&s["memory_stats"]["limit"]),
        net_rx: net("rx_bytes"),
        net_tx: net("tx_bytes"),
        blk_read: blkio(s, "read"),
        blk_write: blkio(s, "write"),
        pids: u(&s["pids_stats"]["current"]),
    }
}

fn next(stream: &StatsStream, container: &str) -> ToolResult<Value> {
    let sample = stream
        .next()
        .map_err(|e| ToolError::from(e).context(container))?
        .ok_or_else(|| {
            ToolError::failed(format!(
                "{container}: the engine sent no stats (is it running?)"
            ))
        })?;
    Ok(serde_json::from_str(&sample)?)
}

pub fn container_stats(a: StatsArgs, ctx: &Context) -> ToolResult<Output> {
    let seconds = a.seconds.unwrap_or(0);
    if seconds > MAX_SECONDS {
        return Err(ToolError::invalid(format!(
            "seconds: at most {MAX_SECONDS}"
        )));
    }
    let mut names = a.containers;
    let mut more = 0;
    if names.is_empty() {
        let running = containers_read::list(
            false,
            None,
            Filters::new().opt("status", Some("running")).as_slice(),
        )?;
        names = running
            .into_iter()
            .filter_map(|c| c.names.into_iter().next())
            .collect();
        if names.is_empty() {
            return Ok(Output::text("No running containers."));
        }
    }
    if names.len() > MAX_CONTAINERS {
        more = names.len() - MAX_CONTAINERS;
        names.truncate(MAX_CONTAINERS);
    }
    // Open every stream first: the engine then samples all containers at once.
    let streams = names
        .iter()
        .map(|n| containers_read::stats(n, seconds > 0).map_err(|e| ToolError::from(e).context(n)))
        .collect::<ToolResult<Vec<_>>>()?;
    let mut rows = Vec::new();
    for (name, stream) in names.iter().zip(&streams) {
        let first = reading(&next(stream, name)?);
        // A stream's first sample has nothing before it, so its CPU is not a reading;
        // when sampling, the average and peak come from the samples after it.
        let cpu = if seconds > 0 { 0.0 } else { first.cpu_percent };
        rows.push((first, cpu, cpu));
    }
    for second in 1..=seconds {
        if ctx.cancelled() {
            return Err(ToolError::cancelled());
        }
        ctx.progress(u64::from(second), Some(u64::from(seconds)), "sampling");
        for (row, stream) in rows.iter_mut().zip(&streams) {
            let r = reading(&next(stream, &row.0.name)?);
            row.1 += r.cpu_percent;
            row.2 = row.2.max(r.cpu_percent);
            row.0 = r;
        }
    }
    let samples = f64::from(seconds.max(1));
    let mut text = if seconds > 0 {
        format!(
            "over {seconds}s:\nNAME | CPU % avg/peak | MEM USAGE / LIMIT | MEM % | NET I/O | BLOCK I/O | PIDS\n"
        )
    } else {
        String::from("NAME | CPU % | MEM USAGE / LIMIT | MEM % | NET I/O | BLOCK I/O | PIDS\n")
    };
    for (r, cpu_sum, cpu_peak) in &rows {
        let cpu = if seconds > 0 {
            format!("{:.2}/{:.2}", cpu_sum / samples, cpu_peak)
        } else {
            format!("{:.2}", r.cpu_percent)
        };
        let mem_pct = if r.mem_limit > 0 {
            r.mem_used as f64 / r.mem_limit as f64 * 100.0
        } else {
            0.0
        };
        text.push_str(&format!(
            "{} | {cpu} | {} / {} | {mem_pct:.2} | {} / {} | {} / {} | {}\n",
            r.name,
            human_bytes(r.mem_used),
            human_bytes(r.mem_limit),
            human_bytes(r.net_rx),
            human_bytes(r.net_tx),
            human_bytes(r.blk_read),
            human_bytes(r.blk_write),
            r.pids
        ));
    }
    if more > 0 {
        text.push_str(&format!(
            "({more} more running containers not shown; name them)\n"
        ));
    }
    Ok(Output::text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readings_follow_the_cli() {
        let s = json!({
            "name": "/web",
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000}, "system_cpu_usage": 20_000_000, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 10_000_000},
            "memory_stats": {"usage": 100, "limit": 1000, "stats": {"inactive_file": 40}},
            "networks": {"eth0": {"rx_bytes": 5, "tx_bytes": 7}, "eth1": {"rx_bytes": 1, "tx_bytes": 1}},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"op": "Read", "value": 10}, {"op": "Write", "value": 20}, {"op": "read", "value": 1}
            ]},
            "pids_stats": {"current": 3}
        });
        let r = reading(&s);
        assert_eq!(r.name, "web");
        assert!((r.cpu_percent - 40.0).abs() < 1e-9, "{}", r.cpu_percent);
        assert_eq!((r.mem_used, r.mem_limit), (60, 1000));
        assert_eq!((r.net_rx, r.net_tx), (6, 8));
        assert_eq!((r.blk_read, r.blk_write), (11, 20));
        assert_eq!(r.pids, 3);
        // The first sample of a stream has no previous one: 0%, not nonsense.
        assert_eq!(
            cpu_percent(&json!({"cpu_stats": {}, "precpu_stats": {}})),
            0.0
        );
    }
}
