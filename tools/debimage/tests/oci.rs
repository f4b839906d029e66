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
    // A layer named through a symlink (as Bazel's sandbox names inputs) is linked as the file
    // it points to, never as the symlink.
    let mut permissions = std::fs::metadata(dir.join("tz.tgz"))
        .expect("stat")
        .permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(dir.join("tz.tgz"), permissions).expect("chmod");
    std::os::unix::fs::symlink(dir.join("tz.tgz"), dir.join("tz-link.tgz")).expect("symlink");
    debimage_in(
        dir,
        &[
            "image",
            "--spec",
            "amd64.json",
            "--layer",
            "tz-link.tgz=tz.json",
            "--out",
            "via-link",
        ],
    );
    let tz = &layers[1];
    let linked = std::fs::symlink_metadata(blob("via-link", tz)).expect("blob");
    assert!(linked.file_type().is_file(), "the blob is a symlink");
    assert_eq!(
        linked.ino(),
        std::fs::metadata(dir.join("tz.tgz")).expect("stat").ino()
    );

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
            testdata::tree_bytes(&a.path().join(out)) == testdata::tree_bytes(&b.path().join(out)),
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
    let last = blob.len() - 1;
    blob[last] ^= 1;
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

// Layouts we read are an attacker's input: every blob is checked before it is used or copied.

fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// Stores `value` as a blob of `layout`; returns its descriptor's digest and size.
fn put_blob(layout: &Path, value: &serde_json::Value) -> (String, u64) {
    let bytes = serde_json::to_vec(value).expect("json");
    let hex = sha256_hex(&bytes);
    std::fs::write(layout.join("blobs/sha256").join(&hex), &bytes).expect("write");
    (format!("sha256:{hex}"), bytes.len() as u64)
}

/// Rewrites the manifest of a single-platform layout and points index.json at the new blob.
fn edit_manifest(layout: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut index = read_json(&layout.join("index.json"));
    let digest = index["manifests"][0]["digest"].as_str().expect("digest");
    let mut manifest = read_json(&layout.join("blobs/sha256").join(&digest[7..]));
    edit(&mut manifest);
    let (digest, size) = put_blob(layout, &manifest);
    index["manifests"][0]["digest"] = digest.into();
    index["manifests"][0]["size"] = size.into();
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write");
}

fn edit_config(layout: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let layout_owned = layout.to_path_buf();
    edit_manifest(layout, move |manifest| {
        let digest = manifest["config"]["digest"].as_str().expect("digest");
        let mut config = read_json(&layout_owned.join("blobs/sha256").join(&digest[7..]));
        edit(&mut config);
        let (digest, size) = put_blob(&layout_owned, &config);
        manifest["config"]["digest"] = digest.into();
        manifest["config"]["size"] = size.into();
    });
}

fn layer_blob(layout: &Path, n: usize) -> PathBuf {
    let index = read_json(&layout.join("index.json"));
    let digest = index["manifests"][0]["digest"].as_str().expect("digest");
    let manifest = read_json(&layout.join("blobs/sha256").join(&digest[7..]));
    let layer = manifest["layers"][n]["digest"].as_str().expect("layer");
    layout.join("blobs/sha256").join(&layer[7..])
}

/// Runs debimage, which must fail with status 1; returns its stderr.
fn debimage_fails(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(debimage())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn temp_layouts_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".oci-layout-") || n.starts_with(".debimage-"))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    assert!(Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp")
        .success());
}

/// Every way a base, an index image or a --layer can lie, and each is refused by every
/// subcommand that reads it, with the blob named and nothing written.
#[test]
fn hostile_layouts_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    let on_base = |base: &str| -> Vec<String> {
        vec![
            "image".into(),
            "--spec".into(),
            "amd64.json".into(),
            "--base".into(),
            base.into(),
            "--layer".into(),
            "tz.tgz=tz.json".into(),
            "--out".into(),
            "out".into(),
        ]
    };
    let refused_everywhere = |base: &str, expected: &str| {
        let image = on_base(base);
        let image: Vec<&str> = image.iter().map(String::as_str).collect();
        for args in [
            image,
            vec!["index", "--image", base, "--out", "out"],
            vec!["check-conflicts", "--base", base],
            vec!["import", "--layout", base, "--out", "out"],
        ] {
            let stderr = debimage_fails(dir, &args);
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
            assert!(!dir.join("out").exists(), "{args:?} wrote out");
            assert_eq!(temp_layouts_left(dir), Vec::<String>::new(), "{args:?}");
        }
    };

    // One byte of a base layer changed: caught by its digest (it used to be copied as is).
    copy_tree(&dir.join("amd64"), &dir.join("tampered"));
    let blob = layer_blob(&dir.join("tampered"), 1);
    let mut bytes = std::fs::read(&blob).expect("read");
    bytes[100] ^= 0xff;
    std::fs::write(&blob, bytes).expect("write");
    refused_everywhere(
        "tampered",
        &format!(
            "{}: is sha256:",
            blob.file_name().unwrap().to_string_lossy()
        ),
    );

    // A base blob that is a symlink to a host file.
    copy_tree(&dir.join("amd64"), &dir.join("linked"));
    let blob = layer_blob(&dir.join("linked"), 0);
    std::fs::remove_file(&blob).expect("rm");
    std::os::unix::fs::symlink("/etc/hostname", &blob).expect("symlink");
    refused_everywhere(
        "linked",
        "is reached through a symlink to /etc/hostname outside the layout",
    );
    // ... or a relative one climbing out of the working directory (Bazel's execroot).
    std::fs::remove_file(&blob).expect("rm");
    std::os::unix::fs::symlink("../../../../../../../../../../../../etc/hostname", &blob)
        .expect("symlink");
    refused_everywhere("linked", "leads out of the layout");
    // A relative link to the layer file elsewhere below the working directory, as rules_oci
    // and rules_img make them on Bazel >= 7.1, is read (and checked like any blob); a layout
    // named by an absolute path is its own root, so there the same link is refused.
    std::fs::remove_file(&blob).expect("rm");
    std::os::unix::fs::symlink("../../../base.tgz", &blob).expect("symlink");
    debimage_in(dir, &["check-conflicts", "--base", "linked"]);
    let absolute = dir.join("linked");
    let stderr = debimage_fails(
        dir,
        &[
            "check-conflicts",
            "--base",
            absolute.to_str().expect("utf-8"),
        ],
    );
    assert!(stderr.contains("leads out of the layout"), "{stderr}");

    // A config whose diff_id is not what the layer decompresses to (umoci's check).
    copy_tree(&dir.join("amd64"), &dir.join("diffid"));
    let wrong = format!("sha256:{}", "0".repeat(64));
    let wrong_for_config = wrong.clone();
    edit_config(&dir.join("diffid"), move |config| {
        config["rootfs"]["diff_ids"][1] = wrong_for_config.into();
    });
    refused_everywhere("diffid", &format!("not to its diff_id {wrong}"));

    // Digests that are paths, unknown layer types, a lying platform, a short diff_id list.
    for (name, expected, edit) in [
        (
            "dots",
            "\"sha256:../../../../etc/passwd\" is not a sha256 digest",
            Box::new(|m: &mut serde_json::Value| {
                m["layers"][0]["digest"] = "sha256:../../../../etc/passwd".into();
            }) as Box<dyn FnOnce(&mut serde_json::Value)>,
        ),
        (
            "bzip2",
            "layer media type \"application/vnd.oci.image.layer.v1.tar+bzip2\" is not one of",
            Box::new(|m: &mut serde_json::Value| {
                m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+bzip2".into();
            }),
        ),
        (
            "foreign",
            "\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\" is not one of",
            Box::new(|m: &mut serde_json::Value| {
                m["layers"][1]["mediaType"] =
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip".into();
            }),
        ),
        (
            "onelayer",
            "1 layers in the manifest but 2 diff_ids in its config",
            Box::new(|m: &mut serde_json::Value| {
                m["layers"].as_array_mut().expect("layers").pop();
            }),
        ),
        (
            "bigsize",
            "but its descriptor says 1",
            Box::new(|m: &mut serde_json::Value| {
                m["layers"][1]["size"] = 1.into();
            }),
        ),
    ] {
        copy_tree(&dir.join("amd64"), &dir.join(name));
        edit_manifest(&dir.join(name), edit);
        refused_everywhere(name, expected);
    }
    copy_tree(&dir.join("amd64"), &dir.join("platform"));
    let mut index = read_json(&dir.join("platform/index.json"));
    index["manifests"][0]["platform"]["architecture"] = "arm64".into();
    std::fs::write(
        dir.join("platform/index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write");
    refused_everywhere(
        "platform",
        "its index says platform linux/arm64 but its config linux/amd64",
    );
    // index.json itself pointing at a manifest whose bytes differ from its descriptor.
    copy_tree(&dir.join("amd64"), &dir.join("index-size"));
    let mut index = read_json(&dir.join("index-size/index.json"));
    index["manifests"][0]["size"] = 10.into();
    std::fs::write(
        dir.join("index-size/index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write");
    refused_everywhere("index-size", "but its descriptor says sha256:");

    // --layer: a diff_id or digest that is a path, an unknown type, a blob that is not of
    // its declared compression.
    let digests = read_json(&dir.join("tz.json"));
    let zstd_blob = dir.join("tz.zst");
    debimage_in(
        dir,
        &[
            "layer",
            "--deb",
            testdata::deb("tzdata").to_str().expect("utf-8"),
            "--compression",
            "zstd",
            "--out",
            "tz.zst",
            "--digests-out",
            "tz-zst.json",
        ],
    );
    let zstd_digests = read_json(&dir.join("tz-zst.json"));
    for (name, json, blob, expected) in [
        (
            "dots.json",
            serde_json::json!({"diff_id": "hello ../../etc", "digest": digests["digest"], "size": digests["size"]}),
            "tz.tgz",
            "dots.json: diff_id: \"hello ../../etc\" is not a sha256 digest",
        ),
        (
            "badtype.json",
            serde_json::json!({"diff_id": digests["diff_id"], "digest": digests["digest"], "size": digests["size"], "media_type": "text/plain"}),
            "tz.tgz",
            "layer media type \"text/plain\" is not one of",
        ),
        (
            "zstd-as-gzip.json",
            serde_json::json!({"diff_id": zstd_digests["diff_id"], "digest": zstd_digests["digest"], "size": zstd_digests["size"], "media_type": "application/vnd.oci.image.layer.v1.tar+gzip"}),
            zstd_blob.to_str().expect("utf-8"),
            "tz.zst: is not a application/vnd.oci.image.layer.v1.tar+gzip layer",
        ),
        (
            "gzip-as-tar.json",
            serde_json::json!({"diff_id": digests["diff_id"], "digest": digests["digest"], "size": digests["size"], "media_type": "application/vnd.oci.image.layer.v1.tar"}),
            "tz.tgz",
            "tz.tgz: decompresses to sha256:",
        ),
    ] {
        std::fs::write(dir.join(name), serde_json::to_vec(&json).expect("json")).expect("write");
        let layer = format!("{blob}={name}");
        let stderr = debimage_fails(
            dir,
            &[
                "image",
                "--spec",
                "amd64.json",
                "--layer",
                &layer,
                "--out",
                "out",
            ],
        );
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!dir.join("out").exists());
        assert_eq!(temp_layouts_left(dir), Vec::<String>::new());
    }
}

/// `--out` onto something that is not an empty directory fails before any work, leaves what
/// was there alone and no temporary layout behind; a failing --digest-out takes the layout
/// with it.
#[test]
fn outputs_are_all_or_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    std::fs::write(dir.join("file"), "keep").expect("write");
    std::os::unix::fs::symlink("nowhere", dir.join("dangling")).expect("symlink");
    std::os::unix::fs::symlink("arm64", dir.join("dirlink")).expect("symlink");
    std::fs::create_dir(dir.join("full")).expect("mkdir");
    std::fs::write(dir.join("full/x"), "x").expect("write");
    for (out, expected) in [
        ("file", "file: exists and is not a directory"),
        (
            "dangling",
            "dangling: exists and is a symlink, not a directory",
        ),
        (
            "dirlink",
            "dirlink: exists and is a symlink, not a directory",
        ),
        ("full", "full: exists and is not empty"),
    ] {
        for args in [
            vec![
                "image",
                "--spec",
                "amd64.json",
                "--layer",
                "tz.tgz=tz.json",
                "--out",
                out,
            ],
            vec![
                "index", "--image", "amd64", "--image", "arm64", "--out", out,
            ],
            vec!["import", "--layout", "amd64", "--out", out],
        ] {
            let stderr = debimage_fails(dir, &args);
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
            assert_eq!(temp_layouts_left(dir), Vec::<String>::new(), "{args:?}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("file")).ok().as_deref(),
        Some("keep")
    );
    assert_eq!(
        std::fs::read_link(dir.join("dangling")).ok(),
        Some("nowhere".into())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("full/x")).ok().as_deref(),
        Some("x")
    );
    assert!(dir.join("arm64/index.json").is_file());

    // An empty directory (as Bazel pre-creates) is fine.
    std::fs::create_dir(dir.join("empty")).expect("mkdir");
    debimage_in(
        dir,
        &[
            "index", "--image", "amd64", "--image", "arm64", "--out", "empty",
        ],
    );
    assert!(dir.join("empty/index.json").is_file());

    let stderr = debimage_fails(
        dir,
        &[
            "image",
            "--spec",
            "amd64.json",
            "--layer",
            "tz.tgz=tz.json",
            "--out",
            "img",
            "--digest-out",
            "missing/digest",
        ],
    );
    assert!(stderr.contains("missing"), "{stderr}");
    assert!(
        !dir.join("img").exists(),
        "the layout outlived its digest file"
    );
    assert_eq!(temp_layouts_left(dir), Vec::<String>::new());
}

/// A layout named through a symlink is read (as Bazel's sandbox and users hand them over);
/// `import` takes one platform of an index byte for byte, and says which platforms there
/// are when it cannot choose.
#[test]
fn import_picks_one_platform_of_an_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    std::os::unix::fs::symlink(dir.join("index"), dir.join("abs-link")).expect("symlink");
    std::os::unix::fs::symlink("index", dir.join("rel-link")).expect("symlink");
    let stderr = debimage_fails(dir, &["import", "--layout", "rel-link", "--out", "one"]);
    assert!(
        stderr.contains(
            "rel-link: 2 images match (the layout has linux/amd64, linux/arm64/v8): \
             choose one by platform or tag"
        ),
        "{stderr}"
    );
    let stderr = debimage_fails(
        dir,
        &[
            "import",
            "--layout",
            "index",
            "--architecture",
            "s390x",
            "--out",
            "one",
        ],
    );
    assert!(
        stderr.contains(
            "no image matches platform */s390x/* (the layout has linux/amd64, linux/arm64/v8)"
        ),
        "{stderr}"
    );
    for (layout, out) in [("abs-link", "arm-a"), ("rel-link", "arm-b")] {
        debimage_in(
            dir,
            &[
                "import",
                "--layout",
                layout,
                "--architecture",
                "arm64",
                "--tag",
                "latest",
                "--out",
                out,
                "--digest-out",
                &format!("{out}.digest"),
            ],
        );
        // The same manifest as the arm64 image the index was made of.
        let arm64 = read_json(&dir.join("arm64/index.json"));
        let digest = std::fs::read_to_string(dir.join(format!("{out}.digest"))).expect("digest");
        assert_eq!(arm64["manifests"][0]["digest"], digest.as_str());
        assert!(testdata::tree_bytes(&dir.join(out)) == testdata::tree_bytes(&dir.join("arm-a")));
    }
    // The v8 that arm64 implies matches too, and the result is an image other tools read.
    debimage_in(
        dir,
        &[
            "import",
            "--layout",
            "index",
            "--os",
            "linux",
            "--architecture",
            "arm64",
            "--variant",
            "v8",
            "--tag",
            "latest",
            "--out",
            "arm-c",
        ],
    );
    assert!(testdata::tree_bytes(&dir.join("arm-c")) == testdata::tree_bytes(&dir.join("arm-a")));
    let inspect = run(dir, "skopeo", &["inspect", "oci:arm-c:latest"]);
    assert!(inspect.contains("\"Architecture\": \"arm64\""), "{inspect}");
    run(
        dir,
        "umoci",
        &["unpack", "--image", "arm-c:latest", "bundle"],
    );
    assert!(dir.join("bundle/rootfs/etc/debian_version").is_file());
}

/// check-conflicts --base reads the base's layers from its manifest (verified) and names a
/// base layer by its place, digest and history line.
#[test]
fn conflicts_with_a_base_name_both_layers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    debimage_in(
        dir,
        &[
            "check-conflicts",
            "--base",
            "amd64",
            "--layer",
            "same=tz.tgz=tz.json",
        ],
    );
    std::fs::write(
        dir.join("entries.json"),
        r#"[{"path":"/etc/debian_version","type":"file","mode":"0644","content":"forged\n"}]"#,
    )
    .expect("write");
    debimage_in(
        dir,
        &[
            "layer",
            "--entries",
            "entries.json",
            "--out",
            "forged.tgz",
            "--digests-out",
            "forged.json",
        ],
    );
    let stderr = debimage_fails(
        dir,
        &[
            "check-conflicts",
            "--base",
            "amd64",
            "--layer",
            "//my:forged=forged.tgz=forged.json",
        ],
    );
    assert!(stderr.contains("/etc/debian_version"), "{stderr}");
    assert!(
        stderr.contains("in layer 1 of base amd64 (sha256:"),
        "{stderr}"
    );
    assert!(stderr.contains(", base-files) conflicts with"), "{stderr}");
    assert!(stderr.contains("in //my:forged"), "{stderr}");
}

/// A base of another architecture (a foreign layout's other platform) is refused, naming both.
#[test]
fn base_of_another_architecture_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    let stderr = debimage_fails(
        dir,
        &[
            "image",
            "--spec",
            "amd64.json",
            "--base",
            "arm64",
            "--out",
            "mixed",
        ],
    );
    assert!(
        stderr.contains("base image arm64 is for arm64, the image for amd64"),
        "{stderr}"
    );
    assert!(!dir.join("mixed").exists());
    debimage_in(
        dir,
        &[
            "image",
            "--spec",
            "arm64.json",
            "--base",
            "arm64",
            "--out",
            "same",
        ],
    );
}

/// On a base, the manifest carries the base manifest's digest (`base.digest`, as skopeo reports
/// the base's digest) besides the spec's annotations; a different base.digest given, or a
/// base.name without a base, is refused with nothing written.
#[test]
fn an_image_on_a_base_names_the_base_digest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    build(dir);
    let spec = |annotations: &str| {
        format!(r#"{{"architecture":"amd64","user":"0","annotations":{{{annotations}}}}}"#)
    };
    std::fs::write(
        dir.join("child.json"),
        spec(
            r#""org.opencontainers.image.source":"https://example.org/app","org.opencontainers.image.base.name":"example.org/static:latest""#,
        ),
    )
    .expect("spec");
    let args = |spec: &'static str, out: &'static str| {
        [
            "image", "--spec", spec, "--base", "amd64", "--tag", "latest", "--out", out,
        ]
    };
    debimage_in(dir, &args("child.json", "child"));
    let base: serde_json::Value =
        serde_json::from_str(&run(dir, "skopeo", &["inspect", "oci:amd64:latest"])).expect("JSON");
    let base_digest = base["Digest"].as_str().expect("skopeo's Digest");
    let manifest: serde_json::Value = serde_json::from_str(&run(
        dir,
        "skopeo",
        &["inspect", "--raw", "oci:child:latest"],
    ))
    .expect("JSON");
    assert_eq!(
        manifest["annotations"],
        serde_json::json!({
            "org.opencontainers.image.base.digest": base_digest,
            "org.opencontainers.image.base.name": "example.org/static:latest",
            "org.opencontainers.image.source": "https://example.org/app",
        })
    );
    // The base itself, made without a base, has no annotations at all.
    let raw: serde_json::Value = serde_json::from_str(&run(
        dir,
        "skopeo",
        &["inspect", "--raw", "oci:amd64:latest"],
    ))
    .expect("JSON");
    assert!(raw.get("annotations").is_none(), "{raw}");

    let wrong = format!("sha256:{}", "0".repeat(64));
    std::fs::write(
        dir.join("wrong.json"),
        spec(&format!(
            r#""org.opencontainers.image.base.digest":"{wrong}""#
        )),
    )
    .expect("spec");
    let stderr = debimage_fails(dir, &args("wrong.json", "wrong"));
    assert!(
        stderr.contains(&format!(
            "annotation org.opencontainers.image.base.digest={wrong} is not the digest of the base image, {base_digest}"
        )),
        "{stderr}"
    );
    assert!(!dir.join("wrong").exists());
    let stderr = debimage_fails(
        dir,
        &[
            "image",
            "--spec",
            "child.json",
            "--tag",
            "latest",
            "--out",
            "nobase",
        ],
    );
    assert!(
        stderr.contains(
            "annotation org.opencontainers.image.base.name is given, but the image has no base image"
        ),
        "{stderr}"
    );
    assert!(!dir.join("nobase").exists());
    assert!(temp_layouts_left(dir).is_empty());
}
