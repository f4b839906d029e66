//! Relationship fields (Depends, Pre-Depends, Provides, and requests of the manifest):
//! `a (>= 1.0) | b:any, c [amd64]` parsed into groups of alternatives, borrowing the text.

use std::cmp::Ordering;
use std::fmt;

use crate::version::compare;

/// A malformed relationship, with the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse relationship {text:?}: {problem}")]
pub struct DepError {
    pub text: String,
    pub problem: &'static str,
}

/// `<<`, `<=`, `=`, `>=`, `>>` (the obsolete `<` and `>` mean `<=` and `>=`, as in dpkg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Earlier,
    EarlierEqual,
    Equal,
    LaterEqual,
    Later,
}

impl Relation {
    fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "<<" => Self::Earlier,
            "<=" | "<" => Self::EarlierEqual,
            "=" => Self::Equal,
            ">=" | ">" => Self::LaterEqual,
            ">>" => Self::Later,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Earlier => "<<",
            Self::EarlierEqual => "<=",
            Self::Equal => "=",
            Self::LaterEqual => ">=",
            Self::Later => ">>",
        }
    }

    /// Whether `version` stands in this relation to `wanted`.
    pub fn holds(self, version: &str, wanted: &str) -> bool {
        let ord = compare(version, wanted);
        match self {
            Self::Earlier => ord == Ordering::Less,
            Self::EarlierEqual => ord != Ordering::Greater,
            Self::Equal => ord == Ordering::Equal,
            Self::LaterEqual => ord != Ordering::Less,
            Self::Later => ord == Ordering::Greater,
        }
    }
}

/// The architecture qualifier after the name: `python3:any`, `libc6:native`, `libc6:amd64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchQualifier<'a> {
    Any,
    Native,
    Arch(&'a str),
}

/// One alternative: a package name, maybe qualified, versioned, or restricted to
/// architectures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency<'a> {
    pub name: &'a str,
    pub qualifier: Option<ArchQualifier<'a>>,
    pub constraint: Option<(Relation, &'a str)>,
    /// The architecture restriction list (`[amd64 arm64]` or `[!s390x]`), empty for all.
    pub arch_restrictions: Vec<&'a str>,
}

/// Alternatives (`a | b`) of one comma-separated entry.
pub type Group<'a> = Vec<Dependency<'a>>;

impl Dependency<'_> {
    /// Whether a package of `version` satisfies the version constraint.
    pub fn accepts(&self, version: &str) -> bool {
        self.constraint
            .is_none_or(|(relation, wanted)| relation.holds(version, wanted))
    }

    /// Whether the entry applies when installing for `arch` (architecture restrictions;
    /// `linux-any`, `any-<arch>` and `linux-<arch>` wildcards are understood).
    pub fn applies_to(&self, arch: &str) -> bool {
        if self.arch_restrictions.is_empty() {
            return true;
        }
        let matches = |pattern: &str| {
            pattern == arch
                || pattern == "any"
                || pattern == "linux-any"
                || pattern.strip_prefix("any-") == Some(arch)
                || pattern.strip_prefix("linux-") == Some(arch)
        };
        if self.arch_restrictions.iter().all(|a| a.starts_with('!')) {
            !self
                .arch_restrictions
                .iter()
                .any(|a| matches(a.trim_start_matches('!')))
        } else {
            self.arch_restrictions.iter().any(|a| matches(a))
        }
    }

    /// Whether packages built for `arch` can satisfy the qualifier, in a single-architecture
    /// installation for `arch` (`:any` and `:native` always can).
    pub fn qualifier_allows(&self, arch: &str) -> bool {
        match self.qualifier {
            None | Some(ArchQualifier::Any) | Some(ArchQualifier::Native) => true,
            Some(ArchQualifier::Arch(q)) => q == arch,
        }
    }
}

impl fmt::Display for Dependency<'_> {
    /// The name and version constraint (`libfoo (>= 2.0)`), as error messages show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        match self.qualifier {
            Some(ArchQualifier::Any) => f.write_str(":any")?,
            Some(ArchQualifier::Native) => f.write_str(":native")?,
            Some(ArchQualifier::Arch(a)) => write!(f, ":{a}")?,
            None => {}
        }
        if let Some((relation, version)) = self.constraint {
            write!(f, " ({} {version})", relation.as_str())?;
        }
        Ok(())
    }
}

/// Parses a whole field into groups of alternatives. Empty entries (`a, , b`, a trailing
/// comma) are skipped; continuation lines (newlines) count as white space.
pub fn parse_field(field: &str) -> Result<Vec<Group<'_>>, DepError> {
    let mut groups = Vec::new();
    for entry in field.split(',') {
        if entry.trim().is_empty() {
            continue;
        }
        groups.push(
            entry
                .split('|')
                .map(parse_one)
                .collect::<Result<Group, _>>()?,
        );
    }
    Ok(groups)
}

/// Parses one alternative: `name[:qualifier] [(op version)] [[archs]] [<profiles>]`.
pub fn parse_one(text: &str) -> Result<Dependency<'_>, DepError> {
    let bad = |problem| DepError {
        text: text.trim().to_string(),
        problem,
    };
    let rest = text.trim();
    let name_end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '(' || c == '[' || c == '<')
        .unwrap_or(rest.len());
    let (full_name, mut rest) = (&rest[..name_end], rest[name_end..].trim_start());
    let (name, qualifier) = match full_name.split_once(':') {
        Some((name, "any")) => (name, Some(ArchQualifier::Any)),
        Some((name, "native")) => (name, Some(ArchQualifier::Native)),
        Some((name, arch)) if is_name(arch) => (name, Some(ArchQualifier::Arch(arch))),
        Some(_) => return Err(bad("bad architecture qualifier")),
        None => (full_name, None),
    };
    if !is_name(name) {
        return Err(bad("bad package name"));
    }
    let mut constraint = None;
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')').ok_or_else(|| bad("unclosed '('"))?;
        let spec = inner[..close].trim();
        rest = inner[close + 1..].trim_start();
        let op_len = spec
            .find(|c: char| !matches!(c, '<' | '>' | '='))
            .unwrap_or(spec.len());
        let relation =
            Relation::parse(&spec[..op_len]).ok_or_else(|| bad("bad version relation"))?;
        let version = spec[op_len..].trim();
        if version.is_empty() || version.contains(char::is_whitespace) {
            return Err(bad("bad version"));
        }
        constraint = Some((relation, version));
    }
    let mut arch_restrictions = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let close = inner.find(']').ok_or_else(|| bad("unclosed '['"))?;
        arch_restrictions = inner[..close].split_whitespace().collect();
        if arch_restrictions.is_empty() {
            return Err(bad("empty architecture list"));
        }
        let negated = arch_restrictions.iter().filter(|a| a.starts_with('!'));
        if negated.count() % arch_restrictions.len() != 0 {
            return Err(bad("mixed negated and plain architectures"));
        }
        rest = inner[close + 1..].trim_start();
    }
    // Build profiles (`<!nocheck>`) belong to source packages; they never restrict a binary
    // package's relationships, so they are accepted and ignored.
    while let Some(inner) = rest.strip_prefix('<') {
        let close = inner.find('>').ok_or_else(|| bad("unclosed '<'"))?;
        rest = inner[close + 1..].trim_start();
    }
    if !rest.is_empty() {
        return Err(bad("unexpected text after the package name"));
    }
    Ok(Dependency {
        name,
        qualifier,
        constraint,
        arch_restrictions,
    })
}

/// Package names (Policy 5.6.1, leniently: archives hold a few upper-case names).
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_alternatives_constraints_qualifiers_and_archs() {
        let groups = parse_field(
            "a (>= 1.0) | b:any, c [amd64], libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, \
             python3:native, libx:amd64 (<< 2), d [!s390x !armhf]",
        )
        .unwrap();
        assert_eq!(groups.len(), 7);
        assert_eq!(
            groups[0],
            [
                Dependency {
                    name: "a",
                    qualifier: None,
                    constraint: Some((Relation::LaterEqual, "1.0")),
                    arch_restrictions: vec![],
                },
                Dependency {
                    name: "b",
                    qualifier: Some(ArchQualifier::Any),
                    constraint: None,
                    arch_restrictions: vec![],
                }
            ]
        );
        assert_eq!(groups[1][0].arch_restrictions, ["amd64"]);
        assert!(groups[1][0].applies_to("amd64"));
        assert!(!groups[1][0].applies_to("arm64"));
        assert_eq!(groups[3][1].name, "debconf-2.0");
        assert_eq!(groups[4][0].qualifier, Some(ArchQualifier::Native));
        assert_eq!(groups[5][0].qualifier, Some(ArchQualifier::Arch("amd64")));
        assert!(groups[5][0].qualifier_allows("amd64"));
        assert!(!groups[5][0].qualifier_allows("arm64"));
        assert!(groups[6][0].applies_to("amd64"));
        assert!(!groups[6][0].applies_to("armhf"));
        assert_eq!(groups[0][0].to_string(), "a (>= 1.0)");
        assert_eq!(groups[0][1].to_string(), "b:any");
        assert_eq!(groups[5][0].to_string(), "libx:amd64 (<< 2)");
    }

    #[test]
    fn folded_fields_empty_entries_and_profiles() {
        let groups = parse_field("a,\n b (= 1:2.0-1),, c <!nocheck> ,").unwrap();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1][0].constraint, Some((Relation::Equal, "1:2.0-1")));
        assert_eq!(groups[2][0].name, "c");
        assert!(parse_field("").unwrap().is_empty());
    }

    #[test]
    fn arch_wildcards() {
        let d = parse_one("x [linux-any]").unwrap();
        assert!(d.applies_to("ppc64el"));
        let d = parse_one("x [any-arm64 !i386]");
        assert!(d.is_err());
        let d = parse_one("x [any-arm64 linux-armhf]").unwrap();
        assert!(d.applies_to("arm64") && d.applies_to("armhf") && !d.applies_to("amd64"));
    }

    #[test]
    fn constraints_use_debian_ordering() {
        let d = parse_one("libssl3 (>= 3.0.11~)").unwrap();
        assert!(d.accepts("3.0.11-1~deb12u2"));
        assert!(!d.accepts("3.0.10-1"));
        let d = parse_one("a (<< 1:0)").unwrap();
        assert!(d.accepts("9.9"));
        assert!(!d.accepts("1:0"));
        let d = parse_one("a (>>1.0)").unwrap();
        assert!(d.accepts("1.0+b1") && !d.accepts("1.0"));
        // The obsolete forms are not strict.
        assert!(parse_one("a (< 1.0)").unwrap().accepts("1.0"));
        assert!(parse_one("a (> 1.0)").unwrap().accepts("1.0"));
    }

    #[test]
    fn errors_name_the_text_and_the_problem() {
        for (text, problem) in [
            ("a (>= )", "bad version"),
            ("a (~ 1)", "bad version relation"),
            ("a (>= 1", "unclosed '('"),
            ("a:", "bad architecture qualifier"),
            ("(>= 1)", "bad package name"),
            ("a b", "unexpected text after the package name"),
            ("a [amd64 !i386]", "mixed negated and plain architectures"),
        ] {
            let err = parse_one(text).unwrap_err();
            assert_eq!(err.problem, problem, "{text}");
        }
        assert_eq!(
            parse_field("libc6, a (>= 1").unwrap_err().to_string(),
            "cannot parse relationship \"a (>= 1\": unclosed '('"
        );
    }
}
