use crate::engine::DockerError;

/// `name[:tag|@digest]` split the way the engine's API wants it; a reference without either
/// means `latest` (an empty tag would make the engine pull every tag).
pub fn split_reference(reference: &str) -> Result<(&str, &str), DockerError> {
    let invalid = || DockerError::invalid(format!("`{reference}` is not an image reference"));
    if reference.is_empty() || reference.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    if let Some((name, digest)) = reference.split_once('@') {
        return if name.is_empty() || digest.is_empty() {
            Err(invalid())
        } else {
            Ok((name, digest))
        };
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => {
            let (name, tag) = reference.split_at(last_slash + i);
            let tag = &tag[1..];
            if tag.is_empty() {
                Err(invalid())
            } else {
                Ok((name, tag))
            }
        }
        None => Ok((reference, "latest")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_name_and_tag() {
        assert_eq!(split_reference("nginx").unwrap(), ("nginx", "latest"));
        assert_eq!(split_reference("nginx:1.25").unwrap(), ("nginx", "1.25"));
        assert_eq!(
            split_reference("127.0.0.1:5000/app").unwrap(),
            ("127.0.0.1:5000/app", "latest")
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/app:v1").unwrap(),
            ("127.0.0.1:5000/app", "v1")
        );
        assert_eq!(
            split_reference("app@sha256:abc").unwrap(),
            ("app", "sha256:abc")
        );
        for bad in ["", "app:", "@sha256:x", "a b"] {
            assert!(split_reference(bad).is_err(), "{bad}");
        }
    }
}
