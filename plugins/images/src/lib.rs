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
                "List local images as compact rows (repo:tag, id, size, created); filter by \
                 reference, label or dangling.",
                Hints::read_only(),
                list_images,
            )
            .output::<ListOutput>()
            .tool(
                "inspect_image",
                "Inspect an image",
                "Summary of an image: tags, digests, created, size, platform, entrypoint, \
                 command, env names, exposed ports, volumes, labels; full=true gives Docker's \
                 JSON.",
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
                "Untag an image, deleting it once no tag or container refers to it; force for \
                 images used by stopped containers or tagged several times.",
                Hints::destructive(),
                remove_image,
            )
            .tool(
                "prune_images",
                "Prune images",
                "Delete dangling images (all=true: every image no container uses), optionally \
                 only those with labels. Returns what was deleted and the space reclaimed.",
                Hints::destructive(),
                prune_images,
            )
            .tool(
                "pull_image",
                "Pull an image",
                "Pull an image from its registry (credentials from the user's Docker or wharf \
                 config). Sends progress.",
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
                "Build from a context directory and/or an inline Dockerfile with files. \
                 Sends progress per step; a failed step returns the error and the last output.",
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
