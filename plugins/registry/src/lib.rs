//! The registry tool group: reads a container registry through the Docker Registry HTTP API
//! v2 (catalog, tags, manifests, image configs) without pulling anything. It imports only
//! `wharf:http/outgoing`: the user grants the registry's hosts in `http_hosts` of
//! `[plugin.registry]`, and the host adds the user's login, which the plugin never sees.

mod args;
mod auth;
mod client;
mod digest;
mod errors;
mod inspect;
mod lists;
mod manifest;
mod sanitize;
#[cfg(test)]
mod testing;
mod url;

use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct RegistryPlugin;

/// Reading a registry changes nothing, but it is outside the local engine.
const READ_REMOTE: Hints = Hints::read_only().open_world();

impl Plugin for RegistryPlugin {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "registry",
            env!("CARGO_PKG_VERSION"),
            "Container registries over the Registry API v2: repositories, tags, manifests, \
             image configs, without pulling",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "registry_list_repositories",
                "List a registry's repositories",
                "The repositories of a registry (its catalog), a page at a time. Docker Hub \
                 has no catalog.",
                READ_REMOTE,
                lists::list_repositories,
            )
            .output::<lists::RepositoriesOutput>()
            .tool(
                "registry_list_tags",
                "List a repository's tags",
                "The tags of a repository in a registry, a page at a time, without pulling.",
                READ_REMOTE,
                lists::list_tags,
            )
            .output::<lists::TagsOutput>()
            .tool(
                "registry_get_manifest",
                "Get a manifest from a registry",
                "The manifest of a tag or digest without pulling: media type, digest, and \
                 the config, layer count and compressed size of an image, or the platforms \
                 of a multi-platform index.",
                READ_REMOTE,
                inspect::get_manifest,
            )
            .output::<inspect::ManifestOutput>()
            .tool(
                "registry_get_image_config",
                "Get an image's config from a registry",
                "An image's config for one platform without pulling: created, entrypoint, \
                 cmd, env names, exposed ports, user, working dir, labels, size, history \
                 length.",
                READ_REMOTE,
                inspect::get_image_config,
            )
            .output::<inspect::ImageConfigOutput>()
    }
}

wharf_plugin_sdk::export!(RegistryPlugin);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use wharf_plugin_sdk::bindings::exports::wharf::plugin::tool_provider::Guest;

    type Exported = wharf_plugin_sdk::Exports<RegistryPlugin>;

    #[test]
    fn describes_itself_as_registry() {
        let info = Exported::describe();
        assert_eq!(info.name, "registry");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn tools_are_read_only_open_world_with_documented_arguments() {
        let tools = Exported::list_tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "registry_list_repositories",
                "registry_list_tags",
                "registry_get_manifest",
                "registry_get_image_config"
            ]
        );
        let required = [
            vec!["registry"],
            vec!["registry", "repository"],
            vec!["registry", "repository", "reference"],
            vec!["registry", "repository", "reference"],
        ];
        for (tool, required) in tools.iter().zip(required) {
            let a = &tool.annotations;
            assert!(a.read_only && a.open_world && a.idempotent && !a.destructive);
            let input: Value = serde_json::from_str(&tool.input_schema).unwrap();
            assert_eq!(input["type"], "object", "{}", tool.name);
            assert_eq!(
                input["required"],
                serde_json::json!(required),
                "{}",
                tool.name
            );
            let props = input["properties"].as_object().unwrap();
            // The host reserves `engine` for routing Docker calls.
            assert!(!props.contains_key("engine"));
            for (name, prop) in props {
                assert!(
                    prop["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{}.{name} has no description",
                    tool.name
                );
            }
            let output: Value =
                serde_json::from_str(tool.output_schema.as_deref().unwrap()).unwrap();
            assert_eq!(output["type"], "object", "{}", tool.name);
        }
    }
}
