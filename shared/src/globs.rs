//! The one way syncwarden turns a list of glob patterns (`payments-*`, `*rolled back*`) into a
//! matcher, and the error that names the pattern it could not read; and the plainer name
//! filter of `WATCH_PIPELINES` (names and `prefix*`).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A pattern that is not a valid glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{pattern}` is not a valid pattern: {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

/// A matcher for any of `patterns` (none matches nothing). `*` also crosses `/`: resource ids
/// and branch names contain slashes that a pattern like `stack/payments-*` should not stop at.
pub fn glob_set(patterns: &[String], case_insensitive: bool) -> Result<GlobSet, PatternError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .literal_separator(false)
            .build()
            .map_err(|e| PatternError {
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
        set.add(glob);
    }
    set.build().map_err(|e| PatternError { pattern: patterns.join(", "), message: e.to_string() })
}

/// Which pipelines to watch: `WATCH_PIPELINES`, a comma-separated list of names and `prefix*`
/// patterns; `*` (the default) is all, an empty value none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineFilter(Vec<String>);

impl PipelineFilter {
    /// Every pipeline.
    pub fn all() -> Self {
        PipelineFilter(vec!["*".into()])
    }

    /// Parses the comma-separated pattern list.
    pub fn parse(patterns: &str) -> Self {
        PipelineFilter(
            patterns
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether `name` is watched.
    pub fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => pattern == name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::glob_set;

    #[test]
    fn globs_match_across_slashes_and_case_only_when_asked() {
        let stacks = glob_set(&["stack/payments-*".into()], false).unwrap();
        assert!(stacks.is_match("stack/payments-api"));
        assert!(!stacks.is_match("stack/Payments-api"));
        let reasons = glob_set(&["*rolled back*".into()], true).unwrap();
        assert!(reasons.is_match("Stack was ROLLED BACK after a/b"));
        assert!(glob_set(&[], false).unwrap().is_empty());
        let bad = glob_set(&["[".into()], false).unwrap_err();
        assert!(bad.to_string().starts_with("`[` is not a valid pattern"), "{bad}");
    }
}
