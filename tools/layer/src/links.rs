//! Symlink containment as the kernel resolves paths: through the links the layer (or the
//! image) holds, not lexically one link at a time. `a -> .` and `b -> a/..` each stay inside
//! the root on their own, but `b` leads above it once `a` is followed, and so does anything
//! unpacked through `b`.
//!
//! The entries become a tree of nodes; every link is resolved once (memoised) to a node plus a
//! count of components below it that the image does not have (they stay lexical), so the
//! check is linear in the total length of the link targets.

use std::collections::HashMap;

use crate::entry::Kind;
use crate::{Entry, Error};

/// The kernel gives up after this many nested links (MAXSYMLINKS).
const MAX_DEPTH: usize = 40;
const ROOT: usize = 0;

#[derive(Clone, Copy)]
enum Node<'a> {
    Dir,
    Link(&'a str),
    Other,
}

/// Where a path leads.
#[derive(Clone, Copy)]
enum Place {
    /// A directory node, and components below it the image does not have.
    At(usize, usize),
    /// Into a loop of links: the kernel refuses to go on (ELOOP), nothing is reached.
    Nowhere,
}

#[derive(Clone, Copy)]
enum State {
    Unresolved,
    Resolving,
    Resolved(Place),
}

struct Tree<'a> {
    parent: Vec<usize>,
    node: Vec<Node<'a>>,
    path: Vec<&'a str>,
    state: Vec<State>,
    children: HashMap<(usize, &'a str), usize>,
}

/// Refuses a symlink among `entries` (path order) whose target, followed through the other
/// links, climbs above the root, or needs more than 40 nested links.
pub fn check_symlinks<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<(), Error> {
    let mut tree = Tree {
        parent: vec![ROOT],
        node: vec![Node::Dir],
        path: vec![""],
        state: vec![State::Unresolved],
        children: HashMap::new(),
    };
    let mut links = Vec::new();
    for entry in entries {
        let node = tree.insert(&entry.path);
        tree.node[node] = match &entry.kind {
            Kind::Directory => Node::Dir,
            Kind::Symlink(target) => {
                links.push(node);
                Node::Link(target)
            }
            Kind::File(_) | Kind::Hardlink(_) => Node::Other,
        };
    }
    for link in links {
        tree.resolve(link, 0)?;
    }
    Ok(())
}

impl<'a> Tree<'a> {
    fn insert(&mut self, path: &'a str) -> usize {
        let mut at = ROOT;
        let mut start = 0;
        for name in path.split('/') {
            let end = start + name.len();
            at = match self.children.get(&(at, name)) {
                Some(&child) => child,
                None => {
                    let child = self.node.len();
                    self.parent.push(at);
                    self.node.push(Node::Dir);
                    self.path.push(&path[..end]);
                    self.state.push(State::Unresolved);
                    self.children.insert((at, name), child);
                    child
                }
            };
            start = end + 1;
        }
        at
    }

    /// Where the link at `node` leads.
    fn resolve(&mut self, node: usize, depth: usize) -> Result<Place, Error> {
        match self.state[node] {
            State::Resolved(place) => return Ok(place),
            State::Resolving => return Ok(Place::Nowhere),
            State::Unresolved => {}
        }
        let Node::Link(target) = self.node[node] else {
            return Ok(Place::At(node, 0));
        };
        if depth > MAX_DEPTH {
            return Err(Error::entry(
                self.path[node],
                format!("symlink reached through more than {MAX_DEPTH} nested links, which the kernel does not follow"),
            ));
        }
        self.state[node] = State::Resolving;
        let start = if target.starts_with('/') {
            Place::At(ROOT, 0)
        } else {
            Place::At(self.parent[node], 0)
        };
        let place = self.walk(start, target, depth)?.ok_or_else(|| {
            Error::entry(
                self.path[node],
                format!(
                    "symlink target {} climbs out of the image root once the links on its way are followed",
                    crate::entry::shown(target)
                ),
            )
        })?;
        self.state[node] = State::Resolved(place);
        Ok(place)
    }

    /// Follows `path` from `place`; `None` when it climbs above the root.
    fn walk(&mut self, mut place: Place, path: &str, depth: usize) -> Result<Option<Place>, Error> {
        for name in path.split('/') {
            let Place::At(node, missing) = place else {
                return Ok(Some(Place::Nowhere));
            };
            place = match name {
                "" | "." => place,
                ".." if missing > 0 => Place::At(node, missing - 1),
                ".." if node == ROOT => return Ok(None),
                ".." => Place::At(self.parent[node], 0),
                _ if missing > 0 => Place::At(node, missing + 1),
                _ => match self.children.get(&(node, name)).copied() {
                    Some(child) => match self.node[child] {
                        Node::Dir => Place::At(child, 0),
                        Node::Link(_) => self.resolve(child, depth + 1)?,
                        Node::Other => Place::At(node, 1),
                    },
                    None => Place::At(node, 1),
                },
            };
        }
        Ok(Some(place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: Kind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            mode: 0o777,
            uid: 0,
            gid: 0,
            implicit: false,
        }
    }

    fn link(path: &str, target: &str) -> Entry {
        entry(path, Kind::Symlink(target.into()))
    }

    fn check(entries: &[Entry]) -> Result<(), String> {
        check_symlinks(entries).map_err(|e| e.to_string())
    }

    #[test]
    fn escapes_through_earlier_links_are_found() {
        assert_eq!(
            check(&[link("a", "."), link("b", "a/..")]),
            Err("b: symlink target a/.. climbs out of the image root once the links on its way are followed".into())
        );
        // Through a directory link: usr/x -> ../lib/.. is inside, but lib is a link to usr/lib.
        let dirs = [
            entry("usr", Kind::Directory),
            entry("usr/lib", Kind::Directory),
            link("lib", "usr/lib"),
        ];
        let mut escaping = dirs.to_vec();
        escaping.push(link("usr/lib/x", "../../lib/../../..")); // lib/.. is usr, then two up
        assert!(check(&escaping).is_err());
        let mut fine = dirs.to_vec();
        fine.push(link("usr/lib/y", "../../lib/../lib"));
        fine.push(link("usr/lib/z", "/lib/../../usr")); // absolute: from the root
        check(&fine).unwrap();
    }

    #[test]
    fn ordinary_links_loops_and_dangling_links_pass() {
        check(&[
            entry("usr", Kind::Directory),
            entry("usr/bin", Kind::Directory),
            link("bin", "usr/bin"),
            link("usr/bin/sh", "dash"),
            link("lib64", "/usr/lib64"),
            link("usr/bin/missing", "../nothing/../../bin"),
            link("loop1", "loop2/x"),
            link("loop2", "loop1/y"),
            entry("f", Kind::File(b"x".to_vec().into())),
            link("through_file", "f/../.."), // the kernel says ENOTDIR; lexically it climbs
        ])
        .expect_err("f/../.. climbs out lexically");
        check(&[
            entry("usr", Kind::Directory),
            link("bin", "usr/bin"),
            link("lib64", "/usr/lib64"),
            link("usr/missing", "../nothing/../usr"),
            link("loop1", "loop2/x"),
            link("loop2", "loop1/y"),
        ])
        .unwrap();
    }

    #[test]
    fn chains_deeper_than_the_kernel_follows_are_refused() {
        let mut chain: Vec<Entry> = (0..60)
            .map(|i| link(&format!("l{i:02}"), &format!("l{:02}", i + 1)))
            .collect();
        chain.push(entry("l60", Kind::Directory));
        let err = check(&chain).unwrap_err();
        assert!(err.contains("more than 40 nested links"), "{err}");
        // A long path of many links, each resolved once: linear, not exponential.
        let mut many = vec![entry("d", Kind::Directory)];
        for i in 0..2000 {
            many.push(link(&format!("d/s{i}"), "."));
        }
        let through: String = (0..2000).map(|i| format!("s{i}/")).collect();
        many.push(link("d/far", &format!("{through}..")));
        check(&many).unwrap();
        many.push(link("d/out", &format!("{through}../..")));
        assert!(check(&many)
            .unwrap_err()
            .starts_with("d/out: symlink target"));
    }
}
