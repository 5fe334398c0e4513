use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wharf_plugin_sdk::docker::containers_read;
use wharf_plugin_sdk::text::short_id;
use wharf_plugin_sdk::{Context, Output, ToolResult};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectArgs {
    container: String,
    /// Docker's whole inspect JSON.
    #[serde(default)]
    full: bool,
    /// Show env values (redacted by default).
    #[serde(default)]
    show_env: bool,
}

pub fn inspect_container(args: InspectArgs, _ctx: &Context) -> ToolResult<Output> {
    let raw = containers_read::inspect(&args.container)?;
    let mut v: Value = serde_json::from_str(&raw)?;
    if !args.show_env {
        redact_env(&mut v);
    }
    let shown = if args.full { v } else { summarize(&v) };
    let text = serde_json::to_string_pretty(&shown)?;
    Ok(Output {
        text,
        structured: Some(shown),
    })
}

fn redact_env(v: &mut Value) {
    wharf_plugin_sdk::redact::env_at(v, &["/Config/Env"]);
}

fn summarize(v: &Value) -> Value {
    let s = |p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("id".into(), json!(short_id(v["Id"].as_str().unwrap_or(""))));
    out.insert(
        "name".into(),
        json!(v["Name"].as_str().unwrap_or("").trim_start_matches('/')),
    );
    out.insert("image".into(), s("/Config/Image"));
    out.insert("created".into(), s("/Created"));

    let state = &v["State"];
    let mut st = Map::new();
    st.insert("status".into(), state["Status"].clone());
    if state["Status"] != "running" {
        st.insert("exit_code".into(), state["ExitCode"].clone());
    }
    for (k, key) in [
        ("error", "Error"),
        ("started_at", "StartedAt"),
        ("finished_at", "FinishedAt"),
    ] {
        if let Some(x) = state[key]
            .as_str()
            .filter(|x| !x.is_empty() && !x.starts_with("0001-"))
        {
            st.insert(k.into(), json!(x));
        }
    }
    if state["OOMKilled"] == true {
        st.insert("oom_killed".into(), json!(true));
    }
    if let Some(h) = state.get("Health").filter(|h| h.is_object()) {
        st.insert("health".into(), h["Status"].clone());
        st.insert("failing_streak".into(), h["FailingStreak"].clone());
    }
    if v["RestartCount"].as_u64().unwrap_or(0) > 0 {
        st.insert("restart_count".into(), v["RestartCount"].clone());
    }
    out.insert("state".into(), Value::Object(st));

    let cfg = &v["Config"];
    out.insert("entrypoint".into(), cfg["Entrypoint"].clone());
    out.insert("command".into(), cfg["Cmd"].clone());
    for (k, key) in [("working_dir", "WorkingDir"), ("user", "User")] {
        if cfg[key].as_str().is_some_and(|x| !x.is_empty()) {
            out.insert(k.into(), cfg[key].clone());
        }
    }
    out.insert("env".into(), cfg["Env"].clone());
    if cfg["Labels"].as_object().is_some_and(|l| !l.is_empty()) {
        out.insert("labels".into(), cfg["Labels"].clone());
    }

    let ports: Vec<String> = v
        .pointer("/NetworkSettings/Ports")
        .and_then(Value::as_object)
        .map(|ports| {
            ports
                .iter()
                .flat_map(|(container_port, bindings)| match bindings.as_array() {
                    Some(bs) if !bs.is_empty() => bs
                        .iter()
                        .map(|b| {
                            format!(
                                "{}:{}->{container_port}",
                                b["HostIp"].as_str().unwrap_or(""),
                                b["HostPort"].as_str().unwrap_or("")
                            )
                        })
                        .collect(),
                    _ => vec![container_port.clone()],
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("ports".into(), json!(ports));

    let mounts: Vec<String> = v["Mounts"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let src = m["Name"]
                        .as_str()
                        .filter(|n| !n.is_empty())
                        .or(m["Source"].as_str())
                        .unwrap_or("");
                    let mode = if m["RW"] == false { ":ro" } else { "" };
                    format!(
                        "{} {src}:{}{mode}",
                        m["Type"].as_str().unwrap_or("?"),
                        m["Destination"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("mounts".into(), json!(mounts));

    let networks: Map<String, Value> = v
        .pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
        .map(|nets| {
            nets.iter()
                .map(|(name, n)| {
                    let mut e = Map::new();
                    e.insert("ip".into(), n["IPAddress"].clone());
                    if n["Aliases"].as_array().is_some_and(|a| !a.is_empty()) {
                        e.insert("aliases".into(), n["Aliases"].clone());
                    }
                    (name.clone(), Value::Object(e))
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("networks".into(), Value::Object(networks));

    let hc = &v["HostConfig"];
    let restart = hc["RestartPolicy"]["Name"].as_str().unwrap_or("");
    out.insert(
        "restart_policy".into(),
        json!(if restart.is_empty() { "no" } else { restart }),
    );
    let mut limits = Map::new();
    if hc["Memory"].as_u64().unwrap_or(0) > 0 {
        limits.insert("memory_bytes".into(), hc["Memory"].clone());
    }
    if let Some(n) = hc["NanoCpus"].as_u64().filter(|n| *n > 0) {
        limits.insert("cpus".into(), json!(n as f64 / 1e9));
    }
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    if hc["AutoRemove"] == true {
        out.insert("auto_remove".into(), json!(true));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        json!({
            "Id": "0123456789abcdef0123",
            "Name": "/web",
            "Created": "2026-01-01T00:00:00Z",
            "State": {"Status": "exited", "ExitCode": 3, "Error": "", "StartedAt": "2026-01-01T00:00:01Z",
                      "FinishedAt": "0001-01-01T00:00:00Z", "OOMKilled": false},
            "RestartCount": 0,
            "Config": {"Image": "busybox", "Cmd": ["sh"], "Entrypoint": null, "Env": ["A=secret", "PATH=/bin"],
                       "WorkingDir": "", "User": "", "Labels": {}},
            "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null},
                                "Networks": {"bridge": {"IPAddress": "172.17.0.2", "Aliases": null}}},
            "Mounts": [{"Type": "volume", "Name": "data", "Source": "/var/lib/docker/volumes/data/_data",
                        "Destination": "/data", "RW": false}],
            "HostConfig": {"RestartPolicy": {"Name": "no"}, "Memory": 0, "NanoCpus": 0, "AutoRemove": false}
        })
    }

    #[test]
    fn env_values_are_redacted_keys_kept() {
        let mut v = sample();
        redact_env(&mut v);
        assert_eq!(
            v["Config"]["Env"],
            json!(["A=<redacted>", "PATH=<redacted>"])
        );
    }

    #[test]
    fn summary_keeps_what_matters() {
        let s = summarize(&sample());
        assert_eq!(s["id"], "0123456789ab");
        assert_eq!(s["name"], "web");
        assert_eq!(s["state"]["exit_code"], 3);
        assert!(s["state"].get("finished_at").is_none());
        assert_eq!(s["ports"], json!(["0.0.0.0:8080->80/tcp", "443/tcp"]));
        assert_eq!(s["mounts"], json!(["volume data:/data:ro"]));
        assert_eq!(s["networks"]["bridge"]["ip"], "172.17.0.2");
        assert_eq!(s["restart_policy"], "no");
    }
}
