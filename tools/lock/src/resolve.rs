//! Dependency resolution over the indexes of several suites for one architecture.
//!
//! * For each name the highest version, across all suites, that satisfies the constraint
//!   wins (equal versions: the suite added first).
//! * Alternatives (`a | b`): an alternative the selection already satisfies, else the first
//!   one that has a candidate.
//! * Virtual names resolve through `Provides`, versioned provides (`foo (= 1.2)`) satisfying
//!   versioned dependencies; among several providers the higher Priority, then the name, wins.
//! * Architecture qualifiers `:any`, `:native` and `:<this arch>` name the package itself;
//!   `Architecture: all` packages count for every architecture.
//! * A package is selected before its dependencies are followed, so cycles end there.
//! * Suites marked not automatic (apt's `NotAutomatic: yes`: backports, experimental) are
//!   used only by sets pinned to them. A set pinned to a suite takes its requested packages
//!   from that suite only, and each dependency from it when it has a fitting version, else
//!   from the other (automatic) suites, as apt's `-t <suite>` prefers the target release.
//!
//! Resolution does not backtrack: when the dependencies of a chosen candidate cannot be met,
//! the error names the chain of packages that wanted the missing one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::deps::{parse_one, DepError, Dependency, Relation};
use crate::packages::{Package, PackagesError};
use crate::version::compare;

/// Why a set cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No package satisfies a dependency (or any alternative of it).
    #[error("cannot resolve {wanted}: {chain}; candidates: {candidates}")]
    Unsatisfiable {
        wanted: String,
        chain: Chain,
        candidates: String,
    },
    /// The name is already selected in a version that does not satisfy this dependency.
    #[error("cannot resolve {wanted}: {chain}; {selected} is already selected")]
    Conflict {
        wanted: String,
        chain: Chain,
        selected: String,
    },
    /// A request of a set pinned to `suite` that the suite does not have.
    #[error("cannot resolve {wanted}: requested from {suite}, which has no fitting version; candidates: {candidates}")]
    NotInPinnedSuite {
        wanted: String,
        suite: String,
        candidates: String,
    },
    #[error("request {request:?}: {error}")]
    Request { request: String, error: DepError },
    #[error(transparent)]
    Index(#[from] PackagesError),
}

/// The packages that led to a dependency, from the requested one to the wanted name:
/// `wanted by app -> libbar -> libfoo`, or `requested` for a request of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain(pub Vec<String>);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() <= 1 {
            f.write_str("requested")
        } else {
            write!(f, "wanted by {}", self.0.join(" -> "))
        }
    }
}

/// A package of one suite.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub package: &'a Package<'a>,
    pub suite: &'a str,
    /// The archive's base URL (the `Filename` is relative to it).
    pub base_url: &'a str,
}

/// Every package of the configured suites for one architecture (incl. `Architecture: all`).
pub struct Index<'a> {
    arch: &'a str,
    by_name: HashMap<&'a str, Vec<Candidate<'a>>>,
    /// Virtual name -> (provider, provided version).
    providers: HashMap<&'a str, Vec<(Candidate<'a>, Option<&'a str>)>>,
    /// Suites whose packages only sets pinned to them take (apt's NotAutomatic).
    not_automatic: BTreeSet<&'a str>,
}

impl<'a> Index<'a> {
    pub fn new(arch: &'a str) -> Self {
        Self {
            arch,
            by_name: HashMap::new(),
            providers: HashMap::new(),
            not_automatic: BTreeSet::new(),
        }
    }

    /// Packages of `suite` are taken only by sets pinned to it (its Release says
    /// `NotAutomatic: yes`).
    pub fn set_not_automatic(&mut self, suite: &'a str) {
        self.not_automatic.insert(suite);
    }

    fn automatic(&self, suite: &str) -> bool {
        !self.not_automatic.contains(suite)
    }

    pub fn arch(&self) -> &'a str {
        self.arch
    }

    /// Adds the packages of one suite's index (those of other architectures are ignored).
    /// Suites added first win ties between equal versions.
    pub fn add(
        &mut self,
        packages: &'a [Package<'a>],
        suite: &'a str,
        base_url: &'a str,
    ) -> Result<(), PackagesError> {
        let origin = format!("{suite} {}", self.arch);
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
            if package.provides.is_empty() {
                continue;
            }
            for provided in package.provided(&origin)?.into_iter().flatten() {
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
        Ok(())
    }

    /// The highest version of the real package `dep.name` that satisfies `dep`, among the
    /// suites `from` accepts.
    fn best(&self, dep: &Dependency, from: &dyn Fn(&str) -> bool) -> Option<Candidate<'a>> {
        if !dep.qualifier_allows(self.arch) {
            return None;
        }
        let mut best: Option<Candidate<'a>> = None;
        for c in self.by_name.get(dep.name)? {
            if from(c.suite)
                && dep.accepts(c.package.version)
                && best.is_none_or(|b| compare(c.package.version, b.package.version).is_gt())
            {
                best = Some(*c);
            }
        }
        best
    }

    /// Packages providing `dep.name` in a way that satisfies `dep` (an unversioned provide
    /// satisfies only unversioned dependencies), best first: higher Priority, then name, then
    /// higher version.
    fn providers_of(&self, dep: &Dependency, from: &dyn Fn(&str) -> bool) -> Vec<Candidate<'a>> {
        if !dep.qualifier_allows(self.arch) {
            return Vec::new();
        }
        let mut found: Vec<Candidate<'a>> = self
            .providers
            .get(dep.name)
            .into_iter()
            .flatten()
            .filter(|(c, _)| from(c.suite))
            .filter(|(_, version)| match (dep.constraint, version) {
                (None, _) => true,
                (Some(_), Some(v)) => dep.accepts(v),
                (Some(_), None) => false,
            })
            .map(|(c, _)| *c)
            .collect();
        found.sort_by(|a, b| {
            priority_rank(a.package.priority)
                .cmp(&priority_rank(b.package.priority))
                .then_with(|| a.package.name.cmp(b.package.name))
                .then_with(|| compare(b.package.version, a.package.version))
        });
        found
    }

    /// What there is for the names of `deps`, for error messages.
    fn describe_candidates(&self, deps: &[Dependency]) -> String {
        let mut out = Vec::new();
        for dep in deps {
            for c in self.by_name.get(dep.name).into_iter().flatten() {
                let only_pinned = if self.automatic(c.suite) {
                    ""
                } else {
                    ", NotAutomatic: only for sets pinned to it"
                };
                out.push(format!(
                    "{} {} ({}{only_pinned})",
                    dep.name, c.package.version, c.suite
                ));
            }
            for (c, version) in self.providers.get(dep.name).into_iter().flatten() {
                let provided = version.map_or(String::new(), |v| format!(" (= {v})"));
                out.push(format!(
                    "{} {} ({}) provides {}{provided}",
                    c.package.name, c.package.version, c.suite, dep.name
                ));
            }
        }
        if out.is_empty() {
            "none".into()
        } else {
            out.join(", ")
        }
    }
}

fn priority_rank(priority: &str) -> u8 {
    match priority {
        "required" => 0,
        "important" => 1,
        "standard" => 2,
        "optional" => 3,
        "extra" => 4,
        _ => 5,
    }
}

/// A selected package and the names of the selected packages it depends on.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub candidate: Candidate<'a>,
    pub depends: BTreeSet<&'a str>,
}

/// Resolves `requests` (package names, optionally versioned: `libssl3 (>= 3.0)`); with
/// `follow_dependencies`, their Pre-Depends and Depends too. Returns the selection by name.
pub fn resolve<'a>(
    index: &Index<'a>,
    requests: &[String],
    follow_dependencies: bool,
) -> Result<BTreeMap<&'a str, Selection<'a>>, ResolveError> {
    resolve_pinned(index, requests, follow_dependencies, None)
}

/// [`resolve`] for a set pinned to the suite `pin`: the requests come from that suite, each
/// dependency from it when it has a fitting version, else from the automatic suites.
pub fn resolve_pinned<'a>(
    index: &Index<'a>,
    requests: &[String],
    follow_dependencies: bool,
    pin: Option<&str>,
) -> Result<BTreeMap<&'a str, Selection<'a>>, ResolveError> {
    let mut resolver = Resolver {
        index,
        selected: BTreeMap::new(),
        follow: follow_dependencies,
        pin,
    };
    for request in requests {
        let dep = parse_one(request).map_err(|error| ResolveError::Request {
            request: request.clone(),
            error,
        })?;
        resolver.select_group(&[dep], &mut Vec::new())?;
    }
    Ok(resolver.selected)
}

struct Resolver<'i, 'a> {
    index: &'i Index<'a>,
    selected: BTreeMap<&'a str, Selection<'a>>,
    follow: bool,
    pin: Option<&'i str>,
}

impl<'a> Resolver<'_, 'a> {
    /// The selected package that satisfies `dep`, if there is one: the package itself in a
    /// fitting version, or a selected provider.
    fn satisfied(&self, dep: &Dependency) -> Option<&'a str> {
        if !dep.qualifier_allows(self.index.arch) {
            return None;
        }
        if let Some(s) = self.selected.get(dep.name) {
            if dep.accepts(s.candidate.package.version) {
                return Some(s.candidate.package.name);
            }
        }
        self.index
            .providers_of(dep, &|_| true)
            .into_iter()
            .find(|c| {
                self.selected
                    .get(c.package.name)
                    .is_some_and(|s| s.candidate.package.version == c.package.version)
            })
            .map(|c| c.package.name)
    }

    /// The candidate for `dep`: from the pinned suite if the set has one (only from it for a
    /// request, `requested`), else from the automatic suites.
    fn choose(&self, dep: &Dependency, requested: bool) -> Option<Candidate<'a>> {
        let find = |from: &dyn Fn(&str) -> bool| {
            self.index
                .best(dep, from)
                .or_else(|| self.index.providers_of(dep, from).into_iter().next())
        };
        match self.pin {
            Some(pin) => find(&|suite| suite == pin).or_else(|| {
                (!requested)
                    .then(|| find(&|s| self.index.automatic(s)))
                    .flatten()
            }),
            None => find(&|s| self.index.automatic(s)),
        }
    }

    /// Satisfies one entry (alternatives); `chain` holds the packages that wanted it. Returns
    /// the name of the package that satisfies it, `None` when it does not apply to this
    /// architecture.
    fn select_group(
        &mut self,
        group: &[Dependency],
        chain: &mut Vec<&'a str>,
    ) -> Result<Option<&'a str>, ResolveError> {
        let group: Vec<&Dependency> = group
            .iter()
            .filter(|d| d.applies_to(self.index.arch))
            .collect();
        if group.is_empty() {
            return Ok(None);
        }
        if let Some(name) = group.iter().find_map(|d| self.satisfied(d)) {
            return Ok(Some(name));
        }
        let wanted = || {
            group
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let full_chain = || {
            let tail = group.iter().map(|d| d.name).collect::<Vec<_>>().join(" | ");
            Chain(chain.iter().map(|s| s.to_string()).chain([tail]).collect())
        };
        let requested = chain.is_empty();
        let Some(candidate) = group.iter().find_map(|d| self.choose(d, requested)) else {
            let candidates = group.iter().map(|d| (*d).clone()).collect::<Vec<_>>();
            if let (Some(suite), true) = (self.pin, requested) {
                return Err(ResolveError::NotInPinnedSuite {
                    wanted: wanted(),
                    suite: suite.to_string(),
                    candidates: self.index.describe_candidates(&candidates),
                });
            }
            return Err(ResolveError::Unsatisfiable {
                wanted: wanted(),
                chain: full_chain(),
                candidates: self.index.describe_candidates(&candidates),
            });
        };
        let name = candidate.package.name;
        if let Some(existing) = self.selected.get(name) {
            // A different version of the chosen package is already selected.
            return Err(ResolveError::Conflict {
                wanted: wanted(),
                chain: full_chain(),
                selected: format!(
                    "{name} {} ({})",
                    existing.candidate.package.version, existing.candidate.suite
                ),
            });
        }
        // Selected before its dependencies are followed, so that cycles end here.
        self.selected.insert(
            name,
            Selection {
                candidate,
                depends: BTreeSet::new(),
            },
        );
        if self.follow {
            let origin = format!("{} {}", candidate.suite, self.index.arch);
            let groups = candidate.package.dependencies(&origin)?;
            chain.push(name);
            let mut depends = BTreeSet::new();
            for group in &groups {
                if let Some(dependency) = self.select_group(group, chain)? {
                    if dependency != name {
                        depends.insert(dependency);
                    }
                }
            }
            chain.pop();
            if let Some(s) = self.selected.get_mut(name) {
                s.depends = depends;
            }
        }
        Ok(Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::parse;

    const SUITES: [&str; 2] = ["bookworm", "bookworm-security"];
    const SUM: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    /// A paragraph of an amd64 index; `extra` holds more fields, one per line.
    fn p(name: &str, version: &str, extra: &str) -> String {
        p_arch(name, version, "amd64", extra)
    }

    fn p_arch(name: &str, version: &str, arch: &str, extra: &str) -> String {
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: {arch}\n{extra}\
             Filename: pool/{name}_{version}_{arch}.deb\nSize: 1\nSHA256: {SUM}\n\n"
        )
    }

    /// Resolves against one index per suite; one line per selected package:
    /// `name version suite [depends]`.
    fn run(suites: &[&str], requests: &[&str], follow: bool) -> Result<Vec<String>, ResolveError> {
        let parsed: Vec<Vec<Package>> = suites.iter().map(|t| parse(t, "test").unwrap()).collect();
        let mut index = Index::new("amd64");
        for (i, packages) in parsed.iter().enumerate() {
            index.add(packages, SUITES[i], "http://x")?;
        }
        let requests: Vec<String> = requests.iter().map(|s| s.to_string()).collect();
        Ok(resolve(&index, &requests, follow)?
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
    fn depends() {
        let idx = [
            p("app", "1", "Depends: lib (>= 1), tool\n"),
            p("lib", "1.5", "Depends: base\n"),
            p("tool", "2", ""),
            p("base", "1", ""),
            p("unrelated", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [lib,tool]",
                "base 1 bookworm []",
                "lib 1.5 bookworm [base]",
                "tool 2 bookworm []"
            ]
        );
    }

    #[test]
    fn pre_depends() {
        let idx = [
            p("app", "1", "Pre-Depends: pre (>= 2)\n"),
            p("pre", "2", "Pre-Depends: prepre\n"),
            p("prepre", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [pre]",
                "pre 2 bookworm [prepre]",
                "prepre 1 bookworm []"
            ]
        );
    }

    #[test]
    fn static_set_does_not_follow_dependencies() {
        let idx = [
            p("app", "1", "Depends: lib\nPre-Depends: pre\n"),
            p("lib", "1", ""),
            p("pre", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], false).unwrap(),
            ["app 1 bookworm []"]
        );
        // A missing dependency does not matter either.
        let idx = p("app", "1", "Depends: missing\n");
        assert_eq!(
            run(&[&idx], &["app"], false).unwrap(),
            ["app 1 bookworm []"]
        );
    }

    #[test]
    fn alternatives_take_the_first_satisfiable() {
        let idx = [
            p("app", "1", "Depends: missing | b | c, x (>= 2) | y\n"),
            p("b", "1", ""),
            p("c", "1", ""),
            p("x", "1", ""),
            p("y", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            ["app 1 bookworm [b,y]", "b 1 bookworm []", "y 1 bookworm []"]
        );
    }

    #[test]
    fn alternatives_prefer_an_already_selected_one() {
        let idx = [
            p("app", "1", "Depends: a | c\n"),
            p("a", "1", ""),
            p("c", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["c", "app"], true).unwrap(),
            ["app 1 bookworm [c]", "c 1 bookworm []"]
        );
    }

    #[test]
    fn virtual_packages_through_provides() {
        let idx = [
            p("app", "1", "Depends: mail-transport-agent\n"),
            p(
                "postfix",
                "3",
                "Provides: mail-transport-agent\nPriority: optional\n",
            ),
            p(
                "exim4",
                "4",
                "Provides: mail-transport-agent\nPriority: standard\n",
            ),
        ]
        .concat();
        // The higher priority wins between providers.
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            ["app 1 bookworm [exim4]", "exim4 4 bookworm []"]
        );
        // A selected provider satisfies.
        assert_eq!(
            run(&[&idx], &["postfix", "app"], true).unwrap(),
            ["app 1 bookworm [postfix]", "postfix 3 bookworm []"]
        );
    }

    #[test]
    fn versioned_provides() {
        let idx = [
            p("app", "1", "Depends: libfoo-abi (>= 2), plain (>= 1)\n"),
            p("libfoo2", "2.1", "Provides: libfoo-abi (= 2.1)\n"),
            p("libfoo1", "1.0", "Provides: libfoo-abi (= 1.0)\n"),
            // An unversioned provide does not satisfy a versioned dependency ...
            p("unversioned", "9", "Provides: plain\n"),
            p("versioned", "1", "Provides: plain (= 1.5)\n"),
            // ... and a versioned one satisfies an unversioned dependency.
            p("tool", "1", "Depends: libfoo-abi\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app", "tool"], true).unwrap(),
            [
                "app 1 bookworm [libfoo2,versioned]",
                "libfoo2 2.1 bookworm []",
                "tool 1 bookworm [libfoo2]",
                "versioned 1 bookworm []"
            ]
        );
    }

    #[test]
    fn versioned_constraints_with_epochs_and_tildes() {
        let idx = [
            p(
                "app",
                "1",
                "Depends: libssl3 (>= 3.0.11~), e (>= 1:0), t (<< 2.0)\n",
            ),
            p("libssl3", "3.0.11-1~deb12u2", ""),
            p("e", "1:0.5", ""),
            p("e", "2.0", ""),
            p("t", "2.0~rc1", ""),
            p("t", "2.0", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [e,libssl3,t]",
                "e 1:0.5 bookworm []",
                "libssl3 3.0.11-1~deb12u2 bookworm []",
                "t 2.0~rc1 bookworm []"
            ]
        );
        // A versioned request.
        let idx = [
            p("libssl3", "3.0.11-1~deb12u2", ""),
            p("libssl3", "3.1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["libssl3 (<< 3.1)"], true).unwrap(),
            ["libssl3 3.0.11-1~deb12u2 bookworm []"]
        );
    }

    #[test]
    fn any_native_and_arch_qualifiers() {
        let idx = [
            p(
                "app",
                "1",
                "Depends: python3:any (>= 3.11), perl:native, libc6:amd64\n",
            ),
            p("python3", "3.11.2-1", "Multi-Arch: allowed\n"),
            p("perl", "5.36", ""),
            p("libc6", "2.36", ""),
            p("other", "1", "Depends: libc6:arm64\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [libc6,perl,python3]",
                "libc6 2.36 bookworm []",
                "perl 5.36 bookworm []",
                "python3 3.11.2-1 bookworm []"
            ]
        );
        // Another architecture's package cannot be had in an amd64 installation.
        assert!(run(&[&idx], &["other"], true).is_err());
    }

    #[test]
    fn architecture_all_and_other_architectures() {
        let idx = [
            p(
                "app",
                "1",
                "Depends: data, tool [arm64], only-amd64 [amd64], not-s390x [!s390x]\n",
            ),
            p_arch("data", "1", "all", ""),
            p_arch("arm", "1", "arm64", ""),
            p("only-amd64", "1", ""),
            p("not-s390x", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap(),
            [
                "app 1 bookworm [data,not-s390x,only-amd64]",
                "data 1 bookworm []",
                "not-s390x 1 bookworm []",
                "only-amd64 1 bookworm []"
            ]
        );
        assert_eq!(
            run(&[&idx], &["arm"], true).unwrap_err().to_string(),
            "cannot resolve arm: requested; candidates: none"
        );
    }

    #[test]
    fn highest_version_across_suites() {
        let main = [
            p("libssl3", "3.0.11-1~deb12u1", ""),
            p("tzdata", "2024a-0+deb12u1", ""),
            p("e", "1:1.0", ""),
            p("same", "1", ""),
        ]
        .concat();
        let security = [
            p("libssl3", "3.0.11-1~deb12u2", ""),
            p("tzdata", "2024a-0+deb12u1~x", ""),
            p("e", "2.0", ""),
            p("same", "1", ""),
        ]
        .concat();
        assert_eq!(
            run(
                &[&main, &security],
                &["libssl3", "tzdata", "e", "same"],
                false
            )
            .unwrap(),
            [
                "e 1:1.0 bookworm []",
                "libssl3 3.0.11-1~deb12u2 bookworm-security []",
                "same 1 bookworm []",
                "tzdata 2024a-0+deb12u1 bookworm []"
            ]
        );
    }

    #[test]
    fn cycles_terminate() {
        let idx = [
            p("a", "1", "Depends: b\n"),
            p("b", "1", "Pre-Depends: c\n"),
            p("c", "1", "Depends: a (>= 1), c\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["a"], true).unwrap(),
            ["a 1 bookworm [b]", "b 1 bookworm [c]", "c 1 bookworm [a]"]
        );
    }

    #[test]
    fn unsatisfiable_names_the_chain_and_the_candidates() {
        let idx = [
            p("app", "1", "Depends: libbar\n"),
            p("libbar", "1", "Depends: libfoo (>= 2.0)\n"),
            p("libfoo", "1.5", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap_err().to_string(),
            "cannot resolve libfoo (>= 2.0): wanted by app -> libbar -> libfoo; candidates: \
             libfoo 1.5 (bookworm)"
        );
        assert_eq!(
            run(&[&idx], &["nothere"], true).unwrap_err().to_string(),
            "cannot resolve nothere: requested; candidates: none"
        );
        let idx = [
            p("app", "1", "Depends: a (>= 2) | v (>= 1)\n"),
            p("a", "1", ""),
            p("b", "1", "Provides: v\n"),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap_err().to_string(),
            "cannot resolve a (>= 2) | v (>= 1): wanted by app -> a | v; candidates: a 1 \
             (bookworm), b 1 (bookworm) provides v"
        );
    }

    #[test]
    fn an_already_selected_version_that_does_not_fit() {
        let idx = [
            p("app", "1", "Depends: lib (<< 2), tool\n"),
            p("tool", "1", "Depends: lib (>= 2)\n"),
            p("lib", "1", ""),
            p("lib", "2", ""),
        ]
        .concat();
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap_err().to_string(),
            "cannot resolve lib (>= 2): wanted by app -> tool -> lib; lib 1 (bookworm) is \
             already selected"
        );
    }

    #[test]
    fn bad_dependency_fields_name_the_package() {
        let idx = p("app", "1", "Depends: lib (>= 2\n");
        assert_eq!(
            run(&[&idx], &["app"], true).unwrap_err().to_string(),
            "bookworm amd64: package app 1: Depends: cannot parse relationship \"lib (>= 2\": \
             unclosed '('"
        );
    }

    /// Resolves against bookworm (`stable`) and a NotAutomatic bookworm-backports (`bpo`).
    fn run_pinned(
        stable: &str,
        bpo: &str,
        requests: &[&str],
        pin: Option<&str>,
    ) -> Result<Vec<String>, ResolveError> {
        let stable = parse(stable, "test").unwrap();
        let bpo = parse(bpo, "test").unwrap();
        let mut index = Index::new("amd64");
        index.add(&stable, "bookworm", "http://x")?;
        index.add(&bpo, "bookworm-backports", "http://x")?;
        index.set_not_automatic("bookworm-backports");
        let requests: Vec<String> = requests.iter().map(|s| s.to_string()).collect();
        Ok(resolve_pinned(&index, &requests, true, pin)?
            .values()
            .map(|s| {
                format!(
                    "{} {} {}",
                    s.candidate.package.name, s.candidate.package.version, s.candidate.suite
                )
            })
            .collect())
    }

    #[test]
    fn pinned_sets_and_not_automatic_suites() {
        let stable = [
            p("app", "1", "Depends: lib (>= 1), base\n"),
            p("lib", "1", ""),
            p("base", "1", ""),
        ]
        .concat();
        let bpo = [
            p("app", "2", "Depends: lib (>= 2), base\n"),
            p("lib", "2", ""),
            p("only-bpo", "1", ""),
        ]
        .concat();
        // Not pinned: backports' newer versions are not taken, nor its own packages.
        assert_eq!(
            run_pinned(&stable, &bpo, &["app"], None).unwrap(),
            ["app 1 bookworm", "base 1 bookworm", "lib 1 bookworm"]
        );
        let err = run_pinned(&stable, &bpo, &["only-bpo"], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resolve only-bpo: requested; candidates: only-bpo 1 (bookworm-backports, \
             NotAutomatic: only for sets pinned to it)"
        );
        // Pinned: app and lib from backports, base (which it lacks) from bookworm.
        let pin = Some("bookworm-backports");
        assert_eq!(
            run_pinned(&stable, &bpo, &["app"], pin).unwrap(),
            [
                "app 2 bookworm-backports",
                "base 1 bookworm",
                "lib 2 bookworm-backports"
            ]
        );
        // A request of a pinned set comes from the pinned suite only.
        let err = run_pinned(&stable, &bpo, &["base"], pin).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resolve base: requested from bookworm-backports, which has no fitting \
             version; candidates: base 1 (bookworm)"
        );
        let err = run_pinned(&stable, &bpo, &["app (<< 2)"], pin).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot resolve app (<< 2): requested from bookworm-backports, which has no \
                 fitting version; candidates: app 1 (bookworm), app 2 (bookworm-backports, \
                 NotAutomatic"
            ),
            "{err}"
        );
        // Pinned to bookworm: bookworm's versions even where backports' are newer.
        assert_eq!(
            run_pinned(&stable, &bpo, &["app"], Some("bookworm")).unwrap(),
            ["app 1 bookworm", "base 1 bookworm", "lib 1 bookworm"]
        );
    }
}
