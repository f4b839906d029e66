//! Compiled locales (`/usr/lib/locale/<name>/LC_*`) taken from Debian packages: `C.utf8` from
//! libc-bin, any other from locales-all, which ships every locale glibc supports, compiled.
//!
//! locales-all shares identical category files between locales with symlinks into other
//! locales' directories (`de_DE.utf8/LC_CTYPE -> ../de_AT.utf8/LC_CTYPE`). Here each chosen
//! locale's directory holds its files itself, so that the layer has exactly the chosen
//! locales and no partial others; a file that several of them share is stored once, the
//! other paths being hardlinks to it.
//!
//! Each package is read again for what the previous pass showed was needed, never in full:
//! locales-all's files add up to some 216 MiB.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use layer::{Entry, Kind, Layer, PathFilter, TarOptions};

use crate::Error;

/// Where glibc looks for compiled locales (without an archive, `LOCPATH` unset).
pub const LOCALE_DIR: &str = "usr/lib/locale";
/// More nested symlinks than this between category files is not a locales package.
const MAX_LINK_DEPTH: usize = 8;

/// The directory names glibc tries for `name`, most specific first: the name as given, then
/// with the codeset normalised as `_nl_normalize_codeset` does (`de_DE.UTF-8` ->
/// `de_DE.utf8`).
pub fn candidate_dirs(name: &str) -> Result<Vec<String>, Error> {
    let bad = |message: &str| Error::Locale {
        locale: name.to_string(),
        message: message.to_string(),
    };
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.@-+".contains(&b))
    {
        return Err(bad(
            "not a locale name (language[_territory][.codeset][@modifier], e.g. de_DE.UTF-8)",
        ));
    }
    if name == "C" || name == "POSIX" {
        return Err(bad("built into the C library: it needs no files"));
    }
    let mut candidates = vec![name.to_string()];
    let (base, modifier) = match name.split_once('@') {
        Some((base, modifier)) => (base, Some(modifier)),
        None => (name, None),
    };
    if let Some((language, codeset)) = base.split_once('.') {
        let mut normalised: String = codeset
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if normalised.bytes().all(|b| b.is_ascii_digit()) {
            normalised.insert_str(0, "iso");
        }
        let mut dir = format!("{language}.{normalised}");
        if let Some(modifier) = modifier {
            dir = format!("{dir}@{modifier}");
        }
        if dir != name {
            candidates.push(dir);
        }
    }
    Ok(candidates)
}

/// One package the locales may come from.
struct Package<'a> {
    path: &'a Path,
    name: String,
}

impl Package<'_> {
    /// The package's entries that `include` keeps (and only their contents are read).
    fn read(&self, include: &[String], exclude: &[String]) -> Result<Layer, Error> {
        let context = |e: layer::Error| Error::Locale {
            locale: self.path.display().to_string(),
            message: e.to_string(),
        };
        let file = File::open(self.path).map_err(|error| Error::Data {
            member: self.path.display().to_string(),
            error,
        })?;
        let mut deb = deb::DebReader::new(BufReader::new(file))?;
        let options = TarOptions {
            filter: PathFilter::new(include, exclude).map_err(context)?,
            ..Default::default()
        };
        let mut layer = Layer::new();
        layer.add_tar_with(deb.data()?, &options).map_err(context)?;
        Ok(layer)
    }

    /// The names of the locale directories it ships (nothing below them is read).
    fn locale_names(&self) -> Result<Vec<String>, Error> {
        let layer = self.read(&[format!("{LOCALE_DIR}/*")], &[format!("{LOCALE_DIR}/*/*")])?;
        Ok(layer
            .entries()
            .filter(|e| !e.implicit && e.kind == Kind::Directory)
            .filter_map(|e| {
                e.path
                    .strip_prefix(&format!("{LOCALE_DIR}/"))
                    .map(String::from)
            })
            .collect())
    }
}

/// The layer entries of `locales` (names as `LANG` takes them, e.g. `de_DE.UTF-8`, or as
/// directories, `de_DE.utf8`), each from the first of `debs` that ships it, with the copyright
/// file of every package that gave one.
pub fn locale_entries(debs: &[&Path], locales: &[String]) -> Result<Vec<Entry>, Error> {
    if locales.is_empty() {
        return Err(Error::Locale {
            locale: String::new(),
            message: "no locale given".into(),
        });
    }
    let mut packages = Vec::new();
    for path in debs {
        let file = File::open(path).map_err(|error| Error::Data {
            member: path.display().to_string(),
            error,
        })?;
        let deb = deb::DebReader::new(BufReader::new(file))?;
        let name = deb.metadata().control.package().to_string();
        packages.push(Package { path, name });
    }

    // Pass 1, per package: the chosen locales' directories it has (contents read).
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for locale in locales {
        wanted.push((locale.clone(), candidate_dirs(locale)?));
    }
    let mut found: BTreeMap<String, (usize, String)> = BTreeMap::new(); // locale -> (package, dir)
    let mut dirs: Vec<Layer> = Vec::new();
    for (index, package) in packages.iter().enumerate() {
        let missing: Vec<&(String, Vec<String>)> = wanted
            .iter()
            .filter(|(locale, _)| !found.contains_key(locale))
            .collect();
        let include: Vec<String> = missing
            .iter()
            .flat_map(|(_, candidates)| candidates.iter().map(|d| format!("{LOCALE_DIR}/{d}")))
            .chain([format!("usr/share/doc/{}/copyright", package.name)])
            .collect();
        let layer = package.read(&include, &[])?;
        for (locale, candidates) in missing {
            let dir = candidates.iter().find(|d| {
                layer
                    .entries()
                    .any(|e| e.path == format!("{LOCALE_DIR}/{d}") && e.kind == Kind::Directory)
            });
            if let Some(dir) = dir {
                found.insert(locale.clone(), (index, dir.clone()));
            }
        }
        dirs.push(layer);
    }
    if let Some((locale, candidates)) = wanted.iter().find(|(l, _)| !found.contains_key(l)) {
        return Err(not_found(&packages, locale, candidates)?);
    }

    let mut out = Vec::new();
    for (index, package) in packages.iter().enumerate() {
        let chosen: BTreeSet<&str> = found
            .values()
            .filter(|(i, _)| *i == index)
            .map(|(_, dir)| dir.as_str())
            .collect();
        if chosen.is_empty() {
            continue;
        }
        out.extend(package_entries(package, &dirs[index], &chosen)?);
    }
    Ok(out)
}

/// The chosen directories of one package with their symlinks made files (or hardlinks to the
/// first path of the same file), and the package's copyright.
fn package_entries(
    package: &Package,
    read: &Layer,
    chosen: &BTreeSet<&str>,
) -> Result<Vec<Entry>, Error> {
    let in_chosen = |path: &str| {
        chosen.iter().any(|dir| {
            let dir = format!("{LOCALE_DIR}/{dir}");
            path == dir || path.starts_with(&format!("{dir}/"))
        })
    };
    let fail = |path: &str, message: String| Error::Locale {
        locale: format!("{}: /{path}", package.name),
        message,
    };
    // Every entry known so far by path; files outside the chosen directories are read on
    // demand, in as many passes as there are levels of links.
    let mut known: BTreeMap<String, Entry> = read
        .entries()
        .filter(|e| !e.implicit && (in_chosen(&e.path) || e.path.starts_with("usr/share/doc/")))
        .map(|e| (e.path.clone(), e.clone()))
        .collect();
    // Link path -> the real file it leads to.
    let mut resolved: BTreeMap<String, String> = BTreeMap::new();
    // Link path -> the symlink reached so far on the way (the link itself at first).
    let mut pending: BTreeMap<String, String> = known
        .values()
        .filter(|e| matches!(e.kind, Kind::Symlink(_)))
        .map(|e| (e.path.clone(), e.path.clone()))
        .collect();
    // Each round follows every pending link one step, or reads the files they need first.
    for _ in 0..2 * MAX_LINK_DEPTH {
        if pending.is_empty() {
            break;
        }
        let mut next = BTreeMap::new();
        let mut to_read = BTreeSet::new();
        for (link, at) in &pending {
            let Some(Kind::Symlink(target)) = known.get(at).map(|e| &e.kind) else {
                return Err(fail(at, "is no longer a symlink".into()));
            };
            let real = target_of(at, target).ok_or_else(|| {
                fail(
                    at,
                    format!("symlink to {target} leads outside /{LOCALE_DIR}"),
                )
            })?;
            match known.get(&real).map(|e| &e.kind) {
                Some(Kind::File(_)) => {
                    resolved.insert(link.clone(), real);
                }
                Some(Kind::Symlink(_)) => {
                    next.insert(link.clone(), real);
                }
                Some(other) => {
                    return Err(fail(
                        at,
                        format!("symlink to {real}, which is a {}", kind_name(other)),
                    ))
                }
                None => {
                    to_read.insert(real);
                    next.insert(link.clone(), at.clone());
                }
            }
        }
        if !to_read.is_empty() {
            let include: Vec<String> = to_read.iter().cloned().collect();
            let layer = package.read(&include, &[])?;
            for path in &to_read {
                let entry = layer.entries().find(|e| &e.path == path).ok_or_else(|| {
                    fail(
                        path,
                        "a symlink leads here, but the package has no such file".into(),
                    )
                })?;
                known.insert(path.clone(), entry.clone());
            }
        }
        pending = next;
    }
    if let Some(link) = pending.keys().next() {
        return Err(fail(
            link,
            format!("more than {MAX_LINK_DEPTH} nested symlinks"),
        ));
    }

    // Each real file once: at the first (in path order) of the chosen paths that stand for it.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, entry) in &known {
        if !in_chosen(path) {
            continue;
        }
        match &entry.kind {
            Kind::File(_) => groups.entry(path.clone()).or_default().push(path.clone()),
            Kind::Symlink(_) => {
                if let Some(real) = resolved.get(path) {
                    groups.entry(real.clone()).or_default().push(path.clone());
                }
            }
            _ => {}
        }
    }
    let mut entries: Vec<Entry> = known
        .values()
        .filter(|e| matches!(e.kind, Kind::Directory) && in_chosen(&e.path))
        .chain(
            known
                .values()
                .filter(|e| e.path.starts_with("usr/share/doc/")),
        )
        .cloned()
        .collect();
    let mut links = Vec::new();
    for (real, mut paths) in groups {
        paths.sort();
        let original = &known[&real];
        let primary = paths[0].clone();
        entries.push(Entry {
            path: primary.clone(),
            ..original.clone()
        });
        for path in &paths[1..] {
            links.push(Entry {
                path: path.clone(),
                kind: Kind::Hardlink(primary.clone()),
                ..original.clone()
            });
        }
    }
    entries.extend(links); // after the files they link to
    Ok(entries)
}

/// Where a symlink at `link` with `target` points, normalised, if inside the locale directory.
fn target_of(link: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link.split('/').collect()
    };
    if !target.starts_with('/') {
        parts.pop(); // the link's own name
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    let path = parts.join("/");
    path.starts_with(&format!("{LOCALE_DIR}/")).then_some(path)
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Directory => "directory",
        Kind::File(_) => "file",
        Kind::Symlink(_) => "symlink",
        Kind::Hardlink(_) => "hardlink",
    }
}

/// The error for a locale no package has, with the names there are for its language.
fn not_found(packages: &[Package], locale: &str, candidates: &[String]) -> Result<Error, Error> {
    let language = locale
        .split(['_', '.', '@'])
        .next()
        .unwrap_or(locale)
        .to_string();
    let mut similar = BTreeSet::new();
    for package in packages {
        for name in package.locale_names()? {
            let same_language = name.split(['_', '.', '@']).next() == Some(language.as_str());
            if same_language {
                similar.insert(name);
            }
        }
    }
    let searched: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let paths: Vec<String> = candidates
        .iter()
        .map(|d| format!("/{LOCALE_DIR}/{d}"))
        .collect();
    let mut message = format!(
        "no package ships it (looked for {} in {})",
        paths.join(" or "),
        searched.join(", ")
    );
    if similar.is_empty() {
        message.push_str(&format!("; none for the language {language:?} either"));
    } else {
        let names: Vec<&str> = similar.iter().map(String::as_str).collect();
        message.push_str(&format!(
            "; for {language:?} there are: {}",
            names.join(" ")
        ));
    }
    Ok(Error::Locale {
        locale: locale.to_string(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    #[test]
    fn names_map_to_the_directories_glibc_tries() {
        let dirs = |n: &str| candidate_dirs(n).unwrap();
        assert_eq!(dirs("C.UTF-8"), ["C.UTF-8", "C.utf8"]);
        assert_eq!(dirs("de_DE.UTF-8"), ["de_DE.UTF-8", "de_DE.utf8"]);
        assert_eq!(dirs("de_DE.utf8"), ["de_DE.utf8"]);
        assert_eq!(dirs("de_DE@euro"), ["de_DE@euro"]);
        assert_eq!(
            dirs("sr_RS.UTF-8@latin"),
            ["sr_RS.UTF-8@latin", "sr_RS.utf8@latin"]
        );
        assert_eq!(dirs("de_DE.8859-1"), ["de_DE.8859-1", "de_DE.iso88591"]);
        for bad in ["", "../etc", "de/DE", ".utf8", "de DE"] {
            assert!(candidate_dirs(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            candidate_dirs("POSIX").unwrap_err().to_string(),
            "locale POSIX: built into the C library: it needs no files"
        );
    }

    fn debs() -> (PathBuf, PathBuf) {
        (testdata::deb("libc-bin"), testdata::deb("locales-all"))
    }

    /// The layer of `entries`, unpacked by GNU tar into a new directory.
    fn unpack(entries: Vec<Entry>, dir: &Path) -> PathBuf {
        let mut layer = Layer::new();
        for e in entries {
            layer.add(e).unwrap();
        }
        let blob = dir.join("layer.tar.gz");
        let file = File::create(&blob).unwrap();
        layer::write_tar(&layer, file, 0, layer::LayerCompression::Gzip).unwrap();
        let root = dir.join("layer");
        std::fs::create_dir(&root).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&blob)
            .arg("-C")
            .arg(&root)
            .status()
            .expect("GNU tar");
        assert!(status.success());
        root
    }

    /// Every chosen locale is complete and each of its files has the bytes that dpkg-deb's
    /// extraction of the package has there (through its symlinks); nothing else is in the
    /// layer but the copyright files; shared files are hardlinks.
    #[test]
    fn chosen_locales_have_the_packages_bytes_and_nothing_else() {
        let (libc_bin, locales_all) = debs();
        let dir = tempfile::tempdir().unwrap();
        let locales = ["C.UTF-8", "de_DE.UTF-8", "de_AT.UTF-8", "de_DE@euro"].map(String::from);
        let entries = locale_entries(&[&libc_bin, &locales_all], &locales).unwrap();
        let layer = unpack(entries, dir.path());

        let packaged = dir.path().join("dpkg");
        for deb in [&libc_bin, &locales_all] {
            let status = Command::new("dpkg-deb")
                .arg("-x")
                .arg(deb)
                .arg(&packaged)
                .status()
                .expect("dpkg-deb");
            assert!(status.success());
        }
        let locale_dir = layer.join(LOCALE_DIR);
        let mut names: Vec<String> = std::fs::read_dir(&locale_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["C.utf8", "de_AT.utf8", "de_DE.utf8", "de_DE@euro"]);
        let categories = [
            "LC_ADDRESS",
            "LC_COLLATE",
            "LC_CTYPE",
            "LC_IDENTIFICATION",
            "LC_MEASUREMENT",
            "LC_MESSAGES/SYS_LC_MESSAGES",
            "LC_MONETARY",
            "LC_NAME",
            "LC_NUMERIC",
            "LC_PAPER",
            "LC_TELEPHONE",
            "LC_TIME",
        ];
        let mut inodes = BTreeSet::new();
        let mut real_paths = BTreeSet::new();
        let mut files = 0;
        for name in &names {
            for category in categories {
                let ours = locale_dir.join(name).join(category);
                let meta =
                    std::fs::symlink_metadata(&ours).unwrap_or_else(|e| panic!("{ours:?}: {e}"));
                assert!(meta.is_file(), "{ours:?} is a regular file");
                let theirs = packaged.join(LOCALE_DIR).join(name).join(category);
                assert!(
                    std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
                    "{name}/{category} differs from the package's"
                );
                inodes.insert(std::os::unix::fs::MetadataExt::ino(&meta));
                real_paths.insert(std::fs::canonicalize(&theirs).unwrap());
                files += 1;
            }
        }
        assert_eq!(files, 48);
        // A file the package shares between locales (one real file, symlinks to it) is one
        // file with hardlinks here.
        assert_eq!(
            inodes.len(),
            real_paths.len(),
            "one inode per real file of the package"
        );
        assert!(inodes.len() < files);

        let mut all = Vec::new();
        let mut stack = vec![layer.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                all.push(p.strip_prefix(&layer).unwrap().display().to_string());
            }
        }
        let outside: Vec<&String> = all
            .iter()
            .filter(|p| !p.starts_with(LOCALE_DIR) && !LOCALE_DIR.starts_with(p.as_str()))
            .collect();
        let mut outside: Vec<&str> = outside.into_iter().map(String::as_str).collect();
        outside.sort();
        assert_eq!(
            outside,
            [
                "usr/share",
                "usr/share/doc",
                "usr/share/doc/libc-bin",
                "usr/share/doc/libc-bin/copyright",
                "usr/share/doc/locales-all",
                "usr/share/doc/locales-all/copyright",
            ]
        );
    }

    #[test]
    fn an_unknown_locale_names_the_ones_there_are() {
        let (libc_bin, locales_all) = debs();
        let err = |l: &str| {
            locale_entries(&[&libc_bin, &locales_all], &[l.to_string()])
                .unwrap_err()
                .to_string()
        };
        let latin1 = err("de_DE.ISO-8859-1");
        assert!(
            latin1.starts_with(
                "locale de_DE.ISO-8859-1: no package ships it (looked for \
                 /usr/lib/locale/de_DE.ISO-8859-1 or /usr/lib/locale/de_DE.iso88591 in \
                 libc-bin, locales-all); for \"de\" there are: de_AT de_AT.utf8 de_AT@euro "
            ) && latin1.contains(" de_DE "),
            "{latin1}"
        );
        assert!(err("xx_YY.UTF-8").ends_with("; none for the language \"xx\" either"));
        // C.utf8 is libc-bin's: locales-all alone does not have it.
        let only_all = locale_entries(&[&locales_all], &["C.UTF-8".to_string()]);
        assert!(only_all
            .unwrap_err()
            .to_string()
            .ends_with("; none for the language \"C\" either"));
    }
}
