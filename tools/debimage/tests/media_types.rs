//! Every subcommand that reads layers (check-conflicts, check-image, sbom, docker-archive,
//! ld-so-cache)
//! decompresses them as their media type says: uncompressed, gzip and zstd OCI layers, and
//! Docker's gzip layers. Uncompressed blobs are made by GNU gzip from our gzip layers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn debimage() -> PathBuf {
    let path = match std::env::var("DEBIMAGE") {
        Ok(path) => PathBuf::from(path),
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

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const TYPES: [(&str, &str); 4] = [
    ("tar", "application/vnd.oci.image.layer.v1.tar"),
    ("gzip", "application/vnd.oci.image.layer.v1.tar+gzip"),
    ("zstd", "application/vnd.oci.image.layer.v1.tar+zstd"),
    (
        "docker",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
];

#[derive(serde::Deserialize)]
struct Digests {
    diff_id: String,
    digest: String,
    size: u64,
}

fn read_digests(path: &Path) -> Digests {
    serde_json::from_slice(&std::fs::read(path).expect("digests")).expect("digests JSON")
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// `NAME.blob` and `NAME.json` of a layer of `kind`, from `debimage layer ARGS`.
fn layer_of(dir: &Path, name: &str, kind: &str, args: &[&str]) {
    let (compression, media_type) = match kind {
        "zstd" => ("zstd", TYPES[2].1),
        "tar" => ("gzip", TYPES[0].1),
        "docker" => ("gzip", TYPES[3].1),
        _ => ("gzip", TYPES[1].1),
    };
    let blob = format!("{name}.blob");
    let json = format!("{name}.json");
    let mut all = vec![
        "layer",
        "--compression",
        compression,
        "--out",
        &blob,
        "--digests-out",
        &json,
    ];
    all.extend(args);
    ok(dir, &all);
    let d = read_digests(&dir.join(&json));
    let (digest, size) = if kind == "tar" {
        let gunzip = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "gzip -dc <{blob} >{blob}.tar && mv {blob}.tar {blob}"
            ))
            .current_dir(dir)
            .status()
            .expect("gzip");
        assert!(gunzip.success());
        let size = std::fs::metadata(dir.join(&blob)).expect("blob").len();
        (format!("sha256:{}", sha256_hex(&dir.join(&blob))), size)
    } else {
        (d.digest, d.size)
    };
    let json_text = serde_json::json!({
        "diff_id": d.diff_id, "digest": digest, "size": size, "media_type": media_type,
    });
    std::fs::write(dir.join(&json), json_text.to_string()).expect("write");
}

fn image_of(dir: &Path, name: &str, layers: &[&str]) {
    std::fs::write(dir.join("spec.json"), r#"{"architecture":"amd64"}"#).expect("spec");
    let mut args = vec!["image".to_string(), "--spec".into(), "spec.json".into()];
    for layer in layers {
        args.extend(["--layer".into(), format!("{layer}.blob={layer}.json")]);
    }
    args.extend(["--out".into(), name.into()]);
    ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn every_subcommand_reads_every_layer_media_type() {
    let base_files = testdata::deb("base-files");
    let base_files = base_files.to_str().expect("path");
    for (kind, _) in TYPES {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        layer_of(d, "base", kind, &["--status", "--deb", base_files]);
        let entries = r#"[{"path": "/etc/debian_version", "type": "file", "content": "forged\n"},
                          {"path": "/etc/app.conf", "type": "file", "content": "x\n"}]"#;
        std::fs::write(d.join("e.json"), entries).expect("write");
        layer_of(d, "clash", kind, &["--entries", "e.json"]);
        let entries = r#"[{"path": "/etc/app.conf", "type": "file", "content": "x\n"}]"#;
        std::fs::write(d.join("f.json"), entries).expect("write");
        layer_of(d, "app", kind, &["--entries", "f.json"]);

        // check-conflicts: media type from the digests JSON.
        ok(
            d,
            &[
                "check-conflicts",
                "--layer",
                "base=base.blob=base.json",
                "--layer",
                "app=app.blob=app.json",
            ],
        );
        let err = fails(
            d,
            &[
                "check-conflicts",
                "--layer",
                "base=base.blob=base.json",
                "--layer",
                "clash=clash.blob=clash.json",
            ],
        );
        assert!(
            err.starts_with("debimage: error: /etc/debian_version: file 0644 0:0 of 6 bytes in base conflicts with file 0644 0:0 of 7 bytes in clash"),
            "{kind}: {err}"
        );

        // check-image and sbom on an image of these layers.
        image_of(d, "image", &["base", "app"]);
        let manifest = std::fs::read_dir(d.join("image/blobs/sha256"))
            .expect("blobs")
            .count();
        assert_eq!(manifest, 4, "{kind}: two layers, config, manifest");
        let checks = r#"{"files": [{"path": "/etc/debian_version", "content": "^12\\."},
                                   {"path": "/etc/app.conf", "type": "file"}],
                         "packages": ["base-files"]}"#;
        std::fs::write(d.join("checks.json"), checks).expect("write");
        let said = ok(
            d,
            &["check-image", "--image", "image", "--checks", "checks.json"],
        );
        assert!(
            said.contains("2 file checks, config and packages OK"),
            "{kind}: {said}"
        );
        ok(
            d,
            &[
                "sbom",
                "--image",
                "image",
                "--name",
                "test",
                "--out",
                "sbom.json",
            ],
        );
        let sbom = std::fs::read_to_string(d.join("sbom.json")).expect("sbom");
        assert!(sbom.contains(r#""name": "base-files""#), "{kind}");

        // docker-archive: gzip blobs as they are, the others as plain tar; the daemon reads
        // each by its diff_id.
        ok(
            d,
            &[
                "docker-archive",
                "--image",
                "image",
                "--repo-tag",
                "t:latest",
                "--out",
                "docker.tar",
            ],
        );
        let list = Command::new("tar")
            .args(["-tf", "docker.tar"])
            .current_dir(d)
            .output()
            .expect("tar");
        let listing = String::from_utf8_lossy(&list.stdout);
        let base = read_digests(&d.join("base.json"));
        let hex = &base.diff_id["sha256:".len()..];
        let suffix = if kind == "gzip" || kind == "docker" {
            "layer.tar.gz"
        } else {
            "layer.tar"
        };
        let member = format!("{hex}/{suffix}");
        assert!(listing.lines().any(|l| l == member), "{kind}: {listing}");
        let extract = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "tar -xOf docker.tar {member} | {} | sha256sum",
                if suffix.ends_with(".gz") {
                    "gzip -dc"
                } else {
                    "cat"
                }
            ))
            .current_dir(d)
            .output()
            .expect("tar");
        assert_eq!(
            &String::from_utf8_lossy(&extract.stdout)[..64],
            hex,
            "{kind}"
        );
        if kind == "gzip" || kind == "docker" {
            assert_eq!(
                base.digest,
                format!("sha256:{}", sha256_hex(&d.join("base.blob")))
            );
        }
    }
}

/// ld-so-cache reads libc6 as a layer of every media type, given by its digests JSON and as a
/// base image's layer: the same cache bytes each time, libc.so.6 in it.
#[test]
fn ld_so_cache_reads_every_layer_media_type() {
    let libc6 = testdata::deb("libc6");
    let libc6 = libc6.to_str().expect("path");
    let mut caches = Vec::new();
    for (kind, _) in TYPES {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        layer_of(d, "libc", kind, &["--merged-usr", "--deb", libc6]);
        image_of(d, "image", &["libc"]);
        let cache = |args: &[&str], out: &str| {
            let mut all = vec!["ld-so-cache", "--arch", "amd64", "--list", "--out", out];
            all.extend(args);
            let listed = ok(d, &all);
            assert!(
                listed.contains("\tlibc.so.6 (0x0303) => /lib/x86_64-linux-gnu/libc.so.6\n"),
                "{kind}: {listed}"
            );
            std::fs::read(d.join(out)).expect("cache")
        };
        let from_layer = cache(&["--layer", "libc.blob=libc.json"], "layer.cache");
        let from_base = cache(&["--base", "image"], "base.cache");
        assert!(from_layer == from_base, "{kind}: --layer and --base differ");
        caches.push(from_layer);
    }
    assert!(caches.windows(2).all(|w| w[0] == w[1]), "caches differ");
}

#[test]
fn wrong_or_unknown_media_types_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let entries = r#"[{"path": "/etc/app.conf", "type": "file", "content": "x\n"}]"#;
    std::fs::write(d.join("e.json"), entries).expect("write");
    layer_of(d, "app", "gzip", &["--entries", "e.json"]);
    let relabel = |media_type: &str| {
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("app.json")).expect("json"))
                .expect("json");
        json["media_type"] = media_type.into();
        std::fs::write(d.join("other.json"), json.to_string()).expect("write");
    };
    // A gzip blob labelled as another type fails in that type's decoder or tar reader; an
    // unknown type is named.
    for (media_type, expected) in [
        (TYPES[2].1, "layer app: app.blob: "),
        (TYPES[0].1, "layer app: app.blob: "),
        (
            "application/vnd.oci.image.layer.v1.tar+lz4",
            "layer app: other.json: layer media type \"application/vnd.oci.image.layer.v1.tar+lz4\" is not one of",
        ),
    ] {
        relabel(media_type);
        let err = fails(
            d,
            &["check-conflicts", "--layer", "app=app.blob=other.json"],
        );
        assert!(
            err.starts_with(&format!("debimage: error: {expected}")),
            "{media_type}: {err}"
        );
    }
    // A blob that is not the one its digests describe.
    std::fs::write(
        d.join("e.json"),
        r#"[{"path": "/etc/other", "type": "file", "content": ""}]"#,
    )
    .expect("write");
    layer_of(d, "other", "gzip", &["--entries", "e.json"]);
    let err = fails(
        d,
        &["check-conflicts", "--layer", "app=other.blob=app.json"],
    );
    assert!(
        err.starts_with("debimage: error: layer app: other.blob: is ")
            && err.contains(" was declared"),
        "{err}"
    );
    let err = fails(
        d,
        &[
            "ld-so-cache",
            "--arch",
            "amd64",
            "--layer",
            "other.blob=app.json",
            "--out",
            "cache",
        ],
    );
    assert!(
        err.starts_with("debimage: error: other.blob: is ") && err.contains(" was declared"),
        "{err}"
    );
    assert!(!d.join("cache").exists());
}

/// A zstd layer of one 256 MiB file of zeros, read by every subcommand with the address
/// space limited to 200 MiB (two malloc arenas: glibc reserves 64 MiB per arena).
#[test]
fn reading_a_large_layer_stays_within_a_memory_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let size: u64 = 256 << 20;
    let zeros = std::fs::File::create(d.join("zeros")).expect("create");
    zeros.set_len(size).expect("size");
    let entries = format!(
        r#"[{{"path": "/zeros", "type": "file", "source": "{}"}}]"#,
        d.join("zeros").display()
    );
    std::fs::write(d.join("e.json"), entries).expect("write");
    layer_of(d, "big", "zstd", &["--entries", "e.json"]);
    image_of(d, "image", &["big"]);
    std::fs::write(
        d.join("checks.json"),
        r#"{"files": [{"path": "/zeros", "type": "file"}]}"#,
    )
    .expect("write");
    for args in [
        vec!["check-conflicts", "--layer", "big=big.blob=big.json"],
        vec!["check-conflicts", "--base", "image"],
        vec![
            "ld-so-cache",
            "--arch",
            "amd64",
            "--base",
            "image",
            "--out",
            "cache",
        ],
        vec!["check-image", "--image", "image", "--checks", "checks.json"],
        vec![
            "sbom",
            "--image",
            "image",
            "--name",
            "big",
            "--out",
            "sbom.json",
        ],
        vec![
            "docker-archive",
            "--image",
            "image",
            "--repo-tag",
            "t:latest",
            "--out",
            "docker.tar",
        ],
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", 200 * 1024))
            .arg(debimage())
            .args(&args)
            .env("MALLOC_ARENA_MAX", "2")
            .current_dir(d)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let docker_tar = std::fs::metadata(d.join("docker.tar"))
        .expect("docker.tar")
        .len();
    assert!(docker_tar > size, "the layer is in it, decompressed");
}
