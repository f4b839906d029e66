//! `debimage layer` on real Debian packages: golden listings, determinism, and GNU tar
//! reading the result back.

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGES: [&str; 5] = ["base-files", "bzip2", "ca-certificates", "libc6", "tzdata"];

/// Absolute, since the tool runs in a scratch directory.
fn debimage() -> PathBuf {
    let path = match std::env::var("DEBIMAGE") {
        Ok(path) => PathBuf::from(path), // Bazel
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_debimage")),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

fn golden_dir() -> PathBuf {
    match std::env::var("GOLDEN_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
    }
}

/// Runs `debimage layer` for one package in `dir`; returns (layer bytes, listing, digests).
fn build_layer(package: &str, dir: &Path, umask: &str, tz: &str) -> (Vec<u8>, String, String) {
    let deb = testdata::deb(package);
    let script = format!(
        "umask {umask} && exec \"$0\" layer --deb \"$1\" --out layer.tar.gz --digests-out digests.json --listing-out listing.txt"
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(debimage())
        .arg(&deb)
        .current_dir(dir)
        .env("TZ", tz)
        .output()
        .expect("run debimage");
    assert!(
        out.status.success(),
        "{package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read(dir.join(f)).expect(f);
    (
        read("layer.tar.gz"),
        String::from_utf8(read("listing.txt")).expect("utf-8 listing"),
        String::from_utf8(read("digests.json")).expect("utf-8 digests"),
    )
}

#[test]
fn listings_match_golden_files() {
    for package in PACKAGES {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, listing, _) = build_layer(package, dir.path(), "022", "UTC");
        let golden = golden_dir().join(format!("{package}.listing"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &listing).expect("write golden");
        }
        let want = std::fs::read_to_string(&golden).expect("read golden listing");
        assert!(
            listing == want,
            "{package}: listing differs from {golden:?} (UPDATE_GOLDEN=1 cargo test regenerates it)"
        );
    }
}

#[test]
fn same_bytes_in_other_directories_umask_and_timezone() {
    for package in ["bzip2", "libc6"] {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        let first = build_layer(package, a.path(), "022", "UTC");
        let second = build_layer(package, b.path(), "077", "Asia/Kathmandu");
        assert!(first.0 == second.0, "{package}: layer bytes differ");
        assert_eq!(first.2, second.2, "{package}: digests differ");
    }
}

#[test]
fn package_facts_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, libc6, _) = build_layer("libc6", dir.path(), "022", "UTC");
    assert!(libc6.lines().any(|l| l
        == "/lib64/ld-linux-x86-64.so.2 l 0777 0:0 0 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    let (_, tzdata, _) = build_layer("tzdata", dir.path(), "022", "UTC");
    assert!(tzdata
        .lines()
        .any(|l| l == "/usr/share/zoneinfo/localtime l 0777 0:0 0 /etc/localtime"));
    let (_, bzip2, _) = build_layer("bzip2", dir.path(), "022", "UTC");
    assert!(bzip2
        .lines()
        .any(|l| l == "/bin/bzcat h 0755 0:0 0 bin/bunzip2"));
}

#[test]
fn gnu_tar_extracts_the_layer_with_hardlinks_and_digests_match() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let (bytes, _, digests) = build_layer("bzip2", dir.path(), "022", "UTC");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("mkdir");
    let status = Command::new("tar")
        .args(["-xzf", "../layer.tar.gz"])
        .current_dir(&root)
        .status()
        .expect("run tar");
    assert!(status.success());
    let inode = |p: &str| std::fs::symlink_metadata(root.join(p)).expect(p).ino();
    assert_eq!(inode("bin/bunzip2"), inode("bin/bzcat"));
    assert_eq!(inode("bin/bunzip2"), inode("bin/bzip2"));

    let sha = Command::new("sha256sum")
        .arg(dir.path().join("layer.tar.gz"))
        .output()
        .expect("sha256sum");
    let hex = String::from_utf8_lossy(&sha.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        digests.contains(&format!("\"digest\": \"sha256:{hex}\"")),
        "{digests}"
    );
    assert!(
        digests.contains(&format!("\"size\": {}", bytes.len())),
        "{digests}"
    );
    let unzip = Command::new("sh")
        .arg("-c")
        .arg("gzip -dc layer.tar.gz | sha256sum")
        .current_dir(dir.path())
        .output()
        .expect("gzip");
    let diff_id = String::from_utf8_lossy(&unzip.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        digests.contains(&format!("\"diff_id\": \"sha256:{diff_id}\"")),
        "{digests}"
    );
}

/// `dpkg-deb --fsys-tarfile | tar -tv --numeric-owner` as listing lines, to compare with ours.
fn dpkg_listing(package: &str) -> Vec<String> {
    let deb = testdata::deb(package);
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "dpkg-deb --fsys-tarfile \"$0\" | tar -tv --numeric-owner --quoting-style=literal -f -",
        )
        .arg(&deb)
        .env("LC_ALL", "C")
        .output()
        .expect("run dpkg-deb and tar");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // perms uid/gid size date time path [-> target | link to target]
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (perms, owner, size) = (fields[0], fields[1].replace('/', ":"), fields[2]);
        let name = fields[5..].join(" ");
        let (path, kind, target) = if let Some((p, t)) = name.split_once(" -> ") {
            (p, "l", t)
        } else if let Some((p, t)) = name.split_once(" link to ") {
            (p, "h", t.trim_start_matches("./"))
        } else if perms.starts_with('d') {
            (name.as_str(), "d", "")
        } else {
            (name.as_str(), "f", "")
        };
        let path = path.trim_start_matches('.').trim_end_matches('/');
        if path.is_empty() {
            continue;
        }
        let size = if kind == "f" { size } else { "0" };
        let mode = mode_bits(perms);
        lines.push(
            format!("{path} {kind} {mode:04o} {owner} {size} {target}")
                .trim_end()
                .to_string(),
        );
    }
    lines.sort();
    lines
}

/// `rwsr-xr-t`-style permissions (after the type letter) as octal bits.
fn mode_bits(perms: &str) -> u32 {
    let p: Vec<char> = perms.chars().skip(1).collect();
    let mut mode = 0;
    for (i, c) in p.iter().enumerate().take(9) {
        let bit = 1 << (8 - i);
        if matches!(c, 'r' | 'w' | 'x' | 's' | 't') {
            mode |= bit;
        }
        match (i, c) {
            (2, 's' | 'S') => mode |= 0o4000,
            (5, 's' | 'S') => mode |= 0o2000,
            (8, 't' | 'T') => mode |= 0o1000,
            _ => {}
        }
    }
    mode
}

#[test]
fn listings_agree_with_dpkg_deb() {
    for package in PACKAGES {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, ours, _) = build_layer(package, dir.path(), "022", "UTC");
        let mut ours: Vec<String> = ours.lines().map(str::to_string).collect();
        ours.sort();
        let theirs = dpkg_listing(package);
        let only_ours: Vec<_> = ours.iter().filter(|l| !theirs.contains(l)).collect();
        let only_theirs: Vec<_> = theirs.iter().filter(|l| !ours.contains(l)).collect();
        assert!(
            only_ours.is_empty() && only_theirs.is_empty(),
            "{package}: only ours {only_ours:#?}, only dpkg-deb's {only_theirs:#?}"
        );
    }
}

/// Runs debimage with `args` in `dir`.
fn debimage_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(debimage())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run debimage")
}

#[test]
fn merged_usr_moves_libc6_and_the_conflict_check_catches_a_mixed_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let libc6 = testdata::deb("libc6");
    let base_files = testdata::deb("base-files");
    let run = |args: &[&str]| debimage_in(d, args);
    let out = run(&[
        "layer",
        "--merged-usr",
        "--deb",
        libc6.to_str().expect("path"),
        "--out",
        "libc6.tgz",
        "--digests-out",
        "libc6.json",
        "--listing-out",
        "libc6.txt",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = std::fs::read_to_string(d.join("libc6.txt")).expect("listing");
    for line in [
        "/lib l 0777 0:0 0 usr/lib",
        "/lib64 l 0777 0:0 0 usr/lib64",
        "/usr/lib64/ld-linux-x86-64.so.2 l 0777 0:0 0 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    ] {
        assert!(listing.lines().any(|l| l == line), "missing {line:?}");
    }
    assert!(listing
        .lines()
        .any(|l| l.starts_with("/usr/lib/x86_64-linux-gnu/libc.so.6 f ")));
    assert!(
        !listing.lines().any(|l| l.starts_with("/lib/")),
        "nothing left below /lib"
    );

    // base-files of bookworm is not merged: its /lib directory and the merged /lib symlink
    // cannot both be in one image.
    let out = run(&[
        "layer",
        "--deb",
        base_files.to_str().expect("path"),
        "--out",
        "base-files.tgz",
        "--digests-out",
        "base-files.json",
    ]);
    assert!(out.status.success());
    let out = run(&[
        "check-conflicts",
        "--layer",
        "base-files=base-files.tgz=base-files.json",
        "--layer",
        "libc6=libc6.tgz=libc6.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "debimage: error: /lib: directory 0755 0:0 in base-files conflicts with symlink to usr/lib in libc6\n"
    );
}

#[test]
fn merged_usr_keeps_trixie_links_and_bookworm_libc6_fits_only_when_merged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let trixie_base_files = testdata::deb("base-files-trixie");
    let libc6 = testdata::deb("libc6");
    let run = |args: &[&str]| debimage_in(d, args);
    let layer = |deb: &std::path::Path, merged: bool, name: &str| {
        let mut args = vec!["layer", "--deb", deb.to_str().expect("path")];
        if merged {
            args.push("--merged-usr");
        }
        let out_name = format!("{name}.tgz");
        let listing = format!("{name}.txt");
        let digests = format!("{name}.json");
        args.extend([
            "--out",
            &out_name,
            "--listing-out",
            &listing,
            "--digests-out",
            &digests,
        ]);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(d.join(&listing)).expect("listing")
    };

    // Debian 13's base-files ships /bin, /lib, /lib64 and /sbin as links into /usr: with
    // --merged-usr they stay exactly as shipped.
    let shipped = layer(&trixie_base_files, false, "bf");
    let merged = layer(&trixie_base_files, true, "bf-merged");
    assert_eq!(shipped, merged);
    for line in [
        "/bin l 0777 0:0 0 usr/bin",
        "/lib l 0777 0:0 0 usr/lib",
        "/lib64 l 0777 0:0 0 usr/lib64",
        "/sbin l 0777 0:0 0 usr/sbin",
    ] {
        assert!(merged.lines().any(|l| l == line), "missing {line:?}");
    }

    // bookworm's libc6 on top: merged, it lands below /usr and nothing clobbers the links;
    // as shipped, its /lib directory would replace base-files' /lib link.
    layer(&libc6, true, "libc6-merged");
    layer(&libc6, false, "libc6");
    let check = |top: &str| {
        run(&[
            "check-conflicts",
            "--layer",
            "base-files=bf-merged.tgz=bf-merged.json",
            "--layer",
            &format!("libc6={top}.tgz={top}.json"),
        ])
    };
    let out = check("libc6-merged");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = check("libc6");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "debimage: error: /lib: symlink to usr/lib in base-files conflicts with directory 0755 0:0 in libc6\n"
    );
}

#[test]
fn long_names_and_link_targets_survive_gnu_tar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let long_dir = format!("/opt/{}", "d".repeat(120));
    let long_file = format!("{long_dir}/{}", "f".repeat(150));
    let long_target = format!("/{}", "t".repeat(140));
    let entries = serde_json::json!([
        {"path": long_file, "type": "file", "content": "payload\n"},
        {"path": "/opt/link", "type": "symlink", "target": long_target},
        {"path": "/opt/big-uid", "type": "file", "content": "", "uid": 4_000_000, "gid": 3_000_000},
    ]);
    std::fs::write(d.join("entries.json"), entries.to_string()).expect("write");
    let out = Command::new(debimage())
        .args(["layer", "--entries", "entries.json", "--out", "l.tgz"])
        .current_dir(d)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new("tar")
        .args(["-tvzf", "l.tgz", "--numeric-owner"])
        .current_dir(d)
        .output()
        .expect("tar");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(listing.contains(&long_file[1..]), "{listing}");
    assert!(
        listing.contains(&format!("opt/link -> {long_target}")),
        "{listing}"
    );
    assert!(listing.contains("4000000/3000000"), "{listing}");
    let extract = Command::new("tar")
        .args(["-xzf", "l.tgz", "-O", &long_file[1..]])
        .current_dir(d)
        .output()
        .expect("tar");
    assert_eq!(extract.stdout, b"payload\n");
}
