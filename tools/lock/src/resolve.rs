//! Dependency resolution over the indexes of several suites for one architecture.
//!
//! For each name the highest version (across all suites) that satisfies the constraint wins;
//! alternatives take an already selected package first, then the first satisfiable one;
//! virtual names resolve through `Provides`. Resolution does not backtrack: a dependency of a
//! chosen alternative that cannot be met is an error naming the chain that wanted it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::deps::{parse_field, parse_one, Dependency, Relation};
use crate::packages::Package;
use crate::version::compare;
use crate::Error;

/// A package of one suite.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub package: &'a Package<'a>,
    pub suite: &'a str,
    /// The archive's base URL (the pool is below it).
    pub base_url: &'a str,
}

/// Every package of the configured suites for one architecture (incl. `Architecture: all`).
pub struct Index<'a> {
    arch: &'a str,
    by_name: HashMap<&'a str, Vec<Candidate<'a>>>,
    /// Virtual name -> (provider, provided version).
    providers: HashMap<&'a str, Vec<(Candidate<'a>, Option<&'a str>)>>,
}

impl<'a> Index<'a> {
    pub fn new(arch: &'a str) -> Self {
        Self {
            arch,
            by_name: HashMap::new(),
            providers: HashMap::new(),
        }
    }

    /// Adds the packages of one suite's index.
    pub fn add(
        &mut self,
        packages: &'a [Package<'a>],
        suite: &'a str,
        base_url: &'a str,
    ) -> Result<(), Error> {
        for package in packages {
            if package.architecture != self.arch && package.architecture != "all" {
                continue;
            }
            let candidate = Candidate {
                package,
                suite,
                base_url,
            };
            self.by_name
                .entry(package.name)
                .or_default()
                .push(candidate);
            for group in parse_field(package.provides)? {
                for provided in group {
                    let version = match provided.constraint {
                        Some((Relation::Equal, v)) => Some(v),
                        _ => None,
                    };
                    self.providers
                        .entry(provided.name)
                        .or_default()
                        .push((candidate, version));
                }
            }
        }
        Ok(())
    }

    /// The highest version of `dep.name` that satisfies it.
    fn best(&self, dep: &Dependency) -> Option<Candidate<'a>> {
        self.by_name
            .get(dep.name)?
            .iter()
            .filter(|c| dep.accepts(c.package.version))
            .max_by(|a, b| compare(a.package.version, b.package.version).then(Ordering::Greater))
            .copied()
    }

    /// Real packages providing `dep`, highest version first, then by name.
    fn provided_by(&self, dep: &Dependency) -> Vec<Candidate<'a>> {
        let mut found: Vec<Candidate<'a>> = self
            .providers
            .get(dep.name)
            .map(|v| {
                v.iter()
                    .filter(|(_, version)| {
                        dep.constraint.is_none() || version.is_some_and(|v| dep.accepts(v))
                    })
                    .map(|(c, _)| *c)
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by(|a, b| {
            a.package
                .name
                .cmp(b.package.name)
                .then_with(|| compare(b.package.version, a.package.version))
        });
        found.dedup_by(|a, b| a.package.name == b.package.name);
        found
    }

    fn describe_candidates(&self, name: &str) -> String {
        match self.by_name.get(name) {
            Some(cs) => cs
                .iter()
                .map(|c| format!("{} {} ({})", name, c.package.version, c.suite))
                .collect::<Vec<_>>()
                .join(", "),
            None if self.providers.contains_key(name) => {
                "only virtual providers that do not fit".into()
            }
            None => "none".into(),
        }
    }
}

/// A selected package and the names of the selected packages it depends on.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub candidate: Candidate<'a>,
    pub depends: BTreeSet<&'a str>,
}

/// Resolves `requests` (e.g. `libssl3 (>= 3.0)`); with `follow`, their Pre-Depends and
/// Depends too. Returns the selection by package name.
pub fn resolve<'a>(
    index: &Index<'a>,
    requests: &[String],
    follow: bool,
) -> Result<BTreeMap<&'a str, Selection<'a>>, Error> {
    let mut resolver = Resolver {
        index,
        selected: BTreeMap::new(),
        follow,
    };
    for request in requests {
        let dep = parse_one(request)?;
        let mut chain = Vec::new();
        resolver.select(&dep, &mut chain)?;
    }
    Ok(resolver.selected)
}

struct Resolver<'i, 'a> {
    index: &'i Index<'a>,
    selected: BTreeMap<&'a str, Selection<'a>>,
    follow: bool,
}

impl<'a> Resolver<'_, 'a> {
    /// The selected package's name, if `dep` is already satisfied by the selection.
    fn satisfied(&self, dep: &Dependency) -> Option<&'a str> {
        if let Some(s) = self.selected.get(dep.name) {
            if dep.accepts(s.candidate.package.version) {
                return Some(s.candidate.package.name);
            }
        }
        self.index
            .provided_by(dep)
            .into_iter()
            .find(|c| {
                self.selected
                    .get(c.package.name)
                    .is_some_and(|s| s.candidate.package.version == c.package.version)
            })
            .map(|c| c.package.name)
    }

    fn choose(&self, dep: &Dependency) -> Option<Candidate<'a>> {
        self.index
            .best(dep)
            .or_else(|| self.index.provided_by(dep).into_iter().next())
    }

    fn select(&mut self, dep: &Dependency, chain: &mut Vec<String>) -> Result<&'a str, Error> {
        if let Some(name) = self.satisfied(dep) {
            return Ok(name);
        }
        if let Some(existing) = self.selected.get(dep.name) {
            return Err(Error::Unsatisfiable(format!(
                "cannot resolve {dep}: {} {} is already selected{}",
                dep.name,
                existing.candidate.package.version,
                wanted_by(chain)
            )));
        }
        let Some(candidate) = self.choose(dep) else {
            return Err(Error::Unsatisfiable(format!(
                "cannot resolve {dep}{}; candidates: {}",
                wanted_by(chain),
                self.index.describe_candidates(dep.name)
            )));
        };
        let name = candidate.package.name;
        // Selected before its dependencies, so that cycles end here.
        self.selected.insert(
            name,
            Selection {
                candidate,
                depends: BTreeSet::new(),
            },
        );
        if !self.follow {
            return Ok(name);
        }
        chain.push(name.to_string());
        let mut depends = BTreeSet::new();
        for field in [candidate.package.pre_depends, candidate.package.depends] {
            for group in parse_field(field)? {
                let group: Vec<Dependency> = group
                    .into_iter()
                    .filter(|d| d.applies_to(self.index.arch))
                    .collect();
                if group.is_empty() {
                    continue;
                }
                let chosen = match group.iter().find_map(|d| self.satisfied(d)) {
                    Some(found) => found,
                    None => {
                        let alternative = group
                            .iter()
                            .find(|d| self.choose(d).is_some())
                            .unwrap_or(&group[0]);
                        self.select(alternative, chain)?
                    }
                };
                if chosen != name {
                    depends.insert(chosen);
                }
            }
        }
        chain.pop();
        if let Some(s) = self.selected.get_mut(name) {
            s.depends = depends;
        }
        Ok(name)
    }
}

fn wanted_by(chain: &[String]) -> String {
    if chain.is_empty() {
        String::new()
    } else {
        format!(": wanted by {}", chain.join(" -> "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::parse;

    fn stanza(name: &str, version: &str, extra: &str) -> String {
        format!("Package: {name}\nVersion: {version}\nArchitecture: amd64\n{extra}Filename: pool/{name}_{version}.deb\nSize: 1\nSHA256: 00\n\n")
    }

    fn run(suites: &[&str], requests: &[&str], follow: bool) -> Result<Vec<String>, Error> {
        let parsed: Vec<Vec<Package>> = suites.iter().map(|t| parse(t, "test").unwrap()).collect();
        let mut index = Index::new("amd64");
        for (i, p) in parsed.iter().enumerate() {
            index.add(p, ["bookworm", "bookworm-security"][i], "http://x")?;
        }
        let requests: Vec<String> = requests.iter().map(|s| s.to_string()).collect();
        let selected = resolve(&index, &requests, follow)?;
        Ok(selected
            .values()
            .map(|s| {
                let deps: Vec<&str> = s.depends.iter().copied().collect();
                format!(
                    "{} {} {} [{}]",
                    s.candidate.package.name,
                    s.candidate.package.version,
                    s.candidate.suite,
                    deps.join(",")
                )
            })
            .collect())
    }

    #[test]
    fn depends_and_pre_depends() {
        let idx = [
            stanza("app", "1", "Pre-Depends: pre\nDepends: lib (>= 1)\n"),
            stanza("lib", "1.5", ""),
            stanza("pre", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [lib,pre]",
                "lib 1.5 bookworm []",
                "pre 1 bookworm []"
            ]
        );
    }

    #[test]
    fn without_following_dependencies() {
        let idx = [stanza("app", "1", "Depends: lib\n"), stanza("lib", "1", "")].concat();
        assert_eq!(
            run(&[&idx], &["app"], false).unwrap(),
            ["app 1 bookworm []"]
        );
    }

    #[test]
    fn alternatives_prefer_selected_then_first_satisfiable() {
        let idx = [
            stanza("app", "1", "Depends: missing | b, a | c\n"),
            stanza("a", "1", ""),
            stanza("b", "1", ""),
            stanza("c", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["c", "app"], true).unwrap(),
            ["app 1 bookworm [b,c]", "b 1 bookworm []", "c 1 bookworm []"]
        );
    }

    #[test]
    fn virtual_packages_and_versioned_provides() {
        let idx = [
            stanza(
                "app",
                "1",
                "Depends: mail-transport-agent, libfoo-abi (>= 2)\n",
            ),
            stanza("postfix", "3", "Provides: mail-transport-agent\n"),
            stanza("libfoo2", "2.1", "Provides: libfoo-abi (= 2.1)\n"),
            stanza("libfoo1", "1.0", "Provides: libfoo-abi (= 1.0)\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [libfoo2,postfix]",
                "libfoo2 2.1 bookworm []",
                "postfix 3 bookworm []"
            ]
        );
    }

    #[test]
    fn highest_version_across_suites_with_epochs_and_tildes() {
        let main = [
            stanza("libssl3", "3.0.11-1~deb12u1", ""),
            stanza("tzdata", "2024a-0+deb12u1", ""),
            stanza("e", "1:1.0", ""),
        ]
        .concat();
        let security = [
            stanza("libssl3", "3.0.11-1~deb12u2", ""),
            stanza("tzdata", "2024a-0+deb12u1~x", ""),
            stanza("e", "2.0", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&main, &security], &["libssl3", "tzdata", "e"], false).unwrap(),
            [
                "e 1:1.0 bookworm []",
                "libssl3 3.0.11-1~deb12u2 bookworm-security []",
                "tzdata 2024a-0+deb12u1 bookworm []"
            ]
        );
    }

    #[test]
    fn versioned_requests_and_any_qualifier() {
        let idx = [
            stanza("app", "1", "Depends: python3:any (>= 3.11)\n"),
            stanza("python3", "3.11.2-1", ""),
            stanza("old", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app (>= 1)"], true).unwrap(),
            ["app 1 bookworm [python3]", "python3 3.11.2-1 bookworm []"]
        );
    }

    #[test]
    fn architecture_all_packages_count() {
        let idx = "Package: data\nVersion: 1\nArchitecture: all\nFilename: pool/data.deb\nSize: 1\nSHA256: 00\n\nPackage: arm\nVersion: 1\nArchitecture: arm64\nFilename: pool/arm.deb\nSize: 1\nSHA256: 00\n\n";
        assert_eq!(
            run(&[idx], &["data"], true).unwrap(),
            ["data 1 bookworm []"]
        );
        assert!(run(&[idx], &["arm"], true).is_err());
    }

    #[test]
    fn cycles_terminate() {
        let idx = [
            stanza("a", "1", "Depends: b\n"),
            stanza("b", "1", "Depends: a\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["a"], true).unwrap(),
            ["a 1 bookworm [b]", "b 1 bookworm [a]"]
        );
    }

    #[test]
    fn unsatisfiable_names_the_chain_and_candidates() {
        let idx = [
            stanza("app", "1", "Depends: libbar\n"),
            stanza("libbar", "1", "Depends: libfoo (>= 2.0)\n"),
            stanza("libfoo", "1.5", ""),
        ]
        .concat();
        let err = run(&[&idx], &["app"], true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resolve libfoo (>= 2.0): wanted by app -> libbar; candidates: libfoo 1.5 (bookworm)"
        );
        let err = run(&[&idx], &["nothere"], true).unwrap_err();
        assert_eq!(err.to_string(), "cannot resolve nothere; candidates: none");
    }
}
