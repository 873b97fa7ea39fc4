//! Why a policy or schema was refused, with the line and column Cedar pointed at.

use std::fmt;

use miette::Diagnostic;

/// Why [`Access::from_text`](crate::Access::from_text) refused a policy or schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The schema does not parse, or declares something impossible.
    #[error("the access schema is not valid:{}", List(.0))]
    Schema(Vec<Problem>),
    /// The policies do not parse, or one lacks a unique `@id`.
    #[error("the access policies do not parse:{}", List(.0))]
    Policies(Vec<Problem>),
    /// The policies parse but do not validate against the schema (strict mode): they name
    /// an attribute, entity, action or enum value the schema does not declare, or compare
    /// values of different types.
    #[error("the access policies do not validate against the schema:{}", List(.0))]
    Validation(Vec<Problem>),
}

impl AccessError {
    /// The problems found, each with where it is.
    pub fn problems(&self) -> &[Problem] {
        match self {
            AccessError::Schema(p) | AccessError::Policies(p) | AccessError::Validation(p) => p,
        }
    }
}

/// One problem Cedar found, and where in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line and column (in characters), when Cedar pointed at a place.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, column)) = self.at {
            write!(f, "line {line}, column {column}: ")?;
        }
        f.write_str(&self.message)
    }
}

struct List<'a>(&'a [Problem]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// The problems a Cedar diagnostic reports about `src`: its own, then its related ones.
pub(crate) fn problems(diagnostic: &dyn Diagnostic, src: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    collect(diagnostic, src, &mut out);
    out
}

fn collect(d: &dyn Diagnostic, src: &str, out: &mut Vec<Problem>) {
    let mut message = d.to_string();
    let labels: Vec<_> = d.labels().map(Iterator::collect).unwrap_or_default();
    for label in labels.iter().filter_map(|l| l.label()) {
        if !message.contains(label) {
            message.push_str(&format!(" ({label})"));
        }
    }
    if let Some(help) = d.help() {
        message.push_str(&format!("; {help}"));
    }
    let at = labels.first().and_then(|l| line_column(src, l.offset()));
    out.push(Problem { at, message });
    if let Some(related) = d.related() {
        for r in related {
            collect(r, src, out);
        }
    }
}

/// The 1-based line and column of byte `offset` in `src`.
pub(crate) fn line_column(src: &str, offset: usize) -> Option<(usize, usize)> {
    let before = src.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}
