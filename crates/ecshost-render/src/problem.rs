//! Problems found while validating or rendering, shaped like Terraform diagnostics.
//!
//! Renderers never panic on user input and never print: they return [`Problem`]s
//! that the provider layer turns into diagnostics scoped to an attribute path
//! (`attribute`, plus `key` when the problem sits inside a map such as `config`).

use std::fmt;

/// How bad a [`Problem`] is. Errors stop rendering; warnings are only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The configuration cannot be rendered.
    Error,
    /// The configuration renders, but probably not as the user meant.
    Warning,
}

/// One finding about the input, addressed to a Terraform attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Terraform attribute name, e.g. `"address"`.
    pub attribute: &'static str,
    /// Map key when the problem is inside a map attribute such as `config`.
    pub key: Option<String>,
    /// List index and nested attribute when the problem is inside a list of
    /// objects such as `extra_parts` (`extra_parts[0].filename`).
    pub element: Option<(usize, &'static str)>,
    /// One short line, Terraform's diagnostic summary.
    pub summary: String,
    /// One or two sentences saying why and what to do.
    pub detail: String,
}

impl Problem {
    /// An error on `attribute`.
    pub fn error(
        attribute: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            attribute,
            key: None,
            element: None,
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    /// A warning on `attribute`.
    pub fn warning(
        attribute: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(attribute, summary, detail)
        }
    }

    /// The same problem, addressed to map key `key` of the attribute.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The same problem, addressed to attribute `attribute` of element
    /// `index` of the list attribute (`""`: the element itself, in a list
    /// of plain values).
    pub fn in_element(mut self, index: usize, attribute: &'static str) -> Self {
        self.element = Some((index, attribute));
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.attribute)?;
        if let Some(k) = &self.key {
            write!(f, "[{k:?}]")?;
        }
        match self.element {
            Some((i, "")) => write!(f, "[{i}]")?,
            Some((i, a)) => write!(f, "[{i}].{a}")?,
            None => {}
        }
        write!(f, ": {}", self.summary)
    }
}

/// A render function refused its input; carries every problem found (errors and
/// the warnings seen alongside them), so one plan shows them all at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in configuration, first: {}", .problems.len(), first(.problems))]
pub struct RenderError {
    /// All problems, errors first in input order.
    pub problems: Vec<Problem>,
}

fn first(problems: &[Problem]) -> String {
    problems
        .iter()
        .find(|p| p.is_error())
        .or(problems.first())
        .map(ToString::to_string)
        .unwrap_or_default()
}

impl RenderError {
    /// `Err` when `problems` holds at least one error, `Ok(())` otherwise.
    pub fn check(problems: Vec<Problem>) -> Result<(), RenderError> {
        if problems.iter().any(Problem::is_error) {
            let mut problems = problems;
            problems.sort_by_key(|p| p.severity);
            Err(RenderError { problems })
        } else {
            Ok(())
        }
    }

    /// A render error made of a single error problem.
    pub fn single(problem: Problem) -> Self {
        RenderError {
            problems: vec![problem],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_passes_warnings_and_fails_errors() {
        let cases: &[(&str, Vec<Problem>, bool)] = &[
            ("empty", vec![], true),
            ("warning only", vec![Problem::warning("a", "s", "d")], true),
            (
                "error",
                vec![
                    Problem::warning("a", "w", "d"),
                    Problem::error("b", "e", "d"),
                ],
                false,
            ),
        ];
        for (name, problems, ok) in cases {
            let got = RenderError::check(problems.clone());
            assert_eq!(got.is_ok(), *ok, "{name}");
            if let Err(e) = got {
                assert!(e.problems[0].is_error(), "{name}: errors sorted first");
                assert!(e.to_string().contains("error: b: e"), "{name}: {e}");
            }
        }
    }

    #[test]
    fn display_includes_key() {
        let p = Problem::error("config", "bad", "d").with_key("ECS_CLUSTER");
        assert_eq!(p.to_string(), "error: config[\"ECS_CLUSTER\"]: bad");
        let p = Problem::error("extra_parts", "bad", "d").in_element(1, "filename");
        assert_eq!(p.to_string(), "error: extra_parts[1].filename: bad");
    }
}
