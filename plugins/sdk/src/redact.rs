//! Secrets kept out of results. Environment variables often carry passwords and tokens:
//! their names stay visible (they say what is configured), their values do not.

use serde_json::Value;

pub const REDACTED: &str = "<redacted>";

/// `KEY=value` becomes `KEY=<redacted>`.
pub fn env_entry(entry: &str) -> String {
    let key = entry.split('=').next().unwrap_or(entry);
    format!("{key}={REDACTED}")
}

/// A Docker `Env` list with every value redacted; anything but a list becomes `[]`.
pub fn env_list(env: &Value) -> Value {
    Value::Array(
        env.as_array()
            .map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .map(|s| Value::String(env_entry(s)))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Redact the `Env` lists found at `pointers` (JSON pointers, like `/Config/Env`) in `v`.
pub fn env_at(v: &mut Value, pointers: &[&str]) {
    for pointer in pointers {
        if let Some(env) = v.pointer_mut(pointer)
            && env.is_array()
        {
            *env = env_list(env);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_stay_values_go() {
        let mut v =
            json!({"Config": {"Env": ["TOKEN=abc=def", "EMPTY=", "BARE"]}, "Other": {"Env": "x"}});
        env_at(&mut v, &["/Config/Env", "/Other/Env", "/Missing/Env"]);
        assert_eq!(
            v,
            json!({"Config": {"Env": ["TOKEN=<redacted>", "EMPTY=<redacted>", "BARE=<redacted>"]},
                   "Other": {"Env": "x"}})
        );
        assert_eq!(env_list(&json!(null)), json!([]));
    }
}
