//! The lock tool against small archives served on 127.0.0.1 and signed with a test key
//! (`testdata/openpgp/generate`): a well-formed one locks; crafted ones, whose signed index
//! carries a Version, Filename, SHA256 or Package that would inject into a BUILD file or leave
//! the archive, or whose Release is dated 2090, are refused with the package and field named,
//! and no lockfile is written.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::http::Server;

fn testdata() -> PathBuf {
    std::env::var_os("OPENPGP_TESTDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/openpgp"),
        PathBuf::from,
    )
}

fn lock_tool() -> PathBuf {
    std::env::var_os("DEBIMAGE_LOCK").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_debimage-lock")),
        PathBuf::from,
    )
}

/// Runs the lock tool on a manifest for `suite` of the archive at `url`, in `dir`.
fn lock(dir: &Path, url: &str, suite: &str) -> Output {
    let keyring = testdata().join("keyring.asc");
    let keyring = std::path::absolute(&keyring).expect("absolute keyring path");
    let manifest = dir.join("test.json");
    std::fs::write(
        &manifest,
        format!(
            r#"{{
  "distribution": "test",
  "sources": [{{"url": "{url}", "suites": ["{suite}"], "components": ["main"]}}],
  "architectures": ["amd64"],
  "keyring": "{}",
  "sets": {{"net": {{"packages": ["netbase"], "follow_dependencies": true}}}}
}}
"#,
            keyring.display()
        ),
    )
    .expect("write manifest");
    Command::new(lock_tool())
        .arg(&manifest)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .env_remove("BUILD_WORKSPACE_DIRECTORY")
        .output()
        .expect("run debimage-lock")
}

#[test]
fn a_well_formed_archive_locks() {
    let server = Server::start(&testdata().join("repo"), None);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lock(dir.path(), &server.url, "good");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("good: InRelease of 2024-01-01 00:00:00 UTC verified (signed by Good)"),
        "{stderr}"
    );
    let lock = std::fs::read_to_string(dir.path().join("test.lock.json")).expect("lockfile");
    let expected_url = format!("{}/pool/main/n/netbase/netbase_6.4_all.deb", server.url);
    for line in [
        "\"name\": \"netbase\"",
        "\"version\": \"6.4\"",
        "\"sha256\": \"29b23c48c0fe6f878e56c5ddc9f65d1c05d729360f3690a593a8c795031cd867\"",
        "\"size\": 12800",
        expected_url.as_str(),
    ] {
        assert!(lock.contains(line), "{line} not in {lock}");
    }
}

#[test]
fn crafted_archives_are_refused() {
    let server = Server::start(&testdata().join("repo"), None);
    for (suite, message) in [
        (
            "bad-version",
            "package netbase 6.4\", visibility = [\"//visibility:public\"], x = (\" for amd64: \
             bad Version \"6.4\\\", visibility = [\\\"//visibility:public\\\"], x = (\\\"\": the \
             epoch (before ':') is a number",
        ),
        (
            "bad-version-newline",
            ": bad Version \"6.4\\\"\\n )\\n sh_binary(name = \\\"x\\\", srcs = [\\\"x\\\"]\": \
             the upstream version has only letters, digits and . + ~",
        ),
        (
            "bad-filename",
            "package netbase 6.4 for amd64: bad Filename \
             \"pool/../../../etc/netbase_6.4_all.deb\": a file name is relative to the archive, \
             without empty, . or .. components",
        ),
        (
            "bad-sha256",
            "package netbase 6.4 for amd64: bad sha256 \
             \"29B23C48C0FE6F878E56C5DDC9F65D1C05D729360F3690A593A8C795031CD867\": a sha256 is \
             64 lower-case hex digits",
        ),
        (
            "bad-name",
            "bad name \"evil\\\"]\": a package name has only a-z",
        ),
        (
            "future-date",
            "dists/future-date/InRelease: not valid yet: Date 2090-01-01 00:00:00 UTC is after now",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = lock(dir.path(), &server.url, suite);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{suite}: {stderr}");
        assert!(
            stderr.contains(message),
            "{suite}: {message}\nnot in\n{stderr}"
        );
        assert!(
            !dir.path().join("test.lock.json").exists(),
            "{suite}: a lockfile was written"
        );
    }
}
