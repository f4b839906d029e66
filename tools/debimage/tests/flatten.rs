//! `debimage flatten` on real Debian packages and on tars written by GNU tar.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn debimage() -> PathBuf {
    let path = match std::env::var("DEBIMAGE") {
        Ok(path) => PathBuf::from(path), // Bazel
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_debimage")),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(debimage())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run debimage")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `debimage layer` of `packages` into `out`.
fn deb_layer(dir: &Path, packages: &[&str], out: &str) {
    let debs: Vec<String> = packages
        .iter()
        .map(|p| testdata::deb(p).display().to_string())
        .collect();
    let mut args = vec!["layer", "--status"];
    for deb in &debs {
        args.extend(["--deb", deb]);
    }
    args.extend(["--out", out]);
    ok(run(dir, &args));
}

#[test]
fn flattening_package_layers_gives_the_layer_of_all_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    deb_layer(d, &["bzip2"], "bzip2.tgz");
    deb_layer(d, &["libc6"], "libc6.tgz");
    deb_layer(d, &["bzip2", "libc6"], "both.tgz");
    // bzip2 twice: its files (hardlinks among them) and the directories both share are
    // identical, so kept once.
    ok(run(
        d,
        &[
            "flatten",
            "--input",
            "bzip2=bzip2.tgz",
            "--input",
            "libc6=libc6.tgz",
            "--input",
            "again=bzip2.tgz",
            "--out",
            "flat.tgz",
        ],
    ));
    let read = |f: &str| std::fs::read(d.join(f)).expect(f);
    assert!(
        read("flat.tgz") == read("both.tgz"),
        "flatten(bzip2, libc6, bzip2) differs from the layer of bzip2 and libc6"
    );
}

#[test]
fn a_conflict_names_both_inputs_and_leaves_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    deb_layer(d, &["base-files"], "bookworm.tgz");
    deb_layer(d, &["base-files-trixie"], "trixie.tgz");
    let out = run(
        d,
        &[
            "flatten",
            "--input",
            "//static:base_files=bookworm.tgz",
            "--input",
            "//x:trixie=trixie.tgz",
            "--out",
            "flat.tgz",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("debimage: error: /")
            && stderr.contains(" in //static:base_files conflicts with ")
            && stderr.trim_end().ends_with(" in //x:trixie"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(d)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "only the two inputs remain: {left:?}");
}

#[test]
fn gnu_tar_archives_in_any_compression_are_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("opt/app")).expect("mkdir");
    std::fs::write(tree.join("opt/app/run"), "#!/bin/sh\n").expect("write");
    deb_layer(d, &["bzip2"], "bzip2.tgz");
    let mut args = vec!["flatten".to_string()];
    for (flag, file) in [
        ("", "app.tar"),
        ("--gzip", "app.tar.gz"),
        ("--xz", "app.tar.xz"),
        ("--bzip2", "app.tar.bz2"),
    ] {
        // Only the file, no directory entries: /opt and /opt/app are implied.
        let mut tar = Command::new("tar");
        tar.arg("-cf").arg(d.join(file));
        if !flag.is_empty() {
            tar.arg(flag);
        }
        let status = tar
            .args(["--owner=0", "--group=0", "--mode=0755", "-C"])
            .arg(&tree)
            .arg("opt/app/run")
            .status()
            .expect("GNU tar");
        assert!(status.success(), "tar {flag}");
        args.extend(["--input".into(), format!("{file}={file}")]);
    }
    // The chroot Bazel runs in has no zstd program: the zstd crate compresses GNU tar's tar.
    let tar = std::fs::read(d.join("app.tar")).expect("app.tar");
    let zst = zstd::encode_all(&tar[..], 3).expect("zstd");
    std::fs::write(d.join("app.tar.zst"), zst).expect("write app.tar.zst");
    args.extend(["--input".into(), "app.tar.zst=app.tar.zst".into()]);
    args.extend(
        [
            "--input",
            "bzip2=bzip2.tgz",
            "--out",
            "flat.tgz",
            "--listing-out",
            "flat.txt",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(run(d, &args));
    let listing = std::fs::read_to_string(d.join("flat.txt")).expect("listing");
    for line in [
        "/opt d 0755 0:0 0",
        "/opt/app d 0755 0:0 0",
        "/opt/app/run f 0755 0:0 10",
        "/bin/bunzip2 f 0755 0:0 39224",
        "/bin/bzip2 h 0755 0:0 0 bin/bunzip2",
    ] {
        assert!(
            listing.lines().any(|l| l == line),
            "missing {line:?}:\n{listing}"
        );
    }
    // GNU tar reads the result back.
    let out = Command::new("tar")
        .args(["-tzvf", "flat.tgz"])
        .current_dir(d)
        .output()
        .expect("GNU tar");
    assert!(out.status.success());
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.lines().any(|l| l.ends_with(" opt/app/run")),
        "{listed}"
    );
}
