//! Which services a call acts on, and in what order: dependencies first.

use std::collections::{BTreeMap, BTreeSet};
use wharf_compose_spec::{Project, Service};
use wharf_plugin_sdk::{ToolError, ToolResult};

/// The services to act on: the named ones (all whose profiles are active when none are
/// named) plus everything they depend on, as Compose does.
pub fn select(p: &Project, named: &[String], profiles: &[String]) -> ToolResult<BTreeSet<String>> {
    let mut chosen = BTreeSet::new();
    let mut todo: Vec<String> = if named.is_empty() {
        p.services
            .iter()
            .filter(|(_, s)| {
                s.profiles.is_empty() || s.profiles.iter().any(|x| profiles.contains(x))
            })
            .map(|(n, _)| n.clone())
            .collect()
    } else {
        for n in named {
            if !p.services.contains_key(n) {
                return Err(ToolError::not_found(format!(
                    "no service {n} in project {} (services: {})",
                    p.name,
                    p.services.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        named.to_vec()
    };
    while let Some(n) = todo.pop() {
        if chosen.insert(n.clone()) {
            todo.extend(p.services[&n].depends_on.keys().cloned());
        }
    }
    Ok(chosen)
}

/// `chosen` in dependency order (a service after all it depends on; ties by name), or an
/// error naming a dependency cycle.
pub fn ordered<'a>(
    services: &'a BTreeMap<String, Service>,
    chosen: &'a BTreeSet<String>,
) -> ToolResult<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        services: &'a BTreeMap<String, Service>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        out: &mut Vec<&'a str>,
    ) -> ToolResult<()> {
        match marks.get(name) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| *n == name).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(name);
                return Err(ToolError::invalid(format!(
                    "depends_on has a cycle: {}",
                    cycle.join(" -> ")
                )));
            }
            None => {}
        }
        marks.insert(name, Mark::Visiting);
        path.push(name);
        let (key, service) = services
            .get_key_value(name)
            .ok_or_else(|| ToolError::not_found(format!("no service {name} in the project")))?;
        for dep in service.depends_on.keys() {
            visit(dep, services, marks, path, out)?;
        }
        path.pop();
        marks.insert(key, Mark::Done);
        out.push(key);
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut out = Vec::new();
    for name in chosen {
        visit(name, services, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_compose_spec::{Condition, Dependency};

    fn project(edges: &[(&str, &[&str])]) -> Project {
        let mut p = Project {
            name: "p".into(),
            ..Default::default()
        };
        for (name, deps) in edges {
            let mut s = Service::default();
            for d in *deps {
                s.depends_on.insert(
                    (*d).into(),
                    Dependency {
                        condition: Condition::ServiceStarted,
                    },
                );
            }
            p.services.insert((*name).into(), s);
        }
        p
    }

    #[test]
    fn dependencies_come_first() {
        let p = project(&[
            ("web", &["api", "cache"]),
            ("api", &["db"]),
            ("db", &[]),
            ("cache", &[]),
        ]);
        let all = select(&p, &[], &[]).unwrap();
        assert_eq!(
            ordered(&p.services, &all).unwrap(),
            ["db", "api", "cache", "web"]
        );
    }

    #[test]
    fn naming_a_service_brings_its_dependencies() {
        let p = project(&[
            ("web", &["api"]),
            ("api", &["db"]),
            ("db", &[]),
            ("other", &[]),
        ]);
        let chosen = select(&p, &["api".into()], &[]).unwrap();
        assert_eq!(chosen.into_iter().collect::<Vec<_>>(), ["api", "db"]);
        let e = select(&p, &["nope".into()], &[]).unwrap_err();
        assert!(e.message.contains("no service nope"), "{}", e.message);
    }

    #[test]
    fn a_cycle_is_named() {
        let p = project(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]);
        let all = select(&p, &[], &[]).unwrap();
        let e = ordered(&p.services, &all).unwrap_err();
        assert!(e.message.contains("a -> b -> c -> a"), "{}", e.message);
    }

    #[test]
    fn profiles_gate_services_unless_named() {
        let mut p = project(&[("web", &[]), ("debug", &[])]);
        p.services.get_mut("debug").unwrap().profiles = vec!["dev".into()];
        assert_eq!(select(&p, &[], &[]).unwrap().len(), 1);
        assert_eq!(select(&p, &[], &["dev".into()]).unwrap().len(), 2);
        assert_eq!(select(&p, &["debug".into()], &[]).unwrap().len(), 1);
    }
}
