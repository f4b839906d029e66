//! Our `/etc/ld.so.cache` against glibc's own tools, on real Debian 13 packages: trixie's
//! `ldconfig` (static-pie, from libc-bin) writes the cache of the same unpacked tree, and must
//! write the same bytes; `ldconfig -p` reads ours for every architecture's flags.

use std::fs;
use std::io::BufReader;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use layer::{Kind, Layer, TarOptions};
use rootfs::ld_so_cache::{cache_entries, write_cache, Architecture, CacheEntry, FileTree};

/// The packages' layers as deb_layer makes them for Debian 13 (merged /usr).
fn layers(debs: &[&str]) -> Vec<Layer> {
    debs.iter()
        .map(|name| {
            let path = testdata::deb(name);
            let file = fs::File::open(&path).unwrap();
            let mut deb = deb::DebReader::new(BufReader::new(file)).unwrap();
            let mut layer = Layer::new();
            let options = TarOptions {
                merged_usr: true,
                ..Default::default()
            };
            layer.add_tar_with(deb.data().unwrap(), &options).unwrap();
            layer
        })
        .collect()
}

fn tree(layers: &[Layer]) -> FileTree {
    let mut tree = FileTree::new();
    let mut spill = tempfile::tempfile().unwrap();
    for layer in layers {
        tree.add_layer(layer, &mut spill).unwrap();
    }
    tree
}

/// The layers unpacked into `root`, as a container runtime would.
fn unpack(layers: &[Layer], root: &Path) {
    fs::create_dir_all(root).unwrap();
    for layer in layers {
        for entry in layer.entries() {
            let path = root.join(&entry.path);
            match &entry.kind {
                Kind::Directory => fs::create_dir_all(&path).unwrap(),
                Kind::File(data) => {
                    let mut file = fs::File::create(&path).unwrap();
                    std::io::copy(&mut data.reader().unwrap(), &mut file).unwrap();
                    fs::set_permissions(&path, fs::Permissions::from_mode(entry.mode)).unwrap();
                }
                Kind::Symlink(target) => {
                    let _ = fs::remove_file(&path);
                    symlink(target, &path).unwrap();
                }
                Kind::Hardlink(target) => fs::hard_link(root.join(target), &path).unwrap(),
            }
        }
    }
}

/// trixie's ldconfig, from the libc-bin package (statically linked: it runs on any amd64 host).
fn ldconfig(dir: &Path) -> PathBuf {
    let bin = dir.join("libc-bin");
    unpack(&layers(&["libc-bin-trixie"]), &bin);
    bin.join("usr/sbin/ldconfig")
}

fn print_cache(ldconfig: &Path, cache: &Path) -> String {
    let out = Command::new(ldconfig)
        .arg("-p")
        .arg("-C")
        .arg(cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The generator string of a cache file (the last bytes, as cache.c writes them).
fn generator(cache: &[u8]) -> String {
    let u32_at = |at: usize| u32::from_le_bytes(cache[at..at + 4].try_into().unwrap()) as usize;
    let ext = u32_at(32);
    assert_eq!(u32_at(ext), 0xeaa4_2174, "extension magic");
    let (offset, size) = (u32_at(ext + 16), u32_at(ext + 20));
    String::from_utf8(cache[offset..offset + size].to_vec()).unwrap()
}

const AMD64: &[&str] = &[
    "base-files-trixie",
    "libc6-trixie",
    "libc-bin-trixie",
    "zlib1g-trixie",
    "zlib1g-dev-trixie",
    "libssl3t64-trixie",
];

#[test]
fn same_bytes_as_trixie_ldconfig() {
    let dir = tempfile::tempdir().unwrap();
    let ldconfig = ldconfig(dir.path());
    let layers = layers(AMD64);
    let root = dir.path().join("root");
    unpack(&layers, &root);
    let status = Command::new(&ldconfig)
        .arg("-r")
        .arg(&root)
        .args(["-X", "-i", "-C", "/etc/ld.so.cache"])
        .status()
        .unwrap();
    assert!(status.success());
    let real = fs::read(root.join("etc/ld.so.cache")).unwrap();

    let entries = cache_entries(&tree(&layers), Architecture::Amd64).unwrap();
    let ours = write_cache(&entries, Architecture::Amd64, &generator(&real)).unwrap();
    assert_eq!(
        ours,
        real,
        "ours:\n{}\nldconfig's:\n{}",
        listing(&entries),
        print_cache(&ldconfig, &root.join("etc/ld.so.cache"))
    );
    // What the image depends on: libssl (ctypes.util.find_library("ssl")), the dev link.
    for name in ["libssl.so.3", "libz.so", "libz.so.1", "libc.so.6"] {
        assert!(entries.iter().any(|e| e.name == name), "{name} missing");
    }
}

#[test]
fn ldconfig_reads_ours() {
    let dir = tempfile::tempdir().unwrap();
    let ldconfig = ldconfig(dir.path());
    let entries = cache_entries(&tree(&layers(AMD64)), Architecture::Amd64).unwrap();
    let cache = dir.path().join("ld.so.cache");
    fs::write(
        &cache,
        write_cache(&entries, Architecture::Amd64, "rules_debimage").unwrap(),
    )
    .unwrap();
    let printed = print_cache(&ldconfig, &cache);
    assert!(
        printed.starts_with(&format!("{} libs found in cache", entries.len())),
        "{printed}"
    );
    assert!(printed.contains("\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3\n"));
    assert!(
        printed.ends_with("Cache generated by: rules_debimage\n"),
        "{printed}"
    );
}

/// arm64, armhf and riscv64 trees: the flags their ldconfig would give, as glibc prints them.
#[test]
fn other_architectures_flags_as_glibc_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let ldconfig = ldconfig(dir.path());
    for (deb, arch, triplet, abi) in [
        (
            "libc6-trixie-arm64",
            "arm64",
            "aarch64-linux-gnu",
            "libc6,AArch64",
        ),
        (
            "libc6-trixie-armhf",
            "armhf",
            "arm-linux-gnueabihf",
            "libc6,hard-float",
        ),
        (
            "libc6-trixie-riscv64",
            "riscv64",
            "riscv64-linux-gnu",
            "libc6,double-float",
        ),
    ] {
        let arch = Architecture::from_debian(arch).unwrap();
        let entries = cache_entries(
            &tree(&layers(&["base-files-trixie", "libc-bin-trixie", deb])),
            arch,
        )
        .unwrap();
        let cache = dir.path().join(format!("{deb}.cache"));
        fs::write(
            &cache,
            write_cache(&entries, arch, "rules_debimage").unwrap(),
        )
        .unwrap();
        let printed = print_cache(&ldconfig, &cache);
        let lines: Vec<&str> = printed.lines().filter(|l| l.starts_with('\t')).collect();
        assert_eq!(lines.len(), entries.len(), "{printed}");
        assert!(lines.len() > 15, "{printed}");
        for line in lines {
            assert!(
                line.contains(&format!(" ({abi}) => /lib/{triplet}/lib"))
                    || line.contains(&format!(" ({abi}) => /lib/{triplet}/ld-")),
                "{deb}: {line}"
            );
        }
    }
}

#[test]
fn same_bytes_on_every_run() {
    let layers = layers(AMD64);
    let once = write_cache(
        &cache_entries(&tree(&layers), Architecture::Amd64).unwrap(),
        Architecture::Amd64,
        "x",
    )
    .unwrap();
    // The layers in another order: the same files, so the same cache.
    let mut reversed = layers;
    reversed.reverse();
    let again = write_cache(
        &cache_entries(&tree(&reversed), Architecture::Amd64).unwrap(),
        Architecture::Amd64,
        "x",
    )
    .unwrap();
    assert_eq!(once, again);
}

fn listing(entries: &[CacheEntry]) -> String {
    entries
        .iter()
        .map(|e| format!("\t{} ({:#x}) => {}\n", e.name, e.flags, e.path))
        .collect()
}

/// The streaming reader (what `debimage ld-so-cache` uses) sees what the in-memory one does.
#[test]
fn from_a_tar_stream() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layers(AMD64);
    let root = dir.path().join("root");
    unpack(&layers, &root);
    let mut archive = tar::Builder::new(Vec::new());
    archive.follow_symlinks(false);
    archive.append_dir_all(".", &root).unwrap();
    let bytes = archive.into_inner().unwrap();
    let mut spill = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(dir.path().join("spill"))
        .unwrap();
    let mut streamed = FileTree::new();
    streamed
        .add_tar("root.tar", &bytes[..], &mut spill)
        .unwrap();
    let want = cache_entries(&tree(&layers), Architecture::Amd64).unwrap();
    assert_eq!(cache_entries(&streamed, Architecture::Amd64).unwrap(), want);
    assert!(want.len() > 20);
}
