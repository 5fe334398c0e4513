//! Points in time as a user gives them: `10m` ago, an RFC 3339 date, or Unix seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wharf_plugin_sdk::ToolError;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Unix seconds for `text`, relative durations counted back from `now`.
pub fn parse(field: &str, text: &str, now: i64) -> Result<i64, ToolError> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<i64>() {
        return Ok(secs);
    }
    if let Ok(ago) = humantime::parse_duration(t) {
        return Ok(now - ago.as_secs() as i64);
    }
    if let Ok(at) = humantime::parse_rfc3339_weak(t) {
        return Ok(at
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs() as i64);
    }
    Err(ToolError::invalid(format!(
        "{field}: `{text}` is not a time; give a duration ago like `10m` or `2h`, a date like \
         `2026-11-24T10:00:00Z`, or Unix seconds"
    )))
}

/// Unix seconds as RFC 3339 (UTC), which a model reads without arithmetic.
pub fn clock(unix: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(unix.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse("since", "10m", 1000).unwrap(), 400);
        assert_eq!(parse("since", "1700000000", 0).unwrap(), 1_700_000_000);
        assert_eq!(
            parse("since", "2023-11-14T22:13:20Z", 0).unwrap(),
            1_700_000_000
        );
        let e = parse("since", "yesterday-ish", 0).unwrap_err();
        assert!(
            e.message
                .starts_with("since: `yesterday-ish` is not a time")
        );
        assert_eq!(clock(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
