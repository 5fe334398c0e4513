//! `.env` and `env_file` files: `KEY=value` lines, `export` prefixes, comments, single
//! quotes (literal), double quotes (escapes, and `${VAR}` from earlier lines and the
//! environment), unquoted values with trailing `# comments`.

use crate::interpolate::{Lookup, interpolate};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {why}")]
pub struct DotenvError {
    pub file: String,
    pub line: usize,
    pub why: String,
}

/// The variables of `text` in order; `file` names it in errors.
pub fn parse(
    text: &str,
    file: &str,
    env: &dyn Lookup,
) -> Result<Vec<(String, String)>, DotenvError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let err = |why: String| DotenvError {
            file: file.to_owned(),
            line: n + 1,
            why,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(format!("expected KEY=value, found {line:?}")));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(err(format!("invalid variable name {key:?}")));
        }
        let value = value.trim_start();
        let earlier = |name: &str| {
            out.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| env.get(name))
        };
        let value = if let Some(rest) = value.strip_prefix('\'') {
            let end = rest
                .find('\'')
                .ok_or_else(|| err("unterminated single quote".into()))?;
            rest[..end].to_owned()
        } else if let Some(rest) = value.strip_prefix('"') {
            let mut s = String::new();
            let mut chars = rest.chars();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('r') => s.push('\r'),
                        Some(o) => s.push(o),
                        None => {}
                    },
                    c => s.push(c),
                }
            }
            if !closed {
                return Err(err("unterminated double quote".into()));
            }
            interpolate(&s, &earlier, &format!("{file}:{}", n + 1))
                .map_err(|e| err(e.to_string()))?
        } else {
            let v = match value.find(" #") {
                Some(i) => &value[..i],
                None => value,
            };
            interpolate(v.trim_end(), &earlier, &format!("{file}:{}", n + 1))
                .map_err(|e| err(e.to_string()))?
        };
        out.retain(|(k, _)| k != key);
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_comments_and_references() {
        let text = "# settings\nexport TAG=1.27\nNAME='lit $TAG'\nGREETING=\"hi ${TAG}\\n\"\nPORT=8080 # web\nURL=http://host:${PORT}/\n\nEMPTY=\n";
        let got = parse(text, ".env", &|_: &str| None).unwrap();
        assert_eq!(
            got,
            [
                ("TAG".into(), "1.27".into()),
                ("NAME".into(), "lit $TAG".into()),
                ("GREETING".into(), "hi 1.27\n".into()),
                ("PORT".into(), "8080".into()),
                ("URL".into(), "http://host:8080/".into()),
                ("EMPTY".into(), "".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_name_their_number() {
        let e = parse("A=1\nnot a pair\n", "web.env", &|_: &str| None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "web.env line 2: expected KEY=value, found \"not a pair\""
        );
        let e = parse("A=\"open\n", ".env", &|_: &str| None).unwrap_err();
        assert_eq!(e.line, 1);
    }
}
