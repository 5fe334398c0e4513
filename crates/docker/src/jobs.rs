//! The engine's progress messages for long operations (pull, push, build) as job events.

use bollard::models::{BuildInfo, CreateImageInfo, ProgressDetail, PushImageInfo};
use wharf_core::engine::{JobEvent, LayerProgress};

/// A layer's or a line's event, from the fields every progress message shares.
fn status_event(
    id: Option<String>,
    status: Option<String>,
    detail: Option<ProgressDetail>,
) -> Option<JobEvent> {
    let status = status.filter(|s| !s.is_empty())?;
    Some(match id.filter(|i| !i.is_empty()) {
        Some(id) => {
            let detail = detail.unwrap_or_default();
            // The engine sends 0/0 or negative numbers for "unknown"; say unknown.
            let known = |n: Option<i64>| n.filter(|n| *n > 0).map(|n| n as u64);
            JobEvent::Layer(LayerProgress {
                id,
                status,
                current: known(detail.current),
                total: known(detail.total),
            })
        }
        None => JobEvent::Message(status),
    })
}

pub(super) fn pull_events(m: CreateImageInfo) -> Vec<JobEvent> {
    status_event(m.id, m.status, m.progress_detail)
        .into_iter()
        .collect()
}

pub(super) fn push_events(m: PushImageInfo) -> Vec<JobEvent> {
    // A push's messages carry the layer id in `id` too, but bollard's model drops it; the
    // status text ("Pushed", "Layer already exists") is still worth passing on.
    status_event(None, m.status, m.progress_detail)
        .into_iter()
        .collect()
}

pub(super) fn build_events(m: BuildInfo) -> Vec<JobEvent> {
    let mut events = Vec::new();
    if let Some(text) = m.stream {
        events.extend(
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(|l| JobEvent::Message(l.to_owned())),
        );
    }
    events.extend(status_event(m.id, m.status, m.progress_detail));
    if let Some(id) = m.aux.and_then(|a| a.id) {
        events.push(JobEvent::ImageId(id));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_progress_keeps_only_known_numbers() {
        let e = pull_events(CreateImageInfo {
            id: Some("abc".into()),
            status: Some("Downloading".into()),
            progress_detail: Some(ProgressDetail {
                current: Some(10),
                total: Some(-1),
            }),
            ..Default::default()
        });
        assert_eq!(
            e,
            [JobEvent::Layer(LayerProgress {
                id: "abc".into(),
                status: "Downloading".into(),
                current: Some(10),
                total: None,
            })]
        );
        let e = pull_events(CreateImageInfo {
            status: Some("Digest: sha256:1".into()),
            ..Default::default()
        });
        assert_eq!(e, [JobEvent::Message("Digest: sha256:1".into())]);
    }

    #[test]
    fn build_output_is_split_into_lines() {
        let e = build_events(BuildInfo {
            stream: Some("Step 1/2 : FROM x\n ---> 123\n\n".into()),
            ..Default::default()
        });
        assert_eq!(
            e,
            [
                JobEvent::Message("Step 1/2 : FROM x".into()),
                JobEvent::Message(" ---> 123".into())
            ]
        );
    }
}
