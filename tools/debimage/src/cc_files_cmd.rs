//! `debimage cc-files`: the headers and library files of Debian `-dev` packages (and the
//! runtime packages their symlinks point into), for `cc_deb_library`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use layer::{Entry, Kind, Layer, PathFilter, TarOptions};

use crate::output::Outputs;

#[derive(clap::Args)]
pub struct CcFilesArgs {
    /// A .deb: the -dev package and the packages its library symlinks point into (e.g.
    /// zlib1g-dev and zlib1g); repeatable.
    #[arg(long = "deb", required = true)]
    debs: Vec<PathBuf>,
    /// The headers' directory in the packages; everything below it is copied.
    #[arg(long, default_value = "usr/include")]
    include_dir: String,
    /// The directory to write the headers to (what is below --include-dir).
    #[arg(long)]
    headers_out: PathBuf,
    /// A library file of the packages and where to write it, PATH=OUT (e.g.
    /// usr/lib/x86_64-linux-gnu/libz.a=libz.a); symlinks are followed within the packages;
    /// repeatable.
    #[arg(long = "library", value_parser = parse_library)]
    libraries: Vec<(String, PathBuf)>,
}

fn parse_library(value: &str) -> Result<(String, PathBuf), String> {
    let (path, out) = value
        .split_once('=')
        .ok_or_else(|| format!("expected PATH=OUT, got {value:?}"))?;
    match layer::normalize_path(path) {
        Ok(Some(path)) => Ok((path, PathBuf::from(out))),
        _ => Err(format!("{path:?} is not a usable path")),
    }
}

/// How many symlinks a path may go through (Linux's limit, MAXSYMLINKS).
const MAX_LINKS: usize = 40;

pub fn run(args: CcFilesArgs) -> Result<()> {
    let include_dir = match layer::normalize_path(&args.include_dir) {
        Ok(Some(dir)) => dir,
        _ => bail!("--include-dir {:?} is not a usable path", args.include_dir),
    };
    let options = TarOptions {
        filter: PathFilter::new(&[], &["usr/share".to_string()])?,
        ..Default::default()
    };
    let mut files = Layer::new();
    for path in &args.debs {
        let mut deb = crate::layer_cmd::open_deb(path)?;
        let member = deb.data_member().to_string();
        let data = deb.data().with_context(|| path.display().to_string())?;
        files
            .add_tar_with(data, &options)
            .with_context(|| format!("{}: {member}", path.display()))?;
        deb.finish().with_context(|| path.display().to_string())?;
    }
    let packages = || {
        args.debs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };

    // Everything is resolved before anything is written.
    let prefix = format!("{include_dir}/");
    let mut headers: Vec<(&str, &Entry)> = Vec::new();
    for entry in files.entries() {
        let Some(relative) = entry.path.strip_prefix(&prefix) else {
            continue;
        };
        let resolved = resolve(&files, &entry.path)?;
        if matches!(resolved.kind, Kind::File(_) | Kind::Directory) {
            headers.push((relative, resolved));
        } else {
            bail!(
                "{}: {} is neither a file nor a directory",
                packages(),
                entry.path
            );
        }
    }
    if headers.is_empty() {
        bail!("{}: no headers: nothing below /{include_dir}", packages());
    }
    let mut libraries = Vec::new();
    for (path, out) in &args.libraries {
        let entry = match resolve(&files, path) {
            Ok(entry) if matches!(entry.kind, Kind::File(_)) => entry,
            Ok(_) => bail!("{}: /{path} is not a file", packages()),
            Err(e) => return Err(e.context(format!("{}: library /{path}", packages()))),
        };
        libraries.push((entry, out));
    }

    let mut outputs = Outputs::new();
    for (entry, out) in libraries {
        outputs.stage(out, |file| write_content(entry, file))?;
    }
    write_dir(&args.headers_out, |dir| {
        for (relative, entry) in &headers {
            let path = dir.join(relative);
            match &entry.kind {
                Kind::Directory => std::fs::create_dir_all(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
                _ => {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)
                            .with_context(|| format!("cannot create {}", parent.display()))?;
                    }
                    let mut file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    write_content(entry, &mut file)?;
                }
            }
        }
        Ok(())
    })?;
    let committed = outputs.commit();
    if committed.is_err() {
        let _ = std::fs::remove_dir_all(&args.headers_out);
    }
    committed
}

fn write_content(entry: &Entry, out: &mut std::fs::File) -> Result<()> {
    let Kind::File(content) = &entry.kind else {
        bail!("{} is not a file", entry.path);
    };
    let mut reader = content.reader().with_context(|| entry.path.clone())?;
    std::io::copy(&mut reader, out).with_context(|| entry.path.clone())?;
    out.flush().with_context(|| entry.path.clone())?;
    Ok(())
}

/// The entry a path names, every symlink on the way followed within the packages' files
/// (an absolute target from their root, `..` never above it), and a hard link taken as the
/// file it links to.
fn resolve<'a>(files: &'a Layer, path: &str) -> Result<&'a Entry> {
    let mut links = 0;
    let mut done: Vec<String> = Vec::new();
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    while let Some(component) = todo.pop() {
        match component.as_str() {
            "" | "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => done.push(component),
        }
        let current = done.join("/");
        let Some(entry) = files.get(&current) else {
            bail!("/{current} is not in the packages (following /{path})");
        };
        let target = match &entry.kind {
            Kind::Symlink(target) => target,
            Kind::Hardlink(target) if todo.is_empty() => {
                return files.get(target).with_context(|| {
                    format!("/{current} links to /{target}, not in the packages")
                });
            }
            _ if todo.is_empty() => return Ok(entry),
            Kind::Directory => continue,
            _ => bail!("/{current} is not a directory (following /{path})"),
        };
        links += 1;
        if links > MAX_LINKS {
            bail!("/{path}: more than {MAX_LINKS} symlinks");
        }
        done.pop();
        if target.starts_with('/') {
            done.clear();
        }
        todo.extend(target.split('/').rev().map(str::to_string));
    }
    bail!("/{path} names the packages' root, not a file")
}

/// Fills a temporary directory beside `out` and renames it into place, so that `out` is
/// complete or untouched (an empty directory, as Bazel makes for a tree artifact, is
/// replaced).
fn write_dir(out: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = cleanup::TempDir::new_in(parent, ".debimage-").with_context(|| {
        format!(
            "cannot create a temporary directory in {}",
            parent.display()
        )
    })?;
    fill(tmp.path())?;
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.is_dir()) {
        std::fs::remove_dir(out)
            .with_context(|| format!("cannot replace {}: not an empty directory", out.display()))?;
    }
    tmp.rename_to(out)
        .with_context(|| format!("cannot write {}", out.display()))
}
