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
    let source = format!(r#"{{"url": "{url}", "suites": ["{suite}"], "components": ["main"]}}"#);
    lock_with(dir, &source, &[])
}

/// Runs the lock tool in `dir` on a manifest with one source (JSON), with `args`.
fn lock_with(dir: &Path, source: &str, args: &[&str]) -> Output {
    lock_manifest(dir, "", source, args)
}

/// As [`lock_with`], the manifest with more `fields` (JSON members, each followed by a comma).
fn lock_manifest(dir: &Path, fields: &str, source: &str, args: &[&str]) -> Output {
    let keyring = testdata().join("keyring.asc");
    let keyring = std::path::absolute(&keyring).expect("absolute keyring path");
    let manifest = dir.join("test.json");
    std::fs::write(
        &manifest,
        format!(
            r#"{{
  "distribution": "test",{fields}
  "sources": [{source}],
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
        .args(args)
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

/// The test archive served at `<url>/debian` and `<url>/debian-security` (links to it).
fn serve_as_archives() -> (Server, tempfile::TempDir) {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = std::path::absolute(testdata().join("repo")).expect("absolute repo path");
    for archive in ["debian", "debian-security"] {
        std::os::unix::fs::symlink(&repo, root.path().join(archive)).expect("symlink");
    }
    (Server::start(root.path(), None), root)
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8 output")
}

#[test]
fn entries_carry_mirror_and_snapshot_urls() {
    let (server, _root) = serve_as_archives();
    let dir = tempfile::tempdir().expect("tempdir");
    let source = format!(
        r#"{{"url": "{0}/debian", "mirrors": ["{0}/m1/debian", "https://m2.example/debian"], "suites": ["good"], "components": ["main"]}}"#,
        server.url
    );
    let out = lock_with(dir.path(), &source, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lock = std::fs::read(dir.path().join("test.lock.json")).expect("lockfile");
    let lock =
        debimage_lock::lockfile::Lockfile::from_bytes(&lock, "test.lock.json").expect("lock");
    let file = "pool/main/n/netbase/netbase_6.4_all.deb";
    // The Release is dated Mon, 01 Jan 2024 00:00:00 UTC: its snapshot is the one 12 hours on.
    assert_eq!(
        lock.packages[0].urls,
        [
            format!("{}/debian/{file}", server.url),
            format!("{}/m1/debian/{file}", server.url),
            format!("https://m2.example/debian/{file}"),
            format!("https://snapshot.debian.org/archive/debian/20240101T120000Z/{file}"),
        ]
    );
    // A new lockfile: its summary on stdout.
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: 1 entries, a new lockfile\n",
            dir.path().join("test.lock.json").display()
        )
    );
}

/// A lockfile as the tool wrote it, with `edit` applied to its text.
fn edit_lock(dir: &Path, edit: impl Fn(&str) -> String) {
    let path = dir.join("test.lock.json");
    let text = std::fs::read_to_string(&path).expect("lockfile");
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&path, edited).expect("write lockfile");
}

#[test]
fn check_and_update_summarise_version_changes() {
    let (server, _root) = serve_as_archives();
    for (archive, marked) in [("debian", ""), ("debian-security", " [security]")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = format!(
            r#"{{"url": "{}/{archive}", "suites": ["good"], "components": ["main"]}}"#,
            server.url
        );
        let out = lock_with(dir.path(), &source, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = lock_with(dir.path(), &source, &["--check"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
        // The lock pinned an older netbase (another file): the archive now has 6.4.
        edit_lock(dir.path(), |t| {
            t.replace("\"version\": \"6.4\"", "\"version\": \"6.3\"")
                .replace(
                    "29b23c48c0fe6f878e56c5ddc9f65d1c05d729360f3690a593a8c795031cd867",
                    &"0".repeat(64),
                )
        });
        let stale = std::fs::read(dir.path().join("test.lock.json")).expect("lockfile");
        let summary = format!(
            "{}: 1 package changed version ({} from a security suite), 0 added, 0 removed, 0 \
             other entries changed\n- netbase: 6.3 -> 6.4{marked} (good; amd64)\n",
            dir.path().join("test.lock.json").display(),
            marked.len().min(1)
        );
        let out = lock_with(dir.path(), &source, &["--check"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), summary);
        assert!(
            text(&out.stderr).contains("is out of date; run debimage-lock"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read(dir.path().join("test.lock.json")).expect("lockfile"),
            stale
        );
        // --update writes the lock and prints the same summary.
        let out = lock_with(dir.path(), &source, &["--update"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), summary);
        let out = lock_with(dir.path(), &source, &["--check"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

#[test]
fn a_relock_keeps_the_snapshot_of_an_unchanged_file() {
    let (server, _root) = serve_as_archives();
    let dir = tempfile::tempdir().expect("tempdir");
    let source = format!(
        r#"{{"url": "{}/debian", "suites": ["good"], "components": ["main"]}}"#,
        server.url
    );
    let out = lock_with(dir.path(), &source, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Locked from an earlier Release of the same archive: that snapshot has the file too.
    edit_lock(dir.path(), |t| {
        t.replace("/20240101T120000Z/", "/20231201T120000Z/")
    });
    let out = lock_with(dir.path(), &source, &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Another file under the same name and version is not the same file: its snapshot follows
    // the current Release.
    edit_lock(dir.path(), |t| {
        t.replace(
            "29b23c48c0fe6f878e56c5ddc9f65d1c05d729360f3690a593a8c795031cd867",
            &"0".repeat(64),
        )
    });
    let out = lock_with(dir.path(), &source, &["--update"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("- sha256, urls changed: netbase 6.4 (amd64)"),
        "{}",
        text(&out.stdout)
    );
    let lock = std::fs::read_to_string(dir.path().join("test.lock.json")).expect("lockfile");
    assert!(
        lock.contains("/20240101T120000Z/") && !lock.contains("/20231201T120000Z/"),
        "{lock}"
    );
    // "snapshot": "none" leaves snapshot.debian.org out; a timestamp there is every file's.
    for (fields, snapshot_url) in [
        (r#""snapshot": "none","#, None),
        (
            r#""snapshot": "20240301T000000Z","#,
            Some("https://snapshot.debian.org/archive/debian/20240301T000000Z/pool/"),
        ),
    ] {
        let out = lock_manifest(dir.path(), fields, &source, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let lock = std::fs::read_to_string(dir.path().join("test.lock.json")).expect("lockfile");
        assert_eq!(
            lock.matches("https://snapshot.debian.org/").count(),
            usize::from(snapshot_url.is_some()),
            "{lock}"
        );
        if let Some(url) = snapshot_url {
            assert!(lock.contains(url), "{url} not in {lock}");
        }
    }
}
