//! Which engine answers: dockerd, or Podman through its Docker-compatible API. Both say so
//! in `GET /version`: Podman lists a component named "Podman Engine".

use super::Json;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    Docker {
        version: String,
    },
    /// `version` is Podman's own; `api` the Docker API version its compat layer speaks.
    Podman {
        version: String,
        api: String,
    },
}

impl Product {
    /// The product a `GET /version` answer describes.
    pub fn from_version(version: &Json) -> Product {
        let text = |v: &Json, key: &str| v[key].as_str().unwrap_or("?").to_owned();
        let podman = version["Components"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["Name"] == "Podman Engine");
        match podman {
            Some(component) => Product::Podman {
                version: text(component, "Version"),
                api: text(version, "ApiVersion"),
            },
            None => Product::Docker {
                version: text(version, "Version"),
            },
        }
    }

    pub fn is_podman(&self) -> bool {
        matches!(self, Product::Podman { .. })
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Product::Docker { version } => write!(f, "Docker {version}"),
            Product::Podman { version, api } => write!(f, "Podman {version}, Docker API {api}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn podman_says_so_in_its_components() {
        let podman = json!({
            "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon"}],
            "Version": "4.3.1", "ApiVersion": "1.41"
        });
        let p = Product::from_version(&podman);
        assert!(p.is_podman());
        assert_eq!(p.to_string(), "Podman 4.3.1, Docker API 1.41");
        let docker = json!({
            "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1"}],
            "Version": "20.10.24+dfsg1", "ApiVersion": "1.41"
        });
        assert_eq!(
            Product::from_version(&docker).to_string(),
            "Docker 20.10.24+dfsg1"
        );
        assert_eq!(Product::from_version(&json!({})).to_string(), "Docker ?");
    }
}
