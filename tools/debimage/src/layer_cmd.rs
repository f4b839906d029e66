//! `debimage layer`: one deterministic layer from any mix of sources.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use layer::{Entry, Kind, Layer, PathFilter, TarOptions};
use serde::Deserialize;

use crate::output::LayerOutput;

#[derive(clap::Args)]
pub struct LayerArgs {
    /// A .deb whose data goes into the layer (repeatable, in order).
    #[arg(long = "deb")]
    debs: Vec<PathBuf>,
    /// Also write each --deb's dpkg metadata: var/lib/dpkg/status.d/<package>[.md5sums].
    #[arg(long)]
    status: bool,
    /// With --status, add a "Status: install ok installed" line (some scanners want it).
    #[arg(long, requires = "status")]
    status_field: bool,
    /// Keep only --deb paths matching this glob (and what lies below); repeatable.
    #[arg(long = "include")]
    include: Vec<String>,
    /// Drop --deb paths matching this glob (and what lies below); repeatable.
    #[arg(long = "exclude")]
    exclude: Vec<String>,
    /// Move /bin, /sbin and /lib* of --deb data into /usr and make them symlinks.
    #[arg(long)]
    merged_usr: bool,
    /// Relocate a path (and what lies below) of --deb data: FROM=TO, e.g.
    /// bin/busybox=busybox/busybox; repeatable.
    #[arg(long = "move", value_parser = parse_move)]
    moves: Vec<(String, String)>,
    /// A tar file whose entries go into the layer (repeatable): plain, gzip, zstd, xz or bzip2,
    /// told by its first bytes. Owned by 0:0 unless --tar-keep-owners; mtimes are --mtime.
    #[arg(long = "tar")]
    tars: Vec<PathBuf>,
    /// A directory of each --tar (e.g. node-v22.1.0-linux-x64) whose contents become the
    /// layer's root; an entry outside it is an error.
    #[arg(long, value_parser = parse_dir)]
    tar_strip_prefix: Option<String>,
    /// A directory (e.g. /opt/app) that every --tar entry goes under, after
    /// --tar-strip-prefix.
    #[arg(long, value_parser = parse_dir)]
    tar_prefix: Option<String>,
    /// Keep the numeric owners recorded in each --tar (never its owner names) instead of 0:0.
    #[arg(long)]
    tar_keep_owners: bool,
    /// Drop --tar entries matching this glob (a path after --tar-strip-prefix, e.g.
    /// lib/node_modules/npm) and what lies below; repeatable.
    #[arg(long = "tar-exclude")]
    tar_exclude: Vec<String>,
    /// /etc/passwd from a JSON list of {name, uid, gid, gecos, home, shell}.
    #[arg(long)]
    passwd: Option<PathBuf>,
    /// /etc/group from a JSON list of {name, gid, members}.
    #[arg(long)]
    group: Option<PathBuf>,
    /// /etc/ssl/certs/ca-certificates.crt from the certificates of this ca-certificates .deb.
    #[arg(long)]
    cacerts: Option<PathBuf>,
    /// With --cacerts, also the Java trust store /etc/ssl/certs/java/cacerts (PKCS#12,
    /// password "changeit").
    #[arg(long, requires = "cacerts")]
    java_truststore: bool,
    /// Declared entries from a JSON list of {path, type: file|directory|symlink, mode ("0644"),
    /// uid, gid, content | source (a file to copy), target (symlinks)}.
    #[arg(long = "entries")]
    entries: Vec<PathBuf>,
    #[command(flatten)]
    output: LayerOutput,
}

fn parse_dir(value: &str) -> Result<String, String> {
    match layer::normalize_path(value) {
        Ok(Some(p)) => Ok(p),
        _ => Err(format!("{value:?} is not a usable directory path")),
    }
}

fn parse_move(value: &str) -> Result<(String, String), String> {
    let (from, to) = value
        .split_once('=')
        .ok_or_else(|| format!("expected FROM=TO, got {value:?}"))?;
    let norm = |p: &str| match layer::normalize_path(p) {
        Ok(Some(p)) => Ok(p),
        _ => Err(format!("{p:?} is not a usable path")),
    };
    Ok((norm(from)?, norm(to)?))
}

pub fn open_deb(path: &Path) -> Result<deb::DebReader<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    deb::DebReader::new(BufReader::new(file)).with_context(|| path.display().to_string())
}

/// A tar file's entries (decompressed as its magic bytes say, by `image_fs::open_tar`),
/// refused early with a clear message when its first block is no ustar/GNU/pax header (nor
/// an empty archive's zeros).
fn open_tar(path: &Path) -> Result<impl Read> {
    let name = path.display().to_string();
    let mut data = crate::image_fs::open_tar(path)?;
    let mut block = Vec::with_capacity(512);
    (&mut data)
        .take(512)
        .read_to_end(&mut block)
        .with_context(|| format!("{name}: cannot decompress"))?;
    let is_header = block.len() == 512 && block[257..262] == *b"ustar";
    if !is_header && block.iter().any(|b| *b != 0) {
        bail!("{name}: not a tar file (plain or gzip, zstd, xz, bzip2 compressed)");
    }
    Ok(std::io::Cursor::new(block).chain(data))
}

pub fn run(args: LayerArgs) -> Result<()> {
    let options = TarOptions {
        filter: PathFilter::new(&args.include, &args.exclude)?,
        merged_usr: args.merged_usr,
        moves: args.moves.clone(),
        ..Default::default()
    };
    let mut layer = Layer::new();
    for path in &args.debs {
        let mut deb = open_deb(path)?;
        let metadata = deb.metadata().clone();
        let member = deb.data_member().to_string();
        let data = deb.data().with_context(|| path.display().to_string())?;
        layer
            .add_tar_with(data, &options)
            .and_then(|()| layer.check_symlinks())
            .with_context(|| format!("{}: {member}", path.display()))?;
        deb.finish().with_context(|| path.display().to_string())?;
        if args.status {
            let status = rootfs::StatusOptions {
                add_status_field: args.status_field,
            };
            for entry in rootfs::status_entries(&metadata, status)
                .with_context(|| path.display().to_string())?
            {
                layer
                    .add(entry)
                    .with_context(|| path.display().to_string())?;
            }
        }
    }
    let tar_options = TarOptions {
        strip_prefix: args.tar_strip_prefix.clone(),
        prefix: args.tar_prefix.clone(),
        owner: (!args.tar_keep_owners).then_some((0, 0)),
        filter: PathFilter::new(&[], &args.tar_exclude)?,
        ..Default::default()
    };
    for path in &args.tars {
        let mut data = open_tar(path)?;
        let name = || path.display().to_string();
        layer
            .add_tar_with(&mut data, &tar_options)
            .with_context(name)?;
        // To the end of the stream: the tar ends before the compression's trailer, whose
        // checksum (gzip's CRC-32, zstd's and xz's) is only checked there.
        std::io::copy(&mut data, &mut std::io::sink()).with_context(name)?;
    }
    if let Some(path) = &args.passwd {
        let users: Vec<rootfs::User> = read_json(path)?;
        add(&mut layer, rootfs::passwd_entry(&users), path)?;
    }
    if let Some(path) = &args.group {
        let groups: Vec<rootfs::Group> = read_json(path)?;
        add(&mut layer, rootfs::group_entry(&groups), path)?;
    }
    if let Some(path) = &args.cacerts {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let bundle = rootfs::CaBundle::from_deb(BufReader::new(file))
            .with_context(|| path.display().to_string())?;
        layer
            .add(bundle.entry())
            .with_context(|| path.display().to_string())?;
        if args.java_truststore {
            let password = rootfs::keystore::DEFAULT_PASSWORD;
            let store = rootfs::java_truststore(&bundle.certificates, password);
            let entry = Entry {
                path: rootfs::KEYSTORE_PATH.to_string(),
                kind: Kind::File(store.into()),
                mode: 0o644,
                uid: 0,
                gid: 0,
                implicit: false,
            };
            layer
                .add(entry)
                .with_context(|| path.display().to_string())?;
        }
    }
    for path in &args.entries {
        let declared: Vec<DeclaredEntry> = read_json(path)?;
        for d in declared {
            let entry = d.into_entry().with_context(|| path.display().to_string())?;
            layer
                .add(entry)
                .with_context(|| path.display().to_string())?;
        }
    }
    if layer.entries().next().is_none() {
        bail!("nothing to put in the layer: give --deb, --tar, --passwd, --group, --cacerts or --entries");
    }

    args.output.write(&layer)
}

fn add(layer: &mut Layer, entry: Result<Entry, rootfs::Error>, source: &Path) -> Result<()> {
    let entry = entry.with_context(|| source.display().to_string())?;
    layer
        .add(entry)
        .with_context(|| source.display().to_string())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    serde_json::from_reader(BufReader::new(file))
        .with_context(|| format!("{}: not the expected JSON", path.display()))
}

/// One entry as a rule declares it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredEntry {
    path: String,
    #[serde(rename = "type")]
    kind: DeclaredKind,
    /// Octal, as a string: "0644", "1777".
    mode: Option<String>,
    #[serde(default)]
    uid: u64,
    #[serde(default)]
    gid: u64,
    content: Option<String>,
    source: Option<PathBuf>,
    target: Option<String>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum DeclaredKind {
    File,
    Directory,
    Symlink,
}

impl DeclaredEntry {
    fn into_entry(self) -> Result<Entry> {
        let path = layer::normalize_path(&self.path)?.with_context(|| {
            format!("entry {:?}: the root itself cannot be declared", self.path)
        })?;
        let context = || format!("entry {:?}", self.path);
        let default_mode = match self.kind {
            DeclaredKind::File => "0644",
            DeclaredKind::Directory => "0755",
            DeclaredKind::Symlink => "0777",
        };
        let mode_text = self.mode.as_deref().unwrap_or(default_mode);
        let mode = u32::from_str_radix(mode_text, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .with_context(|| format!("{}: mode {mode_text:?} is not octal 0000-7777", context()))?;
        let kind = match (&self.kind, self.content, self.source, self.target) {
            (DeclaredKind::File, Some(text), None, None) => Kind::File(text.into_bytes().into()),
            (DeclaredKind::File, None, Some(source), None) => {
                let read = || -> std::io::Result<layer::Content> {
                    layer::Content::read(BufReader::new(File::open(&source)?), true)
                };
                Kind::File(
                    read().with_context(|| {
                        format!("{}: cannot read {}", context(), source.display())
                    })?,
                )
            }
            (DeclaredKind::Directory, None, None, None) => Kind::Directory,
            (DeclaredKind::Symlink, None, None, Some(target)) => Kind::Symlink(target),
            _ => bail!(
                "{}: a file needs content or source, a symlink a target, a directory neither",
                context()
            ),
        };
        Ok(Entry {
            path,
            kind,
            mode,
            uid: self.uid,
            gid: self.gid,
            implicit: false,
        })
    }
}
