//! Bind sources under a race. Docker resolves a bind's source path again at every start of
//! its container (and of every swarm task), following symlinks, while the create check ran
//! once. A container that can write where another bind's source lies can replace a
//! directory on that path with a symlink to `/`, and the other container gets the host at
//! its next start, which the daemon may make on its own (a restart policy, a task that is
//! rescheduled) with no request wharf could check. So the rule is structural: no bind may
//! lie inside a directory some container writes through a mount of its own, nor may a
//! mount written through hold another's source. And every start wharf asks for checks
//! again where each source leads now, for what the rule cannot see (a writer wharf did not
//! create, or the host itself).

use super::create::exposes_socket;
use super::{AllowedRoots, CreateAllowances, PROVENANCE};
use crate::engine::{ContainerCreateBody, Holder, HostMount, MountKind, ServiceSpec};
use bollard_stubs::models::{Mount, MountType};
use std::path::{Path, PathBuf};

/// Creates that add host mounts take turns: two that would nest must not both pass their
/// check before either exists. (Within this process: two wharf processes on one engine
/// do not see each other's turn.)
static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This create's turn, held until the object exists, when it `binds` host paths.
pub(crate) async fn turn(binds: bool) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    match binds {
        true => Some(CREATING.lock().await),
        false => None,
    }
}

/// A host path a new container or service binds, and whether it writes through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub source: String,
    pub writable: bool,
}

/// The host paths a create body binds, from `Binds` (`/src:/dst[:ro,...]`) and `Mounts`.
pub(crate) fn of_body(body: &ContainerCreateBody) -> Vec<Wanted> {
    let Some(host) = &body.host_config else {
        return Vec::new();
    };
    let mut wanted: Vec<Wanted> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| {
            let mut parts = b.split(':');
            let source = parts.next().filter(|s| s.starts_with('/'))?;
            let options = parts.nth(1).unwrap_or_default();
            Some(Wanted {
                source: source.to_owned(),
                writable: !options.split(',').any(|o| o == "ro"),
            })
        })
        .collect();
    wanted.extend(of_mounts(host.mounts.iter().flatten()));
    wanted
}

/// The host paths a service's tasks bind.
pub(crate) fn of_service(spec: &ServiceSpec) -> Vec<Wanted> {
    let mounts = spec
        .task_template
        .iter()
        .filter_map(|t| t.container_spec.as_ref())
        .flat_map(|c| c.mounts.iter().flatten());
    of_mounts(mounts).collect()
}

fn of_mounts<'a>(mounts: impl Iterator<Item = &'a Mount>) -> impl Iterator<Item = Wanted> {
    mounts
        .filter(|m| m.typ == Some(MountType::BIND))
        .filter_map(|m| {
            Some(Wanted {
                source: m.source.clone().filter(|s| !s.is_empty())?,
                writable: m.read_only != Some(true),
            })
        })
}

/// The forms a host path takes: as written (cleaned), and where it leads now if that
/// differs. A nesting in either form is one. A path that does not exist (yet) leads where
/// its deepest existing ancestor does: Docker makes a missing bind source there.
fn forms(source: &str) -> Vec<PathBuf> {
    let written: PathBuf = Path::new(source).components().collect();
    let mut real = None;
    let mut rest = Vec::new();
    let mut at = written.as_path();
    loop {
        if let Ok(r) = at.canonicalize() {
            real = Some(rest.iter().rev().fold(r, |p: PathBuf, part| p.join(part)));
            break;
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                at = parent;
            }
            _ => break,
        }
    }
    let mut forms = vec![written];
    if let Some(real) = real.filter(|r| *r != forms[0]) {
        forms.push(real);
    }
    forms
}

/// Whether a form of `inner` lies strictly inside a form of `outer`. The same path is not
/// a nesting: no container can replace the directory it has mounted itself.
fn nests(inner: &[PathBuf], outer: &[PathBuf]) -> bool {
    inner
        .iter()
        .any(|i| outer.iter().any(|o| i != o && i.starts_with(o)))
}

const ALLOW: &str = "to allow it, set nested_binds = true in [allow] of wharf.toml";

/// Refuses `wanted`, the host paths of one container or service (`this`), when one lies
/// inside a directory a mount written through gives, its own or another's, or when one it
/// writes through holds another's source. `others` are every other mount on the engine;
/// `named` says whether a holder may be named (it is in scope).
pub(crate) fn check_nesting(
    wanted: &[Wanted],
    others: &[HostMount],
    this: &str,
    named: &dyn Fn(&Holder) -> bool,
    allow: &CreateAllowances,
) -> Result<(), String> {
    if allow.nested_binds || wanted.is_empty() {
        return Ok(());
    }
    // A holder outside the scope is not named, nor is what it binds.
    let holder = |h: &Holder| {
        named(h).then(|| {
            format!(
                "{} `{}`",
                h.kind,
                if h.name.is_empty() { &h.id } else { &h.name }
            )
        })
    };
    let inside = |source: &str, outer: Option<&str>, writer: Option<String>| {
        let (outer, advice) = match (outer, writer.as_deref()) {
            (Some(outer), Some(writer)) => (
                format!("`{outer}`, which {writer} can write"),
                format!("bind paths that do not nest, or `{outer}` read-only"),
            ),
            _ => (
                "a directory that a container outside wharf's scope can write".to_owned(),
                "bind a path that does not nest".to_owned(),
            ),
        };
        format!(
            "bind mount of `{source}` refused: it lies inside {outer} through a mount of its \
             own, so it could swap `{source}` for a symlink that Docker follows at the next \
             start (to the host's `/`, say); {advice}; {ALLOW}"
        )
    };
    let wanted: Vec<(&Wanted, Vec<PathBuf>)> =
        wanted.iter().map(|w| (w, forms(&w.source))).collect();
    let others: Vec<(&HostMount, Vec<PathBuf>)> =
        others.iter().map(|o| (o, forms(&o.source))).collect();
    for (i, (w, w_forms)) in wanted.iter().enumerate() {
        for (j, (v, v_forms)) in wanted.iter().enumerate() {
            if i != j && v.writable && nests(w_forms, v_forms) {
                return Err(inside(&w.source, Some(&v.source), Some(this.to_owned())));
            }
        }
        for (o, o_forms) in &others {
            let shown = holder(&o.holder);
            if o.writable && nests(w_forms, o_forms) {
                let outer = shown.as_ref().map(|_| o.source.as_str());
                return Err(inside(&w.source, outer, shown));
            }
            if w.writable && nests(o_forms, w_forms) {
                let (what, which) = match &shown {
                    Some(h) => (format!("{h} binds `{}`", o.source), "that"),
                    None => (
                        "a container outside wharf's scope binds a path".to_owned(),
                        "it",
                    ),
                };
                return Err(format!(
                    "bind mount of `{}` refused: {what}, which lies inside it, so {this} could \
                     swap {which} for a symlink that Docker follows when the other starts again \
                     (to the host's `/`, say); bind it read-only (`:ro`), or paths that do not \
                     nest; {ALLOW}",
                    w.source,
                ));
            }
        }
    }
    Ok(())
}

/// Before a start or a copy: a bind of a container wharf made, or whose source lies under
/// an allowed root, must still lead inside the roots, and not to the Docker socket. Other
/// binds were never wharf's to grant (a container made by other means, outside the roots),
/// so they are left to whoever made them.
pub(crate) fn still_inside(
    mount: &HostMount,
    roots: &AllowedRoots,
    socket: Option<&Path>,
) -> Result<(), String> {
    // wharf checked every bind of a container it made against the roots, however the
    // source was spelled (through a symlink to a root, say).
    let vouched = mount.holder.labels.get(PROVENANCE.0).map(String::as_str) == Some(PROVENANCE.1);
    if mount.kind != MountKind::Bind || !(vouched || roots.holds(Path::new(&mount.source))) {
        return Ok(());
    }
    let leads = |to: &str| {
        format!(
            "its bind mount source `{}` now leads {to}: a symlink was put in its path since \
             it was created (or the roots changed), and Docker would follow it",
            mount.source
        )
    };
    match roots.writable(&mount.source) {
        Ok(real) if exposes_socket(&real, socket) => Err(leads("to the Docker socket")),
        Ok(_) => Ok(()),
        Err(_) => {
            let real = std::fs::canonicalize(&mount.source)
                .map(|r| format!("to `{}`, outside the allowed roots", r.display()))
                .unwrap_or_else(|_| "outside the allowed roots".to_owned());
            Err(leads(&real))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Kind;
    use std::os::unix::fs::symlink;

    fn mount(name: &str, source: &str, writable: bool) -> HostMount {
        HostMount {
            holder: Holder {
                kind: Kind::Container,
                id: format!("{name}-id"),
                name: name.to_owned(),
                labels: Default::default(),
            },
            source: source.to_owned(),
            kind: MountKind::Bind,
            writable,
        }
    }

    fn wanted(source: &str, writable: bool) -> Wanted {
        Wanted {
            source: source.to_owned(),
            writable,
        }
    }

    fn check(wanted: &[Wanted], others: &[HostMount]) -> Result<(), String> {
        check_nesting(
            wanted,
            others,
            "this container",
            &|h| h.name != "hidden",
            &CreateAllowances::default(),
        )
    }

    #[test]
    fn a_bind_inside_a_writable_one_is_refused_either_way_round() {
        let r = tempfile::tempdir().unwrap();
        let root = r.path().display().to_string();
        let sub = format!("{root}/x");
        std::fs::create_dir(&sub).unwrap();

        // Inside a directory another container writes.
        let e = check(&[wanted(&sub, false)], &[mount("a", &root, true)]).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "bind mount of `{sub}` refused: it lies inside `{root}`, which container `a` \
                 can write"
            )),
            "{e}"
        );
        // Writing around another container's source.
        let e = check(&[wanted(&root, true)], &[mount("b", &sub, false)]).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "bind mount of `{root}` refused: container `b` binds `{sub}`, which lies \
                 inside it"
            )),
            "{e}"
        );
        // Within the container itself.
        let e = check(&[wanted(&root, true), wanted(&sub, false)], &[]).unwrap_err();
        assert!(e.contains("which this container can write"), "{e}");
        // A holder out of scope is not named, nor is what it binds.
        let e = check(&[wanted(&sub, true)], &[mount("hidden", &root, true)]).unwrap_err();
        assert!(
            e.contains("inside a directory that a container outside wharf's scope can write")
                && !e.contains(&format!("`{root}`")),
            "{e}"
        );
        let e = check(&[wanted(&root, true)], &[mount("hidden", &sub, false)]).unwrap_err();
        assert!(
            e.contains("a container outside wharf's scope binds a path, which lies inside it")
                && !e.contains(&format!("`{sub}`")),
            "{e}"
        );

        // Read-only around, the same path twice, and paths side by side are fine.
        check(&[wanted(&sub, true)], &[mount("a", &root, false)]).unwrap();
        check(&[wanted(&root, false)], &[mount("b", &sub, true)]).unwrap();
        check(&[wanted(&root, true)], &[mount("a", &root, true)]).unwrap();
        check(
            &[wanted(&format!("{root}/xy"), true)],
            &[mount("a", &sub, true)],
        )
        .unwrap();
        // And the allowance lifts the rule.
        let allow = CreateAllowances {
            nested_binds: true,
            ..Default::default()
        };
        check_nesting(
            &[wanted(&sub, false)],
            &[mount("a", &root, true)],
            "this container",
            &|_| true,
            &allow,
        )
        .unwrap();
    }

    #[test]
    fn a_path_that_leads_elsewhere_nests_where_it_leads() {
        let r = tempfile::tempdir().unwrap();
        let root = r.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("data")).unwrap();
        symlink(root.join("data"), root.join("link")).unwrap();
        let link = format!("{}/link", root.display());
        let data = format!("{}/data", root.display());
        // `link` leads to `data`, which another container writes around.
        let e = check(
            &[wanted(&format!("{link}/in"), false)],
            &[mount("a", &data, true)],
        );
        assert!(e.is_err());
        // Written as `//x/./y`, it is still `/x/y`.
        let e = check(
            &[wanted(&format!("/{}//./data/in", root.display()), false)],
            &[mount("a", &data, true)],
        );
        assert!(e.is_err(), "{e:?}");
    }

    #[test]
    fn a_start_refuses_a_source_that_now_leads_outside_the_roots() {
        let r = tempfile::tempdir().unwrap();
        let root = r.path().canonicalize().unwrap();
        let roots = AllowedRoots::new([root.clone()]);
        let sub = root.join("x");
        std::fs::create_dir(&sub).unwrap();
        let m = mount("b", &sub.display().to_string(), true);
        still_inside(&m, &roots, None).unwrap();

        std::fs::remove_dir(&sub).unwrap();
        symlink("/", &sub).unwrap();
        let e = still_inside(&m, &roots, None).unwrap_err();
        assert_eq!(
            e,
            format!(
                "its bind mount source `{}` now leads to `/`, outside the allowed roots: a \
                 symlink was put in its path since it was created (or the roots changed), and \
                 Docker would follow it",
                sub.display()
            )
        );
        // A source below a swapped directory, not there yet: Docker would make it there.
        let below = mount("b", &format!("{}/etc-new", sub.display()), true);
        assert!(still_inside(&below, &roots, None).is_err());
        // The socket, even inside the roots.
        std::fs::remove_file(&sub).unwrap();
        std::fs::create_dir(&sub).unwrap();
        let socket = sub.join("docker.sock");
        std::fs::write(&socket, "").unwrap();
        let e = still_inside(&m, &roots, Some(&socket)).unwrap_err();
        assert!(e.contains("now leads to the Docker socket"), "{e}");
        // Binds outside the roots are not wharf's to judge.
        still_inside(&mount("c", "/etc", true), &roots, None).unwrap();
    }
}
