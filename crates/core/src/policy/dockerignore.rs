//! `.dockerignore`, with the Docker CLI's semantics: patterns are `filepath.Match` globs plus
//! `**`, matched against the path relative to the context, a pattern that matches a directory
//! excludes everything under it, `!` lines re-include, and the last matching line wins.

use regex::Regex;

/// One line of a `.dockerignore`.
#[derive(Debug)]
struct Pattern {
    regex: Regex,
    exception: bool,
}

#[derive(Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, thiserror::Error)]
#[error(".dockerignore line {line}: invalid pattern `{pattern}`")]
pub struct PatternError {
    line: usize,
    pattern: String,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut patterns = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, glob) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean(glob);
            if cleaned.is_empty() {
                continue;
            }
            let regex = Regex::new(&to_regex(&cleaned)).map_err(|_| PatternError {
                line: n + 1,
                pattern: raw.to_owned(),
            })?;
            patterns.push(Pattern { regex, exception });
        }
        Ok(DockerIgnore { patterns })
    }

    /// Whether any line re-includes paths: then an excluded directory must still be walked.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        let parents: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
        let mut excluded = false;
        for p in &self.patterns {
            // Only a line that could change the verdict needs evaluating.
            if p.exception != excluded {
                continue;
            }
            if p.regex.is_match(path) || parents.iter().any(|d| p.regex.is_match(d)) {
                excluded = !p.exception;
            }
        }
        excluded
    }
}

/// Go's `filepath.Clean`, then no leading `/` (patterns are relative to the context).
fn clean(glob: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in glob.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn to_regex(glob: &str) -> String {
    let mut re = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                re.push_str(if chars.peek().is_none() {
                    ".*"
                } else {
                    "(.*/)?"
                });
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' => match chars.next() {
                Some(next) => re.push_str(&regex::escape(&next.to_string())),
                None => re.push_str(r"\\"),
            },
            // Character classes pass through, as in Docker; `[!x]` is Go's negation.
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
            }
            ']' | '-' | '^' => re.push(c),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap()
    }

    #[test]
    fn globs_match_like_docker() {
        let i = ignore("# comment\n*.log\n/build\nsecret?.txt\n");
        assert!(i.excludes("app.log"));
        assert!(!i.excludes("logs/app.log"), "* does not cross directories");
        assert!(i.excludes("build"));
        assert!(
            i.excludes("build/out/bin"),
            "a matched directory takes its contents"
        );
        assert!(i.excludes("secret1.txt"));
        assert!(!i.excludes("secret12.txt"));
        assert!(!i.excludes("src/main.rs"));
    }

    #[test]
    fn double_star_and_exceptions() {
        let i = ignore("**/*.tmp\nnode_modules\n*.md\n!README.md\n");
        assert!(i.excludes("a.tmp"));
        assert!(i.excludes("deep/down/b.tmp"));
        assert!(i.excludes("node_modules/x/index.js"));
        assert!(i.excludes("CHANGES.md"));
        assert!(!i.excludes("README.md"));
        assert!(i.has_exceptions());
        // The last matching line wins.
        let i = ignore("!keep\n*\n");
        assert!(i.excludes("keep"));
    }

    #[test]
    fn patterns_are_cleaned_and_dots_are_literal() {
        let i = ignore("./docs/../target/\na.b\n");
        assert!(i.excludes("target/debug/x"));
        assert!(i.excludes("a.b"));
        assert!(!i.excludes("axb"));
    }
}
