//! Attribute paths: where in a configuration a diagnostic points.

use std::fmt;

/// One step from a value into a nested value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// an object attribute or block name
    Attribute(String),
    /// a map key
    Key(String),
    /// a list/tuple index (sets have no stable index; Terraform accepts it
    /// for display only)
    Index(i64),
}

/// A path from the root of a resource's value to one nested value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The path of a top-level attribute.
    pub fn root(name: &str) -> Self {
        AttributePath(vec![PathStep::Attribute(name.to_owned())])
    }

    /// This path extended by an attribute.
    pub fn attr(&self, name: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Attribute(name.to_owned()));
        p
    }

    /// This path extended by a map key.
    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Key(key.to_owned()));
        p
    }

    /// This path extended by a list index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX)));
        p
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                PathStep::Attribute(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform_references() {
        let p = AttributePath::root("network").index(0).attr("mtu");
        assert_eq!(p.to_string(), "network[0].mtu");
        assert_eq!(
            AttributePath::root("config").key("LOG_LEVEL").to_string(),
            "config[\"LOG_LEVEL\"]"
        );
    }
}
