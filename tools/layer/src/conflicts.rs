//! Conflicts between the layers of one image. In an image, a later layer silently replaces
//! what an earlier one put at the same path, and a file written below a path that an earlier
//! layer made a symlink lands wherever the link points (the merged-/usr clobber). Both are
//! refused here, naming the two layers; byte-identical duplicates are fine. A whiteout that
//! deletes or hides what an earlier layer put down is a change too, and a symlink that climbs
//! out of the root through links of other layers is refused like one within a layer.

use std::collections::BTreeMap;

use crate::entry::{parents, Kind};
use crate::{Entry, Error, Layer};

/// Checks `layers` (name, layer) in image order.
pub fn check_conflicts<'a>(
    layers: impl IntoIterator<Item = (&'a str, &'a Layer)>,
) -> Result<(), Error> {
    let mut seen: BTreeMap<&str, (&str, &Entry)> = BTreeMap::new();
    for (name, layer) in layers {
        let (deleted, opaque) = layer.whiteouts();
        for (path, below_only) in deleted
            .iter()
            .map(|p| (p, false))
            .chain(opaque.iter().map(|p| (p, true)))
        {
            let prefix = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            let hit = seen.get(path.as_str()).filter(|_| !below_only).or_else(|| {
                seen.range(prefix.as_str()..)
                    .next()
                    .filter(|(p, _)| p.starts_with(&prefix))
                    .map(|(_, v)| v)
            });
            if let Some((other, e)) = hit {
                let what = if below_only {
                    "makes it opaque (a whiteout), hiding what is below it"
                } else {
                    "deletes it (a whiteout)"
                };
                return Err(Error::entry(
                    &format!("/{path}"),
                    format!(
                        "{name} {what}, but {other} put {} there: /{}",
                        e.describe(),
                        e.path
                    ),
                ));
            }
        }
        for entry in layer.entries() {
            for parent in parents(&entry.path) {
                if let Some((other, e)) = seen.get(parent) {
                    if let Kind::Symlink(target) = &e.kind {
                        return Err(Error::entry(
                            &format!("/{}", entry.path),
                            format!(
                                "{name} writes below /{parent}, which {other} made a symlink to {target}"
                            ),
                        ));
                    }
                }
            }
            if let Some((other, e)) = seen.get(entry.path.as_str()) {
                if entry.implicit && matches!(e.kind, Kind::Symlink(_)) {
                    continue; // reported for the entries below it, which say more
                }
                if !same_content(e, entry) {
                    return Err(Error::entry(
                        &format!("/{}", entry.path),
                        format!(
                            "{} in {other} conflicts with {} in {name}",
                            e.describe(),
                            entry.describe()
                        ),
                    ));
                }
            }
            seen.insert(&entry.path, (name, entry));
        }
    }
    crate::links::check_symlinks(seen.values().map(|(_, e)| *e)).map_err(|e| match e {
        Error::Entry { path, message } => {
            let layer = seen.get(path.as_str()).map_or("?", |(name, _)| name);
            Error::entry(&format!("/{path}"), format!("{message} (in {layer})"))
        }
        other => other,
    })
}

/// Identical entries, whether or not a directory was implicit in either layer.
fn same_content(a: &Entry, b: &Entry) -> bool {
    a.kind == b.kind && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(entries: &[(&str, Kind, u32)]) -> Layer {
        let mut l = Layer::new();
        for (path, kind, mode) in entries {
            l.add(Entry {
                path: path.to_string(),
                kind: kind.clone(),
                mode: *mode,
                uid: 0,
                gid: 0,
                implicit: false,
            })
            .unwrap();
        }
        l
    }

    #[test]
    fn identical_duplicates_are_allowed() {
        let a = layer(&[
            ("usr/share/doc", Kind::Directory, 0o755),
            ("etc/x", Kind::File(b"1".to_vec().into()), 0o644),
        ]);
        let b = layer(&[
            ("usr/share/doc", Kind::Directory, 0o755),
            ("etc/x", Kind::File(b"1".to_vec().into()), 0o644),
        ]);
        check_conflicts([("a", &a), ("b", &b)]).unwrap();
    }

    #[test]
    fn file_against_directory_names_both_layers() {
        let a = layer(&[("etc/foo", Kind::File(b"x".to_vec().into()), 0o644)]);
        let b = layer(&[("etc/foo", Kind::Directory, 0o755)]);
        let err = check_conflicts([("base-files", &a), ("app", &b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/foo: file 0644 0:0 of 1 bytes in base-files conflicts with directory 0755 0:0 in app"
        );
    }

    #[test]
    fn different_file_contents_conflict() {
        let a = layer(&[("etc/foo", Kind::File(b"x".to_vec().into()), 0o644)]);
        let b = layer(&[("etc/foo", Kind::File(b"y".to_vec().into()), 0o644)]);
        assert!(check_conflicts([("a", &a), ("b", &b)]).is_err());
    }

    #[test]
    fn directory_mode_changes_conflict() {
        let a = layer(&[("tmp", Kind::Directory, 0o1777)]);
        let b = layer(&[("tmp/app.sock", Kind::File(Vec::new().into()), 0o644)]); // implicit 0755 tmp
        let err = check_conflicts([("base-files", &a), ("app", &b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/tmp: directory 1777 0:0 in base-files conflicts with directory 0755 0:0 in app"
        );
    }

    #[test]
    fn links_escaping_through_another_layer_are_refused() {
        let a = layer(&[("a", Kind::Symlink(".".into()), 0o777)]);
        let b = layer(&[("b", Kind::Symlink("a/..".into()), 0o777)]);
        let err = check_conflicts([("one", &a), ("two", &b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/b: symlink target a/.. climbs out of the image root once the links on its way are followed (in two)"
        );
    }

    #[test]
    fn writing_through_a_symlinked_directory_is_refused() {
        let a = layer(&[("lib", Kind::Symlink("usr/lib".into()), 0o777)]);
        let b = layer(&[(
            "lib/x86_64-linux-gnu/libc.so.6",
            Kind::File(b"elf".to_vec().into()),
            0o755,
        )]);
        let err = check_conflicts([("base-files", &a), ("libc6", &b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/lib/x86_64-linux-gnu: libc6 writes below /lib, which base-files made a symlink to usr/lib"
        );
    }
}
