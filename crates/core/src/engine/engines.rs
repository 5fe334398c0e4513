use super::DockerEngine;
use std::sync::Arc;

/// The engines calls can be routed to, and which one is the default. Built from the
/// configuration (`wharf_docker::engines`, bollard engines) or around one engine (the mock
/// host's in-memory engine, say).
pub struct Engines {
    list: Vec<Arc<dyn DockerEngine>>,
    default: usize,
}

impl Engines {
    /// One engine, the default.
    pub fn single(engine: impl DockerEngine + 'static) -> Self {
        Engines {
            list: vec![Arc::new(engine)],
            default: 0,
        }
    }

    /// `list` with `list[default]` as the default; `list` is not empty.
    pub fn new(list: Vec<Arc<dyn DockerEngine>>, default: usize) -> Self {
        assert!(
            default < list.len(),
            "the default engine is one of the engines"
        );
        Engines { list, default }
    }

    pub fn default_engine(&self) -> &Arc<dyn DockerEngine> {
        &self.list[self.default]
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn DockerEngine>> {
        self.list.iter().find(|e| e.name() == name)
    }

    /// All engines, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn DockerEngine>> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
