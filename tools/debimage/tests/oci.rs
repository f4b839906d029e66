//! OCI outputs of `debimage` from real packages, read back by third-party tools: umoci
//! (digests, sizes, diff_ids), skopeo, oci-image-tool. They must be installed (tools/bazel
//! installs them in its chroot; on a host: apt-get install umoci skopeo oci-image-tool).

use std::path::{Path, PathBuf};
use std::process::Command;

fn debimage() -> PathBuf {
    let path = match std::env::var("DEBIMAGE") {
        Ok(path) => PathBuf::from(path),
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_debimage")),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn debimage_in(dir: &Path, args: &[&str]) -> String {
    run(dir, debimage().to_str().expect("utf-8 path"), args)
}

/// Two layers (base-files, tzdata) and the images made of them, in a scratch directory.
fn build(dir: &Path) {
    for (name, package) in [("base", "base-files"), ("tz", "tzdata")] {
        let deb = testdata::deb(package);
        let deb = deb.to_str().expect("utf-8 path");
        debimage_in(
            dir,
            &[
                "layer",
                "--status",
                "--deb",
                deb,
                "--out",
                &format!("{name}.tgz"),
                "--digests-out",
                &format!("{name}.json"),
            ],
        );
    }
    let spec = |arch: &str, variant: &str| {
        format!(
            r#"{{"architecture":"{arch}"{variant},"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"user":"65532","workdir":"/","labels":{{"z":"1","a":"2"}}}}"#
        )
    };
    std::fs::write(dir.join("amd64.json"), spec("amd64", "")).expect("spec");
    std::fs::write(dir.join("arm64.json"), spec("arm64", r#","variant":"v8""#)).expect("spec");
    for arch in ["amd64", "arm64"] {
        debimage_in(
            dir,
            &[
                "image",
                "--spec",
                &format!("{arch}.json"),
                "--layer",
                "base.tgz=base.json",
                "--layer",
                "tz.tgz=tz.json",
                "--created-by",
                "base-files",
                "--created-by",
                "tzdata",
                "--tag",
                "latest",
                "--out",
                arch,
            ],
        );
    }
    debimage_in(
        dir,
        &[
            "index", "--image", "amd64", "--image", "arm64", "--tag", "latest", "--out", "index",
        ],
    );
    debimage_in(
        dir,
        &[
            "docker-archive",
            "--image",
            "amd64",
            "--repo-tag",
            "test/static:latest",
            "--out",
            "docker.tar",
        ],
    );
}

fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("prefix")
                    .display()
                    .to_string();
                out.push((rel, std::fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn layouts_pass_third_party_validators() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);

    for layout in ["amd64", "index"] {
        let out = run(
            dir,
            "oci-image-tool",
            &[
                "validate",
                "--type",
                "image",
                "--ref",
                "name=latest",
                layout,
            ],
        );
        assert!(out.contains("Validation succeeded"), "{out}");
    }
    run(
        dir,
        "umoci",
        &["unpack", "--image", "amd64:latest", "bundle"],
    );
    let rootfs = dir.join("bundle/rootfs");
    assert!(rootfs.join("etc/debian_version").is_file());
    assert!(rootfs.join("usr/share/zoneinfo/Europe/Berlin").is_file());
    assert!(rootfs.join("var/lib/dpkg/status.d/tzdata").is_file());

    let inspect = run(dir, "skopeo", &["inspect", "oci:amd64:latest"]);
    let json: serde_json::Value = serde_json::from_str(&inspect).expect("skopeo JSON");
    assert_eq!(json["Architecture"], "amd64");
    assert_eq!(json["Layers"].as_array().map(Vec::len), Some(2));
    let arm = run(
        dir,
        "skopeo",
        &[
            "inspect",
            "--override-arch",
            "arm64",
            "--override-variant",
            "v8",
            "oci:index:latest",
        ],
    );
    let arm: serde_json::Value = serde_json::from_str(&arm).expect("skopeo JSON");
    assert_eq!(arm["Architecture"], "arm64");
    // skopeo re-reads and re-digests every blob when copying.
    run(
        dir,
        "skopeo",
        &["copy", "oci:amd64:latest", "oci:copy:latest"],
    );
    run(
        dir,
        "skopeo",
        &[
            "copy",
            "docker-archive:docker.tar",
            "oci:from-docker:latest",
        ],
    );
}

#[test]
fn blobs_are_shared_not_copied() {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    let manifest: serde_json::Value = serde_json::from_str(&run(
        dir,
        "skopeo",
        &["inspect", "--raw", "oci:amd64:latest"],
    ))
    .expect("manifest JSON");
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").replace("sha256:", ""))
        .collect();
    assert_eq!(layers.len(), 2);

    // An index made from read-only images (as Bazel leaves its outputs) holds the same
    // inodes; one made from writable files (sources that may be edited in place) copies.
    let blob = |layout: &str, hex: &str| dir.join(layout).join("blobs/sha256").join(hex);
    let inode = |layout: &str, hex: &str| std::fs::metadata(blob(layout, hex)).expect("blob").ino();
    for hex in &layers {
        assert_ne!(
            inode("amd64", hex),
            inode("index", hex),
            "writable blob {hex} was linked"
        );
    }
    for layout in ["amd64", "arm64"] {
        for entry in std::fs::read_dir(dir.join(layout).join("blobs/sha256")).expect("blobs") {
            let path = entry.expect("entry").path();
            let mut permissions = std::fs::metadata(&path).expect("stat").permissions();
            permissions.set_readonly(true);
            std::fs::set_permissions(&path, permissions).expect("chmod");
        }
    }
    debimage_in(
        dir,
        &[
            "index", "--image", "amd64", "--image", "arm64", "--tag", "latest", "--out", "shared",
        ],
    );
    for hex in &layers {
        assert_eq!(
            inode("amd64", hex),
            inode("shared", hex),
            "blob {hex} was copied"
        );
    }

    // The docker-archive carries the compressed layers byte for byte.
    let mut archive = tar::Archive::new(std::fs::File::open(dir.join("docker.tar")).expect("tar"));
    let mut entries = std::collections::BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        entries.insert(name, bytes);
    }
    let docker: serde_json::Value =
        serde_json::from_slice(&entries["manifest.json"]).expect("manifest.json");
    let names: Vec<&str> = docker[0]["Layers"]
        .as_array()
        .expect("Layers")
        .iter()
        .map(|l| l.as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), layers.len());
    for (name, hex) in names.iter().zip(&layers) {
        assert!(name.ends_with("/layer.tar.gz"), "{name}");
        let blob = std::fs::read(dir.join("amd64/blobs/sha256").join(hex)).expect("blob");
        assert!(entries[*name] == blob, "{name} is not blob {hex}");
    }
}

#[test]
fn same_bytes_twice_and_tampering_is_caught() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    build(a.path());
    build(b.path());
    for out in ["amd64", "arm64", "index"] {
        assert!(
            tree_bytes(&a.path().join(out)) == tree_bytes(&b.path().join(out)),
            "{out} differs"
        );
    }
    assert_eq!(
        std::fs::read(a.path().join("docker.tar")).ok(),
        std::fs::read(b.path().join("docker.tar")).ok()
    );

    // A layer whose bytes do not match its declared digest is refused, and nothing is written.
    let dir = a.path();
    let mut blob = std::fs::read(dir.join("tz.tgz")).expect("read");
    blob.push(0);
    std::fs::write(dir.join("tz.tgz"), blob).expect("write");
    let out = Command::new(debimage())
        .args([
            "image",
            "--spec",
            "amd64.json",
            "--layer",
            "tz.tgz=tz.json",
            "--out",
            "bad",
        ])
        .current_dir(dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tz.tgz: is sha256:"), "{stderr}");
    assert!(stderr.contains("was declared"), "{stderr}");
    assert!(!dir.join("bad").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".oci-layout-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary layout left behind");
}

#[test]
fn zstd_layers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let deb = testdata::deb("tzdata");
    let deb = deb.to_str().expect("utf-8 path");
    debimage_in(
        dir,
        &[
            "layer",
            "--deb",
            deb,
            "--compression",
            "zstd",
            "--out",
            "tz.zst",
            "--digests-out",
            "tz.json",
        ],
    );
    let digests = std::fs::read_to_string(dir.join("tz.json")).expect("digests");
    assert!(
        digests.contains("application/vnd.oci.image.layer.v1.tar+zstd"),
        "{digests}"
    );
    debimage_in(
        dir,
        &[
            "layer",
            "--deb",
            deb,
            "--out",
            "tz.tgz",
            "--digests-out",
            "tz-gz.json",
        ],
    );
    let diff_id = |f: &str| -> String {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(f)).expect("read"))
                .expect("json");
        v["diff_id"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(
        diff_id("tz.json"),
        diff_id("tz-gz.json"),
        "same tar, whatever the compression"
    );

    std::fs::write(dir.join("spec.json"), r#"{"architecture":"amd64"}"#).expect("spec");
    debimage_in(
        dir,
        &[
            "image",
            "--spec",
            "spec.json",
            "--layer",
            "tz.zst=tz.json",
            "--tag",
            "latest",
            "--out",
            "img",
        ],
    );
    let manifest = run(dir, "skopeo", &["inspect", "--raw", "oci:img:latest"]);
    assert!(manifest.contains("tar+zstd"), "{manifest}");
    run(
        dir,
        "skopeo",
        &["copy", "oci:img:latest", "oci:copy:latest"],
    );
    std::fs::write(
        dir.join("checks.json"),
        r#"{"files":[{"path":"/usr/share/zoneinfo/Etc/UTC","type":"file"}],"packages":[]}"#,
    )
    .expect("checks");
    debimage_in(
        dir,
        &["check-image", "--image", "img", "--checks", "checks.json"],
    );
    debimage_in(
        dir,
        &[
            "docker-archive",
            "--image",
            "img",
            "--repo-tag",
            "t:z",
            "--out",
            "d.tar",
        ],
    );
    run(
        dir,
        "skopeo",
        &["copy", "docker-archive:d.tar", "oci:from-docker:latest"],
    );
}
