//! The images tool group: local images, pull and push, build, save and load. It imports
//! `images-read`, `images-write`, `registry` and `images-build`.

mod archive;
mod build;
mod local;
mod registry;

use local::*;
use wharf_plugin_sdk::{Hints, Plugin, PluginInfo, Toolbox};

struct Images;

impl Plugin for Images {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "images",
            env!("CARGO_PKG_VERSION"),
            "Docker images: list, inspect, pull, push, build, tag, remove, prune, save, load",
        )
    }

    fn toolbox() -> Toolbox {
        Toolbox::new()
            .tool(
                "list_images",
                "List images",
                "Local images as compact rows (repo:tag, id, size, created).",
                Hints::read_only(),
                list_images,
            )
            .output::<ListOutput>()
            .tool(
                "inspect_image",
                "Inspect an image",
                "An image's tags, digests, created, size, platform, entrypoint, command, env \
                 names, ports, volumes, labels.",
                Hints::read_only(),
                inspect_image,
            )
            .output_object()
            .tool(
                "image_history",
                "Image history",
                "The layers of an image, newest first: created by which instruction, size.",
                Hints::read_only(),
                image_history,
            )
            .tool(
                "tag_image",
                "Tag an image",
                "Give an image another reference (repo and tag, default latest).",
                Hints::write().idempotent(),
                tag_image,
            )
            .tool(
                "remove_image",
                "Remove an image",
                "Untag an image, deleting it once nothing refers to it.",
                Hints::destructive(),
                remove_image,
            )
            .tool(
                "prune_images",
                "Prune images",
                "Delete dangling images (all=true: every unused one), or only those with \
                 labels; returns what went and the space reclaimed.",
                Hints::destructive(),
                prune_images,
            )
            .tool(
                "pull_image",
                "Pull an image",
                "Pull an image (credentials from the Docker or wharf config). Sends progress.",
                Hints::write().idempotent().open_world(),
                registry::pull_image,
            )
            .tool(
                "push_image",
                "Push an image",
                "Push a local image to the registry its name points at. Sends progress.",
                Hints::write().idempotent().open_world(),
                registry::push_image,
            )
            .tool(
                "build_image",
                "Build an image",
                "Build from a context directory and/or an inline Dockerfile with files. Sends \
                 progress; a failed step returns its error and output.",
                Hints::write().open_world(),
                build::build_image,
            )
            .tool(
                "save_images",
                "Save images to a tar",
                "Write images to a tar file under the allowed roots, as docker save.",
                Hints::write(),
                archive::save_images,
            )
            .tool(
                "load_images",
                "Load images from a tar",
                "Load the images of a tar file under the allowed roots, as docker load.",
                Hints::write().idempotent(),
                archive::load_images,
            )
    }
}

wharf_plugin_sdk::export!(Images);
