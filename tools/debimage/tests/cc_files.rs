//! `debimage cc-files` on real packages (trixie's zlib1g-dev and zlib1g), against what
//! `dpkg-deb -x` unpacks of them: the same headers byte for byte, and the library files the
//! -dev package's symlinks lead to.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn debimage(dir: &Path, args: &[&str]) -> Output {
    let bin = std::env::var("DEBIMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_debimage")));
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("debimage runs")
}

#[test]
fn headers_and_libraries_as_dpkg_unpacks_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let dev = testdata::deb("zlib1g-dev-trixie");
    let runtime = testdata::deb("zlib1g-trixie");
    for deb in [&dev, &runtime] {
        let status = Command::new("dpkg-deb")
            .arg("-x")
            .arg(deb)
            .arg(dir.join("root"))
            .status()
            .expect("dpkg-deb runs (is dpkg installed?)");
        assert!(status.success());
    }
    let (dev, runtime) = (
        dev.to_str().expect("utf-8"),
        runtime.to_str().expect("utf-8"),
    );
    let lib = "usr/lib/x86_64-linux-gnu";
    let out = debimage(
        dir,
        &[
            "cc-files",
            "--deb",
            dev,
            "--deb",
            runtime,
            "--headers-out",
            "include",
            "--library",
            &format!("{lib}/libz.a=libz.a"),
            "--library",
            &format!("{lib}/libz.so=libz.so"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headers = testdata::tree_bytes(&dir.join("include"));
    assert!(
        headers.iter().any(|(p, _)| p == "zlib.h"),
        "{:?}",
        headers.iter().map(|h| &h.0).collect::<Vec<_>>()
    );
    assert_eq!(headers, testdata::tree_bytes(&dir.join("root/usr/include")));
    // libz.so is a symlink of zlib1g-dev into zlib1g: dpkg's tree follows it too.
    assert!(
        std::fs::symlink_metadata(dir.join("root").join(lib).join("libz.so"))
            .expect("libz.so")
            .file_type()
            .is_symlink()
    );
    for name in ["libz.a", "libz.so"] {
        assert_eq!(
            std::fs::read(dir.join(name)).expect("written"),
            std::fs::read(dir.join("root").join(lib).join(name)).expect("unpacked"),
            "{name}"
        );
    }

    // Without the runtime package, the symlink leads nowhere: an error naming it, no output.
    let out = debimage(
        dir,
        &[
            "cc-files",
            "--deb",
            dev,
            "--headers-out",
            "include2",
            "--library",
            &format!("{lib}/libz.a=libz2.a"),
            "--library",
            &format!("{lib}/libz.so=libz2.so"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("library /{lib}/libz.so: /{lib}/libz.so.1")),
        "{stderr}"
    );
    assert!(stderr.contains("is not in the packages"), "{stderr}");
    for name in ["include2", "libz2.a", "libz2.so"] {
        assert!(!dir.join(name).exists(), "{name} left behind");
    }
}
