//! Path filters for trimming layers (docs, man pages): shell-style globs over normalised paths.
//! `*` and `?` stay within one path segment, `**` spans any number of segments.

use crate::Error;

/// Include and exclude globs. Empty includes keep everything; excludes win over includes, and
/// an excluded directory takes everything below it along.
#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    include: Vec<Vec<String>>,
    exclude: Vec<Vec<String>>,
}

impl PathFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, Error> {
        let compile = |globs: &[String]| -> Result<Vec<Vec<String>>, Error> {
            globs
                .iter()
                .map(|g| {
                    let trimmed = g.trim_start_matches("./").trim_start_matches('/');
                    if trimmed.is_empty() || trimmed.split('/').any(|s| s.is_empty() || s == "..") {
                        return Err(Error::entry(g, "not a usable path glob"));
                    }
                    Ok(trimmed.split('/').map(str::to_string).collect())
                })
                .collect()
        };
        Ok(Self {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether a normalised path stays in the layer.
    pub fn keeps(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').collect();
        // A path is excluded when it or one of its ancestors matches an exclude glob.
        let excluded = (1..=segments.len())
            .any(|n| self.exclude.iter().any(|g| glob_matches(g, &segments[..n])));
        if excluded {
            return false;
        }
        // With includes, keep what matches, what lies below a match, and the directories
        // leading to a possible match.
        self.include.is_empty()
            || self.include.iter().any(|g| {
                (1..=segments.len()).any(|n| glob_matches(g, &segments[..n]))
                    || prefix_could_match(g, &segments)
            })
    }
}

fn glob_matches(glob: &[String], path: &[&str]) -> bool {
    wildcard(
        glob,
        path,
        |g| g == "**",
        |g, segment| segment_matches(g.as_bytes(), segment.as_bytes()),
    )
}

/// Whether `path` (a directory) could be an ancestor of something `glob` matches.
fn prefix_could_match(glob: &[String], path: &[&str]) -> bool {
    match (path.split_first(), glob.split_first()) {
        (None, _) => !glob.is_empty(),
        (Some(_), None) => false,
        (Some(_), Some((first, _))) if first == "**" => true,
        (Some((segment, path_rest)), Some((first, glob_rest))) => {
            segment_matches(first.as_bytes(), segment.as_bytes())
                && prefix_could_match(glob_rest, path_rest)
        }
    }
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    wildcard(pattern, text, |&c| c == b'*', |&c, &t| c == b'?' || c == t)
}

/// Whether `pattern` matches all of `text`, where a `star` item matches any run of items and
/// every other item matches one item for which `one` holds. Greedy, going back only to the
/// last star: O(pattern x text) at worst, never exponential (a star that matched too little is
/// never revisited once a later star matched, since that later star can absorb the same).
fn wildcard<P, T>(
    pattern: &[P],
    text: &[T],
    star: impl Fn(&P) -> bool,
    one: impl Fn(&P, &T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    // The pattern position after the last star, and the text position it stands for.
    let mut back: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && star(&pattern[p]) {
            p += 1;
            back = Some((p, t));
        } else if p < pattern.len() && one(&pattern[p], &text[t]) {
            p += 1;
            t += 1;
        } else if let Some((after_star, from)) = back {
            // Let the star take one more item and try again from there.
            p = after_star;
            t = from + 1;
            back = Some((after_star, from + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> PathFilter {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PathFilter::new(&own(include), &own(exclude)).unwrap()
    }

    #[test]
    fn excludes_docs_and_man_pages() {
        let f = filter(&[], &["usr/share/man", "usr/share/doc/*/changelog*"]);
        assert!(!f.keeps("usr/share/man"));
        assert!(!f.keeps("usr/share/man/man8/update-ca-certificates.8.gz"));
        assert!(!f.keeps("usr/share/doc/tzdata/changelog.Debian.gz"));
        assert!(f.keeps("usr/share/doc/tzdata/copyright"));
        assert!(f.keeps("usr/share"));
    }

    #[test]
    fn double_star_spans_segments() {
        let f = filter(&[], &["**/*.pyc"]);
        assert!(!f.keeps("usr/lib/python3/a/b/c.pyc"));
        assert!(!f.keeps("x.pyc"));
        assert!(f.keeps("usr/lib/python3/a/b/c.py"));
    }

    #[test]
    fn includes_keep_matches_their_contents_and_ancestors() {
        let f = filter(
            &["usr/share/zoneinfo/Europe"],
            &["usr/share/zoneinfo/Europe/Berlin"],
        );
        assert!(f.keeps("usr"));
        assert!(f.keeps("usr/share/zoneinfo"));
        assert!(f.keeps("usr/share/zoneinfo/Europe/Paris"));
        assert!(!f.keeps("usr/share/zoneinfo/Europe/Berlin"));
        assert!(!f.keeps("usr/share/zoneinfo/Asia/Tokyo"));
        assert!(!f.keeps("etc/timezone"));
    }

    #[test]
    fn backtracking_is_bounded() {
        // Exponential with naive backtracking: this took over 300 s.
        let f = filter(
            &[],
            &["*a*a*a*a*a*a*a*a*a*b", "**/**/**/**/**/**/**/**/x/y"],
        );
        let name = "a".repeat(60);
        assert!(f.keeps(&name));
        let deep = vec!["x"; 60].join("/");
        assert!(f.keeps(&deep));
        assert!(!f.keeps(&format!("{name}b")));
        assert!(!f.keeps(&format!("{deep}/y")));
        let f = filter(&[], &["a*b?c*"]);
        assert!(!f.keeps("aXXbYcZZ"));
        assert!(f.keeps("abc"));
        assert!(!f.keeps("abbcc"), "a, *='', b, ?=b, c, *=c");
    }

    #[test]
    fn rejects_unusable_globs() {
        let err = PathFilter::new(&["../etc".into()], &[]).unwrap_err();
        assert_eq!(err.to_string(), "../etc: not a usable path glob");
    }
}
