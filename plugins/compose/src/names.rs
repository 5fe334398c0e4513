//! The names and labels Docker Compose gives a project's objects. wharf uses the same ones,
//! so `docker compose` and `docker-compose` see a project wharf brought up (and the other
//! way round): they find a project's objects by these labels, not by their names.

/// The labels Compose reads.
pub mod label {
    pub const PROJECT: &str = "com.docker.compose.project";
    pub const SERVICE: &str = "com.docker.compose.service";
    pub const NUMBER: &str = "com.docker.compose.container-number";
    pub const ONEOFF: &str = "com.docker.compose.oneoff";
    pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
    pub const VERSION: &str = "com.docker.compose.version";
    pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
    pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
    pub const NETWORK: &str = "com.docker.compose.network";
    pub const VOLUME: &str = "com.docker.compose.volume";
    pub const IMAGE: &str = "com.docker.compose.image";
}

/// The value of [`label::VERSION`]. docker-compose 1.x reads it to tell projects made
/// before 1.21 (which used another naming scheme) from newer ones; wharf follows the
/// Compose v2 scheme, so it says so.
pub const COMPOSE_VERSION: &str = "2.0.0";

/// `{project}-{service}-{n}`, Compose v2's container name.
pub fn container(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

/// The image a service without `image:` builds into: `{project}-{service}`.
pub fn built_image(project: &str, service: &str) -> String {
    format!("{project}-{service}")
}

/// `key=value`, the engine's label filter syntax.
pub fn is(key: &str, value: &str) -> String {
    format!("{key}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_compose_v2() {
        assert_eq!(container("shop", "web", 2), "shop-web-2");
        assert_eq!(built_image("shop", "api"), "shop-api");
        assert_eq!(
            is(label::PROJECT, "shop"),
            "com.docker.compose.project=shop"
        );
    }
}
