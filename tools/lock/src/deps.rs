//! Dependency fields: `a (>= 1.0) | b:any, c [amd64]`.

use std::cmp::Ordering;

use crate::version::compare;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Earlier,
    EarlierEqual,
    Equal,
    LaterEqual,
    Later,
}

/// One alternative: a package name, maybe with a version constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency<'a> {
    pub name: &'a str,
    pub constraint: Option<(Relation, &'a str)>,
    /// Architecture restriction list (`[amd64 !i386]`), empty for all.
    pub archs: Vec<&'a str>,
}

impl Dependency<'_> {
    /// Whether `version` satisfies the constraint.
    pub fn accepts(&self, version: &str) -> bool {
        let Some((relation, wanted)) = self.constraint else {
            return true;
        };
        let ord = compare(version, wanted);
        match relation {
            Relation::Earlier => ord == Ordering::Less,
            Relation::EarlierEqual => ord != Ordering::Greater,
            Relation::Equal => ord == Ordering::Equal,
            Relation::LaterEqual => ord != Ordering::Less,
            Relation::Later => ord == Ordering::Greater,
        }
    }

    /// Whether the dependency applies on `arch` (architecture restrictions).
    pub fn applies_to(&self, arch: &str) -> bool {
        if self.archs.is_empty() {
            return true;
        }
        let negated = self.archs.iter().all(|a| a.starts_with('!'));
        if negated {
            !self.archs.iter().any(|a| &a[1..] == arch)
        } else {
            self.archs.contains(&arch)
        }
    }
}

impl std::fmt::Display for Dependency<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some((relation, version)) = self.constraint {
            let op = match relation {
                Relation::Earlier => "<<",
                Relation::EarlierEqual => "<=",
                Relation::Equal => "=",
                Relation::LaterEqual => ">=",
                Relation::Later => ">>",
            };
            write!(f, " ({op} {version})")?;
        }
        Ok(())
    }
}

/// Parses a dependency field into groups of alternatives.
pub fn parse_field(field: &str) -> Result<Vec<Vec<Dependency<'_>>>, Error> {
    field
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|group| group.split('|').map(|alt| parse_one(alt.trim())).collect())
        .collect()
}

/// Parses one `name[:arch] [(op version)] [[archs]]`.
pub fn parse_one(text: &str) -> Result<Dependency<'_>, Error> {
    let bad = || Error::Dependency(format!("cannot parse dependency {text:?}"));
    let mut rest = text;
    let name_end = rest.find([' ', '(', '[']).unwrap_or(rest.len());
    let full_name = &rest[..name_end];
    rest = rest[name_end..].trim_start();
    // Arch qualifiers (:any, :native, :amd64) do not change which package is meant here.
    let name = full_name.split(':').next().unwrap_or(full_name);
    if name.is_empty() {
        return Err(bad());
    }
    let mut constraint = None;
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')').ok_or_else(bad)?;
        let spec = inner[..close].trim();
        rest = inner[close + 1..].trim_start();
        let op_len = spec.find(|c: char| !"<>=".contains(c)).ok_or_else(bad)?;
        let relation = match &spec[..op_len] {
            "<<" | "<" => Relation::Earlier,
            "<=" => Relation::EarlierEqual,
            "=" => Relation::Equal,
            ">=" => Relation::LaterEqual,
            ">>" | ">" => Relation::Later,
            _ => return Err(bad()),
        };
        let version = spec[op_len..].trim();
        if version.is_empty() {
            return Err(bad());
        }
        constraint = Some((relation, version));
    }
    let mut archs = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']').ok_or_else(bad)?;
        archs = inner[..close].split_whitespace().collect();
        rest = inner[close + 1..].trim_start();
    }
    if !rest.is_empty() && !rest.starts_with('<') {
        return Err(bad()); // build profiles (<...>) never matter for binary packages
    }
    Ok(Dependency {
        name,
        constraint,
        archs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alternatives_constraints_qualifiers_and_archs() {
        let groups = parse_field(
            "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any, libfoo [amd64 arm64]",
        )
        .unwrap();
        assert_eq!(groups.len(), 4);
        assert_eq!(
            groups[0][0].constraint,
            Some((Relation::LaterEqual, "2.34"))
        );
        assert_eq!(groups[1].len(), 2);
        assert_eq!(groups[1][1].name, "debconf-2.0");
        assert_eq!(groups[2][0].name, "python3");
        assert!(groups[3][0].applies_to("arm64"));
        assert!(!groups[3][0].applies_to("s390x"));
        assert_eq!(groups[0][0].to_string(), "libc6 (>= 2.34)");
    }

    #[test]
    fn constraints_use_debian_ordering() {
        let d = parse_one("libssl3 (>= 3.0.11~)").unwrap();
        assert!(d.accepts("3.0.11-1~deb12u2"));
        assert!(!d.accepts("3.0.10-1"));
        let d = parse_one("a (<< 1:0)").unwrap();
        assert!(d.accepts("9.9"));
        assert!(parse_one("a (>= )").is_err());
        assert!(parse_one("a (~ 1)").is_err());
    }
}
