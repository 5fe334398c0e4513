use crate::bindings::wharf::docker::types::Filter;

/// Engine-side filters (`docker ps --filter key=value`) built from optional tool arguments:
/// an absent argument adds nothing.
#[derive(Debug, Default, Clone)]
pub struct Filters(Vec<Filter>);

impl Filters {
    pub fn new() -> Self {
        Self::default()
    }

    /// `key=value` when the value is present.
    pub fn opt(mut self, key: &str, value: Option<impl ToString>) -> Self {
        if let Some(v) = value {
            self.0.push(Filter {
                key: key.to_owned(),
                values: vec![v.to_string()],
            });
        }
        self
    }

    /// `key=v` for each of `values` (the engine ORs them), when there are any.
    pub fn any(mut self, key: &str, values: Vec<String>) -> Self {
        if !values.is_empty() {
            self.0.push(Filter {
                key: key.to_owned(),
                values,
            });
        }
        self
    }

    pub fn as_slice(&self) -> &[Filter] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_arguments_add_nothing() {
        let f = Filters::new()
            .opt("name", None::<String>)
            .opt("dangling", Some(true))
            .any("label", vec![])
            .any("status", vec!["running".into(), "paused".into()]);
        let keys: Vec<(&str, &[String])> = f
            .as_slice()
            .iter()
            .map(|f| (f.key.as_str(), f.values.as_slice()))
            .collect();
        assert_eq!(
            keys,
            [
                ("dangling", &["true".to_owned()][..]),
                ("status", &["running".to_owned(), "paused".to_owned()][..])
            ]
        );
    }
}
