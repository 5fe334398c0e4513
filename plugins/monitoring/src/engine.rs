//! The engine as a whole: information and disk usage.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use wharf_plugin_sdk::docker::system;
use wharf_plugin_sdk::text::{human_bytes, short_id};
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("?")
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

pub fn system_info(_: NoArgs, _: &Context) -> ToolResult<Output> {
    let info: Value = serde_json::from_str(&system::info()?)?;
    let version: Value = serde_json::from_str(&system::version()?)?;
    // Podman's Docker-compatible API says what it is in its components; its top-level
    // Version is Podman's own.
    let podman = version["Components"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["Name"] == "Podman Engine");
    let mut text = format!(
        "engine: {} {} (API {}, min {}), {}/{}\n\
         host: {} ({}), kernel {}, {} CPUs, {} memory\n\
         storage: {} at {}\n\
         containers: {} ({} running, {} paused, {} stopped)\n\
         images: {}\n",
        if podman { "Podman" } else { "Docker" },
        s(&version, "Version"),
        s(&version, "ApiVersion"),
        s(&version, "MinAPIVersion"),
        s(&version, "Os"),
        s(&version, "Arch"),
        s(&info, "Name"),
        s(&info, "OperatingSystem"),
        s(&info, "KernelVersion"),
        n(&info, "NCPU"),
        human_bytes(n(&info, "MemTotal")),
        s(&info, "Driver"),
        s(&info, "DockerRootDir"),
        n(&info, "Containers"),
        n(&info, "ContainersRunning"),
        n(&info, "ContainersPaused"),
        n(&info, "ContainersStopped"),
        n(&info, "Images"),
    );
    if let Some(warnings) = info["Warnings"].as_array().filter(|w| !w.is_empty()) {
        text.push_str("warnings:\n");
        for w in warnings.iter().filter_map(Value::as_str) {
            text.push_str(&format!("- {w}\n"));
        }
    }
    Ok(Output::text(text))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskUsageArgs {
    /// Also the 10 largest images, containers, volumes.
    #[serde(default)]
    verbose: bool,
}

/// One `docker system df` row.
#[derive(Debug, Default, PartialEq)]
struct Usage {
    total: usize,
    active: usize,
    size: u64,
    reclaimable: u64,
}

fn arr(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

/// Sizes the engine reports as -1 when it did not compute them.
fn size(v: &Value, key: &str) -> u64 {
    v[key].as_i64().filter(|n| *n >= 0).unwrap_or(0) as u64
}

/// The four rows: given by engines from API 1.52 on, else computed as the docker CLI
/// computes them from the objects.
fn usage(df: &Value) -> [(&'static str, Usage); 4] {
    if df["ImageUsage"].is_object() {
        let row = |key: &str| {
            let u = &df[key];
            Usage {
                total: u["TotalCount"].as_u64().unwrap_or(0) as usize,
                active: u["ActiveCount"].as_u64().unwrap_or(0) as usize,
                size: size(u, "TotalSize"),
                reclaimable: size(u, "Reclaimable"),
            }
        };
        return [
            ("images", row("ImageUsage")),
            ("containers", row("ContainerUsage")),
            ("volumes", row("VolumeUsage")),
            ("build cache", row("BuildCacheUsage")),
        ];
    }
    let images = arr(df, "Images");
    let layers = size(df, "LayersSize");
    let used: u64 = images
        .iter()
        .filter(|i| i["Containers"].as_i64().unwrap_or(0) > 0)
        .map(|i| size(i, "Size").saturating_sub(size(i, "SharedSize")))
        .sum();
    let images_row = Usage {
        total: images.len(),
        active: images
            .iter()
            .filter(|i| i["Containers"].as_i64().unwrap_or(0) > 0)
            .count(),
        size: layers,
        reclaimable: layers.saturating_sub(used),
    };
    let containers = arr(df, "Containers");
    let running = |c: &Value| c["State"] == "running";
    let containers_row = Usage {
        total: containers.len(),
        active: containers.iter().filter(|c| running(c)).count(),
        size: containers.iter().map(|c| size(c, "SizeRw")).sum(),
        reclaimable: containers
            .iter()
            .filter(|c| !running(c))
            .map(|c| size(c, "SizeRw"))
            .sum(),
    };
    let volumes = arr(df, "Volumes");
    let in_use = |v: &Value| v["UsageData"]["RefCount"].as_i64().unwrap_or(0) > 0;
    let volumes_row = Usage {
        total: volumes.len(),
        active: volumes.iter().filter(|v| in_use(v)).count(),
        size: volumes.iter().map(|v| size(&v["UsageData"], "Size")).sum(),
        reclaimable: volumes
            .iter()
            .filter(|v| !in_use(v))
            .map(|v| size(&v["UsageData"], "Size"))
            .sum(),
    };
    let cache = arr(df, "BuildCache");
    let cache_row = Usage {
        total: cache.len(),
        active: cache.iter().filter(|c| c["InUse"] == true).count(),
        size: cache
            .iter()
            .filter(|c| c["Shared"] != true)
            .map(|c| size(c, "Size"))
            .sum(),
        reclaimable: cache
            .iter()
            .filter(|c| c["Shared"] != true && c["InUse"] != true)
            .map(|c| size(c, "Size"))
            .sum(),
    };
    [
        ("images", images_row),
        ("containers", containers_row),
        ("volumes", volumes_row),
        ("build cache", cache_row),
    ]
}

pub fn disk_usage(a: DiskUsageArgs, _: &Context) -> ToolResult<Output> {
    let df: Value = serde_json::from_str(&system::disk_usage()?)?;
    let mut text = String::from("TYPE | TOTAL | ACTIVE | SIZE | RECLAIMABLE\n");
    for (kind, u) in usage(&df) {
        let pct = (u.reclaimable * 100)
            .checked_div(u.size)
            .map_or_else(String::new, |p| format!(" ({p}%)"));
        text.push_str(&format!(
            "{kind} | {} | {} | {} | {}{pct}\n",
            u.total,
            u.active,
            human_bytes(u.size),
            human_bytes(u.reclaimable)
        ));
    }
    if a.verbose {
        let largest =
            |key: &str, size_of: &dyn Fn(&Value) -> u64, name_of: &dyn Fn(&Value) -> String| {
                let mut items = arr(&df, key);
                items.sort_by_key(|i| std::cmp::Reverse(size_of(i)));
                items
                    .iter()
                    .take(10)
                    .map(|i| format!("  {} | {}\n", name_of(i), human_bytes(size_of(i))))
                    .collect::<String>()
            };
        text.push_str("largest images:\n");
        text.push_str(&largest("Images", &|i| size(i, "Size"), &|i| {
            i["RepoTags"]
                .as_array()
                .and_then(|t| t.first())
                .and_then(Value::as_str)
                .filter(|t| *t != "<none>:<none>")
                .map_or_else(|| short_id(s(i, "Id")).to_owned(), str::to_owned)
        }));
        text.push_str("largest containers (writable layer):\n");
        text.push_str(&largest("Containers", &|c| size(c, "SizeRw"), &|c| {
            c["Names"]
                .as_array()
                .and_then(|n| n.first())
                .and_then(Value::as_str)
                .unwrap_or("?")
                .trim_start_matches('/')
                .to_owned()
        }));
        text.push_str("largest volumes:\n");
        text.push_str(&largest(
            "Volumes",
            &|v| size(&v["UsageData"], "Size"),
            &|v| s(v, "Name").to_owned(),
        ));
    }
    Ok(Output::text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_is_computed_like_the_cli() {
        let df = json!({
            "LayersSize": 1000,
            "Images": [
                {"Id": "a", "Size": 600, "SharedSize": 100, "Containers": 1},
                {"Id": "b", "Size": 400, "SharedSize": -1, "Containers": 0}
            ],
            "Containers": [
                {"State": "running", "SizeRw": 10},
                {"State": "exited", "SizeRw": 5}
            ],
            "Volumes": [
                {"Name": "v1", "UsageData": {"RefCount": 1, "Size": 50}},
                {"Name": "v2", "UsageData": {"RefCount": 0, "Size": 20}},
                {"Name": "v3", "UsageData": {"RefCount": 0, "Size": -1}}
            ],
            "BuildCache": null
        });
        let [images, containers, volumes, cache] = usage(&df);
        assert_eq!(
            images.1,
            Usage {
                total: 2,
                active: 1,
                size: 1000,
                reclaimable: 500
            }
        );
        assert_eq!(
            containers.1,
            Usage {
                total: 2,
                active: 1,
                size: 15,
                reclaimable: 5
            }
        );
        assert_eq!(
            volumes.1,
            Usage {
                total: 3,
                active: 1,
                size: 70,
                reclaimable: 20
            }
        );
        assert_eq!(cache.1, Usage::default());
    }
}
