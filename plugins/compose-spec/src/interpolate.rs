//! Variable interpolation as Compose does it: `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested
//! defaults (`${A:-${B}}`), and `$$` for a literal `$`.

use serde_yaml_ng::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    #[error("{path}: required variable {var} is missing a value: {message}")]
    Required {
        path: String,
        var: String,
        message: String,
    },
    #[error("{path}: invalid interpolation format for {text:?}: {why}")]
    Format {
        path: String,
        text: String,
        why: String,
    },
}

/// Where variables come from: the environment, then the project's `.env`.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Interpolate one string; `path` names it in errors (`services.web.image`).
pub fn interpolate(
    text: &str,
    vars: &dyn Lookup,
    path: &str,
) -> Result<String, InterpolationError> {
    let chars: Vec<char> = text.chars().collect();
    let (out, end) = expand(&chars, 0, vars, path, text, false)?;
    debug_assert_eq!(end, chars.len());
    Ok(out)
}

/// Expand from `at`; inside a braced default (`nested`) stop at the closing `}`.
fn expand(
    chars: &[char],
    mut at: usize,
    vars: &dyn Lookup,
    path: &str,
    text: &str,
    nested: bool,
) -> Result<(String, usize), InterpolationError> {
    let format = |why: &str| InterpolationError::Format {
        path: path.to_owned(),
        text: text.to_owned(),
        why: why.to_owned(),
    };
    let mut out = String::new();
    while at < chars.len() {
        let c = chars[at];
        if nested && c == '}' {
            return Ok((out, at));
        }
        if c != '$' {
            out.push(c);
            at += 1;
            continue;
        }
        match chars.get(at + 1) {
            Some('$') => {
                out.push('$');
                at += 2;
            }
            Some('{') => {
                let mut i = at + 2;
                let start = i;
                if !chars.get(i).copied().is_some_and(is_name_start) {
                    return Err(format("a variable name must start with a letter or _"));
                }
                while chars.get(i).copied().is_some_and(is_name) {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                let value = vars.get(&name);
                let (op, skip) = match (chars.get(i), chars.get(i + 1)) {
                    (Some('}'), _) => ("", 0),
                    (Some(':'), Some(op @ ('-' | '?' | '+'))) => (
                        match op {
                            '-' => ":-",
                            '?' => ":?",
                            _ => ":+",
                        },
                        2,
                    ),
                    (Some(op @ ('-' | '?' | '+')), _) => (
                        match op {
                            '-' => "-",
                            '?' => "?",
                            _ => "+",
                        },
                        1,
                    ),
                    _ => return Err(format("expected } or one of :- - :? ? :+ + after the name")),
                };
                let (word, close) = if skip == 0 {
                    (String::new(), i)
                } else {
                    expand(chars, i + skip, vars, path, text, true)?
                };
                if chars.get(close) != Some(&'}') {
                    return Err(format("missing closing }"));
                }
                let set = value.is_some();
                let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
                let result = match op {
                    "" => value.unwrap_or_default(),
                    ":-" => {
                        if non_empty {
                            value.unwrap_or_default()
                        } else {
                            word
                        }
                    }
                    "-" => {
                        if set {
                            value.unwrap_or_default()
                        } else {
                            word
                        }
                    }
                    ":+" => {
                        if non_empty {
                            word
                        } else {
                            String::new()
                        }
                    }
                    "+" => {
                        if set {
                            word
                        } else {
                            String::new()
                        }
                    }
                    ":?" | "?" => {
                        let ok = if op == ":?" { non_empty } else { set };
                        if !ok {
                            return Err(InterpolationError::Required {
                                path: path.to_owned(),
                                var: name,
                                message: word,
                            });
                        }
                        value.unwrap_or_default()
                    }
                    _ => unreachable!("ops are matched above"),
                };
                out.push_str(&result);
                at = close + 1;
            }
            Some(&n) if is_name_start(n) => {
                let mut i = at + 1;
                while chars.get(i).copied().is_some_and(is_name) {
                    i += 1;
                }
                let name: String = chars[at + 1..i].iter().collect();
                out.push_str(&vars.get(&name).unwrap_or_default());
                at = i;
            }
            // A lone `$` (end of text, or before something that is not a name) stays.
            _ => {
                out.push('$');
                at += 1;
            }
        }
    }
    if nested {
        return Err(format("missing closing }"));
    }
    Ok((out, at))
}

/// Interpolate every string value of a document (not the keys), in place.
pub fn interpolate_tree(
    value: &mut Value,
    vars: &dyn Lookup,
    path: &str,
) -> Result<(), InterpolationError> {
    match value {
        Value::String(s) => *s = interpolate(s, vars, path)?,
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, vars, &format!("{path}[{i}]"))?;
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                let child = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                interpolate_tree(v, vars, &child)?;
            }
        }
        Value::Tagged(t) => interpolate_tree(&mut t.value, vars, path)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars() -> HashMap<String, String> {
        HashMap::from([
            ("TAG".into(), "1.27".into()),
            ("EMPTY".into(), String::new()),
            ("PORT".into(), "8080".into()),
        ])
    }

    fn run(text: &str) -> Result<String, InterpolationError> {
        let v = vars();
        interpolate(text, &|n: &str| v.get(n).cloned(), "x")
    }

    #[test]
    fn the_forms_compose_knows() {
        assert_eq!(run("nginx:${TAG}").unwrap(), "nginx:1.27");
        assert_eq!(run("$PORT:80").unwrap(), "8080:80");
        assert_eq!(run("${MISSING:-dflt}").unwrap(), "dflt");
        assert_eq!(run("${EMPTY:-dflt}").unwrap(), "dflt");
        assert_eq!(run("${EMPTY-dflt}").unwrap(), "");
        assert_eq!(run("${MISSING-dflt}").unwrap(), "dflt");
        assert_eq!(run("${TAG:+set}").unwrap(), "set");
        assert_eq!(run("${EMPTY:+set}").unwrap(), "");
        assert_eq!(run("${EMPTY+set}").unwrap(), "set");
        assert_eq!(run("${MISSING:-${TAG}}").unwrap(), "1.27");
        assert_eq!(run("${MISSING:-${ALSO:-deep}}x").unwrap(), "deepx");
        assert_eq!(run("$$HOME and $").unwrap(), "$HOME and $");
        assert_eq!(run("${MISSING}").unwrap(), "");
    }

    #[test]
    fn required_and_malformed_are_errors_that_say_where() {
        let e = run("${DB_PASSWORD:?set it in .env}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x: required variable DB_PASSWORD is missing a value: set it in .env"
        );
        assert!(run("${EMPTY?ok}").is_ok());
        assert!(matches!(
            run("${TAG"),
            Err(InterpolationError::Format { .. })
        ));
        assert!(matches!(
            run("${1X}"),
            Err(InterpolationError::Format { .. })
        ));
        assert!(matches!(
            run("${TAG!}"),
            Err(InterpolationError::Format { .. })
        ));
    }
}
