//! Several compose files as one, with Compose's override rules: mappings merge key by key
//! (the later file wins), `command`, `entrypoint` and healthcheck tests are replaced,
//! `environment`, `labels`, `depends_on` and `networks` merge as maps whatever syntax each
//! file uses, `volumes` merge by mount target, and other lists (ports, dns...) are joined
//! without duplicates.

use serde_yaml_ng::{Mapping, Value};

/// Lists written as `KEY=value` entries or as a mapping.
const KEYED: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "extra_hosts",
    "sysctls",
];
/// Lists of names or mappings of name to options.
const NAMED: &[&str] = &["depends_on", "networks"];
/// Replaced whole by a later file.
const REPLACED: &[&str] = &["command", "entrypoint", "test"];

/// `KEY=value` entries (or `KEY` alone, unset) as a mapping; a mapping as it is.
pub fn keyed_map(v: &Value, sep: char) -> Value {
    match v {
        Value::Sequence(items) => {
            let mut m = Mapping::new();
            for item in items {
                let text = match item {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                match text.split_once(sep) {
                    Some((k, val)) => {
                        m.insert(Value::String(k.to_owned()), Value::String(val.to_owned()))
                    }
                    None => m.insert(Value::String(text), Value::Null),
                };
            }
            Value::Mapping(m)
        }
        other => other.clone(),
    }
}

/// Names (a list) as a mapping of name to nothing.
pub fn named_map(v: &Value) -> Value {
    match v {
        Value::Sequence(items) => {
            Value::Mapping(items.iter().map(|i| (i.clone(), Value::Null)).collect())
        }
        other => other.clone(),
    }
}

/// The mount target of a volume entry, short (`src:dst[:mode]`) or long syntax.
fn volume_target(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                [only] => Some((*only).to_owned()),
                [_, dst, ..] => Some((*dst).to_owned()),
                [] => None,
            }
        }
        Value::Mapping(m) => m.get("target").and_then(|t| t.as_str()).map(str::to_owned),
        _ => None,
    }
}

fn key_name(k: &Value) -> &str {
    k.as_str().unwrap_or("")
}

/// `over` laid over `base`; `key` is the key both sit under (it picks the rule).
pub fn merge(base: Value, over: Value, key: &str) -> Value {
    if REPLACED.contains(&key) {
        return over;
    }
    let sep = if key == "extra_hosts" { ':' } else { '=' };
    let (base, over) = if KEYED.contains(&key) {
        (keyed_map(&base, sep), keyed_map(&over, sep))
    } else if NAMED.contains(&key) {
        (named_map(&base), named_map(&over))
    } else {
        (base, over)
    };
    match (base, over) {
        (Value::Mapping(mut b), Value::Mapping(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v, key_name(&k)),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Mapping(b)
        }
        (Value::Sequence(mut b), Value::Sequence(o)) if key == "volumes" || key == "devices" => {
            for item in o {
                let target = volume_target(&item);
                match b
                    .iter()
                    .position(|x| target.is_some() && volume_target(x) == target)
                {
                    Some(i) => b[i] = item,
                    None => b.push(item),
                }
            }
            Value::Sequence(b)
        }
        (Value::Sequence(mut b), Value::Sequence(o)) => {
            for item in o {
                if !b.contains(&item) {
                    b.push(item);
                }
            }
            Value::Sequence(b)
        }
        (_, over) => over,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).unwrap()
    }

    #[test]
    fn override_rules() {
        let base = yaml(
            "services:\n  web:\n    image: nginx:1\n    command: [a, b]\n    environment: [A=1, B=2]\n    ports: ['80:80']\n    volumes: ['data:/var/lib', './conf:/etc/nginx:ro']\n    depends_on: [db]\n",
        );
        let over = yaml(
            "services:\n  web:\n    image: nginx:2\n    command: [c]\n    environment:\n      B: three\n      C: '4'\n    ports: ['443:443', '80:80']\n    volumes: ['other:/var/lib']\n    depends_on:\n      cache:\n        condition: service_started\n",
        );
        let merged = merge(base, over, "");
        let web = &merged["services"]["web"];
        assert_eq!(web["image"], yaml("nginx:2"));
        assert_eq!(web["command"], yaml("[c]"));
        assert_eq!(web["environment"], yaml("{A: '1', B: three, C: '4'}"));
        assert_eq!(web["ports"], yaml("['80:80', '443:443']"));
        assert_eq!(
            web["volumes"],
            yaml("['other:/var/lib', './conf:/etc/nginx:ro']")
        );
        assert_eq!(
            web["depends_on"],
            yaml("{db: null, cache: {condition: service_started}}")
        );
    }
}
