//! The WIT bindings, generated once here for every plugin.
//!
//! The guest world imports every Docker capability interface and outgoing HTTP, but a component only imports
//! the interfaces whose functions it actually calls: the linker drops the rest, so a plugin's
//! requested capabilities follow from its code.

wit_bindgen::generate!({
    inline: "
        package wharf:sdk;
        world guest {
            include wharf:plugin/plugin@0.1.0;
            include wharf:docker/capabilities@0.1.0;
            include wharf:http/client@0.1.0;
            include wharf:files/client@0.1.0;
        }
    ",
    path: [
        "../../wit/plugin/0.1.0",
        "../../wit/docker/0.1.0",
        "../../wit/http/0.1.0",
        "../../wit/files/0.1.0",
    ],
    world: "wharf:sdk/guest",
    pub_export_macro: true,
    export_macro_name: "export",
    default_bindings_module: "wharf_plugin_sdk::bindings",
    generate_all,
    additional_derives: [PartialEq],
});
