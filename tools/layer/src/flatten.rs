//! Many layers (or tars) as one layer. An entry that several inputs hold identically is kept
//! once; any other clash is refused naming both inputs, as between the layers of an image
//! (see [`crate::check_conflicts`]): a path with two different contents, or an entry below a
//! path that another input made a symlink or a file. No input silently replaces another's
//! entry.
//!
//! A directory an input only implies (its tar has entries below it but not the directory
//! itself) takes the mode and owner another input declares for it.

use std::collections::HashMap;

use crate::entry::{parents, Kind};
use crate::{Entry, Error, Layer};

/// The union of `inputs` (name, layer), in order; names appear in error messages.
pub fn flatten<'a>(inputs: impl IntoIterator<Item = (&'a str, &'a Layer)>) -> Result<Layer, Error> {
    let mut out = Layer::new();
    // Every declared entry taken so far: the input it came from, and that input's layer (to
    // resolve its hardlinks).
    let mut seen: HashMap<&str, (&str, &Layer, &Entry)> = HashMap::new();
    // Directories implied (not declared) by an input: the first input that implied each.
    let mut implied: HashMap<&str, &str> = HashMap::new();
    for (name, layer) in inputs {
        // A hardlink's target is a file of the same input: take the files first.
        let (links, others): (Vec<&Entry>, Vec<&Entry>) = layer
            .entries()
            .filter(|e| !e.implicit)
            .partition(|e| matches!(e.kind, Kind::Hardlink(_)));
        for entry in others.into_iter().chain(links) {
            for parent in parents(&entry.path) {
                if let Some((other, _, e)) = seen.get(parent) {
                    if e.kind != Kind::Directory {
                        return Err(Error::entry(
                            &format!("/{}", entry.path),
                            format!(
                                "{name} writes below /{parent}, which is a {} in {other}",
                                e.describe()
                            ),
                        ));
                    }
                } else {
                    implied.entry(parent).or_insert(name);
                }
            }
            if let Some((other, other_layer, e)) = seen.get(entry.path.as_str()) {
                if same(e, other_layer, entry, layer) {
                    continue;
                }
                return Err(Error::entry(
                    &format!("/{}", entry.path),
                    format!(
                        "{} in {other} conflicts with {} in {name}",
                        e.describe(),
                        entry.describe()
                    ),
                ));
            }
            if entry.kind != Kind::Directory {
                if let Some(other) = implied.get(entry.path.as_str()) {
                    return Err(Error::entry(
                        &format!("/{}", entry.path),
                        format!(
                            "{} in {name}, where {other} has entries below a directory",
                            entry.describe()
                        ),
                    ));
                }
            }
            out.add(entry.clone())
                .map_err(|e| Error::entry(name, e.to_string()))?;
            seen.insert(&entry.path, (name, layer, entry));
        }
    }
    Ok(out)
}

/// Whether two entries (each with its layer) would extract the same: same type, mode and
/// owner, and for files the same bytes, a hardlink standing for the file it links to.
fn same(a: &Entry, a_layer: &Layer, b: &Entry, b_layer: &Layer) -> bool {
    let (a, b) = (resolve(a, a_layer), resolve(b, b_layer));
    a.kind == b.kind && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
}

fn resolve<'a>(entry: &'a Entry, layer: &'a Layer) -> &'a Entry {
    match &entry.kind {
        Kind::Hardlink(target) => layer.entries.get(target).unwrap_or(entry),
        _ => entry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: Kind, mode: u32) -> Entry {
        Entry {
            path: path.to_string(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            implicit: false,
        }
    }

    fn layer(entries: Vec<Entry>) -> Layer {
        let mut l = Layer::new();
        for e in entries {
            l.add(e).unwrap();
        }
        l
    }

    fn file(path: &str, data: &str) -> Entry {
        entry(path, Kind::File(data.as_bytes().into()), 0o644)
    }

    fn dir(path: &str, mode: u32) -> Entry {
        entry(path, Kind::Directory, mode)
    }

    #[test]
    fn identical_entries_are_kept_once() {
        let a = layer(vec![
            dir("etc", 0o755),
            file("etc/a", "1"),
            file("etc/same", "s"),
        ]);
        let b = layer(vec![
            dir("etc", 0o755),
            file("etc/b", "2"),
            file("etc/same", "s"),
        ]);
        let out = flatten([("a", &a), ("b", &b)]).unwrap();
        assert_eq!(
            out.listing(),
            "/etc d 0755 0:0 0\n/etc/a f 0644 0:0 1\n/etc/b f 0644 0:0 1\n/etc/same f 0644 0:0 1\n"
        );
    }

    #[test]
    fn different_contents_name_both_inputs() {
        let a = layer(vec![file("etc/x", "1")]);
        let b = layer(vec![file("etc/x", "22")]);
        assert_eq!(
            flatten([("//a:layer", &a), ("b.tar", &b)]).unwrap_err().to_string(),
            "/etc/x: file 0644 0:0 of 1 bytes in //a:layer conflicts with file 0644 0:0 of 2 bytes in b.tar"
        );
        let c = layer(vec![entry(
            "etc/x",
            Kind::File(b"1".to_vec().into()),
            0o600,
        )]);
        assert!(flatten([("a", &a), ("c", &c)]).is_err(), "modes differ");
    }

    #[test]
    fn a_declared_directory_wins_over_an_implied_one() {
        let implied = layer(vec![file("opt/app/run", "x")]); // opt, opt/app implied (0755)
        let declared = layer(vec![dir("opt", 0o700)]);
        for inputs in [
            [("i", &implied), ("d", &declared)],
            [("d", &declared), ("i", &implied)],
        ] {
            let out = flatten(inputs).unwrap();
            assert_eq!(
                out.entries().next().unwrap().describe(),
                "directory 0700 0:0"
            );
        }
        // Declared differently by two inputs: a conflict.
        let other = layer(vec![dir("opt", 0o755)]);
        assert!(flatten([("d", &declared), ("o", &other)]).is_err());
    }

    #[test]
    fn writing_below_a_symlink_or_file_of_another_input_is_refused() {
        let links = layer(vec![entry("lib", Kind::Symlink("usr/lib".into()), 0o777)]);
        let libc = layer(vec![dir("lib", 0o755), file("lib/libc.so.6", "elf")]);
        assert_eq!(
            flatten([("base-files", &links), ("libc6", &libc)])
                .unwrap_err()
                .to_string(),
            "/lib: symlink to usr/lib in base-files conflicts with directory 0755 0:0 in libc6"
        );
        let implied_only = layer(vec![file("lib/libc.so.6", "elf")]);
        assert_eq!(
            flatten([("base-files", &links), ("libc6", &implied_only)])
                .unwrap_err()
                .to_string(),
            "/lib/libc.so.6: libc6 writes below /lib, which is a symlink to usr/lib in base-files"
        );
        assert_eq!(
            flatten([("libc6", &implied_only), ("base-files", &links)])
                .unwrap_err()
                .to_string(),
            "/lib: symlink to usr/lib in base-files, where libc6 has entries below a directory"
        );
    }

    #[test]
    fn a_hardlink_is_the_same_as_the_file_it_links_to() {
        let linked = layer(vec![
            file("usr/bin/a", "bin"),
            entry("usr/bin/b", Kind::Hardlink("usr/bin/a".into()), 0o644),
        ]);
        let copied = layer(vec![file("usr/bin/b", "bin"), file("usr/bin/c", "bin")]);
        let out = flatten([("copied", &copied), ("linked", &linked)]).unwrap();
        assert_eq!(
            out.listing(),
            "/usr d 0755 0:0 0\n/usr/bin d 0755 0:0 0\n/usr/bin/a f 0644 0:0 3\n\
             /usr/bin/b f 0644 0:0 3\n/usr/bin/c f 0644 0:0 3\n"
        );
        let other = layer(vec![file("usr/bin/b", "nib")]);
        assert!(flatten([("linked", &linked), ("other", &other)]).is_err());
    }
}
