use crate::docker::DockerError;

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
